//! People of the banks grouped once per request by organisation and by
//! form ([`Groups`]), so that a programme finds its mentees and candidate
//! mentors from its scope's organisations instead of testing everybody.

use crate::domain::profile::mentor_kind_for;
use crate::domain::{Form, MentorProfile};

/// Indices `0..n` grouped by a small key, each group ascending: group `k`
/// is `members[start[k]..start[k + 1]]` (compressed lists). Built by a
/// counting sort, `O(n + keys)`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Groups {
    start: Vec<u32>,
    members: Vec<u32>,
}

impl Groups {
    /// Groups `(key, index)` pairs into `keys` groups; pairs must come in
    /// ascending index order (so each group is ascending) and every key
    /// must be below `keys`. An index may be in several groups.
    pub fn new(keys: usize, pairs: impl Iterator<Item = (usize, u32)> + Clone) -> Self {
        let mut start = vec![0u32; keys + 1];
        for (k, _) in pairs.clone() {
            start[k + 1] += 1;
        }
        for k in 0..keys {
            start[k + 1] += start[k];
        }
        let mut next: Vec<u32> = start[..keys].to_vec();
        let mut members = vec![0u32; start[keys] as usize];
        for (k, i) in pairs {
            members[next[k] as usize] = i;
            next[k] += 1;
        }
        Self { start, members }
    }

    /// Group `k`, ascending; empty for a key out of range.
    pub fn get(&self, k: usize) -> &[u32] {
        match (self.start.get(k), self.start.get(k + 1)) {
            (Some(&a), Some(&b)) => &self.members[a as usize..b as usize],
            _ => &[],
        }
    }

    /// The members of the groups `keys`, ascending (each index once when
    /// the groups are disjoint). `O(m log m)` for `m` members found.
    pub fn union(&self, keys: impl Iterator<Item = usize>) -> Vec<u32> {
        let mut out: Vec<u32> = keys.flat_map(|k| self.get(k).iter().copied()).collect();
        out.sort_unstable();
        out
    }
}

/// Position of `form` in [`Form::ALL`].
pub(super) fn form_key(form: Form) -> usize {
    Form::ALL.iter().position(|&f| f == form).unwrap_or(0)
}

/// Whether `mentor` passes the first two mentor-side rules of `form`: it
/// accepts the form and is the kind of person the form needs (see
/// [`crate::matching::rules::mentor_rule`]).
pub(super) fn serves_form(mentor: &MentorProfile, form: Form) -> bool {
    mentor.forms.contains(&form) && mentor.person.kind == mentor_kind_for(form)
}

/// The people of the banks by organisation and the mentors by form.
#[derive(Debug, Clone, Default)]
pub(super) struct PeopleIndex {
    /// Organisations in the banks' slice; key `orgs` holds the people
    /// whose organisation is unknown.
    orgs: usize,
    /// Mentees by the position of their organisation.
    pub mentees_by_org: Groups,
    /// Mentors by the position of their organisation.
    pub mentors_by_org: Groups,
    /// Mentors by form ([`form_key`]) that pass its first two rules
    /// ([`serves_form`]).
    pub mentors_by_form: Groups,
    /// Per mentor, bit [`form_key`] set when it serves that form.
    pub forms_served: Vec<u8>,
}

impl PeopleIndex {
    /// Indexes people by organisation position (`u32::MAX` or anything
    /// beyond `orgs` for an unknown one) and the mentors by form.
    /// `O(people + orgs)`.
    pub fn new(
        orgs: usize,
        mentors: &[MentorProfile],
        mentor_org: &[u32],
        mentee_org: &[u32],
    ) -> Self {
        let key = |at: u32| (at as usize).min(orgs);
        let by_org = |at: &[u32]| {
            Groups::new(
                orgs + 1,
                at.iter().enumerate().map(move |(i, &o)| (key(o), i as u32)),
            )
        };
        let forms_served: Vec<u8> = mentors
            .iter()
            .map(|m| {
                Form::ALL
                    .iter()
                    .enumerate()
                    .filter(|&(_, &f)| serves_form(m, f))
                    .fold(0u8, |bits, (k, _)| bits | (1 << k))
            })
            .collect();
        let mentors_by_form = Groups::new(
            Form::ALL.len(),
            forms_served.iter().enumerate().flat_map(|(i, &bits)| {
                (0..Form::ALL.len())
                    .filter(move |k| bits & (1 << k) != 0)
                    .map(move |k| (k, i as u32))
            }),
        );
        Self {
            orgs,
            mentees_by_org: by_org(mentee_org),
            mentors_by_org: by_org(mentor_org),
            mentors_by_form,
            forms_served,
        }
    }

    /// The key of an organisation position.
    pub fn org_key(&self, at: u32) -> usize {
        (at as usize).min(self.orgs)
    }

    /// Whether mentor `m` serves `form` ([`serves_form`]). `O(1)`.
    pub fn serves(&self, m: usize, form: Form) -> bool {
        self.forms_served[m] & (1 << form_key(form)) != 0
    }
}
