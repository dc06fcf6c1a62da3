//! `/api/v1/organizations`: the tree region → municipality → organisation.

use super::AppState;
use super::conditional::{self, OrganizationPatch};
use super::documents::{ListPage, page_response, written_response};
use super::extract::{Caller, JsonBody, NoQuery, QueryParams, if_match, json_body, path_id};
use super::problem::{ApiError, Problem};
use crate::domain::{Id, Organization, OrganizationKind};
use crate::service::auth::Permission;
use crate::service::banks::{Tree, organization_row};
use crate::store::{OrganizationFilter, Preconditions};
use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, put};

/// Create or replace an organisation.
///
/// A municipality sits under a region; schools, colleges, centres and
/// employers under a municipality (or directly under a region). Moving an
/// organisation to another parent moves everything under it. `PUT`
/// replaces the whole organisation (to change a few fields, use `PATCH`);
/// `If-None-Match: *` creates only.
#[utoipa::path(
    tag = "organizations",
    params(("id" = String, Path, description = "Your system's id of the organisation"),
           ("If-Match" = Option<String>, Header, description = "ETag the change is based on"),
           ("If-None-Match" = Option<String>, Header, description = "`*`: create only, never replace")),
    request_body = Organization,
    responses(
        (status = 200, description = "Replaced (or unchanged)", body = Organization),
        (status = 201, description = "Created", body = Organization),
        (status = 412, description = "If-Match is stale, or If-None-Match: * and the organisation exists", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, each named", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/organizations/{id}")]
pub async fn put_organization(
    state: Data<AppState>,
    caller: Caller,
    _query: NoQuery,
    id: Path<String>,
    req: HttpRequest,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::WriteOrganizations)?;
    let id = path_id(&id)?;
    let value = json_body(&body)?;
    let preconditions = conditional::preconditions(&req)?;
    write_organization(&state, &caller, &id, &value, &preconditions).await
}

/// Change some fields of an organisation.
///
/// A JSON Merge Patch (RFC 7396, `application/merge-patch+json`) applied
/// to the stored organisation, then checked like a `PUT` body: members
/// named replace the stored ones, `null` removes one, objects such as
/// `pupils_by_grade` merge member by member.
#[utoipa::path(
    tag = "organizations",
    params(("id" = String, Path, description = "Your system's id of the organisation"),
           ("If-Match" = Option<String>, Header, description = "ETag the change is based on")),
    request_body(content = OrganizationPatch, content_type = "application/merge-patch+json",
                 description = "The members to change; null removes one"),
    responses(
        (status = 200, description = "Changed (or unchanged)", body = Organization),
        (status = 404, description = "No such organisation in your scope", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match is stale, or the organisation changed meanwhile", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/merge-patch+json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The changed organisation is invalid; every bad field is named", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/organizations/{id}")]
pub async fn patch_organization(
    state: Data<AppState>,
    caller: Caller,
    _query: NoQuery,
    id: Path<String>,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::WriteOrganizations)?;
    let id = path_id(&id)?;
    let patch = conditional::merge_patch_body(&req, &body)?;
    let stored = state
        .store
        .get_organization(&principal.scope, id.as_str())
        .await?
        .ok_or(ApiError::NotFound)?;
    let (value, preconditions) = conditional::apply_patch(&req, &stored, &patch)?;
    write_organization(&state, &caller, &id, &value, &preconditions).await
}

/// Validates a whole organisation against the tree, stores it under
/// `preconditions` and audits the change.
async fn write_organization(
    state: &AppState,
    caller: &Caller,
    id: &Id,
    value: &serde_json::Value,
    preconditions: &Preconditions,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::WriteOrganizations)?;
    let org = Organization::parse(value, Some(id)).map_err(ApiError::Invalid)?;
    let tree = Tree::from_nodes(
        &state
            .store
            .organization_nodes(&crate::store::Scope::All)
            .await?,
    );
    let errors = tree.check_organization(&principal.scope, &org);
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let row = organization_row(&org);
    let (outcome, etag) = state
        .store
        .put_organization(&principal.scope, &row, preconditions)
        .await?;
    tracing::info!(id = %id, outcome = ?outcome, key_id = %principal.key_id, "organisation written");
    if outcome != crate::store::WriteOutcome::Unchanged {
        super::audit::record(
            state,
            caller,
            "organization.written",
            &format!("organization:{id}"),
            serde_json::json!({"etag": etag}),
        )
        .await;
    }
    Ok(written_response(
        outcome,
        &etag,
        &row.doc,
        format!("/api/v1/organizations/{id}"),
    ))
}

/// Read an organisation.
///
/// With `If-None-Match` naming the current `ETag`, the answer is `304`
/// without a body.
#[utoipa::path(
    tag = "organizations",
    params(("id" = String, Path),
           ("If-None-Match" = Option<String>, Header, description = "ETag of your copy")),
    responses(
        (status = 200, description = "The organisation, with its ETag", body = Organization),
        (status = 304, description = "Your copy is current"),
        (status = 404, description = "No such organisation in your scope", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/organizations/{id}")]
pub async fn get_organization(
    state: Data<AppState>,
    caller: Caller,
    _query: NoQuery,
    id: Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::ReadOrganizations)?;
    let id = path_id(&id)?;
    let stored = state
        .store
        .get_organization(&principal.scope, id.as_str())
        .await?
        .ok_or(ApiError::NotFound)?;
    conditional::read_response(&req, &stored)
}

/// Delete an organisation that has nothing under it.
///
/// An organisation with child organisations, profiles or programmes is
/// kept (`409`): deleting it would lose their data.
#[utoipa::path(
    tag = "organizations",
    params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such organisation in your scope", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Something still belongs to it", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/organizations/{id}")]
pub async fn delete_organization(
    state: Data<AppState>,
    caller: Caller,
    _query: NoQuery,
    id: Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::WriteOrganizations)?;
    let id = path_id(&id)?;
    state
        .store
        .delete_organization(&principal.scope, id.as_str(), if_match(&req)?.as_deref())
        .await?;
    tracing::info!(id = %id, key_id = %principal.key_id, "organisation deleted");
    super::audit::record(
        &state,
        &caller,
        "organization.deleted",
        &format!("organization:{id}"),
        serde_json::json!({}),
    )
    .await;
    Ok(HttpResponse::NoContent().finish())
}

/// List organisations in your scope.
#[utoipa::path(
    tag = "organizations",
    params(
        ("limit" = Option<u32>, Query, description = "Page size, 1..1000 (default 100)"),
        ("after" = Option<String>, Query, description = "Last id of the previous page"),
        ("parent_id" = Option<String>, Query, description = "Only direct children of this organisation"),
        ("kind" = Option<OrganizationKind>, Query),
    ),
    responses((status = 200, description = "A page of organisations", body = ListPage<Organization>)),
    security(("bearer" = []))
)]
#[get("/organizations")]
pub async fn list_organizations(
    state: Data<AppState>,
    caller: Caller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::ReadOrganizations)?;
    let query = QueryParams::parse(&req, &["limit", "after", "parent_id", "kind"])?;
    let filter = OrganizationFilter {
        parent_id: query.get("parent_id").map(str::to_owned),
        kind: query
            .vocabulary::<OrganizationKind>("kind")?
            .map(|k| k.as_str().to_owned()),
    };
    let page = state
        .store
        .list_organizations(&principal.scope, &filter, &query.page()?)
        .await?;
    page_response(page)
}
