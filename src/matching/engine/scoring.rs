//! Stage 3 of a run, [`score_components`]: the soft criteria on every
//! allowed pair of every component.
//!
//! A component is scored **dense** (every cell row-major, forbidden cells
//! [`crate::matching::score::FORBIDDEN`]) or **sparse** (only the allowed
//! cells, in compressed rows: per row the allowed columns as `u32` and
//! their `i64` scores). Sparse when the component has at least
//! [`SPARSE_MIN_CELLS`] cells and at most `1 / SPARSE_DENSITY` of them are
//! allowed (see [`use_sparse`]): a dense cell costs 8 bytes of scores plus
//! 8 bytes of preference ranks (and the solver's own copy), an allowed
//! sparse cell about 40 bytes in all (12 of scores and column, 8 of ranks
//! and column, 16 of the two preference lists), so below a quarter of the
//! cells allowed sparse takes clearly less memory, and the heap-based
//! sparse solver is at worst a little slower than the dense one there
//! (measured in `assignment::run_kernel`). Group programmes stay dense:
//! the exact group search reads dense scores.

use rayon::prelude::*;

use super::decompose::Component;
use super::prepare::Prepared;
use crate::matching::outcome::Cells;
use crate::matching::score::{score_block, score_block_sparse};

/// Components with fewer cells than this are always scored dense.
pub(super) const SPARSE_MIN_CELLS: usize = 4096;
/// A larger component is scored sparse when at most `1 / SPARSE_DENSITY`
/// of its cells are allowed.
pub(super) const SPARSE_DENSITY: usize = 4;

/// Whether a component of `rows × cols` cells with `allowed` of them
/// allowed is scored sparse (never with group limits).
pub(super) fn use_sparse(rows: usize, cols: usize, allowed: usize, groups: bool) -> bool {
    let cells = rows.saturating_mul(cols);
    !groups && cells >= SPARSE_MIN_CELLS && allowed.saturating_mul(SPARSE_DENSITY) <= cells
}

/// A component's scores, from [`score_components`].
pub(super) struct Scored {
    /// Mentees × mentors scaled scores, dense or sparse.
    pub cells: Cells,
    /// Allowed pairs scored.
    pub pairs_scored: u64,
}

/// Takes the components; gives each one's scores, in component order,
/// dense or sparse (see the module documentation). Components and their
/// rows in parallel; `O(A · words)` for `A` = Σ component rows × columns
/// dense, `O(rows · cols / 64 + E · words)` for `E` allowed cells sparse;
/// memory `O(rows · cols)` dense, `O(rows + E)` sparse.
pub(super) fn score_components(run: &Prepared<'_>, components: &[Component]) -> Vec<Scored> {
    score_components_as(run, components, use_sparse)
}

/// [`score_components`] with the choice of form given: `sparse(rows, cols,
/// allowed, groups)` says whether a component is scored sparse.
pub(super) fn score_components_as(
    run: &Prepared<'_>,
    components: &[Component],
    sparse: impl Fn(usize, usize, usize, bool) -> bool + Sync,
) -> Vec<Scored> {
    let enc = &run.encoded;
    let groups = run.input.programme.group.is_some();
    components
        .par_iter()
        .map(|c| {
            let fe: Vec<u32> = c.mentees.iter().map(|&e| enc.mentee_fi[e]).collect();
            let fm: Vec<u32> = c.mentors.iter().map(|&m| enc.mentor_fi[m]).collect();
            let allowed: usize = c.allowed.iter().map(|w| w.count_ones() as usize).sum();
            if sparse(fe.len(), fm.len(), allowed, groups) {
                let (start, cols, scores) =
                    score_block_sparse(&enc.features, &run.wa, &fe, &fm, &c.allowed);
                return Scored {
                    pairs_scored: scores.len() as u64,
                    cells: Cells::Sparse {
                        start,
                        cols,
                        scores,
                    },
                };
            }
            let mut scores = vec![0i32; fe.len() * fm.len()];
            let pairs_scored = score_block(
                &enc.features,
                &run.wa,
                &fe,
                &fm,
                Some(&c.allowed),
                &mut scores,
            );
            Scored {
                cells: Cells::Dense(scores),
                pairs_scored,
            }
        })
        .collect()
}
