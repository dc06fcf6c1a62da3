//! mentor-match: keeps the banks of mentors and mentees, scores every
//! possible pair, proposes optimal pairs and groups, and explains them.

pub mod auth;
pub mod banks;
pub mod charts;
pub mod cli;
pub mod domain;
pub mod http;
pub mod import;
pub mod matching;
pub mod reports;
pub mod runs;
pub mod store;
pub mod telemetry;
