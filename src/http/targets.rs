//! Planned values of the indicators per organisation, indicator and
//! period, shown beside the actual values in the indicators report.

use super::AppState;
use super::extract::{Caller, JsonBody, NoQuery, json_body, path_id};
use super::problem::{ApiError, Problem};
use super::views::reports::Targets;
use crate::service::auth::Permission;
use crate::service::targets::{self, TargetError};
use actix_web::web::{Data, Path};
use actix_web::{HttpResponse, get, put};

impl From<TargetError> for ApiError {
    fn from(err: TargetError) -> Self {
        match err {
            TargetError::Invalid(errors) => ApiError::Invalid(errors),
            TargetError::NotFound => ApiError::NotFound,
            TargetError::Store(store) => store.into(),
        }
    }
}

/// Replace the planned values of an organisation's indicators.
///
/// Each target is an indicator's planned per cent for a month `YYYY-MM`
/// or a year `YYYY`; the report of a month shows the month's target, else
/// the year's, beside the actual per cent with the gap. Audited.
#[utoipa::path(
    tag = "reports",
    params(("id" = String, Path, description = "Organisation id")),
    request_body = Targets,
    responses(
        (status = 200, description = "The targets now stored", body = Targets),
        (status = 404, description = "No such organisation in your scope", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown indicator, a bad period or a per cent outside 0..100, each named", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/organizations/{id}/targets")]
pub async fn put_targets(
    state: Data<AppState>,
    caller: Caller,
    _query: NoQuery,
    id: Path<String>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::WriteTargets)?;
    let id = path_id(&id)?;
    let body = json_body(&body)?;
    let stored = targets::put(
        state.store.as_ref(),
        &principal.scope,
        id.as_str(),
        &body,
        &caller.actor(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(Targets::new(&stored)?))
}

/// The planned values of an organisation's indicators.
#[utoipa::path(
    tag = "reports",
    params(("id" = String, Path, description = "Organisation id")),
    responses(
        (status = 200, description = "The targets", body = Targets),
        (status = 404, description = "No such organisation in your scope", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/organizations/{id}/targets")]
pub async fn get_targets(
    state: Data<AppState>,
    caller: Caller,
    _query: NoQuery,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::ReadReports)?;
    let id = path_id(&id)?;
    let stored = targets::get(state.store.as_ref(), &principal.scope, id.as_str()).await?;
    Ok(HttpResponse::Ok().json(Targets::new(&stored)?))
}
