//! Planned values of the indicators: replaced as a whole per
//! organisation, read for one organisation or a subtree.

use super::{Backend, SqlStore, now_rfc3339, record_event, under};
use crate::store::{Actor, StoreResult, TargetRecord, TargetStore};
use async_trait::async_trait;
use sqlx::{
    AssertSqlSafe, ColumnIndex, Decode, Encode, Executor, FromRow, IntoArguments, Pool, Type,
};

/// A row of `targets`.
#[derive(FromRow)]
struct TargetRow {
    organization_id: String,
    indicator: String,
    period: String,
    tenths: i64,
}

impl TargetRow {
    fn split(self) -> (String, TargetRecord) {
        (
            self.organization_id,
            TargetRecord {
                indicator: self.indicator,
                period: self.period,
                tenths: self.tenths,
            },
        )
    }
}

#[async_trait]
impl<DB> TargetStore for SqlStore<DB>
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
    async fn replace_targets(
        &self,
        organization_id: &str,
        targets: &[TargetRecord],
        actor: &Actor,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        sqlx::query::<DB>("DELETE FROM targets WHERE organization_id = $1")
            .bind(organization_id.to_owned())
            .execute(&mut *tx)
            .await?;
        let now = now_rfc3339();
        for t in targets {
            sqlx::query::<DB>(
                "INSERT INTO targets (organization_id, indicator, period, tenths, updated_by, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(organization_id.to_owned())
            .bind(t.indicator.clone())
            .bind(t.period.clone())
            .bind(t.tenths)
            .bind(actor.key_id.clone())
            .bind(now.clone())
            .execute(&mut *tx)
            .await?;
        }
        let detail = serde_json::json!({"targets": targets.len()}).to_string();
        record_event::<DB>(
            &mut tx,
            actor,
            "targets.replaced",
            &format!("organization:{organization_id}"),
            &detail,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn targets_of(&self, organization_id: &str) -> StoreResult<Vec<TargetRecord>> {
        let rows = sqlx::query::<DB>(
            "SELECT organization_id, indicator, period, tenths FROM targets \
             WHERE organization_id = $1 ORDER BY indicator, period",
        )
        .bind(organization_id.to_owned())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| Ok(TargetRow::from_row(row)?.split().1))
            .collect()
    }

    async fn targets_under(&self, path: &str) -> StoreResult<Vec<(String, TargetRecord)>> {
        let sql = format!(
            "SELECT t.organization_id, t.indicator, t.period, t.tenths FROM targets t \
             JOIN organizations o ON o.id = t.organization_id WHERE {} \
             ORDER BY t.organization_id, t.indicator, t.period",
            under("o.path", "$1")
        );
        let rows = sqlx::query::<DB>(AssertSqlSafe(sql))
            .bind(path.to_owned())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| Ok(TargetRow::from_row(row)?.split()))
            .collect()
    }
}
