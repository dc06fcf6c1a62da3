//! `POST /api/v1/import`: bulk load of organisations, profiles and programmes.

use super::AppState;
use super::extract::{Caller, QueryParams, media_type};
use super::problem::{ApiError, Problem};
use super::views::files::CsvText;
use super::views::import::ImportRequest;
use crate::domain::FieldError;
use crate::service::auth::Permission;
use crate::service::import::{self, Batch, CsvKind, ImportReport};
use actix_web::web::{BytesMut, Data, Payload};
use actix_web::{HttpRequest, HttpResponse, post};
use futures_util::StreamExt;

/// Largest import body accepted (a region's banks as CSV fit easily).
pub const MAX_IMPORT_BYTES: usize = 64 * 1024 * 1024;

/// Bulk load.
///
/// JSON body `{organizations, mentors, mentees, programmes}` (each
/// optional, `Content-Type: application/json`), or a CSV file
/// (`Content-Type: text/csv`, `?kind=mentors`, `mentees` or
/// `organizations`): UTF-8, comma separated, a header row naming the
/// fields, list cells separated by `;`, nested fields as
/// `consent.given_by`, `consent.date`, `consent.purposes`. JSON values
/// must have their JSON types; CSV cells are text, read as the field
/// needs. A CSV header naming no column of the kind is refused.
///
/// All or nothing by default: one bad row and nothing is applied; the
/// `422` lists every bad row with its number, id and each bad field.
/// `?partial=true` applies the good rows and reports the rest. Importing
/// the same data again changes nothing and counts the rows as unchanged.
#[utoipa::path(
    tag = "import",
    params(
        ("kind" = Option<CsvKind>, Query, description = "What a CSV body holds (required for CSV)"),
        ("partial" = Option<bool>, Query, description = "Apply the good rows even if some are bad"),
    ),
    request_body(
        description = "JSON {organizations, mentors, mentees, programmes}, or one CSV file of a kind",
        content(
            (ImportRequest = "application/json"),
            (CsvText = "text/csv"),
        )
    ),
    responses(
        (status = 200, description = "Applied", body = ImportReport),
        (status = 400, description = "The body is not a batch", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Neither JSON nor CSV", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Rows rejected (nothing applied), a bad parameter, or a CSV header naming no known column", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/import")]
pub async fn import_batch(
    state: Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    mut payload: Payload,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::WriteProfiles)?.clone();
    let query = QueryParams::parse(&req, &["kind", "partial"])?;
    let partial = match query.get("partial") {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            return Err(ApiError::Invalid(vec![FieldError::new(
                "partial",
                "must be true or false",
            )]));
        }
    };
    let csv_kind = query.vocabulary_serde::<CsvKind>("kind")?;
    // What the body is, and for CSV of which kind, is settled before a
    // byte of it is read.
    let csv_kind = match media_type(&req).as_deref() {
        Some("text/csv") => Some(csv_kind.ok_or_else(|| {
            ApiError::Invalid(vec![FieldError::new(
                "kind",
                "is required for CSV: mentors, mentees or organizations",
            )])
        })?),
        Some("application/json") => None,
        Some(other) => {
            return Err(ApiError::UnsupportedMediaType(format!(
                "cannot import {other}; send application/json or text/csv"
            )));
        }
        None => {
            return Err(ApiError::UnsupportedMediaType(
                "say what the body is: Content-Type: application/json or text/csv".into(),
            ));
        }
    };

    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::Malformed(format!("the body could not be read: {e}")))?;
        if body.len() + chunk.len() > MAX_IMPORT_BYTES {
            return Err(ApiError::PayloadTooLarge(MAX_IMPORT_BYTES));
        }
        body.extend_from_slice(&chunk);
    }

    let mut batch = match csv_kind {
        Some(kind) => Batch::from_csv(kind, &body)?,
        None => Batch::from_json(&body)?,
    };
    // A key that may not read some pupils' sensitive fields keeps them as
    // stored and cannot set them, in bulk as in a PUT.
    if principal.role != crate::service::auth::Role::Admin {
        let stored: std::collections::HashMap<String, serde_json::Value> = state
            .store
            .documents_by_ids(crate::store::Table::Mentees, &batch.mentee_ids())
            .await?
            .into_iter()
            .filter_map(|s| Some((s.id, serde_json::from_str(&s.doc).ok()?)))
            .collect();
        batch.guard_mentees(|value| {
            let previous = value
                .get("id")
                .and_then(serde_json::Value::as_str)
                .and_then(|id| stored.get(id.trim()));
            super::privacy::guard_mentee_write(&principal, value, previous)
        });
    }
    let rows = batch.len();
    let started = std::time::Instant::now();
    let report = import::import(
        state.store.as_ref(),
        &principal.scope,
        batch,
        partial,
        &caller.actor(),
    )
    .await?;
    tracing::info!(
        rows,
        created = report.created,
        updated = report.updated,
        unchanged = report.unchanged,
        rejected = report.rejected.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        key_id = %principal.key_id,
        "import applied"
    );
    super::audit::record(
        &state,
        &caller,
        "import.applied",
        "import",
        serde_json::json!({"rows": rows, "created": report.created, "updated": report.updated,
                           "unchanged": report.unchanged, "rejected": report.rejected.len()}),
    )
    .await;
    let lang = super::i18n::request_lang(&req);
    Ok(HttpResponse::Ok()
        .insert_header((
            actix_web::http::header::CONTENT_LANGUAGE,
            super::i18n::language_tag(lang),
        ))
        .json(super::i18n::translate_report(report, lang)))
}
