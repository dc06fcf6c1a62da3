//! Use cases: what the HTTP edge and the command line ask of the service.
//! Each module takes validated domain values, talks to the store through
//! its traits and to the pure matching core, and answers with domain
//! results or its own error type; none of them knows HTTP.

pub mod auth;
pub mod banks;
pub mod disclosure;
pub mod import;
pub mod orders;
pub mod pairs;
pub mod readiness;
pub mod reports;
pub mod runs;
pub mod sessions;
pub mod snapshot;
pub mod spreadsheet;
pub mod statistics;
pub mod targets;
pub mod templates;
pub mod wishes;
