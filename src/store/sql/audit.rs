//! The audit log of accesses and changes.

use super::rows::EventRow;
use super::{Backend, SqlStore, Statement, fetch_all, record_event};
use crate::store::{Actor, AuditStore, EventFilter, EventRecord, PageRequest, StoreResult};
use async_trait::async_trait;
use sqlx::{ColumnIndex, Decode, Encode, Executor, FromRow, IntoArguments, Pool, Type};

#[async_trait]
impl<DB> AuditStore for SqlStore<DB>
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
            let row = EventRow::from_row(row)?;
            ids.push(row.id.clone());
            events.push(EventRecord::from(row));
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
