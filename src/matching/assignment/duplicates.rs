//! Merging identical columns into one capacitated column.
//!
//! Two columns whose cells are equal in every row (same scores, same forbidden pattern) are
//! interchangeable slots, so they can be replaced by one column whose capacity is the sum of
//! theirs; the rows the merged column takes are then spread back over the original columns in
//! row order. This is exact, and it turns "capacity expressed as repeated columns" (a mentor of
//! capacity 4 exported as four identical columns) into the native capacitated formulation of
//! [`super::dense`], which avoids the massive ties such copies create.
//!
//! Detection is a partition refinement: columns are sorted by their value in row 0, runs of
//! equal values are refined by row 1, and so on, dropping singletons; it stops as soon as no
//! candidate group is left, which for ordinary score matrices happens after one or two rows.
//! Worst case `O(rows · cols · log cols)`. Never fails.

use super::Cell;

/// A block with identical columns merged.
pub(crate) struct Merged<S> {
    /// Row-major `rows × cols` scores of the representative columns.
    pub scores: Vec<S>,
    /// Number of merged columns.
    pub cols: usize,
    /// Capacity of each merged column (sum over its members, saturating).
    pub capacity: Vec<u32>,
    /// Original (block-local) columns of each merged column, ascending.
    members: Vec<Vec<usize>>,
}

/// Groups of ≥ 2 identical columns (each ascending, groups ordered by first member), or `None`
/// when all columns differ.
fn identical_groups<S: Cell>(scores: &[S], rows: usize, cols: usize) -> Option<Vec<Vec<usize>>> {
    if rows == 0 || cols < 2 {
        return None;
    }
    let mut order: Vec<usize> = (0..cols).collect();
    let mut groups: Vec<(usize, usize)> = vec![(0, cols)];
    for r in 0..rows {
        let row = &scores[r * cols..(r + 1) * cols];
        let mut next = Vec::new();
        for &(a, b) in &groups {
            let first = row[order[a]];
            if order[a + 1..b].iter().all(|&j| row[j] == first) {
                // Still identical in this row: no need to sort.
                next.push((a, b));
                continue;
            }
            let part = &mut order[a..b];
            part.sort_unstable_by_key(|&j| (row[j], j));
            let mut s = a;
            for k in a + 1..=b {
                if k == b || row[order[k]] != row[order[s]] {
                    if k - s >= 2 {
                        next.push((s, k));
                    }
                    s = k;
                }
            }
        }
        if next.is_empty() {
            return None;
        }
        if next.len() != groups.len() || next.iter().zip(&groups).any(|(x, y)| x != y) {
            // A group split: lay the surviving groups out by their first member (members stay
            // ascending) so that the next rows are read front to back, not at random (on a
            // 3,500 × 3,000 matrix of repeated columns the random order cost a third of the
            // solve in cache misses).
            next.sort_unstable_by_key(|&(a, _)| order[a]);
            let mut packed = Vec::with_capacity(next.iter().map(|&(a, b)| b - a).sum());
            for g in &mut next {
                let begin = packed.len();
                packed.extend_from_slice(&order[g.0..g.1]);
                *g = (begin, packed.len());
            }
            order = packed;
        }
        groups = next;
    }
    let mut out: Vec<Vec<usize>> = groups
        .into_iter()
        .map(|(a, b)| {
            let mut g = order[a..b].to_vec();
            g.sort_unstable();
            g
        })
        .collect();
    out.sort_unstable();
    Some(out)
}

/// Merges identical columns; `None` when there are none.
pub(crate) fn merge_identical_columns<S: Cell>(
    scores: &[S],
    rows: usize,
    cols: usize,
    capacity: &[u32],
) -> Option<Merged<S>> {
    let groups = identical_groups(scores, rows, cols)?;
    let mut group_of = vec![usize::MAX; cols];
    for (g, members) in groups.iter().enumerate() {
        for &j in members {
            group_of[j] = g;
        }
    }
    // Merged columns keep the order of their first member.
    let mut members: Vec<Vec<usize>> = Vec::new();
    let mut reps = Vec::new();
    for j in 0..cols {
        if group_of[j] == usize::MAX {
            members.push(vec![j]);
            reps.push(j);
        } else if groups[group_of[j]][0] == j {
            members.push(groups[group_of[j]].clone());
            reps.push(j);
        }
    }
    let capacity: Vec<u32> = members
        .iter()
        .map(|m| {
            m.iter()
                .fold(0u32, |acc, &j| acc.saturating_add(capacity[j]))
        })
        .collect();
    let k = reps.len();
    let mut merged = Vec::with_capacity(rows * k);
    for r in 0..rows {
        let row = &scores[r * cols..(r + 1) * cols];
        merged.extend(reps.iter().map(|&j| row[j]));
    }
    Some(Merged {
        scores: merged,
        cols: k,
        capacity,
        members,
    })
}

impl<S> Merged<S> {
    /// Maps a solution on merged columns back to original columns, filling each group's
    /// members in order up to their own capacities.
    pub(crate) fn spread(&self, sol: &[Option<usize>], capacity: &[u32]) -> Vec<Option<usize>> {
        let mut cursor = vec![(0usize, 0u32); self.cols];
        sol.iter()
            .map(|&g| {
                let g = g?;
                let members = &self.members[g];
                let (idx, used) = &mut cursor[g];
                while *idx < members.len() && *used >= capacity[members[*idx]] {
                    *idx += 1;
                    *used = 0;
                }
                let j = *members.get(*idx)?;
                *used += 1;
                Some(j)
            })
            .collect()
    }
}
