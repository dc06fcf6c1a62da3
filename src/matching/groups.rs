//! Group mentoring: a mentor leads between `min` and `max` mentees, or none.
//!
//! The exact problem (assignment with "zero or at least `min`" per column)
//! is NP-hard in general, so groups are built by a **heuristic repair**:
//! solve with capacity `min(spare, max − members)`, then, while some mentor
//! got a group smaller than `min`, close the weakest such mentor (fewest
//! members, then lowest score sum, then position) and re-solve the
//! component. Each round closes one mentor, so there are at most as many
//! rounds as mentors in the component.
//!
//! Guarantees: every proposed group has between `min` and `max` members
//! (counting already-approved and pinned members); every other guarantee
//! of the solver (hard rules, capacity, coverage and score optimality)
//! holds *for the set of mentors left open*. Coverage may be below the true
//! optimum of the group-constrained problem.

use crate::domain::{GroupSize, MenteeProfile};

/// Places a mentor may fill in a group programme: `min(spare, max −
/// members)`, or 0 when even a full `spare` cannot lift the group to `min`.
pub fn group_capacity(spare: u32, members: u32, size: GroupSize) -> u32 {
    let room = size.max.saturating_sub(members).min(spare);
    if members + room < size.min { 0 } else { room }
}

/// The column to close: among columns with new members whose group stays
/// below `min`, the one with fewest members, then the lowest score sum,
/// then the lowest index. `None` when every group is large enough.
///
/// `pairs` are `(row, col)` of the solution, `score(row, col)` its scores,
/// `members[col]` the members each mentor already has. `O(pairs + cols)`.
pub fn weakest_below_min(
    pairs: &[(usize, usize)],
    score: impl Fn(usize, usize) -> i64,
    members: &[u32],
    size: GroupSize,
) -> Option<usize> {
    let mut count = vec![0u32; members.len()];
    let mut sum = vec![0i64; members.len()];
    for &(r, c) in pairs {
        count[c] += 1;
        sum[c] += score(r, c);
    }
    (0..members.len())
        .filter(|&c| count[c] > 0 && members[c] + count[c] < size.min)
        .min_by_key(|&c| (members[c] + count[c], sum[c], c))
}

/// Cohesion of a group, 0..1: the mean Jaccard overlap over all pairs of
/// members of their subjects ∪ requests; 1 for a group of one.
/// `O(k² · t)` for `k` members with `t` tags each.
pub fn cohesion(members: &[&MenteeProfile]) -> f64 {
    if members.len() < 2 {
        return 1.0;
    }
    let tags: Vec<Vec<&String>> = members
        .iter()
        .map(|m| {
            let mut t: Vec<&String> = m.person.subjects.iter().chain(&m.requests).collect();
            t.sort_unstable();
            t.dedup();
            t
        })
        .collect();
    let mut total = 0.0;
    let mut pairs = 0u32;
    for i in 0..tags.len() {
        for j in i + 1..tags.len() {
            let common = tags[i]
                .iter()
                .filter(|t| tags[j].binary_search(t).is_ok())
                .count();
            let union = tags[i].len() + tags[j].len() - common;
            total += if union == 0 {
                0.0
            } else {
                common as f64 / union as f64
            };
            pairs += 1;
        }
    }
    total / f64::from(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mentor_who_cannot_reach_the_minimum_takes_nobody() {
        let size = GroupSize { min: 3, max: 5 };
        assert_eq!(group_capacity(2, 0, size), 0);
        assert_eq!(group_capacity(4, 0, size), 4);
        assert_eq!(group_capacity(9, 2, size), 3);
        assert_eq!(group_capacity(1, 4, size), 1);
    }

    #[test]
    fn the_smallest_group_below_minimum_is_closed_first() {
        let size = GroupSize { min: 2, max: 3 };
        let pairs = [(0, 0), (1, 1), (2, 1), (3, 2)];
        let closed = weakest_below_min(&pairs, |r, _| r as i64, &[0, 0, 0], size);
        assert_eq!(closed, Some(0));
    }
}
