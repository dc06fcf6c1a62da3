//! The rank-maximal objective: coverage first, then as many mentees with
//! their first choice as possible, then as many with their second, and so
//! on (the mentees' ranks of [`Preferences`]: wishes, then score).
//!
//! # Model
//!
//! A min-cost flow whose costs are *vectors* of `ℤ^R` compared
//! lexicographically (`R` the longest preference list): source → each
//! mentee, mentee → each allowed mentor, mentor → sink with the mentor's
//! capacity. The edge of rank `k` costs `e₀ − e_k` (zero for a first
//! choice), so every cost is non-negative and an assignment of `m` mentees
//! costs `(m − n₀, −n₁, −n₂, …)`: all maximum flows having the same size,
//! the cheapest one has the lexicographically largest signature
//! `(n₀, n₁, …)`. No weights `n^(R−k)` are formed, so nothing can overflow.
//!
//! # Algorithm (primal–dual successive shortest paths)
//!
//! 1. Every mentee takes its first choice while that mentor has room. This
//!    flow costs zero, so it is a cheapest flow of its size and the zero
//!    potentials are feasible: far fewer augmentations remain.
//! 2. A Dijkstra from all free mentees at once over the residual graph, on
//!    reduced costs (a binary heap keyed by the reduced-distance vector,
//!    ties by node index), stops at the first mentor with room — the sink.
//!    Potentials are then raised by `min(d, d_sink)`, which keeps every
//!    reduced cost non-negative and makes the shortest paths *tight*
//!    (reduced cost zero).
//! 3. The path found is augmented, then as many further tight paths as
//!    exist (a depth-first search per free mentee over the tight edges;
//!    a mentee whose search fails is done for the phase, and so is every
//!    node that search visited). Each such path is a shortest one, so the
//!    flow stays a cheapest flow of its size, and at the end of the phase
//!    no tight path is left: the next shortest distance is strictly larger.
//! 4. Repeat until no augmenting path is left: the flow is then maximum
//!    (coverage) and cheapest among maximum flows (signature).
//!
//! Labels are kept as true path costs `L = d + p` (free mentees keep
//! potential zero), so a relaxation compares `L(u) + cost` with `L(v)`
//! without touching the potentials; the heap orders by `d = L − p`. Each
//! vector is an `i32` row of a flat preallocated array with the end of its
//! support tracked (path costs only touch the ranks on the path, so
//! supports are short), and every operation — compare, copy, add — runs
//! over the supports only, by chunks, with early exits; nothing is
//! allocated per operation. Coordinates are costs of simple paths or
//! differences of a few of them, so bounded by a small multiple of
//! `rows + cols` (asserted below 2²⁸). Whether an edge is tight is checked
//! by a linear hash of the potentials (`h(p + q) = h(p) + h(q)` mod 2⁶⁴):
//! a mismatch rejects exactly in `O(1)`, a match is confirmed coordinate by
//! coordinate, so the result never depends on the hash.
//!
//! # Guarantees and complexity
//!
//! Exact: the maximum number of mentees is matched and, among such
//! assignments, the signature is lexicographically largest; capacities and
//! allowed cells are respected; the answer is deterministic (ties go to the
//! first shortest path in node-index order, then to the tight-path search
//! order). With `V = rows + cols`, `E` allowed cells, `R` the longest list
//! (a bound on every support) and `P ≤ rows` phases (distinct
//! shortest-path costs, in practice tens): `O(P · (E + V log V) · R)` for
//! the Dijkstras, plus `O(A · E)` hash checks for the `A` augmentations'
//! tight-path searches (each confirmed match `O(R)`); memory
//! `O(V · R + E)`. Measured (`benches/rank_maximal.rs`, release): a
//! 1000 × 300 component with capacity 3 takes a few hundred milliseconds,
//! where the previous `O(V²)` Dijkstra on dense vectors took ~40 s.

use std::cmp::Ordering;

use crate::matching::stable::Preferences;

/// No mentor (for a mentee), no node (for a heap position).
const NONE: usize = usize::MAX;

/// A rank-maximal assignment among those matching the most mentees;
/// `(mentee, mentor)` pairs sorted by mentee. `capacity.len()` must be
/// `prefs.cols()` (else panics). Ties in the signature are broken
/// deterministically (see the module documentation).
///
/// ```rust
/// use mentor_match::matching::assignment::rank_maximal::rank_maximal;
/// use mentor_match::matching::stable::Preferences;
///
/// // Both mentees want mentor 0 first; mentee 1 has no other choice, so
/// // mentee 0 takes its second choice and both are matched.
/// let prefs = Preferences::new(2, 2, &[1, 1, 1, i64::MIN], &[vec![0, 1], vec![0]], &[]);
/// assert_eq!(rank_maximal(&prefs, &[1, 1]), [(0, 1), (1, 0)]);
/// ```
pub fn rank_maximal(prefs: &Preferences, capacity: &[u32]) -> Vec<(usize, usize)> {
    assert_eq!(capacity.len(), prefs.cols(), "one capacity per mentor");
    let mut flow = Flow::new(prefs, capacity);
    flow.first_choices();
    while let Some(target) = flow.shortest_path() {
        flow.raise_potentials(target);
        flow.augment_path(target);
        flow.augment_tight_paths();
    }
    flow.mentor_of
        .iter()
        .enumerate()
        .filter(|&(_, &c)| c != NONE)
        .map(|(r, &c)| (r, c))
        .collect()
}

/// The flow and the dual state. Nodes: mentees `0..rows`, mentors
/// `rows..rows + cols`.
struct Flow<'a> {
    prefs: &'a Preferences,
    rows: usize,
    capacity: &'a [u32],
    /// Each mentee's mentor, [`NONE`] if free.
    mentor_of: Vec<usize>,
    /// Each mentee's rank of its mentor (meaningless when free).
    rank_of: Vec<usize>,
    /// Each mentor's mentees.
    held: Vec<Vec<usize>>,
    /// Potentials `p`.
    pot: Vectors,
    /// `h(p)` of each node.
    pot_hash: Vec<u64>,
    /// Hash coefficients, one per coordinate.
    coef: Vec<u64>,
    /// Dijkstra labels: true path costs `L = d + p`.
    label: Vectors,
    /// Dijkstra keys: reduced distances `d = L − p`.
    key: Vectors,
    /// The sink's reduced distance of the current phase.
    d_sink: Vec<i32>,
    /// Dijkstra predecessor: a mentor's mentee, a mentee's (old) mentor.
    from: Vec<usize>,
    /// Phase stamps: reached / settled by this phase's Dijkstra.
    phase: usize,
    reached: Vec<usize>,
    settled: Vec<usize>,
    heap: Heap,
    /// Tight-path searches: nodes visited by the current search, nodes
    /// known not to reach the sink in this phase.
    search: usize,
    visited: Vec<usize>,
    dead: Vec<usize>,
}

impl<'a> Flow<'a> {
    fn new(prefs: &'a Preferences, capacity: &'a [u32]) -> Self {
        let (rows, cols) = (prefs.rows(), prefs.cols());
        let n = rows + cols;
        // Coordinates stay within a few times `n` (see the module docs).
        assert!(
            n < 1 << 28,
            "component too large for 32-bit cost coordinates"
        );
        let dim = (0..rows)
            .map(|r| prefs.mentee_list(r).len())
            .max()
            .unwrap_or(0)
            .max(1);
        // splitmix64: fixed, well-mixed odd coefficients.
        let coef = (0..dim as u64)
            .map(|i| {
                let mut z = i.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                (z ^ (z >> 31)) | 1
            })
            .collect();
        Self {
            prefs,
            rows,
            capacity,
            mentor_of: vec![NONE; rows],
            rank_of: vec![0; rows],
            held: vec![Vec::new(); cols],
            pot: Vectors::new(n, dim),
            pot_hash: vec![0; n],
            coef,
            label: Vectors::new(n, dim),
            key: Vectors::new(n, dim),
            d_sink: Vec::with_capacity(dim),
            from: vec![NONE; n],
            phase: 0,
            reached: vec![0; n],
            settled: vec![0; n],
            heap: Heap::new(n),
            search: 0,
            visited: vec![0; n],
            dead: vec![0; n],
        }
    }

    fn has_room(&self, c: usize) -> bool {
        (self.held[c].len() as u64) < u64::from(self.capacity[c])
    }

    /// Puts mentee `r` with mentor `c` (its choice of rank `k`), leaving
    /// its previous mentor, if any.
    fn assign(&mut self, r: usize, c: usize, k: usize) {
        let previous = self.mentor_of[r];
        if previous != NONE {
            self.held[previous].retain(|&x| x != r);
        }
        self.mentor_of[r] = c;
        self.rank_of[r] = k;
        self.held[c].push(r);
    }

    /// Step 1: a zero-cost flow, hence cheapest for its size.
    fn first_choices(&mut self) {
        for r in 0..self.rows {
            if let Some(&c) = self.prefs.mentee_list(r).first()
                && self.has_room(c)
            {
                self.assign(r, c, 0);
            }
        }
    }

    /// Step 2: Dijkstra on reduced costs from every free mentee; the
    /// nearest mentor with room, or `None` when no augmenting path is left.
    fn shortest_path(&mut self) -> Option<usize> {
        self.phase += 1;
        let (phase, rows, prefs) = (self.phase, self.rows, self.prefs);
        self.heap.clear();
        for r in 0..rows {
            if self.mentor_of[r] == NONE && !prefs.mentee_list(r).is_empty() {
                // A free mentee's potential is zero: L = d = 0.
                self.label.set_zero(r);
                self.key.set_zero(r);
                self.reached[r] = phase;
                self.from[r] = NONE;
                self.heap.push(r, &self.key);
            }
        }
        while let Some(u) = self.heap.pop(&self.key) {
            self.settled[u] = phase;
            if u >= rows {
                let c = u - rows;
                if self.has_room(c) {
                    // Mentors with room share the sink's potential and
                    // reach it at zero reduced cost: this is the sink.
                    return Some(c);
                }
                for i in 0..self.held[c].len() {
                    let r = self.held[c][i];
                    // Undoing the pair (r, c) costs −(e₀ − e_k).
                    self.relax(u, r, self.rank_of[r], -1);
                }
            } else {
                for (k, &c) in prefs.mentee_list(u).iter().enumerate() {
                    if c != self.mentor_of[u] {
                        self.relax(u, rows + c, k, 1);
                    }
                }
            }
        }
        None
    }

    /// Offers `v` the label `L(u) + sign · (e₀ − e_k)`; only a strictly
    /// smaller label replaces an existing one.
    fn relax(&mut self, u: usize, v: usize, k: usize, sign: i32) {
        let phase = self.phase;
        if self.settled[v] == phase {
            return;
        }
        let fresh = self.reached[v] != phase;
        if !fresh && cmp_shifted(self.label.get(u), k, sign, self.label.get(v)).is_ge() {
            return;
        }
        self.label.set_shifted(v, u, k, sign);
        self.key.set_difference(v, &self.label, &self.pot);
        self.from[v] = u;
        if fresh {
            self.reached[v] = phase;
            self.heap.push(v, &self.key);
        } else {
            self.heap.decrease(v, &self.key);
        }
    }

    /// `p ← p + min(d, d_sink)`: settled nodes get their label, the others
    /// the sink's distance. Reduced costs stay non-negative, and those of
    /// the shortest-path tree edges into settled nodes become zero.
    fn raise_potentials(&mut self, target: usize) {
        let phase = self.phase;
        self.d_sink.clear();
        self.d_sink
            .extend_from_slice(self.key.get(self.rows + target));
        let h_sink = hash(&self.coef, &self.d_sink);
        for v in 0..self.pot_hash.len() {
            if self.settled[v] == phase {
                self.pot.set_copy(v, &self.label);
                self.pot_hash[v] = hash(&self.coef, self.pot.get(v));
            } else {
                self.pot.add(v, &self.d_sink);
                self.pot_hash[v] = self.pot_hash[v].wrapping_add(h_sink);
            }
        }
    }

    /// Step 3a: augments along Dijkstra's path into `target`.
    fn augment_path(&mut self, target: usize) {
        let mut c = target;
        loop {
            let r = self.from[self.rows + c];
            let previous = self.mentor_of[r];
            let k = self.rank_in_list(r, c);
            self.assign(r, c, k);
            if previous == NONE {
                break;
            }
            c = previous;
        }
    }

    fn rank_in_list(&self, r: usize, c: usize) -> usize {
        self.prefs
            .mentee_rank(r, c)
            .expect("augmenting paths use allowed cells only")
    }

    /// Whether the residual edge between mentee `r` and mentor `c` (rank
    /// `k`, either direction) has reduced cost zero: `p(c) = p(r) + e₀ − e_k`.
    fn tight(&self, r: usize, c: usize, k: usize) -> bool {
        let v = self.rows + c;
        let shift = if k == 0 {
            0
        } else {
            self.coef[0].wrapping_sub(self.coef[k])
        };
        self.pot_hash[v] == self.pot_hash[r].wrapping_add(shift)
            && cmp_shifted(self.pot.get(r), k, 1, self.pot.get(v)).is_eq()
    }

    /// Step 3b: augments along tight paths from each free mentee in turn
    /// (depth-first, lowest indices first) until none is left.
    fn augment_tight_paths(&mut self) {
        let (phase, rows, prefs) = (self.phase, self.rows, self.prefs);
        let mut stack: Vec<(usize, usize)> = Vec::new();
        let mut seen: Vec<usize> = Vec::new();
        for s in 0..rows {
            if self.mentor_of[s] != NONE || self.dead[s] == phase {
                continue;
            }
            self.search += 1;
            let search = self.search;
            stack.clear();
            seen.clear();
            stack.push((s, 0));
            self.visited[s] = search;
            seen.push(s);
            let mut found = NONE;
            while let Some(&(u, next)) = stack.last() {
                let mut step = None;
                let mut i = next;
                if u < rows {
                    let list = prefs.mentee_list(u);
                    while i < list.len() {
                        let (k, c) = (i, list[i]);
                        i += 1;
                        let v = rows + c;
                        if c == self.mentor_of[u]
                            || self.visited[v] == search
                            || self.dead[v] == phase
                            || !self.tight(u, c, k)
                        {
                            continue;
                        }
                        if self.has_room(c) {
                            found = c;
                        }
                        step = Some(v);
                        break;
                    }
                } else {
                    let c = u - rows;
                    while i < self.held[c].len() {
                        let r = self.held[c][i];
                        i += 1;
                        if self.visited[r] == search
                            || self.dead[r] == phase
                            || !self.tight(r, c, self.rank_of[r])
                        {
                            continue;
                        }
                        step = Some(r);
                        break;
                    }
                }
                if let Some(top) = stack.last_mut() {
                    top.1 = i;
                }
                if found != NONE {
                    break;
                }
                match step {
                    Some(v) => {
                        self.visited[v] = search;
                        seen.push(v);
                        stack.push((v, 0));
                    }
                    None => {
                        stack.pop();
                    }
                }
            }
            if found == NONE {
                // Nothing this search saw reaches the sink, and augmenting
                // elsewhere only reverses edges between nodes that do.
                for &v in &seen {
                    self.dead[v] = phase;
                }
                continue;
            }
            // The stack alternates mentee, mentor, mentee, …, mentee.
            let mut c = found;
            for j in (0..stack.len()).rev().step_by(2) {
                let r = stack[j].0;
                let k = self.rank_in_list(r, c);
                self.assign(r, c, k);
                if j > 0 {
                    c = stack[j - 1].0 - rows;
                }
            }
        }
    }
}

/// One vector of `ℤ^dim` per node in a flat array. Coordinates from
/// `end[v]` on are zero (in storage too), so every operation only touches
/// the supports, which are short: path costs touch the ranks on the path.
struct Vectors {
    dim: usize,
    data: Vec<i32>,
    end: Vec<usize>,
}

impl Vectors {
    fn new(n: usize, dim: usize) -> Self {
        Self {
            dim,
            data: vec![0; n * dim],
            end: vec![0; n],
        }
    }

    /// The vector of `v` up to its support's end (zero beyond).
    fn get(&self, v: usize) -> &[i32] {
        let start = v * self.dim;
        &self.data[start..start + self.end[v]]
    }

    /// Zeroes what lies between the new end `e` and the old one.
    fn truncate(&mut self, v: usize, e: usize) {
        let (start, old) = (v * self.dim, self.end[v]);
        if old > e {
            self.data[start + e..start + old].fill(0);
        }
        self.end[v] = e;
    }

    fn set_zero(&mut self, v: usize) {
        self.truncate(v, 0);
    }

    /// `x_v ← x_u + sign · (e₀ − e_k)`.
    fn set_shifted(&mut self, v: usize, u: usize, k: usize, sign: i32) {
        let e = if k == 0 {
            self.end[u]
        } else {
            self.end[u].max(k + 1)
        };
        let (sv, su) = (v * self.dim, u * self.dim);
        // Past `end[u]` the copy takes zeros.
        self.data.copy_within(su..su + e, sv);
        if self.end[v] > e {
            self.data[sv + e..sv + self.end[v]].fill(0);
        }
        self.end[v] = e;
        if k > 0 {
            self.data[sv] += sign;
            self.data[sv + k] -= sign;
        }
    }

    /// `x_v ← a_v − b_v`.
    fn set_difference(&mut self, v: usize, a: &Self, b: &Self) {
        let e = a.end[v].max(b.end[v]);
        let start = v * self.dim;
        let x = &mut self.data[start..start + e];
        for ((x, &p), &q) in x
            .iter_mut()
            .zip(&a.data[start..start + e])
            .zip(&b.data[start..start + e])
        {
            *x = p - q;
        }
        if self.end[v] > e {
            self.data[start + e..start + self.end[v]].fill(0);
        }
        self.end[v] = e;
    }

    /// `x_v ← a_v`.
    fn set_copy(&mut self, v: usize, a: &Self) {
        let e = a.end[v];
        let start = v * self.dim;
        self.data[start..start + e].copy_from_slice(&a.data[start..start + e]);
        self.truncate(v, e);
        self.end[v] = e;
    }

    /// `x_v ← x_v + d`, `d` no longer than `dim`.
    fn add(&mut self, v: usize, d: &[i32]) {
        let start = v * self.dim;
        for (x, &y) in self.data[start..start + d.len()].iter_mut().zip(d) {
            *x += y;
        }
        self.end[v] = self.end[v].max(d.len());
    }
}

/// `h(x) = Σ xᵢ · coefᵢ` mod 2⁶⁴, linear in `x`.
fn hash(coef: &[u64], x: &[i32]) -> u64 {
    coef.iter().zip(x).fold(0u64, |h, (&z, &x)| {
        h.wrapping_add(z.wrapping_mul(i64::from(x) as u64))
    })
}

/// Lexicographic comparison of equal-length slices, by chunks.
fn cmp_lex(a: &[i32], b: &[i32]) -> Ordering {
    const CHUNK: usize = 16;
    for (x, y) in a.chunks(CHUNK).zip(b.chunks(CHUNK)) {
        // A branch-free fold the compiler vectorises.
        if x.iter().zip(y).fold(0, |acc, (p, q)| acc | (p ^ q)) != 0 {
            for (p, q) in x.iter().zip(y) {
                if p != q {
                    return p.cmp(q);
                }
            }
        }
    }
    Ordering::Equal
}

/// Lexicographic comparison on coordinates `lo..hi` (`lo ≤ hi`) of two
/// vectors given up to their supports' ends (zero beyond).
fn cmp_range(a: &[i32], b: &[i32], lo: usize, hi: usize) -> Ordering {
    let common = a.len().min(b.len()).min(hi);
    if lo < common {
        let o = cmp_lex(&a[lo..common], &b[lo..common]);
        if o.is_ne() {
            return o;
        }
    }
    // Past the shorter one, the longer one against zeros.
    let from = lo.max(common);
    let tail = |x: &[i32]| first_nonzero(x.get(from..x.len().min(hi)).unwrap_or(&[]));
    tail(a).cmp(&0).then_with(|| 0.cmp(&tail(b)))
}

/// The first non-zero coordinate (zero if none), by chunks.
fn first_nonzero(x: &[i32]) -> i32 {
    const CHUNK: usize = 16;
    for chunk in x.chunks(CHUNK) {
        if chunk.iter().fold(0, |acc, &y| acc | y) != 0 {
            return chunk.iter().copied().find(|&y| y != 0).unwrap_or(0);
        }
    }
    0
}

/// Compares `a + sign · (e₀ − e_k)` with `b` (`k = 0`: `a` with `b`),
/// both given up to their supports' ends, without forming the sum.
fn cmp_shifted(a: &[i32], k: usize, sign: i32, b: &[i32]) -> Ordering {
    if k == 0 {
        return cmp_range(a, b, 0, usize::MAX);
    }
    let at = |x: &[i32], i: usize| x.get(i).copied().unwrap_or(0);
    (at(a, 0) + sign)
        .cmp(&at(b, 0))
        .then_with(|| cmp_range(a, b, 1, k))
        .then_with(|| (at(a, k) - sign).cmp(&at(b, k)))
        .then_with(|| cmp_range(a, b, k + 1, usize::MAX))
}

/// A binary min-heap of nodes keyed by their vectors (ties by node
/// index), with decrease-key.
struct Heap {
    items: Vec<usize>,
    pos: Vec<usize>,
}

impl Heap {
    fn new(n: usize) -> Self {
        Self {
            items: Vec::with_capacity(n),
            pos: vec![NONE; n],
        }
    }

    fn clear(&mut self) {
        for &v in &self.items {
            self.pos[v] = NONE;
        }
        self.items.clear();
    }

    fn less(key: &Vectors, a: usize, b: usize) -> bool {
        cmp_range(key.get(a), key.get(b), 0, usize::MAX)
            .then(a.cmp(&b))
            .is_lt()
    }

    fn push(&mut self, v: usize, key: &Vectors) {
        self.pos[v] = self.items.len();
        self.items.push(v);
        self.up(self.items.len() - 1, key);
    }

    fn decrease(&mut self, v: usize, key: &Vectors) {
        self.up(self.pos[v], key);
    }

    fn pop(&mut self, key: &Vectors) -> Option<usize> {
        let top = *self.items.first()?;
        let last = self.items.pop()?;
        self.pos[top] = NONE;
        if !self.items.is_empty() {
            self.items[0] = last;
            self.pos[last] = 0;
            self.down(0, key);
        }
        Some(top)
    }

    fn up(&mut self, mut i: usize, key: &Vectors) {
        let v = self.items[i];
        while i > 0 {
            let parent = (i - 1) / 2;
            let p = self.items[parent];
            if !Self::less(key, v, p) {
                break;
            }
            self.items[i] = p;
            self.pos[p] = i;
            i = parent;
        }
        self.items[i] = v;
        self.pos[v] = i;
    }

    fn down(&mut self, mut i: usize, key: &Vectors) {
        let v = self.items[i];
        let len = self.items.len();
        loop {
            let left = 2 * i + 1;
            if left >= len {
                break;
            }
            let right = left + 1;
            let child = if right < len && Self::less(key, self.items[right], self.items[left]) {
                right
            } else {
                left
            };
            let w = self.items[child];
            if !Self::less(key, w, v) {
                break;
            }
            self.items[i] = w;
            self.pos[w] = i;
            i = child;
        }
        self.items[i] = v;
        self.pos[v] = i;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matching::assignment::FORBIDDEN;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    #[test]
    fn first_choices_win_over_a_larger_total_of_seconds() {
        // Mentees 0 and 1 both put mentor 0 first; mentee 2 puts mentor 1
        // first. One place each: the best signature is two first choices.
        let prefs = Preferences::new(3, 2, &[1; 6], &[vec![0, 1], vec![0, 1], vec![1, 0]], &[]);
        let pairs = rank_maximal(&prefs, &[1, 1]);
        let firsts = pairs
            .iter()
            .filter(|&&(r, c)| prefs.mentee_rank(r, c) == Some(0))
            .count();
        assert_eq!((pairs.len(), firsts), (2, 2));
    }

    #[test]
    fn coverage_comes_before_first_choices() {
        let prefs = Preferences::new(2, 2, &[1, 1, 1, FORBIDDEN], &[vec![0, 1], vec![0]], &[]);
        assert_eq!(rank_maximal(&prefs, &[1, 1]), [(0, 1), (1, 0)]);
    }

    #[test]
    fn capacities_are_filled_by_rank() {
        let prefs = Preferences::from_scores(3, 2, &[9, 1, 8, 2, 7, 3]);
        assert_eq!(rank_maximal(&prefs, &[2, 1]), [(0, 0), (1, 0), (2, 1)]);
        assert!(rank_maximal(&prefs, &[0, 0]).is_empty());
    }

    /// `(matched, n₀, n₁, …)` of an assignment given as each mentee's mentor.
    fn signature(prefs: &Preferences, mentor: &[Option<usize>]) -> Vec<usize> {
        let mut s = vec![0; prefs.cols() + 1];
        for (r, c) in mentor.iter().enumerate() {
            if let Some(c) = *c {
                s[0] += 1;
                s[1 + prefs.mentee_rank(r, c).expect("allowed")] += 1;
            }
        }
        s
    }

    /// The best signature over every assignment, by exhaustive search.
    fn best_signature(prefs: &Preferences, capacity: &[u32]) -> Vec<usize> {
        fn go(
            prefs: &Preferences,
            r: usize,
            left: &mut [u32],
            cur: &mut Vec<Option<usize>>,
            best: &mut Vec<usize>,
        ) {
            if r == prefs.rows() {
                *best = signature(prefs, cur).max(std::mem::take(best));
                return;
            }
            cur.push(None);
            go(prefs, r + 1, left, cur, best);
            cur.pop();
            for &c in prefs.mentee_list(r) {
                if left[c] > 0 {
                    left[c] -= 1;
                    cur.push(Some(c));
                    go(prefs, r + 1, left, cur, best);
                    cur.pop();
                    left[c] += 1;
                }
            }
        }
        let mut best = Vec::new();
        go(prefs, 0, &mut capacity.to_vec(), &mut Vec::new(), &mut best);
        best
    }

    #[test]
    fn matches_brute_force_on_random_small_instances() {
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..400 {
            let rows = rng.random_range(1..=7);
            let cols = rng.random_range(1..=4);
            let scores: Vec<i64> = (0..rows * cols)
                .map(|_| {
                    if rng.random_bool(0.25) {
                        FORBIDDEN
                    } else {
                        rng.random_range(0..3)
                    }
                })
                .collect();
            let wishes: Vec<Vec<usize>> = (0..rows)
                .map(|_| {
                    let n = rng.random_range(0..=3);
                    (0..n).map(|_| rng.random_range(0..cols)).collect()
                })
                .collect();
            let capacity: Vec<u32> = (0..cols).map(|_| rng.random_range(0..=3)).collect();
            let prefs = Preferences::new(rows, cols, &scores, &wishes, &[]);
            let pairs = rank_maximal(&prefs, &capacity);
            let mut mentor = vec![None; rows];
            let mut used = vec![0u32; cols];
            for (i, &(r, c)) in pairs.iter().enumerate() {
                assert!(i == 0 || pairs[i - 1].0 < r, "sorted by mentee");
                assert!(prefs.mentee_rank(r, c).is_some(), "allowed cell");
                mentor[r] = Some(c);
                used[c] += 1;
                assert!(used[c] <= capacity[c], "capacity");
            }
            assert_eq!(
                signature(&prefs, &mentor),
                best_signature(&prefs, &capacity),
                "{rows}×{cols} {scores:?} {wishes:?} {capacity:?}"
            );
        }
    }
}
