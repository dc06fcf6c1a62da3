//! Connected components of the allowed-cell graph.
//!
//! Rows and columns are the nodes, allowed cells (in columns of non-zero capacity) the edges.
//! Components share no row and no column, so they can be solved independently (and in
//! parallel) and their optima simply add up, for both objectives.
//!
//! Complexity: one pass over the cells plus a union-find over `rows + cols` nodes (the crate's
//! one `union_find`: path halving, union by size): `O(cells · α)`. A matrix without forbidden
//! cells and without zero capacities is recognised from the statistics kept by [`ScoreMatrix`]
//! and returned as one borrowed block (no copy). Never fails.

use std::borrow::Cow;

use rayon::prelude::*;

use super::{Block, Cell, DenseView, ix};
use crate::matching::union_find::UnionFind;

/// Groups nodes by their union-find root into `(row_ids, col_ids)` lists, ordered by the
/// smallest row of each group (deterministic); groups without a row or a column are dropped.
pub(crate) fn groups(
    uf: &mut UnionFind,
    rows: usize,
    cols: usize,
) -> Vec<(Vec<usize>, Vec<usize>)> {
    let mut slot = vec![u32::MAX; rows + cols];
    let mut out: Vec<(Vec<usize>, Vec<usize>)> = Vec::new();
    for node in 0..rows + cols {
        let root = uf.find(node);
        if slot[root] == u32::MAX {
            slot[root] = ix(out.len());
            out.push((Vec::new(), Vec::new()));
        }
        let g = &mut out[slot[root] as usize];
        if node < rows {
            g.0.push(node);
        } else {
            g.1.push(node - rows);
        }
    }
    out.retain(|(r, c)| !r.is_empty() && !c.is_empty());
    out
}

/// Splits a dense matrix into blocks, one per connected component with at least one edge.
pub(crate) fn split_dense<'a, S: Cell>(
    matrix: DenseView<'a, S>,
    capacity: &[u32],
) -> Vec<Block<'a, S>> {
    let (rows, cols) = (matrix.rows, matrix.cols);
    if rows == 0 || cols == 0 {
        return Vec::new();
    }
    let cells = matrix.cells;
    if !matrix.any_forbidden && capacity.iter().all(|&c| c > 0) {
        return vec![Block {
            row_ids: (0..rows).collect(),
            col_ids: (0..cols).collect(),
            scores: Cow::Borrowed(cells),
            complete: true,
            min: matrix.min,
            max: matrix.max,
        }];
    }
    let col_ok: Vec<bool> = capacity.iter().map(|&c| c > 0).collect();
    // Scanning the cells is the expensive part (the whole matrix is read), so row chunks are
    // scanned in parallel, each into its own column-only union-find plus one anchor column per
    // row; the chunks are merged afterwards in O(chunks · cols). The resulting partition is
    // unique, so the chunking does not affect the answer.
    let chunk_rows = rows
        .div_ceil(4 * rayon::current_num_threads().max(1))
        .max(16);
    let parts: Vec<(UnionFind, Vec<u32>)> = cells
        .par_chunks(chunk_rows * cols)
        .map(|chunk| scan_rows(chunk, cols, &col_ok))
        .collect();
    let mut uf = UnionFind::new(rows + cols);
    for (k, (mut part, anchors)) in parts.into_iter().enumerate() {
        for j in 0..cols {
            let root = part.find(j);
            if root != j {
                uf.union(rows + j, rows + root);
            }
        }
        for (local, &a) in anchors.iter().enumerate() {
            if a != u32::MAX {
                uf.union(k * chunk_rows + local, rows + a as usize);
            }
        }
    }
    groups(&mut uf, rows, cols)
        .into_par_iter()
        .map(|(row_ids, col_ids)| {
            extract(&row_ids, &col_ids, |r, c| cells[r * cols + c], capacity)
                .with_ids(row_ids, col_ids)
        })
        .collect()
}

/// A block's matrix before its ids are attached.
pub(crate) struct Extracted<S: Cell> {
    scores: Vec<S>,
    complete: bool,
    min: i64,
    max: i64,
}

impl<S: Cell> Extracted<S> {
    /// Attaches the original row and column ids.
    pub(crate) fn with_ids(self, row_ids: Vec<usize>, col_ids: Vec<usize>) -> Block<'static, S> {
        Block {
            row_ids,
            col_ids,
            scores: Cow::Owned(self.scores),
            complete: self.complete,
            min: self.min,
            max: self.max,
        }
    }
}

/// Copies the sub-matrix `row_ids × col_ids` (zero-capacity columns become forbidden).
pub(crate) fn extract<S: Cell>(
    row_ids: &[usize],
    col_ids: &[usize],
    cell: impl Fn(usize, usize) -> S,
    capacity: &[u32],
) -> Extracted<S> {
    let mut scores = Vec::with_capacity(row_ids.len() * col_ids.len());
    let (mut min, mut max, mut complete) = (i64::MAX, i64::MIN, true);
    for &r in row_ids {
        for &c in col_ids {
            let s = if capacity[c] > 0 {
                cell(r, c)
            } else {
                S::FORBIDDEN
            };
            if s == S::FORBIDDEN {
                complete = false;
            } else {
                min = min.min(s.score());
                max = max.max(s.score());
            }
            scores.push(s);
        }
    }
    Extracted {
        scores,
        complete,
        min,
        max,
    }
}

/// Scans rows (row-major, `cols` wide): unions the allowed columns of each row in a
/// column-only union-find and returns it with each row's first allowed column (`u32::MAX` if
/// none).
fn scan_rows<S: Cell>(chunk: &[S], cols: usize, col_ok: &[bool]) -> (UnionFind, Vec<u32>) {
    let mut uf = UnionFind::new(cols);
    let mut anchors = Vec::with_capacity(chunk.len() / cols);
    let mut allowed = vec![0u32; cols];
    for row in chunk.chunks_exact(cols) {
        // Branch-free compaction of the allowed columns: on sparse rows a branch per cell
        // mispredicts on every allowed one.
        let mut n = 0;
        for (j, (&s, &ok)) in row.iter().zip(col_ok).enumerate() {
            allowed[n] = ix(j);
            n += usize::from((s != S::FORBIDDEN) & ok);
        }
        let Some(&first) = allowed[..n].first() else {
            anchors.push(u32::MAX);
            continue;
        };
        anchors.push(first);
        // Every allowed column joins the first one's set; its root is looked up once.
        let mut anchor = uf.find(first as usize);
        for &j in &allowed[1..n] {
            let j = j as usize;
            if uf.parent_of(j) != anchor {
                uf.union(anchor, j);
                anchor = uf.find(anchor);
            }
        }
    }
    (uf, anchors)
}
