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
        // Plain VACUUM removes the dead row versions an erasure leaves
        // without locking readers or writers out (VACUUM FULL would hold
        // every table exclusively while it rewrites it). It runs after the
        // answer, so that an erasure takes no longer with more data.
        let pool = pool.clone();
        tokio::spawn(async move {
            for table in [
                "mentors",
                "mentees",
                "profile_versions",
                "person_refs",
                "proposals",
                "proposal_mentees",
                "pairs",
                "exclusions",
                "runs",
                "events",
                "pins",
                "wishes",
            ] {
                if let Err(e) = sqlx::query(sqlx::AssertSqlSafe(format!("VACUUM {table}")))
                    .execute(&pool)
                    .await
                {
                    tracing::warn!(table, error = %e, "vacuum after an erasure failed");
                }
            }
        });
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
