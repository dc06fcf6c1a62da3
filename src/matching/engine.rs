//! One run of a programme: eligibility → encoding → decomposition →
//! parallel scoring → parallel solving → explanations.
//!
//! Never builds one dense global matrix. The rules impose cheap structure
//! first: in same-organisation forms (without `network`) the problem splits
//! by organisation; inside each such block the pair rules are evaluated
//! (rows in parallel) into a bit matrix and the connected components of the
//! allowed-pair graph are found with union–find. Only components are
//! scored (dense, but small) and solved, all in parallel with rayon; their
//! results are gathered in a fixed order, so the outcome does not depend on
//! the number of threads.
//!
//! Guarantees (given the solver's): every proposal obeys every hard rule;
//! no mentor exceeds capacity counting approved and pinned pairs; the
//! number of matched mentees is maximal (coverage first, per component and
//! so overall); then the total score is maximal (`Total`) or the lowest
//! score is maximal, then the total (`Fair`). With group limits the same
//! order is searched exactly per component by [`super::groups`] within the
//! programme's time budget; a component where the budget ran out keeps the
//! best grouping found, and `Stats::groups` says which components are
//! proven optimal and the proven gaps of the others.
//!
//! Complexity: `O(B)` rule checks for `B` = Σ block rows × block columns,
//! `O(A)` scoring for `A` = Σ component sizes, plus the solver's cost per
//! component; memory `O(B / 64 + A)`.

use super::assignment::{self, AssignmentError, Objective, ScoreMatrix};
use super::explain::{BreakdownItem, GroupReason, Lang, breakdown, mean_breakdown, summary};
use super::features::{Features, encode};
use super::groups::{
    GroupProblem, cohesion, covered_needs, group_capacity, shared_needs, solve_groups,
};
use super::outcome::{
    GroupComponentStats, GroupStats, MemberBreakdown, Outcome, Proposal, ScoreTable, Stats, Timings,
};
use super::rules::{
    Interner, Rule, RuleContext, RuleMentee, RuleMentor, Scope, mentor_rule, pair_rule,
};
use super::score::{FORBIDDEN, from_scaled, pair_score, score_block, weight_array};
use super::unmatched::{
    Ineligible, IneligibleReason, Unmatched, UnmatchedReason, no_allowed_mentor,
};
use crate::domain::profile::ConsentProblem;
use crate::domain::{
    Consent, GroupSize, Id, MenteeProfile, MentorProfile, Organization, Programme, Weights,
};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::time::{Duration, Instant};

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

/// A connected component of the allowed-pair graph.
struct Component {
    /// Input indices of its mentees (rows).
    mentees: Vec<usize>,
    /// Input indices of its mentors (columns).
    mentors: Vec<usize>,
    /// Allowed bits, `ceil(cols / 64)` words per row.
    allowed: Vec<u64>,
}

/// Union–find with path halving and union by size.
struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl UnionFind {
    fn new(n: usize) -> Self {
        Self {
            parent: (0..n as u32).collect(),
            size: vec![1; n],
        }
    }

    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] as usize != x {
            let up = self.parent[self.parent[x] as usize];
            self.parent[x] = up;
            x = up as usize;
        }
        x
    }

    fn union(&mut self, a: usize, b: usize) {
        let (mut a, mut b) = (self.find(a), self.find(b));
        if a == b {
            return;
        }
        if self.size[a] < self.size[b] {
            std::mem::swap(&mut a, &mut b);
        }
        self.parent[b] = a as u32;
        self.size[a] += self.size[b];
    }
}

/// What the pair rules need, shared by every block.
struct RuleData<'a> {
    ctx: &'a RuleContext,
    mentors: &'a [RuleMentor],
    mentees: &'a [RuleMentee],
    rejected: &'a HashMap<u32, Vec<u32>>,
}

impl RuleData<'_> {
    fn rejected_for(&self, mentee: usize) -> &[u32] {
        self.rejected
            .get(&self.mentees[mentee].person)
            .map_or(&[][..], Vec::as_slice)
    }
}

/// Splits one block (mentees × mentors that may meet) into components.
fn components_of(data: &RuleData<'_>, mentees: &[usize], mentors: &[usize]) -> Vec<Component> {
    let (rows, cols) = (mentees.len(), mentors.len());
    let words = cols.div_ceil(64);
    let mut bits = vec![0u64; rows * words];
    if words > 0 {
        bits.par_chunks_mut(words)
            .zip(mentees.par_iter())
            .with_min_len(16)
            .for_each(|(row, &e)| {
                let rejected = data.rejected_for(e);
                for (c, &m) in mentors.iter().enumerate() {
                    if pair_rule(data.ctx, &data.mentors[m], &data.mentees[e], rejected).is_none() {
                        row[c / 64] |= 1 << (c % 64);
                    }
                }
            });
    }
    let mut uf = UnionFind::new(rows + cols);
    let mut linked = vec![false; rows];
    for r in 0..rows {
        for (w, &word) in bits[r * words..(r + 1) * words].iter().enumerate() {
            let mut word = word;
            while word != 0 {
                let c = w * 64 + word.trailing_zeros() as usize;
                word &= word - 1;
                uf.union(r, rows + c);
                linked[r] = true;
            }
        }
    }
    let mut comp_of_root: HashMap<usize, usize> = HashMap::new();
    let mut parts: Vec<(Vec<usize>, Vec<usize>)> = Vec::new();
    for r in (0..rows).filter(|&r| linked[r]) {
        let root = uf.find(r);
        let next = parts.len();
        let k = *comp_of_root.entry(root).or_insert(next);
        if k == next {
            parts.push((Vec::new(), Vec::new()));
        }
        parts[k].0.push(r);
    }
    for c in 0..cols {
        let root = uf.find(rows + c);
        if let Some(&k) = comp_of_root.get(&root) {
            parts[k].1.push(c);
        }
    }
    parts
        .into_iter()
        .map(|(rs, cs)| {
            let local_words = cs.len().div_ceil(64);
            let mut allowed = vec![0u64; rs.len() * local_words];
            for (lr, &r) in rs.iter().enumerate() {
                for (lc, &c) in cs.iter().enumerate() {
                    if bits[r * words + c / 64] & (1 << (c % 64)) != 0 {
                        allowed[lr * local_words + lc / 64] |= 1 << (lc % 64);
                    }
                }
            }
            Component {
                mentees: rs.iter().map(|&r| mentees[r]).collect(),
                mentors: cs.iter().map(|&c| mentors[c]).collect(),
                allowed,
            }
        })
        .collect()
}

/// A component's assignment (row, column pairs), the places each of its
/// mentors finally had, and for group programmes what the search proved.
type Solved = (Vec<(usize, usize)>, Vec<u32>, Option<GroupComponentStats>);

/// Solves one component. **The only place that calls a solver**: the
/// assignment solver for pairs, the exact group search of
/// [`super::groups`] with group limits (where a mentor's final places are
/// its group's new members, so the exported matrix has the run's own
/// optimum).
fn solve_component(
    rows: usize,
    cols: usize,
    scores: &[i64],
    capacity: &[u32],
    members: &[u32],
    objective: Objective,
    group: Option<GroupSize>,
) -> Result<Solved, MatchError> {
    let started = Instant::now();
    let (pairs, places, report) = match group {
        None => {
            // The engine and the solver share the sentinel for forbidden cells.
            let matrix = ScoreMatrix::new(rows, cols, scores.to_vec())?;
            let solution = assignment::solve(&matrix, capacity, objective)?;
            (solution.pairs, capacity.to_vec(), None)
        }
        Some(size) => {
            let problem = GroupProblem {
                rows,
                cols,
                scores,
                room: capacity,
                held: members,
                size,
            };
            let budget = Duration::from_millis(u64::from(size.time_budget_ms));
            let found = solve_groups(&problem, objective, budget)?;
            let report = GroupComponentStats {
                mentees: rows,
                mentors: cols,
                matched: found.matched,
                matched_bound: found.matched_bound,
                total_score: from_scaled(found.total),
                score_bound: from_scaled(found.total_bound),
                optimal: found.optimal,
                budget_hit: found.budget_hit,
                nodes: found.nodes,
                solve_ms: ms(started),
            };
            (found.pairs, found.count, Some(report))
        }
    };
    // Trust but verify: forbidden cells, capacities and group limits,
    // whatever the solver.
    let mut used = vec![0u32; cols];
    for &(r, c) in &pairs {
        if r >= rows || c >= cols || scores[r * cols + c] == FORBIDDEN || used[c] >= capacity[c] {
            return Err(MatchError::InvalidSolution(format!(
                "solver returned cell ({r}, {c})"
            )));
        }
        used[c] += 1;
    }
    if let Some(size) = group {
        for (c, (&k, &held)) in used.iter().zip(members).enumerate() {
            if k > 0 && !(size.min..=size.max).contains(&(k + held)) {
                return Err(MatchError::InvalidSolution(format!(
                    "group of mentor {c} has {} members",
                    k + held
                )));
            }
        }
    }
    Ok((pairs, places, report))
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

/// Who is out of the pool of a run besides what the profiles say.
struct Pool<'a> {
    /// Mentees with an approved pair in the programme.
    approved: HashSet<&'a str>,
    /// Mentees whose pair in the programme was completed.
    completed: HashSet<&'a str>,
    /// Mentees who moved away.
    moved_away: HashSet<&'a str>,
}

/// Checks a mentee's eligibility for the run.
fn ineligibility(
    ctx: &RuleContext,
    mentee: &MenteeProfile,
    pool: &Pool<'_>,
) -> Option<IneligibleReason> {
    let p = &mentee.person;
    if !ctx.form.categories().contains(&mentee.category) {
        return Some(IneligibleReason::CategoryNotInForm);
    }
    if !ctx.scope.contains(&p.organization_id) {
        return Some(IneligibleReason::OutOfScope);
    }
    if pool.approved.contains(p.id.as_str()) {
        return Some(IneligibleReason::AlreadyPaired);
    }
    if pool.completed.contains(p.id.as_str()) {
        return Some(IneligibleReason::Completed);
    }
    if pool.moved_away.contains(p.id.as_str()) {
        return Some(IneligibleReason::MovedAway);
    }
    match Consent::check_for_matching(p.consent.as_ref(), p.kind, p.birth_year, ctx.on) {
        Ok(()) => None,
        Err(ConsentProblem::Missing) => Some(IneligibleReason::NoConsent),
        Err(ConsentProblem::NotForMatching) => Some(IneligibleReason::ConsentNotForMatching),
        Err(ConsentProblem::NeedsGuardian) => Some(IneligibleReason::ConsentNeedsGuardian),
        Err(ConsentProblem::NeedsPupilAgreement) => {
            Some(IneligibleReason::ConsentNeedsPupilAgreement)
        }
        Err(ConsentProblem::NeedsOwnConsent) => Some(IneligibleReason::ConsentNeedsOwn),
    }
}

/// Runs the matching of one programme. See the module documentation for
/// guarantees and complexity.
pub fn run(input: &RunInput<'_>) -> Result<Outcome, MatchError> {
    let start = Instant::now();
    let programme = input.programme;
    let (mentors, mentees) = (input.mentors, input.mentees);
    let ctx = RuleContext {
        form: programme.form,
        rules: programme.rules,
        on: programme.period.start,
        scope: Scope::new(input.organizations, &programme.organization_ids),
    };
    let weights = input.weights.unwrap_or(programme.weights);
    let wa = weight_array(&weights);

    let mut mentor_at: HashMap<&str, usize> = HashMap::with_capacity(mentors.len());
    for (i, m) in mentors.iter().enumerate() {
        mentor_at.entry(m.person.id.as_str()).or_insert(i);
    }
    let mut mentee_at: HashMap<&str, usize> = HashMap::with_capacity(mentees.len());
    for (i, e) in mentees.iter().enumerate() {
        mentee_at.entry(e.person.id.as_str()).or_insert(i);
    }

    // Members each mentor already has (approved + pinned).
    let mut members = vec![0u32; mentors.len()];
    let mut approved_mentees: HashSet<&str> = HashSet::new();
    for pair in input.approved {
        if let Some(&m) = mentor_at.get(pair.mentor_id.as_str()) {
            members[m] += 1;
        }
        approved_mentees.insert(pair.mentee_id.as_str());
    }
    let mut pins: Vec<(usize, usize)> = Vec::new();
    for pair in input.pinned {
        let found = (
            mentor_at.get(pair.mentor_id.as_str()),
            mentee_at.get(pair.mentee_id.as_str()),
        );
        let (Some(&m), Some(&e)) = found else {
            return Err(MatchError::UnknownPinned(pair.clone()));
        };
        members[m] += 1;
        pins.push((m, e));
    }
    let pinned_mentees: HashSet<usize> = pins.iter().map(|&(_, e)| e).collect();
    let pool = Pool {
        approved: approved_mentees,
        completed: input.completed.iter().map(Id::as_str).collect(),
        moved_away: input.moved_away.iter().map(Id::as_str).collect(),
    };

    let mut eligible: Vec<usize> = Vec::new();
    let mut ineligible: Vec<Ineligible> = Vec::new();
    for (i, e) in mentees.iter().enumerate() {
        if pinned_mentees.contains(&i) {
            continue;
        }
        match ineligibility(&ctx, e, &pool) {
            None => eligible.push(i),
            Some(reason) => ineligible.push(Ineligible {
                mentee_id: e.person.id.clone(),
                reason,
                text: reason.render(input.lang).to_owned(),
            }),
        }
    }

    let mut persons = Interner::default();
    let mut orgs = Interner::default();
    let rule_mentors: Vec<RuleMentor> = mentors
        .iter()
        .map(|m| persons.mentor(&mut orgs, m))
        .collect();
    let rule_mentees: Vec<RuleMentee> = mentees
        .iter()
        .map(|e| persons.mentee(&mut orgs, e))
        .collect();
    let mut rejected: HashMap<u32, Vec<u32>> = HashMap::new();
    for pair in input.excluded {
        let m = persons.get(&pair.mentor_id);
        let e = persons.get(&pair.mentee_id);
        rejected.entry(e).or_default().push(m);
    }
    for list in rejected.values_mut() {
        list.sort_unstable();
        list.dedup();
    }
    let side: Vec<Option<Rule>> = mentors.iter().map(|m| mentor_rule(&ctx, m)).collect();
    let spare: Vec<u32> = mentors
        .iter()
        .zip(&members)
        .map(|(m, k)| m.capacity.saturating_sub(*k))
        .collect();
    let run_cap: Vec<u32> = match programme.group {
        Some(size) => spare
            .iter()
            .zip(&members)
            .map(|(s, k)| group_capacity(*s, *k, size))
            .collect(),
        None => spare.clone(),
    };
    let candidates: Vec<usize> = (0..mentors.len())
        .filter(|&i| side[i].is_none() && run_cap[i] > 0)
        .collect();

    // Encode candidates and eligible mentees, plus the people of pinned pairs.
    let mut mentor_fi = vec![u32::MAX; mentors.len()];
    let mut f_mentors: Vec<usize> = Vec::new();
    for &m in candidates.iter().chain(pins.iter().map(|(m, _)| m)) {
        if mentor_fi[m] == u32::MAX {
            mentor_fi[m] = f_mentors.len() as u32;
            f_mentors.push(m);
        }
    }
    let mut mentee_fi = vec![u32::MAX; mentees.len()];
    let mut f_mentees: Vec<usize> = Vec::new();
    for &e in eligible.iter().chain(pins.iter().map(|(_, e)| e)) {
        if mentee_fi[e] == u32::MAX {
            mentee_fi[e] = f_mentees.len() as u32;
            f_mentees.push(e);
        }
    }
    let mentor_refs: Vec<&MentorProfile> = f_mentors.iter().map(|&m| &mentors[m]).collect();
    let mentee_refs: Vec<&MenteeProfile> = f_mentees.iter().map(|&e| &mentees[e]).collect();
    let f_spare: Vec<u32> = f_mentors.iter().map(|&m| spare[m]).collect();
    let features = encode(programme.form, &mentor_refs, &f_spare, &mentee_refs);
    let encode_ms = ms(start);

    // Decompose: blocks by the cheap structure, then components.
    let t = Instant::now();
    let blocks: Vec<(Vec<usize>, Vec<usize>)> = if ctx.same_organization() {
        let mut by_org: BTreeMap<u32, (Vec<usize>, Vec<usize>)> = BTreeMap::new();
        for &e in &eligible {
            by_org.entry(rule_mentees[e].org).or_default().0.push(e);
        }
        for &m in &candidates {
            by_org.entry(rule_mentors[m].org).or_default().1.push(m);
        }
        by_org
            .into_values()
            .filter(|(es, ms)| !es.is_empty() && !ms.is_empty())
            .collect()
    } else {
        vec![(eligible.clone(), candidates.clone())]
    };
    let data = RuleData {
        ctx: &ctx,
        mentors: &rule_mentors,
        mentees: &rule_mentees,
        rejected: &rejected,
    };
    let components: Vec<Component> = blocks
        .par_iter()
        .map(|(es, ms)| components_of(&data, es, ms))
        .collect::<Vec<_>>()
        .into_iter()
        .flatten()
        .collect();
    let decompose_ms = ms(t);

    // Score each component (components and rows in parallel).
    let t = Instant::now();
    let scored: Vec<(Vec<i64>, u64)> = components
        .par_iter()
        .map(|c| {
            let fe: Vec<u32> = c.mentees.iter().map(|&e| mentee_fi[e]).collect();
            let fm: Vec<u32> = c.mentors.iter().map(|&m| mentor_fi[m]).collect();
            let mut out = vec![0i64; fe.len() * fm.len()];
            let n = score_block(&features, &wa, &fe, &fm, Some(&c.allowed), &mut out);
            (out, n)
        })
        .collect();
    let score_ms = ms(t);

    // Solve each component.
    let t = Instant::now();
    let solved: Vec<Solved> = components
        .par_iter()
        .zip(scored.par_iter())
        .map(|(c, (scores, _))| {
            let caps: Vec<u32> = c.mentors.iter().map(|&m| run_cap[m]).collect();
            let held: Vec<u32> = c.mentors.iter().map(|&m| members[m]).collect();
            solve_component(
                c.mentees.len(),
                c.mentors.len(),
                scores,
                &caps,
                &held,
                input.objective,
                programme.group,
            )
        })
        .collect::<Result<_, _>>()?;
    // The places each mentor finally had (a group repair may have closed
    // some), so the exported matrix has the run's own optimum.
    let mut final_cap = run_cap.clone();
    for (c, (_, caps, _)) in components.iter().zip(&solved) {
        for (&m, &cap) in c.mentors.iter().zip(caps) {
            final_cap[m] = cap;
        }
    }
    let group_reports: Vec<Option<GroupComponentStats>> =
        solved.iter().map(|(_, _, report)| report.clone()).collect();
    let solutions: Vec<Vec<(usize, usize)>> =
        solved.into_iter().map(|(pairs, _, _)| pairs).collect();
    let solve_ms = ms(t);

    // Explain.
    let t = Instant::now();
    let explain = |e: usize, m: usize| -> (i64, Vec<BreakdownItem>) {
        let (fe, fm) = (mentee_fi[e] as usize, mentor_fi[m] as usize);
        let items = breakdown(
            &features,
            &wa,
            programme.form,
            fe,
            fm,
            &mentees[e],
            &mentors[m],
            spare[m],
            input.lang,
        );
        (pair_score(&features, &wa, fe, fm), items)
    };
    let mut pair_scores: Vec<i64> = Vec::new();
    let mut proposals: Vec<Proposal> = Vec::new();
    for &(m, e) in &pins {
        let (s, items) = explain(e, m);
        pair_scores.push(s);
        proposals.push(Proposal {
            mentor_id: mentors[m].person.id.clone(),
            mentee_ids: vec![mentees[e].person.id.clone()],
            score: from_scaled(s),
            summary: summary(&items),
            breakdown: items,
            members: Vec::new(),
            cohesion: None,
            group_reason: None,
            pinned: true,
        });
    }
    let mut matched = vec![false; mentees.len()];
    let mut new_proposals: Vec<Proposal> = Vec::new();
    let mut cohesions: Vec<f64> = Vec::new();
    for ((c, pairs), report) in components.iter().zip(&solutions).zip(&group_reports) {
        let mut by_mentor: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for &(r, col) in pairs {
            by_mentor
                .entry(c.mentors[col])
                .or_default()
                .push(c.mentees[r]);
        }
        for (m, group) in by_mentor {
            let explained: Vec<(usize, i64, Vec<BreakdownItem>)> = group
                .iter()
                .map(|&e| {
                    matched[e] = true;
                    let (s, items) = explain(e, m);
                    pair_scores.push(s);
                    (e, s, items)
                })
                .collect();
            if let Some(size) = programme.group {
                let lines: Vec<&[BreakdownItem]> =
                    explained.iter().map(|(_, _, b)| b.as_slice()).collect();
                let mean = mean_breakdown(&lines, input.lang);
                let profiles: Vec<&MenteeProfile> = group.iter().map(|&e| &mentees[e]).collect();
                let k = cohesion(&profiles);
                cohesions.push(k);
                let mut reason = GroupReason {
                    members: group.len() + members[m] as usize,
                    held: members[m],
                    min: size.min,
                    max: size.max,
                    covered: covered_needs(&mentors[m], &profiles, 5),
                    shared: shared_needs(&profiles, 5),
                    cohesion: k,
                    optimal: report.as_ref().is_some_and(|r| r.optimal),
                    text: String::new(),
                };
                reason.text = reason.render(input.lang);
                let score = explained
                    .iter()
                    .map(|(_, s, _)| from_scaled(*s))
                    .sum::<f64>()
                    / explained.len() as f64;
                new_proposals.push(Proposal {
                    mentor_id: mentors[m].person.id.clone(),
                    mentee_ids: group
                        .iter()
                        .map(|&e| mentees[e].person.id.clone())
                        .collect(),
                    score,
                    summary: summary(&mean),
                    breakdown: mean,
                    members: explained
                        .into_iter()
                        .map(|(e, s, breakdown)| MemberBreakdown {
                            mentee_id: mentees[e].person.id.clone(),
                            score: from_scaled(s),
                            breakdown,
                        })
                        .collect(),
                    cohesion: Some(k),
                    group_reason: Some(reason),
                    pinned: false,
                });
            } else {
                for (e, s, items) in explained {
                    new_proposals.push(Proposal {
                        mentor_id: mentors[m].person.id.clone(),
                        mentee_ids: vec![mentees[e].person.id.clone()],
                        score: from_scaled(s),
                        summary: summary(&items),
                        breakdown: items,
                        members: Vec::new(),
                        cohesion: None,
                        group_reason: None,
                        pinned: false,
                    });
                }
            }
        }
    }
    new_proposals.sort_by(|a, b| {
        a.mentor_id
            .cmp(&b.mentor_id)
            .then_with(|| a.mentee_ids.cmp(&b.mentee_ids))
    });
    proposals.extend(new_proposals);

    // Unmatched mentees and why.
    let mut place: HashMap<usize, (usize, usize)> = HashMap::new();
    for (k, c) in components.iter().enumerate() {
        for (r, &e) in c.mentees.iter().enumerate() {
            place.insert(e, (k, r));
        }
    }
    let bank: Vec<(RuleMentor, Option<Rule>, u32)> = (0..mentors.len())
        .filter(|&m| !matches!(side[m], Some(Rule::FormNotAccepted | Rule::WrongMentorKind)))
        .map(|m| (rule_mentors[m], side[m], run_cap[m]))
        .collect();
    let left: Vec<usize> = eligible.iter().copied().filter(|&e| !matched[e]).collect();
    let unmatched: Vec<Unmatched> = left
        .par_iter()
        .map(|&e| {
            let reason = match place.get(&e) {
                Some(&(k, r)) => {
                    let cols = components[k].mentors.len();
                    let row = &scored[k].0[r * cols..(r + 1) * cols];
                    let allowed: Vec<i64> =
                        row.iter().copied().filter(|&s| s != FORBIDDEN).collect();
                    UnmatchedReason::AssignedToOthers {
                        eligible_mentors: allowed.len(),
                        best_score: from_scaled(allowed.iter().copied().max().unwrap_or(0)),
                    }
                }
                None => no_allowed_mentor(&ctx, &rule_mentees[e], data.rejected_for(e), &bank),
            };
            Unmatched {
                mentee_id: mentees[e].person.id.clone(),
                text: reason.render(input.lang),
                reason,
            }
        })
        .collect();

    let mentors_used = proposals
        .iter()
        .map(|p| &p.mentor_id)
        .collect::<HashSet<_>>()
        .len();
    let total: i64 = pair_scores.iter().sum();
    let stats = Stats {
        mentees_eligible: eligible.len(),
        mentees_matched: eligible.iter().filter(|&&e| matched[e]).count(),
        mentees_pinned: pins.len(),
        mentors_used,
        mentors_available: candidates.len(),
        total_score: from_scaled(total),
        mean_score: if pair_scores.is_empty() {
            0.0
        } else {
            from_scaled(total) / pair_scores.len() as f64
        },
        min_score: from_scaled(pair_scores.iter().copied().min().unwrap_or(0)),
        mean_cohesion: (!cohesions.is_empty())
            .then(|| cohesions.iter().sum::<f64>() / cohesions.len() as f64),
        pairs_scored: scored.iter().map(|(_, n)| n).sum(),
        components: components.len(),
        largest_component: components
            .iter()
            .map(|c| (c.mentees.len(), c.mentors.len()))
            .max_by_key(|(r, c)| r * c)
            .unwrap_or((0, 0)),
        timings: Timings::default(),
        groups: programme
            .group
            .map(|size| group_stats(group_reports, size.time_budget_ms)),
    };
    let score_tables: Vec<ScoreTable> = components
        .iter()
        .zip(scored)
        .map(|(c, (scores, _))| ScoreTable {
            mentor_ids: c
                .mentors
                .iter()
                .map(|&m| mentors[m].person.id.clone())
                .collect(),
            mentee_ids: c
                .mentees
                .iter()
                .map(|&e| mentees[e].person.id.clone())
                .collect(),
            scores,
        })
        .collect();
    let mut outcome = Outcome {
        programme_id: programme.id.clone(),
        form: programme.form,
        objective: input.objective,
        weights,
        lang: input.lang,
        proposals,
        unmatched,
        ineligible,
        stats,
        matrix_mentor_ids: candidates
            .iter()
            .map(|&m| mentors[m].person.id.clone())
            .collect(),
        matrix_mentor_places: candidates.iter().map(|&m| final_cap[m]).collect(),
        matrix_mentee_ids: eligible
            .iter()
            .map(|&e| mentees[e].person.id.clone())
            .collect(),
        score_tables,
    };
    outcome.stats.timings = Timings {
        encode_ms,
        decompose_ms,
        score_ms,
        solve_ms,
        explain_ms: ms(t),
    };
    Ok(outcome)
}

/// Sums what the group search proved over the components.
fn group_stats(per_component: Vec<Option<GroupComponentStats>>, budget_ms: u32) -> GroupStats {
    let per_component: Vec<GroupComponentStats> = per_component.into_iter().flatten().collect();
    GroupStats {
        components: per_component.len(),
        optimal_components: per_component.iter().filter(|c| c.optimal).count(),
        budget_hit: per_component.iter().filter(|c| c.budget_hit).count(),
        coverage_gap: per_component
            .iter()
            .map(|c| c.matched_bound.saturating_sub(c.matched))
            .sum(),
        score_gap: per_component
            .iter()
            .map(|c| (c.score_bound - c.total_score).max(0.0))
            .sum(),
        time_budget_ms: budget_ms,
        per_component,
    }
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
    let ctx = RuleContext {
        form: programme.form,
        rules: programme.rules,
        on: programme.period.start,
        scope: Scope::new(organizations, &programme.organization_ids),
    };
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
    let ctx = RuleContext {
        form: programme.form,
        rules: programme.rules,
        on: programme.period.start,
        scope: Scope::new(organizations, &programme.organization_ids),
    };
    mentor_rule(&ctx, mentor)
}
