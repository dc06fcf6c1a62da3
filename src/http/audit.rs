//! `GET /api/v1/audit`: who read or changed what, when, from where.

use super::AppState;
use super::extract::{Caller, QueryParams};
use super::problem::{ApiError, Problem};
use super::views::audit::{AuditEvent, AuditPage};
use crate::service::auth::Permission;
use crate::store::EventFilter;
use actix_web::web::Data;
use actix_web::{HttpRequest, HttpResponse, get};
use serde_json::Value;

/// Records an access or change; a failure to record is logged, never
/// shown to the caller (the action itself already happened).
pub async fn record(state: &AppState, caller: &Caller, action: &str, subject: &str, detail: Value) {
    if let Err(error) = state
        .store
        .record(&caller.actor(), action, subject, &detail.to_string())
        .await
    {
        tracing::error!(action, error = %crate::telemetry::error_chain(&error), "audit record failed");
    }
}

/// The audit log, newest first (admins only): every run, approval,
/// rejection, pairing and ending, every change of a profile, consent,
/// programme (and so its weights), every import, export and read of
/// sensitive fields, with the key id, role, time and peer address. It
/// cannot be changed through the API. A page at a time: `{items, next}`;
/// pass `next` as `after` for the following page.
#[utoipa::path(
    tag = "audit",
    params(
        ("subject" = Option<String>, Query, description = "e.g. mentee:ID, proposal:ID, pair:ID, run:ID"),
        ("key_id" = Option<String>, Query),
        ("action" = Option<String>, Query, description = "An action or its prefix, e.g. mentee. or proposal.approved"),
        ("since" = Option<String>, Query, description = "A date YYYY-MM-DD or an RFC 3339 date-time"),
        ("limit" = Option<u32>, Query, description = "Page size, 1..1000 (default 100)"),
        ("after" = Option<String>, Query, description = "The `next` of the previous page"),
    ),
    responses(
        (status = 200, description = "A page of events, newest first", body = AuditPage),
        (status = 422, description = "A bad filter or page", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/audit")]
pub async fn list_audit(
    state: Data<AppState>,
    caller: Caller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::ReadEvents)?;
    let query = QueryParams::parse(
        &req,
        &["subject", "key_id", "action", "since", "limit", "after"],
    )?;
    let page = query.page()?;
    let filter = EventFilter {
        subject: query.get("subject").map(str::to_owned),
        key_id: query.get("key_id").map(str::to_owned),
        action: query.get("action").map(str::to_owned),
        since: query.get("since").map(str::to_owned),
    };
    let (events, next) = state.store.list_events(&filter, &page).await?;
    let items = events
        .iter()
        .map(AuditEvent::new)
        .collect::<Result<_, _>>()?;
    Ok(HttpResponse::Ok().json(AuditPage { items, next }))
}
