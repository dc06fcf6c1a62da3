//! Stage 2 of a run, [`split_components`]: the pair rules, evaluated into
//! a bit matrix per block, and the connected components of the
//! allowed-pair graph.

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;

use super::prepare::{Prepared, RulePeople};
use crate::matching::rules::{RuleContext, pair_rule};
use crate::matching::union_find::UnionFind;

/// A connected component of the allowed-pair graph.
pub(super) struct Component {
    /// Input indices of its mentees (rows).
    pub mentees: Vec<usize>,
    /// Input indices of its mentors (columns).
    pub mentors: Vec<usize>,
    /// Allowed bits, `ceil(cols / 64)` words per row.
    pub allowed: Vec<u64>,
}

/// Takes the eligible mentees and candidate mentors; gives the connected
/// components of the pairs every hard rule allows, blocks in organisation
/// order and, inside a block, components in order of their first mentee.
/// Mentees and mentors with no allowed pair are in no component.
///
/// In same-organisation forms (without `network`) the people first split
/// into one block per organisation; blocks and the rows of each block are
/// checked in parallel. `O(B)` pair-rule checks for `B` = Σ block rows ×
/// block columns, plus a union–find over each block's people; memory
/// `O(B / 64)`.
pub(super) fn split_components(run: &Prepared<'_>) -> Vec<Component> {
    blocks(run)
        .par_iter()
        .map(|(es, ms)| components_of(&run.ctx, &run.rules, es, ms))
        .collect::<Vec<_>>()
        .into_iter()
        .flatten()
        .collect()
}

/// Mentees × mentors that may meet at all: one block per organisation in
/// same-organisation forms (blocks missing either side dropped), else one
/// block of everyone. `O(people)`.
fn blocks(run: &Prepared<'_>) -> Vec<(Vec<usize>, Vec<usize>)> {
    let (eligible, candidates) = (&run.people.eligible, &run.places.candidates);
    if !run.ctx.same_organization() {
        return vec![(eligible.clone(), candidates.clone())];
    }
    let (mentees, mentors) = (&run.rules.mentees, &run.rules.mentors);
    let mut by_org: BTreeMap<u32, (Vec<usize>, Vec<usize>)> = BTreeMap::new();
    for &e in eligible {
        by_org.entry(mentees[e].org).or_default().0.push(e);
    }
    for &m in candidates {
        by_org.entry(mentors[m].org).or_default().1.push(m);
    }
    by_org
        .into_values()
        .filter(|(es, ms)| !es.is_empty() && !ms.is_empty())
        .collect()
}

/// Splits one block (mentees × mentors that may meet) into components.
fn components_of(
    ctx: &RuleContext,
    people: &RulePeople<'_>,
    mentees: &[usize],
    mentors: &[usize],
) -> Vec<Component> {
    let (rows, cols) = (mentees.len(), mentors.len());
    let words = cols.div_ceil(64);
    let mut bits = vec![0u64; rows * words];
    if words > 0 {
        bits.par_chunks_mut(words)
            .zip(mentees.par_iter())
            .with_min_len(16)
            .for_each(|(row, &e)| {
                let rejected = people.rejected_for(e);
                for (c, &m) in mentors.iter().enumerate() {
                    if pair_rule(ctx, &people.mentors[m], &people.mentees[e], rejected).is_none() {
                        row[c / 64] |= 1 << (c % 64);
                    }
                }
            });
    }
    let mut uf = UnionFind::new(rows + cols);
    let mut linked = vec![false; rows];
    for r in 0..rows {
        for (w, &word) in bits[r * words..(r + 1) * words].iter().enumerate() {
            let mut word = word;
            while word != 0 {
                let c = w * 64 + word.trailing_zeros() as usize;
                word &= word - 1;
                uf.union(r, rows + c);
                linked[r] = true;
            }
        }
    }
    let mut comp_of_root: HashMap<usize, usize> = HashMap::new();
    let mut parts: Vec<(Vec<usize>, Vec<usize>)> = Vec::new();
    for r in (0..rows).filter(|&r| linked[r]) {
        let root = uf.find(r);
        let next = parts.len();
        let k = *comp_of_root.entry(root).or_insert(next);
        if k == next {
            parts.push((Vec::new(), Vec::new()));
        }
        parts[k].0.push(r);
    }
    for c in 0..cols {
        let root = uf.find(rows + c);
        if let Some(&k) = comp_of_root.get(&root) {
            parts[k].1.push(c);
        }
    }
    parts
        .into_iter()
        .map(|(rs, cs)| {
            let local_words = cs.len().div_ceil(64);
            let mut allowed = vec![0u64; rs.len() * local_words];
            for (lr, &r) in rs.iter().enumerate() {
                for (lc, &c) in cs.iter().enumerate() {
                    if bits[r * words + c / 64] & (1 << (c % 64)) != 0 {
                        allowed[lr * local_words + lc / 64] |= 1 << (lc % 64);
                    }
                }
            }
            Component {
                mentees: rs.iter().map(|&r| mentees[r]).collect(),
                mentors: cs.iter().map(|&c| mentors[c]).collect(),
                allowed,
            }
        })
        .collect()
}
