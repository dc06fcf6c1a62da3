//! The command line: every setting has a flag and an environment variable;
//! [`run`] carries out a parsed command (`serve`, `migrate`, `keys`,
//! `import`, `openapi`, and the file commands `match`, `generate`,
//! `solve`).

mod import;
mod keys;
pub mod matching;

use crate::http::{self, Application};
use crate::matching::Lang;
use crate::store;
use crate::telemetry::LogFormat;
use clap::{Args, Parser, Subcommand};
use matching::{generate_command, match_all_command, match_export_command};
use std::net::SocketAddr;
use std::net::TcpListener;
use std::path::PathBuf;

/// Default database: a SQLite file under `./data/`, created on first start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite:data/mentor-match.db";

/// mentor-match: matches mentors and mentees in schools.
#[derive(Debug, Parser)]
#[command(name = "mentor-match", version, about, long_about = None)]
pub struct Cli {
    /// Settings shared by every command.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do; `serve` when left out.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Settings shared by every command.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Database: `sqlite:PATH` (embedded, the default) or `postgres://USER@HOST/DB`.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    pub database_url: String,
    /// Log format.
    #[arg(
        long,
        env = "MENTOR_MATCH_LOG_FORMAT",
        value_enum,
        default_value = "text",
        global = true
    )]
    pub log_format: LogFormat,
    /// Address the server listens on.
    #[arg(
        long,
        env = "MENTOR_MATCH_BIND",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub bind: SocketAddr,
    /// Requests per minute a key may send to one instance (0 = unlimited).
    #[arg(
        long,
        env = "MENTOR_MATCH_RATE_LIMIT",
        default_value_t = 1200,
        global = true
    )]
    pub rate_limit: u32,
    /// Days dry runs and superseded runs are kept before the retention
    /// sweep prunes them (runs that pairs or decided proposals refer to,
    /// and each programme's latest run, are always kept); 0 keeps every run.
    #[arg(
        long,
        env = "MENTOR_MATCH_KEEP_RUNS_DAYS",
        default_value_t = 30,
        global = true
    )]
    pub keep_runs_days: u32,
    /// Log level or filter, e.g. `info`, `debug`, `mentor_match=debug,warn`.
    #[arg(
        long,
        env = "MENTOR_MATCH_LOG_LEVEL",
        default_value = "info",
        global = true
    )]
    pub log_level: String,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (the default).
    Serve,
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Write the OpenAPI document generated from the code.
    Openapi {
        /// Where to write it.
        #[arg(long, default_value = "openapi/openapi.json")]
        output: PathBuf,
    },
    /// Manage API keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Bulk load a JSON batch or a CSV file, exactly as `POST /api/v1/import` does.
    Import(ImportArgs),
    /// Run the matching engine on an import-format file, without a server,
    /// and print proposals, unmatched mentees and statistics as JSON.
    Match {
        /// `{organizations, mentors, mentees}` (optionally `programmes`,
        /// `approved_pairs`, `pinned_pairs`, `excluded_pairs`, `objective`, `weights`).
        #[arg(long)]
        input: PathBuf,
        /// A programme file (the body of `PUT /api/v1/programmes/{id}`). When
        /// left out, every programme of the input file is run and one line
        /// of statistics is printed for each.
        #[arg(long)]
        programme: Option<PathBuf>,
        /// Language of the explanations: `en` or `ru`.
        #[arg(long, default_value = "en")]
        lang: String,
        /// The objective of every programme when none is given in the
        /// input: `total`, `fair`, `rank_maximal`, `stable` or
        /// `stable_mentor` (group programmes keep `total`).
        #[arg(long)]
        objective: Option<String>,
        /// Also write the programme's score matrix here as CSV (the input of `solve`).
        #[arg(long, requires = "programme")]
        scores: Option<PathBuf>,
    },
    /// Write a seeded synthetic municipality or region (import format, with
    /// one programme per form) on standard output.
    Generate {
        /// Number of schools (15 ≈ a municipality, 200 ≈ a region).
        #[arg(long, default_value_t = 15)]
        schools: usize,
        /// Random seed; the same seed gives the same data.
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
    /// Solve a score matrix (the CSV of `GET /api/v1/runs/{id}/scores`):
    /// most mentees matched, then the highest total. Prints
    /// `{"total", "matched", "solve_ms", "pairs"}`; `solve_ms` is the median
    /// over the repeats, reading the file excluded.
    Solve {
        /// Header of mentor ids, one row per mentee (id first), empty cell = forbidden.
        matrix: PathBuf,
        /// Solve this many times and report the median time.
        #[arg(long, default_value_t = 1)]
        repeat: usize,
    },
}

/// Key management.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key and print it (only the key) on standard output.
    Create {
        /// `admin`, `system`, `curator` or `analyst`.
        #[arg(long)]
        role: String,
        /// Scope the key to this organisation and everything under it.
        #[arg(long)]
        organization: Option<String>,
        /// A label to recognise the key by.
        #[arg(long)]
        label: Option<String>,
        /// Expire the key after this many days.
        #[arg(long)]
        expires_in_days: Option<u32>,
    },
    /// List keys (ids, roles, scopes; never secrets).
    List,
    /// Revoke a key by its id (the part after `mm_`, before the second `_`).
    Revoke {
        /// The key id.
        id: String,
    },
}

/// A bulk load from a file.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// A JSON batch `{organizations, mentors, mentees, programmes}` or a CSV file.
    pub file: PathBuf,
    /// What a CSV file holds: `mentors`, `mentees` or `organizations` (guessed from the file name when left out).
    #[arg(long)]
    pub kind: Option<String>,
    /// Apply the good rows even if some are bad.
    #[arg(long)]
    pub partial: bool,
}

/// Carries out one command line; the message of an error is for the
/// person at the terminal.
pub async fn run(cli: Cli) -> Result<(), String> {
    let command = cli.command.unwrap_or(Command::Serve);
    match &command {
        Command::Openapi { output } => return write_openapi(output),
        Command::Solve { matrix, repeat } => {
            let report = crate::matching::assignment::solve_command(matrix, (*repeat).max(1))
                .map_err(|e| e.to_string())?;
            println!(
                "{}",
                serde_json::to_string(&report).map_err(|e| e.to_string())?
            );
            return Ok(());
        }
        Command::Match {
            input,
            programme,
            lang,
            objective,
            scores,
        } => {
            let lang = Lang::parse(lang)
                .ok_or_else(|| format!("unknown --lang {lang:?}; use en or ru"))?;
            let objective = match objective {
                None => None,
                Some(name) => Some(crate::matching::Objective::parse(name).ok_or_else(|| {
                    format!(
                        "unknown --objective {name:?}; use total, fair, rank_maximal, stable or stable_mentor"
                    )
                })?),
            };
            let result = match programme {
                Some(programme) => {
                    match_export_command(input, programme, lang, objective, scores.as_deref())?
                }
                None => match_all_command(input, lang, objective)?,
            };
            println!(
                "{}",
                serde_json::to_string_pretty(&result).map_err(|e| e.to_string())?
            );
            return Ok(());
        }
        Command::Generate { schools, seed } => {
            let data = generate_command(*schools, *seed);
            println!(
                "{}",
                serde_json::to_string(&data).map_err(|e| e.to_string())?
            );
            return Ok(());
        }
        _ => {}
    }
    let store = store::connect(&cli.global.database_url)
        .await
        .map_err(|e| {
            format!(
                "cannot open the database: {}",
                crate::telemetry::error_chain(&e)
            )
        })?;
    match command {
        Command::Serve => {
            let bind = cli.global.bind;
            let listener =
                TcpListener::bind(bind).map_err(|e| format!("cannot listen on {bind}: {e}"))?;
            let settings = http::Settings {
                rate_limit_per_minute: cli.global.rate_limit,
                retention: (cli.global.keep_runs_days > 0).then(|| {
                    crate::service::runs::Retention {
                        keep_for: std::time::Duration::from_secs(
                            u64::from(cli.global.keep_runs_days) * 24 * 3600,
                        ),
                        ..Default::default()
                    }
                }),
                ..http::Settings::default()
            };
            let app =
                Application::build_with(listener, store, settings).map_err(|e| e.to_string())?;
            tracing::info!(%bind, "mentor-match listening; API docs at /docs");
            app.run().await.map_err(|e| e.to_string())
        }
        Command::Migrate => {
            eprintln!("database is migrated");
            Ok(())
        }
        Command::Openapi { .. }
        | Command::Solve { .. }
        | Command::Match { .. }
        | Command::Generate { .. } => Ok(()),
        Command::Keys(keys) => keys::run(store.as_ref(), keys).await,
        Command::Import(args) => import::run(store.as_ref(), args).await,
    }
}

fn write_openapi(output: &std::path::Path) -> Result<(), String> {
    let json = crate::http::openapi()
        .to_pretty_json()
        .map_err(|e| e.to_string())?;
    if let Some(folder) = output.parent().filter(|f| !f.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder).map_err(|e| e.to_string())?;
    }
    std::fs::write(output, json + "\n")
        .map_err(|e| format!("cannot write {}: {e}", output.display()))
}
