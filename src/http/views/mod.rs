//! Typed views: what the API answers, as Rust types the OpenAPI document
//! is generated from.

pub mod audit;
pub mod consent;
pub mod files;
pub mod import;
pub mod orders;
pub mod pairs;
pub mod reports;
pub mod runs;
pub mod wishes;
