//! The `mentor-match` binary: parses the command line and calls the library.

use clap::Parser;
use mentor_match::cli::{self, Cli};
use mentor_match::telemetry;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init(cli.global.log_format, &cli.global.log_level);
    match cli::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("mentor-match: {message}");
            ExitCode::FAILURE
        }
    }
}
