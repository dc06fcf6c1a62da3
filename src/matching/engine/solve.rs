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
use crate::matching::assignment::sparse::solve_compressed;
use crate::matching::assignment::{self, Cell, Objective};
use crate::matching::groups::{GroupProblem, solve_groups};
use crate::matching::outcome::{Cells, GroupComponentStats};
use crate::matching::score::from_scaled;
use crate::matching::stable::{Preferences, Proposer, deferred_acceptance};

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
    let (objective, group) = (run.input.objective, run.input.programme.group);
    // Both sides' strict preferences (wishes first, then by score) drive
    // the stable and rank-maximal objectives; they are built per component
    // only for those, and the blocking pairs of every run are found from
    // the scores and wishes directly (see `blocking_from_cells`).
    let ranked = group.is_none()
        && matches!(
            objective,
            Objective::Stable | Objective::StableMentor | Objective::RankMaximal
        );
    let solved: Vec<(Solution, Vec<(usize, usize)>)> = components
        .par_iter()
        .zip(scored.par_iter())
        .map(|(c, s)| {
            let (mentee_wishes, mentor_wishes) = run.wishes.local(&c.mentees, &c.mentors);
            let (rows, cols) = (c.mentees.len(), c.mentors.len());
            let prefs = ranked.then(|| match &s.cells {
                Cells::Dense(scores) => Preferences::new(
                    rows,
                    cols,
                    &<i32 as Cell>::widen(scores),
                    &mentee_wishes,
                    &mentor_wishes,
                ),
                Cells::Sparse {
                    start,
                    cols: cols_idx,
                    scores,
                } => Preferences::from_csr(
                    cols,
                    start,
                    cols_idx,
                    scores,
                    &mentee_wishes,
                    &mentor_wishes,
                ),
            });
            let caps: Vec<u32> = c.mentors.iter().map(|&m| run_cap[m]).collect();
            let held: Vec<u32> = c.mentors.iter().map(|&m| members[m]).collect();
            let solution = solve_component(
                &s.cells,
                (rows, cols),
                prefs.as_ref(),
                &caps,
                &held,
                objective,
                group,
            )?;
            let blocking = blocking_from_cells(
                &s.cells,
                (rows, cols),
                (&mentee_wishes, &mentor_wishes),
                &solution.1,
                &solution.0,
            );
            Ok((solution, blocking))
        })
        .collect::<Result<_, MatchError>>()?;
    let (solved, blocking): (Vec<Solution>, Vec<_>) = solved.into_iter().unzip();
    let mut final_cap = run_cap.clone();
    for (c, (_, caps, _)) in components.iter().zip(&solved) {
        for (&m, &cap) in c.mentors.iter().zip(caps) {
            final_cap[m] = cap;
        }
    }
    let reports = solved.iter().map(|(_, _, report)| report.clone()).collect();
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

/// Solves one component: the assignment solver for pairs (the sparse one
/// on compressed rows for a sparse component), the exact group search with
/// group limits (where a mentor's final places are its group's new
/// members; it reads dense scores).
fn solve_component(
    cells: &Cells,
    (rows, cols): (usize, usize),
    prefs: Option<&Preferences>,
    capacity: &[u32],
    members: &[u32],
    objective: Objective,
    group: Option<GroupSize>,
) -> Result<Solution, MatchError> {
    let started = Instant::now();
    // No mentor takes more than the component's mentees.
    let room: Vec<u32> = capacity
        .iter()
        .map(|&c| c.min(u32::try_from(rows).unwrap_or(u32::MAX)))
        .collect();
    let (pairs, places, report) = match (group, prefs) {
        (None, Some(prefs)) if objective == Objective::Stable => (
            deferred_acceptance(prefs, &room, Proposer::Mentees),
            capacity.to_vec(),
            None,
        ),
        (None, Some(prefs)) if objective == Objective::StableMentor => (
            deferred_acceptance(prefs, &room, Proposer::Mentors),
            capacity.to_vec(),
            None,
        ),
        (None, Some(prefs)) if objective == Objective::RankMaximal => {
            (rank_maximal(prefs, &room), capacity.to_vec(), None)
        }
        (None, _) => {
            let solution = match cells {
                // Solved in place, in the engine's four-byte cells: a region-wide
                // component is most of the run's memory.
                Cells::Dense(scores) => {
                    assignment::solve_cells(rows, cols, scores, capacity, objective)?
                }
                Cells::Sparse {
                    start,
                    cols: cols_idx,
                    scores,
                } => solve_compressed(cols, start, cols_idx, scores, capacity, objective)?,
            };
            (solution.pairs, capacity.to_vec(), None)
        }
        (Some(size), _) => {
            let dense = cells.to_dense(rows, cols);
            let problem = GroupProblem {
                rows,
                cols,
                scores: &dense,
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
        if r >= rows || c >= cols || cells.get(r, c, cols).is_none() || used[c] >= capacity[c] {
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

/// One side's rank order as a key: wish position, score descending, index.
type RankKey = (usize, std::cmp::Reverse<i64>, usize);

/// The blocking pairs of an assignment, exactly as
/// [`crate::matching::stable::blocking_pairs`] finds them on the
/// [`Preferences`] of the same cells and wishes, but without building
/// them: each side's rank order is its key (position in its wishes, else
/// after them; then score descending; then index ascending), compared
/// directly. For each mentee, the mentors it ranks above its own (every
/// allowed one when unmatched) that have room or rank it above the least
/// wanted mentee they hold; mentees ascending, each one's mentors in its
/// order. `O(E + W)` for `E` allowed cells and `W` wishes (plus sorting
/// each mentee's few blocking mentors), `O(rows + cols)` memory beyond
/// the result.
pub(super) fn blocking_from_cells(
    cells: &Cells,
    (rows, cols): (usize, usize),
    (mentee_wishes, mentor_wishes): (&[Vec<usize>], &[Vec<usize>]),
    capacity: &[u32],
    pairs: &[(usize, usize)],
) -> Vec<(usize, usize)> {
    use std::cmp::Reverse;
    // Position of `who` in a wish list (its first occurrence), else after all.
    let wish_pos = |lists: &[Vec<usize>], owner: usize, who: usize| {
        lists
            .get(owner)
            .and_then(|l| l.iter().position(|&w| w == who))
            .unwrap_or(usize::MAX)
    };
    let mentee_key = |r: usize, c: usize, s: i64| (wish_pos(mentee_wishes, r, c), Reverse(s), c);
    let mentor_key = |r: usize, c: usize, s: i64| (wish_pos(mentor_wishes, c, r), Reverse(s), r);
    let mut mentor_of: Vec<Option<(usize, i64)>> = vec![None; rows];
    let mut count = vec![0u32; cols];
    // The mentor's key of the least wanted mentee it holds.
    let mut worst: Vec<Option<RankKey>> = vec![None; cols];
    for &(r, c) in pairs {
        let Some(s) = cells.get(r, c, cols) else {
            continue;
        };
        mentor_of[r] = Some((c, s));
        count[c] += 1;
        let key = mentor_key(r, c, s);
        if worst[c].is_none_or(|w| key > w) {
            worst[c] = Some(key);
        }
    }
    (0..rows)
        .into_par_iter()
        .flat_map_iter(|r| {
            let own = mentor_of[r].map(|(c, s)| mentee_key(r, c, s));
            let mut found: Vec<(RankKey, usize)> = cells
                .row(r, cols)
                .filter_map(|(c, s)| {
                    let key = mentee_key(r, c, s);
                    if own.is_some_and(|o| key >= o) {
                        return None;
                    }
                    let room = count[c] < capacity.get(c).copied().unwrap_or(0);
                    let preferred = worst[c].is_some_and(|w| mentor_key(r, c, s) < w);
                    (room || preferred).then_some((key, c))
                })
                .collect();
            found.sort_unstable();
            found.into_iter().map(move |(_, c)| (r, c))
        })
        .collect()
}
