//! mentor-match: keeps the banks of mentors and mentees, scores every
//! possible pair, proposes optimal pairs and groups, and explains them.

pub mod cli;
pub mod domain;
pub mod http;
pub mod matching;
pub mod service;
pub mod store;
pub mod telemetry;
