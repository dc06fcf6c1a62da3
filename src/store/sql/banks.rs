//! Organisations, the banks of people, programmes and bulk import.

use super::rows::{NodeRow, StoredRow};
use super::{
    Backend, SqlStore, Statement, Visible, fetch_all, now_rfc3339, organization_path, push_page,
    scoped_by_id, under, visible_organizations,
};
use crate::domain::FieldError;
use crate::store::{
    BankStore, Document, DocumentFilter, ExistingRow, ImportWrite, OrganizationFilter,
    OrganizationNode, OrganizationRow, Page, PageRequest, Preconditions, Scope, StoreError,
    StoreResult, Stored, Table, WriteOutcome, content_etag, if_match_holds,
};
use async_trait::async_trait;
use sqlx::{
    AssertSqlSafe, ColumnIndex, Database, Decode, Encode, Executor, FromRow, IntoArguments, Pool,
    Row, Transaction, Type,
};

#[async_trait]
impl<DB> BankStore for SqlStore<DB>
where
    DB: Backend,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    usize: ColumnIndex<DB::Row>,
    for<'r> &'r str: ColumnIndex<DB::Row>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
{
    async fn organization_nodes(&self, scope: &Scope) -> StoreResult<Vec<OrganizationNode>> {
        let mut st =
            Statement::new("SELECT id, parent_id, path, kind, etag FROM organizations WHERE ");
        let p = st.arg(scope.prefix());
        st.push(&under("path", &p));
        st.push(" ORDER BY path");
        let rows = fetch_all::<DB>(&self.pool, st).await?;
        rows.iter()
            .map(|row| Ok(NodeRow::from_row(row)?.into()))
            .collect()
    }

    async fn put_organization(
        &self,
        scope: &Scope,
        row: &OrganizationRow,
        preconditions: &Preconditions,
    ) -> StoreResult<(WriteOutcome, String)> {
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        let existing = organization_for_write::<DB>(&mut tx, &row.id).await?;
        if let Some(existing) = &existing
            && !scope.covers(&existing.path)
        {
            return Err(StoreError::NotFound);
        }
        preconditions.check(existing.as_ref().map(|e| e.etag.as_str()))?;
        let path = resolve_path::<DB>(&mut tx, scope, row, existing.as_ref()).await?;
        let outcome = write_organization::<DB>(&mut tx, row, &path, existing.as_ref()).await?;
        tx.commit().await?;
        Ok((outcome, content_etag(&row.doc)))
    }

    async fn get_organization(&self, scope: &Scope, id: &str) -> StoreResult<Option<Stored>> {
        let st = scoped_by_id(
            "SELECT id, doc, etag FROM organizations WHERE id = ",
            "path",
            id,
            scope,
        );
        let rows = fetch_all::<DB>(&self.pool, st).await?;
        Ok(page_of::<DB>(rows, 1)?.items.pop())
    }

    async fn list_organizations(
        &self,
        scope: &Scope,
        filter: &OrganizationFilter,
        page: &PageRequest,
    ) -> StoreResult<Page> {
        let mut st = Statement::new("SELECT id, doc, etag FROM organizations");
        let mut conditions = Vec::new();
        if !scope.prefix().is_empty() {
            let p = st.arg(scope.prefix());
            conditions.push(under("path", &p));
        }
        if let Some(parent) = &filter.parent_id {
            let a = st.arg(parent.as_str());
            conditions.push(format!("parent_id = {a}"));
        }
        if let Some(kind) = &filter.kind {
            let a = st.arg(kind.as_str());
            conditions.push(format!("kind = {a}"));
        }
        push_page(&mut st, conditions, "id", page);
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
        preconditions: &Preconditions,
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
        preconditions.check(existing.as_ref().map(|e| e.etag.as_str()))?;
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
        let st = scoped_by_id(
            format!(
                "SELECT d.id, d.doc, d.etag FROM {} d JOIN organizations o ON o.id = d.organization_id WHERE d.id = ",
                table.name()
            ),
            "o.path",
            id,
            scope,
        );
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
        let visible =
            visible_organizations::<DB>(&self.pool, scope, filter.organization_id.as_deref())
                .await?;
        if let Visible::Nothing = visible {
            return Ok(Page {
                items: Vec::new(),
                next: None,
            });
        }
        let mut st = Statement::new(format!(
            "SELECT d.id, d.doc, d.etag FROM {} d",
            table.name()
        ));
        let mut conditions = visible.conditions(&mut st, "d.organization_id");
        if let Some(kind) = &filter.kind {
            let a = st.arg(kind.as_str());
            conditions.push(format!("d.kind = {a}"));
        }
        if let Some(label) = &filter.label {
            let a = st.arg(format!("%|{label}|%"));
            conditions.push(format!("d.labels LIKE {a}"));
        }
        push_page(&mut st, conditions, "d.id", page);
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
            st.push_list(chunk.iter().map(String::as_str));
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

    async fn documents_by_ids(&self, table: Table, ids: &[String]) -> StoreResult<Vec<Stored>> {
        let mut out = Vec::with_capacity(ids.len());
        // Bounded IN lists, as in `existing_rows`.
        for chunk in ids.chunks(500) {
            let mut st = Statement::new(format!(
                "SELECT d.id, d.doc, d.etag FROM {} d WHERE d.id IN (",
                table.name()
            ));
            st.push_list(chunk.iter().map(String::as_str));
            st.push(")");
            for row in fetch_all::<DB>(&self.pool, st).await? {
                out.push(StoredRow::from_row(&row)?.into());
            }
        }
        Ok(out)
    }

    async fn programmes_above(&self, path: &str) -> StoreResult<Vec<Stored>> {
        // The ancestors' ids are the path's segments; the organisation
        // itself (the last one) is the caller's own scope.
        let mut ancestors: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        ancestors.pop();
        if ancestors.is_empty() {
            return Ok(Vec::new());
        }
        let mut st = Statement::new(
            "SELECT d.id, d.doc, d.etag FROM programmes d WHERE d.organization_id IN (",
        );
        st.push_list(ancestors.iter().copied());
        st.push(") ORDER BY d.id");
        fetch_all::<DB>(&self.pool, st)
            .await?
            .iter()
            .map(|row| Ok(StoredRow::from_row(row)?.into()))
            .collect()
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

fn check_if_match(if_match: Option<&str>, current: Option<&str>) -> StoreResult<()> {
    match (if_match, current) {
        (None, _) => Ok(()),
        (Some(tag), Some(current)) if if_match_holds(tag, current) => Ok(()),
        (Some(_), current) => Err(StoreError::PreconditionFailed {
            current: current.unwrap_or_default().to_owned(),
        }),
    }
}

fn unknown_organization(field: &str) -> StoreError {
    StoreError::Invalid(vec![FieldError::new(
        field,
        "unknown organisation (it does not exist or is outside your scope)",
    )])
}

fn page_of<DB: Database>(rows: Vec<DB::Row>, limit: u32) -> StoreResult<Page>
where
    StoredRow: for<'r> FromRow<'r, DB::Row>,
{
    let mut items: Vec<Stored> = Vec::with_capacity(rows.len());
    for row in rows.iter().take(limit as usize) {
        items.push(StoredRow::from_row(row)?.into());
    }
    let next = if rows.len() > limit as usize {
        items.last().map(|s| s.id.clone())
    } else {
        None
    };
    Ok(Page { items, next })
}
