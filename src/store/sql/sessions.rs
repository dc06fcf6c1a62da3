//! Sessions of the pages, stored as the SHA-256 of their token.

use super::rows::SessionWithKeyRow;
use super::{Backend, SqlStore};
use crate::store::{KeyRecord, SessionRecord, SessionStore, StoreResult};
use async_trait::async_trait;
use sqlx::{AssertSqlSafe, ColumnIndex, Decode, Encode, Executor, IntoArguments, Pool, Type};

#[async_trait]
impl<DB> SessionStore for SqlStore<DB>
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
    async fn insert_session(&self, session: &SessionRecord) -> StoreResult<()> {
        sqlx::query::<DB>(
            "INSERT INTO sessions (hash, key_id, csrf, created_at, last_seen_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(session.hash.clone())
        .bind(session.key_id.clone())
        .bind(session.csrf.clone())
        .bind(session.created_at.clone())
        .bind(session.last_seen_at.clone())
        .bind(session.expires_at.clone())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn find_session(
        &self,
        hash: &str,
    ) -> StoreResult<Option<(SessionRecord, KeyRecord, Option<String>)>> {
        // One round trip: the session, its key (revoked or not: the
        // service decides) and the path of the key's organisation.
        let sql = format!(
            "SELECT s.hash AS session_hash, s.key_id AS session_key_id, s.csrf, \
             s.created_at AS session_created_at, s.last_seen_at, s.expires_at AS session_expires_at, \
             {KEY_COLUMNS}, o.path FROM sessions s \
             JOIN api_keys k ON k.id = s.key_id \
             LEFT JOIN organizations o ON o.id = k.organization_id WHERE s.hash = $1"
        );
        let row = sqlx::query_as::<DB, SessionWithKeyRow>(AssertSqlSafe(sql))
            .bind(hash.to_owned())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| (r.session.into(), r.key.into(), r.path)))
    }

    async fn touch_session(&self, hash: &str, at: &str) -> StoreResult<()> {
        sqlx::query::<DB>("UPDATE sessions SET last_seen_at = $2 WHERE hash = $1")
            .bind(hash.to_owned())
            .bind(at.to_owned())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn delete_session(&self, hash: &str) -> StoreResult<bool> {
        let deleted = sqlx::query::<DB>("DELETE FROM sessions WHERE hash = $1 RETURNING hash")
            .bind(hash.to_owned())
            .fetch_optional(&self.pool)
            .await?;
        Ok(deleted.is_some())
    }

    async fn delete_expired_sessions(&self, idle_before: &str, now: &str) -> StoreResult<u64> {
        let deleted = sqlx::query::<DB>(
            "DELETE FROM sessions WHERE last_seen_at < $1 OR expires_at <= $2 RETURNING hash",
        )
        .bind(idle_before.to_owned())
        .bind(now.to_owned())
        .fetch_all(&self.pool)
        .await?;
        Ok(deleted.len() as u64)
    }
}

const KEY_COLUMNS: &str =
    "k.id, k.role, k.organization_id, k.label, k.created_at, k.expires_at, k.revoked_at";
