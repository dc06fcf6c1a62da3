//! `/api/v1/programmes`: what a run matches, and how.

use super::AppState;
use super::conditional::{self, ProgrammePatch};
use super::documents::{self, ListPage};
use super::extract::{Caller, JsonBody, NoQuery, QueryParams, if_match, json_body, path_id};
use super::problem::{ApiError, Problem};
use crate::domain::{Form, Id, Programme};
use crate::service::auth::Permission;
use crate::service::banks::{Tree, programme_document};
use crate::store::{DocumentFilter, Preconditions, Scope, Table};
use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, put};

/// Create or replace a programme.
///
/// `PUT` replaces the whole programme (to change a few fields, use
/// `PATCH`). Left-out parts take documented defaults: no `group` means
/// individual pairs; `weights` default to subjects 0.25, requests 0.25,
/// interests 0.1, availability 0.1, class_teacher 0.1, experience 0.1,
/// age_gap 0.05, load 0.05, wishes 0. Weights are relative importances:
/// stored as given (each 0..100, not all 0), divided by their sum for
/// scoring; answers show `weights_normalised` beside them (ignored on
/// input). `rules` default to the hard rules of the
/// target model (same organisation, trained mentors, tutors for special
/// needs, a grade gap of 1 in pupil_pupil, 5 years of experience for a
/// young specialist's mentor). Every organisation named must be in your
/// scope. `If-None-Match: *` creates only.
#[utoipa::path(
    tag = "programmes",
    params(("id" = String, Path, description = "Your id of the programme"),
           ("If-Match" = Option<String>, Header, description = "ETag the change is based on"),
           ("If-None-Match" = Option<String>, Header, description = "`*`: create only, never replace"),
           ("reason" = Option<String>, Query, description = "Why the weights changed, kept in their history")),
    request_body = Programme,
    responses(
        (status = 200, description = "Replaced (or unchanged)", body = Programme),
        (status = 201, description = "Created", body = Programme),
        (status = 412, description = "If-Match is stale, or If-None-Match: * and the programme exists", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, each named", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/programmes/{id}")]
pub async fn put_programme(
    state: Data<AppState>,
    caller: Caller,
    id: Path<String>,
    req: HttpRequest,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::WriteProgrammes)?;
    let id = path_id(&id)?;
    // The query is refused before the body is read, as on every route.
    QueryParams::parse(&req, &["reason"])?;
    let value = json_body(&body)?;
    let preconditions = conditional::preconditions(&req)?;
    write_programme(&state, &caller, &id, &req, &value, &preconditions).await
}

/// Change some fields of a programme.
///
/// A JSON Merge Patch (RFC 7396, `application/merge-patch+json`) applied
/// to the stored programme, then checked like a `PUT` body: members named
/// replace the stored ones, `null` removes one (it takes its default),
/// objects such as `weights` merge member by member, arrays are replaced.
#[utoipa::path(
    tag = "programmes",
    params(("id" = String, Path, description = "Your id of the programme"),
           ("If-Match" = Option<String>, Header, description = "ETag the change is based on"),
           ("reason" = Option<String>, Query, description = "Why the weights changed, kept in their history")),
    request_body(content = ProgrammePatch, content_type = "application/merge-patch+json",
                 description = "The members to change; null removes one"),
    responses(
        (status = 200, description = "Changed (or unchanged)", body = Programme),
        (status = 404, description = "No such programme in your scope", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match is stale, or the programme changed meanwhile", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/merge-patch+json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The changed programme is invalid; every bad field is named", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/programmes/{id}")]
pub async fn patch_programme(
    state: Data<AppState>,
    caller: Caller,
    id: Path<String>,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::WriteProgrammes)?;
    let id = path_id(&id)?;
    // The query is refused before the body is read, as on every route.
    QueryParams::parse(&req, &["reason"])?;
    let patch = conditional::merge_patch_body(&req, &body)?;
    let stored = state
        .store
        .get_document(&principal.scope, Table::Programmes, id.as_str())
        .await?
        .ok_or(ApiError::NotFound)?;
    let (value, preconditions) = conditional::apply_patch(&req, &stored, &patch)?;
    write_programme(&state, &caller, &id, &req, &value, &preconditions).await
}

/// Validates a whole programme, stores it under `preconditions` and
/// records its weights (with `?reason=`).
async fn write_programme(
    state: &AppState,
    caller: &Caller,
    id: &Id,
    req: &HttpRequest,
    value: &serde_json::Value,
    preconditions: &Preconditions,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::WriteProgrammes)?;
    let programme = Programme::parse(value, Some(id)).map_err(ApiError::Invalid)?;
    let tree = Tree::from_nodes(&state.store.organization_nodes(&Scope::All).await?);
    let anchor = tree
        .programme_anchor(&principal.scope, &programme)
        .map_err(ApiError::Invalid)?;
    let reason = QueryParams::parse(req, &["reason"])?
        .get("reason")
        .map(str::to_owned);
    let location = format!("/api/v1/programmes/{id}");
    let weights = serde_json::to_string(&programme.weights).unwrap_or_default();
    let response = documents::put(
        state,
        caller,
        Permission::WriteProgrammes,
        programme_document(&programme, &anchor),
        preconditions,
        location,
    )
    .await?;
    state
        .store
        .record_weights(id.as_str(), &weights, reason.as_deref(), &caller.actor())
        .await?;
    Ok(response)
}

/// Read a programme.
///
/// With `If-None-Match` naming the current `ETag`, the answer is `304`
/// without a body.
#[utoipa::path(
    tag = "programmes",
    params(("id" = String, Path),
           ("If-None-Match" = Option<String>, Header, description = "ETag of your copy")),
    responses(
        (status = 200, description = "The programme with defaults filled in, and its ETag", body = Programme),
        (status = 304, description = "Your copy is current"),
        (status = 404, description = "No such programme in your scope", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/programmes/{id}")]
pub async fn get_programme(
    state: Data<AppState>,
    caller: Caller,
    _query: NoQuery,
    id: Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::ReadProgrammes)?;
    let id = path_id(&id)?;
    // A wider programme that pairs the caller's people is readable too.
    crate::service::runs::programme_access(state.store.as_ref(), &principal.scope, id.as_str())
        .await?;
    let stored = state
        .store
        .get_document(&crate::store::Scope::All, Table::Programmes, id.as_str())
        .await?
        .ok_or(ApiError::NotFound)?;
    conditional::read_response(&req, &with_normalised_weights(stored))
}

/// A programme stored before answers carried `weights_normalised`, with
/// it added from its `weights` (the entity tag stays the stored one).
fn with_normalised_weights(mut stored: crate::store::Stored) -> crate::store::Stored {
    let Ok(serde_json::Value::Object(mut doc)) = serde_json::from_str(&stored.doc) else {
        return stored;
    };
    if doc.contains_key("weights_normalised") {
        return stored;
    }
    let Some(weights) = doc
        .get("weights")
        .and_then(|w| serde_json::from_value::<crate::domain::Weights>(w.clone()).ok())
    else {
        return stored;
    };
    if let Ok(normalised) = serde_json::to_value(weights.normalised()) {
        doc.insert("weights_normalised".into(), normalised);
        stored.doc = serde_json::Value::Object(doc).to_string();
    }
    stored
}

/// Delete a programme.
#[utoipa::path(
    tag = "programmes",
    params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such programme in your scope", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/programmes/{id}")]
pub async fn delete_programme(
    state: Data<AppState>,
    caller: Caller,
    _query: NoQuery,
    id: Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    documents::delete(
        &state,
        &caller,
        Permission::WriteProgrammes,
        Table::Programmes,
        id.as_str(),
        if_match(&req)?,
    )
    .await
}

/// List programmes in your scope.
#[utoipa::path(
    tag = "programmes",
    params(
        ("limit" = Option<u32>, Query, description = "Page size, 1..1000 (default 100)"),
        ("after" = Option<String>, Query, description = "Last id of the previous page"),
        ("organization_id" = Option<String>, Query, description = "Programmes anchored at this organisation or under it"),
        ("form" = Option<Form>, Query),
    ),
    responses((status = 200, description = "A page of programmes", body = ListPage<Programme>)),
    security(("bearer" = []))
)]
#[get("/programmes")]
pub async fn list_programmes(
    state: Data<AppState>,
    caller: Caller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let query = QueryParams::parse(&req, &["limit", "after", "organization_id", "form"])?;
    let filter = DocumentFilter {
        organization_id: query.get("organization_id").map(str::to_owned),
        kind: query
            .vocabulary::<Form>("form")?
            .map(|f| f.as_str().to_owned()),
        label: None,
    };
    let principal = caller.require(Permission::ReadProgrammes)?;
    let page = crate::service::runs::programmes_page(
        state.store.as_ref(),
        &principal.scope,
        &filter,
        &query.page()?,
    )
    .await?;
    documents::page_response(crate::store::Page {
        items: page
            .items
            .into_iter()
            .map(with_normalised_weights)
            .collect(),
        next: page.next,
    })
}

/// Every version of a programme's weights, oldest first: the weights, who
/// changed them, when and why (`?reason=` on the `PUT`). Runs name the
/// version they used.
#[utoipa::path(
    tag = "programmes",
    params(("id" = String, Path)),
    responses(
        (status = 200, description = "The versions", body = super::views::runs::WeightHistory),
        (status = 404, description = "No such programme in your scope", body = super::problem::Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/programmes/{id}/weights")]
pub async fn weight_history(
    state: Data<AppState>,
    caller: Caller,
    _query: NoQuery,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::ReadProgrammes)?;
    let id = path_id(&id)?;
    let items =
        crate::service::runs::weight_history(state.store.as_ref(), &principal.scope, id.as_str())
            .await?;
    Ok(HttpResponse::Ok().json(super::views::runs::WeightHistory { items }))
}
