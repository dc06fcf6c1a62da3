//! Runs: the engine's proposals for a programme, computed by a worker in
//! whichever instance claims the job, and kept as immutable snapshots.

use super::snapshot::RunSnapshot;
use crate::domain::{
    FieldError, FieldReader, Id, MenteeProfile, MentorProfile, Organization, Programme, Weights,
};
use crate::matching::engine::{PairRef, RunInput, run};
use crate::matching::explain::Lang;
use crate::matching::outcome::{Outcome, Proposal, write_scores_csv};
use crate::matching::score::CRITERIA;
use crate::matching::unmatched::{Ineligible, Unmatched};
use crate::matching::{Objective, Stats};
use crate::service::banks::Tree;
use crate::store::{Actor, ProposalRecord, RunRecord, Scope, Store, StoreError, Table, sql_now};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A running run sends a heartbeat this often.
const HEARTBEAT: Duration = Duration::from_secs(5);
/// A run whose heartbeat is older than this is taken over by another instance.
const STALE_AFTER: time::Duration = time::Duration::seconds(30);
/// How often an idle worker looks for queued runs.
const POLL: Duration = Duration::from_millis(200);

/// Errors of the runs service.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Bad options.
    #[error("invalid run options")]
    Invalid(Vec<FieldError>),
    /// No such programme or run in the caller's scope.
    #[error("not found")]
    NotFound,
    /// The request conflicts with the state (e.g. comparing runs of two programmes).
    #[error("{0}")]
    Conflict(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A fault inside (an unreadable stored document, an engine error, a
    /// panicked task): logged with its cause, never shown to the client.
    #[error("internal error: {0}")]
    Internal(String),
}

/// How a run was asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunOptions {
    /// Weights used instead of the programme's, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<Weights>,
    /// What to optimise after coverage.
    pub objective: Objective,
    /// A dry run is stored and comparable, but cannot be approved.
    pub dry_run: bool,
    /// The version of the programme's weights in force when it started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights_version: Option<i64>,
}

impl RunOptions {
    /// Parses `{weights?, objective?, dry_run?}` (an empty body is fine);
    /// partial weights are read over the programme's.
    pub fn parse(value: Option<&Value>, base: Weights) -> Result<Self, Vec<FieldError>> {
        let empty = Value::Object(Default::default());
        let value = value.unwrap_or(&empty);
        let mut r = FieldReader::object(value, "")?;
        let mut errors = Vec::new();
        let weights = match r.raw("weights") {
            None => None,
            Some(w) => match Weights::parse_over(base, w, "weights") {
                Ok(w) => Some(w),
                Err(e) => {
                    errors.extend(e);
                    None
                }
            },
        };
        let objective = match r.opt_text("objective", 20).as_deref() {
            None => Objective::Total,
            Some(name) => Objective::parse(name)
                .unwrap_or_else(|| {
                    r.error(
                        "objective",
                        format!(
                            "unknown value {name:?}; expected one of: total, fair, rank_maximal, stable, stable_mentor"
                        ),
                    );
                    Objective::Total
                }),
        };
        let dry_run = r.flag("dry_run", false);
        errors.extend(r.finish());
        if errors.is_empty() {
            Ok(Self {
                weights,
                objective,
                dry_run,
                weights_version: None,
            })
        } else {
            Err(errors)
        }
    }
}

/// Loads a programme the caller may see.
pub async fn programme_in_scope(
    store: &dyn Store,
    scope: &Scope,
    id: &str,
) -> Result<Programme, RunError> {
    let stored = store
        .get_document(scope, Table::Programmes, id)
        .await?
        .ok_or(RunError::NotFound)?;
    serde_json::from_str(&stored.doc)
        .map_err(|e| RunError::Internal(format!("stored programme unreadable: {e}")))
}

/// How much of a programme a caller sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The programme is inside the caller's scope: all of it.
    Whole,
    /// The programme is anchored above the caller's scope (a municipal
    /// network programme, say) but pairs people of it: the caller sees and
    /// decides what concerns the mentees of its own organisations, and the
    /// programme-wide counts.
    OwnMentees,
}

/// Loads a programme the caller may read, and how much of it: the whole
/// of a programme inside its scope, or its own mentees' part of a wider
/// programme whose organisations include the caller's (or an organisation
/// under it, or above it).
pub async fn programme_access(
    store: &dyn Store,
    scope: &Scope,
    id: &str,
) -> Result<(Programme, Access), RunError> {
    match programme_in_scope(store, scope, id).await {
        Ok(programme) => return Ok((programme, Access::Whole)),
        Err(RunError::NotFound) if *scope != Scope::All => {}
        Err(other) => return Err(other),
    }
    let programme = programme_in_scope(store, &Scope::All, id).await?;
    let nodes = store.organization_nodes(&Scope::All).await?;
    if pairs_people_of(&programme, &nodes, scope) {
        Ok((programme, Access::OwnMentees))
    } else {
        Err(RunError::NotFound)
    }
}

/// Whether a programme's organisations include the scope's organisation,
/// one above it or one under it: then it may pair the scope's people.
fn pairs_people_of(
    programme: &Programme,
    nodes: &[crate::store::OrganizationNode],
    scope: &Scope,
) -> bool {
    let own = scope.prefix();
    programme
        .organization_ids
        .iter()
        .filter_map(|o| nodes.iter().find(|n| n.id == o.as_str()))
        .any(|n| own.starts_with(n.path.as_str()) || n.path.starts_with(own))
}

/// A page of the programmes a caller may read: those inside its scope and,
/// for a scoped caller, the wider programmes that pair its people, merged
/// in id order so that `after` pages through both.
pub async fn programmes_page(
    store: &dyn Store,
    scope: &Scope,
    filter: &crate::store::DocumentFilter,
    page: &crate::store::PageRequest,
) -> Result<crate::store::Page, RunError> {
    let own = store
        .list_documents(scope, Table::Programmes, filter, page)
        .await?;
    // Wider programmes are anchored above the scope, so a filter on an
    // organisation's subtree never selects them.
    if *scope == Scope::All || filter.organization_id.is_some() {
        return Ok(own);
    }
    let nodes = store.organization_nodes(&Scope::All).await?;
    let mut wider = Vec::new();
    for stored in store.programmes_above(scope.prefix()).await? {
        if page
            .after
            .as_deref()
            .is_some_and(|after| stored.id.as_str() <= after)
        {
            continue;
        }
        let programme: Programme = serde_json::from_str(&stored.doc)
            .map_err(|e| RunError::Internal(format!("stored programme unreadable: {e}")))?;
        let form_matches = filter
            .kind
            .as_deref()
            .is_none_or(|kind| programme.form.as_str() == kind);
        if form_matches && pairs_people_of(&programme, &nodes, scope) {
            wider.push(stored);
        }
    }
    let limit = page.limit as usize;
    let more_own = own.next.is_some();
    let mut items = own.items;
    items.extend(wider);
    items.sort_by(|a, b| a.id.cmp(&b.id));
    let more = more_own || items.len() > limit;
    items.truncate(limit);
    let next = if more {
        items.last().map(|s| s.id.clone())
    } else {
        None
    };
    Ok(crate::store::Page { items, next })
}

/// Loads a run the caller may read, with how much of it: a run of a
/// programme inside the scope whole, a run of a wider programme that pairs
/// the caller's people for its own mentees only.
pub async fn run_access(
    store: &dyn Store,
    scope: &Scope,
    id: &str,
) -> Result<(RunRecord, Access), RunError> {
    if let Some(record) = store.get_run(scope, id).await? {
        return Ok((record, Access::Whole));
    }
    if *scope == Scope::All {
        return Err(RunError::NotFound);
    }
    let record = store
        .get_run(&Scope::All, id)
        .await?
        .ok_or(RunError::NotFound)?;
    let (_, access) = programme_access(store, scope, &record.programme_id).await?;
    Ok((record, access))
}

/// Loads a proposal the caller may decide: one of a run it reads whole,
/// or, in a wider programme, one whose mentees all belong to the caller's
/// organisations.
pub async fn proposal_access(
    store: &dyn Store,
    scope: &Scope,
    id: &str,
) -> Result<(ProposalRecord, RunRecord), RunError> {
    if let Some(found) = store.get_proposal(scope, id).await? {
        return Ok(found);
    }
    if *scope == Scope::All {
        return Err(RunError::NotFound);
    }
    let (proposal, run) = store
        .get_proposal(&Scope::All, id)
        .await?
        .ok_or(RunError::NotFound)?;
    programme_access(store, scope, &proposal.programme_id).await?;
    let own = mentees_in_scope(store, scope, &proposal.mentee_ids).await?;
    if proposal.mentee_ids.iter().all(|m| own.contains(m)) {
        Ok((proposal, run))
    } else {
        Err(RunError::NotFound)
    }
}

/// Which of these mentees belong to organisations inside `scope`.
pub async fn mentees_in_scope(
    store: &dyn Store,
    scope: &Scope,
    ids: &[String],
) -> Result<BTreeSet<String>, RunError> {
    Ok(store
        .existing_rows(Table::Mentees, ids)
        .await?
        .into_iter()
        .filter(|(_, row)| scope.covers(&row.path))
        .map(|(id, _)| id)
        .collect())
}

/// Keeps, of a run, only what concerns mentees inside `scope`:
/// proposals all of whose mentees are the caller's, and the caller's
/// unmatched and ineligible mentees. Programme-wide statistics stay.
pub async fn keep_own_mentees(
    store: &dyn Store,
    scope: &Scope,
    detail: &mut RunDetail,
) -> Result<(), RunError> {
    let own = mentees_in_scope(store, scope, &detail.mentee_ids()).await?;
    detail.proposals.retain(|p| {
        let ids = &p.record.mentee_ids;
        !ids.is_empty() && ids.iter().all(|m| own.contains(m))
    });
    if let Some(result) = &mut detail.result {
        result
            .unmatched
            .retain(|u| own.contains(u.mentee_id.as_str()));
        result
            .ineligible
            .retain(|i| own.contains(i.mentee_id.as_str()));
    }
    Ok(())
}

/// Queues a run of a programme the caller may see.
pub async fn start_run(
    store: &dyn Store,
    scope: &Scope,
    actor: &Actor,
    programme_id: &str,
    body: Option<&Value>,
) -> Result<RunDetail, RunError> {
    let programme = programme_in_scope(store, scope, programme_id).await?;
    let mut options = RunOptions::parse(body, programme.weights).map_err(RunError::Invalid)?;
    if programme.group.is_some() && !options.objective.allows_groups() {
        return Err(RunError::Invalid(vec![FieldError::new(
            "objective",
            "is not available with group limits; use total or fair",
        )]));
    }
    let current = serde_json::to_string(&programme.weights).unwrap_or_default();
    options.weights_version = Some(
        store
            .record_weights(programme_id, &current, None, actor)
            .await?,
    );
    let tree = Tree::from_nodes(&store.organization_nodes(&Scope::All).await?);
    let anchor = tree
        .programme_anchor(&Scope::All, &programme)
        .map_err(RunError::Invalid)?;
    let record = queued_run(programme.id.to_string(), anchor, &options, actor, None);
    store.create_run(&record, actor).await?;
    RunDetail::parse(record, &[])
}

/// A new run of a programme anchored at `organization_id`, queued by
/// `actor` with `options`; `inputs_of` names the run whose inputs it
/// solves again (what-if runs).
fn queued_run(
    programme_id: String,
    organization_id: String,
    options: &RunOptions,
    actor: &Actor,
    inputs_of: Option<String>,
) -> RunRecord {
    RunRecord {
        id: uuid::Uuid::now_v7().to_string(),
        programme_id,
        organization_id,
        status: "queued".into(),
        progress: 0,
        options: serde_json::to_string(options).unwrap_or_default(),
        dry_run: options.dry_run,
        created_by: actor.key_id.clone(),
        created_at: sql_now(),
        started_at: None,
        finished_at: None,
        error: None,
        result: None,
        inputs_of,
    }
}

/// Queues a what-if run: the stored inputs of run `source` (in the
/// caller's scope, done) solved again with `{weights?, objective?}` over
/// the source's own settings. Always a dry run, so that weights are
/// compared on the very same data.
pub async fn start_what_if(
    store: &dyn Store,
    scope: &Scope,
    actor: &Actor,
    source: &str,
    body: Option<&Value>,
) -> Result<RunDetail, RunError> {
    let record = store
        .get_run(scope, source)
        .await?
        .ok_or(RunError::NotFound)?;
    if record.status != "done" {
        return Err(RunError::Conflict("the run is not done yet".into()));
    }
    if store.run_inputs(&record.id).await?.is_none() {
        return Err(RunError::Conflict(
            "the run was stored before runs kept their inputs; start a new run instead".into(),
        ));
    }
    let used = RunDetail::parse(record.clone(), &[])?;
    let base = used
        .result
        .as_ref()
        .map(|r| r.weights)
        .or(used.options.weights)
        .unwrap_or_default();
    if let Some(Value::Object(fields)) = body
        && fields.contains_key("dry_run")
    {
        return Err(RunError::Invalid(vec![FieldError::new(
            "dry_run",
            "is not accepted: a what-if run is always a dry run",
        )]));
    }
    let mut options = RunOptions::parse(body, base).map_err(RunError::Invalid)?;
    if body.and_then(|b| b.get("objective")).is_none() {
        options.objective = used.options.objective;
    }
    let programme = programme_in_scope(store, &Scope::All, &record.programme_id).await?;
    if programme.group.is_some() && !options.objective.allows_groups() {
        return Err(RunError::Invalid(vec![FieldError::new(
            "objective",
            "is not available with group limits; use total or fair",
        )]));
    }
    options.weights = Some(options.weights.unwrap_or(base));
    options.dry_run = true;
    options.weights_version = used.options.weights_version;
    let what_if = queued_run(
        record.programme_id.clone(),
        record.organization_id.clone(),
        &options,
        actor,
        Some(record.id.clone()),
    );
    store.create_run(&what_if, actor).await?;
    RunDetail::parse(what_if, &[])
}

/// Deletes a dry run in the caller's scope (see [`RunStore::delete_run`]).
pub async fn delete_run(
    store: &dyn Store,
    scope: &Scope,
    actor: &Actor,
    id: &str,
) -> Result<(), RunError> {
    Ok(store.delete_run(scope, id, actor).await?)
}

/// How long runs are kept before the retention sweep may prune them.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    /// Dry runs and superseded runs older than this go.
    pub keep_for: Duration,
    /// How often the sweep looks.
    pub every: Duration,
}

impl Default for Retention {
    /// Thirty days, looked at hourly.
    fn default() -> Self {
        Self {
            keep_for: Duration::from_secs(30 * 24 * 3600),
            every: Duration::from_secs(3600),
        }
    }
}

/// What one retention sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Swept {
    /// Runs deleted.
    pub runs: usize,
    /// Kept profile versions no stored run names any more, dropped.
    pub profile_versions: usize,
}

/// One retention sweep: prunes runs finished more than `keep_for` ago
/// that are dry or superseded and that nothing refers to (see
/// [`RunStore::prune_runs`]), then drops kept profile versions no stored
/// run names. Versions are left alone while a run is queued or running,
/// since its inputs are not stored yet.
pub async fn sweep(store: &dyn Store, keep_for: Duration) -> Result<Swept, RunError> {
    let cutoff = OffsetDateTime::now_utc() - keep_for;
    let cutoff = cutoff
        .format(&time::format_description::well_known::Rfc3339)
        .map_err(|e| RunError::Internal(e.to_string()))?;
    let runs = store.prune_runs(&cutoff).await?.len();
    let (ids, busy) = store.runs_with_inputs().await?;
    if busy {
        return Ok(Swept {
            runs,
            profile_versions: 0,
        });
    }
    let mut named = std::collections::HashSet::new();
    for id in &ids {
        let Some(text) = store.run_inputs(id).await? else {
            continue;
        };
        let snapshot: RunSnapshot = serde_json::from_str(&text).map_err(|e| {
            RunError::Internal(format!("stored inputs of run {id} unreadable: {e}"))
        })?;
        named.extend(snapshot.etags().map(str::to_owned));
    }
    // A run may have been queued meanwhile and read a version that is
    // not named yet.
    if store.runs_with_inputs().await?.1 {
        return Ok(Swept {
            runs,
            profile_versions: 0,
        });
    }
    let profile_versions = store.drop_profile_versions_except(&named).await?;
    Ok(Swept {
        runs,
        profile_versions,
    })
}

/// Starts the retention sweep of this instance: at start, then `every`.
pub fn spawn_retention(store: Arc<dyn Store>, retention: Retention) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match sweep(store.as_ref(), retention.keep_for).await {
                Ok(swept) if swept != Swept::default() => {
                    tracing::info!(
                        runs = swept.runs,
                        profile_versions = swept.profile_versions,
                        "retention sweep"
                    );
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "retention sweep failed"),
            }
            tokio::time::sleep(retention.every).await;
        }
    })
}

/// Starts the worker of this instance: it claims queued runs (and runs
/// whose instance stopped sending heartbeats) and executes them, one at a
/// time, for as long as the process lives.
pub fn spawn_worker(store: Arc<dyn Store>) -> tokio::task::JoinHandle<()> {
    let instance = format!("{}-{}", std::process::id(), uuid::Uuid::now_v7());
    tokio::spawn(async move {
        loop {
            let stale_before = (OffsetDateTime::now_utc() - STALE_AFTER)
                .format(&Rfc3339)
                .unwrap_or_default();
            match store.claim_run(&instance, &stale_before).await {
                Ok(Some(claimed)) => {
                    tracing::info!(run_id = %claimed.id, programme_id = %claimed.programme_id, "run claimed");
                    if let Err(error) = execute(store.clone(), &instance, &claimed).await {
                        tracing::warn!(run_id = %claimed.id, %error, "run failed");
                        let _ = store.fail_run(&claimed.id, &instance, &error).await;
                    }
                }
                Ok(None) => tokio::time::sleep(POLL).await,
                Err(error) => {
                    tracing::warn!(error = %crate::telemetry::error_chain(&error), "cannot claim runs");
                    tokio::time::sleep(POLL * 10).await;
                }
            }
        }
    })
}

/// The snapshot a finished run keeps.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunResult {
    /// The objective used.
    pub objective: Objective,
    /// The weights used.
    pub weights: Weights,
    /// Statistics.
    pub stats: Stats,
    /// Eligible mentees left without a mentor.
    pub unmatched: Vec<Unmatched>,
    /// Mentees not considered.
    pub ineligible: Vec<Ineligible>,
}

/// What a stored proposal keeps besides its columns.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProposalDoc {
    /// The engine's proposal: score, breakdown, facts.
    pub proposal: Proposal,
    /// The entity tags of the people as the run saw them: first the
    /// mentor's profile, then each mentee's profile, as (id, tag).
    pub snapshot: Vec<(String, String)>,
}

impl ProposalDoc {
    /// The snapshot as the approval re-checks it.
    pub fn seen_profiles(&self) -> crate::store::SeenProfiles {
        let mut entries = self.snapshot.iter().cloned();
        crate::store::SeenProfiles {
            mentor: entries.next().map(|(_, etag)| etag).unwrap_or_default(),
            mentees: entries.collect(),
        }
    }
}

fn parse_docs<T: serde::de::DeserializeOwned>(
    docs: impl Iterator<Item = String>,
) -> Result<Vec<T>, String> {
    docs.map(|d| serde_json::from_str(&d).map_err(|e| format!("stored document unreadable: {e}")))
        .collect()
}

/// Everything a run (or a readiness check) needs, parsed from the store.
pub struct Inputs {
    /// The programme.
    pub programme: Programme,
    /// Every organisation.
    pub organizations: Vec<Organization>,
    /// Mentors under the programme, with the places other programmes use taken off.
    pub mentors: Vec<MentorProfile>,
    /// Mentees under the programme.
    pub mentees: Vec<MenteeProfile>,
    /// Active pairs of this programme.
    pub approved: Vec<PairRef>,
    /// Pairs never to propose (rejected, or ended early).
    pub excluded: Vec<PairRef>,
    /// Pins of people in the pool whose mentee is not paired yet here.
    pub pinned: Vec<PairRef>,
    /// Each mentee's wishes in this programme (mentor ids, most wanted first).
    pub mentee_wishes: Vec<(Id, Vec<Id>)>,
    /// Each mentor's wishes in this programme (mentee ids, most wanted first).
    pub mentor_wishes: Vec<(Id, Vec<Id>)>,
    /// Mentees whose pair in this programme was completed.
    pub completed: Vec<Id>,
    /// Mentees who moved away and were not updated since.
    pub moved_away: Vec<Id>,
    /// Entity tags of the mentor profiles, as read.
    pub mentor_etags: HashMap<String, String>,
    /// Entity tags of the mentee profiles, as read (one person may be in
    /// both banks with two profiles, so the two maps are kept apart).
    pub mentee_etags: HashMap<String, String>,
    /// Mentors with fewer places than their profile says: pairs of other
    /// programmes use the rest.
    pub places_lowered: std::collections::HashSet<String>,
}

impl Inputs {
    /// The engine's input over these banks: approved pairs kept, excluded
    /// pairs and people out of the pool left out; `Total`, the programme's
    /// weights and English texts unless the caller changes them.
    pub fn run_input(&self) -> RunInput<'_> {
        RunInput {
            approved: &self.approved,
            excluded: &self.excluded,
            pinned: &self.pinned,
            mentee_wishes: &self.mentee_wishes,
            mentor_wishes: &self.mentor_wishes,
            completed: &self.completed,
            moved_away: &self.moved_away,
            ..RunInput::new(
                &self.programme,
                &self.organizations,
                &self.mentors,
                &self.mentees,
            )
        }
    }

    /// Parses what the store returned for `programme_id`.
    pub fn load(data: &crate::store::MatchingData, programme_id: &str) -> Result<Self, String> {
        let programme: Programme = match &data.programme {
            Some(p) => serde_json::from_str(&p.doc).map_err(|e| e.to_string())?,
            None => return Err("the programme was deleted".into()),
        };
        let organizations: Vec<Organization> = parse_docs(data.organizations.iter().cloned())?;
        // A mentor who left is out of matching until their profile changes.
        let departed: std::collections::HashSet<&str> =
            data.departed_mentors.iter().map(String::as_str).collect();
        let present_mentors = || {
            data.mentors
                .iter()
                .filter(|s| !departed.contains(s.id.as_str()))
        };
        let mut mentors: Vec<MentorProfile> = parse_docs(present_mentors().map(|s| s.doc.clone()))?;
        let mentees: Vec<MenteeProfile> = parse_docs(data.mentees.iter().map(|s| s.doc.clone()))?;
        let etags_of = |rows: &mut dyn Iterator<Item = &crate::store::Stored>| {
            rows.map(|s| (s.id.clone(), s.etag.clone()))
                .collect::<HashMap<_, _>>()
        };
        let mentor_etags = etags_of(&mut present_mentors());
        let mentee_etags = etags_of(&mut data.mentees.iter());
        let ids = |raw: &[String]| -> Vec<Id> {
            raw.iter().filter_map(|id| Id::parse(id).ok()).collect()
        };
        let pair = |mentor: &str, mentee: &str| -> Option<PairRef> {
            Some(PairRef {
                mentor_id: Id::parse(mentor).ok()?,
                mentee_id: Id::parse(mentee).ok()?,
            })
        };
        // Pairs of this programme keep their mentees out and use places;
        // pairs of other programmes only use the mentor's places.
        let mut approved = Vec::new();
        let mut load_elsewhere: HashMap<&str, u32> = HashMap::new();
        for (pid, mentor, mentee) in &data.active_pairs {
            if pid == programme_id {
                approved.extend(pair(mentor, mentee));
            } else {
                *load_elsewhere.entry(mentor.as_str()).or_default() += 1;
            }
        }
        let mut places_lowered = std::collections::HashSet::new();
        for mentor in &mut mentors {
            if let Some(used) = load_elsewhere.get(mentor.person.id.as_str()) {
                mentor.capacity = mentor.capacity.saturating_sub(*used);
                places_lowered.insert(mentor.person.id.to_string());
            }
        }
        let excluded: Vec<PairRef> = data
            .exclusions
            .iter()
            .filter_map(|(m, e)| pair(m, e))
            .collect();
        // A pin holds while both people are in the pool and its mentee is
        // not paired here yet; a rejected pin is the curator's later word.
        let present = |ids: &mut dyn Iterator<Item = &str>| -> std::collections::HashSet<String> {
            ids.map(str::to_owned).collect()
        };
        let mentor_ids = present(&mut mentors.iter().map(|m| m.person.id.as_str()));
        let mentee_ids = present(&mut mentees.iter().map(|e| e.person.id.as_str()));
        let paired: std::collections::HashSet<&str> =
            approved.iter().map(|p| p.mentee_id.as_str()).collect();
        let pinned = data
            .pins
            .iter()
            .filter_map(|(m, e)| pair(m, e))
            .filter(|p| {
                mentor_ids.contains(p.mentor_id.as_str())
                    && mentee_ids.contains(p.mentee_id.as_str())
                    && !paired.contains(p.mentee_id.as_str())
                    && !excluded.contains(p)
            })
            .collect();
        let wishes_of = |side: crate::store::WishSide| -> Vec<(Id, Vec<Id>)> {
            data.wishes
                .iter()
                .filter(|list| list.side == side)
                .filter_map(|list| Some((Id::parse(&list.person_id).ok()?, ids(&list.targets))))
                .collect()
        };
        let mentee_wishes = wishes_of(crate::store::WishSide::Mentee);
        let mentor_wishes = wishes_of(crate::store::WishSide::Mentor);
        Ok(Self {
            programme,
            organizations,
            mentors,
            mentees,
            approved,
            excluded,
            pinned,
            mentee_wishes,
            mentor_wishes,
            completed: ids(&data.completed_mentees),
            moved_away: ids(&data.moved_mentees),
            mentor_etags,
            mentee_etags,
            places_lowered,
        })
    }
}

async fn execute(store: Arc<dyn Store>, instance: &str, record: &RunRecord) -> Result<(), String> {
    let fail = |e: StoreError| crate::telemetry::error_chain(&e);
    let options: RunOptions = serde_json::from_str(&record.options).map_err(|e| e.to_string())?;
    // A what-if run solves the inputs it was queued with; any other run
    // reads the banks now and keeps what it read.
    let (inputs, snapshot) = match &record.inputs_of {
        Some(_) => match stored_inputs(store.as_ref(), &record.id).await {
            Ok(Some(inputs)) => (inputs, None),
            Ok(None) => return Err("the run was queued without inputs".into()),
            Err(e) => return Err(e.to_string()),
        },
        None => {
            let data = store
                .matching_data(&record.programme_id)
                .await
                .map_err(fail)?;
            let inputs = Inputs::load(&data, &record.programme_id)?;
            let snapshot =
                serde_json::to_string(&RunSnapshot::of(&inputs)).map_err(|e| e.to_string())?;
            (inputs, Some(snapshot))
        }
    };
    store
        .run_progress(&record.id, instance, 200)
        .await
        .map_err(fail)?;

    // The engine runs on the blocking pool; the heartbeat goes on meanwhile
    // so that no other instance takes the run over.
    let heartbeat = {
        let store = store.clone();
        let (id, instance) = (record.id.clone(), instance.to_owned());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(HEARTBEAT).await;
                if !matches!(store.run_progress(&id, &instance, 500).await, Ok(true)) {
                    break;
                }
            }
        })
    };
    let outcome = tokio::task::spawn_blocking(move || {
        let input = RunInput {
            objective: options.objective,
            weights: options.weights,
            lang: Lang::En,
            ..inputs.run_input()
        };
        let outcome = run(&input).map_err(|e| e.to_string());
        (inputs, outcome)
    })
    .await
    .map_err(|e| e.to_string());
    heartbeat.abort();
    let (inputs, outcome) = outcome?;
    let outcome = outcome?;
    let (mentor_etags, mentee_etags) = (&inputs.mentor_etags, &inputs.mentee_etags);

    let proposals: Vec<ProposalRecord> = outcome
        .proposals
        .iter()
        .map(|p| {
            let mut snapshot = vec![(
                p.mentor_id.to_string(),
                mentor_etags
                    .get(p.mentor_id.as_str())
                    .cloned()
                    .unwrap_or_default(),
            )];
            for m in &p.mentee_ids {
                snapshot.push((
                    m.to_string(),
                    mentee_etags.get(m.as_str()).cloned().unwrap_or_default(),
                ));
            }
            ProposalRecord {
                id: uuid::Uuid::now_v7().to_string(),
                run_id: record.id.clone(),
                programme_id: record.programme_id.clone(),
                mentor_id: p.mentor_id.to_string(),
                mentee_ids: p.mentee_ids.iter().map(ToString::to_string).collect(),
                status: "proposed".into(),
                doc: serde_json::to_string(&ProposalDoc {
                    proposal: without_texts(p),
                    snapshot,
                })
                .unwrap_or_default(),
                decided_by: None,
                decided_at: None,
                reason: None,
            }
        })
        .collect();
    // Texts are written from the reasons when read, in the reader's
    // language: a region's run leaves thousands of mentees out.
    let result = RunResult {
        objective: outcome.objective,
        weights: outcome.weights,
        stats: outcome.stats.clone(),
        unmatched: outcome
            .unmatched
            .iter()
            .map(|u| Unmatched {
                text: String::new(),
                ..u.clone()
            })
            .collect(),
        ineligible: outcome
            .ineligible
            .iter()
            .map(|i| Ineligible {
                text: String::new(),
                ..i.clone()
            })
            .collect(),
    };
    let result = serde_json::to_string(&result).map_err(|e| e.to_string())?;
    if store
        .finish_run(
            &record.id,
            instance,
            &result,
            snapshot.as_deref(),
            &proposals,
        )
        .await
        .map_err(fail)?
    {
        tracing::info!(run_id = %record.id, proposals = proposals.len(), "run done");
    }
    Ok(())
}

/// A proposal as stored: its texts (criterion details, summary, group
/// reason) are left empty, since [`Proposal::localize`] writes them again
/// from the facts in the reader's language.
fn without_texts(p: &Proposal) -> Proposal {
    let mut p = p.clone();
    let clear = |items: &mut Vec<crate::matching::explain::BreakdownItem>| {
        for item in items {
            item.detail.clear();
        }
    };
    clear(&mut p.breakdown);
    for member in &mut p.members {
        clear(&mut member.breakdown);
    }
    if let Some(reason) = &mut p.group_reason {
        reason.text.clear();
    }
    p.summary.clear();
    p
}

/// A stored proposal, its document parsed.
#[derive(Debug, Clone)]
pub struct StoredProposal {
    /// The row.
    pub record: ProposalRecord,
    /// The engine's proposal and the profiles it saw.
    pub doc: ProposalDoc,
}

impl StoredProposal {
    /// Parses a stored proposal; an unreadable document is a fault inside.
    pub fn parse(record: &ProposalRecord) -> Result<Self, RunError> {
        let mut doc: ProposalDoc = serde_json::from_str(&record.doc).map_err(|e| {
            RunError::Internal(format!("stored proposal {} unreadable: {e}", record.id))
        })?;
        // Texts are stored empty and written again from the facts.
        doc.proposal.localize(Lang::En);
        Ok(Self {
            record: record.clone(),
            doc,
        })
    }

    /// Every pair score of the proposal: its own, or each member's in a group.
    pub fn scores(&self) -> Vec<f64> {
        let p = &self.doc.proposal;
        if p.members.is_empty() {
            vec![p.score]
        } else {
            p.members.iter().map(|m| m.score).collect()
        }
    }
}

/// Full names of the people a run proposes, by id.
#[derive(Debug, Clone, Default)]
pub struct PersonNames {
    /// Mentors' full names.
    pub mentors: HashMap<String, String>,
    /// Mentees' full names.
    pub mentees: HashMap<String, String>,
}

/// A run as stored, its documents parsed once, with the names of the
/// people it proposes when the caller may read them.
#[derive(Debug, Clone)]
pub struct RunDetail {
    /// The row.
    pub record: RunRecord,
    /// How the run was asked for.
    pub options: RunOptions,
    /// The snapshot, once done.
    pub result: Option<RunResult>,
    /// The proposals, once done (a wider programme's: the caller's own).
    pub proposals: Vec<StoredProposal>,
    /// Names of the proposed people (empty unless asked for).
    pub names: PersonNames,
}

impl RunDetail {
    /// Parses a stored run and its proposals; anything unreadable is a
    /// fault inside.
    pub fn parse(record: RunRecord, proposals: &[ProposalRecord]) -> Result<Self, RunError> {
        let unreadable = |what: &str, e: serde_json::Error| {
            RunError::Internal(format!(
                "stored {what} of run {} unreadable: {e}",
                record.id
            ))
        };
        let options =
            serde_json::from_str(&record.options).map_err(|e| unreadable("options", e))?;
        let result = record
            .result
            .as_deref()
            .map(serde_json::from_str::<RunResult>)
            .transpose()
            .map_err(|e| unreadable("result", e))?;
        let proposals = proposals
            .iter()
            .map(StoredProposal::parse)
            .collect::<Result<_, _>>()?;
        Ok(Self {
            record,
            options,
            result,
            proposals,
            names: PersonNames::default(),
        })
    }

    /// Every mentee id the run speaks of.
    pub fn mentee_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .proposals
            .iter()
            .flat_map(|p| p.record.mentee_ids.iter().cloned())
            .collect();
        if let Some(result) = &self.result {
            ids.extend(result.unmatched.iter().map(|u| u.mentee_id.to_string()));
            ids.extend(result.ineligible.iter().map(|i| i.mentee_id.to_string()));
        }
        ids
    }
}

/// Loads the full names of the people of these proposals in two bulk reads.
pub async fn person_names(
    store: &dyn Store,
    proposals: &[StoredProposal],
) -> Result<PersonNames, RunError> {
    async fn names(
        store: &dyn Store,
        table: Table,
        mut ids: Vec<String>,
    ) -> Result<HashMap<String, String>, RunError> {
        ids.sort();
        ids.dedup();
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let mut out = HashMap::new();
        for stored in store.documents_by_ids(table, &ids).await? {
            let doc: Value = serde_json::from_str(&stored.doc).map_err(|e| {
                RunError::Internal(format!("stored profile {} unreadable: {e}", stored.id))
            })?;
            if let Some(name) = doc["full_name"].as_str() {
                out.insert(stored.id, name.to_owned());
            }
        }
        Ok(out)
    }
    let mentors = proposals
        .iter()
        .map(|p| p.record.mentor_id.clone())
        .collect();
    let mentees = proposals
        .iter()
        .flat_map(|p| p.record.mentee_ids.iter().cloned())
        .collect();
    Ok(PersonNames {
        mentors: names(store, Table::Mentors, mentors).await?,
        mentees: names(store, Table::Mentees, mentees).await?,
    })
}

/// The runs of a programme the caller may read, newest first, a page at
/// a time, without their proposals. A wider programme's runs are listed
/// whole to the organisations it pairs people of: the list shows only
/// programme-wide figures.
pub async fn list_runs(
    store: &dyn Store,
    scope: &Scope,
    programme_id: &str,
    page: &crate::store::PageRequest,
) -> Result<(Vec<RunDetail>, Option<String>), RunError> {
    let (_, access) = programme_access(store, scope, programme_id).await?;
    let scope = match access {
        Access::Whole => scope.clone(),
        Access::OwnMentees => Scope::All,
    };
    let (records, next) = store.list_runs(&scope, programme_id, page).await?;
    let runs = records
        .into_iter()
        .map(|r| RunDetail::parse(r, &[]))
        .collect::<Result<_, _>>()?;
    Ok((runs, next))
}

/// A run the caller may read, waiting up to `wait` for it to finish;
/// with its proposals once done (a wider programme's run: only what
/// concerns the caller's own mentees), and the names of the proposed
/// people when `with_names`.
pub async fn wait_for_run(
    store: &dyn Store,
    scope: &Scope,
    id: &str,
    wait: Duration,
    with_names: bool,
) -> Result<RunDetail, RunError> {
    let deadline = std::time::Instant::now() + wait;
    loop {
        let (record, access) = run_access(store, scope, id).await?;
        let finished = matches!(record.status.as_str(), "done" | "failed");
        if finished || std::time::Instant::now() >= deadline {
            let proposals = if record.status == "done" {
                store.run_proposals(&record.id).await?
            } else {
                Vec::new()
            };
            let mut detail = RunDetail::parse(record, &proposals)?;
            if access == Access::OwnMentees {
                keep_own_mentees(store, scope, &mut detail).await?;
            }
            if with_names {
                detail.names = person_names(store, &detail.proposals).await?;
            }
            return Ok(detail);
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// The inputs a run keeps, parsed, with the profiles it names found again
/// (see [`RunSnapshot`]); `None` for a run that keeps none (stored before
/// runs kept their inputs, or not finished yet).
pub async fn stored_inputs(store: &dyn Store, run_id: &str) -> Result<Option<Inputs>, RunError> {
    match stored_snapshot(store, run_id).await? {
        Some(snapshot) => inputs_of_snapshot(store, &snapshot).await.map(Some),
        None => Ok(None),
    }
}

/// The snapshot a run keeps, parsed; `None` for a run that keeps none.
async fn stored_snapshot(store: &dyn Store, run_id: &str) -> Result<Option<RunSnapshot>, RunError> {
    let Some(text) = store.run_inputs(run_id).await? else {
        return Ok(None);
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| RunError::Internal(format!("stored inputs of run {run_id} unreadable: {e}")))
}

/// The inputs a snapshot names, with the profiles found again.
async fn inputs_of_snapshot(store: &dyn Store, snapshot: &RunSnapshot) -> Result<Inputs, RunError> {
    let tags: Vec<&str> = snapshot.etags().collect();
    let docs = store.profile_docs(&tags).await?;
    snapshot.inputs(&docs).map_err(RunError::Internal)
}

/// Where a done run's score matrix comes from.
pub enum ScoreMatrix {
    /// Stored as CSV by a run made before runs kept their inputs.
    Stored(String),
    /// Derived again from the run's inputs and options: scores are
    /// deterministic, so this is the matrix the run solved.
    Derived(Box<Outcome>),
}

impl ScoreMatrix {
    /// Writes the matrix as CSV (see [`write_scores_csv`]).
    pub fn write_csv(&self, mut out: &mut dyn std::io::Write) -> std::io::Result<()> {
        match self {
            Self::Stored(csv) => out.write_all(csv.as_bytes()),
            Self::Derived(outcome) => write_scores_csv(outcome, &mut out),
        }
    }
}

/// The score matrix of a done run in the caller's scope. Deriving it runs
/// the engine on the blocking pool, as the run did.
pub async fn run_score_matrix(
    store: &dyn Store,
    scope: &Scope,
    id: &str,
) -> Result<ScoreMatrix, RunError> {
    let record = store.get_run(scope, id).await?.ok_or(RunError::NotFound)?;
    if record.status != "done" {
        return Err(RunError::Conflict("the run is not done yet".into()));
    }
    if let Some(csv) = store.run_scores(scope, id).await? {
        return Ok(ScoreMatrix::Stored(csv));
    }
    let inputs = stored_inputs(store, &record.id)
        .await?
        .ok_or_else(|| RunError::Internal(format!("run {id} keeps neither inputs nor scores")))?;
    let options: RunOptions = serde_json::from_str(&record.options)
        .map_err(|e| RunError::Internal(format!("stored options of run {id} unreadable: {e}")))?;
    let outcome = tokio::task::spawn_blocking(move || {
        run(&RunInput {
            objective: options.objective,
            weights: options.weights,
            lang: Lang::En,
            ..inputs.run_input()
        })
    })
    .await
    .map_err(|e| RunError::Internal(e.to_string()))?
    .map_err(|e| RunError::Internal(e.to_string()))?;
    Ok(ScoreMatrix::Derived(Box::new(outcome)))
}

/// Every pair score of a done run in the caller's scope (group members
/// one by one).
pub async fn run_pair_scores(
    store: &dyn Store,
    scope: &Scope,
    id: &str,
) -> Result<Vec<f64>, RunError> {
    let record = store.get_run(scope, id).await?.ok_or(RunError::NotFound)?;
    if record.status != "done" {
        return Err(RunError::Conflict("the run is not done yet".into()));
    }
    let mut scores = Vec::new();
    for p in &store.run_proposals(&record.id).await? {
        scores.extend(StoredProposal::parse(p)?.scores());
    }
    Ok(scores)
}

/// Compares two runs in the caller's scope: see [`compare`].
pub async fn compare_runs(
    store: &dyn Store,
    scope: &Scope,
    a: &str,
    b: &str,
) -> Result<Comparison, RunError> {
    let load = |id: &str| {
        let id = id.to_owned();
        async move {
            let record = store.get_run(scope, &id).await?.ok_or(RunError::NotFound)?;
            let proposals = store.run_proposals(&record.id).await?;
            RunDetail::parse(record, &proposals)
        }
    };
    let a = load(a).await?;
    let b = load(b).await?;
    let mut comparison = compare(&a, &b)?;
    comparison.attribution = attribute(store, &a, &b).await?;
    Ok(comparison)
}

/// Approves a proposal the caller may decide: its pair or group becomes
/// active, re-checked by the store inside one transaction. Proposals of a
/// dry run, and proposals already decided, are conflicts.
pub async fn approve_proposal(
    store: &dyn Store,
    scope: &Scope,
    actor: &Actor,
    id: &str,
) -> Result<Vec<crate::store::PairRecord>, RunError> {
    let (proposal, run) = proposal_access(store, scope, id).await?;
    if run.dry_run {
        return Err(RunError::Conflict(
            "proposals of a dry run cannot be approved".into(),
        ));
    }
    if proposal.status != "proposed" {
        return Err(RunError::Conflict(format!(
            "the proposal is already {}",
            proposal.status
        )));
    }
    let stored = StoredProposal::parse(&proposal)?;
    let programme = programme_in_scope(store, &Scope::All, &proposal.programme_id).await?;
    let request = crate::store::PairRequest {
        programme_id: proposal.programme_id.clone(),
        mentor_id: proposal.mentor_id.clone(),
        mentee_ids: proposal.mentee_ids.clone(),
        started_on: started_on(&programme),
        snapshot: Some(stored.doc.seen_profiles()),
        proposal_id: Some(proposal.id.clone()),
        override_rejection: None,
    };
    Ok(store.make_pairs(&request, actor).await?)
}

/// Rejects a proposal the caller may decide, with a reason: the pair is
/// never proposed again in this programme.
pub async fn reject_proposal(
    store: &dyn Store,
    scope: &Scope,
    actor: &Actor,
    id: &str,
    reason: &str,
) -> Result<(), RunError> {
    // Access is decided here (a wider programme's proposal of one's own
    // mentees is one's to decide); the store then acts on it.
    proposal_access(store, scope, id).await?;
    store
        .reject_proposal(&Scope::All, id, reason, actor)
        .await?;
    Ok(())
}

/// The day new pairs start: today, but not before the programme's period.
pub fn started_on(programme: &Programme) -> String {
    let today = OffsetDateTime::now_utc().date();
    crate::domain::parse::format_date(today.max(programme.period.start))
}

/// One version of a programme's weights.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WeightsVersion {
    /// 1, 2, … (runs name the version they used).
    pub version: i64,
    /// The weights as given.
    pub weights: Weights,
    /// The same divided by their sum (they sum to 1): what scoring uses.
    pub weights_normalised: Weights,
    /// Key id of who changed them.
    pub changed_by: String,
    /// When (RFC 3339).
    pub changed_at: String,
    /// Why, when said.
    pub reason: Option<String>,
}

/// Every version of the weights of a programme the caller may see, oldest first.
pub async fn weight_history(
    store: &dyn Store,
    scope: &Scope,
    programme_id: &str,
) -> Result<Vec<WeightsVersion>, RunError> {
    programme_in_scope(store, scope, programme_id).await?;
    store
        .weight_history(programme_id)
        .await?
        .into_iter()
        .map(|v| {
            let weights = serde_json::from_str(&v.weights).map_err(|e| {
                RunError::Internal(format!(
                    "stored weights version {} unreadable: {e}",
                    v.version
                ))
            })?;
            Ok(WeightsVersion {
                version: v.version,
                weights_normalised: Weights::normalised(&weights),
                weights,
                changed_by: v.changed_by,
                changed_at: v.changed_at,
                reason: v.reason,
            })
        })
        .collect()
}

/// A figure in two runs.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ComparedValues {
    /// In run `a`.
    pub a: f64,
    /// In run `b`.
    pub b: f64,
}

/// A figure in two runs and its change from `a` to `b`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ComparedChange {
    /// In run `a`.
    pub a: f64,
    /// In run `b`.
    pub b: f64,
    /// `b − a`.
    pub change: f64,
}

/// A count in two runs.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ComparedCounts {
    /// In run `a`.
    pub a: usize,
    /// In run `b`.
    pub b: usize,
}

/// A count in two runs and its change from `a` to `b`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ComparedCountChange {
    /// In run `a`.
    pub a: usize,
    /// In run `b`.
    pub b: usize,
    /// `b − a`.
    pub change: i64,
}

/// A figure in two runs, absent in a run where it was not computed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ComparedOptionalValues {
    /// In run `a`; null when not computed there.
    pub a: Option<f64>,
    /// In run `b`; null when not computed there.
    pub b: Option<f64>,
}

/// A yes/no in two runs.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ComparedFlags {
    /// In run `a`.
    pub a: bool,
    /// In run `b`.
    pub b: bool,
}

/// The weights of two runs, as given and normalised to sum 1.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ComparedWeights {
    /// Of run `a`, as given.
    pub a: Weights,
    /// Of run `b`, as given.
    pub b: Weights,
    /// Of run `a`, divided by their sum: what scoring used.
    pub a_normalised: Weights,
    /// Of run `b`, divided by their sum: what scoring used.
    pub b_normalised: Weights,
}

/// Coverage of two runs.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ComparedCoverage {
    /// Mentees considered.
    pub eligible: ComparedCounts,
    /// Mentees matched.
    pub matched: ComparedCountChange,
}

/// One criterion in two runs. A criterion with weight 0 in a run was not
/// computed there: `computed` is false and its mean value is null (not 0).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ComparedCriterion {
    /// The criterion.
    pub criterion: crate::domain::Criterion,
    /// Its weight as given.
    pub weight: ComparedValues,
    /// Its weight normalised (the weights of a run sum to 1).
    pub weight_normalised: ComparedValues,
    /// Whether the run computed it (weight above 0).
    pub computed: ComparedFlags,
    /// Its mean value over the proposed pairs; null where not computed or
    /// no pair was proposed.
    pub mean_value: ComparedOptionalValues,
    /// The pairs the mean is over (group members one by one).
    pub pairs: ComparedCounts,
    /// The sum of its contributions over the proposed pairs (0 where not
    /// computed: it added nothing to the scores).
    pub total_contribution: ComparedChange,
}

/// A proposed pair, by its people's ids.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ComparedPair {
    /// The mentor.
    pub mentor_id: String,
    /// The mentee.
    pub mentee_id: String,
}

/// What changed from run `a` to run `b` of one programme.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Comparison {
    /// Run `a`.
    pub a: String,
    /// Run `b`.
    pub b: String,
    /// Per criterion: weights, mean values, contributions.
    pub criteria: Vec<ComparedCriterion>,
    /// The programme of both runs.
    pub programme_id: String,
    /// Mentees considered and matched.
    pub coverage: ComparedCoverage,
    /// Sum of the pair scores.
    pub total_score: ComparedChange,
    /// Mean pair score.
    pub mean_score: ComparedChange,
    /// Lowest pair score.
    pub min_score: ComparedChange,
    /// The weights used.
    pub weights: ComparedWeights,
    /// Pairs proposed by both.
    pub pairs_kept: Vec<ComparedPair>,
    /// Pairs only `b` proposes.
    pub pairs_added: Vec<ComparedPair>,
    /// Pairs only `a` proposes.
    pub pairs_dropped: Vec<ComparedPair>,
    /// How much of each difference comes from changed inputs and how much
    /// from changed settings; absent when either run was stored before
    /// runs kept their inputs.
    pub attribution: Option<Attribution>,
}

/// The differences from run `a` to run `b` split by cause. The bridge is
/// `a`'s stored inputs solved with `b`'s settings (weights and
/// objective): `from_settings` = bridge − `a` (the same data, other
/// settings) and `from_inputs` = `b` − bridge (the same settings, other
/// data); the two parts add up to the whole change. Runs with the same
/// settings attribute nothing to settings, runs on the same inputs nothing
/// to inputs (exactly: the bridge is then `a`, or `b`, itself).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Attribution {
    /// Whether both runs read the same data: the same people with the same
    /// profiles, the same pairs, completions, rejections, pins and wishes,
    /// and the same programme apart from its weights.
    pub same_inputs: bool,
    /// Whether both runs used the same objective and the same weights
    /// (as relative importances: weights in proportion are the same).
    pub same_settings: bool,
    /// What differs between the data the two runs read.
    pub input_changes: InputChanges,
    /// `a`'s inputs solved with `b`'s settings.
    pub bridge: BridgeFigures,
    /// The part of each change that the settings make.
    pub from_settings: ChangeParts,
    /// The part of each change that the data make.
    pub from_inputs: ChangeParts,
}

/// Figures of the bridge run (see [`Attribution`]).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BridgeFigures {
    /// Mentees considered.
    pub eligible: usize,
    /// Mentees matched.
    pub matched: usize,
    /// Sum of the pair scores.
    pub total_score: f64,
    /// Mean pair score.
    pub mean_score: f64,
    /// Lowest pair score.
    pub min_score: f64,
}

/// One cause's part of the changes from `a` to `b`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChangeParts {
    /// Change in mentees considered.
    pub eligible: i64,
    /// Change in mentees matched.
    pub matched: i64,
    /// Change in the sum of pair scores.
    pub total_score: f64,
    /// Change in the mean pair score.
    pub mean_score: f64,
    /// Change in the lowest pair score.
    pub min_score: f64,
    /// Pairs this step keeps.
    pub pairs_kept: usize,
    /// Pairs this step adds.
    pub pairs_added: usize,
    /// Pairs this step drops.
    pub pairs_dropped: usize,
}

/// What differs between the data two runs read (people by id).
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct InputChanges {
    /// Mentees only `b` read.
    pub mentees_added: usize,
    /// Mentees only `a` read.
    pub mentees_removed: usize,
    /// Mentees both read, with a changed profile.
    pub mentees_changed: usize,
    /// Mentors only `b` read.
    pub mentors_added: usize,
    /// Mentors only `a` read.
    pub mentors_removed: usize,
    /// Mentors both read, with a changed profile or fewer or more places.
    pub mentors_changed: usize,
    /// Pairs active for `b` and not for `a` (approved in between).
    pub pairs_approved: usize,
    /// Pairs active for `a` and not for `b` (completed or ended in between).
    pub pairs_closed: usize,
    /// Mentees completed for `b` and not for `a`.
    pub mentees_completed: usize,
    /// Pairs excluded for `b` and not for `a` (rejected or ended early).
    pub pairs_excluded: usize,
    /// Pins that differ.
    pub pins_changed: usize,
    /// People whose wishes differ.
    pub wishes_changed: usize,
    /// Whether the programme changed apart from its weights (form, scope,
    /// rules, group limits…).
    pub programme_changed: bool,
}

/// Per criterion, over every proposed pair (group members one by one):
/// the sum of values, the sum of contributions, and the number of pairs.
fn criterion_totals(
    props: &[StoredProposal],
) -> HashMap<crate::domain::Criterion, (f64, f64, usize)> {
    let mut totals: HashMap<crate::domain::Criterion, (f64, f64, usize)> = HashMap::new();
    for p in props {
        let proposal = &p.doc.proposal;
        let breakdowns: Vec<&Vec<crate::matching::explain::BreakdownItem>> =
            if proposal.members.is_empty() {
                vec![&proposal.breakdown]
            } else {
                proposal.members.iter().map(|m| &m.breakdown).collect()
            };
        for items in breakdowns {
            for item in items {
                let slot = totals.entry(item.criterion).or_default();
                slot.0 += item.value;
                slot.1 += item.contribution;
                slot.2 += 1;
            }
        }
    }
    totals
}

/// What changed from run `a` to run `b` of one programme: coverage, score
/// statistics, and the pairs kept, added and dropped.
pub fn compare(a: &RunDetail, b: &RunDetail) -> Result<Comparison, RunError> {
    if a.record.programme_id != b.record.programme_id {
        return Err(RunError::Conflict(
            "the two runs belong to different programmes".into(),
        ));
    }
    let result = |r: &RunDetail| -> Result<RunResult, RunError> {
        r.result
            .clone()
            .ok_or_else(|| RunError::Conflict(format!("run {} is not done", r.record.id)))
    };
    let (ra, rb) = (result(a)?, result(b)?);
    let pairs = |props: &[StoredProposal]| -> BTreeSet<(String, String)> {
        props
            .iter()
            .flat_map(|p| {
                p.record
                    .mentee_ids
                    .iter()
                    .map(|m| (p.record.mentor_id.clone(), m.clone()))
            })
            .collect()
    };
    let (pa, pb) = (pairs(&a.proposals), pairs(&b.proposals));
    let list = |set: Vec<&(String, String)>| -> Vec<ComparedPair> {
        set.into_iter()
            .map(|(mentor, mentee)| ComparedPair {
                mentor_id: mentor.clone(),
                mentee_id: mentee.clone(),
            })
            .collect()
    };
    let stat = |f: fn(&Stats) -> f64| ComparedChange {
        a: f(&ra.stats),
        b: f(&rb.stats),
        change: f(&rb.stats) - f(&ra.stats),
    };
    let (ca, cb) = (
        criterion_totals(&a.proposals),
        criterion_totals(&b.proposals),
    );
    let criteria = crate::domain::Criterion::ALL
        .iter()
        .map(|c| {
            let (va, ta, na) = ca.get(c).copied().unwrap_or_default();
            let (vb, tb, nb) = cb.get(c).copied().unwrap_or_default();
            let (on_a, on_b) = (ra.weights.get(*c) > 0.0, rb.weights.get(*c) > 0.0);
            let mean = |on: bool, sum: f64, n: usize| (on && n > 0).then(|| sum / n as f64);
            ComparedCriterion {
                criterion: *c,
                weight: ComparedValues {
                    a: ra.weights.get(*c),
                    b: rb.weights.get(*c),
                },
                weight_normalised: ComparedValues {
                    a: ra.weights.normalised().get(*c),
                    b: rb.weights.normalised().get(*c),
                },
                computed: ComparedFlags { a: on_a, b: on_b },
                mean_value: ComparedOptionalValues {
                    a: mean(on_a, va, na),
                    b: mean(on_b, vb, nb),
                },
                pairs: ComparedCounts {
                    a: if on_a { na } else { 0 },
                    b: if on_b { nb } else { 0 },
                },
                total_contribution: ComparedChange {
                    a: ta,
                    b: tb,
                    change: tb - ta,
                },
            }
        })
        .collect();
    Ok(Comparison {
        a: a.record.id.clone(),
        b: b.record.id.clone(),
        criteria,
        programme_id: a.record.programme_id.clone(),
        coverage: ComparedCoverage {
            eligible: ComparedCounts {
                a: ra.stats.mentees_eligible,
                b: rb.stats.mentees_eligible,
            },
            matched: ComparedCountChange {
                a: ra.stats.mentees_matched,
                b: rb.stats.mentees_matched,
                change: rb.stats.mentees_matched as i64 - ra.stats.mentees_matched as i64,
            },
        },
        total_score: stat(|s| s.total_score),
        mean_score: stat(|s| s.mean_score),
        min_score: stat(|s| s.min_score),
        weights: ComparedWeights {
            a: ra.weights,
            b: rb.weights,
            a_normalised: ra.weights.normalised(),
            b_normalised: rb.weights.normalised(),
        },
        pairs_kept: list(pa.intersection(&pb).collect()),
        pairs_added: list(pb.difference(&pa).collect()),
        pairs_dropped: list(pa.difference(&pb).collect()),
        attribution: None,
    })
}

/// The proposed (mentor, mentee) pairs of a run, group members one by one.
fn proposed_pairs(props: &[StoredProposal]) -> BTreeSet<(String, String)> {
    props
        .iter()
        .flat_map(|p| {
            p.record
                .mentee_ids
                .iter()
                .map(|m| (p.record.mentor_id.clone(), m.clone()))
        })
        .collect()
}

/// Whether two runs' settings score and choose alike: the same objective
/// and weights in the same proportions.
fn same_settings(a: &RunResult, b: &RunResult) -> bool {
    let share = |w: &Weights| {
        let raw = crate::matching::score::weight_array(w);
        let sum: f64 = raw.iter().sum();
        raw.map(|x| if sum > 0.0 { x / sum } else { x })
    };
    let (wa, wb) = (share(&a.weights), share(&b.weights));
    a.objective == b.objective && wa.iter().zip(&wb).all(|(x, y)| (x - y).abs() <= 1e-12)
}

/// What differs between two runs' inputs.
fn input_changes(a: &Inputs, b: &Inputs) -> InputChanges {
    fn diff<K: Ord + Clone>(a: &BTreeSet<K>, b: &BTreeSet<K>) -> (usize, usize) {
        (b.difference(a).count(), a.difference(b).count())
    }
    let mentees = |i: &Inputs| -> BTreeSet<String> {
        i.mentees.iter().map(|e| e.person.id.to_string()).collect()
    };
    let mentors = |i: &Inputs| -> BTreeSet<String> {
        i.mentors.iter().map(|m| m.person.id.to_string()).collect()
    };
    let pairs = |list: &[PairRef]| -> BTreeSet<(String, String)> {
        list.iter()
            .map(|p| (p.mentor_id.to_string(), p.mentee_id.to_string()))
            .collect()
    };
    let ids = |list: &[Id]| -> BTreeSet<String> { list.iter().map(ToString::to_string).collect() };
    let wishes = |i: &Inputs| -> BTreeSet<(String, bool, Vec<String>)> {
        let side = |list: &[(Id, Vec<Id>)], mentor: bool| {
            list.iter()
                .map(|(who, targets)| {
                    (
                        who.to_string(),
                        mentor,
                        targets.iter().map(ToString::to_string).collect(),
                    )
                })
                .collect::<Vec<_>>()
        };
        side(&i.mentee_wishes, false)
            .into_iter()
            .chain(side(&i.mentor_wishes, true))
            .collect()
    };
    let (mentees_added, mentees_removed) = diff(&mentees(a), &mentees(b));
    let (mentors_added, mentors_removed) = diff(&mentors(a), &mentors(b));
    let mentees_changed = b
        .mentee_etags
        .iter()
        .filter(|(id, tag)| a.mentee_etags.get(*id).is_some_and(|t| t != *tag))
        .count();
    let places = |i: &Inputs| -> HashMap<String, u32> {
        i.mentors
            .iter()
            .map(|m| (m.person.id.to_string(), m.capacity))
            .collect()
    };
    let (places_a, places_b) = (places(a), places(b));
    let mentors_changed = b
        .mentor_etags
        .iter()
        .filter(|(id, tag)| {
            a.mentor_etags
                .get(*id)
                .is_some_and(|t| t != *tag || places_a.get(*id) != places_b.get(*id))
        })
        .count();
    let (pairs_approved, pairs_closed) = diff(&pairs(&a.approved), &pairs(&b.approved));
    let (mentees_completed, _) = diff(&ids(&a.completed), &ids(&b.completed));
    let (pairs_excluded, _) = diff(&pairs(&a.excluded), &pairs(&b.excluded));
    let (pins_added, pins_removed) = diff(&pairs(&a.pinned), &pairs(&b.pinned));
    let (wishes_a, wishes_b) = (wishes(a), wishes(b));
    let wishers = |set: &BTreeSet<(String, bool, Vec<String>)>,
                   other: &BTreeSet<(String, bool, Vec<String>)>| {
        set.difference(other)
            .map(|(who, side, _)| (who.clone(), *side))
            .collect::<BTreeSet<_>>()
    };
    let wishes_changed = wishers(&wishes_a, &wishes_b)
        .union(&wishers(&wishes_b, &wishes_a))
        .count();
    let without_weights = |p: &Programme| Programme {
        weights: Weights::default(),
        ..p.clone()
    };
    InputChanges {
        mentees_added,
        mentees_removed,
        mentees_changed,
        mentors_added,
        mentors_removed,
        mentors_changed,
        pairs_approved,
        pairs_closed,
        mentees_completed,
        pairs_excluded,
        pins_changed: pins_added + pins_removed,
        wishes_changed,
        programme_changed: without_weights(&a.programme) != without_weights(&b.programme),
    }
}

/// Splits the differences between two done runs by cause (see
/// [`Attribution`]); `None` when either run keeps no inputs.
async fn attribute(
    store: &dyn Store,
    a: &RunDetail,
    b: &RunDetail,
) -> Result<Option<Attribution>, RunError> {
    let (Some(ra), Some(rb)) = (&a.result, &b.result) else {
        return Ok(None);
    };
    let (Some(snapshot_a), Some(snapshot_b)) = (
        stored_snapshot(store, &a.record.id).await?,
        stored_snapshot(store, &b.record.id).await?,
    ) else {
        return Ok(None);
    };
    // The programme's weights are settings, not data.
    let data_only = |snapshot: &RunSnapshot| RunSnapshot {
        programme: Programme {
            weights: Weights::default(),
            ..snapshot.programme.clone()
        },
        ..snapshot.clone()
    };
    let same_inputs = data_only(&snapshot_a) == data_only(&snapshot_b);
    let inputs_a = inputs_of_snapshot(store, &snapshot_a).await?;
    let inputs_b = inputs_of_snapshot(store, &snapshot_b).await?;
    let input_changes = input_changes(&inputs_a, &inputs_b);
    let same_settings = same_settings(ra, rb);
    let figures = |s: &Stats| BridgeFigures {
        eligible: s.mentees_eligible,
        matched: s.mentees_matched,
        total_score: s.total_score,
        mean_score: s.mean_score,
        min_score: s.min_score,
    };
    // The bridge: `a` itself when the settings agree, `b` itself when the
    // data agree, else `a`'s inputs solved with `b`'s settings.
    let (bridge, bridge_pairs) = if same_settings {
        (figures(&ra.stats), proposed_pairs(&a.proposals))
    } else if same_inputs {
        (figures(&rb.stats), proposed_pairs(&b.proposals))
    } else {
        let (objective, weights) = (rb.objective, rb.weights);
        let outcome = tokio::task::spawn_blocking(move || {
            run(&RunInput {
                objective,
                weights: Some(weights),
                lang: Lang::En,
                ..inputs_a.run_input()
            })
        })
        .await
        .map_err(|e| RunError::Internal(e.to_string()))?
        .map_err(|e| RunError::Internal(e.to_string()))?;
        let pairs = outcome
            .proposals
            .iter()
            .flat_map(|p| {
                p.mentee_ids
                    .iter()
                    .map(|m| (p.mentor_id.to_string(), m.to_string()))
            })
            .collect();
        (figures(&outcome.stats), pairs)
    };
    let part = |from: &BridgeFigures,
                to: &BridgeFigures,
                from_pairs: &BTreeSet<(String, String)>,
                to_pairs: &BTreeSet<(String, String)>| ChangeParts {
        eligible: to.eligible as i64 - from.eligible as i64,
        matched: to.matched as i64 - from.matched as i64,
        total_score: to.total_score - from.total_score,
        mean_score: to.mean_score - from.mean_score,
        min_score: to.min_score - from.min_score,
        pairs_kept: from_pairs.intersection(to_pairs).count(),
        pairs_added: to_pairs.difference(from_pairs).count(),
        pairs_dropped: from_pairs.difference(to_pairs).count(),
    };
    let (pa, pb) = (proposed_pairs(&a.proposals), proposed_pairs(&b.proposals));
    let (fa, fb) = (figures(&ra.stats), figures(&rb.stats));
    Ok(Some(Attribution {
        same_inputs,
        same_settings,
        input_changes,
        from_settings: part(&fa, &bridge, &pa, &bridge_pairs),
        from_inputs: part(&bridge, &fb, &bridge_pairs, &pb),
        bridge,
    }))
}

/// Mentees of one category in one organisation, before matching.
#[derive(Debug, Clone)]
pub struct DemandCounts {
    /// The category (counts only: no one is named).
    pub category: crate::domain::MenteeCategory,
    /// Mentees a run would consider.
    pub eligible: usize,
    /// Of those, matched by a run now.
    pub matched_now: usize,
    /// Mentees no mentor passes the hard rules for, by the rule that
    /// excluded most mentors.
    pub blocked_by_rule: std::collections::BTreeMap<crate::matching::rules::Rule, usize>,
    /// Mentees some mentor passes the rules for, left without a mentor by
    /// a run now: the places of those mentors are taken or go to others
    /// (e.g. pupils with special needs when the tutors' places go to other
    /// pupils). With `matched_now` and `blocked_by_rule` it adds up to
    /// `eligible`.
    pub left_without_place: usize,
    /// Mentees without the consent matching needs.
    pub waiting_for_consent: usize,
    /// Mentees already in an active pair.
    pub already_paired: usize,
    /// Mentees whose pair was completed.
    pub completed: usize,
    /// Mentees who moved away.
    pub moved_away: usize,
}

impl DemandCounts {
    pub(crate) fn new(category: crate::domain::MenteeCategory) -> Self {
        Self {
            category,
            eligible: 0,
            matched_now: 0,
            blocked_by_rule: Default::default(),
            left_without_place: 0,
            waiting_for_consent: 0,
            already_paired: 0,
            completed: 0,
            moved_away: 0,
        }
    }
}

/// Mentors of one organisation, before matching.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct MentorSupply {
    /// Mentors a run may use.
    pub mentors_available: usize,
    /// Their free places.
    pub free_places: u32,
    /// Of the available mentors, tutors.
    pub tutors_available: usize,
    /// The tutors' free places.
    pub tutor_free_places: u32,
    /// Mentors without a valid consent.
    pub waiting_for_consent: usize,
    /// Mentors who have not finished training.
    pub waiting_for_training: usize,
}

/// Demand and supply of one organisation.
#[derive(Debug, Clone)]
pub struct OrganizationCounts {
    /// The organisation.
    pub organization_id: String,
    /// Its mentees, by category.
    pub mentees: Vec<DemandCounts>,
    /// Its mentors, when it has any accepting the form.
    pub mentors: Option<MentorSupply>,
}

/// The programme-wide sums of a readiness check.
#[derive(Debug, Clone)]
pub struct TotalsCounts {
    /// Mentees a run would consider.
    pub mentees_eligible: usize,
    /// Of those, matched by a run now.
    pub mentees_matchable_now: usize,
    /// Mentees no mentor passes the hard rules for.
    pub mentees_blocked_by_rules: usize,
    /// Mentees some mentor passes the rules for, left without a place by
    /// a run now (with the two above it adds up to `mentees_eligible`).
    pub mentees_left_without_place: usize,
    /// Mentees without the consent matching needs.
    pub mentees_waiting_for_consent: usize,
    /// Mentees already in an active pair.
    pub mentees_already_paired: usize,
    /// Mentees whose pair was completed.
    pub mentees_completed: usize,
    /// Mentees who moved away.
    pub mentees_moved_away: usize,
    /// Mentors a run may use.
    pub mentors_available: usize,
    /// Their free places.
    pub mentor_free_places: u32,
    /// Mentors without a valid consent.
    pub mentors_waiting_for_consent: usize,
    /// Mentors who have not finished training.
    pub mentors_waiting_for_training: usize,
}

/// Demand and supply of a programme before matching (counts only).
#[derive(Debug, Clone)]
pub struct ReadinessCounts {
    /// The programme.
    pub programme_id: String,
    /// Its form.
    pub form: crate::domain::Form,
    /// Programme-wide sums.
    pub totals: TotalsCounts,
    /// Per organisation.
    pub by_organization: Vec<OrganizationCounts>,
}

/// Demand and supply of a programme before matching, per organisation and
/// mentee category: eligible mentees, mentees no mentor could take (by the
/// rule that blocks them), mentees waiting for consent, mentors available
/// with their free places (tutors apart), mentors waiting for consent or
/// training. Counts only: no one is named; exact, for
/// [`crate::service::readiness::disclose`] to hide what the caller may not
/// read.
pub async fn readiness(
    store: &dyn Store,
    scope: &Scope,
    programme_id: &str,
) -> Result<ReadinessCounts, RunError> {
    use crate::matching::engine::mentor_problem;
    use crate::matching::rules::Rule;
    use crate::matching::unmatched::{IneligibleReason, UnmatchedReason};
    use std::collections::BTreeMap;

    programme_in_scope(store, scope, programme_id).await?;
    let data = store.matching_data(programme_id).await?;
    let inputs = Inputs::load(&data, programme_id).map_err(RunError::Internal)?;
    let outcome = tokio::task::spawn_blocking(move || {
        let outcome = run(&inputs.run_input()).map_err(|e| e.to_string());
        (inputs, outcome)
    })
    .await
    .map_err(|e| RunError::Internal(e.to_string()))?;
    let (inputs, outcome) = outcome;
    let outcome = outcome.map_err(RunError::Internal)?;

    let mentee_of: HashMap<&str, &MenteeProfile> = inputs
        .mentees
        .iter()
        .map(|m| (m.person.id.as_str(), m))
        .collect();
    let mut demand: BTreeMap<(String, String), DemandCounts> = BTreeMap::new();
    // Rows are ordered by organisation, then category name.
    fn row<'a>(
        demand: &'a mut BTreeMap<(String, String), DemandCounts>,
        m: &MenteeProfile,
    ) -> &'a mut DemandCounts {
        let key = (
            m.person.organization_id.to_string(),
            m.category.as_str().to_owned(),
        );
        demand
            .entry(key)
            .or_insert_with(|| DemandCounts::new(m.category))
    }
    let matched: std::collections::HashSet<&str> = outcome
        .proposals
        .iter()
        .flat_map(|p| p.mentee_ids.iter().map(Id::as_str))
        .collect();
    let in_matrix: std::collections::HashSet<&str> =
        outcome.matrix_mentee_ids.iter().map(Id::as_str).collect();
    for id in &outcome.matrix_mentee_ids {
        if let Some(m) = mentee_of.get(id.as_str()) {
            let d = row(&mut demand, m);
            d.eligible += 1;
            if matched.contains(id.as_str()) {
                d.matched_now += 1;
            }
        }
    }
    for u in &outcome.unmatched {
        let Some(m) = mentee_of.get(u.mentee_id.as_str()) else {
            continue;
        };
        let d = row(&mut demand, m);
        d.eligible += usize::from(!in_matrix.contains(u.mentee_id.as_str()));
        match &u.reason {
            UnmatchedReason::NoMentorPassesRules { top_rule, .. } => {
                *d.blocked_by_rule.entry(*top_rule).or_default() += 1;
            }
            UnmatchedReason::MentorsFull { .. } | UnmatchedReason::AssignedToOthers { .. } => {
                d.left_without_place += 1;
            }
        }
    }
    for i in &outcome.ineligible {
        let Some(m) = mentee_of.get(i.mentee_id.as_str()) else {
            continue;
        };
        match i.reason {
            IneligibleReason::NoConsent
            | IneligibleReason::ConsentNotForMatching
            | IneligibleReason::ConsentNeedsGuardian
            | IneligibleReason::ConsentNeedsPupilAgreement
            | IneligibleReason::ConsentNeedsOwn => row(&mut demand, m).waiting_for_consent += 1,
            IneligibleReason::AlreadyPaired => row(&mut demand, m).already_paired += 1,
            IneligibleReason::Completed => row(&mut demand, m).completed += 1,
            IneligibleReason::MovedAway => row(&mut demand, m).moved_away += 1,
            IneligibleReason::CategoryNotInForm | IneligibleReason::OutOfScope => {}
        }
    }
    let mut used: HashMap<&str, u32> = HashMap::new();
    for p in &inputs.approved {
        *used.entry(p.mentor_id.as_str()).or_default() += 1;
    }
    let mut supply: BTreeMap<String, MentorSupply> = BTreeMap::new();
    for mentor in inputs
        .mentors
        .iter()
        .filter(|m| m.forms.contains(&inputs.programme.form))
    {
        let s = supply
            .entry(mentor.person.organization_id.to_string())
            .or_default();
        match mentor_problem(&inputs.programme, &inputs.organizations, mentor) {
            None => {
                let free = mentor
                    .capacity
                    .saturating_sub(used.get(mentor.person.id.as_str()).copied().unwrap_or(0));
                s.mentors_available += 1;
                s.free_places += free;
                if mentor.roles.contains(&crate::domain::StaffRole::Tutor) {
                    s.tutors_available += 1;
                    s.tutor_free_places += free;
                }
            }
            Some(Rule::MentorNoConsent) => s.waiting_for_consent += 1,
            Some(Rule::MentorNotTrained) => s.waiting_for_training += 1,
            Some(_) => {}
        }
    }
    let mut organizations: BTreeMap<String, OrganizationCounts> = BTreeMap::new();
    let organization = |org: &String| OrganizationCounts {
        organization_id: org.clone(),
        mentees: Vec::new(),
        mentors: None,
    };
    let totals = TotalsCounts {
        mentees_eligible: demand.values().map(|d| d.eligible).sum(),
        mentees_matchable_now: demand.values().map(|d| d.matched_now).sum(),
        mentees_blocked_by_rules: demand
            .values()
            .map(|d| d.blocked_by_rule.values().sum::<usize>())
            .sum(),
        mentees_left_without_place: demand.values().map(|d| d.left_without_place).sum(),
        mentees_waiting_for_consent: demand.values().map(|d| d.waiting_for_consent).sum(),
        mentees_already_paired: demand.values().map(|d| d.already_paired).sum(),
        mentees_completed: demand.values().map(|d| d.completed).sum(),
        mentees_moved_away: demand.values().map(|d| d.moved_away).sum(),
        mentors_available: supply.values().map(|s| s.mentors_available).sum(),
        mentor_free_places: supply.values().map(|s| s.free_places).sum(),
        mentors_waiting_for_consent: supply.values().map(|s| s.waiting_for_consent).sum(),
        mentors_waiting_for_training: supply.values().map(|s| s.waiting_for_training).sum(),
    };
    for ((org, _), d) in demand {
        organizations
            .entry(org.clone())
            .or_insert_with(|| organization(&org))
            .mentees
            .push(d);
    }
    for (org, s) in supply {
        organizations
            .entry(org.clone())
            .or_insert_with(|| organization(&org))
            .mentors = Some(s);
    }
    Ok(ReadinessCounts {
        programme_id: programme_id.to_owned(),
        form: inputs.programme.form,
        totals,
        by_organization: organizations.into_values().collect(),
    })
}

/// The proposals when one weight moves, against the baseline.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SensitivityMove {
    /// The moved criterion's normalised weight (the others rescaled
    /// together so that the weights still sum to 1).
    pub weight_normalised: f64,
    /// Baseline pairs no longer proposed (of the baseline's `pairs`).
    pub pairs_changed: usize,
    /// Pairs proposed then (the sample the scores below are over).
    pub pairs: usize,
    /// Mentees matched then.
    pub mentees_matched: usize,
    /// Mentees matched then minus the baseline's: the change in coverage.
    pub coverage_change: i64,
    /// The mean pair score then.
    pub mean_score: f64,
    /// The lowest pair score then; null when no pair is proposed.
    pub min_score: Option<f64>,
    /// The lowest pair score then minus the baseline's; null when either
    /// has no pair.
    pub min_score_change: Option<f64>,
}

/// A weight moved down and up by a quarter.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SensitivityMoves {
    /// At 75% of the normalised weight.
    pub minus_25: SensitivityMove,
    /// At 125% of the normalised weight (at most 1).
    pub plus_25: SensitivityMove,
}

/// How much one criterion steers the matching.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CriterionSensitivity {
    /// The criterion.
    pub criterion: crate::domain::Criterion,
    /// Its weight now, as given.
    pub weight: f64,
    /// Its weight now, normalised (the weights sum to 1).
    pub weight_normalised: f64,
    /// Whether it is computed at all: a criterion with weight 0 is not,
    /// and has no moves.
    pub computed: bool,
    /// The weight moved; null when not computed.
    pub moves: Option<SensitivityMoves>,
}

/// The matching with today's weights.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SensitivityBaseline {
    /// Mentees the runs considered: the sample every move is computed on.
    pub mentees_eligible: usize,
    /// Mentees matched.
    pub mentees_matched: usize,
    /// Pairs proposed.
    pub pairs: usize,
    /// Their mean score.
    pub mean_score: f64,
    /// Their lowest score; null when no pair is proposed.
    pub min_score: Option<f64>,
    /// The programme's weights as given.
    pub weights: Weights,
    /// The same divided by their sum: what scoring uses.
    pub weights_normalised: Weights,
}

/// Sensitivity of a programme's matching to its weights.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Sensitivity {
    /// The programme.
    pub programme_id: String,
    /// Today's matching.
    pub baseline: SensitivityBaseline,
    /// Per criterion.
    pub criteria: Vec<CriterionSensitivity>,
}

/// How well one version of the weights predicted finished pairs. Every
/// statistic carries the finished pairs it is over (`n`) and a 95%
/// interval, and is null with a note below
/// [`crate::service::statistics::MIN_FINISHED_PAIRS`].
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WeightProfileOutcome {
    /// The version (absent for current weights never recorded).
    pub version: Option<i64>,
    /// The weights as given.
    pub weights: Weights,
    /// The same divided by their sum: what scoring uses.
    pub weights_normalised: Weights,
    /// Spearman's rank correlation of score with growth, over the
    /// finished pairs with entry and exit feedback.
    pub spearman_score_growth: crate::service::statistics::Correlation,
    /// Finished pairs with entry and exit feedback.
    pub pairs_with_growth: usize,
    /// Share of early endings among the lowest-scored quarter.
    pub early_end_share_lowest_quarter: crate::service::statistics::Share,
    /// Share of early endings among the rest.
    pub early_end_share_others: crate::service::statistics::Share,
}

/// Outcomes of a programme's finished pairs against its weights.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WeightOutcomes {
    /// The programme.
    pub programme_id: String,
    /// Pairs completed or ended early (consent withdrawals apart).
    pub pairs_finished: usize,
    /// Of those, ended early.
    pub pairs_ended_early: usize,
    /// Fewest finished pairs a statistic is computed on (below it: null,
    /// with the note "too few finished pairs to tell").
    pub min_finished_pairs: usize,
    /// Per version of the weights.
    pub profiles: Vec<WeightProfileOutcome>,
}

/// How much each criterion steers the matching of a programme now: for
/// each criterion with a weight, its normalised weight moves −25% and
/// +25% and the other weights are rescaled together so that they still
/// sum to 1 ([`Weights::moved`]); each move reports how many of the
/// baseline's pairs change, the change in coverage (mentees matched) and
/// in the lowest pair score, with the pairs and mentees they are over.
/// Scores are comparable across moves because every run scores with
/// weights summing to 1. Runs the engine once plus twice per criterion
/// with a weight above 0 (at most 19 times) on the programme's current
/// data.
pub async fn sensitivity(
    store: &dyn Store,
    scope: &Scope,
    programme_id: &str,
) -> Result<Sensitivity, RunError> {
    use crate::domain::Criterion;
    use std::collections::HashSet;

    /// What one run gives the comparison.
    struct Seen {
        pairs: HashSet<(String, String)>,
        matched: usize,
        eligible: usize,
        mean: f64,
        min: Option<f64>,
    }

    programme_in_scope(store, scope, programme_id).await?;
    let data = store.matching_data(programme_id).await?;
    let inputs = Inputs::load(&data, programme_id).map_err(RunError::Internal)?;
    let result = tokio::task::spawn_blocking(move || -> Result<Sensitivity, String> {
        let run_with = |weights: Weights| -> Result<Seen, String> {
            let input = RunInput {
                weights: Some(weights),
                ..inputs.run_input()
            };
            let outcome = run(&input).map_err(|e| e.to_string())?;
            let pairs: HashSet<(String, String)> = outcome
                .proposals
                .iter()
                .flat_map(|p| {
                    p.mentee_ids
                        .iter()
                        .map(|m| (p.mentor_id.to_string(), m.to_string()))
                })
                .collect();
            Ok(Seen {
                min: (!pairs.is_empty()).then_some(outcome.stats.min_score),
                pairs,
                matched: outcome.stats.mentees_matched,
                eligible: outcome.stats.mentees_eligible,
                mean: outcome.stats.mean_score,
            })
        };
        let base_weights = inputs.programme.weights;
        let base = run_with(base_weights)?;
        let mut criteria = Vec::new();
        for criterion in Criterion::ALL {
            let weight = base_weights.get(*criterion);
            let moved = |factor: f64| -> Result<SensitivityMove, String> {
                let w = base_weights.moved(*criterion, factor);
                let seen = run_with(w)?;
                Ok(SensitivityMove {
                    weight_normalised: w.get(*criterion),
                    pairs_changed: base.pairs.difference(&seen.pairs).count(),
                    pairs: seen.pairs.len(),
                    mentees_matched: seen.matched,
                    coverage_change: seen.matched as i64 - base.matched as i64,
                    mean_score: seen.mean,
                    min_score: seen.min,
                    min_score_change: seen.min.zip(base.min).map(|(m, b)| m - b),
                })
            };
            let moves = if weight > 0.0 {
                Some(SensitivityMoves {
                    minus_25: moved(0.75)?,
                    plus_25: moved(1.25)?,
                })
            } else {
                None
            };
            criteria.push(CriterionSensitivity {
                criterion: *criterion,
                weight,
                weight_normalised: base_weights.normalised().get(*criterion),
                computed: weight > 0.0,
                moves,
            });
        }
        Ok(Sensitivity {
            programme_id: inputs.programme.id.to_string(),
            baseline: SensitivityBaseline {
                mentees_eligible: base.eligible,
                mentees_matched: base.matched,
                pairs: base.pairs.len(),
                mean_score: base.mean,
                min_score: base.min,
                weights: base_weights,
                weights_normalised: base_weights.normalised(),
            },
            criteria,
        })
    })
    .await
    .map_err(|e| RunError::Internal(e.to_string()))?;
    result.map_err(RunError::Internal)
}

/// Outcomes against weights: for the programme's finished pairs (completed,
/// or ended early), how well each version of its weights would have
/// predicted the outcome — Spearman's rank correlation of the pair's score
/// under those weights with its growth (mean exit − entry over the
/// questions), and the share of early endings among the lowest-scored
/// quarter against the rest, each with its sample size and a 95% interval
/// (see [`crate::service::statistics`]), null below the minimum sample.
/// Pairs made by hand have no criterion values and are left out; so are
/// pairs ended because consent was withdrawn.
pub async fn outcomes(
    store: &dyn Store,
    scope: &Scope,
    programme_id: &str,
) -> Result<WeightOutcomes, RunError> {
    use crate::domain::Criterion;
    use crate::service::statistics;

    let programme = programme_in_scope(store, scope, programme_id).await?;
    let pairs = programme_pairs(store, scope, programme_id).await?;
    let feedback = store.list_feedback(None, Some(programme_id)).await?;
    let growth_by_pair = crate::service::reports::pair_growth(&feedback);
    let growth_of = |pair: &str| -> Option<f64> {
        let questions = growth_by_pair.get(pair)?;
        (!questions.is_empty()).then(|| questions.values().sum::<f64>() / questions.len() as f64)
    };
    struct Finished {
        values: [f64; CRITERIA],
        growth: Option<f64>,
        ended_early: bool,
    }
    let mut finished = Vec::new();
    for pair in pairs.iter().filter(|p| {
        p.status == "completed"
            || (p.status == "ended" && p.end_reason.as_deref() != Some("consent_withdrawn"))
    }) {
        let Some(proposal_id) = &pair.proposal_id else {
            continue;
        };
        let Some((proposal, _)) = store.get_proposal(&Scope::All, proposal_id).await? else {
            continue;
        };
        let doc = StoredProposal::parse(&proposal)?.doc;
        let items = if doc.proposal.members.is_empty() {
            doc.proposal.breakdown.clone()
        } else {
            doc.proposal
                .members
                .iter()
                .find(|m| m.mentee_id.as_str() == pair.mentee_id)
                .map(|m| m.breakdown.clone())
                .unwrap_or_default()
        };
        let mut values = [0.0; CRITERIA];
        for item in &items {
            if let Some(i) = Criterion::ALL.iter().position(|c| *c == item.criterion) {
                values[i] = item.value;
            }
        }
        finished.push(Finished {
            values,
            growth: growth_of(&pair.id),
            ended_early: pair.status == "ended",
        });
    }
    let mut profiles: Vec<(Option<i64>, Weights)> = store
        .weight_history(programme_id)
        .await?
        .iter()
        .filter_map(|v| {
            serde_json::from_str(&v.weights)
                .ok()
                .map(|w| (Some(v.version), w))
        })
        .collect();
    if !profiles.iter().any(|(_, w)| *w == programme.weights) {
        profiles.push((None, programme.weights));
    }
    let evaluated: Vec<WeightProfileOutcome> = profiles
        .iter()
        .map(|(version, w)| {
            let shares = w.normalised();
            let score = |f: &Finished| -> f64 {
                Criterion::ALL
                    .iter()
                    .zip(f.values)
                    .map(|(c, v)| shares.get(*c) * v)
                    .sum()
            };
            let with_growth: Vec<&Finished> =
                finished.iter().filter(|f| f.growth.is_some()).collect();
            let scores: Vec<f64> = with_growth.iter().map(|f| score(f)).collect();
            let growths: Vec<f64> = with_growth.iter().filter_map(|f| f.growth).collect();
            let mut all: Vec<f64> = finished.iter().map(score).collect();
            all.sort_by(f64::total_cmp);
            let cut = all.get(all.len() / 4).copied().unwrap_or(0.0);
            let (low, rest): (Vec<&Finished>, Vec<&Finished>) = finished
                .iter()
                .partition(|f| score(f) <= cut && !all.is_empty());
            let early = |set: &[&Finished]| {
                statistics::share(set.iter().filter(|f| f.ended_early).count(), set.len())
            };
            WeightProfileOutcome {
                version: *version,
                weights: *w,
                weights_normalised: shares,
                spearman_score_growth: statistics::rank_correlation(&scores, &growths),
                pairs_with_growth: with_growth.len(),
                early_end_share_lowest_quarter: early(&low),
                early_end_share_others: early(&rest),
            }
        })
        .collect();
    Ok(WeightOutcomes {
        programme_id: programme_id.to_owned(),
        pairs_finished: finished.len(),
        pairs_ended_early: finished.iter().filter(|f| f.ended_early).count(),
        min_finished_pairs: statistics::MIN_FINISHED_PAIRS,
        profiles: evaluated,
    })
}

/// Every pair of a programme that the caller may see, across pages.
pub async fn programme_pairs(
    store: &dyn Store,
    scope: &Scope,
    programme_id: &str,
) -> Result<Vec<crate::store::PairRecord>, StoreError> {
    let filter = crate::store::PairFilter {
        programme_id: Some(programme_id.to_owned()),
        ..Default::default()
    };
    let mut pairs = Vec::new();
    let mut after = None;
    loop {
        let page = crate::store::PageRequest { limit: 1000, after };
        let (items, next) = store.list_pairs(scope, &filter, &page).await?;
        pairs.extend(items);
        match next {
            Some(n) => after = Some(n),
            None => return Ok(pairs),
        }
    }
}

/// The mentee profiles with these ids, by id, whatever the scope (the
/// caller decides what to show of them; see `http::privacy`).
pub async fn mentee_profiles(
    store: &dyn Store,
    ids: &[String],
) -> Result<HashMap<String, MenteeProfile>, RunError> {
    profiles(store, Table::Mentees, ids).await
}

/// The mentor profiles with these ids, by id, whatever the scope.
pub async fn mentor_profiles(
    store: &dyn Store,
    ids: &[String],
) -> Result<HashMap<String, MentorProfile>, RunError> {
    profiles(store, Table::Mentors, ids).await
}

async fn profiles<T: serde::de::DeserializeOwned>(
    store: &dyn Store,
    table: Table,
    ids: &[String],
) -> Result<HashMap<String, T>, RunError> {
    let mut ids = ids.to_vec();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    store
        .documents_by_ids(table, &ids)
        .await?
        .into_iter()
        .map(|stored| {
            serde_json::from_str(&stored.doc)
                .map(|doc| (stored.id.clone(), doc))
                .map_err(|e| {
                    RunError::Internal(format!("stored profile {} unreadable: {e}", stored.id))
                })
        })
        .collect()
}

/// The newest finished run of a programme the caller may read (a dry run
/// only when `dry_run` says so), without its proposals; `None` when
/// there is none among the newest `look_at` runs.
pub async fn latest_done_run(
    store: &dyn Store,
    scope: &Scope,
    programme_id: &str,
    dry_run: Option<bool>,
    look_at: u32,
) -> Result<Option<RunDetail>, RunError> {
    let page = crate::store::PageRequest {
        limit: look_at.clamp(1, 1000),
        after: None,
    };
    let (runs, _) = list_runs(store, scope, programme_id, &page).await?;
    Ok(runs
        .into_iter()
        .find(|r| r.record.status == "done" && dry_run.is_none_or(|dry| r.record.dry_run == dry)))
}

/// The best other mentors a done run scored for one mentee, from its
/// score matrix: up to `n` mentor ids (each once, best first) with the
/// pair score, leaving out `except`. A mentee the run did not score has
/// none.
pub async fn alternatives(
    store: &dyn Store,
    scope: &Scope,
    run_id: &str,
    mentee_id: &str,
    except: &str,
    n: usize,
) -> Result<Vec<(String, f64)>, RunError> {
    let (record, _) = run_access(store, scope, run_id).await?;
    if record.status != "done" {
        return Ok(Vec::new());
    }
    let ranked = |best: HashMap<&str, f64>| {
        let mut ranked: Vec<(String, f64)> =
            best.into_iter().map(|(m, s)| (m.to_owned(), s)).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        ranked.truncate(n);
        ranked
    };
    let csv = match run_score_matrix(store, &Scope::All, &record.id).await? {
        ScoreMatrix::Stored(csv) => csv,
        ScoreMatrix::Derived(outcome) => {
            let mut best: HashMap<&str, f64> = HashMap::new();
            for table in &outcome.score_tables {
                let Some(row) = table
                    .mentee_ids
                    .iter()
                    .position(|m| m.as_str() == mentee_id)
                else {
                    continue;
                };
                for (col, mentor) in table.mentor_ids.iter().enumerate() {
                    if let Some(score) = table.get(row, col)
                        && mentor.as_str() != except
                    {
                        best.insert(mentor.as_str(), crate::matching::score::from_scaled(score));
                    }
                }
            }
            return Ok(ranked(best));
        }
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(csv.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        Some(Ok(header)) => header,
        _ => return Ok(Vec::new()),
    };
    for row in records {
        let row = row.map_err(|e| RunError::Internal(format!("score matrix unreadable: {e}")))?;
        if row.get(0) != Some(mentee_id) {
            continue;
        }
        let mut best: HashMap<&str, f64> = HashMap::new();
        for (mentor, cell) in header.iter().zip(row.iter()).skip(1) {
            if mentor == except {
                continue;
            }
            if let Ok(score) = cell.trim().parse::<f64>() {
                let slot = best.entry(mentor).or_insert(score);
                *slot = slot.max(score);
            }
        }
        return Ok(ranked(best));
    }
    Ok(Vec::new())
}
