//! Stage 5 of a run, [`explain_proposals`]: a proposal with its breakdown
//! and texts for every pinned pair and every solved pair or group.

use std::collections::BTreeMap;

use rayon::prelude::*;

use super::decompose::Component;
use super::prepare::Prepared;
use super::solve::Solved;
use crate::domain::{GroupSize, MenteeProfile};
use crate::matching::explain::{BreakdownItem, GroupReason, breakdown, mean_breakdown, summary};
use crate::matching::groups::{cohesion, covered_needs, shared_needs};
use crate::matching::outcome::{MemberBreakdown, PreferredPartner, Proposal};
use crate::matching::score::{from_scaled, pair_score};

/// The proposals and what the statistics need of them, from
/// [`explain_proposals`].
pub(super) struct Explained {
    /// Pinned pairs first (input order), then the solved ones by mentor
    /// and mentees.
    pub proposals: Vec<Proposal>,
    /// Whether each mentee (by input index) got a mentor from the solve.
    pub matched: Vec<bool>,
    /// Scaled score of every proposed pair, pinned ones included.
    pub pair_scores: Vec<i64>,
    /// Cohesion of every new group (group programmes).
    pub cohesions: Vec<f64>,
}

/// Takes the pins and the solved components; gives one proposal per
/// pinned pair, then one per solved pair, or per mentor's new group in
/// group programmes (mean breakdown, cohesion, reason). `O(P · tags)` for
/// `P` proposed pairs, plus `O(k² · tags)` cohesion per group of `k`.
pub(super) fn explain_proposals(
    run: &Prepared<'_>,
    components: &[Component],
    solved: &Solved,
) -> Explained {
    let mut out = Explained {
        proposals: Vec::new(),
        matched: vec![false; run.input.mentees.len()],
        pair_scores: Vec::new(),
        cohesions: Vec::new(),
    };
    for &(m, e) in &run.people.pins {
        let (s, items) = explain_pair(run, e, m);
        out.pair_scores.push(s);
        out.proposals.push(pair_proposal(run, m, e, s, items, true));
    }
    // Every mentor's new pairs or group is explained on its own, in
    // parallel: breakdown texts are most of a large run's explain time.
    // The units keep their sequential order, so the output is the same.
    let mut units: Vec<MentorUnit> = Vec::new();
    let parts = components.iter().zip(&solved.pairs).zip(&solved.reports);
    for (((c, pairs), report), blocking) in parts.zip(&solved.blocking) {
        // Mentors each mentee (by input index) would rather have, who agree.
        let mut preferred: BTreeMap<usize, Vec<PreferredPartner>> = BTreeMap::new();
        for &(r, col) in blocking {
            let (e, m) = (c.mentees[r], c.mentors[col]);
            preferred.entry(e).or_default().push(PreferredPartner {
                mentee_id: run.input.mentees[e].person.id.clone(),
                mentor_id: run.input.mentors[m].person.id.clone(),
            });
        }
        let mut by_mentor: BTreeMap<usize, Vec<(usize, Vec<PreferredPartner>)>> = BTreeMap::new();
        for &(r, col) in pairs {
            let e = c.mentees[r];
            let partners = preferred.remove(&e).unwrap_or_default();
            by_mentor
                .entry(c.mentors[col])
                .or_default()
                .push((e, partners));
        }
        let optimal = report.as_ref().is_some_and(|r| r.optimal);
        units.extend(
            by_mentor
                .into_iter()
                .map(|(m, group)| MentorUnit { m, group, optimal }),
        );
    }
    let explained: Vec<UnitProposals> = units
        .into_par_iter()
        .map(|u| explain_unit(run, u))
        .collect();
    let mut new_proposals: Vec<Proposal> = Vec::with_capacity(explained.len());
    for unit in explained {
        for e in unit.mentees {
            out.matched[e] = true;
        }
        out.pair_scores.extend(unit.scores);
        out.cohesions.extend(unit.cohesion);
        new_proposals.extend(unit.proposals);
    }
    new_proposals.sort_by(|a, b| {
        a.mentor_id
            .cmp(&b.mentor_id)
            .then_with(|| a.mentee_ids.cmp(&b.mentee_ids))
    });
    out.proposals.extend(new_proposals);
    out
}

/// One mentor's newly assigned mentees (by input index), each with the
/// mentors it would rather have who agree; explained by [`explain_unit`].
struct MentorUnit {
    m: usize,
    group: Vec<(usize, Vec<PreferredPartner>)>,
    /// Whether the component's group solve proved optimality.
    optimal: bool,
}

/// What [`explain_unit`] gives for one mentor.
struct UnitProposals {
    mentees: Vec<usize>,
    scores: Vec<i64>,
    cohesion: Option<f64>,
    proposals: Vec<Proposal>,
}

/// One proposal per pair, or one group proposal, for a mentor's unit.
fn explain_unit(run: &Prepared<'_>, unit: MentorUnit) -> UnitProposals {
    let MentorUnit { m, group, optimal } = unit;
    let mentees: Vec<usize> = group.iter().map(|&(e, _)| e).collect();
    let explained: Vec<(usize, i64, Vec<BreakdownItem>)> = mentees
        .iter()
        .map(|&e| {
            let (s, items) = explain_pair(run, e, m);
            (e, s, items)
        })
        .collect();
    let scores = explained.iter().map(|&(_, s, _)| s).collect();
    let partners = group.into_iter().map(|(_, p)| p);
    if let Some(size) = run.input.programme.group {
        let (mut proposal, k) = group_proposal(run, m, explained, size, optimal);
        proposal.preferred_partners = partners.flatten().collect();
        UnitProposals {
            mentees,
            scores,
            cohesion: Some(k),
            proposals: vec![proposal],
        }
    } else {
        let proposals = explained
            .into_iter()
            .zip(partners)
            .map(|((e, s, items), preferred)| {
                let mut proposal = pair_proposal(run, m, e, s, items, false);
                proposal.preferred_partners = preferred;
                proposal
            })
            .collect();
        UnitProposals {
            mentees,
            scores,
            cohesion: None,
            proposals,
        }
    }
}

/// The scaled score and the breakdown of mentee `e` with mentor `m`.
fn explain_pair(run: &Prepared<'_>, e: usize, m: usize) -> (i64, Vec<BreakdownItem>) {
    let enc = &run.encoded;
    let (fe, fm) = (enc.mentee_fi[e] as usize, enc.mentor_fi[m] as usize);
    let items = breakdown(
        &enc.features,
        &run.wa,
        run.input.programme.form,
        fe,
        fm,
        &run.input.mentees[e],
        &run.input.mentors[m],
        run.places.spare[m],
        run.input.lang,
    );
    (pair_score(&enc.features, &run.wa, fe, fm), items)
}

/// A one-mentee proposal.
fn pair_proposal(
    run: &Prepared<'_>,
    m: usize,
    e: usize,
    score: i64,
    items: Vec<BreakdownItem>,
    pinned: bool,
) -> Proposal {
    Proposal {
        mentor_id: run.input.mentors[m].person.id.clone(),
        mentee_ids: vec![run.input.mentees[e].person.id.clone()],
        score: from_scaled(score),
        summary: summary(&items),
        breakdown: items,
        members: Vec::new(),
        cohesion: None,
        group_reason: None,
        pinned,
        preferred_partners: Vec::new(),
    }
}

/// A group proposal for mentor `m` and its new members (mentee, scaled
/// score, breakdown), with the group's cohesion.
fn group_proposal(
    run: &Prepared<'_>,
    m: usize,
    explained: Vec<(usize, i64, Vec<BreakdownItem>)>,
    size: GroupSize,
    optimal: bool,
) -> (Proposal, f64) {
    let (mentors, mentees, lang) = (run.input.mentors, run.input.mentees, run.input.lang);
    let held = run.people.members[m];
    let lines: Vec<&[BreakdownItem]> = explained.iter().map(|(_, _, b)| b.as_slice()).collect();
    let mean = mean_breakdown(&lines, lang);
    let profiles: Vec<&MenteeProfile> = explained.iter().map(|&(e, _, _)| &mentees[e]).collect();
    let k = cohesion(&profiles);
    let mut reason = GroupReason {
        members: explained.len() + held as usize,
        held,
        min: size.min,
        max: size.max,
        covered: covered_needs(&mentors[m], &profiles, 5),
        shared: shared_needs(&profiles, 5),
        cohesion: k,
        optimal,
        text: String::new(),
    };
    reason.text = reason.render(lang);
    let score = explained
        .iter()
        .map(|(_, s, _)| from_scaled(*s))
        .sum::<f64>()
        / explained.len() as f64;
    let proposal = Proposal {
        mentor_id: mentors[m].person.id.clone(),
        mentee_ids: explained
            .iter()
            .map(|&(e, _, _)| mentees[e].person.id.clone())
            .collect(),
        score,
        summary: summary(&mean),
        breakdown: mean,
        members: explained
            .into_iter()
            .map(|(e, s, breakdown)| MemberBreakdown {
                mentee_id: mentees[e].person.id.clone(),
                score: from_scaled(s),
                breakdown,
            })
            .collect(),
        cohesion: Some(k),
        group_reason: Some(reason),
        pinned: false,
        preferred_partners: Vec::new(),
    };
    (proposal, k)
}
