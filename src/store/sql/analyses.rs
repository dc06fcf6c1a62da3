//! Feedback questionnaires, weight versions and what the indicators count.

use super::rows::{FeedbackRow, NodeWithDocRow, PairWithFormRow, WeightRow};
use super::{
    Backend, PAIR_COLUMNS, SqlStore, Statement, fetch_all, now_rfc3339, record_event, under,
};
use crate::store::{Actor, AnalysisStore, FeedbackRecord, ReportData, StoreResult, WeightVersion};
use async_trait::async_trait;
use sqlx::{
    AssertSqlSafe, ColumnIndex, Database, Decode, Encode, Executor, FromRow, IntoArguments, Pool,
    Row, Type,
};

#[async_trait]
impl<DB> AnalysisStore for SqlStore<DB>
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
        let rows = sqlx::query_as::<DB, WeightRow>(
            "SELECT version, weights, changed_by, changed_at, reason FROM weight_versions WHERE programme_id = $1 ORDER BY version",
        )
        .bind(programme_id.to_owned())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(WeightVersion::from).collect())
    }

    async fn report_data(&self, organization_path: &str) -> StoreResult<ReportData> {
        let mut data = ReportData::default();
        let path = organization_path.to_owned();
        let sql = format!(
            "SELECT id, parent_id, path, kind, etag, doc FROM organizations WHERE {} ORDER BY path",
            under("path", "$1")
        );
        for row in sqlx::query_as::<DB, NodeWithDocRow>(AssertSqlSafe(sql))
            .bind(path.clone())
            .fetch_all(&self.pool)
            .await?
        {
            data.organizations.push((row.node.into(), row.doc));
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
        for row in sqlx::query_as::<DB, PairWithFormRow>(AssertSqlSafe(sql))
            .bind(path.clone())
            .fetch_all(&self.pool)
            .await?
        {
            data.pairs.push((row.pair.into(), row.kind));
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
}

fn feedback_from_row<DB: Database>(row: &DB::Row) -> StoreResult<FeedbackRecord>
where
    FeedbackRow: for<'r> FromRow<'r, DB::Row>,
{
    Ok(FeedbackRow::from_row(row)?.into())
}
