//! Exact group formation by branch and bound on which mentors lead a group.
//!
//! A mentor `c` with `held[c]` members and `room[c]` places must take no
//! new member or between `need[c] = min − held[c]` and `room[c]`. Mentors
//! with `need = 0` (already at the minimum) are plain capacities; the
//! others are the *binary* mentors, each *free*, *open* or *closed* in a
//! node of the search tree.
//!
//! * **Relaxation.** With open mentors held to `[need, room]`, closed ones
//!   to 0 and free ones to `[0, room]` (the lower bound dropped), the node
//!   is a transportation problem with lower bounds, solved exactly by
//!   [`super::flow`]. Its value (matched, then weight) bounds every grouping
//!   below the node; when no free mentor got between 1 and `need − 1`
//!   members the relaxed solution is itself a valid grouping, the best one
//!   below the node.
//! * **Incumbent.** The repair heuristic (close the weakest under-filled
//!   mentor, re-solve) runs first, so the result is never worse than it.
//! * **Branching.** On the free mentor whose relaxed load is furthest from
//!   both 0 and `need` (the least decided); the child nearer to the relaxed
//!   load (open when it has at least half of `need`, else closed) is
//!   searched first, depth first. A node is pruned when its parent's bound
//!   or its own cannot beat the incumbent. The tree never holds a node
//!   twice (each node fixes a different set of decisions), so nothing needs
//!   memoising.
//! * **Fair.** Coverage `K` first (a search where every weight is 0), then a
//!   binary search over the distinct scores for the largest threshold `t`
//!   at which `K` mentees can still be grouped (each probe a search that
//!   stops at the first grouping of `K`), then the total with the cells
//!   below `t` forbidden.
//!
//! Budget: the heuristic and the root relaxation always run; the search
//! stops at the deadline and reports the bound of the nodes it left (an
//! unexplored node is bounded by its parent's relaxation). The bound on
//! matched mentees is always proven; the bound on the total is the best
//! open node's when the coverage is proven, otherwise the maximum-weight
//! relaxation of the whole component (valid for any grouping).
//!
//! Complexity: one relaxation per node (see [`super::flow`]); the tree has
//! at most `2^b` leaves for `b` binary mentors (the problem is NP-hard once
//! `min ≥ 3`), and in practice a school's component (≤ 10 mentors) is
//! proven optimal in a few hundred nodes.

use std::time::{Duration, Instant};

use super::flow::{self, FlowSolution, Places};
use crate::domain::GroupSize;
use crate::matching::assignment::{AssignmentError, FORBIDDEN, Objective};

/// One component of a group programme.
#[derive(Debug, Clone, Copy)]
pub struct GroupProblem<'a> {
    /// Mentees (rows).
    pub rows: usize,
    /// Mentors (columns).
    pub cols: usize,
    /// Row-major scores; [`FORBIDDEN`] marks a forbidden pair.
    pub scores: &'a [i64],
    /// New members each mentor may take (see [`super::group_capacity`]).
    pub room: &'a [u32],
    /// Members each mentor already has (approved and pinned pairs).
    pub held: &'a [u32],
    /// The programme's limits.
    pub size: GroupSize,
}

/// A grouping of one component and what is proven about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupSolution {
    /// Chosen `(row, col)` cells, sorted by row.
    pub pairs: Vec<(usize, usize)>,
    /// New members per mentor: 0, or enough to reach `min` and at most `room`.
    pub count: Vec<u32>,
    /// Matched mentees.
    pub matched: usize,
    /// Sum of the chosen scores.
    pub total: i64,
    /// Proven upper bound on the matched mentees of any valid grouping.
    pub matched_bound: usize,
    /// Proven upper bound on the total of the optimum grouping (for
    /// `Fair`, on its total given the coverage).
    pub total_bound: i64,
    /// The grouping is proven optimal for the objective.
    pub optimal: bool,
    /// The time budget ran out before the search finished.
    pub budget_hit: bool,
    /// Relaxations solved.
    pub nodes: u64,
}

/// Solves one component of a group programme: the most mentees matched,
/// then the objective (`Total`: the largest total; `Fair`: the largest
/// lowest score, then the largest total), searched within `budget`.
///
/// Guarantees: every mentor in `pairs` ends with between `min` and `max`
/// members counting `held`, and never more than `room` new ones; no
/// forbidden cell is chosen; `optimal` is true only when the search proved
/// it, and then `matched_bound == matched` and `total_bound == total`;
/// the result is never worse than the repair heuristic. Deterministic when
/// the budget is not hit. Errors on inconsistent lengths. Complexity: see
/// the module documentation (one min-cost flow per search node).
///
/// # Example
///
/// Two mentors, each leading 2 or 3 mentees, and four mentees who all
/// prefer mentor 0. Giving mentor 0 its best three would leave mentor 1
/// a group of one, which is not allowed; so each leads two, and mentor 1
/// gets the two mentees who lose least by it: 9 + 8 + 3 + 5 = 25.
///
/// ```rust
/// use std::time::Duration;
///
/// use mentor_match::domain::GroupSize;
/// use mentor_match::matching::assignment::Objective;
/// use mentor_match::matching::groups::{GroupProblem, solve_groups};
///
/// # fn main() -> Result<(), mentor_match::matching::assignment::AssignmentError> {
/// let scores = [
///     9, 1, // mentee 0: mentor 0, mentor 1
///     8, 2, // mentee 1
///     7, 3, // mentee 2
///     6, 5, // mentee 3
/// ];
/// let problem = GroupProblem {
///     rows: 4,
///     cols: 2,
///     scores: &scores,
///     room: &[3, 3],
///     held: &[0, 0],
///     size: GroupSize::new(2, 3),
/// };
/// let found = solve_groups(&problem, Objective::Total, Duration::from_secs(10))?;
/// assert_eq!(found.pairs, [(0, 0), (1, 0), (2, 1), (3, 1)]);
/// assert_eq!((found.matched, found.total, found.count), (4, 25, vec![2, 2]));
/// assert!(found.optimal && !found.budget_hit);
/// assert_eq!((found.matched_bound, found.total_bound), (4, 25));
/// # Ok(())
/// # }
/// ```
pub fn solve_groups(
    problem: &GroupProblem<'_>,
    objective: Objective,
    budget: Duration,
) -> Result<GroupSolution, AssignmentError> {
    let expected = problem.rows.saturating_mul(problem.cols);
    if problem.scores.len() != expected {
        return Err(AssignmentError::ShapeMismatch {
            expected,
            actual: problem.scores.len(),
        });
    }
    for len in [problem.room.len(), problem.held.len()] {
        if len != problem.cols {
            return Err(AssignmentError::CapacityLength {
                expected: problem.cols,
                actual: len,
            });
        }
    }
    if !objective.allows_groups() {
        return Err(AssignmentError::ObjectiveNotForGroups(objective));
    }
    let start = Instant::now();
    let deadline = start.checked_add(budget).unwrap_or(start);
    let mut search = Search::new(problem, deadline);
    Ok(match objective {
        Objective::Fair => search.fair(problem.scores),
        _ => search.total(problem.scores, None, None),
    })
}

/// Matched mentees, then weight.
type Key = (usize, i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Free,
    Open,
    Closed,
}

/// A valid grouping found by the search.
#[derive(Debug, Clone)]
struct Found {
    key: Key,
    pairs: Vec<(usize, usize)>,
    count: Vec<u32>,
}

/// What one search ended with.
struct Searched {
    best: Option<Found>,
    /// Every node was explored or pruned (or the target was reached).
    complete: bool,
    /// The largest bound among the nodes left unexplored.
    pending: Option<Key>,
}

struct Search {
    rows: usize,
    cols: usize,
    need: Vec<u32>,
    room: Vec<u32>,
    binary: Vec<usize>,
    deadline: Instant,
    nodes: u64,
    budget_hit: bool,
}

impl Search {
    fn new(p: &GroupProblem<'_>, deadline: Instant) -> Self {
        let need: Vec<u32> = p
            .held
            .iter()
            .map(|&h| p.size.min.saturating_sub(h))
            .collect();
        let room: Vec<u32> = p
            .room
            .iter()
            .zip(&need)
            .map(|(&r, &n)| if r < n { 0 } else { r })
            .collect();
        let binary = (0..p.cols)
            .filter(|&c| need[c] > 0 && room[c] > 0)
            .collect();
        Self {
            rows: p.rows,
            cols: p.cols,
            need,
            room,
            binary,
            deadline,
            nodes: 0,
            budget_hit: false,
        }
    }

    fn relax(&mut self, weights: &[i64], states: &[State], coverage_first: bool) -> FlowSolution {
        self.nodes += 1;
        let mut places: Vec<Places> = self
            .room
            .iter()
            .map(|&upper| Places { lower: 0, upper })
            .collect();
        for (&c, &s) in self.binary.iter().zip(states) {
            match s {
                State::Free => {}
                State::Open => places[c].lower = self.need[c],
                State::Closed => places[c].upper = 0,
            }
        }
        flow::solve(self.rows, self.cols, weights, &places, coverage_first)
    }

    /// Positions (in `binary`) of free mentors with a load between 1 and
    /// `need − 1`.
    fn violations<'s>(
        &'s self,
        sol: &'s FlowSolution,
        states: &'s [State],
    ) -> impl Iterator<Item = usize> + 's {
        (0..self.binary.len()).filter(move |&k| {
            let c = self.binary[k];
            states[k] == State::Free && sol.count[c] > 0 && sol.count[c] < self.need[c]
        })
    }

    /// The repair heuristic: close the weakest under-filled mentor (fewest
    /// members, then lowest weight, then position) until none is left.
    fn dive(&mut self, weights: &[i64]) -> Option<Found> {
        let mut states = vec![State::Free; self.binary.len()];
        loop {
            let sol = self.relax(weights, &states, true);
            if !sol.feasible {
                return None;
            }
            let mut sum = vec![0i64; self.cols];
            for &(r, c) in &sol.pairs {
                sum[c] += weights[r * self.cols + c];
            }
            let weakest = self.violations(&sol, &states).min_by_key(|&k| {
                let c = self.binary[k];
                (sol.count[c], sum[c], k)
            });
            match weakest {
                Some(k) => states[k] = State::Closed,
                None => {
                    return Some(Found {
                        key: (sol.matched, sol.weight),
                        pairs: sol.pairs,
                        count: sol.count,
                    });
                }
            }
        }
    }

    /// Depth-first branch and bound. Only groupings whose key beats both
    /// `floor` and the incumbent are kept; the search stops early once a
    /// grouping matches `stop_at` mentees.
    fn branch_and_bound(
        &mut self,
        weights: &[i64],
        mut best: Option<Found>,
        floor: Option<Key>,
        stop_at: Option<usize>,
    ) -> Searched {
        let beats = |key: Key, best: &Option<Found>| {
            floor.is_none_or(|f| key > f) && best.as_ref().is_none_or(|b| key > b.key)
        };
        let mut stack: Vec<(Vec<State>, Key)> =
            vec![(vec![State::Free; self.binary.len()], (usize::MAX, i64::MAX))];
        let mut complete = true;
        let mut first = true;
        while let Some((states, parent)) = stack.pop() {
            if !beats(parent, &best) {
                continue;
            }
            if !first && Instant::now() >= self.deadline {
                stack.push((states, parent));
                complete = false;
                self.budget_hit = true;
                break;
            }
            first = false;
            let sol = self.relax(weights, &states, true);
            let key = (sol.matched, sol.weight);
            if !sol.feasible || !beats(key, &best) {
                continue;
            }
            let pick = self.violations(&sol, &states).max_by_key(|&k| {
                let c = self.binary[k];
                let x = sol.count[c];
                (x.min(self.need[c] - x), std::cmp::Reverse(k))
            });
            let Some(k) = pick else {
                let reached = stop_at.is_some_and(|t| sol.matched >= t);
                best = Some(Found {
                    key,
                    pairs: sol.pairs,
                    count: sol.count,
                });
                if reached {
                    stack.clear();
                    break;
                }
                continue;
            };
            let c = self.binary[k];
            let open_first = 2 * sol.count[c] >= self.need[c];
            let mut open = states.clone();
            open[k] = State::Open;
            let mut closed = states;
            closed[k] = State::Closed;
            let (first_child, second_child) = if open_first {
                (open, closed)
            } else {
                (closed, open)
            };
            stack.push((second_child, key));
            stack.push((first_child, key));
        }
        let pending = stack
            .iter()
            .map(|(_, key)| *key)
            .filter(|&key| beats(key, &best))
            .max();
        Searched {
            best,
            complete: complete || pending.is_none(),
            pending,
        }
    }

    /// Coverage first, then the largest total of `weights`; groupings must
    /// match at least `at_least` mentees; `seed` is a known grouping.
    fn total(
        &mut self,
        weights: &[i64],
        at_least: Option<usize>,
        seed: Option<Found>,
    ) -> GroupSolution {
        let dived = self.dive(weights);
        let best = match (dived, seed) {
            (Some(a), Some(b)) => Some(if b.key > a.key { b } else { a }),
            (a, b) => a.or(b),
        };
        let floor = at_least.filter(|&k| k > 0).map(|k| (k - 1, i64::MAX));
        let searched = self.branch_and_bound(weights, best, floor, None);
        self.finish(weights, searched)
    }

    fn finish(&mut self, weights: &[i64], searched: Searched) -> GroupSolution {
        let Searched {
            best,
            complete,
            pending,
        } = searched;
        let found = best.unwrap_or(Found {
            key: (0, 0),
            pairs: Vec::new(),
            count: vec![0; self.cols],
        });
        let (matched, total) = found.key;
        let (matched_bound, total_bound) = match pending {
            None => (matched, total),
            Some((cov, weight)) => {
                let cov = cov.min(self.rows);
                if cov <= matched {
                    (matched, total.max(weight))
                } else {
                    let all_free = vec![State::Free; self.binary.len()];
                    let loose = self.relax(weights, &all_free, false);
                    (cov, loose.weight.max(total))
                }
            }
        };
        GroupSolution {
            pairs: found.pairs,
            count: found.count,
            matched,
            total,
            matched_bound,
            total_bound,
            optimal: complete,
            budget_hit: self.budget_hit,
            nodes: self.nodes,
        }
    }

    /// Coverage, then the largest lowest score, then the largest total.
    fn fair(&mut self, scores: &[i64]) -> GroupSolution {
        let cols = self.cols;
        let zero: Vec<i64> = scores
            .iter()
            .map(|&s| if s == FORBIDDEN { FORBIDDEN } else { 0 })
            .collect();
        let rescore = |found: Found| -> Found {
            let weight = found.pairs.iter().map(|&(r, c)| scores[r * cols + c]).sum();
            Found {
                key: (found.key.0, weight),
                ..found
            }
        };
        let best_cover = self.dive(&zero);
        let cover = self.branch_and_bound(&zero, best_cover, None, None);
        let Some(covering) = cover.best.clone() else {
            return self.finish(scores, cover);
        };
        let k = covering.key.0;
        if !cover.complete || k == 0 {
            // Coverage unproven: the total-first repair is the better
            // fallback when it covers as many.
            let fallback = self.dive(scores);
            let mut sol = self.finish(&zero, cover);
            if let Some(f) = fallback.filter(|f| f.key.0 >= sol.matched) {
                sol.matched = f.key.0;
                sol.total = f.key.1;
                sol.pairs = f.pairs;
                sol.count = f.count;
            } else {
                sol.total = sol.pairs.iter().map(|&(r, c)| scores[r * cols + c]).sum();
            }
            let all_free = vec![State::Free; self.binary.len()];
            sol.total_bound = self.relax(scores, &all_free, false).weight.max(sol.total);
            sol.optimal = sol.optimal && k == 0;
            if sol.optimal {
                sol.total_bound = sol.total;
            }
            sol.budget_hit = self.budget_hit;
            sol.nodes = self.nodes;
            return sol;
        }
        let mut values: Vec<i64> = scores.iter().copied().filter(|&s| s != FORBIDDEN).collect();
        values.sort_unstable();
        values.dedup();
        let lowest = |found: &Found| {
            found
                .pairs
                .iter()
                .map(|&(r, c)| scores[r * cols + c])
                .min()
                .unwrap_or(i64::MIN)
        };
        let index_of = |v: i64| values.partition_point(|&x| x < v);
        // Invariant: values[lo] admits a grouping of k (`probe`), values[hi] does not.
        let mut lo = index_of(lowest(&covering));
        let mut hi = values.len();
        let mut probe = covering;
        let mut proven = true;
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            let masked = mask(&zero, scores, values[mid]);
            let floor = Some((k - 1, i64::MAX));
            let found = self.branch_and_bound(&masked, None, floor, Some(k));
            match found.best {
                Some(f) => {
                    lo = index_of(lowest(&f)).max(mid);
                    probe = f;
                }
                None if found.complete => hi = mid,
                None => {
                    proven = false;
                    break;
                }
            }
        }
        let threshold = values.get(lo).copied().unwrap_or(i64::MIN);
        let masked = mask(scores, scores, threshold);
        let mut sol = self.total(&masked, Some(k), Some(rescore(probe)));
        sol.optimal = sol.optimal && proven;
        sol.matched_bound = k;
        sol
    }
}

/// `weights` where `scores ≥ threshold`, forbidden elsewhere.
fn mask(weights: &[i64], scores: &[i64], threshold: i64) -> Vec<i64> {
    weights
        .iter()
        .zip(scores)
        .map(|(&w, &s)| {
            if s != FORBIDDEN && s >= threshold {
                w
            } else {
                FORBIDDEN
            }
        })
        .collect()
}
