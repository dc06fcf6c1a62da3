//! Matching runs, their proposals and what a run reads.

use super::refs::{name_people, number_people};
use super::rows::{RunRow, StoredRow, StoredWithPathRow};
use super::{
    Backend, PROPOSAL_COLUMNS, SqlStore, Statement, execute, fetch_all, now_rfc3339, pack,
    proposal_from_row, record_event, scoped_by_id, under, unpack,
};
use crate::store::{
    Actor, MatchingData, PageRequest, ProposalRecord, RunRecord, RunStore, Scope, StoreError,
    StoreResult, WishStore,
};
use async_trait::async_trait;
use sqlx::{
    AssertSqlSafe, ColumnIndex, Database, Decode, Encode, Executor, FromRow, IntoArguments, Pool,
    Row, Type,
};
use std::collections::{HashMap, HashSet};

#[async_trait]
impl<DB> RunStore for SqlStore<DB>
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
    async fn create_run(&self, run: &RunRecord, actor: &Actor) -> StoreResult<()> {
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        sqlx::query::<DB>(
            "INSERT INTO runs (id, programme_id, organization_id, status, progress, options, dry_run, created_by, created_at, inputs_of, inputs) \
             VALUES ($1, $2, $3, 'queued', 0, $4, $5, $6, $7, $8, (SELECT s.inputs FROM runs s WHERE s.id = $8))",
        )
        .bind(run.id.clone())
        .bind(run.programme_id.clone())
        .bind(run.organization_id.clone())
        .bind(run.options.clone())
        .bind(i64::from(run.dry_run))
        .bind(run.created_by.clone())
        .bind(run.created_at.clone())
        .bind(run.inputs_of.clone())
        .execute(&mut *tx)
        .await?;
        record_event::<DB>(
            &mut tx,
            actor,
            "run.queued",
            &format!("run:{}", run.id),
            &run.options,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn claim_run(
        &self,
        instance: &str,
        stale_before: &str,
    ) -> StoreResult<Option<RunRecord>> {
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        let pick = format!(
            "SELECT id FROM runs WHERE status = 'queued' OR (status = 'running' AND heartbeat_at < $1) \
             ORDER BY created_at LIMIT 1{}",
            DB::CLAIM_LOCK
        );
        let Some(row) = sqlx::query::<DB>(AssertSqlSafe(pick))
            .bind(stale_before.to_owned())
            .fetch_optional(&mut *tx)
            .await?
        else {
            tx.commit().await?;
            return Ok(None);
        };
        let id: String = row.try_get(0)?;
        let id_again = id.clone();
        let now = now_rfc3339();
        // The condition is checked again: under READ COMMITTED a run claimed
        // meanwhile by another instance no longer matches.
        let claimed = sqlx::query::<DB>(
            "UPDATE runs SET status = 'running', claimed_by = $2, heartbeat_at = $3, \
             started_at = COALESCE(started_at, $3), progress = 0 \
             WHERE id = $1 AND (status = 'queued' OR (status = 'running' AND heartbeat_at < $4)) \
             RETURNING id",
        )
        .bind(id)
        .bind(instance.to_owned())
        .bind(now)
        .bind(stale_before.to_owned())
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        match claimed {
            Some(_) => self.get_run(&Scope::All, &id_again).await,
            None => Ok(None),
        }
    }

    async fn run_progress(&self, id: &str, instance: &str, progress: i64) -> StoreResult<bool> {
        let row = sqlx::query::<DB>(
            "UPDATE runs SET progress = $3, heartbeat_at = $4 WHERE id = $1 AND claimed_by = $2 AND status = 'running' RETURNING id",
        )
        .bind(id.to_owned())
        .bind(instance.to_owned())
        .bind(progress)
        .bind(now_rfc3339())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_some())
    }

    async fn finish_run(
        &self,
        id: &str,
        instance: &str,
        result: &str,
        inputs: Option<&str>,
        proposals: &[ProposalRecord],
    ) -> StoreResult<bool> {
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        let result = number_people(&mut tx, result).await?;
        let done = sqlx::query::<DB>(
            "UPDATE runs SET status = 'done', progress = 1000, finished_at = $3, result_packed = $4, \
             inputs = COALESCE($5, inputs), ids_inline = 0 \
             WHERE id = $1 AND claimed_by = $2 AND status = 'running' RETURNING id",
        )
        .bind(id.to_owned())
        .bind(instance.to_owned())
        .bind(now_rfc3339())
        .bind(pack(&result))
        .bind(inputs.map(pack))
        .fetch_optional(&mut *tx)
        .await?;
        if done.is_none() {
            // Another instance took the run over; its result will stand.
            return Ok(false);
        }
        for p in proposals {
            sqlx::query::<DB>(
                "INSERT INTO proposals (id, run_id, programme_id, mentor_id, mentee_ids, status, doc, packed) \
                 VALUES ($1, $2, $3, $4, $5, 'proposed', '', $6)",
            )
            .bind(p.id.clone())
            .bind(p.run_id.clone())
            .bind(p.programme_id.clone())
            .bind(p.mentor_id.clone())
            .bind(p.mentee_ids.join("|"))
            .bind(pack(&p.doc))
            .execute(&mut *tx)
            .await?;
        }
        // Group proposals only: a proposal of one mentee is found by the
        // index on `mentee_ids` (see migration 0011).
        let mentees: Vec<(&str, &str)> = proposals
            .iter()
            .filter(|p| p.mentee_ids.len() > 1)
            .flat_map(|p| {
                let mut ids: Vec<&str> = p.mentee_ids.iter().map(String::as_str).collect();
                ids.sort_unstable();
                ids.dedup();
                ids.into_iter().map(|m| (m, p.id.as_str()))
            })
            .collect();
        for chunk in mentees.chunks(250) {
            let mut st =
                Statement::new("INSERT INTO proposal_mentees (mentee_id, proposal_id) VALUES ");
            for (k, (mentee, proposal)) in chunk.iter().enumerate() {
                if k > 0 {
                    st.push(", ");
                }
                st.push("(");
                st.push_list([*mentee, *proposal]);
                st.push(")");
            }
            execute::<DB>(&mut tx, st).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn fail_run(&self, id: &str, instance: &str, error: &str) -> StoreResult<()> {
        sqlx::query::<DB>(
            "UPDATE runs SET status = 'failed', finished_at = $3, error = $4, ids_inline = 0 WHERE id = $1 AND claimed_by = $2 AND status = 'running'",
        )
        .bind(id.to_owned())
        .bind(instance.to_owned())
        .bind(now_rfc3339())
        .bind(error.to_owned())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn get_run(&self, scope: &Scope, id: &str) -> StoreResult<Option<RunRecord>> {
        let st = scoped_by_id(
            format!(
                "SELECT {RUN_COLUMNS} FROM runs r JOIN organizations o ON o.id = r.organization_id WHERE r.id = "
            ),
            "o.path",
            id,
            scope,
        );
        let rows = fetch_all::<DB>(&self.pool, st).await?;
        let mut runs = rows
            .first()
            .map(run_from_row::<DB>)
            .into_iter()
            .collect::<StoreResult<Vec<_>>>()?;
        name_people(&self.pool, &mut runs).await?;
        Ok(runs.pop())
    }

    async fn list_runs(
        &self,
        scope: &Scope,
        programme_id: &str,
        page: &PageRequest,
    ) -> StoreResult<(Vec<RunRecord>, Option<String>)> {
        let mut st = Statement::new(format!(
            "SELECT {RUN_COLUMNS} FROM runs r JOIN organizations o ON o.id = r.organization_id WHERE r.programme_id = "
        ));
        let a = st.arg(programme_id);
        st.push(&a);
        st.push(" AND ");
        let p = st.arg(scope.prefix());
        st.push(&under("o.path", &p));
        if let Some(after) = &page.after {
            // Newest first, so the next page holds what sorts below the
            // cursor run; an unknown cursor compares with NULL: no rows.
            let c = st.arg(after.as_str());
            st.push(&format!(
                " AND (r.created_at, r.id) < (SELECT c.created_at, c.id FROM runs c WHERE c.id = {c})"
            ));
        }
        // One row more than asked tells whether another page follows.
        st.push(&format!(
            " ORDER BY r.created_at DESC, r.id DESC LIMIT {}",
            u64::from(page.limit) + 1
        ));
        let rows = fetch_all::<DB>(&self.pool, st).await?;
        let mut runs = rows
            .iter()
            .map(run_from_row::<DB>)
            .collect::<StoreResult<Vec<_>>>()?;
        let next = if runs.len() > page.limit as usize {
            runs.truncate(page.limit as usize);
            runs.last().map(|r| r.id.clone())
        } else {
            None
        };
        name_people(&self.pool, &mut runs).await?;
        Ok((runs, next))
    }

    async fn run_scores(&self, scope: &Scope, id: &str) -> StoreResult<Option<String>> {
        let st = scoped_by_id(
            "SELECT r.scores_csv FROM runs r JOIN organizations o ON o.id = r.organization_id WHERE r.id = ",
            "o.path",
            id,
            scope,
        );
        let rows = fetch_all::<DB>(&self.pool, st).await?;
        match rows.first() {
            Some(row) => Ok(row.try_get(0)?),
            None => Err(StoreError::NotFound),
        }
    }

    async fn run_inputs(&self, id: &str) -> StoreResult<Option<String>> {
        let row = sqlx::query::<DB>("SELECT inputs FROM runs WHERE id = $1")
            .bind(id.to_owned())
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => row
                .try_get::<Option<Vec<u8>>, _>(0)?
                .map(|bytes| unpack(&bytes))
                .transpose(),
            None => Err(StoreError::NotFound),
        }
    }

    async fn profile_docs(&self, etags: &[&str]) -> StoreResult<HashMap<String, String>> {
        let mut docs = HashMap::with_capacity(etags.len());
        // Current profiles first (most tags), then the kept versions of
        // what changed since; a few hundred tags a statement.
        for table in ["mentors", "mentees", "profile_versions"] {
            let missing: Vec<&str> = etags
                .iter()
                .copied()
                .filter(|t| !docs.contains_key(*t))
                .collect();
            for chunk in missing.chunks(500) {
                let mut st =
                    Statement::new(format!("SELECT etag, doc FROM {table} WHERE etag IN ("));
                st.push_list(chunk.iter().copied());
                st.push(")");
                for row in fetch_all::<DB>(&self.pool, st).await? {
                    docs.insert(row.try_get(0)?, row.try_get(1)?);
                }
            }
        }
        Ok(docs)
    }

    async fn delete_run(&self, scope: &Scope, id: &str, actor: &Actor) -> StoreResult<()> {
        let st = scoped_by_id(
            "SELECT r.dry_run, r.status FROM runs r JOIN organizations o ON o.id = r.organization_id WHERE r.id = ",
            "o.path",
            id,
            scope,
        );
        let rows = fetch_all::<DB>(&self.pool, st).await?;
        let Some(row) = rows.first() else {
            return Err(StoreError::NotFound);
        };
        let dry_run: i64 = row.try_get(0)?;
        let status: String = row.try_get(1)?;
        if dry_run == 0 {
            return Err(StoreError::Conflict(
                "only dry runs can be deleted; other runs go by the retention policy".into(),
            ));
        }
        if status == "queued" || status == "running" {
            return Err(StoreError::Conflict("the run is not finished yet".into()));
        }
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        for sql in [
            "DELETE FROM proposals WHERE run_id = $1",
            "DELETE FROM runs WHERE id = $1 AND dry_run <> 0 AND status IN ('done', 'failed')",
        ] {
            sqlx::query::<DB>(sql)
                .bind(id.to_owned())
                .execute(&mut *tx)
                .await?;
        }
        record_event::<DB>(&mut tx, actor, "run.deleted", &format!("run:{id}"), "{}").await?;
        tx.commit().await?;
        Ok(())
    }

    async fn prune_runs(&self, before: &str) -> StoreResult<Vec<String>> {
        let rows = sqlx::query::<DB>(
            "SELECT r.id FROM runs r WHERE r.created_at < $1 AND r.status IN ('done', 'failed') \
             AND (r.dry_run <> 0 OR r.status = 'failed' OR EXISTS (SELECT 1 FROM runs n \
                  WHERE n.programme_id = r.programme_id AND n.status = 'done' AND n.dry_run = 0 \
                  AND n.created_at > r.created_at)) \
             AND NOT EXISTS (SELECT 1 FROM proposals p WHERE p.run_id = r.id \
                  AND p.status IN ('approved', 'rejected')) \
             ORDER BY r.created_at",
        )
        .bind(before.to_owned())
        .fetch_all(&self.pool)
        .await?;
        let ids = rows
            .iter()
            .map(|row| row.try_get::<String, _>(0))
            .collect::<Result<Vec<_>, _>>()?;
        // One short transaction per run, so that readers and writers wait
        // for no more than one run's rows.
        for id in &ids {
            let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
            for sql in [
                "DELETE FROM proposals WHERE run_id = $1 AND status NOT IN ('approved', 'rejected')",
                "DELETE FROM runs WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM proposals p WHERE p.run_id = $1)",
            ] {
                sqlx::query::<DB>(sql)
                    .bind(id.clone())
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        }
        Ok(ids)
    }

    async fn runs_with_inputs(&self) -> StoreResult<(Vec<String>, bool)> {
        let ids = sqlx::query::<DB>("SELECT id FROM runs WHERE inputs IS NOT NULL ORDER BY id")
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|row| row.try_get::<String, _>(0))
            .collect::<Result<Vec<_>, _>>()?;
        let busy =
            sqlx::query::<DB>("SELECT id FROM runs WHERE status IN ('queued', 'running') LIMIT 1")
                .fetch_optional(&self.pool)
                .await?
                .is_some();
        Ok((ids, busy))
    }

    async fn drop_profile_versions_except(&self, named: &HashSet<String>) -> StoreResult<usize> {
        let kept = sqlx::query::<DB>("SELECT etag FROM profile_versions")
            .fetch_all(&self.pool)
            .await?;
        let mut unnamed = Vec::new();
        for row in &kept {
            let tag: String = row.try_get(0)?;
            if !named.contains(&tag) {
                unnamed.push(tag);
            }
        }
        for chunk in unnamed.chunks(500) {
            let mut st = Statement::new("DELETE FROM profile_versions WHERE etag IN (");
            st.push_list(chunk.iter().map(String::as_str));
            st.push(")");
            fetch_all::<DB>(&self.pool, st).await?;
        }
        Ok(unnamed.len())
    }

    async fn run_proposals(&self, run_id: &str) -> StoreResult<Vec<ProposalRecord>> {
        let sql =
            format!("SELECT {PROPOSAL_COLUMNS} FROM proposals p WHERE p.run_id = $1 ORDER BY p.id");
        let rows = sqlx::query::<DB>(AssertSqlSafe(sql))
            .bind(run_id.to_owned())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(proposal_from_row::<DB>).collect()
    }

    async fn matching_data(&self, programme_id: &str) -> StoreResult<MatchingData> {
        let mut data = MatchingData::default();
        let programme = sqlx::query_as::<DB, StoredWithPathRow>(
            "SELECT p.id, p.doc, p.etag, o.path FROM programmes p JOIN organizations o ON o.id = p.organization_id WHERE p.id = $1",
        )
        .bind(programme_id.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        let Some(programme) = programme else {
            return Ok(data);
        };
        let anchor_path = programme.path;
        data.programme = Some(programme.stored.into());
        for row in sqlx::query::<DB>("SELECT doc FROM organizations ORDER BY path")
            .fetch_all(&self.pool)
            .await?
        {
            data.organizations.push(row.try_get(0)?);
        }
        for (table, out) in [
            ("mentors", &mut data.mentors),
            ("mentees", &mut data.mentees),
        ] {
            let sql = format!(
                "SELECT d.id, d.doc, d.etag FROM {table} d JOIN organizations o ON o.id = d.organization_id \
                 WHERE {} ORDER BY d.id",
                under("o.path", "$1")
            );
            for row in sqlx::query::<DB>(AssertSqlSafe(sql))
                .bind(anchor_path.clone())
                .fetch_all(&self.pool)
                .await?
            {
                out.push(StoredRow::from_row(&row)?.into());
            }
        }
        for row in sqlx::query::<DB>(
            "SELECT programme_id, mentor_id, mentee_id FROM pairs WHERE status = 'active'",
        )
        .fetch_all(&self.pool)
        .await?
        {
            data.active_pairs
                .push((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?));
        }
        // Rejected pairs, and pairs that ended early: the next run proposes
        // another mentor.
        for row in sqlx::query::<DB>(
            "SELECT mentor_id, mentee_id FROM exclusions WHERE programme_id = $1 \
             UNION SELECT mentor_id, mentee_id FROM pairs WHERE programme_id = $1 AND status = 'ended'",
        )
        .bind(programme_id.to_owned())
        .fetch_all(&self.pool)
        .await?
        {
            data.exclusions.push((row.try_get(0)?, row.try_get(1)?));
        }
        // The pool over time: a completed mentee is done in this programme;
        // a mentee who moved away or a mentor who left is out of matching
        // everywhere until a write changes their profile after the ending.
        for row in sqlx::query::<DB>(
            "SELECT DISTINCT mentee_id FROM pairs WHERE programme_id = $1 AND status = 'completed'",
        )
        .bind(programme_id.to_owned())
        .fetch_all(&self.pool)
        .await?
        {
            data.completed_mentees.push(row.try_get(0)?);
        }
        for (sql, out) in [
            (
                "SELECT DISTINCT x.mentee_id FROM pairs x JOIN mentees d ON d.id = x.mentee_id \
                 WHERE x.status = 'ended' AND x.end_reason = 'mentee_moved' AND d.updated_at <= x.updated_at",
                &mut data.moved_mentees,
            ),
            (
                "SELECT DISTINCT x.mentor_id FROM pairs x JOIN mentors d ON d.id = x.mentor_id \
                 WHERE x.status = 'ended' AND x.end_reason = 'mentor_left' AND d.updated_at <= x.updated_at",
                &mut data.departed_mentors,
            ),
        ] {
            for row in sqlx::query::<DB>(sql).fetch_all(&self.pool).await? {
                out.push(row.try_get(0)?);
            }
        }
        data.pins = self
            .pins(programme_id)
            .await?
            .into_iter()
            .map(|pin| (pin.mentor_id, pin.mentee_id))
            .collect();
        data.wishes = self.wishes(programme_id).await?;
        Ok(data)
    }

    async fn get_proposal(
        &self,
        scope: &Scope,
        id: &str,
    ) -> StoreResult<Option<(ProposalRecord, RunRecord)>> {
        let st = scoped_by_id(
            format!(
                "SELECT {PROPOSAL_COLUMNS} FROM proposals p JOIN runs r ON r.id = p.run_id \
             JOIN organizations o ON o.id = r.organization_id WHERE p.id = "
            ),
            "o.path",
            id,
            scope,
        );
        let rows = fetch_all::<DB>(&self.pool, st).await?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let proposal = proposal_from_row::<DB>(row)?;
        let run = self
            .get_run(&Scope::All, &proposal.run_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(Some((proposal, run)))
    }
}

const RUN_COLUMNS: &str = "r.id, r.programme_id, r.organization_id, r.status, r.progress, r.options, r.dry_run, \
     r.created_by, r.created_at, r.started_at, r.finished_at, r.error, r.result, r.inputs_of, r.result_packed";

fn run_from_row<DB: Database>(row: &DB::Row) -> StoreResult<RunRecord>
where
    RunRow: for<'r> FromRow<'r, DB::Row>,
{
    let mut row = RunRow::from_row(row)?;
    let packed = row.result_packed.take();
    let mut record: RunRecord = row.into();
    if let Some(bytes) = packed {
        record.result = Some(unpack(&bytes)?);
    }
    Ok(record)
}
