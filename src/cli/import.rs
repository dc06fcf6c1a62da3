//! `import`: load a file as the API's import would, as an admin.

use super::ImportArgs;
use crate::service::import::{self, Batch, CsvKind, ImportError};
use crate::store::{self, Scope};

/// `import FILE`: a JSON batch or a CSV of one kind, as an admin.
pub(super) async fn run(store: &dyn store::Store, args: ImportArgs) -> Result<(), String> {
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
    let actor = crate::store::Actor {
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
