//! One run of a programme, as a pipeline of stages, a file each:
//!
//! 1. `prepare` (`prepare.rs`) — eligibility, pins and members, mentor-side
//!    rules and places, feature encoding;
//! 2. `split_components` (`decompose.rs`) — the pair rules into a bit
//!    matrix, then the connected components of the allowed-pair graph
//!    (union–find);
//! 3. `score_components` (`scoring.rs`) — the soft criteria on every
//!    allowed pair of every component;
//! 4. `solve_components` (`solve.rs`) — one optimal assignment (pairs,
//!    capacities) or grouping (group limits) per component, checked
//!    against the rules;
//! 5. `explain_proposals` (`proposals.rs`) — breakdowns, texts, group
//!    reasons;
//! 6. `unmatched_reasons` and `collect_outcome` (`collect.rs`) — why the
//!    rest got no mentor, statistics, score tables.
//!
//! Never builds one dense global matrix. The rules impose cheap structure
//! first: in same-organisation forms (without `network`) the problem splits
//! by organisation; inside each such block the pair rules are evaluated
//! (rows in parallel) into a bit matrix and the connected components of the
//! allowed-pair graph are found with union–find. Only components are
//! scored and solved, all in parallel with rayon; their results are
//! gathered in a fixed order, so the outcome does not depend on the number
//! of threads. A component is scored dense (every cell, row-major) or,
//! when it has at least 4,096 cells and at most a quarter of them are
//! allowed, sparse: only the allowed cells, in compressed rows (`u32`
//! columns, `i64` scores), solved by the sparse assignment kernel
//! ([`super::assignment::solve_compressed`]) for `Total` and `Fair`, and
//! ranked from the compressed rows
//! ([`super::stable::Preferences::from_csr`]) for the other objectives;
//! group programmes stay dense (see `scoring.rs`). Both preference tables
//! are built only for `Stable`, `StableMentor` and `RankMaximal`; the
//! blocking pairs of every run are found from the scores and wishes
//! directly, in `O(E)`.
//!
//! Guarantees (given the solver's): every proposal obeys every hard rule;
//! no mentor exceeds capacity counting approved and pinned pairs; the
//! number of matched mentees is maximal (coverage first, per component and
//! so overall); then the total score is maximal (`Total`), or the lowest
//! score is maximal, then the total (`Fair`), or the mentees' rank
//! signature is lexicographically maximal (`RankMaximal`). `Stable` and
//! `StableMentor` instead give the mentee- or mentor-optimal stable
//! assignment per component, which may match fewer mentees (both sides
//! rank by score, see [`super::stable`]). Every run counts its blocking
//! pairs (`Stats::blocking_pairs`) and lists each proposal's. With group
//! limits (`Total` and `Fair` only) the same
//! order is searched exactly per component by [`super::groups`] within the
//! programme's time budget; a component where the budget ran out keeps the
//! best grouping found, and `Stats::groups` says which components are
//! proven optimal and the proven gaps of the others.
//!
//! Complexity: `O(B)` rule checks for `B` = Σ block rows × block columns,
//! `O(A)` scoring for `A` = Σ dense component sizes plus `O(E)` for the `E`
//! allowed pairs of sparse components, plus the solver's cost per
//! component (`O(r · E log E)` worst case for a sparse one); memory
//! `O(B / 64 + A + E)`: 8 bytes of score per dense cell (and the dense
//! solver's copy, plus 8 bytes of ranks with a ranked objective), about 12
//! bytes per allowed pair of a sparse component (and the sparse solver's
//! `O(rows + cols + E)`, or about 28 more of ranks and lists with a ranked
//! objective).

mod collect;
mod decompose;
mod index;
mod prepare;
mod proposals;
mod scoring;
mod solve;

use self::collect::{collect_outcome, unmatched_reasons};
use self::decompose::split_components;
pub use self::prepare::{Bank, LeftOut};
use self::prepare::{Pool, ineligibility, prepare, rule_context};
use self::proposals::explain_proposals;
use self::scoring::score_components;
use self::solve::solve_components;
use super::assignment::{AssignmentError, Objective};
use super::explain::Lang;
use super::features::{Features, encode};
use super::outcome::{Outcome, Timings};
use super::rules::{Interner, Rule, mentor_rule, pair_rule};
use super::unmatched::IneligibleReason;
use crate::domain::{Id, MenteeProfile, MentorProfile, Organization, Programme, Weights};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fmt;
use std::time::Instant;

/// A mentor–mentee pair named by ids (approved, pinned or rejected).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PairRef {
    /// The mentor.
    pub mentor_id: Id,
    /// The mentee.
    pub mentee_id: Id,
}

/// Everything a run needs; borrowed, nothing is copied up front.
#[derive(Debug, Clone, Copy)]
pub struct RunInput<'a> {
    /// The programme (form, scope, period, group, weights, rules).
    pub programme: &'a Programme,
    /// The organisation tree (for the scope).
    pub organizations: &'a [Organization],
    /// The bank of mentors.
    pub mentors: &'a [MentorProfile],
    /// The bank of mentees.
    pub mentees: &'a [MenteeProfile],
    /// Approved pairs: count against capacity; their mentees are not re-matched.
    pub approved: &'a [PairRef],
    /// Pinned pairs: kept as given, count against capacity, reported as pinned.
    pub pinned: &'a [PairRef],
    /// Rejected pairs: never proposed.
    pub excluded: &'a [PairRef],
    /// Mentees' wishes: (mentee, mentors most wanted first). They order
    /// the mentees' preferences of the stable and rank-maximal objectives
    /// (wishes first, then by score) and the blocking pairs.
    pub mentee_wishes: &'a [(Id, Vec<Id>)],
    /// Mentors' wishes: (mentor, mentees most wanted first).
    pub mentor_wishes: &'a [(Id, Vec<Id>)],
    /// Mentees whose pair in this programme was completed: done here.
    pub completed: &'a [Id],
    /// Mentees who moved away: out of matching until their profile changes.
    pub moved_away: &'a [Id],
    /// What to optimise after coverage.
    pub objective: Objective,
    /// Weights overriding the programme's.
    pub weights: Option<Weights>,
    /// Language of the texts.
    pub lang: Lang,
}

impl<'a> RunInput<'a> {
    /// A run with no approved, pinned or rejected pairs, `Total`, the
    /// programme's weights and English texts.
    pub fn new(
        programme: &'a Programme,
        organizations: &'a [Organization],
        mentors: &'a [MentorProfile],
        mentees: &'a [MenteeProfile],
    ) -> Self {
        Self {
            programme,
            organizations,
            mentors,
            mentees,
            approved: &[],
            pinned: &[],
            excluded: &[],
            mentee_wishes: &[],
            mentor_wishes: &[],
            completed: &[],
            moved_away: &[],
            objective: Objective::Total,
            weights: None,
            lang: Lang::En,
        }
    }
}

/// Why a run failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatchError {
    /// A pinned pair names a mentor or mentee that is not in the banks.
    UnknownPinned(PairRef),
    /// The solver refused the problem.
    Solver(AssignmentError),
    /// The solver returned a forbidden cell or overfilled a mentor; never
    /// expected, but checked so that a bug cannot propose a forbidden pair.
    InvalidSolution(String),
}

impl fmt::Display for MatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownPinned(p) => write!(
                f,
                "pinned pair {} – {} names someone not in the banks",
                p.mentor_id, p.mentee_id
            ),
            Self::Solver(e) => write!(f, "assignment failed: {e}"),
            Self::InvalidSolution(detail) => write!(f, "invalid assignment: {detail}"),
        }
    }
}

impl std::error::Error for MatchError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Solver(e) => Some(e),
            Self::UnknownPinned(_) | Self::InvalidSolution(_) => None,
        }
    }
}

impl From<AssignmentError> for MatchError {
    fn from(e: AssignmentError) -> Self {
        Self::Solver(e)
    }
}

/// Runs the matching of one programme: proposals (pairs, or groups under
/// group limits) for the eligible mentees, a reason for every mentee left
/// out, statistics and the score tables. See the module documentation for
/// the stages, guarantees and complexity. Deterministic for any number of
/// threads (unless a group search hits its time budget).
///
/// Errors: [`MatchError::UnknownPinned`] for a pinned pair naming someone
/// not in the banks; the other variants only if a solver fails.
///
/// # Example
///
/// Two teachers (algebra, two places; physics, one) and three pupils at
/// one school: every pupil gets the teacher of their subject.
///
/// ```rust
/// use mentor_match::domain::{MenteeProfile, MentorProfile, Organization, Programme};
/// use mentor_match::matching::{RunInput, run};
/// use serde_json::json;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let school = json!({"id": "s1", "name": "Школа № 1", "kind": "school"});
/// let organizations = [Organization::parse(&school, None).expect("valid organisation")];
/// let programme = Programme::parse(
///     &json!({"id": "p", "name": "Наставничество", "form": "teacher_pupil",
///             "organization_ids": ["s1"],
///             "period": {"start": "2026-09-01", "end": "2027-05-31"}}),
///     None,
/// )
/// .expect("valid programme");
/// let teacher = |id: &str, subject: &str, capacity: u32| {
///     let v = json!({"id": id, "organization_id": "s1", "full_name": "Иванова Анна",
///         "birth_year": 1980, "kind": "teacher", "forms": ["teacher_pupil"],
///         "capacity": capacity, "subjects": [subject], "trained": true,
///         "consent": {"given_by": "self", "date": "2026-05-20"}});
///     MentorProfile::parse(&v, None).expect("valid mentor")
/// };
/// let pupil = |id: &str, subject: &str| {
///     let v = json!({"id": id, "organization_id": "s1", "full_name": "Петров Пётр",
///         "birth_year": 2012, "grade": 8, "kind": "pupil",
///         "category": "struggling_pupil", "subjects": [subject],
///         "consent": {"given_by": "parent", "date": "2026-05-20",
///                     "pupil_agreed_on": "2026-05-20"}});
///     MenteeProfile::parse(&v, None).expect("valid mentee")
/// };
/// let mentors = [teacher("algebra", "математика", 2), teacher("physics", "физика", 1)];
/// let mentees = [
///     pupil("anna", "математика"),
///     pupil("boris", "физика"),
///     pupil("vera", "математика"),
/// ];
///
/// let outcome = run(&RunInput::new(&programme, &organizations, &mentors, &mentees))?;
///
/// let mut pairs: Vec<(String, String)> = outcome
///     .proposals
///     .iter()
///     .flat_map(|p| p.mentee_ids.iter().map(|e| (p.mentor_id.to_string(), e.to_string())))
///     .collect();
/// pairs.sort();
/// let expected = [("algebra", "anna"), ("algebra", "vera"), ("physics", "boris")];
/// assert_eq!(pairs, expected.map(|(m, e)| (m.to_owned(), e.to_owned())));
/// assert_eq!(outcome.stats.mentees_matched, 3);
/// assert!(outcome.unmatched.is_empty() && outcome.ineligible.is_empty());
/// # Ok(())
/// # }
/// ```
pub fn run(input: &RunInput<'_>) -> Result<Outcome, MatchError> {
    let (bank, bank_ms) = timed(|| Bank::of(input));
    let (outcome, left_out) = run_stages(&bank, input, bank_ms)?;
    Ok(listed(outcome, &left_out))
}

/// [`run`] on banks indexed once for many programmes: `bank` is built
/// over the input's organisations, mentors and mentees (the same slices;
/// otherwise the run indexes its own). The outcome is [`run`]'s, the time
/// of indexing the banks aside. Matching every programme of a region so
/// costs one indexing plus, per programme, the work on the people its
/// scope and form reach (found in the bank's index) and the list of
/// everybody else as ineligible.
///
/// Errors: as [`run`].
pub fn run_on(bank: &Bank<'_>, input: &RunInput<'_>) -> Result<Outcome, MatchError> {
    if !bank.serves(input) {
        return run(input);
    }
    let (outcome, left_out) = run_stages(bank, input, 0.0)?;
    Ok(listed(outcome, &left_out))
}

/// [`run_on`] for callers that may not read the mentees left out: the
/// outcome's `ineligible` is empty and [`LeftOut::list`] gives it, as
/// [`run_on`] would have. Per programme this costs the people the
/// programme reaches, not the whole bank. With a bank of other banks the
/// run indexes its own and the list is made at once.
///
/// Errors: as [`run`].
pub fn run_on_deferred<'b>(
    bank: &'b Bank<'b>,
    input: &RunInput<'_>,
) -> Result<(Outcome, LeftOut<'b>), MatchError> {
    if !bank.serves(input) {
        let mut outcome = run(input)?;
        let listed = std::mem::take(&mut outcome.ineligible);
        return Ok((outcome, LeftOut::listed(listed)));
    }
    run_stages(bank, input, 0.0)
}

/// The outcome with its `ineligible` list made, the time counted in
/// `encode_ms` (where eligibility is).
fn listed(mut outcome: Outcome, left_out: &LeftOut<'_>) -> Outcome {
    let (ineligible, list_ms) = timed(|| left_out.list());
    outcome.ineligible = ineligible;
    outcome.stats.timings.encode_ms += list_ms;
    outcome
}

/// The stages of a run, the ineligible mentees left to list; `bank_ms`
/// is the time taken to index the banks for this run alone (counted in
/// `encode_ms`).
fn run_stages<'b>(
    bank: &'b Bank<'b>,
    input: &RunInput<'_>,
    bank_ms: f64,
) -> Result<(Outcome, LeftOut<'b>), MatchError> {
    let (prepared, prepare_ms) = timed(|| prepare(bank, input));
    let encode_ms = bank_ms + prepare_ms;
    let prepared = prepared?;
    let left_out = LeftOut::new(bank, &prepared);
    let (components, decompose_ms) = timed(|| split_components(&prepared));
    let (scored, score_ms) = timed(|| score_components(&prepared, &components));
    let (solved, solve_ms) = timed(|| solve_components(&prepared, &components, &scored));
    let solved = solved?;
    let (mut outcome, explain_ms) = timed(|| {
        let explained = explain_proposals(&prepared, &components, &solved);
        let unmatched = unmatched_reasons(&prepared, &components, &scored, &explained.matched);
        collect_outcome(prepared, components, scored, solved, explained, unmatched)
    });
    outcome.stats.timings = Timings {
        encode_ms,
        decompose_ms,
        score_ms,
        solve_ms,
        explain_ms,
    };
    Ok((outcome, left_out))
}

/// Runs one stage and measures it in milliseconds.
fn timed<T>(stage: impl FnOnce() -> T) -> (T, f64) {
    let start = Instant::now();
    let out = stage();
    (out, ms(start))
}

/// Milliseconds since `since`.
fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

/// Features of a run, for benches and tools that score outside a run.
pub fn encode_for(
    programme: &Programme,
    mentors: &[MentorProfile],
    mentees: &[MenteeProfile],
) -> Features {
    let m: Vec<&MentorProfile> = mentors.iter().collect();
    let e: Vec<&MenteeProfile> = mentees.iter().collect();
    let spare: Vec<u32> = mentors.iter().map(|m| m.capacity).collect();
    encode(programme.form, &m, &spare, &e)
}

/// Why a given mentor cannot take a given mentee in a programme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PairProblem {
    /// The mentee is not eligible for the programme at all.
    Mentee(IneligibleReason),
    /// A hard rule forbids the pair.
    Rule(Rule),
}

/// Checks one pair against the programme's eligibility and hard rules,
/// exactly as a run would; `rejected` says the curator rejected it before.
/// Capacity is not checked here: it depends on the stored pairs.
pub fn check_pair(
    programme: &Programme,
    organizations: &[Organization],
    mentor: &MentorProfile,
    mentee: &MenteeProfile,
    rejected: bool,
) -> Result<(), PairProblem> {
    let ctx = rule_context(programme, organizations);
    // The pool's history (approved, completed, moved away) is the store's
    // to check when a pair is made by hand.
    let pool = Pool {
        approved: HashSet::new(),
        completed: HashSet::new(),
        moved_away: HashSet::new(),
    };
    if let Some(reason) = ineligibility(&ctx, mentee, &pool) {
        return Err(PairProblem::Mentee(reason));
    }
    if let Some(rule) = mentor_rule(&ctx, mentor) {
        return Err(PairProblem::Rule(rule));
    }
    let mut people = Interner::default();
    let mut orgs = Interner::default();
    let m = people.mentor(&mut orgs, mentor);
    let e = people.mentee(&mut orgs, mentee);
    let rejected_by = if rejected { vec![m.person] } else { Vec::new() };
    match pair_rule(&ctx, &m, &e, &rejected_by) {
        Some(rule) => Err(PairProblem::Rule(rule)),
        None => Ok(()),
    }
}

/// The first mentor-side hard rule `mentor` breaks in `programme`, if any
/// (form, kind, consent, training, scope).
pub fn mentor_problem(
    programme: &Programme,
    organizations: &[Organization],
    mentor: &MentorProfile,
) -> Option<Rule> {
    let ctx = rule_context(programme, organizations);
    mentor_rule(&ctx, mentor)
}

#[cfg(test)]
mod tests;
