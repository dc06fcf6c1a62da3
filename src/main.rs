//! The `mentor-match` binary: parses the command line and calls the library.

use clap::Parser;
use mentor_match::cli::{Cli, Command, ImportArgs, KeysCommand};
use mentor_match::http::{self, Application};
use mentor_match::matching::Lang;
use mentor_match::matching::cli::{generate_command, match_all_command, match_command};
use mentor_match::service::auth::{self, Role};
use mentor_match::service::import::{self, Batch, CsvKind, ImportError};
use mentor_match::store::{self, Scope};
use mentor_match::telemetry;
use std::net::TcpListener;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init(cli.global.log_format, &cli.global.log_level);
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("mentor-match: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    let command = cli.command.unwrap_or(Command::Serve);
    match &command {
        Command::Openapi { output } => return write_openapi(output),
        Command::Solve { matrix, repeat } => {
            let report =
                mentor_match::matching::assignment::solve_command(matrix, (*repeat).max(1))
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
        } => {
            let lang = Lang::parse(lang)
                .ok_or_else(|| format!("unknown --lang {lang:?}; use en or ru"))?;
            let result = match programme {
                Some(programme) => match_command(input, programme, lang)?,
                None => match_all_command(input, lang)?,
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
                mentor_match::telemetry::error_chain(&e)
            )
        })?;
    match command {
        Command::Serve => {
            let bind = cli.global.bind;
            let listener =
                TcpListener::bind(bind).map_err(|e| format!("cannot listen on {bind}: {e}"))?;
            let settings = http::Settings {
                rate_limit_per_minute: cli.global.rate_limit,
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
        Command::Keys(keys) => run_keys(store.as_ref(), keys).await,
        Command::Import(args) => run_import(store.as_ref(), args).await,
    }
}

fn write_openapi(output: &std::path::Path) -> Result<(), String> {
    let json = mentor_match::http::openapi()
        .to_pretty_json()
        .map_err(|e| e.to_string())?;
    if let Some(folder) = output.parent().filter(|f| !f.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder).map_err(|e| e.to_string())?;
    }
    std::fs::write(output, json + "\n")
        .map_err(|e| format!("cannot write {}: {e}", output.display()))
}

async fn run_keys(store: &dyn store::Store, command: KeysCommand) -> Result<(), String> {
    match command {
        KeysCommand::Create {
            role,
            organization,
            label,
            expires_in_days,
        } => {
            let role = Role::parse(&role).ok_or_else(|| {
                format!("unknown role {role:?}; use admin, system, curator or analyst")
            })?;
            let expires = expires_in_days.map(|days| {
                time::OffsetDateTime::now_utc() + time::Duration::days(i64::from(days))
            });
            let (_, secret) = auth::create_key(
                store,
                role,
                organization.as_deref(),
                label.as_deref(),
                expires,
            )
            .await
            .map_err(|e| match e {
                store::StoreError::Invalid(errors) => errors
                    .into_iter()
                    .map(|e| format!("--{}: {}", e.field, e.message))
                    .collect::<Vec<_>>()
                    .join("; "),
                other => mentor_match::telemetry::error_chain(&other),
            })?;
            println!("{}", secret.expose());
            Ok(())
        }
        KeysCommand::List => {
            let keys = store
                .list_keys()
                .await
                .map_err(|e| mentor_match::telemetry::error_chain(&e))?;
            println!(
                "{:<12} {:<8} {:<24} {:<22} {:<22} label",
                "id", "role", "organization", "created", "revoked/expires"
            );
            for k in keys {
                let state = k
                    .revoked_at
                    .map(|t| format!("revoked {t}"))
                    .or(k.expires_at.map(|t| format!("expires {t}")))
                    .unwrap_or_default();
                println!(
                    "{:<12} {:<8} {:<24} {:<22} {:<22} {}",
                    k.id,
                    k.role,
                    k.organization_id.unwrap_or_else(|| "(all)".into()),
                    k.created_at,
                    state,
                    k.label.unwrap_or_default()
                );
            }
            Ok(())
        }
        KeysCommand::Revoke { id } => {
            let id = id
                .trim_start_matches(auth::KEY_PREFIX)
                .split('_')
                .next()
                .unwrap_or_default()
                .to_owned();
            let done = store
                .revoke_key(&id, &mentor_match::store::sql_now())
                .await
                .map_err(|e| mentor_match::telemetry::error_chain(&e))?;
            if done {
                eprintln!("key {id} revoked");
                Ok(())
            } else {
                Err(format!("no key with id {id}"))
            }
        }
    }
}

async fn run_import(store: &dyn store::Store, args: ImportArgs) -> Result<(), String> {
    let body = std::fs::read(&args.file)
        .map_err(|e| format!("cannot read {}: {e}", args.file.display()))?;
    let name = args.file.to_string_lossy().to_lowercase();
    let batch = if name.ends_with(".csv") {
        let kind = args
            .kind
            .clone()
            .or_else(|| {
                ["mentors", "mentees", "organizations"]
                    .iter()
                    .find(|k| name.contains(*k))
                    .map(|k| k.to_string())
            })
            .ok_or("say what the CSV holds with --kind mentors|mentees|organizations")?;
        let kind = match kind.as_str() {
            "mentors" => CsvKind::Mentors,
            "mentees" => CsvKind::Mentees,
            "organizations" => CsvKind::Organizations,
            other => return Err(format!("unknown --kind {other:?}")),
        };
        Batch::from_csv(kind, &body)
    } else {
        Batch::from_json(&body)
    }
    .map_err(|e| e.to_string())?;
    let actor = mentor_match::store::Actor {
        key_id: "command-line".into(),
        role: "admin".into(),
        origin: None,
    };
    match import::import(store, &Scope::All, batch, args.partial, &actor).await {
        Ok(report) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&report).unwrap_or_default()
            );
            Ok(())
        }
        Err(ImportError::Rejected(report)) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&report).unwrap_or_default()
            );
            Err(format!(
                "{} rows rejected; nothing was applied (use --partial to apply the good rows)",
                report.rejected.len()
            ))
        }
        Err(other) => Err(other.to_string()),
    }
}
