//! `keys`: create, list and revoke API keys.

use super::KeysCommand;
use crate::service::auth::{self, Role};
use crate::store;

/// `keys create`, `keys list`, `keys revoke`.
pub(super) async fn run(store: &dyn store::Store, command: KeysCommand) -> Result<(), String> {
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
                other => crate::telemetry::error_chain(&other),
            })?;
            println!("{}", secret.expose());
            Ok(())
        }
        KeysCommand::List => {
            let keys = store
                .list_keys()
                .await
                .map_err(|e| crate::telemetry::error_chain(&e))?;
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
                .revoke_key(&id, &crate::store::sql_now())
                .await
                .map_err(|e| crate::telemetry::error_chain(&e))?;
            if done {
                eprintln!("key {id} revoked");
                Ok(())
            } else {
                Err(format!("no key with id {id}"))
            }
        }
    }
}
