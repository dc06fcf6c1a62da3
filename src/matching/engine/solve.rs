//! Stage 4 of a run, [`solve_components`]: one optimal assignment (pairs)
//! or grouping (group limits) per component, and its blocking pairs. **The
//! only place that calls a solver.**

use std::time::{Duration, Instant};

use rayon::prelude::*;

use super::decompose::Component;
use super::prepare::Prepared;
use super::scoring::Scored;
use super::{MatchError, ms};
use crate::domain::GroupSize;
use crate::matching::assignment::rank_maximal::rank_maximal;
use crate::matching::assignment::{self, Objective, ScoreMatrix};
use crate::matching::groups::{GroupProblem, solve_groups};
use crate::matching::outcome::GroupComponentStats;
use crate::matching::score::{FORBIDDEN, from_scaled};
use crate::matching::stable::{Preferences, Proposer, blocking_pairs, deferred_acceptance};

/// What the solvers chose, from [`solve_components`].
pub(super) struct Solved {
    /// Each component's `(row, column)` pairs, in component order.
    pub pairs: Vec<Vec<(usize, usize)>>,
    /// The places each mentor (by input index) finally had: a group
    /// solve may close some, so the exported matrix has the run's own
    /// optimum.
    pub final_cap: Vec<u32>,
    /// What the group search proved per component (group programmes).
    pub reports: Vec<Option<GroupComponentStats>>,
    /// Each component's blocking `(row, column)` pairs (both sides ranking
    /// by wishes, then score), whatever the objective.
    pub blocking: Vec<Vec<(usize, usize)>>,
}

/// Takes the components and their scores; gives each one's optimum
/// (coverage first, then the objective), components in parallel, results
/// in component order. The assignment solver's cost per component for
/// pairs; for groups the exact search of [`crate::matching::groups`],
/// bounded by the programme's time budget per component. Fails if a
/// solver refuses a problem or returns a forbidden, overfilled or
/// out-of-limits choice (checked whatever the solver).
pub(super) fn solve_components(
    run: &Prepared<'_>,
    components: &[Component],
    scored: &[Scored],
) -> Result<Solved, MatchError> {
    let (run_cap, members) = (&run.places.run_cap, &run.people.members);
    // Both sides' strict preferences per component: wishes first, then
    // by score. They drive the stable and rank-maximal objectives and the
    // blocking pairs of every run.
    let prefs: Vec<Preferences> = components
        .par_iter()
        .zip(scored.par_iter())
        .map(|(c, s)| {
            let (mentee_wishes, mentor_wishes) = run.wishes.local(&c.mentees, &c.mentors);
            Preferences::new(
                c.mentees.len(),
                c.mentors.len(),
                &s.scores,
                &mentee_wishes,
                &mentor_wishes,
            )
        })
        .collect();
    let solved: Vec<Solution> = components
        .par_iter()
        .zip(scored.par_iter())
        .zip(prefs.par_iter())
        .map(|((c, s), prefs)| {
            let caps: Vec<u32> = c.mentors.iter().map(|&m| run_cap[m]).collect();
            let held: Vec<u32> = c.mentors.iter().map(|&m| members[m]).collect();
            solve_component(
                &s.scores,
                prefs,
                &caps,
                &held,
                run.input.objective,
                run.input.programme.group,
            )
        })
        .collect::<Result<_, _>>()?;
    let mut final_cap = run_cap.clone();
    for (c, (_, caps, _)) in components.iter().zip(&solved) {
        for (&m, &cap) in c.mentors.iter().zip(caps) {
            final_cap[m] = cap;
        }
    }
    let reports = solved.iter().map(|(_, _, report)| report.clone()).collect();
    let blocking = prefs
        .par_iter()
        .zip(solved.par_iter())
        .map(|(prefs, (pairs, places, _))| blocking_pairs(prefs, places, pairs))
        .collect();
    let pairs = solved.into_iter().map(|(pairs, _, _)| pairs).collect();
    Ok(Solved {
        pairs,
        final_cap,
        reports,
        blocking,
    })
}

/// A component's assignment (row, column pairs), the places each of its
/// mentors finally had, and for group programmes what the search proved.
type Solution = (Vec<(usize, usize)>, Vec<u32>, Option<GroupComponentStats>);

/// Solves one component: the assignment solver for pairs, the exact group
/// search with group limits (where a mentor's final places are its
/// group's new members).
fn solve_component(
    scores: &[i64],
    prefs: &Preferences,
    capacity: &[u32],
    members: &[u32],
    objective: Objective,
    group: Option<GroupSize>,
) -> Result<Solution, MatchError> {
    let (rows, cols) = (prefs.rows(), prefs.cols());
    let started = Instant::now();
    // No mentor takes more than the component's mentees.
    let room: Vec<u32> = capacity
        .iter()
        .map(|&c| c.min(u32::try_from(rows).unwrap_or(u32::MAX)))
        .collect();
    let (pairs, places, report) = match group {
        None if objective == Objective::Stable => (
            deferred_acceptance(prefs, &room, Proposer::Mentees),
            capacity.to_vec(),
            None,
        ),
        None if objective == Objective::StableMentor => (
            deferred_acceptance(prefs, &room, Proposer::Mentors),
            capacity.to_vec(),
            None,
        ),
        None if objective == Objective::RankMaximal => {
            (rank_maximal(prefs, &room), capacity.to_vec(), None)
        }
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
