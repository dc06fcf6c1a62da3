//! `/api/v1/mentors` and `/api/v1/mentees`: the two banks.

use super::AppState;
use super::documents::{self, ListPage};
use super::extract::{Caller, QueryParams, if_match, json_body, path_id};
use super::problem::{ApiError, Problem};
use super::{audit, privacy};
use crate::auth::Permission;
use crate::banks::{mentee_document, mentor_document};
use crate::domain::{Form, MenteeCategory, MenteeProfile, MentorProfile, PersonKind};
use crate::store::{DocumentFilter, Table};
use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse, delete, get, post, put};

/// Create or replace a mentor profile.
///
/// The body is the whole profile (fields left out take their defaults).
/// Send `If-Match` with the `ETag` you read to refuse lost updates.
#[utoipa::path(
    tag = "mentors",
    params(("id" = String, Path, description = "Your system's id of the person"),
           ("If-Match" = Option<String>, Header, description = "ETag the change is based on")),
    request_body = MentorProfile,
    responses(
        (status = 200, description = "Replaced (or unchanged)", body = MentorProfile),
        (status = 201, description = "Created", body = MentorProfile),
        (status = 412, description = "If-Match is stale", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, each named", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/mentors/{id}")]
pub async fn put_mentor(
    state: Data<AppState>,
    caller: Caller,
    id: Path<String>,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::WriteProfiles)?;
    let id = path_id(&id)?;
    let profile = MentorProfile::parse(&json_body(&body)?, Some(&id)).map_err(ApiError::Invalid)?;
    let location = format!("/api/v1/mentors/{id}");
    documents::put(
        &state,
        &caller,
        Permission::WriteProfiles,
        mentor_document(&profile),
        if_match(&req)?,
        location,
    )
    .await
}

/// Read a mentor profile.
#[utoipa::path(
    tag = "mentors",
    params(("id" = String, Path)),
    responses(
        (status = 200, description = "The profile, with its ETag", body = MentorProfile),
        (status = 404, description = "No such profile in your scope", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/mentors/{id}")]
pub async fn get_mentor(
    state: Data<AppState>,
    caller: Caller,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    documents::get(
        &state,
        &caller,
        Permission::ReadProfiles,
        Table::Mentors,
        id.as_str(),
    )
    .await
}

/// Delete a mentor profile.
#[utoipa::path(
    tag = "mentors",
    params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such profile in your scope", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/mentors/{id}")]
pub async fn delete_mentor(
    state: Data<AppState>,
    caller: Caller,
    id: Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    erase_deleted(&state, &caller, &req, Table::Mentors, id.as_str()).await
}

/// List mentor profiles in your scope.
///
/// `organization_id` keeps that organisation and everything under it.
#[utoipa::path(
    tag = "mentors",
    params(
        ("limit" = Option<u32>, Query, description = "Page size, 1..1000 (default 100)"),
        ("after" = Option<String>, Query, description = "Last id of the previous page"),
        ("organization_id" = Option<String>, Query),
        ("kind" = Option<PersonKind>, Query),
        ("form" = Option<Form>, Query, description = "Mentors who accept this form"),
    ),
    responses((status = 200, description = "A page of profiles", body = ListPage<MentorProfile>)),
    security(("bearer" = []))
)]
#[get("/mentors")]
pub async fn list_mentors(
    state: Data<AppState>,
    caller: Caller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let query = QueryParams::parse(&req, &["limit", "after", "organization_id", "kind", "form"])?;
    let filter = DocumentFilter {
        organization_id: query.get("organization_id").map(str::to_owned),
        kind: query
            .vocabulary::<PersonKind>("kind")?
            .map(|k| k.as_str().to_owned()),
        label: query
            .vocabulary::<Form>("form")?
            .map(|f| f.as_str().to_owned()),
    };
    documents::list(
        &state,
        &caller,
        Permission::ReadProfiles,
        Table::Mentors,
        &query,
        filter,
    )
    .await
}

/// Create or replace a mentee profile.
#[utoipa::path(
    tag = "mentees",
    params(("id" = String, Path, description = "Your system's id of the person"),
           ("If-Match" = Option<String>, Header, description = "ETag the change is based on")),
    request_body = MenteeProfile,
    responses(
        (status = 200, description = "Replaced (or unchanged)", body = MenteeProfile),
        (status = 201, description = "Created", body = MenteeProfile),
        (status = 412, description = "If-Match is stale", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, each named", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/mentees/{id}")]
pub async fn put_mentee(
    state: Data<AppState>,
    caller: Caller,
    id: Path<String>,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::WriteProfiles)?;
    let id = path_id(&id)?;
    let profile = MenteeProfile::parse(&json_body(&body)?, Some(&id)).map_err(ApiError::Invalid)?;
    let location = format!("/api/v1/mentees/{id}");
    documents::put(
        &state,
        &caller,
        Permission::WriteProfiles,
        mentee_document(&profile),
        if_match(&req)?,
        location,
    )
    .await
}

/// Read a mentee profile.
#[utoipa::path(
    tag = "mentees",
    params(("id" = String, Path)),
    responses(
        (status = 200, description = "The profile, with its ETag", body = MenteeProfile),
        (status = 404, description = "No such profile in your scope", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/mentees/{id}")]
pub async fn get_mentee(
    state: Data<AppState>,
    caller: Caller,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::ReadProfiles)?;
    let id = path_id(&id)?;
    let stored = state
        .store
        .get_document(&principal.scope, Table::Mentees, id.as_str())
        .await?
        .ok_or(ApiError::NotFound)?;
    let mut doc: serde_json::Value =
        serde_json::from_str(&stored.doc).map_err(|e| ApiError::Internal(e.to_string()))?;
    if !privacy::reads_sensitive(principal) {
        privacy::mask_mentee(&mut doc);
    } else if privacy::is_sensitive_mentee(&doc) {
        audit::record(
            &state,
            &caller,
            "mentee.sensitive_read",
            &format!("mentee:{id}"),
            serde_json::json!({}),
        )
        .await;
    }
    Ok(HttpResponse::Ok()
        .insert_header((
            actix_web::http::header::ETAG,
            documents::quoted(&stored.etag),
        ))
        .json(doc))
}

/// Delete a mentee profile.
#[utoipa::path(
    tag = "mentees",
    params(("id" = String, Path), ("If-Match" = Option<String>, Header)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such profile in your scope", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/mentees/{id}")]
pub async fn delete_mentee(
    state: Data<AppState>,
    caller: Caller,
    id: Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    erase_deleted(&state, &caller, &req, Table::Mentees, id.as_str()).await
}

/// List mentee profiles in your scope.
#[utoipa::path(
    tag = "mentees",
    params(
        ("limit" = Option<u32>, Query, description = "Page size, 1..1000 (default 100)"),
        ("after" = Option<String>, Query, description = "Last id of the previous page"),
        ("organization_id" = Option<String>, Query),
        ("kind" = Option<PersonKind>, Query),
        ("category" = Option<MenteeCategory>, Query),
    ),
    responses((status = 200, description = "A page of profiles", body = ListPage<MenteeProfile>)),
    security(("bearer" = []))
)]
#[get("/mentees")]
pub async fn list_mentees(
    state: Data<AppState>,
    caller: Caller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let query = QueryParams::parse(
        &req,
        &["limit", "after", "organization_id", "kind", "category"],
    )?;
    let filter = DocumentFilter {
        organization_id: query.get("organization_id").map(str::to_owned),
        kind: query
            .vocabulary::<PersonKind>("kind")?
            .map(|k| k.as_str().to_owned()),
        label: query
            .vocabulary::<MenteeCategory>("category")?
            .map(|c| c.as_str().to_owned()),
    };
    let principal = caller.require(Permission::ReadProfiles)?;
    let privileged = privacy::reads_sensitive(principal);
    if !privileged
        && query
            .vocabulary::<MenteeCategory>("category")?
            .is_some_and(MenteeCategory::is_sensitive)
    {
        return Err(ApiError::Forbidden(
            "your key's role may not select by a sensitive category",
        ));
    }
    let page = state
        .store
        .list_documents(&principal.scope, Table::Mentees, &filter, &query.page()?)
        .await?;
    let mut items = Vec::with_capacity(page.items.len());
    let mut sensitive = Vec::new();
    for stored in &page.items {
        let mut doc: serde_json::Value =
            serde_json::from_str(&stored.doc).map_err(|e| ApiError::Internal(e.to_string()))?;
        if !privileged {
            privacy::mask_mentee(&mut doc);
        } else if privacy::is_sensitive_mentee(&doc) {
            sensitive.push(stored.id.clone());
        }
        items.push(doc);
    }
    if !sensitive.is_empty() {
        audit::record(
            &state,
            &caller,
            "mentee.sensitive_read",
            "mentees",
            serde_json::json!({"ids": sensitive}),
        )
        .await;
    }
    Ok(HttpResponse::Ok().json(ListPage {
        items,
        next: page.next,
    }))
}

/// Erases a person the caller may see in `table`: see
/// [`crate::store::Store::erase_person`].
async fn erase(
    state: &AppState,
    caller: &Caller,
    permission: Permission,
    table: Table,
    id: &str,
    why: &str,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(permission)?;
    state
        .store
        .get_document(&principal.scope, table, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let pseudonym = format!("erased-{}", uuid::Uuid::new_v4().simple());
    let today = crate::domain::parse::format_date(time::OffsetDateTime::now_utc().date());
    let erasure = state
        .store
        .erase_person(id, &pseudonym, &today, why, &caller.actor())
        .await?;
    tracing::info!(
        proposals_withdrawn = erasure.proposals_withdrawn,
        pairs_ended = erasure.pairs_ended,
        runs_rewritten = erasure.runs_rewritten,
        key_id = %principal.key_id,
        "person erased"
    );
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "erased": true,
        "proposals_withdrawn": erasure.proposals_withdrawn,
        "pairs_ended": erasure.pairs_ended,
        "runs_rewritten": erasure.runs_rewritten,
    })))
}

/// Record that a mentee (or their parent or guardian) withdrew consent.
///
/// In one transaction: the person leaves every pending proposal, their
/// active pairs end with `consent_withdrawn`, their profiles in both banks
/// are deleted, and every stored mention of their id (runs, score
/// matrices, pairs, the audit log) is replaced by an anonymous one, so the
/// indicators still count the pairs but nothing points at the person.
#[utoipa::path(
    tag = "mentees",
    params(("id" = String, Path)),
    responses((status = 200, description = "Erased", body = serde_json::Value)),
    security(("bearer" = []))
)]
#[post("/mentees/{id}/consent/withdraw")]
pub async fn withdraw_mentee_consent(
    state: Data<AppState>,
    caller: Caller,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    erase(
        &state,
        &caller,
        Permission::WithdrawConsent,
        Table::Mentees,
        id.as_str(),
        "consent_withdrawn",
    )
    .await
}

/// Record that a mentor withdrew consent; the same erasure as for a mentee.
#[utoipa::path(
    tag = "mentors",
    params(("id" = String, Path)),
    responses((status = 200, description = "Erased", body = serde_json::Value)),
    security(("bearer" = []))
)]
#[post("/mentors/{id}/consent/withdraw")]
pub async fn withdraw_mentor_consent(
    state: Data<AppState>,
    caller: Caller,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    erase(
        &state,
        &caller,
        Permission::WithdrawConsent,
        Table::Mentors,
        id.as_str(),
        "consent_withdrawn",
    )
    .await
}

/// `DELETE` of a profile: the same erasure as a withdrawal of consent
/// (nothing of the person is kept), after the `If-Match` check.
async fn erase_deleted(
    state: &AppState,
    caller: &Caller,
    req: &HttpRequest,
    table: Table,
    id: &str,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::WriteProfiles)?;
    if let Some(tag) = if_match(req)? {
        let stored = state
            .store
            .get_document(&principal.scope, table, id)
            .await?
            .ok_or(ApiError::NotFound)?;
        if !crate::store::if_match_holds(&tag, &stored.etag) {
            return Err(ApiError::PreconditionFailed);
        }
    }
    erase(
        state,
        caller,
        Permission::WriteProfiles,
        table,
        id,
        "profile_deleted",
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
