//! Orders: recording one over the programme's approved pairs not yet in
//! an order, reading it back with its pairs.

use super::{
    Backend, PAIR_COLUMNS, SqlStore, fetch_all, now_rfc3339, record_event, scoped_by_id, under,
};
use crate::store::{
    Actor, NewOrder, OrderRecord, OrderStore, PairRecord, Scope, StoreError, StoreResult,
};
use async_trait::async_trait;
use sqlx::{
    AssertSqlSafe, ColumnIndex, Decode, Encode, Executor, FromRow, IntoArguments, Pool, Row, Type,
};

/// A row of `orders` with the count of its pairs.
#[derive(FromRow)]
struct OrderRow {
    id: String,
    programme_id: String,
    organization_id: String,
    number: String,
    order_date: String,
    signed_by: Option<String>,
    created_by: String,
    created_at: String,
    pairs: i64,
}

impl From<OrderRow> for OrderRecord {
    fn from(r: OrderRow) -> Self {
        Self {
            id: r.id,
            programme_id: r.programme_id,
            organization_id: r.organization_id,
            number: r.number,
            date: r.order_date,
            signed_by: r.signed_by,
            created_by: r.created_by,
            created_at: r.created_at,
            pairs: r.pairs,
        }
    }
}

const ORDER_COLUMNS: &str = "r.id, r.programme_id, r.organization_id, r.number, r.order_date, r.signed_by, \
     r.created_by, r.created_at, (SELECT COUNT(*) FROM pairs x WHERE x.order_id = r.id) AS pairs";

#[async_trait]
impl<DB> OrderStore for SqlStore<DB>
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
    async fn create_order(
        &self,
        scope: &Scope,
        order: &NewOrder,
        actor: &Actor,
    ) -> StoreResult<OrderRecord> {
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        let taken =
            sqlx::query::<DB>("SELECT id FROM orders WHERE programme_id = $1 AND number = $2")
                .bind(order.programme_id.clone())
                .bind(order.number.clone())
                .fetch_optional(&mut *tx)
                .await?;
        if taken.is_some() {
            return Err(number_taken(&order.number));
        }
        let id = uuid::Uuid::now_v7().to_string();
        let inserted = sqlx::query::<DB>(
            "INSERT INTO orders (id, programme_id, organization_id, number, order_date, signed_by, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id.clone())
        .bind(order.programme_id.clone())
        .bind(order.organization_id.clone())
        .bind(order.number.clone())
        .bind(order.date.clone())
        .bind(order.signed_by.clone())
        .bind(actor.key_id.clone())
        .bind(now_rfc3339())
        .execute(&mut *tx)
        .await;
        match inserted {
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                return Err(number_taken(&order.number));
            }
            other => {
                other?;
            }
        }
        // One statement takes the pairs: on PostgreSQL a second order
        // waiting on the same rows re-reads them after the first commits
        // and finds them taken; SQLite's write lock serialises the two.
        let sql = format!(
            "UPDATE pairs SET order_id = $1 WHERE programme_id = $2 AND status = 'active' \
             AND order_id IS NULL AND organization_id IN \
             (SELECT o.id FROM organizations o WHERE {}) RETURNING id",
            under("o.path", "$3")
        );
        let taken = sqlx::query::<DB>(AssertSqlSafe(sql))
            .bind(id.clone())
            .bind(order.programme_id.clone())
            .bind(scope.prefix().to_owned())
            .fetch_all(&mut *tx)
            .await?;
        if taken.is_empty() {
            return Err(StoreError::Conflict(
                "no approved pair of this programme is left outside an order: approve pairs first"
                    .into(),
            ));
        }
        let pair_ids = taken
            .iter()
            .map(|row| row.try_get::<String, _>(0))
            .collect::<Result<Vec<_>, _>>()?;
        let detail = serde_json::json!({
            "programme_id": order.programme_id,
            "number": order.number,
            "date": order.date,
            "pairs": pair_ids,
        })
        .to_string();
        record_event::<DB>(
            &mut tx,
            actor,
            "order.created",
            &format!("order:{id}"),
            &detail,
        )
        .await?;
        tx.commit().await?;
        self.get_order(scope, &id)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn get_order(&self, scope: &Scope, id: &str) -> StoreResult<Option<OrderRecord>> {
        let st = scoped_by_id(
            format!(
                "SELECT {ORDER_COLUMNS} FROM orders r JOIN organizations o ON o.id = r.organization_id WHERE r.id = "
            ),
            "o.path",
            id,
            scope,
        );
        let rows = fetch_all::<DB>(&self.pool, st).await?;
        rows.first()
            .map(|row| Ok(OrderRow::from_row(row)?.into()))
            .transpose()
    }

    async fn order_pairs(&self, order_id: &str) -> StoreResult<Vec<PairRecord>> {
        let sql = format!("SELECT {PAIR_COLUMNS} FROM pairs x WHERE x.order_id = $1 ORDER BY x.id");
        let rows = sqlx::query::<DB>(AssertSqlSafe(sql))
            .bind(order_id.to_owned())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| Ok(super::rows::PairRow::from_row(row)?.into()))
            .collect()
    }
}

fn number_taken(number: &str) -> StoreError {
    StoreError::Conflict(format!(
        "an order numbered {number:?} already exists in this programme"
    ))
}
