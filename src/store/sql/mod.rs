//! The SQL shared by both backends: [`SqlStore`], the helpers every
//! aggregate uses, and one file per aggregate's store trait.
//!
//! Every statement here is written once in the dialect SQLite and
//! PostgreSQL share (`$N` parameters, `ON CONFLICT … DO UPDATE`, `||`,
//! `substr`), and every value is bound as text or a 64-bit integer, so the
//! same code runs on both. What differs is the [`Backend`] trait.

use super::{Actor, PageRequest, ProposalRecord, SchemaStore, Scope, StoreResult};
use async_trait::async_trait;
use sqlx::{
    AssertSqlSafe, ColumnIndex, Database, Decode, Encode, Executor, FromRow, IntoArguments, Pool,
    Row, Transaction, Type,
};
use std::future::Future;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

mod analyses;
mod audit;
mod banks;
mod keys;
mod orders;
mod packed;
mod pairs;
mod privacy;
mod refs;
mod rows;
mod runs;
mod sessions;
mod targets;
mod wishes;

use packed::pack;
pub use packed::unpack;
use rows::ProposalRow;

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

    /// Adds each value as a parameter and their placeholders, comma
    /// separated (the inside of an `IN (…)` list).
    fn push_list<'v>(&mut self, values: impl IntoIterator<Item = &'v str>) {
        let placeholders: Vec<String> = values.into_iter().map(|v| self.arg(v)).collect();
        self.push(&placeholders.join(", "));
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

/// Runs a built statement inside a write transaction.
async fn execute<DB>(tx: &mut Transaction<'static, DB>, st: Statement) -> StoreResult<()>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    for<'q> String: Encode<'q, DB> + Type<DB>,
{
    let mut query = sqlx::query::<DB>(AssertSqlSafe(st.sql));
    for arg in st.args {
        query = query.bind(arg);
    }
    query.execute(&mut **tx).await?;
    Ok(())
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

const PROPOSAL_COLUMNS: &str = "p.id, p.run_id, p.programme_id, p.mentor_id, p.mentee_ids, p.status, p.doc, p.decided_by, p.decided_at, p.reason, p.packed";
const PAIR_COLUMNS: &str = "x.id, x.programme_id, x.group_id, x.proposal_id, x.mentor_id, x.mentee_id, \
     x.organization_id, x.status, x.started_on, x.ended_on, x.end_reason, x.end_note, x.created_by, x.created_at, x.updated_at, \
     (SELECT r.number FROM orders r WHERE r.id = x.order_id) AS order_number, \
     (SELECT r.order_date FROM orders r WHERE r.id = x.order_id) AS order_date";

fn proposal_from_row<DB: Database>(row: &DB::Row) -> StoreResult<ProposalRecord>
where
    ProposalRow: for<'r> FromRow<'r, DB::Row>,
{
    let mut row = ProposalRow::from_row(row)?;
    let packed = row.packed.take();
    let mut record: ProposalRecord = row.into();
    if let Some(bytes) = packed {
        record.doc = unpack(&bytes)?;
    }
    Ok(record)
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

#[async_trait]
impl<DB> SchemaStore for SqlStore<DB>
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
}
