//! What the resource handlers share: reading, writing, listing and
//! deleting stored documents, and shaping their responses.

use super::AppState;
use super::audit;
use super::extract::{Caller, QueryParams};
use super::problem::ApiError;
use crate::service::auth::Permission;
use crate::store::{Document, DocumentFilter, Page, Preconditions, Stored, Table, WriteOutcome};
use actix_web::HttpResponse;
use actix_web::http::header;
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

/// A page of a list: the items and the cursor of the next page.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListPage<T> {
    /// The items, ordered by id.
    pub items: Vec<T>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// The audit name of a table's rows.
pub fn singular(table: Table) -> &'static str {
    match table {
        Table::Mentors => "mentor",
        Table::Mentees => "mentee",
        Table::Programmes => "programme",
    }
}

/// `"tag"` as an `ETag` header value.
pub fn quoted(etag: &str) -> String {
    format!("\"{etag}\"")
}

/// A stored document as a response, with its `ETag`.
pub fn document_response(stored: &Stored) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, quoted(&stored.etag)))
        .content_type("application/json")
        .body(stored.doc.clone())
}

/// The response to a create-or-replace: `201` with `Location` when new,
/// `200` otherwise; the body is what is now stored.
pub fn written_response(
    outcome: WriteOutcome,
    etag: &str,
    doc: &str,
    location: String,
) -> HttpResponse {
    let mut response = match outcome {
        WriteOutcome::Created => {
            let mut r = HttpResponse::Created();
            r.insert_header((header::LOCATION, location));
            r
        }
        WriteOutcome::Updated | WriteOutcome::Unchanged => HttpResponse::Ok(),
    };
    response
        .insert_header((header::ETAG, quoted(etag)))
        .content_type("application/json")
        .body(doc.to_owned())
}

/// A page of stored documents as `{items, next}`.
pub fn page_response(page: Page) -> Result<HttpResponse, ApiError> {
    let items = page
        .items
        .iter()
        .map(|s| serde_json::from_str::<Value>(&s.doc))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ApiError::Internal(format!("stored document is not JSON: {e}")))?;
    Ok(HttpResponse::Ok().json(ListPage {
        items,
        next: page.next,
    }))
}

/// Writes a document the caller may write.
pub async fn put(
    state: &AppState,
    caller: &Caller,
    permission: Permission,
    doc: Document,
    preconditions: &Preconditions,
    location: String,
) -> Result<HttpResponse, ApiError> {
    let (outcome, etag) = write(state, caller, permission, &doc, preconditions).await?;
    Ok(written_response(outcome, &etag, &doc.doc, location))
}

/// Stores a document the caller may write under `preconditions`, logs
/// and audits the change; returns what happened and the new tag.
pub async fn write(
    state: &AppState,
    caller: &Caller,
    permission: Permission,
    doc: &Document,
    preconditions: &Preconditions,
) -> Result<(WriteOutcome, String), ApiError> {
    let principal = caller.require(permission)?;
    let (outcome, etag) = state
        .store
        .put_document(&principal.scope, doc, preconditions)
        .await?;
    tracing::info!(table = doc.table.name(), outcome = ?outcome, key_id = %principal.key_id, "document written");
    if outcome != WriteOutcome::Unchanged {
        let action = format!(
            "{}.{}",
            singular(doc.table),
            if outcome == WriteOutcome::Created {
                "created"
            } else {
                "updated"
            }
        );
        audit::record(
            state,
            caller,
            &action,
            &format!("{}:{}", singular(doc.table), doc.id),
            json!({"etag": etag}),
        )
        .await;
    }
    Ok((outcome, etag))
}

/// Deletes a document the caller may write.
pub async fn delete(
    state: &AppState,
    caller: &Caller,
    permission: Permission,
    table: Table,
    id: &str,
    if_match: Option<String>,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(permission)?;
    state
        .store
        .delete_document(&principal.scope, table, id, if_match.as_deref())
        .await?;
    tracing::info!(table = table.name(), key_id = %principal.key_id, "document deleted");
    audit::record(
        state,
        caller,
        &format!("{}.deleted", singular(table)),
        &format!("{}:{id}", singular(table)),
        json!({}),
    )
    .await;
    Ok(HttpResponse::NoContent().finish())
}

/// Lists documents the caller may see.
pub async fn list(
    state: &AppState,
    caller: &Caller,
    permission: Permission,
    table: Table,
    query: &QueryParams,
    filter: DocumentFilter,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(permission)?;
    let page = query.page()?;
    let page = state
        .store
        .list_documents(&principal.scope, table, &filter, &page)
        .await?;
    page_response(page)
}
