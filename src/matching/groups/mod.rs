//! Group mentoring: a mentor leads between `min` and `max` mentees, or none.
//!
//! Each connected component of a group programme is solved **exactly**,
//! lexicographically: the most mentees matched (coverage first), then the
//! objective (`Total`: the largest total score; `Fair`: the largest lowest
//! pair score, then the largest total), under "no new member, or enough to
//! bring the group to between `min` and `max`", counting members already
//! approved or pinned.
//!
//! The method ([`exact`]): branch and bound on which mentors lead a group.
//! With the open mentors fixed, the rest is a transportation problem with
//! lower bounds, solved exactly as a min-cost flow ([`flow`]); dropping the
//! lower bounds of undecided mentors gives the bound. The repair heuristic
//! (close the weakest under-filled mentor and re-solve) seeds the search,
//! so the result is never worse than it.
//!
//! Budget: deciding whether every mentee can be grouped is NP-hard once
//! `min ≥ 3`, so the search of each component stops after the programme's
//! `group.time_budget_ms` (default [`DEFAULT_TIME_BUDGET_MS`]). It then
//! returns the best grouping found with a proven upper bound on matched
//! mentees and on the total; the run's statistics say per component
//! whether it is optimal and the gaps. A school's component (≤ 10 mentors,
//! ≤ 40 mentees) is proven optimal in milliseconds; the budget matters for
//! network programmes whose components span many schools.
//!
//! Guarantees: every proposed group has between `min` and `max` members
//! (counting approved and pinned members); every hard rule and capacity
//! holds; a component marked optimal is optimal; a component not marked
//! optimal has a proven bound. With the budget hit, the grouping depends
//! on how far the search got, hence on the machine's speed.
//!
//! Complexity: per search node one min-cost flow, `O(n · E log V)` for `n`
//! mentees, `E` allowed pairs and `V` people; at most `2^b` leaves for `b`
//! mentors below `min`.
//!
//! Entry point: [`solve_groups`] (one component, a [`GroupProblem`] →
//! a [`GroupSolution`]); the engine calls it per component of a group
//! programme. [`group_capacity`], [`cohesion`], [`shared_needs`] and
//! [`covered_needs`] serve the engine's places and explanations.

pub mod exact;
pub(crate) mod flow;
#[cfg(test)]
mod tests;

pub use exact::{GroupProblem, GroupSolution, solve_groups};

use crate::domain::{GroupSize, MenteeProfile, MentorProfile};

pub use crate::domain::programme::DEFAULT_GROUP_TIME_BUDGET_MS as DEFAULT_TIME_BUDGET_MS;

/// Places a mentor may fill in a group programme: `min(spare, max −
/// members)`, or 0 when even a full `spare` cannot lift the group to `min`.
/// `O(1)`.
///
/// ```rust
/// use mentor_match::domain::GroupSize;
/// use mentor_match::matching::groups::group_capacity;
///
/// let size = GroupSize::new(3, 5);
/// assert_eq!(group_capacity(4, 2, size), 3); // the group is full at 5
/// assert_eq!(group_capacity(1, 0, size), 0); // one place cannot make a group of 3
/// ```
pub fn group_capacity(spare: u32, members: u32, size: GroupSize) -> u32 {
    let room = size.max.saturating_sub(members).min(spare);
    if members + room < size.min { 0 } else { room }
}

/// Cohesion of a group, 0..1: the mean Jaccard overlap over all pairs of
/// members of their subjects ∪ requests; 1 for a group of one.
/// `O(k² · t)` for `k` members with `t` tags each.
pub fn cohesion(members: &[&MenteeProfile]) -> f64 {
    if members.len() < 2 {
        return 1.0;
    }
    let tags: Vec<Vec<&String>> = members.iter().map(|m| needs(m)).collect();
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

/// A mentee's needs (subjects ∪ requests), sorted and deduplicated.
fn needs(m: &MenteeProfile) -> Vec<&String> {
    let mut t: Vec<&String> = m.person.subjects.iter().chain(&m.requests).collect();
    t.sort_unstable();
    t.dedup();
    t
}

/// The needs at least two members share, most shared first, then by name;
/// at most `limit`. `O(k · t · log(k · t))`.
pub fn shared_needs(members: &[&MenteeProfile], limit: usize) -> Vec<String> {
    let mut all: Vec<&String> = members.iter().flat_map(|m| needs(m)).collect();
    all.sort_unstable();
    let mut counted: Vec<(usize, &String)> = Vec::new();
    for tag in all {
        match counted.last_mut() {
            Some((n, last)) if *last == tag => *n += 1,
            _ => counted.push((1, tag)),
        }
    }
    counted.retain(|(n, _)| *n >= 2);
    counted.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    counted
        .into_iter()
        .take(limit)
        .map(|(_, t)| t.clone())
        .collect()
}

/// The members' needs the mentor covers (a member's subject among the
/// mentor's subjects, or a request among the mentor's competencies), the
/// most members covered first, then by name; at most `limit`.
/// `O(k · t · log(k · t))`.
pub fn covered_needs(
    mentor: &MentorProfile,
    members: &[&MenteeProfile],
    limit: usize,
) -> Vec<String> {
    let mut hits: Vec<&String> = Vec::new();
    for m in members {
        let mut own: Vec<&String> = m
            .person
            .subjects
            .iter()
            .filter(|s| mentor.person.subjects.contains(s))
            .chain(
                m.requests
                    .iter()
                    .filter(|r| mentor.competencies.contains(r)),
            )
            .collect();
        own.sort_unstable();
        own.dedup();
        hits.extend(own);
    }
    hits.sort_unstable();
    let mut counted: Vec<(usize, &String)> = Vec::new();
    for tag in hits {
        match counted.last_mut() {
            Some((n, last)) if *last == tag => *n += 1,
            _ => counted.push((1, tag)),
        }
    }
    counted.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    counted
        .into_iter()
        .take(limit)
        .map(|(_, t)| t.clone())
        .collect()
}
