//! Erasure of people and the per-install secrets pseudonyms are made with.

use super::refs::number_people;
use super::{
    Backend, PROPOSAL_COLUMNS, SqlStore, now_rfc3339, pack, proposal_from_row, record_event,
};
use crate::store::{Actor, Erasure, PrivacyStore, StoreResult, replace_in_csv, replace_in_json};
use async_trait::async_trait;
use sqlx::{AssertSqlSafe, ColumnIndex, Decode, Encode, Executor, IntoArguments, Pool, Row, Type};

#[async_trait]
impl<DB> PrivacyStore for SqlStore<DB>
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
    for<'q> Vec<u8>: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<Vec<u8>>: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
{
    async fn erase_person(
        &self,
        id: &str,
        pseudonym: &str,
        today: &str,
        why: &str,
        actor: &Actor,
    ) -> StoreResult<Erasure> {
        let mut erasure = Erasure::default();
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        let like = format!("%{id}%");
        let now = now_rfc3339();

        // Pending proposals are withdrawn; every proposal is pseudonymised.
        // They are found through the mentor and mentees columns and the
        // group proposals' mentees table, all indexed: a person is in at
        // most a few proposals per run.
        let mut rows = Vec::new();
        for sql in [
            format!("SELECT {PROPOSAL_COLUMNS} FROM proposals p WHERE p.mentor_id = $1"),
            format!("SELECT {PROPOSAL_COLUMNS} FROM proposals p WHERE p.mentee_ids = $1"),
            format!(
                "SELECT {PROPOSAL_COLUMNS} FROM proposal_mentees m JOIN proposals p ON p.id = m.proposal_id \
                 WHERE m.mentee_id = $1"
            ),
        ] {
            rows.extend(
                sqlx::query::<DB>(AssertSqlSafe(sql))
                    .bind(id.to_owned())
                    .fetch_all(&mut *tx)
                    .await?,
            );
        }
        let mut seen = std::collections::HashSet::new();
        for row in &rows {
            let p = proposal_from_row::<DB>(row)?;
            if !seen.insert(p.id.clone()) {
                continue;
            }
            let status = if p.status == "proposed" {
                erasure.proposals_withdrawn += 1;
                "withdrawn".to_owned()
            } else {
                p.status.clone()
            };
            let swap = |x: &String| {
                if x == id {
                    pseudonym.to_owned()
                } else {
                    x.clone()
                }
            };
            let mut doc: serde_json::Value = serde_json::from_str(&p.doc).unwrap_or_default();
            replace_in_json(&mut doc, id, pseudonym);
            sqlx::query::<DB>(
                "UPDATE proposals SET status = $2, mentor_id = $3, mentee_ids = $4, doc = '', packed = $5 WHERE id = $1",
            )
            .bind(p.id.clone())
            .bind(status)
            .bind(swap(&p.mentor_id))
            .bind(p.mentee_ids.iter().map(swap).collect::<Vec<_>>().join("|"))
            .bind(pack(&doc.to_string()))
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query::<DB>("UPDATE proposal_mentees SET mentee_id = $2 WHERE mentee_id = $1")
            .bind(id.to_owned())
            .bind(pseudonym.to_owned())
            .execute(&mut *tx)
            .await?;

        // Active pairs end; every pair keeps its place in the counts under
        // the pseudonym.
        let ended = sqlx::query::<DB>(
            "UPDATE pairs SET status = 'ended', ended_on = $2, end_reason = 'consent_withdrawn', updated_at = $3 \
             WHERE status = 'active' AND (mentor_id = $1 OR mentee_id = $1) RETURNING id",
        )
        .bind(id.to_owned())
        .bind(today.to_owned())
        .bind(now.clone())
        .fetch_all(&mut *tx)
        .await?;
        erasure.pairs_ended = ended.len();
        for table in ["pairs", "exclusions"] {
            for column in ["mentor_id", "mentee_id"] {
                let sql = format!("UPDATE {table} SET {column} = $2 WHERE {column} = $1");
                sqlx::query::<DB>(AssertSqlSafe(sql))
                    .bind(id.to_owned())
                    .bind(pseudonym.to_owned())
                    .execute(&mut *tx)
                    .await?;
            }
        }

        // Stored runs name people by number: the person's number now
        // stands for the pseudonym, one row whatever the number of runs.
        // Runs that still name people by id (stored before numbering, or
        // finished by an older release) are numbered now if they name the
        // person; score matrices of runs stored before runs kept their
        // inputs get the pseudonym.
        let runs = sqlx::query::<DB>(
            "SELECT id, result, scores_csv FROM runs \
             WHERE ids_inline <> 0 AND (result LIKE $1 OR scores_csv LIKE $1)",
        )
        .bind(like.clone())
        .fetch_all(&mut *tx)
        .await?;
        for row in &runs {
            let run_id: String = row.try_get(0)?;
            let result: Option<String> = row.try_get(1)?;
            let csv: Option<String> = row.try_get(2)?;
            let result = match result {
                Some(r) => Some(number_people(&mut tx, &r).await?),
                None => None,
            };
            let csv = csv.map(|c| replace_in_csv(&c, id, pseudonym));
            let inline = i64::from(csv.is_some());
            sqlx::query::<DB>(
                "UPDATE runs SET result = $2, scores_csv = $3, ids_inline = $4 WHERE id = $1",
            )
            .bind(run_id)
            .bind(result)
            .bind(csv)
            .bind(inline)
            .execute(&mut *tx)
            .await?;
            erasure.runs_rewritten += 1;
        }
        sqlx::query::<DB>("UPDATE person_refs SET person_id = $2 WHERE person_id = $1")
            .bind(id.to_owned())
            .bind(pseudonym.to_owned())
            .execute(&mut *tx)
            .await?;

        // The audit log keeps what happened, not to whom.
        let events = sqlx::query::<DB>(
            "SELECT id, subject, detail FROM events WHERE subject LIKE $1 OR detail LIKE $1",
        )
        .bind(like)
        .fetch_all(&mut *tx)
        .await?;
        for row in &events {
            let event_id: String = row.try_get(0)?;
            let subject: String = row.try_get(1)?;
            let detail: String = row.try_get(2)?;
            let subject = match subject.split_once(':') {
                Some((kind, who)) if who == id => format!("{kind}:{pseudonym}"),
                _ => subject,
            };
            let mut detail_value: serde_json::Value =
                serde_json::from_str(&detail).unwrap_or_default();
            replace_in_json(&mut detail_value, id, pseudonym);
            sqlx::query::<DB>("UPDATE events SET subject = $2, detail = $3 WHERE id = $1")
                .bind(event_id)
                .bind(subject)
                .bind(detail_value.to_string())
                .execute(&mut *tx)
                .await?;
        }

        // Pins and wishes go, both those of the person and those naming
        // them: a wish is personal data of whoever said it.
        for sql in [
            "DELETE FROM pins WHERE mentor_id = $1 OR mentee_id = $1",
            "DELETE FROM wishes WHERE person_id = $1 OR target_id = $1",
        ] {
            sqlx::query::<DB>(sql)
                .bind(id.to_owned())
                .execute(&mut *tx)
                .await?;
        }

        // The profiles themselves go, and with them every version stored
        // runs name (deleting a profile keeps its version, so that goes
        // last): nothing personal is kept, and runs lose the person
        // without being rewritten.
        for table in ["mentors", "mentees", "profile_versions"] {
            let column = if table == "profile_versions" {
                "person_id"
            } else {
                "id"
            };
            let sql = format!("DELETE FROM {table} WHERE {column} = $1");
            sqlx::query::<DB>(AssertSqlSafe(sql))
                .bind(id.to_owned())
                .execute(&mut *tx)
                .await?;
        }
        let detail = serde_json::json!({
            "why": why,
            "proposals_withdrawn": erasure.proposals_withdrawn,
            "pairs_ended": erasure.pairs_ended,
            "runs_rewritten": erasure.runs_rewritten,
        })
        .to_string();
        record_event::<DB>(
            &mut tx,
            actor,
            "person.erased",
            &format!("person:{pseudonym}"),
            &detail,
        )
        .await?;
        tx.commit().await?;
        DB::scrub(&self.pool).await?;
        Ok(erasure)
    }

    async fn secret(&self, name: &str, fresh: &str) -> StoreResult<String> {
        sqlx::query::<DB>(
            "INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name.to_owned())
        .bind(fresh.to_owned())
        .execute(&self.pool)
        .await?;
        let row = sqlx::query::<DB>("SELECT value FROM settings WHERE name = $1")
            .bind(name.to_owned())
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get(0)?)
    }
}
