//! The audit log as the API shows it.

use super::super::problem::ApiError;
use crate::service::auth::Role;
use crate::store::EventRecord;
use serde::Serialize;
use utoipa::ToSchema;

/// Who did what to what, when and from where.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AuditEvent {
    /// RFC 3339.
    #[schema(format = DateTime)]
    pub at: String,
    /// The key that acted.
    pub key_id: String,
    /// Its role.
    pub role: Role,
    /// What happened (`run.started`, `proposal.approved`, `pair.ended`, …).
    pub action: String,
    /// What it happened to (`run:ID`, `proposal:ID`, `pair:ID`, …).
    pub subject: String,
    /// The peer address, when known.
    pub origin: Option<String>,
    /// Details of the action; their fields depend on it.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

impl AuditEvent {
    /// The view of a stored event; a stored role the API does not know or
    /// detail that does not read back is a fault inside.
    pub fn new(e: &EventRecord) -> Result<Self, ApiError> {
        let role = Role::parse(&e.role).ok_or_else(|| {
            ApiError::Internal(format!("audit event: stored role {:?} unknown", e.role))
        })?;
        let detail = serde_json::from_str(&e.detail).map_err(|err| {
            ApiError::Internal(format!("audit event: stored detail unreadable: {err}"))
        })?;
        Ok(Self {
            at: e.at.clone(),
            key_id: e.key_id.clone(),
            role,
            action: e.action.clone(),
            subject: e.subject.clone(),
            origin: e.origin.clone(),
            detail,
        })
    }
}

/// A page of the audit log, newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditPage {
    /// The events.
    pub items: Vec<AuditEvent>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}
