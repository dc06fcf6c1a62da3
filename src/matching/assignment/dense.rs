//! Dense shortest-augmenting-path solver (Jonker–Volgenant), with column capacities.
//!
//! # Formulation
//! Scores are maximised by minimising `cost = -score`. Rows are processed one at a time; each
//! free row grows a Dijkstra tree over the *columns* with dense label arrays (`d`, `pred`) and
//! column potentials `v` (row potentials are implicit: a matched row `i` in column `j` has
//! `u_i = c_ij - v_j`, so every matched edge is tight). All columns whose label equals the
//! current minimum are moved to a scan list at once and checked for spare capacity before any
//! of them is scanned, which is what makes tie-heavy matrices fast.
//!
//! **Capacities** are native, not a dense copy with repeated columns: a column `j` owns
//! `capacity[j]` *slots*; it is "free" while a slot is empty. When the Dijkstra reaches a full
//! column it forwards the path through *every row the column holds* (each such row is scanned
//! like the single holder of a unit column), and augmenting moves each row on the path into the
//! slot vacated by the next one. A column's fill count never decreases, so columns with spare
//! capacity keep potential 0 (the complementary-slackness condition of the `≤ capacity`
//! constraint) and the usual Jonker–Volgenant optimality argument carries over unchanged.
//!
//! **Coverage first.** When a block cannot match every row — it has more rows than capacity,
//! or it has forbidden cells and a maximum-cardinality matching ([`super::cardinality`]) comes
//! out short — every row gets a private *escape* column (leaving the row unmatched) of cost
//! `BIG = max_cost + n·range + 1`, with `n = min(rows, capacity)` (just `max_cost + 1` in a
//! complete block, where a dropped row could always take a free slot instead). Any assignment
//! with one more matched row is then strictly cheaper, so the minimum-cost solution is a
//! maximum-cardinality one, and among those the cheapest. Escape columns are not stored: a row
//! that takes its escape can never be reached again (its escape is private), so it is simply
//! marked dropped; during a Dijkstra only the best escape label is tracked. Without escapes
//! every row is matched and the problem is a plain assignment problem.
//!
//! **Initialisation** (unit capacities only): a square block without escapes gets column
//! reduction and reduction transfer; every unit block then gets two rounds of augmenting row
//! reduction (bounded work), extended so that on a tie a row takes an *empty* column at its
//! minimum rather than displacing another row. Capacitated blocks start from a greedy
//! assignment of each row to its best column when that column has a free slot. All of these
//! keep every matched row at the minimum of its reduced costs, the invariant the augmenting
//! phase needs (and leave empty columns at potential 0 in rectangular blocks).
//!
//! **Repeated rows.** A row may stand for several solver rows ([`Problem::row_owner`]): a
//! column of capacity `k` solved from the other side is `k` identical rows, each matched
//! separately and read from the one score row, so the transpose of a capacitated block needs no
//! copy per place. Nothing else changes: the solver rows are independent rows that happen to
//! have equal costs.
//!
//! # Complexity
//! `O(rows² · cols)` time in the worst case (each augmentation is one dense Dijkstra), typically
//! far less thanks to the initialisation, plus one `O(E·√V)` matching for blocks with forbidden
//! cells; `O(rows + cols + slots)` memory besides the matrix (and `O(E)` for that matching).
//!
//! # Guarantees and errors
//! Exact optimum of the coverage-first objective. Arithmetic is done in `i64` when a
//! conservative bound on every label and potential fits, else in `i128`; if even that bound
//! overflows the solve returns [`AssignmentError::ScoreRangeTooLarge`]. Blocks with more than
//! `u32::MAX - 2` rows or columns return [`AssignmentError::ProblemTooLarge`] (the callers
//! already reject such sizes).

use std::ops::{Add, Sub};

use super::cardinality::max_b_matching;
use super::{AssignmentError, Cell, ix};

/// One block to solve: a row-major score matrix and the capacity of each column (all ≥ 1).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Problem<'a, S: Cell> {
    /// Row-major `rows × cols` scores, [`Cell::FORBIDDEN`] where not allowed.
    pub scores: &'a [S],
    /// Number of rows.
    pub rows: usize,
    /// Number of columns.
    pub cols: usize,
    /// Capacity of each column; must be ≥ 1 (zero-capacity columns are removed beforehand).
    pub capacity: &'a [u32],
    /// True when no cell is forbidden (lets the solver skip the forbidden checks).
    pub complete: bool,
    /// Smallest allowed score.
    pub min: i64,
    /// Largest allowed score.
    pub max: i64,
    /// When not empty, solver row `i` reads score row `row_owner[i]` (`rows` is then
    /// `row_owner.len()`): a row repeated once per unit of its demand, without a copy.
    /// Meant for complete blocks (an incomplete one is then solved with escapes).
    pub row_owner: &'a [u32],
}

/// Integer type used for costs, labels and potentials.
pub(crate) trait Cost: Copy + Ord + Add<Output = Self> + Sub<Output = Self> {
    const ZERO: Self;
    /// Larger than any reachable label; only ever compared, never added to.
    const INF: Self;
    /// The cost of a score (its negation, as scores are maximised).
    fn of(score: i64) -> Self;
    /// Conversion of a value already proven to fit.
    fn from_i128(x: i128) -> Self;
}

impl Cost for i64 {
    const ZERO: Self = 0;
    const INF: Self = i64::MAX;
    #[inline(always)]
    fn of(score: i64) -> Self {
        // Allowed scores are never i64::MIN (that is FORBIDDEN), so this cannot overflow.
        score.wrapping_neg()
    }
    fn from_i128(x: i128) -> Self {
        i64::try_from(x).unwrap_or(i64::MAX)
    }
}

impl Cost for i128 {
    const ZERO: Self = 0;
    const INF: Self = i128::MAX;
    #[inline(always)]
    fn of(score: i64) -> Self {
        -(score as i128)
    }
    fn from_i128(x: i128) -> Self {
        x
    }
}

/// No column (a free row) / no row.
pub(crate) const NONE: u32 = u32::MAX;
/// A row that took its escape: unmatched for good.
pub(crate) const DROPPED: u32 = u32::MAX - 1;
/// Augmenting-row-reduction steps allowed per row and column in each of the two rounds; the
/// cap only bounds pathological inputs (reduction is optional work) and enters the overflow
/// bound below.
const ARR_STEPS: usize = 8;

/// Escape and arithmetic decisions shared by the dense and sparse solvers.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Plan {
    /// Rows may stay unmatched, so every row gets an escape.
    pub escape: bool,
    /// Cost of an escape (meaningful only with `escape`).
    pub big: i128,
    /// `i128` arithmetic is needed (else `i64`).
    pub wide: bool,
}

/// Decides escapes, their cost and the integer width. `can_match_all` is called only for
/// incomplete blocks that have enough capacity, and must say whether every row can be matched.
pub(crate) fn plan(
    rows: usize,
    cols: usize,
    capacity: &[u32],
    complete: bool,
    min: i64,
    max: i64,
    can_match_all: impl FnOnce() -> bool,
) -> Result<Plan, AssignmentError> {
    if rows >= DROPPED as usize || cols >= DROPPED as usize {
        return Err(AssignmentError::ProblemTooLarge);
    }
    let total_cap: u64 = capacity.iter().map(|&c| u64::from(c)).sum();
    // Escapes are only needed when some row may stay unmatched. With forbidden cells that is
    // settled up front by a maximum-cardinality matching: when every row can be matched the
    // problem is a plain (rectangular or square) assignment, which allows column reduction and
    // keeps the free columns' potentials unconstrained.
    let escape = (rows as u64) > total_cap || (!complete && !can_match_all());
    let n = (rows as u64).min(total_cap) as i128;
    let range = i128::from(max) - i128::from(min);
    let cmax = -i128::from(min);
    let cabs = i128::from(min)
        .unsigned_abs()
        .max(i128::from(max).unsigned_abs());
    let cabs = i128::try_from(cabs).unwrap_or(i128::MAX);
    // In a complete block any escape cost above every real cost already forces maximum
    // coverage (a dropped row could always take a free slot for less), and a small escape cost
    // keeps the searches that end in an escape short. With forbidden cells, one more matched
    // row may need a whole alternating path, hence the `n · range` margin.
    let big = if complete {
        Some(cmax + 1)
    } else {
        n.checked_mul(range).and_then(|x| x.checked_add(cmax + 1))
    }
    .ok_or(AssignmentError::ScoreRangeTooLarge)?;
    let magnitude = if escape { cabs.max(big.abs()) } else { cabs } + 1;
    // Labels are sums of at most rows+cols reduced costs plus potentials, which drift by at
    // most one cost range per reduction step: this product bounds every intermediate value.
    let nm = (rows + cols + 2) as i128;
    let steps = (2 * ARR_STEPS * (rows + cols)) as i128;
    let bound = nm
        .checked_mul(nm + steps)
        .and_then(|x| x.checked_mul(8))
        .and_then(|x| x.checked_mul(magnitude))
        .ok_or(AssignmentError::ScoreRangeTooLarge)?;
    if bound <= i128::from(i64::MAX) {
        Ok(Plan {
            escape,
            big,
            wide: false,
        })
    } else if bound <= i128::MAX / 8 {
        Ok(Plan {
            escape,
            big,
            wide: true,
        })
    } else {
        Err(AssignmentError::ScoreRangeTooLarge)
    }
}

/// Solves one block, maximising coverage then total score. Returns the column of each row.
pub(crate) fn solve_max<S: Cell>(
    p: &Problem<'_, S>,
) -> Result<Vec<Option<usize>>, AssignmentError> {
    if p.rows == 0 || p.cols == 0 || p.min > p.max {
        // No allowed cell at all (min > max): nothing can be matched.
        return Ok(vec![None; p.rows]);
    }
    let Plan { escape, big, wide } =
        plan(p.rows, p.cols, p.capacity, p.complete, p.min, p.max, || {
            p.row_owner.is_empty()
                && max_b_matching(p.scores, p.rows, p.cols, p.capacity, i64::MIN + 1) == p.rows
        })?;
    Ok(match (wide, p.complete) {
        (false, true) => Solver::<S, i64, false>::new(p, escape, big).solve(),
        (false, false) => Solver::<S, i64, true>::new(p, escape, big).solve(),
        (true, true) => Solver::<S, i128, false>::new(p, escape, big).solve(),
        (true, false) => Solver::<S, i128, true>::new(p, escape, big).solve(),
    })
}

/// How a Dijkstra search ended.
enum End {
    /// At a column with a free slot.
    Column(usize),
    /// At the escape of this row (it becomes unmatched).
    Escape(usize),
    /// Nothing reachable (only possible without escapes, i.e. never for valid blocks).
    Dead,
}

/// Solver state; `FORB` says whether forbidden cells must be skipped.
struct Solver<'a, S, T, const FORB: bool> {
    s: &'a [S],
    /// Score row of each solver row (empty: the identity), see [`Problem::row_owner`].
    owner: &'a [u32],
    n: usize,
    m: usize,
    cap: &'a [u32],
    unit: bool,
    escape: bool,
    big: T,
    /// First slot of each column (prefix sums of capacities).
    start: Vec<usize>,
    /// Filled slots of each column.
    count: Vec<u32>,
    /// Row held by each slot.
    slot_row: Vec<u32>,
    /// Slot held by each matched row.
    row_slot: Vec<usize>,
    /// Column of each row (`NONE` = free, `DROPPED` = left unmatched for good).
    x: Vec<u32>,
    v: Vec<T>,
    d: Vec<T>,
    pred: Vec<u32>,
    collist: Vec<u32>,
}

impl<'a, S: Cell, T: Cost, const FORB: bool> Solver<'a, S, T, FORB> {
    fn new(p: &Problem<'a, S>, escape: bool, big: i128) -> Self {
        let mut start = Vec::with_capacity(p.cols + 1);
        let mut acc = 0usize;
        for &c in p.capacity {
            start.push(acc);
            acc += c as usize;
        }
        start.push(acc);
        Self {
            s: p.scores,
            owner: p.row_owner,
            n: p.rows,
            m: p.cols,
            cap: p.capacity,
            unit: p.capacity.iter().all(|&c| c == 1),
            escape,
            big: if escape { T::from_i128(big) } else { T::INF },
            start,
            count: vec![0; p.cols],
            slot_row: vec![NONE; acc],
            row_slot: vec![0; p.rows],
            x: vec![NONE; p.rows],
            v: vec![T::ZERO; p.cols],
            d: vec![T::ZERO; p.cols],
            pred: vec![0; p.cols],
            collist: vec![0; p.cols],
        }
    }

    /// [`Self::run`] in the widest build the processor can run: the label scans compare and
    /// take minima of 64-bit labels, which the x86-64 baseline cannot do in vector registers,
    /// AVX2 does four at a time with a compare and a blend, and AVX-512 eight at a time in
    /// one instruction.
    fn solve(self) -> Vec<Option<usize>> {
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("avx512vl")
            {
                // SAFETY: the processor running this has AVX-512F and AVX-512VL, just checked.
                return unsafe { self.run_avx512() };
            }
            if std::is_x86_feature_detected!("avx2") {
                // SAFETY: the processor running this has AVX2, just checked.
                return unsafe { self.run_avx2() };
            }
        }
        self.run()
    }

    /// [`Self::run`] compiled for AVX2 (everything it calls is inlined into it).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn run_avx2(self) -> Vec<Option<usize>> {
        self.run()
    }

    /// [`Self::run`] compiled for AVX-512 (F and VL, besides AVX2).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,avx512f,avx512vl")]
    fn run_avx512(self) -> Vec<Option<usize>> {
        self.run()
    }

    #[inline(always)]
    fn run(mut self) -> Vec<Option<usize>> {
        let free = if self.unit {
            let free = if self.n == self.m && !self.escape {
                self.column_reduction()
            } else {
                (0..ix(self.n)).collect()
            };
            self.augmenting_row_reduction(free)
        } else {
            self.greedy()
        };
        for f in free {
            self.augment(f as usize);
        }
        self.x
            .iter()
            .map(|&j| (j < DROPPED).then_some(j as usize))
            .collect()
    }

    #[inline(always)]
    fn row(&self, i: usize) -> &'a [S] {
        let r = if self.owner.is_empty() {
            i
        } else {
            self.owner[i] as usize
        };
        &self.s[r * self.m..(r + 1) * self.m]
    }

    #[inline(always)]
    fn has_room(&self, j: usize) -> bool {
        self.count[j] < self.cap[j]
    }

    /// The first column of `collist[range]` with a free slot: a search ends there.
    #[inline(always)]
    fn first_with_room(&self, range: std::ops::Range<usize>) -> Option<usize> {
        self.collist[range]
            .iter()
            .map(|&j| j as usize)
            .find(|&j| self.has_room(j))
    }

    /// Holder of a unit column, `NONE` if empty.
    #[inline(always)]
    fn holder(&self, j: usize) -> u32 {
        if self.count[j] == 0 {
            NONE
        } else {
            self.slot_row[self.start[j]]
        }
    }

    fn place(&mut self, i: usize, j: usize) {
        let slot = self.start[j] + self.count[j] as usize;
        self.count[j] += 1;
        self.slot_row[slot] = ix(i);
        self.row_slot[i] = slot;
        self.x[i] = ix(j);
    }

    /// Unit columns only: makes `i` the holder of `j`, returning the displaced row.
    fn take_unit(&mut self, i: usize, j: usize) -> u32 {
        let old = self.holder(j);
        if old != NONE {
            self.x[old as usize] = NONE;
            self.count[j] = 0;
        }
        let prev = self.x[i];
        if prev < DROPPED {
            self.count[prev as usize] = 0;
        }
        self.place(i, j);
        old
    }

    /// Column reduction and reduction transfer (square unit blocks where every row can be
    /// matched, so every column has an allowed cell). Returns the rows left free.
    #[inline(always)]
    fn column_reduction(&mut self) -> Vec<u32> {
        let (n, m) = (self.n, self.m);
        // Column minima in one row-major pass: a column-wise scan would stride through memory.
        let cost = |sc: S| {
            if FORB && sc == S::FORBIDDEN {
                T::INF
            } else {
                T::of(sc.score())
            }
        };
        let mut colmin: Vec<T> = self.row(0).iter().map(|&s| cost(s)).collect();
        let mut argmin = vec![0u32; m];
        for i in 1..n {
            for (j, &sc) in self.row(i).iter().enumerate() {
                let c = cost(sc);
                if c < colmin[j] {
                    colmin[j] = c;
                    argmin[j] = ix(i);
                }
            }
        }
        let mut matches = vec![0u32; n];
        for j in (0..m).rev() {
            let i = argmin[j] as usize;
            self.v[j] = colmin[j];
            matches[i] += 1;
            if matches[i] == 1 {
                self.take_unit(i, j);
            } else {
                let j1 = self.x[i] as usize;
                if self.v[j] < self.v[j1] {
                    self.take_unit(i, j);
                }
            }
        }
        let mut free = Vec::new();
        for (i, &count) in matches.iter().enumerate() {
            match count {
                0 => free.push(ix(i)),
                1 => {
                    // Reduction transfer: lower the column's potential so the row's reduced
                    // cost elsewhere starts at zero, which lets later searches stop sooner.
                    let j1 = self.x[i] as usize;
                    let mut min = T::INF;
                    for (j, &sc) in self.row(i).iter().enumerate() {
                        // A forbidden cell's cost is INF, never below `min`.
                        let h = reduced::<S, T, FORB>(sc, self.v[j]);
                        if j != j1 && h < min {
                            min = h;
                        }
                    }
                    if min < T::INF {
                        self.v[j1] = self.v[j1] - min;
                    }
                }
                _ => {}
            }
        }
        free
    }

    /// Two rounds of augmenting row reduction (unit capacities). Returns the rows still free.
    #[inline(always)]
    fn augmenting_row_reduction(&mut self, mut free: Vec<u32>) -> Vec<u32> {
        let mut deferred = Vec::new();
        let budget = ARR_STEPS * (self.n + self.m);
        for _round in 0..2 {
            let mut next = Vec::new();
            let mut k = 0;
            let mut steps = 0usize;
            while k < free.len() {
                let i = free[k] as usize;
                k += 1;
                steps += 1;
                if steps > budget {
                    next.push(ix(i));
                    continue;
                }
                let TwoSmallest {
                    umin,
                    mut usub,
                    j1,
                    mut j2,
                    jf,
                } = two_smallest::<S, T, FORB>(self.row(i), &self.v, &self.count);
                if self.escape {
                    // The private escape (potential 0) competes like a column: a row that
                    // prefers it is left to the augmenting phase, and it caps the reduction.
                    if j1 == NONE || umin >= self.big {
                        deferred.push(ix(i));
                        continue;
                    }
                    if self.big <= usub {
                        usub = self.big;
                        j2 = NONE;
                    }
                } else if j1 == NONE {
                    deferred.push(ix(i));
                    continue;
                }
                let j1 = j1 as usize;
                let i0 = self.holder(j1);
                if umin < usub && usub < T::INF {
                    self.v[j1] = self.v[j1] - (usub - umin);
                    self.take_unit(i, j1);
                    if i0 != NONE {
                        // Continue the same alternating path with the displaced row.
                        k -= 1;
                        free[k] = i0;
                    }
                } else if i0 != NONE && jf != NONE {
                    self.take_unit(i, jf as usize);
                } else {
                    let (jj, ii) = if i0 != NONE && j2 != NONE {
                        (j2 as usize, self.holder(j2 as usize))
                    } else {
                        (j1, i0)
                    };
                    self.take_unit(i, jj);
                    if ii != NONE {
                        next.push(ii);
                    }
                }
            }
            free = next;
        }
        free.extend(deferred);
        free
    }

    /// Capacitated start: each row takes a free slot in its cheapest column, if there is one.
    #[inline(always)]
    fn greedy(&mut self) -> Vec<u32> {
        let mut free = Vec::new();
        for i in 0..self.n {
            let row = self.row(i);
            let mut umin = T::INF;
            let mut pick = NONE;
            for (j, &sc) in row.iter().enumerate() {
                if FORB && sc == S::FORBIDDEN {
                    continue;
                }
                let h = T::of(sc.score());
                if h < umin {
                    umin = h;
                    pick = if self.has_room(j) { ix(j) } else { NONE };
                } else if h == umin && pick == NONE && self.has_room(j) {
                    pick = ix(j);
                }
            }
            if pick != NONE && umin < self.big {
                self.place(i, pick as usize);
            } else {
                free.push(ix(i));
            }
        }
        free
    }

    /// One shortest augmenting path from free row `f` (dense Dijkstra over columns).
    ///
    /// Columns are *done* (`collist[..low]`), *ready* (`collist[low..up]`, at the current
    /// minimum label `mu`, to be scanned) or *to do* (the rest). Labels only fall, and never
    /// below `mu` (reduced costs are non-negative), so a column is to do exactly when its label
    /// exceeds `mu`: the scans run over every column in memory order, without a list of the
    /// columns to do, and each returns the least label among those still to do.
    #[inline(always)]
    fn augment(&mut self, f: usize) {
        let m = self.m;
        let mut next = T::INF;
        for (j, &sc) in self.row(f).iter().enumerate() {
            self.pred[j] = ix(f);
            let h = reduced::<S, T, FORB>(sc, self.v[j]);
            self.d[j] = h;
            next = next.min(h);
        }
        let (mut best_esc, mut esc_row) = (self.big, f);
        let (mut low, mut up) = (0usize, 0usize);
        let mut mu = T::ZERO;
        let end = 'search: loop {
            if low == up {
                // Every column still to do was relaxed by the last scan, which found `next`.
                if self.escape && best_esc < next {
                    break End::Escape(esc_row);
                }
                if next == T::INF {
                    break if self.escape {
                        End::Escape(esc_row)
                    } else {
                        End::Dead
                    };
                }
                mu = next;
                // Labels of done columns are below `mu`, so these are all to do.
                let first = up;
                up = ready_at(
                    &self.d[..m],
                    &self.pred[..m],
                    |x, _| x == mu,
                    &mut self.collist,
                    up,
                );
                if let Some(j) = self.first_with_room(first..up) {
                    break 'search End::Column(j);
                }
            }
            let j1 = self.collist[low] as usize;
            low += 1;
            let first = self.start[j1];
            for slot in first..first + self.count[j1] as usize {
                let i = self.slot_row[slot] as usize;
                let rowi = self.row(i);
                let ui = T::of(rowi[j1].score()) - self.v[j1];
                let h = mu - ui;
                if self.escape {
                    let cand = mu + (self.big - ui);
                    if cand < best_esc {
                        best_esc = cand;
                        esc_row = i;
                    }
                }
                next = relax_columns::<S, T, FORB>(
                    rowi,
                    &self.v,
                    &mut self.d,
                    &mut self.pred,
                    ix(i),
                    h,
                    mu,
                );
                if next == mu {
                    // Some columns reached `mu` through row `i`: they are ready now (the
                    // ones at `mu` from before have other predecessors).
                    let first = up;
                    up = ready_at(
                        &self.d[..m],
                        &self.pred[..m],
                        |x, p| (x == mu) & (p == ix(i)),
                        &mut self.collist,
                        up,
                    );
                    if let Some(j) = self.first_with_room(first..up) {
                        break 'search End::Column(j);
                    }
                }
            }
        };
        let mu_final = match end {
            End::Column(_) => mu,
            End::Escape(_) => best_esc,
            End::Dead => {
                self.x[f] = DROPPED;
                return;
            }
        };
        for k in 0..low {
            let j = self.collist[k] as usize;
            self.v[j] = self.v[j] + self.d[j] - mu_final;
        }
        let (mut j, mut slot) = match end {
            End::Column(j) => {
                let slot = self.start[j] + self.count[j] as usize;
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
            End::Dead => return,
        };
        loop {
            let i = self.pred[j] as usize;
            let (old_col, old_slot) = (self.x[i], self.row_slot[i]);
            self.slot_row[slot] = ix(i);
            self.row_slot[i] = slot;
            self.x[i] = ix(j);
            if i == f {
                break;
            }
            j = old_col as usize;
            slot = old_slot;
        }
    }
}

/// Relaxes every column's label through row `i` (reduced cost offset `h`) at the current
/// minimum `mu`, recording `i` as the predecessor where a label falls. Returns the least label
/// among the columns that were to do (label above `mu`) before the scan, which is `mu` exactly
/// when some of them reached it. `O(cols)`, one pass in memory order without branches, which
/// the compiler turns into vector code (four or eight columns at a time in the AVX2 and
/// AVX-512 builds, see [`Solver::solve`]).
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn relax_columns<S: Cell, T: Cost, const FORB: bool>(
    row: &[S],
    v: &[T],
    d: &mut [T],
    pred: &mut [u32],
    i: u32,
    h: T,
    mu: T,
) -> T {
    let n = row.len();
    let (v, d, pred) = (&v[..n], &mut d[..n], &mut pred[..n]);
    let mut least = T::INF;
    for j in 0..n {
        let sc = row[j];
        // Forbidden cells get a stand-in score and are masked out: they are scattered at
        // random, so a branch on them would mispredict constantly.
        let ok = !(FORB && sc == S::FORBIDDEN);
        let cred = T::of(if ok { sc.score() } else { 0 }) - v[j] + h;
        let old = d[j];
        let better = ok & (cred < old);
        let new = if better { cred } else { old };
        d[j] = new;
        pred[j] = if better { i } else { pred[j] };
        let key = if old > mu { new } else { T::INF };
        least = if key < least { key } else { least };
    }
    least
}

/// Appends to `list[up..]` every column `j` (in order) that `is_ready(d[j], pred[j])`
/// accepts (its label is at the current minimum, and it may have to have been reached through
/// a given row); returns the new end. Blocks without such a column are skipped with one vector
/// compare each, so the test must be branch-free (`&`, not `&&`).
#[inline(always)]
fn ready_at<T: Cost>(
    d: &[T],
    pred: &[u32],
    is_ready: impl Fn(T, u32) -> bool,
    list: &mut [u32],
    mut up: usize,
) -> usize {
    const BLOCK: usize = 16;
    for (b, (labels, preds)) in d.chunks(BLOCK).zip(pred.chunks(BLOCK)).enumerate() {
        let any = labels
            .iter()
            .zip(preds)
            .fold(false, |any, (&x, &p)| any | is_ready(x, p));
        if !any {
            continue;
        }
        for (k, (&x, &p)) in labels.iter().zip(preds).enumerate() {
            if is_ready(x, p) {
                list[up] = ix(b * BLOCK + k);
                up += 1;
            }
        }
    }
    up
}

/// The two smallest reduced costs of a row, ordered by (cost, column): `j1` is the first column
/// at the minimum `umin`, `j2` the next column by that order (a second column at the minimum,
/// else the first at the next cost), `NONE` where there is none. `jf` is the first *empty*
/// column at the minimum: on a tie the row takes it without displacing anyone (plain JV only
/// looks at two columns and often displaces).
struct TwoSmallest<T> {
    umin: T,
    usub: T,
    j1: u32,
    j2: u32,
    jf: u32,
}

/// Lanes of [`two_smallest`]'s first pass: columns `j ≡ lane (mod LANES)` are ranked apart,
/// so the pass is independent min/second-min chains that the compiler keeps in vector
/// registers (four AVX2 or two AVX-512 registers of `i64` labels, see [`Solver::solve`]).
const LANES: usize = 16;

/// Reduced cost of a cell under its column's potential, [`Cost::INF`] for a forbidden cell;
/// a select rather than a branch, as forbidden cells are scattered at random.
#[inline(always)]
fn reduced<S: Cell, T: Cost, const FORB: bool>(sc: S, v: T) -> T {
    let ok = !(FORB && sc == S::FORBIDDEN);
    let h = T::of(if ok { sc.score() } else { 0 }) - v;
    if ok { h } else { T::INF }
}

/// [`TwoSmallest`] of row `row` under potentials `v` (`count` tells the empty columns), in two
/// passes over the row, both in memory order and without data-dependent branches per column:
/// the first finds the two smallest costs (with repeats), lane by lane; the second finds the
/// columns holding them, skipping blocks that hold neither with one vector compare each, and
/// stops once every column it looks for is found. Ties are ordered by column, exactly as one
/// scan in column order would order them. `O(cols)`.
#[inline(always)]
fn two_smallest<S: Cell, T: Cost, const FORB: bool>(
    row: &[S],
    v: &[T],
    count: &[u32],
) -> TwoSmallest<T> {
    let cols = row.len().min(v.len()).min(count.len());
    let (row, v, count) = (&row[..cols], &v[..cols], &count[..cols]);
    let mut lo = [T::INF; LANES];
    let mut hi = [T::INF; LANES];
    let mut take = |l: usize, h: T| {
        // The second smallest so far is the smaller of the old second and of the larger of
        // (old smallest, new cost).
        hi[l] = hi[l].min(lo[l].max(h));
        lo[l] = lo[l].min(h);
    };
    let mut cells = row.chunks_exact(LANES);
    let mut potentials = v.chunks_exact(LANES);
    for (r, w) in (&mut cells).zip(&mut potentials) {
        for l in 0..LANES {
            take(l, reduced::<S, T, FORB>(r[l], w[l]));
        }
    }
    for (l, (&sc, &w)) in cells
        .remainder()
        .iter()
        .zip(potentials.remainder())
        .enumerate()
    {
        take(l, reduced::<S, T, FORB>(sc, w));
    }
    // The two smallest of the row (with repeats) are among the lanes' two smallest.
    let (mut umin, mut usub) = (T::INF, T::INF);
    for h in lo.into_iter().chain(hi) {
        usub = usub.min(umin.max(h));
        umin = umin.min(h);
    }
    let none = TwoSmallest {
        umin,
        usub,
        j1: NONE,
        j2: NONE,
        jf: NONE,
    };
    if umin == T::INF {
        // Every cell forbidden.
        return none;
    }
    // A forbidden cell's cost is INF: a second smallest of INF means there is no second column.
    let want_sub = usub < T::INF;
    let TwoSmallest {
        mut j1,
        mut j2,
        mut jf,
        ..
    } = none;
    const BLOCK: usize = 16;
    for (b, (r, w)) in row.chunks(BLOCK).zip(v.chunks(BLOCK)).enumerate() {
        let hit = r.iter().zip(w).fold(false, |any, (&sc, &w)| {
            let h = reduced::<S, T, FORB>(sc, w);
            any | (h == umin) | (want_sub & (h == usub))
        });
        if !hit {
            continue;
        }
        for (k, (&sc, &w)) in r.iter().zip(w).enumerate() {
            let h = reduced::<S, T, FORB>(sc, w);
            let j = b * BLOCK + k;
            if h == umin {
                if j1 == NONE {
                    j1 = ix(j);
                } else if usub == umin && j2 == NONE {
                    j2 = ix(j);
                }
                if jf == NONE && count[j] == 0 {
                    jf = ix(j);
                }
            } else if want_sub && h == usub && j2 == NONE {
                j2 = ix(j);
            }
        }
        if j1 != NONE && (j2 != NONE || !want_sub) && jf != NONE {
            break;
        }
    }
    TwoSmallest {
        umin,
        usub,
        j1,
        j2,
        jf,
    }
}

#[cfg(test)]
mod tests {
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    use super::*;

    /// The assignment of every build of [`Solver::run`] this processor can run, by name: the
    /// dispatch in [`Solver::solve`] picks one, so the others are checked here.
    fn every_build<S: Cell, T: Cost, const FORB: bool>(
        p: &Problem<'_, S>,
        plan: Plan,
    ) -> Vec<(&'static str, Vec<Option<usize>>)> {
        let solver = || Solver::<S, T, FORB>::new(p, plan.escape, plan.big);
        #[allow(unused_mut)]
        let mut builds = vec![("baseline", solver().run())];
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx2") {
                // SAFETY: the processor has AVX2, just checked.
                builds.push(("avx2", unsafe { solver().run_avx2() }));
            }
            if std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("avx512vl")
            {
                // SAFETY: the processor has AVX-512F and AVX-512VL, just checked.
                builds.push(("avx512", unsafe { solver().run_avx512() }));
            }
        }
        builds
    }

    fn check_builds_agree<S: Cell>(rng: &mut StdRng, case: usize, wide_scores: bool) {
        let rows = rng.random_range(1..40);
        let cols = rng.random_range(1..70);
        let hi = [0, 3, 100, 10_000][rng.random_range(0..4)];
        let forbid = [0.0, 0.3, 0.8][rng.random_range(0..3)];
        let capacity: Vec<u32> = if rng.random_bool(0.5) {
            vec![1; cols]
        } else {
            (0..cols).map(|_| rng.random_range(1..4)).collect()
        };
        let scale = if wide_scores { 1_i64 << 40 } else { 1 };
        let scores: Vec<S> = (0..rows * cols)
            .map(|_| {
                if rng.random_bool(forbid) {
                    S::FORBIDDEN
                } else {
                    S::from_score(rng.random_range(0..=hi) * scale)
                }
            })
            .collect();
        let allowed = || scores.iter().filter(|&&s| s != S::FORBIDDEN);
        let min = allowed().map(|s| s.score()).min().unwrap_or(1);
        let max = allowed().map(|s| s.score()).max().unwrap_or(0);
        let complete = allowed().count() == scores.len();
        let p = Problem {
            scores: &scores,
            rows,
            cols,
            capacity: &capacity,
            complete,
            min,
            max,
            row_owner: &[],
        };
        let Ok(plan) = plan(rows, cols, &capacity, complete, min, max, || {
            max_b_matching(&scores, rows, cols, &capacity, i64::MIN + 1) == rows
        }) else {
            return;
        };
        let builds = match (plan.wide, complete) {
            (false, true) => every_build::<S, i64, false>(&p, plan),
            (false, false) => every_build::<S, i64, true>(&p, plan),
            (true, true) => every_build::<S, i128, false>(&p, plan),
            (true, false) => every_build::<S, i128, true>(&p, plan),
        };
        let (_, first) = &builds[0];
        for (name, assignment) in &builds[1..] {
            assert_eq!(
                assignment, first,
                "case {case}: the {name} build differs from the baseline ({rows}×{cols})"
            );
        }
    }

    #[test]
    fn every_build_of_the_solver_gives_the_same_assignment() {
        let mut rng = StdRng::seed_from_u64(29);
        for case in 0..300 {
            check_builds_agree::<i32>(&mut rng, case, false);
            check_builds_agree::<i64>(&mut rng, case, case % 3 == 0);
        }
    }
}
