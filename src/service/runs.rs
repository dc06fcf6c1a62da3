//! Runs: the engine's proposals for a programme, computed by a worker in
//! whichever instance claims the job, and kept as immutable snapshots.

use crate::domain::{
    FieldError, FieldReader, Id, MenteeProfile, MentorProfile, Organization, Programme, Weights,
};
use crate::matching::engine::{PairRef, RunInput, run};
use crate::matching::explain::Lang;
use crate::matching::outcome::{Proposal, write_scores_csv};
use crate::matching::unmatched::{Ineligible, Unmatched};
use crate::matching::{Objective, Stats};
use crate::service::banks::Tree;
use crate::store::{Actor, ProposalRecord, RunRecord, Scope, Store, StoreError, Table, sql_now};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
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
            None | Some("total") => Objective::Total,
            Some("fair") => Objective::Fair,
            Some(other) => {
                r.error(
                    "objective",
                    format!("unknown value {other:?}; expected total or fair"),
                );
                Objective::Total
            }
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
        .map_err(|e| RunError::Conflict(format!("stored programme unreadable: {e}")))
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
            .map_err(|e| RunError::Conflict(format!("stored programme unreadable: {e}")))?;
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

/// Keeps, in a run's view, only what concerns mentees inside `scope`:
/// proposals all of whose mentees are the caller's, and the caller's
/// unmatched and ineligible mentees. Programme-wide statistics stay.
pub async fn keep_own_mentees(
    store: &dyn Store,
    scope: &Scope,
    view: &mut Value,
) -> Result<(), RunError> {
    let mut ids: Vec<String> = Vec::new();
    for list in ["unmatched", "ineligible"] {
        for entry in view[list].as_array().into_iter().flatten() {
            ids.extend(entry["mentee_id"].as_str().map(str::to_owned));
        }
    }
    for proposal in view["proposals"].as_array().into_iter().flatten() {
        for m in proposal["mentee_ids"].as_array().into_iter().flatten() {
            ids.extend(m.as_str().map(str::to_owned));
        }
    }
    let own = mentees_in_scope(store, scope, &ids).await?;
    let is_own = |v: &Value| v.as_str().is_some_and(|id| own.contains(id));
    if let Some(list) = view["proposals"].as_array_mut() {
        list.retain(|p| {
            p["mentee_ids"]
                .as_array()
                .is_some_and(|ms| !ms.is_empty() && ms.iter().all(is_own))
        });
    }
    for list in ["unmatched", "ineligible"] {
        if let Some(list) = view[list].as_array_mut() {
            list.retain(|entry| is_own(&entry["mentee_id"]));
        }
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
) -> Result<RunRecord, RunError> {
    let programme = programme_in_scope(store, scope, programme_id).await?;
    let mut options = RunOptions::parse(body, programme.weights).map_err(RunError::Invalid)?;
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
    let record = RunRecord {
        id: uuid::Uuid::now_v7().to_string(),
        programme_id: programme.id.to_string(),
        organization_id: anchor,
        status: "queued".into(),
        progress: 0,
        options: serde_json::to_string(&options).unwrap_or_default(),
        dry_run: options.dry_run,
        created_by: actor.key_id.clone(),
        created_at: sql_now(),
        started_at: None,
        finished_at: None,
        error: None,
        result: None,
    };
    store.create_run(&record, actor).await?;
    Ok(record)
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
    /// Mentees whose pair in this programme was completed.
    pub completed: Vec<Id>,
    /// Mentees who moved away and were not updated since.
    pub moved_away: Vec<Id>,
    /// Entity tags of the mentor profiles, as read.
    pub mentor_etags: HashMap<String, String>,
    /// Entity tags of the mentee profiles, as read (one person may be in
    /// both banks with two profiles, so the two maps are kept apart).
    pub mentee_etags: HashMap<String, String>,
}

impl Inputs {
    /// The engine's input over these banks: approved pairs kept, excluded
    /// pairs and people out of the pool left out; `Total`, the programme's
    /// weights and English texts unless the caller changes them.
    pub fn run_input(&self) -> RunInput<'_> {
        RunInput {
            approved: &self.approved,
            excluded: &self.excluded,
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
        for mentor in &mut mentors {
            if let Some(used) = load_elsewhere.get(mentor.person.id.as_str()) {
                mentor.capacity = mentor.capacity.saturating_sub(*used);
            }
        }
        let excluded = data
            .exclusions
            .iter()
            .filter_map(|(m, e)| pair(m, e))
            .collect();
        Ok(Self {
            programme,
            organizations,
            mentors,
            mentees,
            approved,
            excluded,
            completed: ids(&data.completed_mentees),
            moved_away: ids(&data.moved_mentees),
            mentor_etags,
            mentee_etags,
        })
    }
}

async fn execute(store: Arc<dyn Store>, instance: &str, record: &RunRecord) -> Result<(), String> {
    let fail = |e: StoreError| crate::telemetry::error_chain(&e);
    let data = store
        .matching_data(&record.programme_id)
        .await
        .map_err(fail)?;
    let options: RunOptions = serde_json::from_str(&record.options).map_err(|e| e.to_string())?;
    let inputs = Inputs::load(&data, &record.programme_id)?;
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

    let mut csv = Vec::new();
    write_scores_csv(&outcome, &mut csv).map_err(|e| e.to_string())?;
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
                    proposal: p.clone(),
                    snapshot,
                })
                .unwrap_or_default(),
                decided_by: None,
                decided_at: None,
                reason: None,
            }
        })
        .collect();
    let result = RunResult {
        objective: outcome.objective,
        weights: outcome.weights,
        stats: outcome.stats.clone(),
        unmatched: outcome.unmatched.clone(),
        ineligible: outcome.ineligible.clone(),
    };
    let result = serde_json::to_string(&result).map_err(|e| e.to_string())?;
    let csv = String::from_utf8(csv).map_err(|e| e.to_string())?;
    if store
        .finish_run(&record.id, instance, &result, &csv, &proposals)
        .await
        .map_err(fail)?
    {
        tracing::info!(run_id = %record.id, proposals = proposals.len(), "run done");
    }
    Ok(())
}

/// A run as the API shows it, texts in `lang`.
pub fn run_view(record: &RunRecord, proposals: &[ProposalRecord], lang: Lang) -> Value {
    let result: Option<RunResult> = record
        .result
        .as_deref()
        .and_then(|r| serde_json::from_str(r).ok());
    let options: Option<RunOptions> = serde_json::from_str(&record.options).ok();
    let mut view = json!({
        "id": record.id,
        "programme_id": record.programme_id,
        "status": record.status,
        "progress": record.progress as f64 / 1000.0,
        "dry_run": record.dry_run,
        "objective": options.as_ref().map(|o| o.objective),
        "weights_version": options.as_ref().and_then(|o| o.weights_version),
        "weights_overridden": options.as_ref().is_some_and(|o| o.weights.is_some()),
        "links": {
            "scores": format!("/api/v1/runs/{}/scores", record.id),
            "histogram": format!("/api/v1/runs/{}/scores.svg", record.id),
        },
        "created_by": record.created_by,
        "created_at": record.created_at,
        "started_at": record.started_at,
        "finished_at": record.finished_at,
    });
    if let Some(error) = &record.error {
        view["error"] = json!(error);
    }
    if let Some(mut result) = result {
        for u in &mut result.unmatched {
            u.text = u.reason.render(lang);
        }
        for i in &mut result.ineligible {
            i.text = i.reason.render(lang).to_owned();
        }
        view["weights"] = json!(result.weights);
        view["stats"] = json!(result.stats);
        view["unmatched"] = json!(result.unmatched);
        view["ineligible"] = json!(result.ineligible);
        view["proposals"] =
            Value::Array(proposals.iter().map(|p| proposal_view(p, lang)).collect());
    } else if let Some(options) = options {
        view["weights"] = json!(options.weights);
    }
    view
}

/// A proposal as the API shows it.
pub fn proposal_view(record: &ProposalRecord, lang: Lang) -> Value {
    let doc: Option<ProposalDoc> = serde_json::from_str(&record.doc).ok();
    let mut view = json!({
        "id": record.id,
        "run_id": record.run_id,
        "mentor_id": record.mentor_id,
        "mentee_ids": record.mentee_ids,
        "status": record.status,
    });
    if let Some(mut doc) = doc {
        doc.proposal.localize(lang);
        let p = doc.proposal;
        view["score"] = json!(p.score);
        view["breakdown"] = json!(p.breakdown);
        view["summary"] = json!(p.summary);
        if !p.members.is_empty() {
            view["members"] = json!(p.members);
        }
        if let Some(c) = p.cohesion {
            view["cohesion"] = json!(c);
        }
    }
    for (key, value) in [
        ("decided_by", &record.decided_by),
        ("decided_at", &record.decided_at),
        ("reason", &record.reason),
    ] {
        if let Some(v) = value {
            view[key] = json!(v);
        }
    }
    view
}

/// Per criterion, over every proposed pair (group members one by one):
/// the sum of values, the sum of contributions, and the number of pairs.
fn criterion_totals(
    props: &[ProposalRecord],
) -> HashMap<crate::domain::Criterion, (f64, f64, usize)> {
    let mut totals: HashMap<crate::domain::Criterion, (f64, f64, usize)> = HashMap::new();
    for p in props {
        let Ok(doc) = serde_json::from_str::<ProposalDoc>(&p.doc) else {
            continue;
        };
        let breakdowns: Vec<&Vec<crate::matching::explain::BreakdownItem>> =
            if doc.proposal.members.is_empty() {
                vec![&doc.proposal.breakdown]
            } else {
                doc.proposal.members.iter().map(|m| &m.breakdown).collect()
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
pub fn compare(
    a: &RunRecord,
    a_props: &[ProposalRecord],
    b: &RunRecord,
    b_props: &[ProposalRecord],
) -> Result<Value, RunError> {
    if a.programme_id != b.programme_id {
        return Err(RunError::Conflict(
            "the two runs belong to different programmes".into(),
        ));
    }
    let result = |r: &RunRecord| -> Result<RunResult, RunError> {
        r.result
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
            .ok_or_else(|| RunError::Conflict(format!("run {} is not done", r.id)))
    };
    let (ra, rb) = (result(a)?, result(b)?);
    let pairs = |props: &[ProposalRecord]| -> BTreeSet<(String, String)> {
        props
            .iter()
            .flat_map(|p| {
                p.mentee_ids
                    .iter()
                    .map(|m| (p.mentor_id.clone(), m.clone()))
            })
            .collect()
    };
    let (pa, pb) = (pairs(a_props), pairs(b_props));
    let list = |set: Vec<&(String, String)>| -> Vec<Value> {
        set.into_iter()
            .map(|(mentor, mentee)| json!({"mentor_id": mentor, "mentee_id": mentee}))
            .collect()
    };
    let stat = |f: fn(&Stats) -> f64| json!({"a": f(&ra.stats), "b": f(&rb.stats), "change": f(&rb.stats) - f(&ra.stats)});
    let (ca, cb) = (criterion_totals(a_props), criterion_totals(b_props));
    let criteria: Vec<Value> = crate::domain::Criterion::ALL
        .iter()
        .map(|c| {
            let (va, ta, na) = ca.get(c).copied().unwrap_or_default();
            let (vb, tb, nb) = cb.get(c).copied().unwrap_or_default();
            let mean = |sum: f64, n: usize| if n > 0 { sum / n as f64 } else { 0.0 };
            json!({
                "criterion": c,
                "weight": {"a": ra.weights.get(*c), "b": rb.weights.get(*c)},
                "mean_value": {"a": mean(va, na), "b": mean(vb, nb)},
                "total_contribution": {"a": ta, "b": tb, "change": tb - ta},
            })
        })
        .collect();
    Ok(json!({
        "a": a.id,
        "b": b.id,
        "criteria": criteria,
        "programme_id": a.programme_id,
        "coverage": {
            "eligible": {"a": ra.stats.mentees_eligible, "b": rb.stats.mentees_eligible},
            "matched": {"a": ra.stats.mentees_matched, "b": rb.stats.mentees_matched,
                        "change": rb.stats.mentees_matched as i64 - ra.stats.mentees_matched as i64},
        },
        "total_score": stat(|s| s.total_score),
        "mean_score": stat(|s| s.mean_score),
        "min_score": stat(|s| s.min_score),
        "weights": {"a": ra.weights, "b": rb.weights},
        "pairs_kept": list(pa.intersection(&pb).collect()),
        "pairs_added": list(pb.difference(&pa).collect()),
        "pairs_dropped": list(pa.difference(&pb).collect()),
    }))
}

/// Demand and supply of a programme before matching, per organisation and
/// mentee category: eligible mentees, mentees no mentor could take (by the
/// rule that blocks them), mentees waiting for consent, mentors available
/// with their free places (tutors apart), mentors waiting for consent or
/// training. Counts only: no one is named.
pub async fn readiness(
    store: &dyn Store,
    scope: &Scope,
    programme_id: &str,
) -> Result<Value, RunError> {
    use crate::matching::engine::mentor_problem;
    use crate::matching::rules::Rule;
    use crate::matching::unmatched::{IneligibleReason, UnmatchedReason};
    use std::collections::BTreeMap;

    programme_in_scope(store, scope, programme_id).await?;
    let data = store.matching_data(programme_id).await?;
    let inputs = Inputs::load(&data, programme_id).map_err(RunError::Conflict)?;
    let outcome = tokio::task::spawn_blocking(move || {
        let outcome = run(&inputs.run_input()).map_err(|e| e.to_string());
        (inputs, outcome)
    })
    .await
    .map_err(|e| RunError::Conflict(e.to_string()))?;
    let (inputs, outcome) = outcome;
    let outcome = outcome.map_err(RunError::Conflict)?;

    #[derive(Default, Serialize)]
    struct Demand {
        eligible: usize,
        matched_now: usize,
        blocked_by_rule: BTreeMap<&'static str, usize>,
        waiting_for_consent: usize,
        already_paired: usize,
        completed: usize,
        moved_away: usize,
    }
    #[derive(Default, Serialize)]
    struct Supply {
        mentors_available: usize,
        free_places: u32,
        tutors_available: usize,
        tutor_free_places: u32,
        waiting_for_consent: usize,
        waiting_for_training: usize,
    }
    let mentee_of: HashMap<&str, &MenteeProfile> = inputs
        .mentees
        .iter()
        .map(|m| (m.person.id.as_str(), m))
        .collect();
    let mut demand: BTreeMap<(String, String), Demand> = BTreeMap::new();
    let key = |m: &MenteeProfile| {
        (
            m.person.organization_id.to_string(),
            m.category.as_str().to_owned(),
        )
    };
    let matched: std::collections::HashSet<&str> = outcome
        .proposals
        .iter()
        .flat_map(|p| p.mentee_ids.iter().map(Id::as_str))
        .collect();
    for id in &outcome.matrix_mentee_ids {
        if let Some(m) = mentee_of.get(id.as_str()) {
            let d = demand.entry(key(m)).or_default();
            d.eligible += 1;
            if matched.contains(id.as_str()) {
                d.matched_now += 1;
            }
        }
    }
    for u in &outcome.unmatched {
        if let (Some(m), UnmatchedReason::NoMentorPassesRules { top_rule, .. }) =
            (mentee_of.get(u.mentee_id.as_str()), &u.reason)
        {
            let d = demand.entry(key(m)).or_default();
            d.eligible += usize::from(!outcome.matrix_mentee_ids.contains(&u.mentee_id));
            *d.blocked_by_rule.entry(top_rule.code()).or_default() += 1;
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
            | IneligibleReason::ConsentNeedsOwn => {
                demand.entry(key(m)).or_default().waiting_for_consent += 1
            }
            IneligibleReason::AlreadyPaired => {
                demand.entry(key(m)).or_default().already_paired += 1
            }
            IneligibleReason::Completed => demand.entry(key(m)).or_default().completed += 1,
            IneligibleReason::MovedAway => demand.entry(key(m)).or_default().moved_away += 1,
            IneligibleReason::CategoryNotInForm | IneligibleReason::OutOfScope => {}
        }
    }
    let mut used: HashMap<&str, u32> = HashMap::new();
    for p in &inputs.approved {
        *used.entry(p.mentor_id.as_str()).or_default() += 1;
    }
    let mut supply: BTreeMap<String, Supply> = BTreeMap::new();
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
    let mut organizations: BTreeMap<String, Value> = BTreeMap::new();
    for ((org, category), d) in &demand {
        let entry = organizations.entry(org.clone()).or_insert_with(
            || json!({"organization_id": org, "mentees": [], "mentors": Value::Null}),
        );
        if let Some(list) = entry["mentees"].as_array_mut() {
            let mut row = json!(d);
            row["category"] = json!(category);
            list.push(row);
        }
    }
    for (org, s) in &supply {
        let entry = organizations
            .entry(org.clone())
            .or_insert_with(|| json!({"organization_id": org, "mentees": []}));
        entry["mentors"] = json!(s);
    }
    let total_demand = |f: fn(&Demand) -> usize| demand.values().map(f).sum::<usize>();
    Ok(json!({
        "programme_id": programme_id,
        "form": inputs.programme.form,
        "totals": {
            "mentees_eligible": total_demand(|d| d.eligible),
            "mentees_matchable_now": total_demand(|d| d.matched_now),
            "mentees_blocked_by_rules": total_demand(|d| d.blocked_by_rule.values().sum()),
            "mentees_waiting_for_consent": total_demand(|d| d.waiting_for_consent),
            "mentees_already_paired": total_demand(|d| d.already_paired),
            "mentees_completed": total_demand(|d| d.completed),
            "mentees_moved_away": total_demand(|d| d.moved_away),
            "mentors_available": supply.values().map(|s| s.mentors_available).sum::<usize>(),
            "mentor_free_places": supply.values().map(|s| s.free_places).sum::<u32>(),
            "mentors_waiting_for_consent": supply.values().map(|s| s.waiting_for_consent).sum::<usize>(),
            "mentors_waiting_for_training": supply.values().map(|s| s.waiting_for_training).sum::<usize>(),
        },
        "by_organization": organizations.into_values().collect::<Vec<_>>(),
    }))
}

/// How much each criterion steers the matching of a programme now: for
/// each criterion, the number of proposed pairs that change (of the
/// baseline's) when its weight moves −25% and +25%, all else equal.
/// Counts only. Runs the engine 17 times on the programme's current data.
pub async fn sensitivity(
    store: &dyn Store,
    scope: &Scope,
    programme_id: &str,
) -> Result<Value, RunError> {
    use crate::domain::Criterion;
    use std::collections::HashSet;

    programme_in_scope(store, scope, programme_id).await?;
    let data = store.matching_data(programme_id).await?;
    let inputs = Inputs::load(&data, programme_id).map_err(RunError::Conflict)?;
    let result = tokio::task::spawn_blocking(move || -> Result<Value, String> {
        let pairs_with = |weights: Weights| -> Result<(HashSet<(String, String)>, f64), String> {
            let input = RunInput {
                weights: Some(weights),
                ..inputs.run_input()
            };
            let outcome = run(&input).map_err(|e| e.to_string())?;
            let pairs = outcome
                .proposals
                .iter()
                .flat_map(|p| {
                    p.mentee_ids
                        .iter()
                        .map(|m| (p.mentor_id.to_string(), m.to_string()))
                })
                .collect();
            Ok((pairs, outcome.stats.mean_score))
        };
        let base_weights = inputs.programme.weights;
        let (base, base_mean) = pairs_with(base_weights)?;
        let mut criteria = Vec::new();
        for criterion in Criterion::ALL {
            let weight = base_weights.get(*criterion);
            let mut moves = serde_json::Map::new();
            for (name, factor) in [("minus_25", 0.75), ("plus_25", 1.25)] {
                let mut w = base_weights;
                w.set(*criterion, weight * factor);
                let (pairs, mean) = if weight == 0.0 {
                    (base.clone(), base_mean)
                } else {
                    pairs_with(w)?
                };
                moves.insert(
                    name.into(),
                    json!({"pairs_changed": base.difference(&pairs).count(), "mean_score": mean}),
                );
            }
            criteria.push(json!({"criterion": criterion, "weight": weight, "moves": moves}));
        }
        Ok(json!({
            "programme_id": inputs.programme.id,
            "baseline": {"pairs": base.len(), "mean_score": base_mean, "weights": base_weights},
            "criteria": criteria,
        }))
    })
    .await
    .map_err(|e| RunError::Conflict(e.to_string()))?;
    result.map_err(RunError::Conflict)
}

/// Outcomes against weights: for the programme's finished pairs (completed,
/// or ended early), how well each version of its weights would have
/// predicted the outcome — Spearman's rank correlation of the pair's score
/// under those weights with its growth (mean exit − entry over the
/// questions), and the share of early endings among the lowest-scored
/// quarter against the rest. Pairs made by hand have no criterion values
/// and are left out; so are pairs ended because consent was withdrawn.
pub async fn outcomes(
    store: &dyn Store,
    scope: &Scope,
    programme_id: &str,
) -> Result<Value, RunError> {
    use crate::domain::Criterion;

    let programme = programme_in_scope(store, scope, programme_id).await?;
    let pairs = programme_pairs(store, scope, programme_id).await?;
    let feedback = store.list_feedback(None, Some(programme_id)).await?;
    let growth_by_pair = crate::service::reports::pair_growth(&feedback);
    let growth_of = |pair: &str| -> Option<f64> {
        let questions = growth_by_pair.get(pair)?;
        (!questions.is_empty()).then(|| questions.values().sum::<f64>() / questions.len() as f64)
    };
    struct Finished {
        values: [f64; 8],
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
        let Ok(doc) = serde_json::from_str::<ProposalDoc>(&proposal.doc) else {
            continue;
        };
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
        let mut values = [0.0; 8];
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
    let evaluated: Vec<Value> = profiles
        .iter()
        .map(|(version, w)| {
            let score = |f: &Finished| -> f64 {
                Criterion::ALL
                    .iter()
                    .zip(f.values)
                    .map(|(c, v)| w.get(*c) * v)
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
            let early = |set: &[&Finished]| -> Option<f64> {
                (!set.is_empty())
                    .then(|| set.iter().filter(|f| f.ended_early).count() as f64 / set.len() as f64)
            };
            json!({
                "version": version,
                "weights": w,
                "spearman_score_growth": crate::service::reports::spearman(&scores, &growths),
                "pairs_with_growth": with_growth.len(),
                "early_end_share_lowest_quarter": early(&low),
                "early_end_share_others": early(&rest),
            })
        })
        .collect();
    Ok(json!({
        "programme_id": programme_id,
        "pairs_finished": finished.len(),
        "pairs_ended_early": finished.iter().filter(|f| f.ended_early).count(),
        "profiles": evaluated,
    }))
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
