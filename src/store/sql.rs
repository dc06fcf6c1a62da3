//! The SQL shared by both backends.
//!
//! Every statement here is written once in the dialect SQLite and
//! PostgreSQL share (`$N` parameters, `ON CONFLICT … DO UPDATE`, `||`,
//! `substr`), and every value is bound as text or a 64-bit integer, so the
//! same code runs on both. What differs is the [`Backend`] trait.

use super::{
    Actor, Document, DocumentFilter, Erasure, EventFilter, EventRecord, ExistingRow,
    FeedbackRecord, ImportWrite, KeyRecord, MatchingData, NewKey, OrganizationFilter,
    OrganizationNode, OrganizationRow, Page, PageRequest, PairClosing, PairFilter, PairRecord,
    PairRequest, Preconditions, ProposalRecord, ReportData, RunRecord, Scope, Store, StoreError,
    StoreResult, Stored, Table, WeightVersion, WriteOutcome, content_etag, if_match_holds,
    replace_in_csv, replace_in_json,
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
    /// Appended to the `SELECT` that picks a run to claim, so that
    /// instances claiming at once skip each other's rows (PostgreSQL).
    const CLAIM_LOCK: &'static str;
    /// Scrubs what an erasure freed, so erased data does not linger in the
    /// database files (outside any transaction).
    fn scrub(pool: &Pool<Self>) -> impl Future<Output = StoreResult<()>> + Send;
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

/// Which organisations' rows a list may show, settled before the list is
/// read so that both planners see a predicate they can run on an index.
/// (Joined with the path test in one statement, PostgreSQL cannot
/// estimate the test, gathers the whole bank and sorts it for every page.)
enum Visible {
    /// Every organisation: no test; the id index is read in order and the
    /// read stops at a full page.
    Everything,
    /// None: the page is empty without a query.
    Nothing,
    /// A small share of the organisations, listed: their rows are
    /// gathered through the `(organization_id, id)` indexes and only they
    /// are sorted.
    Few(Vec<String>),
    /// A large share, all under this path: the id index is read in order,
    /// each row's organisation tested, and the read stops at a full page.
    Under(String),
}

/// Up to one organisation in `GATHER_SHARE` is a small share (see
/// [`Visible::Few`]): gathering costs the rows in scope, walking the id
/// index costs a page divided by the share in scope, and the two meet
/// near one in ten on a 200-school region.
const GATHER_SHARE: usize = 8;

/// Most organisations listed in one statement, far below either
/// backend's limit on parameters.
const GATHER_MAX: usize = 500;

impl Visible {
    /// The test on `org_column` as `WHERE` conditions.
    fn conditions(&self, st: &mut Statement, org_column: &str) -> Vec<String> {
        match self {
            Visible::Everything | Visible::Nothing => Vec::new(),
            Visible::Few(ids) => {
                let list: Vec<String> = ids.iter().map(|id| st.arg(id.as_str())).collect();
                vec![format!("{org_column} IN ({})", list.join(", "))]
            }
            Visible::Under(path) => {
                // A scalar subquery, not a join, so that neither planner
                // turns it into "gather everything, then sort"; inside
                // COALESCE PostgreSQL guesses half the rows pass (for an
                // equality it guesses 0.5 %, and would then rather sort).
                let p = st.arg(path.as_str());
                let test = under(
                    &format!("(SELECT o.path FROM organizations o WHERE o.id = {org_column})"),
                    &p,
                );
                vec![format!("COALESCE({test}, FALSE)")]
            }
        }
    }
}

/// The organisations under `scope` and, when given, under the filter
/// organisation (which need not itself be in scope: a school's curator
/// may filter by the school's municipality). Paths are chains of ids, so
/// the two prefixes either nest or have nothing in common.
async fn visible_organizations<DB>(
    pool: &Pool<DB>,
    scope: &Scope,
    filter: Option<&str>,
) -> StoreResult<Visible>
where
    DB: Database,
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    usize: ColumnIndex<DB::Row>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> i64: Decode<'q, DB> + Type<DB>,
{
    let mut prefix = scope.prefix().to_owned();
    if let Some(org) = filter {
        let mut st = Statement::new("SELECT path FROM organizations WHERE id = ");
        let a = st.arg(org);
        st.push(&a);
        let Some(row) = fetch_all::<DB>(pool, st).await?.into_iter().next() else {
            return Ok(Visible::Nothing);
        };
        let path: String = row.try_get(0)?;
        if path.starts_with(&prefix) {
            prefix = path;
        } else if !prefix.starts_with(&path) {
            return Ok(Visible::Nothing);
        }
    }
    if prefix.is_empty() {
        return Ok(Visible::Everything);
    }
    let mut st =
        Statement::new("SELECT id, (SELECT COUNT(*) FROM organizations) FROM organizations WHERE ");
    let p = st.arg(prefix.as_str());
    st.push(&under("path", &p));
    let rows = fetch_all::<DB>(pool, st).await?;
    let Some(first) = rows.first() else {
        return Ok(Visible::Nothing);
    };
    let total = usize::try_from(first.try_get::<i64, _>(1)?).unwrap_or(usize::MAX);
    Ok(if rows.len() >= total {
        Visible::Everything
    } else if rows.len() <= GATHER_MAX && rows.len().saturating_mul(GATHER_SHARE) <= total {
        Visible::Few(
            rows.iter()
                .map(|r| r.try_get(0))
                .collect::<Result<_, _>>()?,
        )
    } else {
        Visible::Under(prefix)
    })
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

    async fn documents_by_ids(&self, table: Table, ids: &[String]) -> StoreResult<Vec<Stored>> {
        let mut out = Vec::with_capacity(ids.len());
        // Bounded IN lists, as in `existing_rows`.
        for chunk in ids.chunks(500) {
            let mut st = Statement::new(format!(
                "SELECT d.id, d.doc, d.etag FROM {} d WHERE d.id IN (",
                table.name()
            ));
            let placeholders: Vec<String> = chunk.iter().map(|id| st.arg(id.as_str())).collect();
            st.push(&placeholders.join(", "));
            st.push(")");
            for row in fetch_all::<DB>(&self.pool, st).await? {
                out.push(Stored {
                    id: row.try_get(0)?,
                    doc: row.try_get(1)?,
                    etag: row.try_get(2)?,
                });
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

    async fn create_run(&self, run: &RunRecord, actor: &Actor) -> StoreResult<()> {
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        sqlx::query::<DB>(
            "INSERT INTO runs (id, programme_id, organization_id, status, progress, options, dry_run, created_by, created_at) \
             VALUES ($1, $2, $3, 'queued', 0, $4, $5, $6, $7)",
        )
        .bind(run.id.clone())
        .bind(run.programme_id.clone())
        .bind(run.organization_id.clone())
        .bind(run.options.clone())
        .bind(i64::from(run.dry_run))
        .bind(run.created_by.clone())
        .bind(run.created_at.clone())
        .execute(&mut *tx)
        .await?;
        record_event::<DB>(
            &mut tx,
            actor,
            "run.queued",
            &format!("run:{}", run.id),
            &run.options,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn claim_run(
        &self,
        instance: &str,
        stale_before: &str,
    ) -> StoreResult<Option<RunRecord>> {
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        let pick = format!(
            "SELECT id FROM runs WHERE status = 'queued' OR (status = 'running' AND heartbeat_at < $1) \
             ORDER BY created_at LIMIT 1{}",
            DB::CLAIM_LOCK
        );
        let Some(row) = sqlx::query::<DB>(AssertSqlSafe(pick))
            .bind(stale_before.to_owned())
            .fetch_optional(&mut *tx)
            .await?
        else {
            tx.commit().await?;
            return Ok(None);
        };
        let id: String = row.try_get(0)?;
        let id_again = id.clone();
        let now = now_rfc3339();
        // The condition is checked again: under READ COMMITTED a run claimed
        // meanwhile by another instance no longer matches.
        let claimed = sqlx::query::<DB>(
            "UPDATE runs SET status = 'running', claimed_by = $2, heartbeat_at = $3, \
             started_at = COALESCE(started_at, $3), progress = 0 \
             WHERE id = $1 AND (status = 'queued' OR (status = 'running' AND heartbeat_at < $4)) \
             RETURNING id",
        )
        .bind(id)
        .bind(instance.to_owned())
        .bind(now)
        .bind(stale_before.to_owned())
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        match claimed {
            Some(_) => self.get_run(&Scope::All, &id_again).await,
            None => Ok(None),
        }
    }

    async fn run_progress(&self, id: &str, instance: &str, progress: i64) -> StoreResult<bool> {
        let row = sqlx::query::<DB>(
            "UPDATE runs SET progress = $3, heartbeat_at = $4 WHERE id = $1 AND claimed_by = $2 AND status = 'running' RETURNING id",
        )
        .bind(id.to_owned())
        .bind(instance.to_owned())
        .bind(progress)
        .bind(now_rfc3339())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_some())
    }

    async fn finish_run(
        &self,
        id: &str,
        instance: &str,
        result: &str,
        scores_csv: &str,
        proposals: &[ProposalRecord],
    ) -> StoreResult<bool> {
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        let done = sqlx::query::<DB>(
            "UPDATE runs SET status = 'done', progress = 1000, finished_at = $3, result = $4, scores_csv = $5 \
             WHERE id = $1 AND claimed_by = $2 AND status = 'running' RETURNING id",
        )
        .bind(id.to_owned())
        .bind(instance.to_owned())
        .bind(now_rfc3339())
        .bind(result.to_owned())
        .bind(scores_csv.to_owned())
        .fetch_optional(&mut *tx)
        .await?;
        if done.is_none() {
            // Another instance took the run over; its result will stand.
            return Ok(false);
        }
        for p in proposals {
            sqlx::query::<DB>(
                "INSERT INTO proposals (id, run_id, programme_id, mentor_id, mentee_ids, status, doc) \
                 VALUES ($1, $2, $3, $4, $5, 'proposed', $6)",
            )
            .bind(p.id.clone())
            .bind(p.run_id.clone())
            .bind(p.programme_id.clone())
            .bind(p.mentor_id.clone())
            .bind(p.mentee_ids.join("|"))
            .bind(p.doc.clone())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn fail_run(&self, id: &str, instance: &str, error: &str) -> StoreResult<()> {
        sqlx::query::<DB>(
            "UPDATE runs SET status = 'failed', finished_at = $3, error = $4 WHERE id = $1 AND claimed_by = $2 AND status = 'running'",
        )
        .bind(id.to_owned())
        .bind(instance.to_owned())
        .bind(now_rfc3339())
        .bind(error.to_owned())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn get_run(&self, scope: &Scope, id: &str) -> StoreResult<Option<RunRecord>> {
        let st = scoped_by_id(
            format!(
                "SELECT {RUN_COLUMNS} FROM runs r JOIN organizations o ON o.id = r.organization_id WHERE r.id = "
            ),
            "o.path",
            id,
            scope,
        );
        let rows = fetch_all::<DB>(&self.pool, st).await?;
        rows.first().map(run_from_row::<DB>).transpose()
    }

    async fn list_runs(
        &self,
        scope: &Scope,
        programme_id: &str,
        page: &PageRequest,
    ) -> StoreResult<(Vec<RunRecord>, Option<String>)> {
        let mut st = Statement::new(format!(
            "SELECT {RUN_COLUMNS} FROM runs r JOIN organizations o ON o.id = r.organization_id WHERE r.programme_id = "
        ));
        let a = st.arg(programme_id);
        st.push(&a);
        st.push(" AND ");
        let p = st.arg(scope.prefix());
        st.push(&under("o.path", &p));
        if let Some(after) = &page.after {
            // Newest first, so the next page holds what sorts below the
            // cursor run; an unknown cursor compares with NULL: no rows.
            let c = st.arg(after.as_str());
            st.push(&format!(
                " AND (r.created_at, r.id) < (SELECT c.created_at, c.id FROM runs c WHERE c.id = {c})"
            ));
        }
        // One row more than asked tells whether another page follows.
        st.push(&format!(
            " ORDER BY r.created_at DESC, r.id DESC LIMIT {}",
            u64::from(page.limit) + 1
        ));
        let rows = fetch_all::<DB>(&self.pool, st).await?;
        let mut runs = rows
            .iter()
            .map(run_from_row::<DB>)
            .collect::<StoreResult<Vec<_>>>()?;
        let next = if runs.len() > page.limit as usize {
            runs.truncate(page.limit as usize);
            runs.last().map(|r| r.id.clone())
        } else {
            None
        };
        Ok((runs, next))
    }

    async fn run_scores(&self, scope: &Scope, id: &str) -> StoreResult<Option<String>> {
        let st = scoped_by_id(
            "SELECT r.scores_csv FROM runs r JOIN organizations o ON o.id = r.organization_id WHERE r.id = ",
            "o.path",
            id,
            scope,
        );
        let rows = fetch_all::<DB>(&self.pool, st).await?;
        match rows.first() {
            Some(row) => Ok(row.try_get(0)?),
            None => Err(StoreError::NotFound),
        }
    }

    async fn run_proposals(&self, run_id: &str) -> StoreResult<Vec<ProposalRecord>> {
        let sql =
            format!("SELECT {PROPOSAL_COLUMNS} FROM proposals p WHERE p.run_id = $1 ORDER BY p.id");
        let rows = sqlx::query::<DB>(AssertSqlSafe(sql))
            .bind(run_id.to_owned())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(proposal_from_row::<DB>).collect()
    }

    async fn matching_data(&self, programme_id: &str) -> StoreResult<MatchingData> {
        let mut data = MatchingData::default();
        let programme = sqlx::query::<DB>(
            "SELECT p.id, p.doc, p.etag, o.path FROM programmes p JOIN organizations o ON o.id = p.organization_id WHERE p.id = $1",
        )
        .bind(programme_id.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        let Some(programme) = programme else {
            return Ok(data);
        };
        let anchor_path: String = programme.try_get(3)?;
        data.programme = Some(Stored {
            id: programme.try_get(0)?,
            doc: programme.try_get(1)?,
            etag: programme.try_get(2)?,
        });
        for row in sqlx::query::<DB>("SELECT doc FROM organizations ORDER BY path")
            .fetch_all(&self.pool)
            .await?
        {
            data.organizations.push(row.try_get(0)?);
        }
        for (table, out) in [
            ("mentors", &mut data.mentors),
            ("mentees", &mut data.mentees),
        ] {
            let sql = format!(
                "SELECT d.id, d.doc, d.etag FROM {table} d JOIN organizations o ON o.id = d.organization_id \
                 WHERE {} ORDER BY d.id",
                under("o.path", "$1")
            );
            for row in sqlx::query::<DB>(AssertSqlSafe(sql))
                .bind(anchor_path.clone())
                .fetch_all(&self.pool)
                .await?
            {
                out.push(Stored {
                    id: row.try_get(0)?,
                    doc: row.try_get(1)?,
                    etag: row.try_get(2)?,
                });
            }
        }
        for row in sqlx::query::<DB>(
            "SELECT programme_id, mentor_id, mentee_id FROM pairs WHERE status = 'active'",
        )
        .fetch_all(&self.pool)
        .await?
        {
            data.active_pairs
                .push((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?));
        }
        // Rejected pairs, and pairs that ended early: the next run proposes
        // another mentor.
        for row in sqlx::query::<DB>(
            "SELECT mentor_id, mentee_id FROM exclusions WHERE programme_id = $1 \
             UNION SELECT mentor_id, mentee_id FROM pairs WHERE programme_id = $1 AND status = 'ended'",
        )
        .bind(programme_id.to_owned())
        .fetch_all(&self.pool)
        .await?
        {
            data.exclusions.push((row.try_get(0)?, row.try_get(1)?));
        }
        // The pool over time: a completed mentee is done in this programme;
        // a mentee who moved away or a mentor who left is out of matching
        // everywhere until a write changes their profile after the ending.
        for row in sqlx::query::<DB>(
            "SELECT DISTINCT mentee_id FROM pairs WHERE programme_id = $1 AND status = 'completed'",
        )
        .bind(programme_id.to_owned())
        .fetch_all(&self.pool)
        .await?
        {
            data.completed_mentees.push(row.try_get(0)?);
        }
        for (sql, out) in [
            (
                "SELECT DISTINCT x.mentee_id FROM pairs x JOIN mentees d ON d.id = x.mentee_id \
                 WHERE x.status = 'ended' AND x.end_reason = 'mentee_moved' AND d.updated_at <= x.updated_at",
                &mut data.moved_mentees,
            ),
            (
                "SELECT DISTINCT x.mentor_id FROM pairs x JOIN mentors d ON d.id = x.mentor_id \
                 WHERE x.status = 'ended' AND x.end_reason = 'mentor_left' AND d.updated_at <= x.updated_at",
                &mut data.departed_mentors,
            ),
        ] {
            for row in sqlx::query::<DB>(sql).fetch_all(&self.pool).await? {
                out.push(row.try_get(0)?);
            }
        }
        Ok(data)
    }

    async fn get_proposal(
        &self,
        scope: &Scope,
        id: &str,
    ) -> StoreResult<Option<(ProposalRecord, RunRecord)>> {
        let st = scoped_by_id(
            format!(
                "SELECT {PROPOSAL_COLUMNS} FROM proposals p JOIN runs r ON r.id = p.run_id \
             JOIN organizations o ON o.id = r.organization_id WHERE p.id = "
            ),
            "o.path",
            id,
            scope,
        );
        let rows = fetch_all::<DB>(&self.pool, st).await?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let proposal = proposal_from_row::<DB>(row)?;
        let run = self
            .get_run(&Scope::All, &proposal.run_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(Some((proposal, run)))
    }

    async fn make_pairs(
        &self,
        request: &PairRequest,
        actor: &Actor,
    ) -> StoreResult<Vec<PairRecord>> {
        use crate::domain::{Consent, MenteeProfile, MentorProfile, Programme};
        let conflict = |why: String| Err(StoreError::Conflict(why));
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;

        // Lock the mentor first, then the mentees in id order: two
        // approvals never wait on each other in a cycle.
        let sql = format!(
            "SELECT doc, etag FROM mentors WHERE id = $1{}",
            DB::LOCK_ROWS
        );
        let Some(row) = sqlx::query::<DB>(AssertSqlSafe(sql))
            .bind(request.mentor_id.clone())
            .fetch_optional(&mut *tx)
            .await?
        else {
            return conflict(format!(
                "mentor {} is no longer in the bank",
                request.mentor_id
            ));
        };
        let mentor_doc: String = row.try_get(0)?;
        let mut etags = vec![(request.mentor_id.clone(), row.try_get::<String, _>(1)?)];
        let mentor: MentorProfile = serde_json::from_str(&mentor_doc)
            .map_err(|e| StoreError::Conflict(format!("stored mentor profile unreadable: {e}")))?;

        let programme_row = sqlx::query::<DB>("SELECT doc FROM programmes WHERE id = $1")
            .bind(request.programme_id.clone())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let programme: Programme = serde_json::from_str(&programme_row.try_get::<String, _>(0)?)
            .map_err(|e| StoreError::Conflict(format!("stored programme unreadable: {e}")))?;
        let on = programme.period.start;
        if Consent::check_for_matching(
            mentor.person.consent.as_ref(),
            mentor.person.kind,
            mentor.person.birth_year,
            on,
        )
        .is_err()
        {
            return conflict(format!(
                "mentor {} has no valid consent for matching",
                request.mentor_id
            ));
        }

        let mut mentee_ids = request.mentee_ids.clone();
        mentee_ids.sort();
        let mut mentee_orgs = Vec::new();
        for mentee_id in &mentee_ids {
            let sql = format!(
                "SELECT doc, etag, organization_id FROM mentees WHERE id = $1{}",
                DB::LOCK_ROWS
            );
            let Some(row) = sqlx::query::<DB>(AssertSqlSafe(sql))
                .bind(mentee_id.clone())
                .fetch_optional(&mut *tx)
                .await?
            else {
                return conflict(format!("mentee {mentee_id} is no longer in the bank"));
            };
            let mentee: MenteeProfile = serde_json::from_str(&row.try_get::<String, _>(0)?)
                .map_err(|e| {
                    StoreError::Conflict(format!("stored mentee profile unreadable: {e}"))
                })?;
            etags.push((mentee_id.clone(), row.try_get(1)?));
            mentee_orgs.push((mentee_id.clone(), row.try_get::<String, _>(2)?));
            if Consent::check_for_matching(
                mentee.person.consent.as_ref(),
                mentee.person.kind,
                mentee.person.birth_year,
                on,
            )
            .is_err()
            {
                return conflict(format!(
                    "mentee {mentee_id} has no valid consent for matching"
                ));
            }
            let paired: i64 = sqlx::query::<DB>(
                "SELECT COUNT(*) FROM pairs WHERE programme_id = $1 AND mentee_id = $2 AND status = 'active'",
            )
            .bind(request.programme_id.clone())
            .bind(mentee_id.clone())
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
            if paired > 0 {
                return conflict(format!(
                    "mentee {mentee_id} already has an active pair in this programme"
                ));
            }
        }
        if let Some(seen) = &request.snapshot {
            let (mentor_etag, mentee_etags) = (&etags[0].1, &etags[1..]);
            if &seen.mentor != mentor_etag {
                return conflict(format!(
                    "the profile of mentor {} changed after the run; start a new run to approve with current data",
                    request.mentor_id
                ));
            }
            for (id, etag) in mentee_etags {
                if !seen.mentees.iter().any(|(s, e)| s == id && e == etag) {
                    return conflict(format!(
                        "the profile of mentee {id} changed after the run; start a new run to approve with current data"
                    ));
                }
            }
        }
        departed_check::<DB>(&mut tx, request).await?;
        if request.proposal_id.is_none() {
            exclusion_check::<DB>(&mut tx, request).await?;
        }
        let load: i64 = sqlx::query::<DB>(
            "SELECT COUNT(*) FROM pairs WHERE mentor_id = $1 AND status = 'active'",
        )
        .bind(request.mentor_id.clone())
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        let wanted = i64::try_from(mentee_ids.len()).unwrap_or(i64::MAX);
        if load + wanted > i64::from(mentor.capacity) {
            return conflict(format!(
                "mentor {} has {} of {} places taken; {} more do not fit",
                request.mentor_id, load, mentor.capacity, wanted
            ));
        }
        let now = now_rfc3339();
        if let Some(proposal_id) = &request.proposal_id {
            let decided = sqlx::query::<DB>(
                "UPDATE proposals SET status = 'approved', decided_by = $2, decided_at = $3 \
                 WHERE id = $1 AND status = 'proposed' RETURNING id",
            )
            .bind(proposal_id.clone())
            .bind(actor.key_id.clone())
            .bind(now.clone())
            .fetch_optional(&mut *tx)
            .await?;
            if decided.is_none() {
                return conflict("the proposal was already approved or rejected".into());
            }
        }
        let group_id = request
            .proposal_id
            .clone()
            .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
        let mut made = Vec::new();
        for (mentee_id, organization_id) in mentee_orgs {
            let pair = PairRecord {
                id: uuid::Uuid::now_v7().to_string(),
                programme_id: request.programme_id.clone(),
                group_id: group_id.clone(),
                proposal_id: request.proposal_id.clone(),
                mentor_id: request.mentor_id.clone(),
                mentee_id,
                organization_id,
                status: "active".into(),
                started_on: request.started_on.clone(),
                ended_on: None,
                end_reason: None,
                end_note: None,
                created_by: actor.key_id.clone(),
                created_at: now.clone(),
                updated_at: now.clone(),
            };
            sqlx::query::<DB>(
                "INSERT INTO pairs (id, programme_id, group_id, proposal_id, mentor_id, mentee_id, organization_id, \
                 status, started_on, created_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', $8, $9, $10, $10)",
            )
            .bind(pair.id.clone())
            .bind(pair.programme_id.clone())
            .bind(pair.group_id.clone())
            .bind(pair.proposal_id.clone())
            .bind(pair.mentor_id.clone())
            .bind(pair.mentee_id.clone())
            .bind(pair.organization_id.clone())
            .bind(pair.started_on.clone())
            .bind(pair.created_by.clone())
            .bind(now.clone())
            .execute(&mut *tx)
            .await?;
            made.push(pair);
        }
        let (action, subject) = match &request.proposal_id {
            Some(id) => ("proposal.approved", format!("proposal:{id}")),
            None => ("pair.created_by_hand", format!("group:{group_id}")),
        };
        let mut detail = serde_json::json!({
            "programme_id": request.programme_id,
            "mentor_id": request.mentor_id,
            "mentee_ids": request.mentee_ids,
            "pair_ids": made.iter().map(|p| p.id.clone()).collect::<Vec<_>>(),
        });
        if let Some(reason) = &request.override_rejection {
            detail["override_rejection"] = serde_json::Value::String(reason.clone());
        }
        let detail = detail.to_string();
        record_event::<DB>(&mut tx, actor, action, &subject, &detail).await?;
        tx.commit().await?;
        Ok(made)
    }

    async fn reject_proposal(
        &self,
        scope: &Scope,
        id: &str,
        reason: &str,
        actor: &Actor,
    ) -> StoreResult<()> {
        let (proposal, run) = self
            .get_proposal(scope, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        if run.dry_run {
            return Err(StoreError::Conflict(
                "proposals of a dry run can be neither approved nor rejected".into(),
            ));
        }
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        let now = now_rfc3339();
        let decided = sqlx::query::<DB>(
            "UPDATE proposals SET status = 'rejected', decided_by = $2, decided_at = $3, reason = $4 \
             WHERE id = $1 AND status = 'proposed' RETURNING id",
        )
        .bind(id.to_owned())
        .bind(actor.key_id.clone())
        .bind(now.clone())
        .bind(reason.to_owned())
        .fetch_optional(&mut *tx)
        .await?;
        if decided.is_none() {
            return Err(StoreError::Conflict(
                "the proposal was already approved or rejected".into(),
            ));
        }
        for mentee_id in &proposal.mentee_ids {
            sqlx::query::<DB>(
                "INSERT INTO exclusions (programme_id, mentor_id, mentee_id, reason, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (programme_id, mentor_id, mentee_id) DO NOTHING",
            )
            .bind(proposal.programme_id.clone())
            .bind(proposal.mentor_id.clone())
            .bind(mentee_id.clone())
            .bind(reason.to_owned())
            .bind(actor.key_id.clone())
            .bind(now.clone())
            .execute(&mut *tx)
            .await?;
        }
        let detail = serde_json::json!({"reason": reason, "mentor_id": proposal.mentor_id, "mentee_ids": proposal.mentee_ids}).to_string();
        record_event::<DB>(
            &mut tx,
            actor,
            "proposal.rejected",
            &format!("proposal:{id}"),
            &detail,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_pairs(
        &self,
        scope: &Scope,
        filter: &PairFilter,
        page: &PageRequest,
    ) -> StoreResult<(Vec<PairRecord>, Option<String>)> {
        let visible =
            visible_organizations::<DB>(&self.pool, scope, filter.organization_id.as_deref())
                .await?;
        if let Visible::Nothing = visible {
            return Ok((Vec::new(), None));
        }
        let mut st = Statement::new(format!("SELECT {PAIR_COLUMNS} FROM pairs x"));
        let mut conditions = visible.conditions(&mut st, "x.organization_id");
        for (column, value) in [
            ("x.programme_id", &filter.programme_id),
            ("x.mentor_id", &filter.mentor_id),
            ("x.mentee_id", &filter.mentee_id),
            ("x.status", &filter.status),
        ] {
            if let Some(value) = value {
                let a = st.arg(value.as_str());
                conditions.push(format!("{column} = {a}"));
            }
        }
        push_page(&mut st, conditions, "x.id", page);
        let rows = fetch_all::<DB>(&self.pool, st).await?;
        let mut pairs = rows
            .iter()
            .take(page.limit as usize)
            .map(pair_from_row::<DB>)
            .collect::<StoreResult<Vec<_>>>()?;
        let next = (rows.len() > page.limit as usize)
            .then(|| pairs.last().map(|p| p.id.clone()))
            .flatten();
        pairs.truncate(page.limit as usize);
        Ok((pairs, next))
    }

    async fn get_pair(&self, scope: &Scope, id: &str) -> StoreResult<Option<PairRecord>> {
        let st = scoped_by_id(
            format!(
                "SELECT {PAIR_COLUMNS} FROM pairs x JOIN organizations o ON o.id = x.organization_id WHERE x.id = "
            ),
            "o.path",
            id,
            scope,
        );
        let rows = fetch_all::<DB>(&self.pool, st).await?;
        rows.first().map(pair_from_row::<DB>).transpose()
    }

    async fn close_pair(
        &self,
        scope: &Scope,
        id: &str,
        closing: &PairClosing,
        actor: &Actor,
    ) -> StoreResult<PairRecord> {
        let PairClosing {
            status,
            reason,
            note,
            ended_on,
        } = closing;
        let (status, reason, note, ended_on) = (
            status.as_str(),
            reason.as_deref(),
            note.as_deref(),
            ended_on.as_str(),
        );
        let pair = self
            .get_pair(scope, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        let now = now_rfc3339();
        let closed = sqlx::query::<DB>(
            "UPDATE pairs SET status = $2, ended_on = $3, end_reason = $4, end_note = $5, updated_at = $6 \
             WHERE id = $1 AND status = 'active' RETURNING id",
        )
        .bind(id.to_owned())
        .bind(status.to_owned())
        .bind(ended_on.to_owned())
        .bind(reason.map(str::to_owned))
        .bind(note.map(str::to_owned))
        .bind(now.clone())
        .fetch_optional(&mut *tx)
        .await?;
        if closed.is_none() {
            return Err(StoreError::Conflict(format!(
                "the pair is already {}",
                pair.status
            )));
        }
        let detail = serde_json::json!({"status": status, "reason": reason, "note": note, "ended_on": ended_on}).to_string();
        let action = if status == "completed" {
            "pair.completed"
        } else {
            "pair.ended"
        };
        record_event::<DB>(&mut tx, actor, action, &format!("pair:{id}"), &detail).await?;
        tx.commit().await?;
        self.get_pair(scope, id).await?.ok_or(StoreError::NotFound)
    }

    async fn erase_person(
        &self,
        id: &str,
        pseudonym: &str,
        today: &str,
        why: &str,
        actor: &Actor,
    ) -> StoreResult<Erasure> {
        let mut erasure = Erasure::default();
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        let like = format!("%{id}%");
        let now = now_rfc3339();

        // Pending proposals are withdrawn; every proposal is pseudonymised.
        let sql = format!(
            "SELECT {PROPOSAL_COLUMNS} FROM proposals p WHERE p.mentor_id = $1 OR p.mentee_ids LIKE $2"
        );
        let rows = sqlx::query::<DB>(AssertSqlSafe(sql))
            .bind(id.to_owned())
            .bind(like.clone())
            .fetch_all(&mut *tx)
            .await?;
        for row in &rows {
            let p = proposal_from_row::<DB>(row)?;
            if p.mentor_id != id && !p.mentee_ids.iter().any(|m| m == id) {
                continue;
            }
            let status = if p.status == "proposed" {
                erasure.proposals_withdrawn += 1;
                "withdrawn".to_owned()
            } else {
                p.status.clone()
            };
            let swap = |x: &String| {
                if x == id {
                    pseudonym.to_owned()
                } else {
                    x.clone()
                }
            };
            let mut doc: serde_json::Value = serde_json::from_str(&p.doc).unwrap_or_default();
            replace_in_json(&mut doc, id, pseudonym);
            sqlx::query::<DB>(
                "UPDATE proposals SET status = $2, mentor_id = $3, mentee_ids = $4, doc = $5 WHERE id = $1",
            )
            .bind(p.id.clone())
            .bind(status)
            .bind(swap(&p.mentor_id))
            .bind(p.mentee_ids.iter().map(swap).collect::<Vec<_>>().join("|"))
            .bind(doc.to_string())
            .execute(&mut *tx)
            .await?;
        }

        // Active pairs end; every pair keeps its place in the counts under
        // the pseudonym.
        let ended = sqlx::query::<DB>(
            "UPDATE pairs SET status = 'ended', ended_on = $2, end_reason = 'consent_withdrawn', updated_at = $3 \
             WHERE status = 'active' AND (mentor_id = $1 OR mentee_id = $1) RETURNING id",
        )
        .bind(id.to_owned())
        .bind(today.to_owned())
        .bind(now.clone())
        .fetch_all(&mut *tx)
        .await?;
        erasure.pairs_ended = ended.len();
        for table in ["pairs", "exclusions"] {
            for column in ["mentor_id", "mentee_id"] {
                let sql = format!("UPDATE {table} SET {column} = $2 WHERE {column} = $1");
                sqlx::query::<DB>(AssertSqlSafe(sql))
                    .bind(id.to_owned())
                    .bind(pseudonym.to_owned())
                    .execute(&mut *tx)
                    .await?;
            }
        }

        // Stored runs: results and score matrices.
        let runs = sqlx::query::<DB>(
            "SELECT id, result, scores_csv FROM runs WHERE result LIKE $1 OR scores_csv LIKE $1",
        )
        .bind(like.clone())
        .fetch_all(&mut *tx)
        .await?;
        for row in &runs {
            let run_id: String = row.try_get(0)?;
            let result: Option<String> = row.try_get(1)?;
            let csv: Option<String> = row.try_get(2)?;
            let result = result.map(|r| {
                let mut value: serde_json::Value = serde_json::from_str(&r).unwrap_or_default();
                replace_in_json(&mut value, id, pseudonym);
                value.to_string()
            });
            let csv = csv.map(|c| replace_in_csv(&c, id, pseudonym));
            sqlx::query::<DB>("UPDATE runs SET result = $2, scores_csv = $3 WHERE id = $1")
                .bind(run_id)
                .bind(result)
                .bind(csv)
                .execute(&mut *tx)
                .await?;
            erasure.runs_rewritten += 1;
        }

        // The audit log keeps what happened, not to whom.
        let events = sqlx::query::<DB>(
            "SELECT id, subject, detail FROM events WHERE subject LIKE $1 OR detail LIKE $1",
        )
        .bind(like)
        .fetch_all(&mut *tx)
        .await?;
        for row in &events {
            let event_id: String = row.try_get(0)?;
            let subject: String = row.try_get(1)?;
            let detail: String = row.try_get(2)?;
            let subject = match subject.split_once(':') {
                Some((kind, who)) if who == id => format!("{kind}:{pseudonym}"),
                _ => subject,
            };
            let mut detail_value: serde_json::Value =
                serde_json::from_str(&detail).unwrap_or_default();
            replace_in_json(&mut detail_value, id, pseudonym);
            sqlx::query::<DB>("UPDATE events SET subject = $2, detail = $3 WHERE id = $1")
                .bind(event_id)
                .bind(subject)
                .bind(detail_value.to_string())
                .execute(&mut *tx)
                .await?;
        }

        // The profiles themselves go: nothing personal is kept.
        for table in ["mentors", "mentees"] {
            let sql = format!("DELETE FROM {table} WHERE id = $1");
            sqlx::query::<DB>(AssertSqlSafe(sql))
                .bind(id.to_owned())
                .execute(&mut *tx)
                .await?;
        }
        let detail = serde_json::json!({
            "why": why,
            "proposals_withdrawn": erasure.proposals_withdrawn,
            "pairs_ended": erasure.pairs_ended,
            "runs_rewritten": erasure.runs_rewritten,
        })
        .to_string();
        record_event::<DB>(
            &mut tx,
            actor,
            "person.erased",
            &format!("person:{pseudonym}"),
            &detail,
        )
        .await?;
        tx.commit().await?;
        DB::scrub(&self.pool).await?;
        Ok(erasure)
    }

    async fn add_feedback(&self, f: &FeedbackRecord, actor: &Actor) -> StoreResult<()> {
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        sqlx::query::<DB>(
            "INSERT INTO feedback (id, pair_id, programme_id, stage, respondent, answers, comment, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(f.id.clone())
        .bind(f.pair_id.clone())
        .bind(f.programme_id.clone())
        .bind(f.stage.clone())
        .bind(f.respondent.clone())
        .bind(f.answers.clone())
        .bind(f.comment.clone())
        .bind(f.created_by.clone())
        .bind(f.created_at.clone())
        .execute(&mut *tx)
        .await?;
        let detail = serde_json::json!({"stage": f.stage, "respondent": f.respondent}).to_string();
        record_event::<DB>(
            &mut tx,
            actor,
            "feedback.recorded",
            &format!("pair:{}", f.pair_id),
            &detail,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_feedback(
        &self,
        pair_id: Option<&str>,
        programme_id: Option<&str>,
    ) -> StoreResult<Vec<FeedbackRecord>> {
        let mut st = Statement::new(
            "SELECT id, pair_id, programme_id, stage, respondent, answers, comment, created_by, created_at FROM feedback WHERE 1 = 1",
        );
        if let Some(pair_id) = pair_id {
            let a = st.arg(pair_id);
            st.push(&format!(" AND pair_id = {a}"));
        }
        if let Some(programme_id) = programme_id {
            let a = st.arg(programme_id);
            st.push(&format!(" AND programme_id = {a}"));
        }
        st.push(" ORDER BY created_at, id");
        let rows = fetch_all::<DB>(&self.pool, st).await?;
        rows.iter().map(feedback_from_row::<DB>).collect()
    }

    async fn record_weights(
        &self,
        programme_id: &str,
        weights: &str,
        reason: Option<&str>,
        actor: &Actor,
    ) -> StoreResult<i64> {
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        let sql = format!(
            "SELECT version, weights FROM weight_versions WHERE programme_id = $1 ORDER BY version DESC LIMIT 1{}",
            DB::LOCK_ROWS
        );
        let last = sqlx::query::<DB>(AssertSqlSafe(sql))
            .bind(programme_id.to_owned())
            .fetch_optional(&mut *tx)
            .await?;
        let (version, same) = match &last {
            Some(row) => (
                row.try_get::<i64, _>(0)?,
                row.try_get::<String, _>(1)? == weights,
            ),
            None => (0, false),
        };
        if same {
            tx.commit().await?;
            return Ok(version);
        }
        let version = version + 1;
        sqlx::query::<DB>(
            "INSERT INTO weight_versions (programme_id, version, weights, changed_by, changed_at, reason) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(programme_id.to_owned())
        .bind(version)
        .bind(weights.to_owned())
        .bind(actor.key_id.clone())
        .bind(now_rfc3339())
        .bind(reason.map(str::to_owned))
        .execute(&mut *tx)
        .await?;
        let detail = serde_json::json!({"version": version, "reason": reason}).to_string();
        record_event::<DB>(
            &mut tx,
            actor,
            "weights.changed",
            &format!("programme:{programme_id}"),
            &detail,
        )
        .await?;
        tx.commit().await?;
        Ok(version)
    }

    async fn weight_history(&self, programme_id: &str) -> StoreResult<Vec<WeightVersion>> {
        let rows = sqlx::query::<DB>(
            "SELECT version, weights, changed_by, changed_at, reason FROM weight_versions WHERE programme_id = $1 ORDER BY version",
        )
        .bind(programme_id.to_owned())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(WeightVersion {
                    version: row.try_get(0)?,
                    weights: row.try_get(1)?,
                    changed_by: row.try_get(2)?,
                    changed_at: row.try_get(3)?,
                    reason: row.try_get(4)?,
                })
            })
            .collect()
    }

    async fn report_data(&self, organization_path: &str) -> StoreResult<ReportData> {
        let mut data = ReportData::default();
        let path = organization_path.to_owned();
        let sql = format!(
            "SELECT id, parent_id, path, kind, etag, doc FROM organizations WHERE {} ORDER BY path",
            under("path", "$1")
        );
        for row in sqlx::query::<DB>(AssertSqlSafe(sql))
            .bind(path.clone())
            .fetch_all(&self.pool)
            .await?
        {
            data.organizations.push((
                OrganizationNode {
                    id: row.try_get(0)?,
                    parent_id: row.try_get(1)?,
                    path: row.try_get(2)?,
                    kind: row.try_get(3)?,
                    etag: row.try_get(4)?,
                },
                row.try_get(5)?,
            ));
        }
        for (table, out) in [
            ("mentors", &mut data.mentors),
            ("mentees", &mut data.mentees),
        ] {
            let sql = format!(
                "SELECT d.doc FROM {table} d JOIN organizations o ON o.id = d.organization_id WHERE {} ORDER BY d.id",
                under("o.path", "$1")
            );
            for row in sqlx::query::<DB>(AssertSqlSafe(sql))
                .bind(path.clone())
                .fetch_all(&self.pool)
                .await?
            {
                out.push(row.try_get(0)?);
            }
        }
        let sql = format!(
            "SELECT {PAIR_COLUMNS}, p.kind FROM pairs x JOIN organizations o ON o.id = x.organization_id \
             JOIN programmes p ON p.id = x.programme_id WHERE {} ORDER BY x.id",
            under("o.path", "$1")
        );
        for row in sqlx::query::<DB>(AssertSqlSafe(sql))
            .bind(path.clone())
            .fetch_all(&self.pool)
            .await?
        {
            data.pairs
                .push((pair_from_row::<DB>(&row)?, row.try_get(15)?));
        }
        let sql = format!(
            "SELECT f.id, f.pair_id, f.programme_id, f.stage, f.respondent, f.answers, f.comment, f.created_by, f.created_at \
             FROM feedback f JOIN pairs x ON x.id = f.pair_id JOIN organizations o ON o.id = x.organization_id \
             WHERE {} ORDER BY f.created_at, f.id",
            under("o.path", "$1")
        );
        for row in sqlx::query::<DB>(AssertSqlSafe(sql))
            .bind(path)
            .fetch_all(&self.pool)
            .await?
        {
            data.feedback.push(feedback_from_row::<DB>(&row)?);
        }
        Ok(data)
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
        let placeholders: Vec<String> = ancestors.iter().map(|id| st.arg(*id)).collect();
        st.push(&placeholders.join(", "));
        st.push(") ORDER BY d.id");
        fetch_all::<DB>(&self.pool, st)
            .await?
            .iter()
            .map(|row| {
                Ok(Stored {
                    id: row.try_get(0)?,
                    doc: row.try_get(1)?,
                    etag: row.try_get(2)?,
                })
            })
            .collect()
    }

    async fn secret(&self, name: &str, fresh: &str) -> StoreResult<String> {
        sqlx::query::<DB>(
            "INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name.to_owned())
        .bind(fresh.to_owned())
        .execute(&self.pool)
        .await?;
        let row = sqlx::query::<DB>("SELECT value FROM settings WHERE name = $1")
            .bind(name.to_owned())
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get(0)?)
    }

    async fn record(
        &self,
        actor: &Actor,
        action: &str,
        subject: &str,
        detail: &str,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        record_event::<DB>(&mut tx, actor, action, subject, detail).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_events(
        &self,
        filter: &EventFilter,
        page: &PageRequest,
    ) -> StoreResult<(Vec<EventRecord>, Option<String>)> {
        let mut st = Statement::new(
            "SELECT at, key_id, role, action, subject, detail, origin, id FROM events WHERE 1 = 1",
        );
        if let Some(subject) = &filter.subject {
            let a = st.arg(subject.as_str());
            st.push(&format!(" AND subject = {a}"));
        }
        if let Some(key_id) = &filter.key_id {
            let a = st.arg(key_id.as_str());
            st.push(&format!(" AND key_id = {a}"));
        }
        if let Some(action) = &filter.action {
            let a = st.arg(action.as_str());
            st.push(&format!(" AND substr(action, 1, length({a})) = {a}"));
        }
        if let Some(since) = &filter.since {
            let a = st.arg(since.as_str());
            st.push(&format!(" AND at >= {a}"));
        }
        if let Some(after) = &page.after {
            // Newest first, so the next page holds what sorts below the
            // cursor event; an unknown cursor compares with NULL: no rows.
            let c = st.arg(after.as_str());
            st.push(&format!(
                " AND (at, id) < (SELECT c.at, c.id FROM events c WHERE c.id = {c})"
            ));
        }
        // One row more than asked tells whether another page follows.
        st.push(&format!(
            " ORDER BY at DESC, id DESC LIMIT {}",
            u64::from(page.limit) + 1
        ));
        let rows = fetch_all::<DB>(&self.pool, st).await?;
        let mut events = Vec::with_capacity(rows.len());
        let mut ids: Vec<String> = Vec::with_capacity(rows.len());
        for row in &rows {
            events.push(EventRecord {
                at: row.try_get(0)?,
                key_id: row.try_get(1)?,
                role: row.try_get(2)?,
                action: row.try_get(3)?,
                subject: row.try_get(4)?,
                detail: row.try_get(5)?,
                origin: row.try_get(6)?,
            });
            ids.push(row.try_get(7)?);
        }
        let limit = page.limit as usize;
        let next = if events.len() > limit {
            events.truncate(limit);
            ids.truncate(limit);
            ids.pop()
        } else {
            None
        };
        Ok((events, next))
    }
}

/// Refuses a pair whose mentee moved away or whose mentor left (a pair
/// ended so) when the profile was not updated since: they are out of
/// matching, by hand too.
async fn departed_check<DB>(
    tx: &mut Transaction<'static, DB>,
    request: &PairRequest,
) -> StoreResult<()>
where
    DB: Backend,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    usize: ColumnIndex<DB::Row>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
{
    let mentor_left = sqlx::query::<DB>(
        "SELECT x.ended_on FROM pairs x JOIN mentors d ON d.id = x.mentor_id \
         WHERE x.mentor_id = $1 AND x.status = 'ended' AND x.end_reason = 'mentor_left' \
         AND d.updated_at <= x.updated_at ORDER BY x.updated_at DESC LIMIT 1",
    )
    .bind(request.mentor_id.clone())
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(row) = mentor_left {
        let on: Option<String> = row.try_get(0)?;
        return Err(StoreError::Conflict(format!(
            "mentor {} left on {}; update their profile to bring them back into matching",
            request.mentor_id,
            on.unwrap_or_default()
        )));
    }
    for mentee_id in &request.mentee_ids {
        let moved = sqlx::query::<DB>(
            "SELECT x.ended_on FROM pairs x JOIN mentees d ON d.id = x.mentee_id \
             WHERE x.mentee_id = $1 AND x.status = 'ended' AND x.end_reason = 'mentee_moved' \
             AND d.updated_at <= x.updated_at ORDER BY x.updated_at DESC LIMIT 1",
        )
        .bind(mentee_id.clone())
        .fetch_optional(&mut **tx)
        .await?;
        if let Some(row) = moved {
            let on: Option<String> = row.try_get(0)?;
            return Err(StoreError::Conflict(format!(
                "mentee {mentee_id} moved away on {}; update their profile to bring them back into matching",
                on.unwrap_or_default()
            )));
        }
    }
    Ok(())
}

/// Refuses a pair made by hand that a curator rejected, or that ended
/// early, unless the request overrides it with a reason; the conflict
/// names when and why.
async fn exclusion_check<DB>(
    tx: &mut Transaction<'static, DB>,
    request: &PairRequest,
) -> StoreResult<()>
where
    DB: Backend,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    usize: ColumnIndex<DB::Row>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
{
    if request.override_rejection.is_some() {
        return Ok(());
    }
    for mentee_id in &request.mentee_ids {
        let rejected = sqlx::query::<DB>(
            "SELECT created_at, reason FROM exclusions WHERE programme_id = $1 AND mentor_id = $2 AND mentee_id = $3",
        )
        .bind(request.programme_id.clone())
        .bind(request.mentor_id.clone())
        .bind(mentee_id.clone())
        .fetch_optional(&mut **tx)
        .await?;
        if let Some(row) = rejected {
            let (at, reason): (String, String) = (row.try_get(0)?, row.try_get(1)?);
            return Err(StoreError::Conflict(format!(
                "the pair of mentor {} and mentee {mentee_id} was rejected on {at}: {reason}; \
                 to pair them all the same send override_rejection: true with a reason",
                request.mentor_id
            )));
        }
        let ended = sqlx::query::<DB>(
            "SELECT ended_on, end_reason FROM pairs WHERE programme_id = $1 AND mentor_id = $2 \
             AND mentee_id = $3 AND status = 'ended' ORDER BY updated_at DESC LIMIT 1",
        )
        .bind(request.programme_id.clone())
        .bind(request.mentor_id.clone())
        .bind(mentee_id.clone())
        .fetch_optional(&mut **tx)
        .await?;
        if let Some(row) = ended {
            let (on, reason): (Option<String>, Option<String>) = (row.try_get(0)?, row.try_get(1)?);
            return Err(StoreError::Conflict(format!(
                "the pair of mentor {} and mentee {mentee_id} ended early on {}: {}; \
                 to pair them all the same send override_rejection: true with a reason",
                request.mentor_id,
                on.unwrap_or_default(),
                reason.unwrap_or_default()
            )));
        }
    }
    Ok(())
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

/// `HEAD <id> AND <path_column> is under the scope`: the look-up of one
/// row by id that every scoped read shares. `head` ends with `… = `.
fn scoped_by_id(head: impl Into<String>, path_column: &str, id: &str, scope: &Scope) -> Statement {
    let mut st = Statement::new(head);
    let a = st.arg(id);
    st.push(&a);
    st.push(" AND ");
    let p = st.arg(scope.prefix());
    st.push(&under(path_column, &p));
    st
}

/// Appends `WHERE conditions` and the keyset page: rows after the cursor,
/// in id order, so that each page is a range of the id index.
fn push_page(st: &mut Statement, mut conditions: Vec<String>, id_column: &str, page: &PageRequest) {
    if let Some(after) = &page.after {
        let a = st.arg(after.as_str());
        conditions.push(format!("{id_column} > {a}"));
    }
    if !conditions.is_empty() {
        st.push(" WHERE ");
        st.push(&conditions.join(" AND "));
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

const RUN_COLUMNS: &str = "r.id, r.programme_id, r.organization_id, r.status, r.progress, r.options, r.dry_run, \
     r.created_by, r.created_at, r.started_at, r.finished_at, r.error, r.result";
const PROPOSAL_COLUMNS: &str = "p.id, p.run_id, p.programme_id, p.mentor_id, p.mentee_ids, p.status, p.doc, p.decided_by, p.decided_at, p.reason";
const PAIR_COLUMNS: &str = "x.id, x.programme_id, x.group_id, x.proposal_id, x.mentor_id, x.mentee_id, \
     x.organization_id, x.status, x.started_on, x.ended_on, x.end_reason, x.end_note, x.created_by, x.created_at, x.updated_at";

fn run_from_row<DB: Database>(row: &DB::Row) -> StoreResult<RunRecord>
where
    usize: ColumnIndex<DB::Row>,
    for<'r> String: Decode<'r, DB> + Type<DB>,
    for<'r> Option<String>: Decode<'r, DB> + Type<DB>,
    for<'r> i64: Decode<'r, DB> + Type<DB>,
{
    Ok(RunRecord {
        id: row.try_get(0)?,
        programme_id: row.try_get(1)?,
        organization_id: row.try_get(2)?,
        status: row.try_get(3)?,
        progress: row.try_get(4)?,
        options: row.try_get(5)?,
        dry_run: row.try_get::<i64, _>(6)? != 0,
        created_by: row.try_get(7)?,
        created_at: row.try_get(8)?,
        started_at: row.try_get(9)?,
        finished_at: row.try_get(10)?,
        error: row.try_get(11)?,
        result: row.try_get(12)?,
    })
}

fn proposal_from_row<DB: Database>(row: &DB::Row) -> StoreResult<ProposalRecord>
where
    usize: ColumnIndex<DB::Row>,
    for<'r> String: Decode<'r, DB> + Type<DB>,
    for<'r> Option<String>: Decode<'r, DB> + Type<DB>,
{
    let mentee_ids: String = row.try_get(4)?;
    Ok(ProposalRecord {
        id: row.try_get(0)?,
        run_id: row.try_get(1)?,
        programme_id: row.try_get(2)?,
        mentor_id: row.try_get(3)?,
        mentee_ids: mentee_ids
            .split('|')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        status: row.try_get(5)?,
        doc: row.try_get(6)?,
        decided_by: row.try_get(7)?,
        decided_at: row.try_get(8)?,
        reason: row.try_get(9)?,
    })
}

fn pair_from_row<DB: Database>(row: &DB::Row) -> StoreResult<PairRecord>
where
    usize: ColumnIndex<DB::Row>,
    for<'r> String: Decode<'r, DB> + Type<DB>,
    for<'r> Option<String>: Decode<'r, DB> + Type<DB>,
{
    Ok(PairRecord {
        id: row.try_get(0)?,
        programme_id: row.try_get(1)?,
        group_id: row.try_get(2)?,
        proposal_id: row.try_get(3)?,
        mentor_id: row.try_get(4)?,
        mentee_id: row.try_get(5)?,
        organization_id: row.try_get(6)?,
        status: row.try_get(7)?,
        started_on: row.try_get(8)?,
        ended_on: row.try_get(9)?,
        end_reason: row.try_get(10)?,
        end_note: row.try_get(11)?,
        created_by: row.try_get(12)?,
        created_at: row.try_get(13)?,
        updated_at: row.try_get(14)?,
    })
}

async fn record_event<DB>(
    tx: &mut Transaction<'static, DB>,
    actor: &Actor,
    action: &str,
    subject: &str,
    detail: &str,
) -> StoreResult<()>
where
    DB: Backend,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    for<'q> String: Encode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB> + Type<DB>,
{
    sqlx::query::<DB>(
        "INSERT INTO events (id, at, key_id, role, action, subject, detail, origin) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(now_rfc3339())
    .bind(actor.key_id.clone())
    .bind(actor.role.clone())
    .bind(action.to_owned())
    .bind(subject.to_owned())
    .bind(detail.to_owned())
    .bind(actor.origin.clone())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn feedback_from_row<DB: Database>(row: &DB::Row) -> StoreResult<FeedbackRecord>
where
    usize: ColumnIndex<DB::Row>,
    for<'r> String: Decode<'r, DB> + Type<DB>,
    for<'r> Option<String>: Decode<'r, DB> + Type<DB>,
{
    Ok(FeedbackRecord {
        id: row.try_get(0)?,
        pair_id: row.try_get(1)?,
        programme_id: row.try_get(2)?,
        stage: row.try_get(3)?,
        respondent: row.try_get(4)?,
        answers: row.try_get(5)?,
        comment: row.try_get(6)?,
        created_by: row.try_get(7)?,
        created_at: row.try_get(8)?,
    })
}
