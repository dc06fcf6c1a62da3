//! API keys, roles and what each role may do.
//!
//! A key looks like `mm_<id>_<secret>`. Only the SHA-256 of the whole key
//! is stored; the id part lets operators list and revoke keys without
//! ever seeing a secret again.

use crate::store::{KeyRecord, NewKey, Scope, Store, StoreError, sql_now};
use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;

/// Every key starts with this, so leaked keys are easy to scan for.
pub const KEY_PREFIX: &str = "mm_";

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including keys.
    Admin,
    /// A school or municipal system pushing profiles and reading pairs.
    System,
    /// Reviews and approves pairs; reads profiles of their organisations.
    Curator,
    /// Tunes weights and reads indicators; no personal profiles.
    Analyst,
}

impl Role {
    /// Parses `admin`, `system`, `curator` or `analyst`.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "admin" => Some(Role::Admin),
            "system" => Some(Role::System),
            "curator" => Some(Role::Curator),
            "analyst" => Some(Role::Analyst),
            _ => None,
        }
    }

    /// The spelling used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::System => "system",
            Role::Curator => "curator",
            Role::Analyst => "analyst",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An action guarded by role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Read organisations.
    ReadOrganizations,
    /// Create, replace or delete organisations.
    WriteOrganizations,
    /// Read mentor and mentee profiles.
    ReadProfiles,
    /// Create, replace or delete profiles, and bulk import.
    WriteProfiles,
    /// Read programmes.
    ReadProgrammes,
    /// Create, replace or delete programmes.
    WriteProgrammes,
    /// Start runs whose proposals can be approved.
    StartRuns,
    /// Start dry runs (what-if).
    StartDryRuns,
    /// Read runs, proposals and score matrices.
    ReadRuns,
    /// Approve or reject proposals, pair by hand, complete or end pairs.
    DecidePairs,
    /// Read pairs and export the list for the school's order.
    ReadPairs,
    /// Read the record of state changes.
    ReadEvents,
    /// Record that a person withdrew consent (and erase them).
    WithdrawConsent,
    /// Read the monitoring indicators (counts only).
    ReadReports,
    /// Record feedback questionnaires of pairs.
    WriteFeedback,
    /// Record orders that put approved pairs into effect.
    IssueOrders,
    /// Set the planned values of the indicators.
    WriteTargets,
    /// Record participants' wishes in a programme.
    WritePreferences,
}

impl Role {
    /// Whether this role may perform `permission` (within its scope).
    pub fn allows(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Admin => true,
            Role::System => !matches!(permission, StartRuns | DecidePairs | ReadEvents),
            Role::Curator => matches!(
                permission,
                ReadOrganizations
                    | ReadProfiles
                    | ReadProgrammes
                    | WriteProgrammes
                    | StartRuns
                    | StartDryRuns
                    | ReadRuns
                    | DecidePairs
                    | ReadPairs
                    | WithdrawConsent
                    | ReadReports
                    | WriteFeedback
                    | IssueOrders
                    | WriteTargets
                    | WritePreferences
            ),
            Role::Analyst => matches!(
                permission,
                ReadOrganizations | ReadProgrammes | StartDryRuns | ReadRuns | ReadReports
            ),
        }
    }
}

/// Who is calling: the key's id, role and scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The key id (never the secret).
    pub key_id: String,
    /// The key's role.
    pub role: Role,
    /// What the key can see.
    pub scope: Scope,
}

/// Why a presented key was refused.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization: Bearer` header.
    #[error("missing bearer key")]
    Missing,
    /// Unknown, malformed, revoked or expired key.
    #[error("invalid key")]
    Invalid,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A key secret. `Debug` never shows it.
pub struct Secret(String);

impl Secret {
    /// The key to hand to its user.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// Hex SHA-256 of a key.
pub fn hash_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

fn random_token(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Creates and stores a key with `role`, scoped to `organization_id`
/// (which must exist), optionally expiring. Returns its record and the
/// secret, which is shown once and never stored.
pub async fn create_key(
    store: &dyn Store,
    role: Role,
    organization_id: Option<&str>,
    label: Option<&str>,
    expires_at: Option<OffsetDateTime>,
) -> Result<(KeyRecord, Secret), StoreError> {
    if let Some(org) = organization_id {
        let exists = store
            .organization_nodes(&Scope::All)
            .await?
            .iter()
            .any(|n| n.id == org);
        if !exists {
            return Err(StoreError::Invalid(vec![crate::domain::FieldError::new(
                "organization",
                format!("unknown organisation {org:?}"),
            )]));
        }
    }
    let id = random_token(10);
    let secret = format!("{KEY_PREFIX}{id}_{}", random_token(32));
    let record = KeyRecord {
        id,
        role: role.as_str().to_owned(),
        organization_id: organization_id.map(str::to_owned),
        label: label.map(str::to_owned),
        created_at: sql_now(),
        expires_at: expires_at.and_then(|t| t.format(&Rfc3339).ok()),
        revoked_at: None,
    };
    store
        .insert_key(&NewKey {
            record: record.clone(),
            hash: hash_key(&secret),
        })
        .await?;
    Ok((record, Secret(secret)))
}

/// Resolves a presented key into a principal: known, not revoked, not
/// expired, and scoped to an organisation that still exists.
pub async fn authenticate(store: &dyn Store, key: &str) -> Result<Principal, AuthError> {
    if !key.starts_with(KEY_PREFIX) || key.len() > 200 {
        return Err(AuthError::Invalid);
    }
    let (record, path) = store
        .find_key(&hash_key(key))
        .await?
        .ok_or(AuthError::Invalid)?;
    principal_of(record, path)
}

/// The principal of a stored key with the path of its organisation:
/// refused when the key is revoked, expired, of an unknown role, or
/// scoped to an organisation that no longer exists. Every request of a
/// page session passes here too, so a revoked key ends its sessions.
pub fn principal_of(record: KeyRecord, path: Option<String>) -> Result<Principal, AuthError> {
    if record.revoked_at.is_some() {
        return Err(AuthError::Invalid);
    }
    if let Some(expires) = &record.expires_at {
        let expired = OffsetDateTime::parse(expires, &Rfc3339)
            .map(|t| t <= OffsetDateTime::now_utc())
            .unwrap_or(true);
        if expired {
            return Err(AuthError::Invalid);
        }
    }
    let role = Role::parse(&record.role).ok_or(AuthError::Invalid)?;
    let scope = match (record.organization_id, path) {
        (None, _) => Scope::All,
        (Some(organization_id), Some(path)) => Scope::Under {
            organization_id,
            path,
        },
        // The key's organisation was deleted: the key opens nothing.
        (Some(_), None) => return Err(AuthError::Invalid),
    };
    Ok(Principal {
        key_id: record.id,
        role,
        scope,
    })
}
