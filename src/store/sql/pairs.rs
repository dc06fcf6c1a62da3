//! Mentoring pairs: making them (from a proposal or by hand), rejecting proposals, listing and closing pairs.

use super::rows::PairRow;
use super::{
    Backend, PAIR_COLUMNS, SqlStore, Statement, Visible, fetch_all, now_rfc3339, push_page,
    record_event, scoped_by_id, visible_organizations,
};
use crate::store::{
    Actor, PageRequest, PairClosing, PairFilter, PairRecord, PairRequest, PairStore, RunStore,
    Scope, StoreError, StoreResult,
};
use async_trait::async_trait;
use sqlx::{
    AssertSqlSafe, ColumnIndex, Database, Decode, Encode, Executor, FromRow, IntoArguments, Pool,
    Row, Transaction, Type,
};

#[async_trait]
impl<DB> PairStore for SqlStore<DB>
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
    async fn make_pairs(
        &self,
        request: &PairRequest,
        actor: &Actor,
    ) -> StoreResult<Vec<PairRecord>> {
        use crate::domain::{Consent, MenteeProfile, MentorProfile, Programme};
        let conflict = |why: String| Err(StoreError::Conflict(why));
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;

        // Lock the mentor first, then the mentees in id order: two
        // approvals never wait on each other in a cycle.
        let sql = format!(
            "SELECT doc, etag FROM mentors WHERE id = $1{}",
            DB::LOCK_ROWS
        );
        let Some(row) = sqlx::query::<DB>(AssertSqlSafe(sql))
            .bind(request.mentor_id.clone())
            .fetch_optional(&mut *tx)
            .await?
        else {
            return conflict(format!(
                "mentor {} is no longer in the bank",
                request.mentor_id
            ));
        };
        let mentor_doc: String = row.try_get(0)?;
        let mut etags = vec![(request.mentor_id.clone(), row.try_get::<String, _>(1)?)];
        let mentor: MentorProfile = serde_json::from_str(&mentor_doc)
            .map_err(|e| StoreError::Conflict(format!("stored mentor profile unreadable: {e}")))?;

        let programme_row = sqlx::query::<DB>("SELECT doc FROM programmes WHERE id = $1")
            .bind(request.programme_id.clone())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let programme: Programme = serde_json::from_str(&programme_row.try_get::<String, _>(0)?)
            .map_err(|e| StoreError::Conflict(format!("stored programme unreadable: {e}")))?;
        let on = programme.period.start;
        if Consent::check_for_matching(
            mentor.person.consent.as_ref(),
            mentor.person.kind,
            mentor.person.birth_year,
            on,
        )
        .is_err()
        {
            return conflict(format!(
                "mentor {} has no valid consent for matching",
                request.mentor_id
            ));
        }

        let mut mentee_ids = request.mentee_ids.clone();
        mentee_ids.sort();
        let mut mentee_orgs = Vec::new();
        for mentee_id in &mentee_ids {
            let sql = format!(
                "SELECT doc, etag, organization_id FROM mentees WHERE id = $1{}",
                DB::LOCK_ROWS
            );
            let Some(row) = sqlx::query::<DB>(AssertSqlSafe(sql))
                .bind(mentee_id.clone())
                .fetch_optional(&mut *tx)
                .await?
            else {
                return conflict(format!("mentee {mentee_id} is no longer in the bank"));
            };
            let mentee: MenteeProfile = serde_json::from_str(&row.try_get::<String, _>(0)?)
                .map_err(|e| {
                    StoreError::Conflict(format!("stored mentee profile unreadable: {e}"))
                })?;
            etags.push((mentee_id.clone(), row.try_get(1)?));
            mentee_orgs.push((mentee_id.clone(), row.try_get::<String, _>(2)?));
            if Consent::check_for_matching(
                mentee.person.consent.as_ref(),
                mentee.person.kind,
                mentee.person.birth_year,
                on,
            )
            .is_err()
            {
                return conflict(format!(
                    "mentee {mentee_id} has no valid consent for matching"
                ));
            }
            let paired: i64 = sqlx::query::<DB>(
                "SELECT COUNT(*) FROM pairs WHERE programme_id = $1 AND mentee_id = $2 AND status = 'active'",
            )
            .bind(request.programme_id.clone())
            .bind(mentee_id.clone())
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
            if paired > 0 {
                return conflict(format!(
                    "mentee {mentee_id} already has an active pair in this programme"
                ));
            }
        }
        if let Some(seen) = &request.snapshot {
            let (mentor_etag, mentee_etags) = (&etags[0].1, &etags[1..]);
            if &seen.mentor != mentor_etag {
                return conflict(format!(
                    "the profile of mentor {} changed after the run; start a new run to approve with current data",
                    request.mentor_id
                ));
            }
            for (id, etag) in mentee_etags {
                if !seen.mentees.iter().any(|(s, e)| s == id && e == etag) {
                    return conflict(format!(
                        "the profile of mentee {id} changed after the run; start a new run to approve with current data"
                    ));
                }
            }
        }
        departed_check::<DB>(&mut tx, request).await?;
        if request.proposal_id.is_none() {
            exclusion_check::<DB>(&mut tx, request).await?;
        }
        let load: i64 = sqlx::query::<DB>(
            "SELECT COUNT(*) FROM pairs WHERE mentor_id = $1 AND status = 'active'",
        )
        .bind(request.mentor_id.clone())
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        let wanted = i64::try_from(mentee_ids.len()).unwrap_or(i64::MAX);
        if load + wanted > i64::from(mentor.capacity) {
            return conflict(format!(
                "mentor {} has {} of {} places taken; {} more do not fit",
                request.mentor_id, load, mentor.capacity, wanted
            ));
        }
        let now = now_rfc3339();
        if let Some(proposal_id) = &request.proposal_id {
            let decided = sqlx::query::<DB>(
                "UPDATE proposals SET status = 'approved', decided_by = $2, decided_at = $3 \
                 WHERE id = $1 AND status = 'proposed' RETURNING id",
            )
            .bind(proposal_id.clone())
            .bind(actor.key_id.clone())
            .bind(now.clone())
            .fetch_optional(&mut *tx)
            .await?;
            if decided.is_none() {
                return conflict("the proposal was already approved or rejected".into());
            }
        }
        let group_id = request
            .proposal_id
            .clone()
            .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
        let mut made = Vec::new();
        for (mentee_id, organization_id) in mentee_orgs {
            let pair = PairRecord {
                id: uuid::Uuid::now_v7().to_string(),
                programme_id: request.programme_id.clone(),
                group_id: group_id.clone(),
                proposal_id: request.proposal_id.clone(),
                mentor_id: request.mentor_id.clone(),
                mentee_id,
                organization_id,
                status: "active".into(),
                started_on: request.started_on.clone(),
                ended_on: None,
                end_reason: None,
                end_note: None,
                created_by: actor.key_id.clone(),
                created_at: now.clone(),
                updated_at: now.clone(),
                order_number: None,
                order_date: None,
            };
            sqlx::query::<DB>(
                "INSERT INTO pairs (id, programme_id, group_id, proposal_id, mentor_id, mentee_id, organization_id, \
                 status, started_on, created_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', $8, $9, $10, $10)",
            )
            .bind(pair.id.clone())
            .bind(pair.programme_id.clone())
            .bind(pair.group_id.clone())
            .bind(pair.proposal_id.clone())
            .bind(pair.mentor_id.clone())
            .bind(pair.mentee_id.clone())
            .bind(pair.organization_id.clone())
            .bind(pair.started_on.clone())
            .bind(pair.created_by.clone())
            .bind(now.clone())
            .execute(&mut *tx)
            .await?;
            made.push(pair);
        }
        let (action, subject) = match &request.proposal_id {
            Some(id) => ("proposal.approved", format!("proposal:{id}")),
            None => ("pair.created_by_hand", format!("group:{group_id}")),
        };
        let mut detail = serde_json::json!({
            "programme_id": request.programme_id,
            "mentor_id": request.mentor_id,
            "mentee_ids": request.mentee_ids,
            "pair_ids": made.iter().map(|p| p.id.clone()).collect::<Vec<_>>(),
        });
        if let Some(reason) = &request.override_rejection {
            detail["override_rejection"] = serde_json::Value::String(reason.clone());
        }
        let detail = detail.to_string();
        record_event::<DB>(&mut tx, actor, action, &subject, &detail).await?;
        tx.commit().await?;
        Ok(made)
    }

    async fn reject_proposal(
        &self,
        scope: &Scope,
        id: &str,
        reason: &str,
        actor: &Actor,
    ) -> StoreResult<()> {
        let (proposal, run) = self
            .get_proposal(scope, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        if run.dry_run {
            return Err(StoreError::Conflict(
                "proposals of a dry run can be neither approved nor rejected".into(),
            ));
        }
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        let now = now_rfc3339();
        let decided = sqlx::query::<DB>(
            "UPDATE proposals SET status = 'rejected', decided_by = $2, decided_at = $3, reason = $4 \
             WHERE id = $1 AND status = 'proposed' RETURNING id",
        )
        .bind(id.to_owned())
        .bind(actor.key_id.clone())
        .bind(now.clone())
        .bind(reason.to_owned())
        .fetch_optional(&mut *tx)
        .await?;
        if decided.is_none() {
            return Err(StoreError::Conflict(
                "the proposal was already approved or rejected".into(),
            ));
        }
        for mentee_id in &proposal.mentee_ids {
            sqlx::query::<DB>(
                "INSERT INTO exclusions (programme_id, mentor_id, mentee_id, reason, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (programme_id, mentor_id, mentee_id) DO NOTHING",
            )
            .bind(proposal.programme_id.clone())
            .bind(proposal.mentor_id.clone())
            .bind(mentee_id.clone())
            .bind(reason.to_owned())
            .bind(actor.key_id.clone())
            .bind(now.clone())
            .execute(&mut *tx)
            .await?;
        }
        let detail = serde_json::json!({"reason": reason, "mentor_id": proposal.mentor_id, "mentee_ids": proposal.mentee_ids}).to_string();
        record_event::<DB>(
            &mut tx,
            actor,
            "proposal.rejected",
            &format!("proposal:{id}"),
            &detail,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_pairs(
        &self,
        scope: &Scope,
        filter: &PairFilter,
        page: &PageRequest,
    ) -> StoreResult<(Vec<PairRecord>, Option<String>)> {
        let visible =
            visible_organizations::<DB>(&self.pool, scope, filter.organization_id.as_deref())
                .await?;
        if let Visible::Nothing = visible {
            return Ok((Vec::new(), None));
        }
        let mut st = Statement::new(format!("SELECT {PAIR_COLUMNS} FROM pairs x"));
        let mut conditions = visible.conditions(&mut st, "x.organization_id");
        for (column, value) in [
            ("x.programme_id", &filter.programme_id),
            ("x.mentor_id", &filter.mentor_id),
            ("x.mentee_id", &filter.mentee_id),
            ("x.status", &filter.status),
        ] {
            if let Some(value) = value {
                let a = st.arg(value.as_str());
                conditions.push(format!("{column} = {a}"));
            }
        }
        push_page(&mut st, conditions, "x.id", page);
        let rows = fetch_all::<DB>(&self.pool, st).await?;
        let mut pairs = rows
            .iter()
            .take(page.limit as usize)
            .map(pair_from_row::<DB>)
            .collect::<StoreResult<Vec<_>>>()?;
        let next = (rows.len() > page.limit as usize)
            .then(|| pairs.last().map(|p| p.id.clone()))
            .flatten();
        pairs.truncate(page.limit as usize);
        Ok((pairs, next))
    }

    async fn get_pair(&self, scope: &Scope, id: &str) -> StoreResult<Option<PairRecord>> {
        let st = scoped_by_id(
            format!(
                "SELECT {PAIR_COLUMNS} FROM pairs x JOIN organizations o ON o.id = x.organization_id WHERE x.id = "
            ),
            "o.path",
            id,
            scope,
        );
        let rows = fetch_all::<DB>(&self.pool, st).await?;
        rows.first().map(pair_from_row::<DB>).transpose()
    }

    async fn close_pair(
        &self,
        scope: &Scope,
        id: &str,
        closing: &PairClosing,
        actor: &Actor,
    ) -> StoreResult<PairRecord> {
        let PairClosing {
            status,
            reason,
            note,
            ended_on,
        } = closing;
        let (status, reason, note, ended_on) = (
            status.as_str(),
            reason.as_deref(),
            note.as_deref(),
            ended_on.as_str(),
        );
        let pair = self
            .get_pair(scope, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut tx = self.pool.begin_with(DB::BEGIN_WRITE).await?;
        let now = now_rfc3339();
        let closed = sqlx::query::<DB>(
            "UPDATE pairs SET status = $2, ended_on = $3, end_reason = $4, end_note = $5, updated_at = $6 \
             WHERE id = $1 AND status = 'active' RETURNING id",
        )
        .bind(id.to_owned())
        .bind(status.to_owned())
        .bind(ended_on.to_owned())
        .bind(reason.map(str::to_owned))
        .bind(note.map(str::to_owned))
        .bind(now.clone())
        .fetch_optional(&mut *tx)
        .await?;
        if closed.is_none() {
            return Err(StoreError::Conflict(format!(
                "the pair is already {}",
                pair.status
            )));
        }
        let detail = serde_json::json!({"status": status, "reason": reason, "note": note, "ended_on": ended_on}).to_string();
        let action = if status == "completed" {
            "pair.completed"
        } else {
            "pair.ended"
        };
        record_event::<DB>(&mut tx, actor, action, &format!("pair:{id}"), &detail).await?;
        tx.commit().await?;
        self.get_pair(scope, id).await?.ok_or(StoreError::NotFound)
    }
}

/// Refuses a pair whose mentee moved away or whose mentor left (a pair
/// ended so) when the profile was not updated since: they are out of
/// matching, by hand too.
async fn departed_check<DB>(
    tx: &mut Transaction<'static, DB>,
    request: &PairRequest,
) -> StoreResult<()>
where
    DB: Backend,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    usize: ColumnIndex<DB::Row>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
{
    let mentor_left = sqlx::query::<DB>(
        "SELECT x.ended_on FROM pairs x JOIN mentors d ON d.id = x.mentor_id \
         WHERE x.mentor_id = $1 AND x.status = 'ended' AND x.end_reason = 'mentor_left' \
         AND d.updated_at <= x.updated_at ORDER BY x.updated_at DESC LIMIT 1",
    )
    .bind(request.mentor_id.clone())
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(row) = mentor_left {
        let on: Option<String> = row.try_get(0)?;
        return Err(StoreError::Conflict(format!(
            "mentor {} left on {}; update their profile to bring them back into matching",
            request.mentor_id,
            on.unwrap_or_default()
        )));
    }
    for mentee_id in &request.mentee_ids {
        let moved = sqlx::query::<DB>(
            "SELECT x.ended_on FROM pairs x JOIN mentees d ON d.id = x.mentee_id \
             WHERE x.mentee_id = $1 AND x.status = 'ended' AND x.end_reason = 'mentee_moved' \
             AND d.updated_at <= x.updated_at ORDER BY x.updated_at DESC LIMIT 1",
        )
        .bind(mentee_id.clone())
        .fetch_optional(&mut **tx)
        .await?;
        if let Some(row) = moved {
            let on: Option<String> = row.try_get(0)?;
            return Err(StoreError::Conflict(format!(
                "mentee {mentee_id} moved away on {}; update their profile to bring them back into matching",
                on.unwrap_or_default()
            )));
        }
    }
    Ok(())
}

/// Refuses a pair made by hand that a curator rejected, or that ended
/// early, unless the request overrides it with a reason; the conflict
/// names when and why.
async fn exclusion_check<DB>(
    tx: &mut Transaction<'static, DB>,
    request: &PairRequest,
) -> StoreResult<()>
where
    DB: Backend,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    DB::Arguments: IntoArguments<DB>,
    usize: ColumnIndex<DB::Row>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
{
    if request.override_rejection.is_some() {
        return Ok(());
    }
    for mentee_id in &request.mentee_ids {
        let rejected = sqlx::query::<DB>(
            "SELECT created_at, reason FROM exclusions WHERE programme_id = $1 AND mentor_id = $2 AND mentee_id = $3",
        )
        .bind(request.programme_id.clone())
        .bind(request.mentor_id.clone())
        .bind(mentee_id.clone())
        .fetch_optional(&mut **tx)
        .await?;
        if let Some(row) = rejected {
            let (at, reason): (String, String) = (row.try_get(0)?, row.try_get(1)?);
            return Err(StoreError::Conflict(format!(
                "the pair of mentor {} and mentee {mentee_id} was rejected on {at}: {reason}; \
                 to pair them all the same send override_rejection: true with a reason",
                request.mentor_id
            )));
        }
        let ended = sqlx::query::<DB>(
            "SELECT ended_on, end_reason FROM pairs WHERE programme_id = $1 AND mentor_id = $2 \
             AND mentee_id = $3 AND status = 'ended' ORDER BY updated_at DESC LIMIT 1",
        )
        .bind(request.programme_id.clone())
        .bind(request.mentor_id.clone())
        .bind(mentee_id.clone())
        .fetch_optional(&mut **tx)
        .await?;
        if let Some(row) = ended {
            let (on, reason): (Option<String>, Option<String>) = (row.try_get(0)?, row.try_get(1)?);
            return Err(StoreError::Conflict(format!(
                "the pair of mentor {} and mentee {mentee_id} ended early on {}: {}; \
                 to pair them all the same send override_rejection: true with a reason",
                request.mentor_id,
                on.unwrap_or_default(),
                reason.unwrap_or_default()
            )));
        }
    }
    Ok(())
}

fn pair_from_row<DB: Database>(row: &DB::Row) -> StoreResult<PairRecord>
where
    PairRow: for<'r> FromRow<'r, DB::Row>,
{
    Ok(PairRow::from_row(row)?.into())
}
