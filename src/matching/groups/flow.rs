//! The relaxation of the group problem: a transportation problem with
//! lower bounds, solved exactly as a min-cost flow.
//!
//! Network: source → each mentee (capacity 1), mentee → mentor for every
//! allowed cell (capacity 1), mentor → sink as two parallel arcs: the
//! *lower-bound arc* (capacity `lower`, cost `−H`) and the rest (capacity
//! `upper − lower`, cost 0). The cost of a unit through mentee `r` and
//! mentor `c` is `−(B + w(r, c))`, where `B` is the coverage bonus.
//!
//! Why the constants give the lexicographic optimum: `H` exceeds anything
//! coverage and score can gain together, so a minimum-cost flow fills as
//! many lower-bound places as possible, and fills all of them exactly when
//! some assignment meets every lower bound; `B` exceeds any difference in
//! total weight, so among those it matches the most mentees, then
//! maximises the weight. Costs are `i128`, so no constant can overflow for
//! any matrix of `i64` scores this engine produces.
//!
//! Method: successive shortest paths with Dijkstra on reduced costs. The
//! network is acyclic, so the first potentials come from one pass in
//! topological order; every augmentation moves one unit (a mentee), and
//! augmenting stops at the first path of non-negative cost, which gives the
//! minimum cost over all flow values (path costs never decrease).
//!
//! Complexity: at most `rows` augmentations of `O(E log V)` each, with
//! `E = allowed cells + rows + 2·cols` and `V = rows + cols + 2`; memory
//! `O(E)`.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::super::assignment::FORBIDDEN;

/// Place bounds of one mentor in a relaxation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Places {
    /// New members the mentor must take (0 = no lower bound).
    pub lower: u32,
    /// New members the mentor may take (0 = closed).
    pub upper: u32,
}

/// The optimum of one relaxation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FlowSolution {
    /// Every lower bound is met.
    pub feasible: bool,
    /// Matched mentees.
    pub matched: usize,
    /// Sum of the weights of the chosen cells.
    pub weight: i64,
    /// New members per mentor.
    pub count: Vec<u32>,
    /// Chosen `(row, col)` cells, sorted by row.
    pub pairs: Vec<(usize, usize)>,
}

struct Edge {
    to: usize,
    cap: u32,
    cost: i128,
}

/// Solves the relaxation for `weights` (row-major, [`FORBIDDEN`] marks a
/// forbidden cell) and per-mentor `places`. With `coverage_first` the
/// number of matched mentees comes before the weight; without it only the
/// weight counts (and a mentee is matched only where that adds weight,
/// which makes the result an upper bound on the weight of any assignment
/// that meets the bounds, whatever its coverage).
pub(crate) fn solve(
    rows: usize,
    cols: usize,
    weights: &[i64],
    places: &[Places],
    coverage_first: bool,
) -> FlowSolution {
    let (mut lo, mut hi) = (0i128, 0i128);
    for &w in weights.iter().filter(|&&w| w != FORBIDDEN) {
        lo = lo.min(i128::from(w));
        hi = hi.max(i128::from(w));
    }
    let n = rows as i128 + 1;
    // B beats any change of total weight; H beats any change of coverage
    // and weight together.
    let bonus = if coverage_first { n * (hi - lo + 1) } else { 0 };
    let heavy = n * (bonus + hi.max(-lo) + 1) + 1;

    let source = 0;
    let sink = rows + cols + 1;
    let col_node = |c: usize| rows + 1 + c;
    let mut graph = Graph::new(rows + cols + 2);
    for r in 0..rows {
        graph.add(source, 1 + r, 1, -bonus);
    }
    for r in 0..rows {
        for c in 0..cols {
            let w = weights[r * cols + c];
            if w != FORBIDDEN && places[c].upper > 0 {
                graph.add(1 + r, col_node(c), 1, -(bonus + i128::from(w)));
            }
        }
    }
    for (c, p) in places.iter().enumerate() {
        let lower = p.lower.min(p.upper);
        if lower > 0 {
            graph.add(col_node(c), sink, lower, -heavy);
        }
        if p.upper > lower {
            graph.add(col_node(c), sink, p.upper - lower, 0);
        }
    }
    graph.min_cost_flow(source, sink, rows);

    let mut count = vec![0u32; cols];
    let mut pairs = Vec::new();
    for r in 0..rows {
        for e in &graph.adj[1 + r] {
            let edge = &graph.edges[*e];
            if *e % 2 == 0 && edge.cap == 0 && edge.to > rows && edge.to < sink {
                let c = edge.to - rows - 1;
                count[c] += 1;
                pairs.push((r, c));
            }
        }
    }
    let weight = pairs.iter().map(|&(r, c)| weights[r * cols + c]).sum();
    let feasible = places
        .iter()
        .zip(&count)
        .all(|(p, &k)| p.lower <= p.upper && k >= p.lower);
    FlowSolution {
        feasible,
        matched: pairs.len(),
        weight,
        count,
        pairs,
    }
}

/// A residual network; edge `2k` is a forward arc, `2k + 1` its reverse.
struct Graph {
    edges: Vec<Edge>,
    adj: Vec<Vec<usize>>,
}

impl Graph {
    fn new(nodes: usize) -> Self {
        Self {
            edges: Vec::new(),
            adj: vec![Vec::new(); nodes],
        }
    }

    fn add(&mut self, from: usize, to: usize, cap: u32, cost: i128) {
        self.adj[from].push(self.edges.len());
        self.edges.push(Edge { to, cap, cost });
        self.adj[to].push(self.edges.len());
        self.edges.push(Edge {
            to: from,
            cap: 0,
            cost: -cost,
        });
    }

    /// Successive shortest paths from `source` to `sink` while a path of
    /// negative cost exists. Nodes are ordered source, rows, columns, sink,
    /// which is a topological order of the initial network.
    fn min_cost_flow(&mut self, source: usize, sink: usize, rows: usize) {
        let nodes = self.adj.len();
        let unreached = i128::MAX;
        // Initial potentials: shortest distances in the acyclic network.
        let mut pot = vec![unreached; nodes];
        pot[source] = 0;
        for u in 0..nodes {
            if pot[u] == unreached {
                continue;
            }
            for &e in &self.adj[u] {
                let edge = &self.edges[e];
                if e % 2 == 0 && edge.cap > 0 && pot[u] + edge.cost < pot[edge.to] {
                    pot[edge.to] = pot[u] + edge.cost;
                }
            }
        }
        let top = pot.iter().copied().filter(|&p| p != unreached).max();
        for p in &mut pot {
            if *p == unreached {
                *p = top.unwrap_or(0);
            }
        }
        let mut dist = vec![unreached; nodes];
        let mut via = vec![usize::MAX; nodes];
        let mut heap = BinaryHeap::new();
        for _ in 0..rows {
            dist.fill(unreached);
            via.fill(usize::MAX);
            dist[source] = 0;
            heap.push(Reverse((0i128, source)));
            while let Some(Reverse((d, u))) = heap.pop() {
                if d > dist[u] {
                    continue;
                }
                for &e in &self.adj[u] {
                    let edge = &self.edges[e];
                    if edge.cap == 0 {
                        continue;
                    }
                    let nd = d + edge.cost + pot[u] - pot[edge.to];
                    if nd < dist[edge.to] {
                        dist[edge.to] = nd;
                        via[edge.to] = e;
                        heap.push(Reverse((nd, edge.to)));
                    }
                }
            }
            if dist[sink] == unreached {
                return;
            }
            let real = dist[sink] + pot[sink] - pot[source];
            if real >= 0 {
                return;
            }
            let far = dist
                .iter()
                .copied()
                .filter(|&d| d != unreached)
                .max()
                .unwrap_or(0);
            for v in 0..nodes {
                pot[v] += if dist[v] == unreached { far } else { dist[v] };
            }
            let mut v = sink;
            while v != source {
                let e = via[v];
                self.edges[e].cap -= 1;
                self.edges[e ^ 1].cap += 1;
                v = self.edges[e ^ 1].to;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lower_bounds_are_met_when_they_can_be() {
        // Two mentees, both prefer mentor 0, mentor 1 needs two.
        let w = vec![10, 1, 10, 1];
        let places = [Places { lower: 0, upper: 2 }, Places { lower: 2, upper: 2 }];
        let s = solve(2, 2, &w, &places, true);
        assert!(s.feasible);
        assert_eq!(s.pairs, vec![(0, 1), (1, 1)]);
        assert_eq!(s.weight, 2);
    }

    #[test]
    fn an_unreachable_lower_bound_is_reported() {
        let w = vec![5, FORBIDDEN];
        let places = [Places { lower: 0, upper: 1 }, Places { lower: 1, upper: 1 }];
        assert!(!solve(1, 2, &w, &places, true).feasible);
    }

    #[test]
    fn coverage_comes_before_weight() {
        // Mentee 0 alone would score 100 with mentor 0; matching both needs
        // mentee 0 on mentor 1.
        let w = vec![100, 1, 50, FORBIDDEN];
        let places = [Places { lower: 0, upper: 1 }, Places { lower: 0, upper: 1 }];
        let s = solve(2, 2, &w, &places, true);
        assert_eq!((s.matched, s.weight), (2, 51));
        let s = solve(2, 2, &w, &places, false);
        assert_eq!((s.matched, s.weight), (1, 100));
    }
}
