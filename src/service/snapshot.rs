//! What a run read, kept with the run so that it stays an immutable
//! snapshot at the size of its pool, not of its score matrix.
//!
//! Profiles are named by entity tag (a content hash, see
//! [`crate::store::content_etag`]): the store finds a tag in the banks
//! while the profile is unchanged and in its kept versions afterwards.
//! Everyone else a run read — approved, rejected and pinned pairs, wishes,
//! completed and moved mentees — is named by position in the run's own
//! lists. A stored run therefore holds no person's id: erasing a person
//! drops their profile versions, and every run naming them loses them at
//! once, whatever the number of runs.
//!
//! A person named by a pair or a wish but outside the pool (a mentor who
//! left, a profile deleted since) matters to a run only as somebody who is
//! none of the pool; they are kept as a numbered stand-in, so the engine
//! sees the same inputs again and gives the same result.

use super::runs::Inputs;
use crate::domain::{Id, MenteeProfile, MentorProfile, Organization, Programme};
use crate::matching::engine::PairRef;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A reference to a person of the snapshot: `0..mentors` a mentor of the
/// pool, then `mentors..mentors + mentees` a mentee of the pool; a
/// negative value `-(k + 1)` is the `k`-th stand-in for somebody outside
/// the pool.
type PersonRef = i64;

/// The inputs of a run as stored with it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSnapshot {
    /// Format version, for readers of older snapshots.
    pub version: u32,
    /// The programme as the run read it.
    pub programme: Programme,
    /// Every organisation as the run read it.
    pub organizations: Vec<Organization>,
    /// Entity tags of the mentor profiles of the pool, in the run's order.
    pub mentors: Vec<String>,
    /// Entity tags of the mentee profiles of the pool, in the run's order.
    pub mentees: Vec<String>,
    /// Mentors whose places the run saw below their profile's capacity
    /// (pairs of other programmes use them): (mentor, places left).
    pub places_left: Vec<(PersonRef, u32)>,
    /// Active pairs of the programme: (mentor, mentee).
    pub approved: Vec<(PersonRef, PersonRef)>,
    /// Pairs never to propose: (mentor, mentee).
    pub excluded: Vec<(PersonRef, PersonRef)>,
    /// Pins that held: (mentor, mentee).
    pub pinned: Vec<(PersonRef, PersonRef)>,
    /// Mentees' wishes: (mentee, mentors most wanted first).
    pub mentee_wishes: Vec<(PersonRef, Vec<PersonRef>)>,
    /// Mentors' wishes: (mentor, mentees most wanted first).
    pub mentor_wishes: Vec<(PersonRef, Vec<PersonRef>)>,
    /// Mentees whose pair here was completed.
    pub completed: Vec<PersonRef>,
    /// Mentees who moved away.
    pub moved_away: Vec<PersonRef>,
}

/// The current snapshot format.
const VERSION: u32 = 1;

/// Numbers people: pool mentors, pool mentees, then stand-ins.
struct Numbering<'a> {
    mentors: HashMap<&'a str, PersonRef>,
    mentees: HashMap<&'a str, PersonRef>,
    outside: HashMap<&'a str, PersonRef>,
}

impl<'a> Numbering<'a> {
    fn new(inputs: &'a Inputs) -> Self {
        let offset = inputs.mentors.len() as PersonRef;
        Self {
            mentors: inputs
                .mentors
                .iter()
                .enumerate()
                .map(|(i, m)| (m.person.id.as_str(), i as PersonRef))
                .collect(),
            mentees: inputs
                .mentees
                .iter()
                .enumerate()
                .map(|(i, e)| (e.person.id.as_str(), offset + i as PersonRef))
                .collect(),
            outside: HashMap::new(),
        }
    }

    fn mentor(&mut self, id: &'a Id) -> PersonRef {
        match self.mentors.get(id.as_str()) {
            Some(&r) => r,
            None => self.stand_in(id),
        }
    }

    fn mentee(&mut self, id: &'a Id) -> PersonRef {
        match self.mentees.get(id.as_str()) {
            Some(&r) => r,
            None => self.stand_in(id),
        }
    }

    fn stand_in(&mut self, id: &'a Id) -> PersonRef {
        let next = -(self.outside.len() as PersonRef) - 1;
        *self.outside.entry(id.as_str()).or_insert(next)
    }

    fn pairs(&mut self, pairs: &'a [PairRef]) -> Vec<(PersonRef, PersonRef)> {
        pairs
            .iter()
            .map(|p| (self.mentor(&p.mentor_id), self.mentee(&p.mentee_id)))
            .collect()
    }
}

impl RunSnapshot {
    /// The snapshot of what a run read.
    pub fn of(inputs: &Inputs) -> Self {
        let mut n = Numbering::new(inputs);
        let tag = |tags: &HashMap<String, String>, id: &Id| {
            tags.get(id.as_str()).cloned().unwrap_or_default()
        };
        let places_left = inputs
            .mentors
            .iter()
            .enumerate()
            .filter(|(_, m)| inputs.places_lowered.contains(m.person.id.as_str()))
            .map(|(i, m)| (i as PersonRef, m.capacity))
            .collect();
        let approved = n.pairs(&inputs.approved);
        let excluded = n.pairs(&inputs.excluded);
        let pinned = n.pairs(&inputs.pinned);
        let mut mentee_wishes = Vec::new();
        for (who, targets) in &inputs.mentee_wishes {
            let who = n.mentee(who);
            mentee_wishes.push((who, targets.iter().map(|t| n.mentor(t)).collect()));
        }
        let mut mentor_wishes = Vec::new();
        for (who, targets) in &inputs.mentor_wishes {
            let who = n.mentor(who);
            mentor_wishes.push((who, targets.iter().map(|t| n.mentee(t)).collect()));
        }
        let completed = inputs.completed.iter().map(|e| n.mentee(e)).collect();
        let moved_away = inputs.moved_away.iter().map(|e| n.mentee(e)).collect();
        Self {
            version: VERSION,
            programme: inputs.programme.clone(),
            organizations: inputs.organizations.clone(),
            mentors: inputs
                .mentors
                .iter()
                .map(|m| tag(&inputs.mentor_etags, &m.person.id))
                .collect(),
            mentees: inputs
                .mentees
                .iter()
                .map(|e| tag(&inputs.mentee_etags, &e.person.id))
                .collect(),
            places_left,
            approved,
            excluded,
            pinned,
            mentee_wishes,
            mentor_wishes,
            completed,
            moved_away,
        }
    }

    /// Every entity tag the snapshot names.
    pub fn etags(&self) -> impl Iterator<Item = &str> {
        self.mentors.iter().chain(&self.mentees).map(String::as_str)
    }

    /// The inputs again, from the profile documents found for the tags
    /// (`docs`: tag → document). A profile no longer found (its person
    /// was erased) is left out of the pool, and so out of every list.
    pub fn inputs(&self, docs: &HashMap<String, String>) -> Result<Inputs, String> {
        fn parse<T: serde::de::DeserializeOwned>(doc: &str) -> Result<T, String> {
            serde_json::from_str(doc).map_err(|e| format!("stored profile unreadable: {e}"))
        }
        let mut mentors: Vec<Option<MentorProfile>> = Vec::with_capacity(self.mentors.len());
        let mut mentor_etags = HashMap::new();
        for tag in &self.mentors {
            let profile = docs
                .get(tag)
                .map(|d| parse::<MentorProfile>(d))
                .transpose()?;
            if let Some(p) = &profile {
                mentor_etags.insert(p.person.id.to_string(), tag.clone());
            }
            mentors.push(profile);
        }
        let mut mentees: Vec<Option<MenteeProfile>> = Vec::with_capacity(self.mentees.len());
        let mut mentee_etags = HashMap::new();
        for tag in &self.mentees {
            let profile = docs
                .get(tag)
                .map(|d| parse::<MenteeProfile>(d))
                .transpose()?;
            if let Some(p) = &profile {
                mentee_etags.insert(p.person.id.to_string(), tag.clone());
            }
            mentees.push(profile);
        }
        let mut places_lowered = std::collections::HashSet::new();
        for &(r, places) in &self.places_left {
            if let Some(Some(m)) = usize::try_from(r).ok().and_then(|i| mentors.get_mut(i)) {
                m.capacity = places;
                places_lowered.insert(m.person.id.to_string());
            }
        }
        let taken: std::collections::HashSet<&str> = mentors
            .iter()
            .flatten()
            .map(|m| m.person.id.as_str())
            .chain(mentees.iter().flatten().map(|e| e.person.id.as_str()))
            .collect();
        // Outside the pool, only being nobody of it matters; the name
        // avoids every id of the pool (it always parses: letters, digits
        // and colons).
        let stand_in = |kind: &str, k: i64| -> Option<Id> {
            let mut name = format!("{kind}:{k}");
            while taken.contains(name.as_str()) {
                name.push(':');
            }
            Id::parse(&name).ok()
        };
        let offset = self.mentors.len() as i64;
        // `None`: a pool member whose profile is gone; lists drop them.
        let person = |r: PersonRef, mentor_side: bool| -> Option<Id> {
            if r < 0 {
                return stand_in("outside", -r);
            }
            if mentor_side {
                let m = mentors.get(usize::try_from(r).ok()?)?.as_ref()?;
                Some(m.person.id.clone())
            } else {
                let e = mentees.get(usize::try_from(r - offset).ok()?)?.as_ref()?;
                Some(e.person.id.clone())
            }
        };
        let pairs = |list: &[(PersonRef, PersonRef)]| -> Vec<PairRef> {
            list.iter()
                .filter_map(|&(m, e)| {
                    Some(PairRef {
                        mentor_id: person(m, true)?,
                        mentee_id: person(e, false)?,
                    })
                })
                .collect()
        };
        let wishes = |list: &[(PersonRef, Vec<PersonRef>)], mentor_side: bool| {
            list.iter()
                .filter_map(|(who, targets)| {
                    // A target whose profile is gone keeps its rank as a
                    // stand-in, so later wishes keep theirs.
                    let targets = targets
                        .iter()
                        .filter_map(|&t| person(t, !mentor_side).or_else(|| stand_in("gone", t)))
                        .collect();
                    Some((person(*who, mentor_side)?, targets))
                })
                .collect::<Vec<_>>()
        };
        let mentees_of = |list: &[PersonRef]| -> Vec<Id> {
            list.iter().filter_map(|&e| person(e, false)).collect()
        };
        let approved = pairs(&self.approved);
        let excluded = pairs(&self.excluded);
        let pinned = pairs(&self.pinned);
        let mentee_wishes = wishes(&self.mentee_wishes, false);
        let mentor_wishes = wishes(&self.mentor_wishes, true);
        let completed = mentees_of(&self.completed);
        let moved_away = mentees_of(&self.moved_away);
        Ok(Inputs {
            programme: self.programme.clone(),
            organizations: self.organizations.clone(),
            mentors: mentors.into_iter().flatten().collect(),
            mentees: mentees.into_iter().flatten().collect(),
            approved,
            excluded,
            pinned,
            mentee_wishes,
            mentor_wishes,
            completed,
            moved_away,
            mentor_etags,
            mentee_etags,
            places_lowered,
        })
    }
}
