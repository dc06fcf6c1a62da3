//! Pins and wishes of programmes: what a curator fixed before a run and
//! what participants said at the joint meeting.

use super::{Backend, SqlStore, now_rfc3339, record_event};
use crate::store::{Actor, PinRecord, StoreError, StoreResult, WishList, WishSide, WishStore};
use async_trait::async_trait;
use sqlx::{
    AssertSqlSafe, ColumnIndex, Decode, Encode, Executor, FromRow, IntoArguments, Pool, Row, Type,
};

/// A row of `pins`.
#[derive(FromRow)]
struct PinRow {
    programme_id: String,
    mentor_id: String,
    mentee_id: String,
    created_by: String,
    created_at: String,
}

impl From<PinRow> for PinRecord {
    fn from(row: PinRow) -> Self {
        PinRecord {
            programme_id: row.programme_id,
            mentor_id: row.mentor_id,
            mentee_id: row.mentee_id,
            created_by: row.created_by,
            created_at: row.created_at,
        }
    }
}

const PIN_COLUMNS: &str = "programme_id, mentor_id, mentee_id, created_by, created_at";

#[async_trait]
impl<DB> WishStore for SqlStore<DB>
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
    async fn add_pin(&self, pin: &PinRecord, capacity: u32, actor: &Actor) -> StoreResult<bool> {
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        // The mentor's row first: two pins of one mentor wait on each other
        // (PostgreSQL), so the count below cannot be read twice.
        let sql = format!("SELECT id FROM mentors WHERE id = $1{}", DB::LOCK_ROWS);
        if sqlx::query::<DB>(AssertSqlSafe(sql))
            .bind(pin.mentor_id.clone())
            .fetch_optional(&mut *tx)
            .await?
            .is_none()
        {
            return Err(StoreError::NotFound);
        }
        let existing = sqlx::query::<DB>(
            "SELECT mentor_id FROM pins WHERE programme_id = $1 AND mentee_id = $2",
        )
        .bind(pin.programme_id.clone())
        .bind(pin.mentee_id.clone())
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(row) = existing {
            let mentor: String = row.try_get(0)?;
            if mentor == pin.mentor_id {
                return Ok(false);
            }
            return Err(StoreError::Conflict(format!(
                "mentee {} is already pinned to mentor {mentor}; unpin first",
                pin.mentee_id
            )));
        }
        let paired = sqlx::query::<DB>(
            "SELECT mentor_id FROM pairs WHERE programme_id = $1 AND mentee_id = $2 AND status = 'active'",
        )
        .bind(pin.programme_id.clone())
        .bind(pin.mentee_id.clone())
        .fetch_optional(&mut *tx)
        .await?;
        if paired.is_some() {
            return Err(StoreError::Conflict(format!(
                "mentee {} already has an active pair in this programme",
                pin.mentee_id
            )));
        }
        // Places taken: active pairs in every programme, and the pins of
        // this programme whose mentee is not paired yet.
        let taken = sqlx::query::<DB>(
            "SELECT (SELECT COUNT(*) FROM pairs WHERE mentor_id = $1 AND status = 'active') + \
             (SELECT COUNT(*) FROM pins p WHERE p.mentor_id = $1 AND p.programme_id = $2 AND NOT EXISTS \
               (SELECT 1 FROM pairs x WHERE x.programme_id = p.programme_id AND x.mentee_id = p.mentee_id \
                AND x.status = 'active'))",
        )
        .bind(pin.mentor_id.clone())
        .bind(pin.programme_id.clone())
        .fetch_one(&mut *tx)
        .await?;
        let taken: i64 = taken.try_get(0)?;
        if taken >= i64::from(capacity) {
            return Err(StoreError::Conflict(format!(
                "mentor {} has no place left ({taken} of {capacity} taken by pairs and pins)",
                pin.mentor_id
            )));
        }
        sqlx::query::<DB>(
            "INSERT INTO pins (programme_id, mentee_id, mentor_id, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(pin.programme_id.clone())
        .bind(pin.mentee_id.clone())
        .bind(pin.mentor_id.clone())
        .bind(pin.created_by.clone())
        .bind(pin.created_at.clone())
        .execute(&mut *tx)
        .await?;
        let detail =
            serde_json::json!({"mentor_id": pin.mentor_id, "mentee_id": pin.mentee_id}).to_string();
        record_event::<DB>(
            &mut tx,
            actor,
            "pin.added",
            &format!("programme:{}", pin.programme_id),
            &detail,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn remove_pin(
        &self,
        programme_id: &str,
        mentee_id: &str,
        mentor_id: Option<&str>,
        actor: &Actor,
    ) -> StoreResult<Option<PinRecord>> {
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        let sql = format!(
            "DELETE FROM pins WHERE programme_id = $1 AND mentee_id = $2 \
             AND ($3 = '' OR mentor_id = $3) RETURNING {PIN_COLUMNS}"
        );
        let removed = sqlx::query::<DB>(AssertSqlSafe(sql))
            .bind(programme_id.to_owned())
            .bind(mentee_id.to_owned())
            .bind(mentor_id.unwrap_or_default().to_owned())
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = removed else {
            return Ok(None);
        };
        let pin = PinRecord::from(PinRow::from_row(&row)?);
        let detail =
            serde_json::json!({"mentor_id": pin.mentor_id, "mentee_id": pin.mentee_id}).to_string();
        record_event::<DB>(
            &mut tx,
            actor,
            "pin.removed",
            &format!("programme:{programme_id}"),
            &detail,
        )
        .await?;
        tx.commit().await?;
        Ok(Some(pin))
    }

    async fn pins(&self, programme_id: &str) -> StoreResult<Vec<PinRecord>> {
        let sql =
            format!("SELECT {PIN_COLUMNS} FROM pins WHERE programme_id = $1 ORDER BY mentee_id");
        let rows = sqlx::query::<DB>(AssertSqlSafe(sql))
            .bind(programme_id.to_owned())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| Ok(PinRow::from_row(row)?.into()))
            .collect()
    }

    async fn replace_wishes(
        &self,
        programme_id: &str,
        lists: &[WishList],
        actor: &Actor,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        let now = now_rfc3339();
        for list in lists {
            sqlx::query::<DB>(
                "DELETE FROM wishes WHERE programme_id = $1 AND side = $2 AND person_id = $3",
            )
            .bind(programme_id.to_owned())
            .bind(list.side.as_str().to_owned())
            .bind(list.person_id.clone())
            .execute(&mut *tx)
            .await?;
            for (rank, target) in list.targets.iter().enumerate() {
                sqlx::query::<DB>(
                    "INSERT INTO wishes (programme_id, side, person_id, rank, target_id, updated_by, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(programme_id.to_owned())
                .bind(list.side.as_str().to_owned())
                .bind(list.person_id.clone())
                .bind(i64::try_from(rank).unwrap_or(i64::MAX))
                .bind(target.clone())
                .bind(actor.key_id.clone())
                .bind(now.clone())
                .execute(&mut *tx)
                .await?;
            }
        }
        let people = |side: WishSide| {
            lists
                .iter()
                .filter(|l| l.side == side)
                .map(|l| l.person_id.clone())
                .collect::<Vec<_>>()
        };
        let detail = serde_json::json!({
            "mentees": people(WishSide::Mentee),
            "mentors": people(WishSide::Mentor),
        })
        .to_string();
        record_event::<DB>(
            &mut tx,
            actor,
            "preferences.replaced",
            &format!("programme:{programme_id}"),
            &detail,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn wishes(&self, programme_id: &str) -> StoreResult<Vec<WishList>> {
        let rows = sqlx::query::<DB>(
            "SELECT side, person_id, target_id FROM wishes WHERE programme_id = $1 \
             ORDER BY side, person_id, rank",
        )
        .bind(programme_id.to_owned())
        .fetch_all(&self.pool)
        .await?;
        let mut lists: Vec<WishList> = Vec::new();
        for row in &rows {
            let side: String = row.try_get(0)?;
            let side = if side == "mentor" {
                WishSide::Mentor
            } else {
                WishSide::Mentee
            };
            let person_id: String = row.try_get(1)?;
            let target: String = row.try_get(2)?;
            match lists.last_mut() {
                Some(last) if last.side == side && last.person_id == person_id => {
                    last.targets.push(target);
                }
                _ => lists.push(WishList {
                    side,
                    person_id,
                    targets: vec![target],
                }),
            }
        }
        Ok(lists)
    }
}
