//! `/api/v1/mentors` and `/api/v1/mentees`: the two banks.

use super::AppState;
use super::audit;
use super::conditional::{self, MenteeViewPatch, MentorProfilePatch};
use super::documents::{self, ListPage};
use super::extract::{Caller, JsonBody, NoQuery, QueryParams, if_match, json_body, path_id};
use super::privacy::{self, MenteeView};
use super::problem::{ApiError, Problem};
use super::views::consent::ErasureView;
use crate::domain::{Form, Id, MenteeCategory, MenteeProfile, MentorProfile, PersonKind};
use crate::service::auth::Permission;
use crate::service::banks::{mentee_document, mentor_document};
use crate::store::{DocumentFilter, Preconditions, Stored, Table};
use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, put};
use serde_json::Value;

/// Create or replace a mentor profile.
///
/// The body is the whole profile: `PUT` replaces what is stored, and
/// fields left out take their defaults (to change a few fields, use
/// `PATCH`). Send `If-Match` with the `ETag` you read to refuse lost
/// updates, or `If-None-Match: *` to create only.
#[utoipa::path(
    tag = "mentors",
    params(("id" = String, Path, description = "Your system's id of the person"),
           ("If-Match" = Option<String>, Header, description = "ETag the change is based on"),
           ("If-None-Match" = Option<String>, Header, description = "`*`: create only, never replace")),
    request_body = MentorProfile,
    responses(
        (status = 200, description = "Replaced (or unchanged)", body = MentorProfile),
        (status = 201, description = "Created", body = MentorProfile),
        (status = 412, description = "If-Match is stale, or If-None-Match: * and the profile exists", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, each named", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/mentors/{id}")]
pub async fn put_mentor(
    state: Data<AppState>,
    caller: Caller,
    _query: NoQuery,
    id: Path<String>,
    req: HttpRequest,
    body: JsonBody,
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
        &conditional::preconditions(&req)?,
        location,
    )
    .await
}

/// Change some fields of a mentor profile.
///
/// The body is a JSON Merge Patch (RFC 7396, `application/merge-patch+json`):
/// members it names replace the stored ones, `null` removes a member,
/// objects merge member by member, arrays are replaced whole. The result
/// is checked like a `PUT` body. With `If-Match`, a stale tag changes
/// nothing; a change made by someone else meanwhile is never overwritten.
#[utoipa::path(
    tag = "mentors",
    params(("id" = String, Path, description = "Your system's id of the person"),
           ("If-Match" = Option<String>, Header, description = "ETag the change is based on")),
    request_body(content = MentorProfilePatch, content_type = "application/merge-patch+json",
                 description = "The members to change; null removes one"),
    responses(
        (status = 200, description = "Changed (or unchanged)", body = MentorProfile),
        (status = 404, description = "No such profile in your scope", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match is stale, or the profile changed meanwhile", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/merge-patch+json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The changed profile is invalid; every bad field is named", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/mentors/{id}")]
pub async fn patch_mentor(
    state: Data<AppState>,
    caller: Caller,
    _query: NoQuery,
    id: Path<String>,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::WriteProfiles)?;
    let id = path_id(&id)?;
    let patch = conditional::merge_patch_body(&req, &body)?;
    let stored = state
        .store
        .get_document(&principal.scope, Table::Mentors, id.as_str())
        .await?
        .ok_or(ApiError::NotFound)?;
    let (doc, preconditions) = conditional::apply_patch(&req, &stored, &patch)?;
    let profile = MentorProfile::parse(&doc, Some(&id)).map_err(ApiError::Invalid)?;
    documents::put(
        &state,
        &caller,
        Permission::WriteProfiles,
        mentor_document(&profile),
        &preconditions,
        format!("/api/v1/mentors/{id}"),
    )
    .await
}

/// Read a mentor profile.
///
/// With `If-None-Match` naming the current `ETag`, the answer is `304`
/// without a body.
#[utoipa::path(
    tag = "mentors",
    params(("id" = String, Path),
           ("If-None-Match" = Option<String>, Header, description = "ETag of your copy")),
    responses(
        (status = 200, description = "The profile, with its ETag", body = MentorProfile),
        (status = 304, description = "Your copy is current"),
        (status = 404, description = "No such profile in your scope", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/mentors/{id}")]
pub async fn get_mentor(
    state: Data<AppState>,
    caller: Caller,
    _query: NoQuery,
    id: Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::ReadProfiles)?;
    let id = path_id(&id)?;
    let stored = state
        .store
        .get_document(&principal.scope, Table::Mentors, id.as_str())
        .await?
        .ok_or(ApiError::NotFound)?;
    conditional::read_response(&req, &stored)
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
    _query: NoQuery,
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
///
/// `PUT` replaces the whole profile (to change a few fields, use
/// `PATCH`). A key that may not read a pupil's sensitive fields (a
/// special-needs or prevention-register category, notes) never changes
/// them: they keep their stored values whatever it sends, and writing
/// back what it read (`category: restricted`) succeeds. Such a key cannot
/// give a pupil a sensitive category or notes either (`422` naming
/// `category` or `notes`). `If-None-Match: *` creates only.
#[utoipa::path(
    tag = "mentees",
    params(("id" = String, Path, description = "Your system's id of the person"),
           ("If-Match" = Option<String>, Header, description = "ETag the change is based on"),
           ("If-None-Match" = Option<String>, Header, description = "`*`: create only, never replace")),
    request_body = MenteeView,
    responses(
        (status = 200, description = "Replaced (or unchanged), as you may read it", body = MenteeView),
        (status = 201, description = "Created", body = MenteeView),
        (status = 412, description = "If-Match is stale, or If-None-Match: * and the profile exists", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, each named", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[put("/mentees/{id}")]
pub async fn put_mentee(
    state: Data<AppState>,
    caller: Caller,
    _query: NoQuery,
    id: Path<String>,
    req: HttpRequest,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::WriteProfiles)?;
    let id = path_id(&id)?;
    let body = json_body(&body)?;
    write_mentee(&state, &caller, &id, &req, MenteeChange::Replace(body)).await
}

/// Change some fields of a mentee profile.
///
/// A JSON Merge Patch (RFC 7396) applied to the profile as you read it,
/// then checked like a `PUT` body; fields you may not read keep their
/// stored values.
#[utoipa::path(
    tag = "mentees",
    params(("id" = String, Path, description = "Your system's id of the person"),
           ("If-Match" = Option<String>, Header, description = "ETag the change is based on")),
    request_body(content = MenteeViewPatch, content_type = "application/merge-patch+json",
                 description = "The members to change; null removes one"),
    responses(
        (status = 200, description = "Changed (or unchanged), as you may read it", body = MenteeView),
        (status = 404, description = "No such profile in your scope", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match is stale, or the profile changed meanwhile", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not application/merge-patch+json", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The changed profile is invalid; every bad field is named", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[patch("/mentees/{id}")]
pub async fn patch_mentee(
    state: Data<AppState>,
    caller: Caller,
    _query: NoQuery,
    id: Path<String>,
    req: HttpRequest,
    body: Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.require(Permission::WriteProfiles)?;
    let id = path_id(&id)?;
    let patch = conditional::merge_patch_body(&req, &body)?;
    write_mentee(&state, &caller, &id, &req, MenteeChange::Patch(patch)).await
}

/// What a mentee write brings: a whole profile or a merge patch.
enum MenteeChange {
    Replace(Value),
    Patch(Value),
}

fn stored_json(stored: &Stored) -> Result<Value, ApiError> {
    serde_json::from_str(&stored.doc).map_err(|e| ApiError::Internal(e.to_string()))
}

/// Writes a mentee: the caller's conditions are checked against the
/// profile as the caller sees it, hidden fields are kept, the result is
/// validated, and a write built from what was read is pinned to the
/// version read, so a change made meanwhile is `412` rather than
/// overwritten with stale hidden values.
async fn write_mentee(
    state: &AppState,
    caller: &Caller,
    id: &Id,
    req: &HttpRequest,
    change: MenteeChange,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::WriteProfiles)?;
    let wanted = conditional::preconditions(req)?;
    let stored = state
        .store
        .get_document(&principal.scope, Table::Mentees, id.as_str())
        .await?;
    let seen = match &stored {
        Some(s) => Some(
            privacy::read_mentee(principal, s).map_err(|e| ApiError::Internal(e.to_string()))?,
        ),
        None => None,
    };
    let (mut incoming, patched) = match change {
        MenteeChange::Replace(body) => (body, false),
        MenteeChange::Patch(patch) => {
            let mut doc = seen.as_ref().ok_or(ApiError::NotFound)?.doc.clone();
            conditional::merge_patch(&mut doc, &patch);
            (doc, true)
        }
    };
    conditional::check(&wanted, seen.as_ref().map(|s| s.etag.as_str()))?;
    let stored_doc = stored.as_ref().map(stored_json).transpose()?;
    // A write built from what was read (a patch, kept hidden fields, a
    // `restricted` category) must land on that version and no other.
    let reads_all = stored_doc
        .as_ref()
        .is_none_or(|d| privacy::reads_sensitive_doc(principal, d))
        && privacy::reads_sensitive_doc(principal, &incoming);
    let sent_restricted = incoming["category"].as_str() == Some(privacy::RESTRICTED);
    let preconditions = if patched || sent_restricted || !reads_all {
        Preconditions::pinned(stored.as_ref().map(|s| s.etag.as_str()))
    } else {
        wanted
    };
    let mut errors = privacy::guard_mentee_write(principal, &mut incoming, stored_doc.as_ref());
    let profile = match MenteeProfile::parse(&incoming, Some(id)) {
        Ok(profile) if errors.is_empty() => profile,
        Ok(_) => return Err(ApiError::Invalid(errors)),
        Err(mut invalid) => {
            invalid.append(&mut errors);
            return Err(ApiError::Invalid(invalid));
        }
    };
    let doc = mentee_document(&profile);
    let (outcome, etag) = documents::write(
        state,
        caller,
        Permission::WriteProfiles,
        &doc,
        &preconditions,
    )
    .await?;
    let written = Stored {
        id: doc.id.clone(),
        doc: doc.doc.clone(),
        etag,
    };
    let view =
        privacy::read_mentee(principal, &written).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(documents::written_response(
        outcome,
        &view.etag,
        &view.doc.to_string(),
        format!("/api/v1/mentees/{id}"),
    ))
}

/// Read a mentee profile.
///
/// A sensitive category you may not read shows as `restricted`, and notes
/// are left out. With `If-None-Match` naming the current `ETag`, the answer
/// is `304` without a body.
#[utoipa::path(
    tag = "mentees",
    params(("id" = String, Path),
           ("If-None-Match" = Option<String>, Header, description = "ETag of your copy")),
    responses(
        (status = 200, description = "The profile as you may read it, with its ETag", body = MenteeView),
        (status = 304, description = "Your copy is current"),
        (status = 404, description = "No such profile in your scope", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/mentees/{id}")]
pub async fn get_mentee(
    state: Data<AppState>,
    caller: Caller,
    _query: NoQuery,
    id: Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::ReadProfiles)?;
    let id = path_id(&id)?;
    let stored = state
        .store
        .get_document(&principal.scope, Table::Mentees, id.as_str())
        .await?
        .ok_or(ApiError::NotFound)?;
    let read =
        privacy::read_mentee(principal, &stored).map_err(|e| ApiError::Internal(e.to_string()))?;
    if let Some(not_modified) = conditional::not_modified(&req, &read.etag)? {
        return Ok(not_modified);
    }
    if read.sensitive {
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
        .insert_header((actix_web::http::header::ETAG, documents::quoted(&read.etag)))
        .json(read.doc))
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
    _query: NoQuery,
    id: Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = path_id(&id)?;
    erase_deleted(&state, &caller, &req, Table::Mentees, id.as_str()).await
}

/// List mentee profiles in your scope.
///
/// Sensitive fields you may not read are masked as in `GET`; selecting by
/// a sensitive category lists only the pupils whose category you may read.
#[utoipa::path(
    tag = "mentees",
    params(
        ("limit" = Option<u32>, Query, description = "Page size, 1..1000 (default 100)"),
        ("after" = Option<String>, Query, description = "Last id of the previous page"),
        ("organization_id" = Option<String>, Query),
        ("kind" = Option<PersonKind>, Query),
        ("category" = Option<MenteeCategory>, Query),
    ),
    responses((status = 200, description = "A page of profiles, each as you may read it", body = ListPage<MenteeView>)),
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
    let by_sensitive_category = query
        .vocabulary::<MenteeCategory>("category")?
        .is_some_and(MenteeCategory::is_sensitive);
    if by_sensitive_category && !privacy::reads_sensitive(principal) {
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
        let mut doc = stored_json(stored)?;
        if privacy::reads_sensitive_doc(principal, &doc) {
            if privacy::is_sensitive_mentee(&doc) {
                sensitive.push(stored.id.clone());
            }
        } else if by_sensitive_category {
            // Listing it, even masked, would tell its category.
            continue;
        } else {
            privacy::mask_mentee(&mut doc);
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
    Ok(HttpResponse::Ok().json(ErasureView::from(erasure)))
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
    responses(
        (status = 200, description = "Erased: what went with the person", body = ErasureView),
        (status = 404, description = "No such person in your scope", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/mentees/{id}/consent/withdraw")]
pub async fn withdraw_mentee_consent(
    state: Data<AppState>,
    caller: Caller,
    _query: NoQuery,
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
    responses(
        (status = 200, description = "Erased: what went with the person", body = ErasureView),
        (status = 404, description = "No such person in your scope", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/mentors/{id}/consent/withdraw")]
pub async fn withdraw_mentor_consent(
    state: Data<AppState>,
    caller: Caller,
    _query: NoQuery,
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
        // The tag the caller holds is the one it was shown.
        let seen = match table {
            Table::Mentees => {
                privacy::read_mentee(principal, &stored)
                    .map_err(|e| ApiError::Internal(e.to_string()))?
                    .etag
            }
            _ => stored.etag,
        };
        if !crate::store::if_match_holds(&tag, &seen) {
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
