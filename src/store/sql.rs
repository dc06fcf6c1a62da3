//! The SQL shared by both backends.
//!
//! Every statement here is written once in the dialect SQLite and
//! PostgreSQL share (`$N` parameters, `ON CONFLICT … DO UPDATE`, `||`,
//! `substr`), and every value is bound as text or a 64-bit integer, so the
//! same code runs on both. What differs is the [`Backend`] trait.

use super::{
    Document, DocumentFilter, ExistingRow, ImportWrite, KeyRecord, NewKey, OrganizationFilter,
    OrganizationNode, OrganizationRow, Page, PageRequest, Scope, Store, StoreError, StoreResult,
    Stored, Table, WriteOutcome, content_etag, if_match_holds,
};
use crate::domain::FieldError;
use async_trait::async_trait;
use sqlx::{
    AssertSqlSafe, ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Pool, Row,
    Transaction, Type,
};
use std::future::Future;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// What a database must say about itself for [`SqlStore`] to run on it.
pub trait Backend: Database {
    /// Opens a transaction that will write. SQLite needs `BEGIN IMMEDIATE`
    /// so that two writers never both read before either writes.
    const BEGIN_WRITE: &'static str;
    /// Appended to a `SELECT` inside a write transaction to lock the rows
    /// it reads (PostgreSQL); empty where the transaction already holds
    /// the write lock (SQLite).
    const LOCK_ROWS: &'static str;
    /// Applies the backend's migrations.
    fn run_migrations(pool: &Pool<Self>) -> impl Future<Output = StoreResult<()>> + Send;
}

/// The store over a pool of backend `DB`.
pub struct SqlStore<DB: Database> {
    pool: Pool<DB>,
}

impl<DB: Database> SqlStore<DB> {
    /// Wraps a pool.
    pub fn new(pool: Pool<DB>) -> Self {
        Self { pool }
    }

    /// The pool, for backend-specific code.
    pub fn pool(&self) -> &Pool<DB> {
        &self.pool
    }
}

/// The current time as RFC 3339 UTC.
pub fn now_rfc3339() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_else(|_| String::from("1970-01-01T00:00:00Z"))
}

/// A statement built at run time from fixed fragments and numbered
/// parameters, all bound as text.
struct Statement {
    sql: String,
    args: Vec<String>,
}

impl Statement {
    fn new(sql: impl Into<String>) -> Self {
        Self {
            sql: sql.into(),
            args: Vec::new(),
        }
    }

    /// Adds a parameter and returns its placeholder.
    fn arg(&mut self, value: impl Into<String>) -> String {
        self.args.push(value.into());
        format!("${}", self.args.len())
    }

    fn push(&mut self, fragment: &str) {
        self.sql.push_str(fragment);
    }
}

/// `substr(path, 1, length(p)) = p`: the prefix test of scopes. `LIKE`
/// is not used because `_` in ids would act as a wildcard.
fn under(column: &str, placeholder: &str) -> String {
    format!("substr({column}, 1, length({placeholder})) = {placeholder}")
}

fn page_of<DB: Database>(rows: Vec<DB::Row>, limit: u32) -> StoreResult<Page>
where
    usize: ColumnIndex<DB::Row>,
    for<'r> String: Decode<'r, DB> + Type<DB>,
{
    let mut items = Vec::with_capacity(rows.len());
    for row in rows.iter().take(limit as usize) {
        items.push(Stored {
            id: row.try_get(0)?,
            doc: row.try_get(1)?,
            etag: row.try_get(2)?,
        });
    }
    let next = if rows.len() > limit as usize {
        items.last().map(|s| s.id.clone())
    } else {
        None
    };
    Ok(Page { items, next })
}

fn key_from_row<DB: Database>(row: &DB::Row) -> StoreResult<KeyRecord>
where
    usize: ColumnIndex<DB::Row>,
    for<'r> String: Decode<'r, DB> + Type<DB>,
    for<'r> Option<String>: Decode<'r, DB> + Type<DB>,
{
    Ok(KeyRecord {
        id: row.try_get(0)?,
        role: row.try_get(1)?,
        organization_id: row.try_get(2)?,
        label: row.try_get(3)?,
        created_at: row.try_get(4)?,
        expires_at: row.try_get(5)?,
        revoked_at: row.try_get(6)?,
    })
}

const KEY_COLUMNS: &str =
    "k.id, k.role, k.organization_id, k.label, k.created_at, k.expires_at, k.revoked_at";

fn unknown_organization(field: &str) -> StoreError {
    StoreError::Invalid(vec![FieldError::new(
        field,
        "unknown organisation (it does not exist or is outside your scope)",
    )])
}

#[async_trait]
impl<DB> Store for SqlStore<DB>
where
    DB: Backend,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    usize: ColumnIndex<DB::Row>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
{
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query::<DB>("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn migrate(&self) -> StoreResult<()> {
        DB::run_migrations(&self.pool).await
    }

    async fn insert_key(&self, key: &NewKey) -> StoreResult<()> {
        let r = &key.record;
        sqlx::query::<DB>(
            "INSERT INTO api_keys (id, hash, role, organization_id, label, created_at, expires_at, revoked_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)",
        )
        .bind(r.id.clone())
        .bind(key.hash.clone())
        .bind(r.role.clone())
        .bind(r.organization_id.clone())
        .bind(r.label.clone())
        .bind(r.created_at.clone())
        .bind(r.expires_at.clone())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn find_key(&self, hash: &str) -> StoreResult<Option<(KeyRecord, Option<String>)>> {
        let sql = format!(
            "SELECT {KEY_COLUMNS}, o.path FROM api_keys k \
             LEFT JOIN organizations o ON o.id = k.organization_id WHERE k.hash = $1"
        );
        let row = sqlx::query::<DB>(AssertSqlSafe(sql))
            .bind(hash.to_owned())
            .fetch_optional(&self.pool)
            .await?;
        match row {
            None => Ok(None),
            Some(row) => Ok(Some((key_from_row::<DB>(&row)?, row.try_get(7)?))),
        }
    }

    async fn list_keys(&self) -> StoreResult<Vec<KeyRecord>> {
        let sql = format!("SELECT {KEY_COLUMNS} FROM api_keys k ORDER BY k.created_at DESC, k.id");
        let rows = sqlx::query::<DB>(AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(key_from_row::<DB>).collect()
    }

    async fn revoke_key(&self, id: &str, at: &str) -> StoreResult<bool> {
        let revoked = sqlx::query::<DB>(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1 RETURNING id",
        )
        .bind(id.to_owned())
        .bind(at.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        Ok(revoked.is_some())
    }

    async fn organization_nodes(&self, scope: &Scope) -> StoreResult<Vec<OrganizationNode>> {
        let mut st =
            Statement::new("SELECT id, parent_id, path, kind, etag FROM organizations WHERE ");
        let p = st.arg(scope.prefix());
        st.push(&under("path", &p));
        st.push(" ORDER BY path");
        let rows = fetch_all::<DB>(&self.pool, st).await?;
        rows.iter()
            .map(|row| {
                Ok(OrganizationNode {
                    id: row.try_get(0)?,
                    parent_id: row.try_get(1)?,
                    path: row.try_get(2)?,
                    kind: row.try_get(3)?,
                    etag: row.try_get(4)?,
                })
            })
            .collect()
    }

    async fn put_organization(
        &self,
        scope: &Scope,
        row: &OrganizationRow,
        if_match: Option<&str>,
    ) -> StoreResult<(WriteOutcome, String)> {
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        let existing = organization_for_write::<DB>(&mut tx, &row.id).await?;
        if let Some(existing) = &existing
            && !scope.covers(&existing.path)
        {
            return Err(StoreError::NotFound);
        }
        check_if_match(if_match, existing.as_ref().map(|e| e.etag.as_str()))?;
        let path = resolve_path::<DB>(&mut tx, scope, row, existing.as_ref()).await?;
        let outcome = write_organization::<DB>(&mut tx, row, &path, existing.as_ref()).await?;
        tx.commit().await?;
        Ok((outcome, content_etag(&row.doc)))
    }

    async fn get_organization(&self, scope: &Scope, id: &str) -> StoreResult<Option<Stored>> {
        let mut st = Statement::new("SELECT id, doc, etag FROM organizations WHERE id = ");
        let a = st.arg(id);
        st.push(&a);
        st.push(" AND ");
        let p = st.arg(scope.prefix());
        st.push(&under("path", &p));
        let rows = fetch_all::<DB>(&self.pool, st).await?;
        Ok(page_of::<DB>(rows, 1)?.items.pop())
    }

    async fn list_organizations(
        &self,
        scope: &Scope,
        filter: &OrganizationFilter,
        page: &PageRequest,
    ) -> StoreResult<Page> {
        let mut st = Statement::new("SELECT id, doc, etag FROM organizations WHERE ");
        let p = st.arg(scope.prefix());
        st.push(&under("path", &p));
        if let Some(parent) = &filter.parent_id {
            let a = st.arg(parent.as_str());
            st.push(&format!(" AND parent_id = {a}"));
        }
        if let Some(kind) = &filter.kind {
            let a = st.arg(kind.as_str());
            st.push(&format!(" AND kind = {a}"));
        }
        push_page(&mut st, "id", page);
        let rows = fetch_all::<DB>(&self.pool, st).await?;
        page_of::<DB>(rows, page.limit)
    }

    async fn delete_organization(
        &self,
        scope: &Scope,
        id: &str,
        if_match: Option<&str>,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        let existing = organization_for_write::<DB>(&mut tx, id)
            .await?
            .filter(|e| scope.covers(&e.path))
            .ok_or(StoreError::NotFound)?;
        check_if_match(if_match, Some(&existing.etag))?;
        let mut dependants = Vec::new();
        for (table, what) in [
            ("organizations", "organisations under it"),
            ("mentors", "mentor profiles"),
            ("mentees", "mentee profiles"),
            ("programmes", "programmes"),
        ] {
            let column = if table == "organizations" {
                "parent_id"
            } else {
                "organization_id"
            };
            let sql = format!("SELECT COUNT(*) FROM {table} WHERE {column} = $1");
            let count: i64 = sqlx::query::<DB>(AssertSqlSafe(sql))
                .bind(id.to_owned())
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
            if count > 0 {
                dependants.push(format!("{count} {what}"));
            }
        }
        if !dependants.is_empty() {
            return Err(StoreError::Conflict(format!(
                "the organisation still has {}; move or delete them first",
                dependants.join(", ")
            )));
        }
        sqlx::query::<DB>("DELETE FROM organizations WHERE id = $1")
            .bind(id.to_owned())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn put_document(
        &self,
        scope: &Scope,
        doc: &Document,
        if_match: Option<&str>,
    ) -> StoreResult<(WriteOutcome, String)> {
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        let org_path = organization_path::<DB>(&mut tx, &doc.organization_id).await?;
        if !org_path.as_deref().is_some_and(|p| scope.covers(p)) {
            return Err(unknown_organization("organization_id"));
        }
        let existing = document_for_write::<DB>(&mut tx, doc.table, &doc.id).await?;
        if let Some(existing) = &existing
            && !scope.covers(&existing.path)
        {
            return Err(StoreError::NotFound);
        }
        check_if_match(if_match, existing.as_ref().map(|e| e.etag.as_str()))?;
        let etag = doc.etag();
        let outcome = match &existing {
            Some(e) if e.etag == etag => WriteOutcome::Unchanged,
            Some(_) => WriteOutcome::Updated,
            None => WriteOutcome::Created,
        };
        if outcome != WriteOutcome::Unchanged {
            upsert_document::<DB>(&mut tx, doc).await?;
        }
        tx.commit().await?;
        Ok((outcome, etag))
    }

    async fn get_document(
        &self,
        scope: &Scope,
        table: Table,
        id: &str,
    ) -> StoreResult<Option<Stored>> {
        let mut st = Statement::new(format!(
            "SELECT d.id, d.doc, d.etag FROM {} d JOIN organizations o ON o.id = d.organization_id WHERE d.id = ",
            table.name()
        ));
        let a = st.arg(id);
        st.push(&a);
        st.push(" AND ");
        let p = st.arg(scope.prefix());
        st.push(&under("o.path", &p));
        let rows = fetch_all::<DB>(&self.pool, st).await?;
        Ok(page_of::<DB>(rows, 1)?.items.pop())
    }

    async fn list_documents(
        &self,
        scope: &Scope,
        table: Table,
        filter: &DocumentFilter,
        page: &PageRequest,
    ) -> StoreResult<Page> {
        let mut st = Statement::new(format!(
            "SELECT d.id, d.doc, d.etag FROM {} d JOIN organizations o ON o.id = d.organization_id WHERE ",
            table.name()
        ));
        let p = st.arg(scope.prefix());
        st.push(&under("o.path", &p));
        if let Some(org) = &filter.organization_id {
            // "This organisation and everything under it": the filter
            // organisation's path is looked up in the same statement.
            let a = st.arg(org.as_str());
            st.push(&format!(
                " AND substr(o.path, 1, length((SELECT f.path FROM organizations f WHERE f.id = {a}))) = \
                 (SELECT f.path FROM organizations f WHERE f.id = {a})"
            ));
        }
        if let Some(kind) = &filter.kind {
            let a = st.arg(kind.as_str());
            st.push(&format!(" AND d.kind = {a}"));
        }
        if let Some(label) = &filter.label {
            let a = st.arg(format!("%|{label}|%"));
            st.push(&format!(" AND d.labels LIKE {a}"));
        }
        push_page(&mut st, "d.id", page);
        let rows = fetch_all::<DB>(&self.pool, st).await?;
        page_of::<DB>(rows, page.limit)
    }

    async fn delete_document(
        &self,
        scope: &Scope,
        table: Table,
        id: &str,
        if_match: Option<&str>,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        let existing = document_for_write::<DB>(&mut tx, table, id)
            .await?
            .filter(|e| scope.covers(&e.path))
            .ok_or(StoreError::NotFound)?;
        check_if_match(if_match, Some(&existing.etag))?;
        let sql = format!("DELETE FROM {} WHERE id = $1", table.name());
        sqlx::query::<DB>(AssertSqlSafe(sql))
            .bind(id.to_owned())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn existing_rows(
        &self,
        table: Table,
        ids: &[String],
    ) -> StoreResult<Vec<(String, ExistingRow)>> {
        let mut out = Vec::with_capacity(ids.len());
        // Bounded IN lists keep every statement under both backends'
        // parameter limits.
        for chunk in ids.chunks(500) {
            let mut st = Statement::new(format!(
                "SELECT d.id, d.etag, o.path FROM {} d JOIN organizations o ON o.id = d.organization_id WHERE d.id IN (",
                table.name()
            ));
            let placeholders: Vec<String> = chunk.iter().map(|id| st.arg(id.as_str())).collect();
            st.push(&placeholders.join(", "));
            st.push(")");
            for row in fetch_all::<DB>(&self.pool, st).await? {
                out.push((
                    row.try_get(0)?,
                    ExistingRow {
                        etag: row.try_get(1)?,
                        path: row.try_get(2)?,
                    },
                ));
            }
        }
        Ok(out)
    }

    async fn apply_import(&self, writes: &[ImportWrite]) -> StoreResult<()> {
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        for write in writes {
            match write {
                ImportWrite::Organization(row) => {
                    let existing = organization_for_write::<DB>(&mut tx, &row.id).await?;
                    let path =
                        resolve_path::<DB>(&mut tx, &Scope::All, row, existing.as_ref()).await?;
                    write_organization::<DB>(&mut tx, row, &path, existing.as_ref()).await?;
                }
                ImportWrite::Document(doc) => upsert_document::<DB>(&mut tx, doc).await?,
            }
        }
        tx.commit().await?;
        Ok(())
    }
}

async fn fetch_all<DB>(pool: &Pool<DB>, st: Statement) -> StoreResult<Vec<DB::Row>>
where
    DB: Database,
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    for<'q> String: Encode<'q, DB> + Type<DB>,
{
    let mut query = sqlx::query::<DB>(AssertSqlSafe(st.sql));
    for arg in st.args {
        query = query.bind(arg);
    }
    Ok(query.fetch_all(pool).await?)
}

fn push_page(st: &mut Statement, id_column: &str, page: &PageRequest) {
    if let Some(after) = &page.after {
        let a = st.arg(after.as_str());
        st.push(&format!(" AND {id_column} > {a}"));
    }
    // One row more than asked tells whether a next page exists.
    st.push(&format!(
        " ORDER BY {id_column} LIMIT {}",
        u64::from(page.limit) + 1
    ));
}

fn check_if_match(if_match: Option<&str>, current: Option<&str>) -> StoreResult<()> {
    match (if_match, current) {
        (None, _) => Ok(()),
        (Some(tag), Some(current)) if if_match_holds(tag, current) => Ok(()),
        (Some(_), current) => Err(StoreError::PreconditionFailed {
            current: current.unwrap_or_default().to_owned(),
        }),
    }
}

/// The stored organisation's path, entity tag and parent, locked for writing.
struct ExistingOrganization {
    path: String,
    etag: String,
}

async fn organization_for_write<DB>(
    tx: &mut Transaction<'static, DB>,
    id: &str,
) -> StoreResult<Option<ExistingOrganization>>
where
    DB: Backend,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    usize: ColumnIndex<DB::Row>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
{
    let sql = format!(
        "SELECT path, etag FROM organizations WHERE id = $1{}",
        DB::LOCK_ROWS
    );
    let row = sqlx::query::<DB>(AssertSqlSafe(sql))
        .bind(id.to_owned())
        .fetch_optional(&mut **tx)
        .await?;
    match row {
        None => Ok(None),
        Some(row) => Ok(Some(ExistingOrganization {
            path: row.try_get(0)?,
            etag: row.try_get(1)?,
        })),
    }
}

async fn organization_path<DB>(
    tx: &mut Transaction<'static, DB>,
    id: &str,
) -> StoreResult<Option<String>>
where
    DB: Backend,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    usize: ColumnIndex<DB::Row>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
{
    let row = sqlx::query::<DB>("SELECT path FROM organizations WHERE id = $1")
        .bind(id.to_owned())
        .fetch_optional(&mut **tx)
        .await?;
    Ok(match row {
        Some(row) => Some(row.try_get(0)?),
        None => None,
    })
}

/// Works out the path of an organisation being written under its parent,
/// refusing parents that are missing, outside the scope, or below the
/// organisation itself (a cycle).
async fn resolve_path<DB>(
    tx: &mut Transaction<'static, DB>,
    scope: &Scope,
    row: &OrganizationRow,
    existing: Option<&ExistingOrganization>,
) -> StoreResult<String>
where
    DB: Backend,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    usize: ColumnIndex<DB::Row>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
{
    let path = match &row.parent_id {
        None if *scope != Scope::All => {
            return Err(StoreError::Invalid(vec![FieldError::new(
                "parent_id",
                "is required: a key scoped to an organisation cannot create a root",
            )]));
        }
        None => format!("/{}/", row.id),
        Some(parent) => {
            let parent_path = organization_path::<DB>(tx, parent)
                .await?
                .filter(|p| scope.covers(p))
                .ok_or_else(|| unknown_organization("parent_id"))?;
            if let Some(existing) = existing
                && parent_path.starts_with(&existing.path)
            {
                return Err(StoreError::Invalid(vec![FieldError::new(
                    "parent_id",
                    "is inside this organisation: the tree would have a cycle",
                )]));
            }
            format!("{parent_path}{}/", row.id)
        }
    };
    if !scope.covers(&path) {
        return Err(StoreError::NotFound);
    }
    Ok(path)
}

async fn write_organization<DB>(
    tx: &mut Transaction<'static, DB>,
    row: &OrganizationRow,
    path: &str,
    existing: Option<&ExistingOrganization>,
) -> StoreResult<WriteOutcome>
where
    DB: Backend,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    for<'q> String: Encode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB> + Type<DB>,
{
    let etag = content_etag(&row.doc);
    let outcome = match existing {
        Some(e) if e.etag == etag && e.path == path => return Ok(WriteOutcome::Unchanged),
        Some(_) => WriteOutcome::Updated,
        None => WriteOutcome::Created,
    };
    sqlx::query::<DB>(
        "INSERT INTO organizations (id, parent_id, path, kind, doc, etag, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (id) DO UPDATE SET parent_id = excluded.parent_id, path = excluded.path, \
         kind = excluded.kind, doc = excluded.doc, etag = excluded.etag, updated_at = excluded.updated_at",
    )
    .bind(row.id.clone())
    .bind(row.parent_id.clone())
    .bind(path.to_owned())
    .bind(row.kind.clone())
    .bind(row.doc.clone())
    .bind(etag)
    .bind(now_rfc3339())
    .execute(&mut **tx)
    .await?;
    if let Some(old) = existing.map(|e| e.path.as_str()).filter(|old| *old != path) {
        // Moving an organisation moves everything under it.
        sqlx::query::<DB>(
            "UPDATE organizations SET path = $1 || substr(path, length($2) + 1) \
             WHERE substr(path, 1, length($2)) = $2 AND id <> $3",
        )
        .bind(path.to_owned())
        .bind(old.to_owned())
        .bind(row.id.clone())
        .execute(&mut **tx)
        .await?;
    }
    Ok(outcome)
}

async fn document_for_write<DB>(
    tx: &mut Transaction<'static, DB>,
    table: Table,
    id: &str,
) -> StoreResult<Option<ExistingRow>>
where
    DB: Backend,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    usize: ColumnIndex<DB::Row>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
{
    let sql = format!(
        "SELECT d.etag, o.path FROM {} d JOIN organizations o ON o.id = d.organization_id WHERE d.id = $1{}",
        table.name(),
        DB::LOCK_ROWS
    );
    let row = sqlx::query::<DB>(AssertSqlSafe(sql))
        .bind(id.to_owned())
        .fetch_optional(&mut **tx)
        .await?;
    match row {
        None => Ok(None),
        Some(row) => Ok(Some(ExistingRow {
            etag: row.try_get(0)?,
            path: row.try_get(1)?,
        })),
    }
}

async fn upsert_document<DB>(tx: &mut Transaction<'static, DB>, doc: &Document) -> StoreResult<()>
where
    DB: Backend,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    for<'q> String: Encode<'q, DB> + Type<DB>,
{
    let sql = format!(
        "INSERT INTO {} (id, organization_id, kind, labels, doc, etag, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (id) DO UPDATE SET organization_id = excluded.organization_id, kind = excluded.kind, \
         labels = excluded.labels, doc = excluded.doc, etag = excluded.etag, updated_at = excluded.updated_at",
        doc.table.name()
    );
    sqlx::query::<DB>(AssertSqlSafe(sql))
        .bind(doc.id.clone())
        .bind(doc.organization_id.clone())
        .bind(doc.kind.clone())
        .bind(doc.labels.clone())
        .bind(doc.doc.clone())
        .bind(doc.etag())
        .bind(now_rfc3339())
        .execute(&mut **tx)
        .await?;
    Ok(())
}
