//! Persistence behind one trait, with a SQLite and a PostgreSQL backend.
//!
//! Every call that reads or writes people takes the caller's [`Scope`]:
//! rows of organisations outside it are invisible, so a handler cannot
//! forget the check. Both backends share the SQL in [`sql`]; what differs
//! (connection set-up, migrations, how a write transaction starts, row
//! locks) lives in [`sqlite`] and [`postgres`].

pub mod postgres;
mod sql;
pub mod sqlite;

use crate::domain::FieldError;
use async_trait::async_trait;
use std::sync::Arc;

pub use sql::{SqlStore, now_rfc3339 as sql_now};

/// Which organisations a caller may see: all, or one and everything under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every organisation (admin keys without an organisation).
    All,
    /// The organisation with this materialised path and its descendants.
    Under {
        /// The organisation's id.
        organization_id: String,
        /// Its path, `/region/municipality/school/`.
        path: String,
    },
}

impl Scope {
    /// The path prefix rows must start with; empty for [`Scope::All`].
    pub fn prefix(&self) -> &str {
        match self {
            Scope::All => "",
            Scope::Under { path, .. } => path,
        }
    }

    /// Whether an organisation with `path` is visible.
    pub fn covers(&self, path: &str) -> bool {
        path.starts_with(self.prefix())
    }
}

/// A table of JSON documents: the two banks and the programmes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// The bank of mentors.
    Mentors,
    /// The bank of mentees.
    Mentees,
    /// Mentoring programmes.
    Programmes,
}

impl Table {
    /// The SQL table name.
    pub fn name(self) -> &'static str {
        match self {
            Table::Mentors => "mentors",
            Table::Mentees => "mentees",
            Table::Programmes => "programmes",
        }
    }
}

/// One document to write: its id, the organisation that scopes it, the
/// filter columns and the JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// Which table.
    pub table: Table,
    /// External id.
    pub id: String,
    /// The organisation the row belongs to (for scope checks).
    pub organization_id: String,
    /// Person kind, or a programme's form.
    pub kind: String,
    /// Searchable labels, `|a|b|`.
    pub labels: String,
    /// The validated document as JSON.
    pub doc: String,
}

impl Document {
    /// The entity tag of this document's content.
    pub fn etag(&self) -> String {
        content_etag(&self.doc)
    }
}

/// A strong entity tag for a stored JSON text: the first 128 bits of its
/// SHA-256, so that writing identical content keeps the tag.
pub fn content_etag(doc: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(doc.as_bytes());
    hex::encode(&digest[..16])
}

/// A stored row: the JSON document and its entity tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// External id.
    pub id: String,
    /// JSON text of the validated document.
    pub doc: String,
    /// Entity tag of `doc`.
    pub etag: String,
}

/// What a create-or-replace did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOutcome {
    /// A new row.
    Created,
    /// An existing row with new content.
    Updated,
    /// An existing row with the same content; nothing written.
    Unchanged,
}

/// A page request: `limit` rows after the id `after`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// Most rows to return.
    pub limit: u32,
    /// Last id of the previous page.
    pub after: Option<String>,
}

/// A page of rows and the cursor of the next one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The rows, ordered by id.
    pub items: Vec<Stored>,
    /// Pass as `after` to get the next page; `None` on the last one.
    pub next: Option<String>,
}

/// Filters of a document list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DocumentFilter {
    /// Only rows of this organisation and everything under it.
    pub organization_id: Option<String>,
    /// Only rows of this kind (person kind, programme form).
    pub kind: Option<String>,
    /// Only rows carrying this label.
    pub label: Option<String>,
}

/// Filters of the organisation list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrganizationFilter {
    /// Only direct children of this organisation.
    pub parent_id: Option<String>,
    /// Only this kind.
    pub kind: Option<String>,
}

/// An organisation row to write, with its resolved place in the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationRow {
    /// External id.
    pub id: String,
    /// Parent id.
    pub parent_id: Option<String>,
    /// Organisation kind.
    pub kind: String,
    /// JSON text of the validated organisation.
    pub doc: String,
}

/// An organisation's place in the tree, as needed for scope checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationNode {
    /// External id.
    pub id: String,
    /// Parent id.
    pub parent_id: Option<String>,
    /// Materialised path.
    pub path: String,
    /// Organisation kind.
    pub kind: String,
    /// Entity tag of the stored organisation.
    pub etag: String,
}

/// An existing row's entity tag and the path of its organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingRow {
    /// Entity tag of the stored document.
    pub etag: String,
    /// Path of the organisation the row belongs to.
    pub path: String,
}

/// An API key as stored (never the secret itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRecord {
    /// Public key id (the part after the prefix).
    pub id: String,
    /// `admin`, `system`, `curator` or `analyst`.
    pub role: String,
    /// The organisation the key is scoped to; `None` = everything.
    pub organization_id: Option<String>,
    /// Free label.
    pub label: Option<String>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339, if the key expires.
    pub expires_at: Option<String>,
    /// RFC 3339, if revoked.
    pub revoked_at: Option<String>,
}

/// A new key: its record and the SHA-256 of its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewKey {
    /// What to store.
    pub record: KeyRecord,
    /// Hex SHA-256 of the whole secret key.
    pub hash: String,
}

/// Errors of the store layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such row in the caller's scope.
    #[error("not found")]
    NotFound,
    /// `If-Match` no longer matches the stored entity tag.
    #[error("precondition failed: the stored entity tag is {current}")]
    PreconditionFailed {
        /// The tag now stored.
        current: String,
    },
    /// The write would break an invariant (e.g. deleting an organisation
    /// that still has people).
    #[error("conflict: {0}")]
    Conflict(String),
    /// Input that refers to something that is not there.
    #[error("invalid reference")]
    Invalid(Vec<FieldError>),
    /// The database failed.
    #[error("database error")]
    Database(#[from] sqlx::Error),
    /// Migrations failed.
    #[error("migration failed")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// The database URL is not one we know.
    #[error("unsupported database URL {0:?}: use sqlite:PATH or postgres://…")]
    UnsupportedUrl(String),
}

/// Result of store calls.
pub type StoreResult<T> = Result<T, StoreError>;

/// One write of a bulk import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportWrite {
    /// Create or replace an organisation.
    Organization(OrganizationRow),
    /// Create or replace a document.
    Document(Document),
}

/// The persistence interface of the service.
#[async_trait]
pub trait Store: Send + Sync {
    /// Checks that the database answers.
    async fn ping(&self) -> StoreResult<()>;
    /// Applies pending migrations.
    async fn migrate(&self) -> StoreResult<()>;

    /// Stores a new API key.
    async fn insert_key(&self, key: &NewKey) -> StoreResult<()>;
    /// Finds a key by the hash of its secret, with the path of its
    /// organisation (`None` for unscoped keys).
    async fn find_key(&self, hash: &str) -> StoreResult<Option<(KeyRecord, Option<String>)>>;
    /// Every key, newest first.
    async fn list_keys(&self) -> StoreResult<Vec<KeyRecord>>;
    /// Revokes a key; false when there is no such key.
    async fn revoke_key(&self, id: &str, at: &str) -> StoreResult<bool>;

    /// Every organisation visible in `scope`, as tree nodes.
    async fn organization_nodes(&self, scope: &Scope) -> StoreResult<Vec<OrganizationNode>>;
    /// Creates or replaces an organisation. The parent must exist and be
    /// visible (or the organisation is a root and the scope is all).
    async fn put_organization(
        &self,
        scope: &Scope,
        row: &OrganizationRow,
        if_match: Option<&str>,
    ) -> StoreResult<(WriteOutcome, String)>;
    /// One organisation.
    async fn get_organization(&self, scope: &Scope, id: &str) -> StoreResult<Option<Stored>>;
    /// A page of organisations.
    async fn list_organizations(
        &self,
        scope: &Scope,
        filter: &OrganizationFilter,
        page: &PageRequest,
    ) -> StoreResult<Page>;
    /// Deletes an organisation that has no children, people or programmes.
    async fn delete_organization(
        &self,
        scope: &Scope,
        id: &str,
        if_match: Option<&str>,
    ) -> StoreResult<()>;

    /// Creates or replaces a document; its organisation must be visible.
    async fn put_document(
        &self,
        scope: &Scope,
        doc: &Document,
        if_match: Option<&str>,
    ) -> StoreResult<(WriteOutcome, String)>;
    /// One document.
    async fn get_document(
        &self,
        scope: &Scope,
        table: Table,
        id: &str,
    ) -> StoreResult<Option<Stored>>;
    /// A page of documents.
    async fn list_documents(
        &self,
        scope: &Scope,
        table: Table,
        filter: &DocumentFilter,
        page: &PageRequest,
    ) -> StoreResult<Page>;
    /// Deletes a document.
    async fn delete_document(
        &self,
        scope: &Scope,
        table: Table,
        id: &str,
        if_match: Option<&str>,
    ) -> StoreResult<()>;
    /// Entity tags and organisation paths of the rows of `table` with these
    /// ids, whatever the scope (the caller decides what to reveal).
    async fn existing_rows(
        &self,
        table: Table,
        ids: &[String],
    ) -> StoreResult<Vec<(String, ExistingRow)>>;
    /// Applies validated writes in one transaction: all or nothing.
    async fn apply_import(&self, writes: &[ImportWrite]) -> StoreResult<()>;
}

/// Opens the store named by `url` (`sqlite:…` or `postgres://…`),
/// creating a SQLite file and its folder when missing, and migrates it.
pub async fn connect(url: &str) -> StoreResult<Arc<dyn Store>> {
    let store: Arc<dyn Store> = if url.starts_with("sqlite:") {
        Arc::new(sqlite::open(url).await?)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Arc::new(postgres::open(url).await?)
    } else {
        return Err(StoreError::UnsupportedUrl(url.to_owned()));
    };
    store.migrate().await?;
    Ok(store)
}

/// Checks an `If-Match` value against the stored tag: `*` matches any
/// existing row; otherwise one of the comma-separated strong tags must.
pub fn if_match_holds(if_match: &str, current: &str) -> bool {
    if_match
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_matches('"') == current)
}
