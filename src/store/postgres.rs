//! The production store: PostgreSQL, shared by several stateless instances.

use super::StoreResult;
use super::sql::{Backend, SqlStore};
use sqlx::postgres::PgPoolOptions;
use sqlx::{Pool, Postgres};
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("src/store/migrations/postgres");

impl Backend for Postgres {
    const BEGIN_WRITE: &'static str = "BEGIN";
    const CLAIM_LOCK: &'static str = " FOR UPDATE SKIP LOCKED";
    const LOCK_ROWS: &'static str = " FOR UPDATE";

    async fn scrub(pool: &Pool<Self>) -> StoreResult<()> {
        // Rewrites the tables an erasure touches, so no dead row versions
        // with the person's data stay in the data files. It locks each
        // table briefly; erasures are rare.
        for table in [
            "mentors",
            "mentees",
            "proposals",
            "pairs",
            "exclusions",
            "runs",
            "events",
        ] {
            sqlx::query(sqlx::AssertSqlSafe(format!("VACUUM FULL {table}")))
                .execute(pool)
                .await?;
        }
        Ok(())
    }

    async fn run_migrations(pool: &Pool<Self>) -> StoreResult<()> {
        // The migrator takes an advisory lock, so instances starting
        // together migrate once.
        MIGRATOR.run(pool).await?;
        Ok(())
    }
}

/// The PostgreSQL store.
pub type PostgresStore = SqlStore<Postgres>;

/// Connects to PostgreSQL at `url`.
pub async fn open(url: &str) -> StoreResult<PostgresStore> {
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(10))
        .connect(url)
        .await?;
    Ok(SqlStore::new(pool))
}
