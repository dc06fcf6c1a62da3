//! Stage 3 of a run, [`score_components`]: the soft criteria on every
//! allowed pair of every component.

use rayon::prelude::*;

use super::decompose::Component;
use super::prepare::Prepared;
use crate::matching::score::score_block;

/// A component's score matrix, from [`score_components`].
pub(super) struct Scored {
    /// Row-major mentees × mentors scores, [`crate::matching::score::FORBIDDEN`]
    /// where a rule forbids the pair.
    pub scores: Vec<i64>,
    /// Allowed pairs scored.
    pub pairs_scored: u64,
}

/// Takes the components; gives each one's score matrix, in component
/// order. Components and their rows in parallel; `O(A · words)` for `A` =
/// Σ component rows × columns (forbidden cells cost no scoring).
pub(super) fn score_components(run: &Prepared<'_>, components: &[Component]) -> Vec<Scored> {
    let enc = &run.encoded;
    components
        .par_iter()
        .map(|c| {
            let fe: Vec<u32> = c.mentees.iter().map(|&e| enc.mentee_fi[e]).collect();
            let fm: Vec<u32> = c.mentors.iter().map(|&m| enc.mentor_fi[m]).collect();
            let mut scores = vec![0i64; fe.len() * fm.len()];
            let pairs_scored = score_block(
                &enc.features,
                &run.wa,
                &fe,
                &fm,
                Some(&c.allowed),
                &mut scores,
            );
            Scored {
                scores,
                pairs_scored,
            }
        })
        .collect()
}
