//! Runs, their proposals and the analyses of a programme's matching, as
//! the API shows and takes them.

use super::super::problem::ApiError;
use crate::domain::Weights;
use crate::matching::Objective;
use crate::matching::explain::{BreakdownItem, Lang};
use crate::matching::outcome::Stats;
use crate::matching::unmatched::{IneligibleReason, UnmatchedReason};
use crate::service::runs::{PersonNames, RunDetail, StoredProposal};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

// The analyses are counts computed by the service; they are shown as
// they are, so their types are the views.
pub use crate::service::readiness::{
    MenteeDemand, OrganizationReadiness, Readiness, ReadinessTotals,
};
pub use crate::service::runs::{
    ComparedChange, ComparedCountChange, ComparedCounts, ComparedCoverage, ComparedCriterion,
    ComparedFlags, ComparedOptionalValues, ComparedPair, ComparedValues, ComparedWeights,
    Comparison, CriterionSensitivity, MentorSupply, Sensitivity, SensitivityBaseline,
    SensitivityMove, SensitivityMoves, WeightOutcomes, WeightProfileOutcome, WeightsVersion,
};

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Waiting for a worker.
    Queued,
    /// Being computed (see `progress`).
    Running,
    /// Finished: proposals, statistics and reasons are there.
    Done,
    /// Stopped with an error.
    Failed,
}

impl RunStatus {
    /// The status as stored.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "queued" => Some(Self::Queued),
            "running" => Some(Self::Running),
            "done" => Some(Self::Done),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

/// Where a proposal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProposalStatus {
    /// Waiting for a curator's decision.
    Proposed,
    /// Approved: its pairs are made.
    Approved,
    /// Rejected, with a reason: never proposed again.
    Rejected,
    /// Withdrawn because a person of it was erased.
    Withdrawn,
}

impl ProposalStatus {
    /// The status as stored.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "proposed" => Some(Self::Proposed),
            "approved" => Some(Self::Approved),
            "rejected" => Some(Self::Rejected),
            "withdrawn" => Some(Self::Withdrawn),
            _ => None,
        }
    }
}

/// Where the run's exports are.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RunLinks {
    /// The score matrix (CSV).
    pub scores: String,
    /// The histogram of pair scores (SVG).
    pub histogram: String,
}

/// A run without its proposals and reasons, as lists show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RunSummary {
    /// The run's id.
    pub id: String,
    /// The programme.
    pub programme_id: String,
    /// Where it stands.
    pub status: RunStatus,
    /// 0..1 while running.
    pub progress: f64,
    /// A dry run is stored and comparable, but not approvable.
    pub dry_run: bool,
    /// What the run optimises after coverage.
    pub objective: Objective,
    /// The version of the programme's weights in force when it started.
    pub weights_version: Option<i64>,
    /// Whether the run was given weights of its own.
    pub weights_overridden: bool,
    /// For a what-if run: the run whose stored inputs it solved again.
    pub inputs_of: Option<String>,
    /// Exports.
    pub links: RunLinks,
    /// Key id of who started it.
    pub created_by: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339, once claimed.
    pub started_at: Option<String>,
    /// RFC 3339, once done or failed.
    pub finished_at: Option<String>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The weights used (once done), or the run's own weights if given:
    /// relative importances, as given.
    pub weights: Option<Weights>,
    /// The same weights divided by their sum (they sum to 1): what
    /// scoring uses, and the `weight` of each breakdown line.
    pub weights_normalised: Option<Weights>,
    /// Statistics, once done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stats: Option<Stats>,
}

impl RunSummary {
    /// The summary of a stored run; a status the API does not know is a
    /// fault inside.
    pub fn new(detail: &RunDetail) -> Result<Self, ApiError> {
        let record = &detail.record;
        let status = RunStatus::parse(&record.status).ok_or_else(|| {
            ApiError::Internal(format!(
                "run {}: stored status {:?} unknown",
                record.id, record.status
            ))
        })?;
        let options = &detail.options;
        Ok(Self {
            id: record.id.clone(),
            programme_id: record.programme_id.clone(),
            status,
            progress: record.progress as f64 / 1000.0,
            dry_run: record.dry_run,
            objective: options.objective,
            weights_version: options.weights_version,
            weights_overridden: options.weights.is_some(),
            inputs_of: record.inputs_of.clone(),
            links: RunLinks {
                scores: format!("/api/v1/runs/{}/scores", record.id),
                histogram: format!("/api/v1/runs/{}/scores.svg", record.id),
            },
            created_by: record.created_by.clone(),
            created_at: record.created_at.clone(),
            started_at: record.started_at.clone(),
            finished_at: record.finished_at.clone(),
            error: record.error.clone(),
            weights: detail
                .result
                .as_ref()
                .map(|r| r.weights)
                .or(options.weights),
            weights_normalised: detail
                .result
                .as_ref()
                .map(|r| r.weights)
                .or(options.weights)
                .map(|w| w.normalised()),
            stats: detail.result.as_ref().map(|r| r.stats.clone()),
        })
    }
}

/// A page of runs, newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RunPage {
    /// The runs, without proposals.
    pub items: Vec<RunSummary>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// A run: its summary and, once done, every proposal, every unmatched
/// mentee with the reason, and every mentee not considered.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RunView {
    /// Status, options and statistics.
    #[serde(flatten)]
    pub summary: RunSummary,
    /// The proposals, once done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proposals: Option<Vec<ProposalView>>,
    /// Eligible mentees left without a mentor, once done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unmatched: Option<Vec<UnmatchedView>>,
    /// Mentees the run did not consider, once done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ineligible: Option<Vec<IneligibleView>>,
}

impl RunView {
    /// The view of a run, texts in `lang`, with the names it carries.
    pub fn new(detail: &RunDetail, lang: Lang) -> Result<Self, ApiError> {
        let summary = RunSummary::new(detail)?;
        let Some(result) = &detail.result else {
            return Ok(Self {
                summary,
                proposals: None,
                unmatched: None,
                ineligible: None,
            });
        };
        let proposals = detail
            .proposals
            .iter()
            .map(|p| ProposalView::new(p, &detail.names, lang))
            .collect::<Result<_, _>>()?;
        let unmatched = result
            .unmatched
            .iter()
            .map(|u| UnmatchedView {
                mentee_id: u.mentee_id.to_string(),
                text: u.reason.render(lang),
                reason: UnmatchedReasonView::Given(u.reason.clone()),
            })
            .collect();
        let ineligible = result
            .ineligible
            .iter()
            .map(|i| IneligibleView {
                mentee_id: i.mentee_id.to_string(),
                reason: i.reason,
                text: i.reason.render(lang).to_owned(),
            })
            .collect();
        Ok(Self {
            summary,
            proposals: Some(proposals),
            unmatched: Some(unmatched),
            ineligible: Some(ineligible),
        })
    }
}

/// One member's line of a group proposal.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberView {
    /// The mentee.
    pub mentee_id: String,
    /// The member's pair score with the mentor.
    pub score: f64,
    /// The score per criterion.
    pub breakdown: Vec<BreakdownItem>,
}

/// A mentor the proposal's mentee ranks above the one proposed, who would
/// also rather have that mentee: together they block the assignment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PreferredPartnerView {
    /// The mentee (one of the proposal's).
    pub mentee_id: String,
    /// The mentor both would rather have together.
    pub mentor_id: String,
}

/// A proposed pair (or group), with its score explained.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProposalView {
    /// The proposal's id.
    pub id: String,
    /// The run that proposed it.
    pub run_id: String,
    /// The mentor.
    pub mentor_id: String,
    /// The mentor's full name, for callers who may read names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mentor_name: Option<String>,
    /// The mentee, or the group's mentees.
    pub mentee_ids: Vec<String>,
    /// The mentees' full names in the order of `mentee_ids` (null for
    /// one no longer on file), for callers who may read names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mentee_names: Option<Vec<Option<String>>>,
    /// Where it stands.
    pub status: ProposalStatus,
    /// The pair's score (a group's: its members' total).
    pub score: f64,
    /// The score per criterion; the contributions sum to the score.
    pub breakdown: Vec<BreakdownItem>,
    /// The scoring in one sentence.
    pub summary: String,
    /// A group's members one by one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<MemberView>,
    /// How well a group's members fit together.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cohesion: Option<f64>,
    /// Kept as a curator pinned it, not chosen by the run.
    pub pinned: bool,
    /// Mentors its mentee(s) rank above the one proposed who would also
    /// rather have them (the run's blocking pairs); empty when stable.
    pub preferred_partners: Vec<PreferredPartnerView>,
    /// Key id of who decided it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    /// When it was decided (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<String>,
    /// Why it was rejected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl ProposalView {
    /// The view of a stored proposal, texts in `lang`, named from `names`
    /// when they hold its people.
    pub fn new(p: &StoredProposal, names: &PersonNames, lang: Lang) -> Result<Self, ApiError> {
        let record = &p.record;
        let status = ProposalStatus::parse(&record.status).ok_or_else(|| {
            ApiError::Internal(format!(
                "proposal {}: stored status {:?} unknown",
                record.id, record.status
            ))
        })?;
        let mut proposal = p.doc.proposal.clone();
        proposal.localize(lang);
        let named = !names.mentors.is_empty() || !names.mentees.is_empty();
        Ok(Self {
            id: record.id.clone(),
            run_id: record.run_id.clone(),
            mentor_id: record.mentor_id.clone(),
            mentor_name: names.mentors.get(&record.mentor_id).cloned(),
            mentee_ids: record.mentee_ids.clone(),
            mentee_names: named.then(|| {
                record
                    .mentee_ids
                    .iter()
                    .map(|m| names.mentees.get(m).cloned())
                    .collect()
            }),
            status,
            score: proposal.score,
            breakdown: proposal.breakdown,
            summary: proposal.summary,
            members: proposal
                .members
                .into_iter()
                .map(|m| MemberView {
                    mentee_id: m.mentee_id.to_string(),
                    score: m.score,
                    breakdown: m.breakdown,
                })
                .collect(),
            cohesion: proposal.cohesion,
            pinned: proposal.pinned,
            preferred_partners: proposal
                .preferred_partners
                .into_iter()
                .map(|w| PreferredPartnerView {
                    mentee_id: w.mentee_id.to_string(),
                    mentor_id: w.mentor_id.to_string(),
                })
                .collect(),
            decided_by: record.decided_by.clone(),
            decided_at: record.decided_at.clone(),
            reason: record.reason.clone(),
        })
    }
}

/// `no_mentor_passes_rules`: the only code a restricted reason has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RestrictedCode {
    /// No mentor passes the hard rules.
    NoMentorPassesRules,
}

/// `restricted`: the rule the caller may not learn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RestrictedRule {
    /// Stands for a rule that would tell a pupil's sensitive category.
    Restricted,
}

/// A reason that would tell a sensitive category of the pupil (the
/// special-needs rule), as a caller who may not read it sees it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct RestrictedReason {
    /// Always `no_mentor_passes_rules`.
    pub code: RestrictedCode,
    /// Always `restricted`.
    pub top_rule: RestrictedRule,
}

/// Why an eligible mentee got no mentor: the engine's reason, or a
/// restricted one.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(untagged)]
pub enum UnmatchedReasonView {
    /// The reason with its facts.
    Given(UnmatchedReason),
    /// The reason as a caller without the right to it sees it.
    Restricted(RestrictedReason),
}

/// An eligible mentee left without a mentor.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnmatchedView {
    /// The mentee.
    pub mentee_id: String,
    /// Why, as data.
    pub reason: UnmatchedReasonView,
    /// Why, in words.
    pub text: String,
}

/// A mentee the run did not consider.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IneligibleView {
    /// The mentee.
    pub mentee_id: String,
    /// Why, as a code.
    pub reason: IneligibleReason,
    /// Why, in words.
    pub text: String,
}

/// What to optimise once the most mentees are matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ObjectiveChoice {
    /// The highest total score (the default).
    Total,
    /// The highest lowest score, then the total.
    Fair,
    /// As many mentees with their first choice as possible, then with
    /// their second, and so on (each mentee's wishes first, then the other
    /// mentors by score). Not with groups.
    RankMaximal,
    /// The mentee-optimal stable assignment: no mentor and mentee would
    /// both rather be together; may match fewer. Not with groups.
    Stable,
    /// The mentor-optimal stable assignment. Not with groups.
    StableMentor,
}

/// Weights of some criteria for one run, read over the programme's; at
/// least one weight of the result must be above 0. The bounds are those
/// of `domain::programme::MAX_WEIGHT`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct WeightsOverride {
    /// Subjects in common.
    #[schema(minimum = 0.0, maximum = 100.0)]
    pub subjects: Option<f64>,
    /// Mentee requests covered by mentor competencies.
    #[schema(minimum = 0.0, maximum = 100.0)]
    pub requests: Option<f64>,
    /// Shared interests.
    #[schema(minimum = 0.0, maximum = 100.0)]
    pub interests: Option<f64>,
    /// Shared free slots.
    #[schema(minimum = 0.0, maximum = 100.0)]
    pub availability: Option<f64>,
    /// Mentor is the pupil's class teacher.
    #[schema(minimum = 0.0, maximum = 100.0)]
    pub class_teacher: Option<f64>,
    /// Mentor experience and qualification.
    #[schema(minimum = 0.0, maximum = 100.0)]
    pub experience: Option<f64>,
    /// Age or grade gap close to the form's ideal.
    #[schema(minimum = 0.0, maximum = 100.0)]
    pub age_gap: Option<f64>,
    /// Mentor's spare capacity.
    #[schema(minimum = 0.0, maximum = 100.0)]
    pub load: Option<f64>,
    /// Wishes said at the joint meeting.
    #[schema(minimum = 0.0, maximum = 100.0)]
    pub wishes: Option<f64>,
}

/// Start a run (every member optional; an empty body is fine).
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct StartRunRequest {
    /// Weights for this run, over the programme's.
    pub weights: Option<WeightsOverride>,
    /// What to optimise after coverage (`total` by default).
    pub objective: Option<ObjectiveChoice>,
    /// Stored and comparable, but not approvable (`false` by default).
    pub dry_run: Option<bool>,
}

/// A what-if run: another run's stored inputs solved with other settings.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct WhatIfRequest {
    /// Weights for this run, over those the stored run used.
    pub weights: Option<WeightsOverride>,
    /// What to optimise after coverage (the stored run's by default).
    pub objective: Option<ObjectiveChoice>,
}

/// Reject a proposal.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct RejectRequest {
    /// Why: kept with the rejection and audited.
    #[schema(min_length = 1, max_length = 1000)]
    pub reason: String,
}

/// Every version of a programme's weights, oldest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WeightHistory {
    /// The versions.
    pub items: Vec<WeightsVersion>,
}
