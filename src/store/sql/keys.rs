//! API keys, stored as the SHA-256 of their secret.

use super::rows::{KeyRow, KeyWithPathRow};
use super::{Backend, SqlStore};
use crate::store::{KeyRecord, KeyStore, NewKey, StoreResult};
use async_trait::async_trait;
use sqlx::{AssertSqlSafe, ColumnIndex, Decode, Encode, Executor, IntoArguments, Pool, Type};

#[async_trait]
impl<DB> KeyStore for SqlStore<DB>
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
        let row = sqlx::query_as::<DB, KeyWithPathRow>(AssertSqlSafe(sql))
            .bind(hash.to_owned())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| (r.key.into(), r.path)))
    }

    async fn list_keys(&self) -> StoreResult<Vec<KeyRecord>> {
        let sql = format!("SELECT {KEY_COLUMNS} FROM api_keys k ORDER BY k.created_at DESC, k.id");
        let rows = sqlx::query_as::<DB, KeyRow>(AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(KeyRecord::from).collect())
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
}

const KEY_COLUMNS: &str =
    "k.id, k.role, k.organization_id, k.label, k.created_at, k.expires_at, k.revoked_at";
