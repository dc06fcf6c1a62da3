//! The embedded default: a SQLite file, created and migrated on first start.

use super::StoreResult;
use super::sql::{Backend, SqlStore};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Pool, Sqlite};
use std::str::FromStr;
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("src/store/migrations/sqlite");

impl Backend for Sqlite {
    const BEGIN_WRITE: &'static str = "BEGIN IMMEDIATE";
    const CLAIM_LOCK: &'static str = "";
    const LOCK_ROWS: &'static str = "";

    async fn scrub(pool: &Pool<Self>) -> StoreResult<()> {
        // With secure_delete on, freed pages were zeroed as they were
        // freed; the checkpoint moves the WAL into the main file and
        // truncates it, so old page images do not linger there either.
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(pool)
            .await?;
        Ok(())
    }

    async fn run_migrations(pool: &Pool<Self>) -> StoreResult<()> {
        MIGRATOR.run(pool).await?;
        Ok(())
    }
}

/// The SQLite store.
pub type SqliteStore = SqlStore<Sqlite>;

/// Opens (creating when missing) the SQLite database at `url`
/// (`sqlite:data/mentor-match.db`), in WAL mode with a busy timeout so
/// that concurrent writers wait instead of failing.
pub async fn open(url: &str) -> StoreResult<SqliteStore> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10))
        // Erased people must not linger in free pages of the file.
        .pragma("secure_delete", "ON");
    if let Some(folder) = std::path::Path::new(options.get_filename()).parent()
        && !folder.as_os_str().is_empty()
    {
        std::fs::create_dir_all(folder).map_err(sqlx::Error::Io)?;
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await?;
    Ok(SqlStore::new(pool))
}
