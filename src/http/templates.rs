//! `GET /api/v1/templates/{kind}.xlsx`: blank workbooks for schools to fill.

use super::extract::{Caller, NoQuery};
use super::import::XLSX_TYPE;
use super::problem::{ApiError, Problem};
use super::views::files::Xlsx;
use crate::service::auth::Permission;
use crate::service::import::CsvKind;
use crate::service::templates;
use actix_web::http::header;
use actix_web::web::Path;
use actix_web::{HttpResponse, get};

/// A blank workbook for a bank, or for participants' wishes
/// (`preferences`: a row per person, «Программа», «Кто выбирает»,
/// «Участник», «1-й выбор» … «10-й выбор»): the first sheet's first row
/// holds the Russian headings (frozen), its cells offer drop-down lists of
/// the valid values and date cells; the sheet «Поля» lists each heading
/// beside its API field and what it accepts. Filled in, it imports as it
/// is through `POST /api/v1/import?kind=…`.
#[utoipa::path(
    tag = "import",
    params(("kind" = CsvKind, Path, description = "Which bank, or `preferences` for wishes")),
    responses(
        (status = 200, description = "XLSX", body = Xlsx, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 404, description = "No such kind", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/templates/{kind}.xlsx")]
pub async fn template(
    caller: Caller,
    _query: NoQuery,
    kind: Path<String>,
) -> Result<HttpResponse, ApiError> {
    // Whoever may import some kind may see which kinds there are.
    caller
        .require(Permission::WriteProfiles)
        .or_else(|_| caller.require(Permission::WritePreferences))?;
    let kind: CsvKind = serde_json::from_value(serde_json::Value::String(kind.into_inner()))
        .map_err(|_| ApiError::NotFound)?;
    caller.require(match kind {
        CsvKind::Preferences => Permission::WritePreferences,
        _ => Permission::WriteProfiles,
    })?;
    let bytes = actix_web::web::block(move || templates::template(kind))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(HttpResponse::Ok()
        .content_type(XLSX_TYPE)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}-template.xlsx\"", kind.as_str()),
        ))
        .body(bytes))
}
