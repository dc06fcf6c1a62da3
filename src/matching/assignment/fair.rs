//! The fair objective: maximise the lowest chosen score, then the total.
//!
//! For each component, the largest threshold `t` such that the cells with `score ≥ t` still
//! allow the component's maximum coverage is found by binary search over its distinct scores,
//! each probe being a maximum-cardinality b-matching ([`super::cardinality`]). The global
//! optimum of the lowest score is the minimum of these per-component thresholds `t*` (a
//! component cannot do better than its own `t`, and every component can reach `t*`). Finally
//! each component is solved for the total with the cells below `t*` forbidden — not below its
//! own threshold, since cells between `t*` and it may raise the total without lowering the
//! minimum.
//!
//! Complexity: `O(log D)` matching probes per component (`D` distinct scores) plus one total
//! solve; all exact. Errors are those of the total solve ([`super::dense`]).

use rayon::prelude::*;

use super::components::extract;
use super::{
    AssignmentError, Block, Cell, Triples, block_capacities, cardinality::max_b_matching,
    solve_block,
};

/// Solves every block for [`super::Objective::Fair`]; returns original `(row, col, score)`
/// triples per block.
pub(crate) fn solve_fair<S: Cell>(
    blocks: &[Block<'_, S>],
    capacity: &[u32],
) -> Result<Vec<Triples>, AssignmentError> {
    let thresholds: Vec<Option<i64>> = blocks
        .par_iter()
        .map(|b| best_threshold(b, capacity))
        .collect();
    let Some(t) = thresholds.iter().flatten().min().copied() else {
        return Ok(vec![Vec::new(); blocks.len()]);
    };
    blocks
        .par_iter()
        .map(|b| {
            let masked = extract(
                &(0..b.row_ids.len()).collect::<Vec<_>>(),
                &(0..b.col_ids.len()).collect::<Vec<_>>(),
                |r, c| {
                    let s = b.scores[r * b.col_ids.len() + c];
                    if s != S::FORBIDDEN && s.score() >= t {
                        s
                    } else {
                        S::FORBIDDEN
                    }
                },
                &vec![1; b.col_ids.len()],
            )
            .with_ids(b.row_ids.clone(), b.col_ids.clone());
            solve_block(&masked, capacity)
        })
        .collect()
}

/// The largest lowest-score a maximum-coverage assignment of this block can have; `None` when
/// nothing in the block can be matched.
fn best_threshold<S: Cell>(b: &Block<'_, S>, capacity: &[u32]) -> Option<i64> {
    let (rows, cols) = (b.row_ids.len(), b.col_ids.len());
    let caps = block_capacities(b, capacity);
    let full = max_b_matching(&b.scores, rows, cols, &caps, i64::MIN + 1);
    if full == 0 {
        return None;
    }
    let mut values: Vec<i64> = b
        .scores
        .iter()
        .filter(|&&s| s != S::FORBIDDEN)
        .map(|s| s.score())
        .collect();
    values.sort_unstable();
    values.dedup();
    // Invariant: values[lo] is feasible, values[hi] (if in range) is not.
    let (mut lo, mut hi) = (0usize, values.len());
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if max_b_matching(&b.scores, rows, cols, &caps, values[mid]) == full {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    values.get(lo).copied()
}
