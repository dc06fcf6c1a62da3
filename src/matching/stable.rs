//! Stable matchings with capacities (the hospitals–residents problem):
//! mentees on one side, mentors with a number of places on the other.
//!
//! A pair `(mentee, mentor)` **blocks** an assignment when a hard rule allows
//! it, they are not together, the mentee has no mentor or prefers this one
//! to its own, and the mentor has a free place or prefers this mentee to the
//! worst one it holds. An assignment without blocking pairs is *stable*.
//!
//! Preferences ([`Preferences`]) are strict lists over the allowed partners:
//! a person's wishes first, in their order (wishes for a forbidden partner
//! or repeated ones are skipped), then every other allowed partner by score,
//! highest first, and equal scores by index, lowest first. Everyone allowed
//! is acceptable: nobody would rather stay alone than take an allowed
//! partner. With scores alone both sides rank by the same number, and the
//! stable assignment is unique.
//!
//! [`deferred_acceptance`] is Gale–Shapley's algorithm with capacities: with
//! [`Proposer::Mentees`] it gives the mentee-optimal stable assignment (no
//! stable assignment gives any mentee a mentor it prefers), with
//! [`Proposer::Mentors`] the mentor-optimal one. By the rural hospitals
//! theorem every stable assignment matches the same mentees and fills each
//! mentor equally, so stability may cost coverage against
//! [`super::assignment`]'s coverage-first objectives. [`blocking_pairs`]
//! lists the blocking pairs of any assignment.
//!
//! Complexity: building [`Preferences`] is `O(E log E)` for `E` allowed
//! cells (memory `O(rows · cols)`); [`deferred_acceptance`] is
//! `O(E log C)` (mentees proposing, `C` the largest capacity) or `O(E)`
//! (mentors proposing); [`blocking_pairs`] is `O(rows · cols)`.
//!
//! # Example
//!
//! ```rust
//! use mentor_match::matching::stable::{Preferences, Proposer, blocking_pairs, deferred_acceptance};
//!
//! // Two mentees, two mentors (one place each) with crossed wishes: each
//! // mentee wants mentor 0 first, mentor 0 wants mentee 1, mentor 1 mentee 0.
//! let prefs = Preferences::new(2, 2, &[1; 4], &[vec![0, 1], vec![0, 1]], &[vec![1, 0], vec![0, 1]]);
//! let pairs = deferred_acceptance(&prefs, &[1, 1], Proposer::Mentees);
//! assert_eq!(pairs, [(0, 1), (1, 0)]);
//! assert!(blocking_pairs(&prefs, &[1, 1], &pairs).is_empty());
//! // The other assignment has the blocking pair (mentee 1, mentor 0).
//! assert_eq!(blocking_pairs(&prefs, &[1, 1], &[(0, 0), (1, 1)]), [(1, 0)]);
//! ```

use std::collections::BinaryHeap;

use super::assignment::FORBIDDEN;

/// Marks a forbidden cell in the rank tables.
const NONE: u32 = u32::MAX;

/// Strict preferences of both sides over the allowed pairs of a
/// `rows × cols` problem (rows = mentees, columns = mentors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preferences {
    rows: usize,
    cols: usize,
    /// Each mentee's mentors, most wanted first.
    mentee_lists: Vec<Vec<usize>>,
    /// Each mentor's mentees, most wanted first.
    mentor_lists: Vec<Vec<usize>>,
    /// Both sides' ranks of every allowed pair.
    ranks: Ranks,
}

/// The ranks of the allowed pairs, dense (every cell) or in compressed rows
/// (allowed cells only): `O(rows · cols)` or `O(E)` memory.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ranks {
    /// Row-major: the mentee's and the mentor's rank of each pair (0 =
    /// first), [`NONE`] if forbidden.
    Dense { mentee: Vec<u32>, mentor: Vec<u32> },
    /// Row `r`'s allowed columns `cols[start[r]..start[r + 1]]`
    /// (ascending), the two ranks alongside.
    Sparse {
        start: Vec<usize>,
        cols: Vec<u32>,
        mentee: Vec<u32>,
        mentor: Vec<u32>,
    },
}

impl Preferences {
    /// Preferences from row-major `scores` ([`FORBIDDEN`] = not allowed)
    /// and each side's wishes (indices, most wanted first; missing entries
    /// mean no wishes). See the module documentation for the tie-breaking.
    /// `O(E log E)`. Panics if `scores.len() != rows * cols`.
    pub fn new(
        rows: usize,
        cols: usize,
        scores: &[i64],
        mentee_wishes: &[Vec<usize>],
        mentor_wishes: &[Vec<usize>],
    ) -> Self {
        assert_eq!(scores.len(), rows * cols, "scores must be rows × cols");
        let allowed =
            |r: usize, c: usize| r < rows && c < cols && scores[r * cols + c] != FORBIDDEN;
        let mentee_lists: Vec<Vec<usize>> = (0..rows)
            .map(|r| {
                let wishes = mentee_wishes.get(r).map_or(&[][..], Vec::as_slice);
                ranked(
                    wishes,
                    (0..cols).filter(|&c| allowed(r, c)),
                    |c| scores[r * cols + c],
                    |c| allowed(r, c),
                )
            })
            .collect();
        let mentor_lists: Vec<Vec<usize>> = (0..cols)
            .map(|c| {
                let wishes = mentor_wishes.get(c).map_or(&[][..], Vec::as_slice);
                ranked(
                    wishes,
                    (0..rows).filter(|&r| allowed(r, c)),
                    |r| scores[r * cols + c],
                    |r| allowed(r, c),
                )
            })
            .collect();
        let mut mentee_rank = vec![NONE; rows * cols];
        for (r, list) in mentee_lists.iter().enumerate() {
            for (k, &c) in list.iter().enumerate() {
                mentee_rank[r * cols + c] = super::assignment::ix(k);
            }
        }
        let mut mentor_rank = vec![NONE; rows * cols];
        for (c, list) in mentor_lists.iter().enumerate() {
            for (k, &r) in list.iter().enumerate() {
                mentor_rank[r * cols + c] = super::assignment::ix(k);
            }
        }
        Self {
            rows,
            cols,
            mentee_lists,
            mentor_lists,
            ranks: Ranks::Dense {
                mentee: mentee_rank,
                mentor: mentor_rank,
            },
        }
    }

    /// The same preferences as [`Preferences::new`] from the allowed cells
    /// only, in compressed rows: row `r`'s allowed columns are
    /// `cols_idx[start[r]..start[r + 1]]`, ascending, with `scores`
    /// alongside. `O(rows + cols + E log E)` time, `O(rows + cols + E)`
    /// memory for `E` allowed cells; a rank look-up then costs
    /// `O(log d)` for `d` allowed cells in the row.
    ///
    /// Panics if `start` does not have `rows + 1` offsets or a column is out
    /// of range.
    pub fn from_csr(
        cols: usize,
        start: &[usize],
        cols_idx: &[u32],
        scores: &[i64],
        mentee_wishes: &[Vec<usize>],
        mentor_wishes: &[Vec<usize>],
    ) -> Self {
        use super::assignment::ix;
        let rows = start.len().saturating_sub(1);
        let edges = start.last().copied().unwrap_or(0);
        let find = |r: usize, c: usize| -> Option<usize> {
            if r >= rows {
                return None;
            }
            let (a, b) = (start[r], start[r + 1]);
            let c = u32::try_from(c).ok()?;
            cols_idx[a..b].binary_search(&c).ok().map(|k| a + k)
        };
        let mentee_lists: Vec<Vec<usize>> = (0..rows)
            .map(|r| {
                let wishes = mentee_wishes.get(r).map_or(&[][..], Vec::as_slice);
                ranked(
                    wishes,
                    cols_idx[start[r]..start[r + 1]].iter().map(|&c| c as usize),
                    |c| find(r, c).map_or(FORBIDDEN, |k| scores[k]),
                    |c| find(r, c).is_some(),
                )
            })
            .collect();
        // The columns' view: each column's rows (ascending) and their cells.
        let mut col_start = vec![0usize; cols + 1];
        for &c in &cols_idx[..edges] {
            col_start[c as usize + 1] += 1;
        }
        for c in 0..cols {
            col_start[c + 1] += col_start[c];
        }
        let mut fill = col_start.clone();
        let mut col_rows = vec![0u32; edges];
        let mut col_cell = vec![0usize; edges];
        for r in 0..rows {
            for (k, &c) in cols_idx
                .iter()
                .enumerate()
                .take(start[r + 1])
                .skip(start[r])
            {
                let c = c as usize;
                col_rows[fill[c]] = ix(r);
                col_cell[fill[c]] = k;
                fill[c] += 1;
            }
        }
        drop(fill);
        let mentor_lists: Vec<Vec<usize>> = (0..cols)
            .map(|c| {
                let (a, b) = (col_start[c], col_start[c + 1]);
                let in_col = |r: usize| -> Option<usize> {
                    let r = u32::try_from(r).ok()?;
                    col_rows[a..b]
                        .binary_search(&r)
                        .ok()
                        .map(|k| col_cell[a + k])
                };
                let wishes = mentor_wishes.get(c).map_or(&[][..], Vec::as_slice);
                ranked(
                    wishes,
                    col_rows[a..b].iter().map(|&r| r as usize),
                    |r| in_col(r).map_or(FORBIDDEN, |k| scores[k]),
                    |r| in_col(r).is_some(),
                )
            })
            .collect();
        let mut mentee_rank = vec![NONE; edges];
        for (r, list) in mentee_lists.iter().enumerate() {
            for (k, &c) in list.iter().enumerate() {
                if let Some(cell) = find(r, c) {
                    mentee_rank[cell] = ix(k);
                }
            }
        }
        let mut mentor_rank = vec![NONE; edges];
        for (c, list) in mentor_lists.iter().enumerate() {
            for (k, &r) in list.iter().enumerate() {
                if let Some(cell) = find(r, c) {
                    mentor_rank[cell] = ix(k);
                }
            }
        }
        Self {
            rows,
            cols,
            mentee_lists,
            mentor_lists,
            ranks: Ranks::Sparse {
                start: start.to_vec(),
                cols: cols_idx[..edges].to_vec(),
                mentee: mentee_rank,
                mentor: mentor_rank,
            },
        }
    }

    /// Both ranks of `(row, col)`: `(mentee's, mentor's)`, [`NONE`] when
    /// forbidden.
    #[inline]
    fn ranks_of(&self, row: usize, col: usize) -> (u32, u32) {
        match &self.ranks {
            Ranks::Dense { mentee, mentor } => {
                let k = row * self.cols + col;
                (mentee[k], mentor[k])
            }
            Ranks::Sparse {
                start,
                cols,
                mentee,
                mentor,
            } => {
                let (a, b) = (start[row], start[row + 1]);
                match cols[a..b].binary_search(&super::assignment::ix(col)) {
                    Ok(k) => (mentee[a + k], mentor[a + k]),
                    Err(_) => (NONE, NONE),
                }
            }
        }
    }

    /// The mentee's rank of the mentor, [`NONE`] when forbidden.
    #[inline]
    fn ee(&self, row: usize, col: usize) -> u32 {
        self.ranks_of(row, col).0
    }

    /// The mentor's rank of the mentee, [`NONE`] when forbidden.
    #[inline]
    fn or(&self, row: usize, col: usize) -> u32 {
        self.ranks_of(row, col).1
    }

    /// Preferences from scores alone (nobody has wishes).
    pub fn from_scores(rows: usize, cols: usize, scores: &[i64]) -> Self {
        Self::new(rows, cols, scores, &[], &[])
    }

    /// Number of mentees.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of mentors.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// The mentee's rank of the mentor (0 = first choice), `None` if forbidden.
    pub fn mentee_rank(&self, row: usize, col: usize) -> Option<usize> {
        let k = self.ee(row, col);
        (k != NONE).then_some(k as usize)
    }

    /// The mentor's rank of the mentee (0 = first choice), `None` if forbidden.
    pub fn mentor_rank(&self, row: usize, col: usize) -> Option<usize> {
        let k = self.or(row, col);
        (k != NONE).then_some(k as usize)
    }

    /// The mentee's allowed mentors, most wanted first.
    pub fn mentee_list(&self, row: usize) -> &[usize] {
        &self.mentee_lists[row]
    }

    /// The mentor's allowed mentees, most wanted first.
    pub fn mentor_list(&self, col: usize) -> &[usize] {
        &self.mentor_lists[col]
    }
}

/// Wishes first (allowed, first occurrence), then the rest by score
/// descending and index ascending.
fn ranked(
    wishes: &[usize],
    candidates: impl Iterator<Item = usize>,
    score: impl Fn(usize) -> i64,
    allowed: impl Fn(usize) -> bool,
) -> Vec<usize> {
    let mut list: Vec<usize> = Vec::new();
    for &w in wishes {
        if allowed(w) && !list.contains(&w) {
            list.push(w);
        }
    }
    let mut rest: Vec<usize> = candidates.filter(|c| !list.contains(c)).collect();
    rest.sort_by_key(|&c| (std::cmp::Reverse(score(c)), c));
    list.extend(rest);
    list
}

/// Which side proposes in [`deferred_acceptance`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proposer {
    /// Mentees propose: the mentee-optimal stable assignment.
    Mentees,
    /// Mentors propose: the mentor-optimal stable assignment.
    Mentors,
}

/// A stable assignment by deferred acceptance; `capacity[c]` places for
/// mentor `c` (`capacity.len()` must be `prefs.cols()`, else panics).
/// Returns `(mentee, mentor)` pairs sorted by mentee. The result does not
/// depend on the order of proposals. `O(E log C)` mentees proposing,
/// `O(E)` mentors proposing.
///
/// ```rust
/// use mentor_match::matching::stable::{Preferences, Proposer, deferred_acceptance};
///
/// // One mentor with two places and three mentees who all want it: it
/// // keeps the two it prefers (by score here: 5 and 4).
/// let prefs = Preferences::from_scores(3, 1, &[3, 5, 4]);
/// assert_eq!(deferred_acceptance(&prefs, &[2], Proposer::Mentees), [(1, 0), (2, 0)]);
/// assert_eq!(deferred_acceptance(&prefs, &[2], Proposer::Mentors), [(1, 0), (2, 0)]);
/// ```
pub fn deferred_acceptance(
    prefs: &Preferences,
    capacity: &[u32],
    proposer: Proposer,
) -> Vec<(usize, usize)> {
    assert_eq!(capacity.len(), prefs.cols, "one capacity per mentor");
    let mut pairs = match proposer {
        Proposer::Mentees => mentees_propose(prefs, capacity),
        Proposer::Mentors => mentors_propose(prefs, capacity),
    };
    pairs.sort_unstable();
    pairs
}

fn mentees_propose(prefs: &Preferences, capacity: &[u32]) -> Vec<(usize, usize)> {
    let cols = prefs.cols;
    let mut next = vec![0usize; prefs.rows];
    // Each mentor's held mentees, the least wanted on top.
    let mut held: Vec<BinaryHeap<(u32, usize)>> = vec![BinaryHeap::new(); cols];
    let mut free: Vec<usize> = (0..prefs.rows).rev().collect();
    while let Some(r) = free.pop() {
        let Some(&c) = prefs.mentee_lists[r].get(next[r]) else {
            continue;
        };
        next[r] += 1;
        held[c].push((prefs.or(r, c), r));
        if held[c].len() > capacity[c] as usize
            && let Some((_, out)) = held[c].pop()
        {
            free.push(out);
        }
    }
    held.iter()
        .enumerate()
        .flat_map(|(c, h)| h.iter().map(move |&(_, r)| (r, c)))
        .collect()
}

fn mentors_propose(prefs: &Preferences, capacity: &[u32]) -> Vec<(usize, usize)> {
    let cols = prefs.cols;
    let mut next = vec![0usize; cols];
    let mut count = vec![0u32; cols];
    let mut mentor_of: Vec<Option<usize>> = vec![None; prefs.rows];
    let mut queue: Vec<usize> = (0..cols).rev().collect();
    while let Some(c) = queue.pop() {
        while count[c] < capacity[c] {
            let Some(&r) = prefs.mentor_lists[c].get(next[c]) else {
                break;
            };
            next[c] += 1;
            let rank = prefs.ee(r, c);
            match mentor_of[r] {
                Some(old) if prefs.ee(r, old) < rank => continue,
                Some(old) => {
                    count[old] -= 1;
                    queue.push(old);
                }
                None => {}
            }
            mentor_of[r] = Some(c);
            count[c] += 1;
        }
    }
    mentor_of
        .iter()
        .enumerate()
        .filter_map(|(r, c)| c.map(|c| (r, c)))
        .collect()
}

/// The blocking pairs of an assignment (`(mentee, mentor)` pairs, each
/// mentee at most once, allowed cells only), sorted; see the module
/// documentation. `O(rows · cols)`. Panics if an index is out of range.
pub fn blocking_pairs(
    prefs: &Preferences,
    capacity: &[u32],
    pairs: &[(usize, usize)],
) -> Vec<(usize, usize)> {
    let (rows, cols) = (prefs.rows, prefs.cols);
    let mut mentor_of: Vec<Option<usize>> = vec![None; rows];
    let mut count = vec![0u32; cols];
    // The mentor's rank of the least wanted mentee it holds.
    let mut worst = vec![0u32; cols];
    for &(r, c) in pairs {
        mentor_of[r] = Some(c);
        count[c] += 1;
        worst[c] = worst[c].max(prefs.or(r, c));
    }
    let mut out = Vec::new();
    for (r, own) in mentor_of.iter().enumerate() {
        let own_rank = own.map_or(NONE, |c| prefs.ee(r, c));
        for &c in &prefs.mentee_lists[r] {
            if prefs.ee(r, c) >= own_rank {
                break;
            }
            let room = count[c] < capacity.get(c).copied().unwrap_or(0);
            if room || prefs.or(r, c) < worst[c] {
                out.push((r, c));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wishes_come_first_then_scores_then_indices() {
        let scores = [1, 9, 9, FORBIDDEN];
        let p = Preferences::new(1, 4, &scores, &[vec![3, 0, 0]], &[]);
        // The wish for the forbidden mentor 3 is skipped, 0 is wished, then
        // 1 and 2 tie on 9 and go by index.
        assert_eq!(p.mentee_list(0), [0, 1, 2]);
        assert_eq!((p.mentee_rank(0, 2), p.mentee_rank(0, 3)), (Some(2), None));
    }

    #[test]
    fn mentee_and_mentor_optimal_differ_on_crossed_wishes() {
        let prefs = Preferences::new(
            2,
            2,
            &[0; 4],
            &[vec![0, 1], vec![1, 0]],
            &[vec![1, 0], vec![0, 1]],
        );
        let by_mentees = deferred_acceptance(&prefs, &[1, 1], Proposer::Mentees);
        let by_mentors = deferred_acceptance(&prefs, &[1, 1], Proposer::Mentors);
        assert_eq!(by_mentees, [(0, 0), (1, 1)]);
        assert_eq!(by_mentors, [(0, 1), (1, 0)]);
        assert!(blocking_pairs(&prefs, &[1, 1], &by_mentees).is_empty());
        assert!(blocking_pairs(&prefs, &[1, 1], &by_mentors).is_empty());
    }

    #[test]
    fn an_unmatched_mentee_blocks_with_a_mentor_that_has_room() {
        let prefs = Preferences::from_scores(2, 1, &[5, 3]);
        assert_eq!(blocking_pairs(&prefs, &[2], &[(0, 0)]), [(1, 0)]);
        assert!(blocking_pairs(&prefs, &[1], &[(0, 0)]).is_empty());
        assert_eq!(blocking_pairs(&prefs, &[1], &[(1, 0)]), [(0, 0)]);
    }

    #[test]
    fn zero_capacity_mentors_take_nobody() {
        let prefs = Preferences::from_scores(2, 2, &[5, 1, 4, 2]);
        for side in [Proposer::Mentees, Proposer::Mentors] {
            assert_eq!(deferred_acceptance(&prefs, &[0, 2], side), [(0, 1), (1, 1)]);
        }
    }
}
