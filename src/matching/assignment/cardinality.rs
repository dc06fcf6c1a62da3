//! Maximum-cardinality b-matching (Hopcroft–Karp with column capacities).
//!
//! Used by the fair objective to test whether a score threshold still allows the maximum
//! coverage. A column of capacity `c` is one node with `c` slots: breadth-first search layers
//! the rows, and a full column forwards the search to every row it holds, exactly like the
//! slot-expanded graph but without copying columns.
//!
//! Complexity: each phase (one breadth-first layering plus depth-first searches for disjoint
//! shortest augmenting paths) is `O(E)` (`E` = allowed cells), and as in Hopcroft–Karp the
//! number of phases is `O(√V)` (`V` = rows + slots), after a greedy start; `O(E + slots)`
//! memory. Never fails;
//! every step is iterative (no recursion), so deep augmenting paths cannot overflow the stack.

use std::collections::VecDeque;

use super::{Cell, ix};

const NONE: u32 = u32::MAX;
const INF: u32 = u32::MAX;

/// Size of a maximum b-matching of the rows using only cells with `score >= threshold`
/// (forbidden cells and zero-capacity columns never count).
pub(crate) fn max_b_matching<S: Cell>(
    scores: &[S],
    rows: usize,
    cols: usize,
    capacity: &[u32],
    threshold: i64,
) -> usize {
    let mut adj_start = Vec::with_capacity(rows + 1);
    let mut adj: Vec<u32> = Vec::new();
    for i in 0..rows {
        adj_start.push(adj.len());
        for (j, &s) in scores[i * cols..(i + 1) * cols].iter().enumerate() {
            if s != S::FORBIDDEN && s.score() >= threshold && capacity[j] > 0 {
                adj.push(ix(j));
            }
        }
    }
    adj_start.push(adj.len());
    max_b_matching_csr(&adj_start, &adj, capacity)
}

/// Size of a maximum b-matching of a graph given as compressed rows: the columns adjacent to
/// row `i` are `adj[adj_start[i]..adj_start[i + 1]]`.
pub(crate) fn max_b_matching_csr(adj_start: &[usize], adj: &[u32], capacity: &[u32]) -> usize {
    let rows = adj_start.len().saturating_sub(1);
    let cols = capacity.len();
    let mut start = Vec::with_capacity(cols + 1);
    let mut acc = 0usize;
    for &c in capacity {
        start.push(acc);
        acc += c as usize;
    }
    start.push(acc);
    let mut count = vec![0u32; cols];
    let mut slot_row = vec![NONE; acc];
    let mut row_slot = vec![0usize; rows];
    let mut x = vec![NONE; rows];
    let mut matched = 0usize;

    for i in 0..rows {
        for &j in &adj[adj_start[i]..adj_start[i + 1]] {
            let j = j as usize;
            if count[j] < capacity[j] {
                let slot = start[j] + count[j] as usize;
                count[j] += 1;
                slot_row[slot] = ix(i);
                row_slot[i] = slot;
                x[i] = ix(j);
                matched += 1;
                break;
            }
        }
    }

    let mut dist = vec![INF; rows];
    let mut it = vec![0usize; rows];
    let mut hit = vec![0u32; rows];
    let mut queue = VecDeque::new();
    let mut stack: Vec<usize> = Vec::new();
    loop {
        // Breadth-first layering from every free row.
        queue.clear();
        for i in 0..rows {
            it[i] = adj_start[i];
            hit[i] = 0;
            if x[i] == NONE && adj_start[i] < adj_start[i + 1] {
                dist[i] = 0;
                queue.push_back(i);
            } else {
                dist[i] = INF;
            }
        }
        let mut found = INF;
        while let Some(i) = queue.pop_front() {
            if dist[i] >= found {
                continue;
            }
            for &j in &adj[adj_start[i]..adj_start[i + 1]] {
                if j == x[i] {
                    continue;
                }
                let j = j as usize;
                if count[j] < capacity[j] {
                    found = found.min(dist[i] + 1);
                } else {
                    for &h in &slot_row[start[j]..start[j] + count[j] as usize] {
                        let h = h as usize;
                        if dist[h] == INF {
                            dist[h] = dist[i] + 1;
                            queue.push_back(h);
                        }
                    }
                }
            }
        }
        if found == INF {
            return matched;
        }
        // Depth-first search for vertex-disjoint shortest augmenting paths.
        for root in 0..rows {
            if x[root] != NONE || dist[root] != 0 {
                continue;
            }
            stack.clear();
            stack.push(root);
            while let Some(&i) = stack.last() {
                let mut pushed = false;
                let mut done = false;
                while it[i] < adj_start[i + 1] {
                    let j = adj[it[i]];
                    if j != x[i] {
                        let j = j as usize;
                        if count[j] < capacity[j] {
                            if dist[i] + 1 == found {
                                done = true;
                                break;
                            }
                        } else {
                            while hit[i] < count[j] {
                                let h = slot_row[start[j] + hit[i] as usize] as usize;
                                hit[i] += 1;
                                if dist[h] != INF && dist[h] == dist[i] + 1 {
                                    stack.push(h);
                                    pushed = true;
                                    break;
                                }
                            }
                            if pushed {
                                break;
                            }
                        }
                    }
                    it[i] += 1;
                    hit[i] = 0;
                }
                if done {
                    // Each row on the path moves into the slot vacated by the next one.
                    let top = stack.len() - 1;
                    let mut col = adj[it[stack[top]]] as usize;
                    let mut slot = start[col] + count[col] as usize;
                    count[col] += 1;
                    for k in (0..=top).rev() {
                        let i = stack[k];
                        let (old_col, old_slot) = (x[i], row_slot[i]);
                        slot_row[slot] = ix(i);
                        row_slot[i] = slot;
                        x[i] = ix(col);
                        dist[i] = INF;
                        col = old_col as usize;
                        slot = old_slot;
                    }
                    matched += 1;
                    break;
                }
                if !pushed {
                    dist[i] = INF;
                    stack.pop();
                }
            }
        }
    }
}
