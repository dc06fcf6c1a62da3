//! Sparse forms: the edge-list entry point [`solve_sparse`] and a sparse solver kernel.
//!
//! [`solve_sparse`] takes the allowed `(row, col, score)` edges; the engine often has most
//! pairs forbidden (mentors and mentees of different schools), and this form never
//! materialises the full `rows × cols` matrix. Components are found on the edges (union-find,
//! `O(E · α)`), and each component is then copied into a dense block of its own rows × columns,
//! so memory is `O(rows + cols + E)` plus the sum over components of `rows_c × cols_c` — small
//! when components are schools, but a single huge, very sparse component is still
//! materialised.
//!
//! The kernel `solve_csr` solves one block in compressed-row form; blocks with few allowed
//! cells are routed to it (see `run_kernel` in the parent module for the measured
//! thresholds).
//!
//! Errors: [`AssignmentError::CapacityLength`], [`AssignmentError::EdgeOutOfRange`],
//! [`AssignmentError::ReservedScore`] (a score equal to [`super::FORBIDDEN`]),
//! [`AssignmentError::DuplicateEdge`], [`AssignmentError::ProblemTooLarge`], plus those of
//! [`super::solve`].

use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::cardinality::max_b_matching_csr;
use super::components::groups;
use super::dense::{Cost, DROPPED, NONE, Plan, plan};
use super::{Assignment, AssignmentError, Block, Cell, FORBIDDEN, Objective, ix, solve_blocks};
use crate::matching::union_find::UnionFind;

/// Solves the assignment problem given only the allowed cells as `(row, col, score)` edges;
/// every other pair is forbidden. Same objectives and guarantees as [`super::solve`], and the
/// same answer as [`super::solve`] on the matching dense matrix. `O(E · α)` to split into
/// components, then each component is solved as a dense block (see the module documentation).
///
/// # Example
///
/// Two schools that share nobody: each is solved on its own, and the totals add up.
///
/// ```rust
/// use mentor_match::matching::assignment::{Objective, solve_sparse};
///
/// # fn main() -> Result<(), mentor_match::matching::assignment::AssignmentError> {
/// // Mentees 0–2 and mentors 0–1 are one school, mentee 3 and mentor 2 another.
/// let edges = [
///     (0, 0, 9), (0, 1, 8),
///     (1, 0, 7), (1, 1, 1),
///     (2, 0, 6),
///     (3, 2, 4),
/// ];
/// let best = solve_sparse(4, 3, &edges, &[2, 1, 1], Objective::Total)?;
/// assert_eq!(best.pairs, [(0, 1), (1, 0), (2, 0), (3, 2)]);
/// assert_eq!((best.total, best.matched), (25, 4));
/// # Ok(())
/// # }
/// ```
pub fn solve_sparse(
    rows: usize,
    cols: usize,
    edges: &[(usize, usize, i64)],
    capacity: &[u32],
    objective: Objective,
) -> Result<Assignment, AssignmentError> {
    if capacity.len() != cols {
        return Err(AssignmentError::CapacityLength {
            expected: cols,
            actual: capacity.len(),
        });
    }
    if rows.saturating_add(cols) >= u32::MAX as usize {
        return Err(AssignmentError::ProblemTooLarge);
    }
    let mut uf = UnionFind::new(rows + cols);
    for (index, &(r, c, s)) in edges.iter().enumerate() {
        if r >= rows || c >= cols {
            return Err(AssignmentError::EdgeOutOfRange { index });
        }
        if s == FORBIDDEN {
            return Err(AssignmentError::ReservedScore { row: r, col: c });
        }
        if capacity[c] > 0 {
            uf.union(r, rows + c);
        }
    }
    let comps = groups(&mut uf, rows, cols);
    // Local index of every row and column inside its component.
    let mut comp_of_row = vec![usize::MAX; rows];
    let mut local = vec![0usize; rows + cols];
    for (k, (rs, cs)) in comps.iter().enumerate() {
        for (li, &r) in rs.iter().enumerate() {
            comp_of_row[r] = k;
            local[r] = li;
        }
        for (lj, &c) in cs.iter().enumerate() {
            local[rows + c] = lj;
        }
    }
    let mut mats: Vec<Vec<i64>> = comps
        .iter()
        .map(|(rs, cs)| vec![FORBIDDEN; rs.len() * cs.len()])
        .collect();
    for &(r, c, s) in edges {
        if capacity[c] == 0 {
            continue;
        }
        let k = comp_of_row[r];
        let w = comps[k].1.len();
        let cell = &mut mats[k][local[r] * w + local[rows + c]];
        if *cell != FORBIDDEN {
            return Err(AssignmentError::DuplicateEdge { row: r, col: c });
        }
        *cell = s;
    }
    let blocks: Vec<Block<'static>> = comps
        .into_iter()
        .zip(mats)
        .map(|((row_ids, col_ids), scores)| {
            let (mut min, mut max, mut complete) = (i64::MAX, i64::MIN, true);
            for &s in &scores {
                if s == FORBIDDEN {
                    complete = false;
                } else {
                    min = min.min(s);
                    max = max.max(s);
                }
            }
            Block {
                row_ids,
                col_ids,
                scores: Cow::Owned(scores),
                complete,
                min,
                max,
            }
        })
        .collect();
    solve_blocks(&blocks, capacity, objective)
}

/// One block in compressed-row form: the allowed cells of row `i` are
/// `cols_idx[start[i]..start[i + 1]]` with scores `scores[start[i]..start[i + 1]]`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CsrProblem<'a> {
    /// Row offsets (`rows + 1` entries).
    pub start: &'a [usize],
    /// Column of each allowed cell.
    pub cols_idx: &'a [u32],
    /// Score of each allowed cell.
    pub scores: &'a [i64],
    /// Capacity of each column.
    pub capacity: &'a [u32],
    /// Smallest allowed score.
    pub min: i64,
    /// Largest allowed score.
    pub max: i64,
}

impl CsrProblem<'_> {
    fn rows(&self) -> usize {
        self.start.len().saturating_sub(1)
    }
}

/// Builds the compressed rows of a dense row-major block (allowed cells only).
pub(crate) fn csr_from_dense<S: Cell>(scores: &[S], rows: usize, cols: usize) -> Csr {
    let mut start = Vec::with_capacity(rows + 1);
    let (mut cols_idx, mut vals) = (Vec::new(), Vec::new());
    for i in 0..rows {
        start.push(cols_idx.len());
        for (j, &s) in scores[i * cols..(i + 1) * cols].iter().enumerate() {
            if s != S::FORBIDDEN {
                cols_idx.push(ix(j));
                vals.push(s.score());
            }
        }
    }
    start.push(cols_idx.len());
    Csr {
        start,
        cols_idx,
        scores: vals,
    }
}

/// Owned compressed rows (see [`CsrProblem`]).
#[derive(Clone, Debug)]
pub(crate) struct Csr {
    /// Row offsets.
    pub start: Vec<usize>,
    /// Column of each allowed cell.
    pub cols_idx: Vec<u32>,
    /// Score of each allowed cell.
    pub scores: Vec<i64>,
}

/// Sparse shortest-augmenting-path solver: the same formulation as [`super::dense`] (column
/// potentials, capacitated columns forwarding the search through the rows they hold, escapes
/// for coverage first) but each Dijkstra only touches the edges of the rows it reaches, with
/// a binary heap (lazy deletion) instead of dense label scans; ties pop columns with a free
/// slot first. Starts from a greedy assignment. `O(E log E)` per augmentation, `O(rows · E
/// log E)` worst case, `O(rows + cols + E)` memory. Same errors as the dense solver.
pub(crate) fn solve_csr(p: &CsrProblem<'_>) -> Result<Vec<Option<usize>>, AssignmentError> {
    let rows = p.rows();
    let cols = p.capacity.len();
    if rows == 0 || cols == 0 || p.cols_idx.is_empty() {
        return Ok(vec![None; rows]);
    }
    let Plan { escape, big, wide } = plan(rows, cols, p.capacity, false, p.min, p.max, || {
        max_b_matching_csr(p.start, p.cols_idx, p.capacity) == rows
    })?;
    Ok(if wide {
        SparseSolver::<i128>::new(p, escape, big).run()
    } else {
        SparseSolver::<i64>::new(p, escape, big).run()
    })
}

/// State of the sparse solver (see [`solve_csr`]).
struct SparseSolver<'a, T> {
    p: CsrProblem<'a>,
    escape: bool,
    big: T,
    slot_start: Vec<usize>,
    count: Vec<u32>,
    slot_row: Vec<u32>,
    row_slot: Vec<usize>,
    x: Vec<u32>,
    /// Cost of each matched row's edge (its implicit potential is `row_cost - v[x]`).
    row_cost: Vec<T>,
    v: Vec<T>,
    d: Vec<T>,
    pred: Vec<u32>,
    /// Cost of the edge `pred[j] → j`.
    pred_cost: Vec<T>,
    /// Search generation in which `d[j]` was last set / `j` was scanned.
    labelled: Vec<u32>,
    scanned: Vec<u32>,
    generation: u32,
    heap: BinaryHeap<Reverse<(T, bool, u32)>>,
    done: Vec<u32>,
}

impl<'a, T: Cost> SparseSolver<'a, T> {
    fn new(p: &CsrProblem<'a>, escape: bool, big: i128) -> Self {
        let (rows, cols) = (p.rows(), p.capacity.len());
        let mut slot_start = Vec::with_capacity(cols + 1);
        let mut acc = 0usize;
        for &c in p.capacity {
            slot_start.push(acc);
            acc += c as usize;
        }
        slot_start.push(acc);
        Self {
            p: *p,
            escape,
            big: if escape { T::from_i128(big) } else { T::INF },
            slot_start,
            count: vec![0; cols],
            slot_row: vec![NONE; acc],
            row_slot: vec![0; rows],
            x: vec![NONE; rows],
            row_cost: vec![T::ZERO; rows],
            v: vec![T::ZERO; cols],
            d: vec![T::ZERO; cols],
            pred: vec![0; cols],
            pred_cost: vec![T::ZERO; cols],
            labelled: vec![0; cols],
            scanned: vec![0; cols],
            generation: 0,
            heap: BinaryHeap::new(),
            done: Vec::new(),
        }
    }

    fn has_room(&self, j: usize) -> bool {
        self.count[j] < self.p.capacity[j]
    }

    fn edges(&self, i: usize) -> (&'a [u32], &'a [i64]) {
        let (a, b) = (self.p.start[i], self.p.start[i + 1]);
        (&self.p.cols_idx[a..b], &self.p.scores[a..b])
    }

    fn run(mut self) -> Vec<Option<usize>> {
        let mut free = Vec::new();
        for i in 0..self.p.rows() {
            // Greedy start: the cheapest edge, if its column has room (v = 0 everywhere).
            let (cs, ss) = self.edges(i);
            let mut best: Option<(T, usize)> = None;
            for (&j, &s) in cs.iter().zip(ss) {
                let c = T::of(s);
                if best.is_none_or(|(b, _)| c < b) {
                    best = Some((c, j as usize));
                }
            }
            match best {
                Some((c, j)) if self.has_room(j) && c < self.big => {
                    let slot = self.slot_start[j] + self.count[j] as usize;
                    self.count[j] += 1;
                    self.slot_row[slot] = ix(i);
                    self.row_slot[i] = slot;
                    self.x[i] = ix(j);
                    self.row_cost[i] = c;
                }
                _ => free.push(i),
            }
        }
        for f in free {
            self.augment(f);
        }
        self.x
            .iter()
            .map(|&j| (j < DROPPED).then_some(j as usize))
            .collect()
    }

    /// Labels column `k` with `label` via row `i` (edge cost `c`) if that improves it.
    fn relax(&mut self, k: usize, label: T, i: usize, c: T) {
        let g = self.generation;
        if self.scanned[k] == g {
            return;
        }
        if self.labelled[k] != g || label < self.d[k] {
            self.labelled[k] = g;
            self.d[k] = label;
            self.pred[k] = ix(i);
            self.pred_cost[k] = c;
            // `false` sorts first: among equal labels, columns with room come out first.
            self.heap.push(Reverse((label, !self.has_room(k), ix(k))));
        }
    }

    fn augment(&mut self, f: usize) {
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            // Stamps wrapped around: clear them so that old generations cannot alias.
            self.labelled.fill(0);
            self.scanned.fill(0);
            self.generation = 1;
        }
        let g = self.generation;
        self.heap.clear();
        self.done.clear();
        let (cs, ss) = self.edges(f);
        for (&j, &s) in cs.iter().zip(ss) {
            let c = T::of(s);
            let label = c - self.v[j as usize];
            self.relax(j as usize, label, f, c);
        }
        let (mut best_esc, mut esc_row) = (self.big, f);
        let (end, mu) = loop {
            let Some(Reverse((dj, _, j))) = self.heap.pop() else {
                break if self.escape {
                    (Some(End::Escape(esc_row)), best_esc)
                } else {
                    (None, T::ZERO)
                };
            };
            let j = j as usize;
            if self.scanned[j] == g || self.d[j] != dj {
                continue;
            }
            if self.escape && best_esc < dj {
                break (Some(End::Escape(esc_row)), best_esc);
            }
            if self.has_room(j) {
                break (Some(End::Column(j)), dj);
            }
            self.scanned[j] = g;
            self.done.push(ix(j));
            let first = self.slot_start[j];
            for slot in first..first + self.count[j] as usize {
                let i = self.slot_row[slot] as usize;
                let ui = self.row_cost[i] - self.v[j];
                if self.escape {
                    let cand = dj + (self.big - ui);
                    if cand < best_esc {
                        best_esc = cand;
                        esc_row = i;
                    }
                }
                let (cs, ss) = self.edges(i);
                for (&k, &s) in cs.iter().zip(ss) {
                    let c = T::of(s);
                    let label = dj + (c - self.v[k as usize] - ui);
                    self.relax(k as usize, label, i, c);
                }
            }
        };
        let Some(end) = end else {
            self.x[f] = DROPPED;
            return;
        };
        for k in 0..self.done.len() {
            let j = self.done[k] as usize;
            self.v[j] = self.v[j] + self.d[j] - mu;
        }
        let (mut j, mut slot) = match end {
            End::Column(j) => {
                let slot = self.slot_start[j] + self.count[j] as usize;
                self.count[j] += 1;
                (j, slot)
            }
            End::Escape(r) => {
                let (old_col, old_slot) = (self.x[r], self.row_slot[r]);
                self.x[r] = DROPPED;
                if r == f {
                    return;
                }
                (old_col as usize, old_slot)
            }
        };
        loop {
            let i = self.pred[j] as usize;
            let (old_col, old_slot) = (self.x[i], self.row_slot[i]);
            self.slot_row[slot] = ix(i);
            self.row_slot[i] = slot;
            self.x[i] = ix(j);
            self.row_cost[i] = self.pred_cost[j];
            if i == f {
                break;
            }
            j = old_col as usize;
            slot = old_slot;
        }
    }
}

/// How a sparse search ended.
enum End {
    /// At a column with a free slot.
    Column(usize),
    /// At the escape of this row.
    Escape(usize),
}

/// Solves one problem given as compressed rows, never materialising the `rows × cols` matrix:
/// row `r`'s allowed columns are `cols_idx[start[r]..start[r + 1]]` (strictly ascending) with
/// `scores` alongside; every other pair is forbidden. Same objectives, coverage first, and the
/// same coverage and optimal value as [`super::solve`] on the matching dense matrix (among
/// equally good assignments the one returned may differ). [`Objective::Total`] runs the sparse
/// kernel once; [`Objective::Fair`] binary-searches the lowest score with `O(log D)`
/// maximum-cardinality probes on the rows (as [`super::fair`]) and then solves for the total
/// above it; the other objectives rank from the scores ([`crate::matching::stable::Preferences::from_csr`]).
/// `O(rows · E log E)` worst case for `E` allowed cells, `O(rows + cols + E)` memory.
///
/// Errors: [`AssignmentError::CapacityLength`], [`AssignmentError::ShapeMismatch`] (offsets
/// not `rows + 1` non-decreasing entries within the cells, or `scores` not as long as
/// `cols_idx`), [`AssignmentError::EdgeOutOfRange`] (a column out of range),
/// [`AssignmentError::DuplicateEdge`] (a row's columns not strictly ascending),
/// [`AssignmentError::ReservedScore`], [`AssignmentError::ProblemTooLarge`], and those of
/// [`super::solve`].
///
/// ```rust
/// use mentor_match::matching::assignment::{Objective, sparse::solve_compressed};
///
/// # fn main() -> Result<(), mentor_match::matching::assignment::AssignmentError> {
/// // Row 0 may take columns 0 (9) and 1 (8), row 1 only column 0 (7).
/// let best = solve_compressed(2, &[0, 2, 3], &[0, 1, 0], &[9, 8, 7], &[1, 1], Objective::Total)?;
/// assert_eq!((best.pairs, best.total), (vec![(0, 1), (1, 0)], 15));
/// # Ok(())
/// # }
/// ```
pub fn solve_compressed(
    cols: usize,
    start: &[usize],
    cols_idx: &[u32],
    scores: &[i64],
    capacity: &[u32],
    objective: Objective,
) -> Result<Assignment, AssignmentError> {
    if capacity.len() != cols {
        return Err(AssignmentError::CapacityLength {
            expected: cols,
            actual: capacity.len(),
        });
    }
    let rows = start.len().saturating_sub(1);
    if rows.saturating_add(cols) >= u32::MAX as usize {
        return Err(AssignmentError::ProblemTooLarge);
    }
    let shape = AssignmentError::ShapeMismatch {
        expected: cols_idx.len(),
        actual: scores.len(),
    };
    if start.is_empty()
        || scores.len() != cols_idx.len()
        || start[0] != 0
        || start[rows] != cols_idx.len()
        || start.windows(2).any(|w| w[0] > w[1])
    {
        return Err(shape);
    }
    for r in 0..rows {
        let (a, b) = (start[r], start[r + 1]);
        for k in a..b {
            let c = cols_idx[k] as usize;
            if c >= cols {
                return Err(AssignmentError::EdgeOutOfRange { index: k });
            }
            if k > a && cols_idx[k - 1] >= cols_idx[k] {
                return Err(AssignmentError::DuplicateEdge { row: r, col: c });
            }
            if scores[k] == FORBIDDEN {
                return Err(AssignmentError::ReservedScore { row: r, col: c });
            }
        }
    }
    let caps: Vec<u32> = capacity
        .iter()
        .map(|&c| c.min(u32::try_from(rows).unwrap_or(u32::MAX)))
        .collect();
    let col_of_row = match objective {
        Objective::Total => solve_above(start, cols_idx, scores, &caps, i64::MIN + 1)?,
        Objective::Fair => match fair_threshold(start, cols_idx, scores, &caps) {
            Some(t) => solve_above(start, cols_idx, scores, &caps, t)?,
            None => vec![None; rows],
        },
        Objective::RankMaximal | Objective::Stable | Objective::StableMentor => {
            use crate::matching::stable::{Preferences, Proposer, deferred_acceptance};
            // Columns without capacity are left out, as the dense solve leaves them out.
            let kept = keep_above(start, cols_idx, scores, &caps, i64::MIN + 1);
            let prefs =
                Preferences::from_csr(cols, &kept.start, &kept.cols_idx, &kept.scores, &[], &[]);
            let pairs = match objective {
                Objective::StableMentor => deferred_acceptance(&prefs, &caps, Proposer::Mentors),
                Objective::Stable => deferred_acceptance(&prefs, &caps, Proposer::Mentees),
                _ => super::rank_maximal::rank_maximal(&prefs, &caps),
            };
            let mut out = vec![None; rows];
            for (r, c) in pairs {
                out[r] = Some(c);
            }
            out
        }
    };
    let mut pairs = Vec::new();
    let mut total: i128 = 0;
    for (r, c) in col_of_row.iter().enumerate() {
        if let Some(c) = *c {
            let (a, b) = (start[r], start[r + 1]);
            let k = cols_idx[a..b]
                .binary_search(&ix(c))
                .map_err(|_| AssignmentError::EdgeOutOfRange { index: a })?;
            total += i128::from(scores[a + k]);
            pairs.push((r, c));
        }
    }
    Ok(Assignment {
        matched: pairs.len(),
        pairs,
        total: i64::try_from(total).map_err(|_| AssignmentError::TotalOverflow)?,
    })
}

/// The compressed rows of the cells with a score of at least `threshold` whose column has
/// capacity.
fn keep_above(
    start: &[usize],
    cols_idx: &[u32],
    scores: &[i64],
    caps: &[u32],
    threshold: i64,
) -> Csr {
    let rows = start.len() - 1;
    let mut out = Csr {
        start: Vec::with_capacity(rows + 1),
        cols_idx: Vec::new(),
        scores: Vec::new(),
    };
    for r in 0..rows {
        out.start.push(out.cols_idx.len());
        for k in start[r]..start[r + 1] {
            if scores[k] >= threshold && caps[cols_idx[k] as usize] > 0 {
                out.cols_idx.push(cols_idx[k]);
                out.scores.push(scores[k]);
            }
        }
    }
    out.start.push(out.cols_idx.len());
    out
}

/// Coverage first, then the largest total, over the cells scoring at least `threshold`.
fn solve_above(
    start: &[usize],
    cols_idx: &[u32],
    scores: &[i64],
    caps: &[u32],
    threshold: i64,
) -> Result<Vec<Option<usize>>, AssignmentError> {
    let csr = keep_above(start, cols_idx, scores, caps, threshold);
    let (min, max) = csr
        .scores
        .iter()
        .fold((i64::MAX, i64::MIN), |(lo, hi), &s| (lo.min(s), hi.max(s)));
    solve_csr(&CsrProblem {
        start: &csr.start,
        cols_idx: &csr.cols_idx,
        scores: &csr.scores,
        capacity: caps,
        min,
        max,
    })
}

/// The largest lowest-score a maximum-coverage assignment can have (binary search over the
/// distinct scores, one maximum b-matching per probe); `None` when nothing can be matched.
fn fair_threshold(start: &[usize], cols_idx: &[u32], scores: &[i64], caps: &[u32]) -> Option<i64> {
    let matched_above = |t: i64| {
        let csr = keep_above(start, cols_idx, scores, caps, t);
        max_b_matching_csr(&csr.start, &csr.cols_idx, caps)
    };
    let full = matched_above(i64::MIN + 1);
    if full == 0 {
        return None;
    }
    let mut values = scores.to_vec();
    values.sort_unstable();
    values.dedup();
    let (mut lo, mut hi) = (0usize, values.len());
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if matched_above(values[mid]) == full {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    values.get(lo).copied()
}
