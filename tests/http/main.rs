//! The service driven as its users drive it: the real server on port 0,
//! over HTTP, on SQLite always and on PostgreSQL when `TEST_DATABASE_URL`
//! is set. One test binary, a module per area, so the suite links once.

#[macro_use]
#[path = "../common/mod.rs"]
mod common;

mod access;
mod analysts;
mod banks;
mod browser;
mod edges;
mod errors;
mod exports;
mod fixtures;
mod import;
mod instances;
mod openapi;
mod orders;
mod pages;
mod privacy;
mod run_storage;
mod runs;
mod russian;
mod security;
mod spreadsheets;
mod store_contract;
mod store_runs;
mod store_sessions;
mod suppression;
mod targets;
mod weights;
mod wishes;
mod workflow;
mod writes;
