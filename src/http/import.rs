//! `POST /api/v1/import`: bulk load of organisations, profiles and
//! programmes, or of participants' wishes.

use super::AppState;
use super::extract::{Caller, QueryParams, media_type};
use super::problem::{ApiError, Problem};
use super::views::files::{CsvText, Ods, Xlsx};
use super::views::import::ImportRequest;
use crate::domain::FieldError;
use crate::service::auth::Permission;
use crate::service::import::{self, Batch, CsvKind, ImportReport};
use crate::service::spreadsheet::{Delimiter, Encoding, Grid, ReadOptions, SheetFormat};
use actix_web::web::{BytesMut, Data, Payload};
use actix_web::{HttpRequest, HttpResponse, post};
use futures_util::StreamExt;

/// Largest import body accepted (a region's banks as CSV fit easily).
pub const MAX_IMPORT_BYTES: usize = 256 * 1024 * 1024;

/// Longest `?sheet=` accepted (Excel's sheet names have at most 31).
pub const MAX_SHEET_PARAM: usize = 100;

/// The content type of an XLSX workbook.
pub const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
/// The content type of an ODS workbook.
pub const ODS_TYPE: &str = "application/vnd.oasis.opendocument.spreadsheet";

/// What the body of an import is.
#[derive(Debug, Clone, Copy)]
enum Body {
    Json,
    Sheet(CsvKind, SheetFormat),
}

/// Bulk load.
///
/// JSON body `{organizations, mentors, mentees, programmes}` (each
/// optional, `Content-Type: application/json`), or one spreadsheet of a
/// kind (`?kind=mentors`, `mentees`, `organizations` or `preferences`): CSV
/// (`text/csv`) in UTF-8 with or without a byte-order mark or in
/// Windows-1251, separated by `,`, `;` or tab — both detected, reported
/// as `encoding` and `delimiter`, overridable with `?encoding=` and
/// `?delimiter=` —, or an XLSX or ODS workbook (its first sheet, or
/// `?sheet=` by name or number from 1; reported as `sheet`). The first
/// row names the columns by API field (`consent.date`) or by the Russian
/// headings of the templates (`GET /api/v1/templates/{kind}.xlsx`); values
/// may be codes or their Russian words («молодой специалист», «учитель –
/// ученик», да/нет), dates `YYYY-MM-DD` or `ДД.ММ.ГГГГ` or date cells;
/// list cells are separated by `;`. JSON values must have their JSON
/// types. A header naming no column of the kind is refused.
///
/// All or nothing by default: one bad row and nothing is applied; the
/// `422` lists every bad row with its number as the spreadsheet shows it,
/// its id and each bad field with the column's `heading`.
/// `?partial=true` applies the good rows and reports the rest. Importing
/// the same data again changes nothing and counts the rows as unchanged.
///
/// `kind=preferences` records participants' wishes, as `PUT
/// /api/v1/programmes/{id}/preferences` does, a row per person:
/// `programme_id` (Программа), `side` (Кто выбирает: `mentee`/`mentor` or
/// наставляемый/наставник), `person_id` (Участник), then `choice_1` …
/// `choice_10` (1-й выбор … 10-й выбор), most wanted first, filled without
/// gaps; a row without choices clears the person's wishes, people not in
/// the file keep theirs. Rows may cover several programmes; every one is
/// checked before any is written, and a wish the programme refuses is
/// named by its row and choice. Needs the right to record wishes (curators
/// have it) rather than to write profiles; the answer counts people as
/// `created`, `updated` or `unchanged` and reports `wishes_set` and
/// `wishes_cleared`.
/// Limits: 256 MiB of body (a generated 800-school region is 84 MB of
/// JSON), 100,000 rows × 200 columns, 64 sheets, 256 MiB unpacked.
#[utoipa::path(
    tag = "import",
    params(
        ("kind" = Option<CsvKind>, Query, description = "What a spreadsheet body holds (required for CSV, XLSX and ODS): a bank, or participants' wishes (`preferences`)"),
        ("partial" = Option<bool>, Query, description = "Apply the good rows even if some are bad"),
        ("encoding" = Option<Encoding>, Query, description = "The CSV encoding, instead of the detected one"),
        ("delimiter" = Option<Delimiter>, Query, description = "The CSV separator, instead of the detected one"),
        ("sheet" = Option<String>, Query, min_length = 1, max_length = 100, description = "The workbook's sheet to read, by name or number from 1 (default: the first)"),
    ),
    request_body(
        description = "JSON {organizations, mentors, mentees, programmes}, or one spreadsheet of a kind: CSV, XLSX or ODS",
        content(
            (ImportRequest = "application/json"),
            (CsvText = "text/csv"),
            (Xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (Ods = "application/vnd.oasis.opendocument.spreadsheet"),
        )
    ),
    responses(
        (status = 200, description = "Applied", body = ImportReport),
        (status = 400, description = "The body is not a batch (not JSON, not CSV, not a readable workbook)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Neither JSON, CSV, XLSX nor ODS", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Rows rejected (nothing applied), a bad parameter, a sheet too large, or a header naming no known column", body = Problem, content_type = "application/problem+json"),
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
    // A wishes sheet needs another right than the banks; a key with
    // neither is refused before its query is read.
    caller
        .require(Permission::WriteProfiles)
        .or_else(|_| caller.require(Permission::WritePreferences))?;
    let query = QueryParams::parse(&req, &["kind", "partial", "encoding", "delimiter", "sheet"])?;
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
    let options = ReadOptions {
        encoding: query.vocabulary_serde::<Encoding>("encoding")?,
        delimiter: query.vocabulary_serde::<Delimiter>("delimiter")?,
        sheet: match query.get("sheet") {
            Some(s) if s.is_empty() || s.chars().count() > MAX_SHEET_PARAM => {
                return Err(ApiError::Invalid(vec![FieldError::new(
                    "sheet",
                    format!("must be 1 to {MAX_SHEET_PARAM} characters"),
                )]));
            }
            other => other.map(str::to_owned),
        },
    };
    // What the body is, and for a spreadsheet of which kind, is settled
    // before a byte of it is read.
    let sheet = |format: SheetFormat| {
        csv_kind
            .map(|kind| Body::Sheet(kind, format))
            .ok_or_else(|| {
                ApiError::Invalid(vec![FieldError::new(
                    "kind",
                    "is required for CSV: mentors, mentees, organizations or preferences",
                )])
            })
    };
    let what = match media_type(&req).as_deref() {
        Some("text/csv") => sheet(SheetFormat::Csv)?,
        Some(XLSX_TYPE) => sheet(SheetFormat::Xlsx)?,
        Some(ODS_TYPE) => sheet(SheetFormat::Ods)?,
        Some("application/json") => Body::Json,
        Some(other) => {
            return Err(ApiError::UnsupportedMediaType(format!(
                "cannot import {other}; send application/json, text/csv, XLSX or ODS"
            )));
        }
        None => {
            return Err(ApiError::UnsupportedMediaType(
                "say what the body is: Content-Type: application/json or text/csv".into(),
            ));
        }
    };
    // What is written decides the right needed, whatever `kind` says of
    // a JSON body.
    let principal = caller
        .require(match what {
            Body::Sheet(CsvKind::Preferences, _) => Permission::WritePreferences,
            _ => Permission::WriteProfiles,
        })?
        .clone();
    if matches!(what, Body::Json) {
        for (name, given) in [
            ("encoding", options.encoding.is_some()),
            ("delimiter", options.delimiter.is_some()),
            ("sheet", options.sheet.is_some()),
        ] {
            if given {
                return Err(ApiError::Invalid(vec![FieldError::new(
                    name,
                    "applies to spreadsheets only",
                )]));
            }
        }
    }

    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::Malformed(format!("the body could not be read: {e}")))?;
        if body.len() + chunk.len() > MAX_IMPORT_BYTES {
            return Err(ApiError::PayloadTooLarge(MAX_IMPORT_BYTES));
        }
        body.extend_from_slice(&chunk);
    }

    let (mut batch, grid) = match what {
        Body::Sheet(kind, format) => {
            // Unpacking and reading a workbook is CPU work: off the
            // request threads.
            let body = body.freeze();
            actix_web::web::block(move || Batch::from_spreadsheet(kind, format, &body, &options))
                .await
                .map_err(|e| ApiError::Internal(format!("the spreadsheet reader stopped: {e}")))??
        }
        Body::Json => (Batch::from_json(&body)?, Grid::default()),
    };
    // A key that may not read some pupils' sensitive fields keeps them as
    // stored and cannot set them, in bulk as in a PUT.
    if principal.role != crate::service::auth::Role::Admin
        && !matches!(what, Body::Sheet(CsvKind::Preferences, _))
    {
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
    let mut report = import::import(
        state.store.as_ref(),
        &principal.scope,
        batch,
        partial,
        &caller.actor(),
    )
    .await?;
    report.encoding = grid.encoding;
    report.delimiter = grid.delimiter;
    report.sheet = grid.sheet;
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
