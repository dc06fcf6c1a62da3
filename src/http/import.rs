//! `POST /api/v1/import`: bulk load of organisations, profiles and programmes.

use super::AppState;
use super::extract::{Caller, QueryParams};
use super::problem::{ApiError, Problem};
use crate::auth::Permission;
use crate::domain::FieldError;
use crate::import::{self, Batch, CsvKind, ImportReport};
use actix_web::http::header;
use actix_web::web::{BytesMut, Data, Payload};
use actix_web::{HttpRequest, HttpResponse, post};
use futures_util::StreamExt;

/// Largest import body accepted (a region's banks as CSV fit easily).
pub const MAX_IMPORT_BYTES: usize = 64 * 1024 * 1024;

/// Bulk load.
///
/// JSON body `{organizations, mentors, mentees, programmes}` (each
/// optional), or a CSV file (`Content-Type: text/csv`, `?kind=mentors`,
/// `mentees` or `organizations`): UTF-8, comma separated, a header row
/// naming the fields, list cells separated by `;`, nested fields as
/// `consent.given_by`, `consent.date`, `consent.purposes`.
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
            (serde_json::Value = "application/json"),
            (String = "text/csv"),
        )
    ),
    responses(
        (status = 200, description = "Applied", body = ImportReport),
        (status = 400, description = "The body is not a batch", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Neither JSON nor CSV", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Rows rejected; nothing applied", body = Problem, content_type = "application/problem+json"),
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
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    let csv_kind = query.vocabulary_serde::<CsvKind>("kind")?;

    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::Malformed(format!("the body could not be read: {e}")))?;
        if body.len() + chunk.len() > MAX_IMPORT_BYTES {
            return Err(ApiError::PayloadTooLarge(MAX_IMPORT_BYTES));
        }
        body.extend_from_slice(&chunk);
    }

    let batch = match content_type.as_str() {
        "text/csv" => {
            let kind = csv_kind.ok_or_else(|| {
                ApiError::Invalid(vec![FieldError::new(
                    "kind",
                    "is required for CSV: mentors, mentees or organizations",
                )])
            })?;
            Batch::from_csv(kind, &body)?
        }
        "" | "application/json" => Batch::from_json(&body)?,
        other => {
            return Err(ApiError::UnsupportedMediaType(format!(
                "cannot import {other}; send application/json or text/csv"
            )));
        }
    };
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
    Ok(HttpResponse::Ok().json(report))
}
