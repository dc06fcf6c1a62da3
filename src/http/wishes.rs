//! Pins and wishes of a programme: what a curator fixes before a run and
//! what participants said at the joint meeting.

use super::AppState;
use super::extract::{Caller, JsonBody, NoQuery, json_body, path_id};
use super::problem::{ApiError, Problem};
use super::views::wishes::{PinList, PinRequest, PinView, Preferences};
use crate::domain::{FieldError, Id};
use crate::service::auth::Permission;
use crate::service::wishes;
use actix_web::web::{Data, Path};
use actix_web::{HttpResponse, delete, get, post, put};

/// Pin a pair in a programme.
///
/// Every later run keeps the pair as given, counts it against the
/// mentor's places and reports it as pinned. Both people must be in your
/// scope and in the programme's pool, and no hard rule may forbid the
/// pair. Pinning the same pair again changes nothing (`200`). Audited.
#[utoipa::path(
    tag = "pairs",
    params(("id" = String, Path, description = "Programme id")),
    request_body = PinRequest,
    responses(
        (status = 201, description = "Pinned", body = PinView),
        (status = 200, description = "The pair was pinned already", body = PinView),
        (status = 404, description = "No such programme in your scope", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The mentee is pinned to another mentor or already paired in this programme, or the mentor has no place left", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, someone not in the programme or your scope, or a hard rule forbids the pair (named)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/programmes/{id}/pins")]
pub async fn add_pin(
    state: Data<AppState>,
    caller: Caller,
    _query: NoQuery,
    id: Path<String>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::DecidePairs)?;
    let id = path_id(&id)?;
    let body = json_body(&body)?;
    let (pin, created) = wishes::pin(
        state.store.as_ref(),
        &principal.scope,
        id.as_str(),
        &body,
        &caller.actor(),
    )
    .await?;
    let view = PinView::from(&pin);
    Ok(if created {
        HttpResponse::Created().json(view)
    } else {
        HttpResponse::Ok().json(view)
    })
}

/// The pins of a programme, of the mentees in your scope.
#[utoipa::path(
    tag = "pairs",
    params(("id" = String, Path, description = "Programme id")),
    responses(
        (status = 200, description = "The pins, by mentee", body = PinList),
        (status = 404, description = "No such programme in your scope", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/programmes/{id}/pins")]
pub async fn list_pins(
    state: Data<AppState>,
    caller: Caller,
    _query: NoQuery,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::ReadPairs)?;
    let id = path_id(&id)?;
    let pins = wishes::pins(state.store.as_ref(), &principal.scope, id.as_str()).await?;
    Ok(HttpResponse::Ok().json(PinList {
        items: pins.iter().map(PinView::from).collect(),
    }))
}

/// Unpin a pair, named in the body as it was pinned.
///
/// Later runs propose for the mentee again. Audited.
#[utoipa::path(
    tag = "pairs",
    params(("id" = String, Path, description = "Programme id")),
    request_body = PinRequest,
    responses(
        (status = 200, description = "The pin removed", body = PinView),
        (status = 404, description = "No such programme, or no such pin, in your scope", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/programmes/{id}/pins")]
pub async fn remove_pin(
    state: Data<AppState>,
    caller: Caller,
    _query: NoQuery,
    id: Path<String>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::DecidePairs)?;
    let id = path_id(&id)?;
    let body = json_body(&body)?;
    let (mentor_id, mentee_id) = wishes::parse_unpin(&body).map_err(ApiError::Invalid)?;
    let pin = wishes::unpin(
        state.store.as_ref(),
        &principal.scope,
        id.as_str(),
        &mentee_id,
        Some(&mentor_id),
        &caller.actor(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(PinView::from(&pin)))
}

/// Unpin a mentee, whichever mentor it is pinned to.
///
/// Later runs propose for the mentee again. Audited.
#[utoipa::path(
    tag = "pairs",
    params(
        ("id" = String, Path, description = "Programme id"),
        ("mentee_id" = String, Path, description = "The pinned mentee"),
    ),
    responses(
        (status = 200, description = "The pin removed", body = PinView),
        (status = 404, description = "No such programme, or no pin of this mentee, in your scope", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/programmes/{id}/pins/{mentee_id}")]
pub async fn remove_mentee_pin(
    state: Data<AppState>,
    caller: Caller,
    _query: NoQuery,
    path: Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::DecidePairs)?;
    let (id, mentee) = path.into_inner();
    let id = path_id(&id)?;
    let mentee_id = Id::parse(&mentee)
        .map_err(|message| ApiError::Invalid(vec![FieldError::new("mentee_id", message)]))?;
    let pin = wishes::unpin(
        state.store.as_ref(),
        &principal.scope,
        id.as_str(),
        &mentee_id,
        None,
        &caller.actor(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(PinView::from(&pin)))
}

/// Record participants' wishes after the joint meeting.
///
/// For each person named, whom they would prefer, most wanted first (at
/// most 10): their list replaces the one stored (an empty list clears
/// it); people not named keep theirs. Everyone named must be in the
/// programme's pool, the people who wish in your scope, and a wish for a
/// pair a hard rule forbids is refused naming the pair and the rule.
/// Wishes order the preferences of the `stable`, `stable_mentor` and
/// `rank_maximal` objectives and the blocking pairs of every run. They are
/// personal data: audited, and erased with the person.
#[utoipa::path(
    tag = "programmes",
    params(("id" = String, Path, description = "Programme id")),
    request_body = Preferences,
    responses(
        (status = 200, description = "The programme's wishes now, of the people in your scope", body = Preferences),
        (status = 404, description = "No such programme in your scope", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid ids, more than 10 wishes, someone not in the programme or your scope, or a wish a hard rule forbids (each named)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/programmes/{id}/preferences")]
pub async fn put_preferences(
    state: Data<AppState>,
    caller: Caller,
    _query: NoQuery,
    id: Path<String>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::WritePreferences)?;
    let id = path_id(&id)?;
    let body = json_body(&body)?;
    let now = wishes::put_preferences(
        state.store.as_ref(),
        &principal.scope,
        id.as_str(),
        &body,
        &caller.actor(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(Preferences::from(now)))
}

/// Participants' wishes in a programme, of the people in your scope.
#[utoipa::path(
    tag = "programmes",
    params(("id" = String, Path, description = "Programme id")),
    responses(
        (status = 200, description = "The wishes", body = Preferences),
        (status = 404, description = "No such programme in your scope", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/programmes/{id}/preferences")]
pub async fn get_preferences(
    state: Data<AppState>,
    caller: Caller,
    _query: NoQuery,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::ReadProfiles)?;
    let id = path_id(&id)?;
    let wishes = wishes::preferences(state.store.as_ref(), &principal.scope, id.as_str()).await?;
    Ok(HttpResponse::Ok().json(Preferences::from(wishes)))
}
