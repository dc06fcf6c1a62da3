//! The readiness of a programme as a caller sees it: the exact counts of
//! [`super::runs::readiness`], with the small counts of pupils of a
//! sensitive category the caller may not read hidden, and the complements
//! that keep them from being recovered by subtraction (see
//! [`super::disclosure`]).

use super::disclosure::{Cell, Reading, Sum, Suppressed, suppress};
use super::runs::{MentorSupply, ReadinessCounts};
use crate::domain::MenteeCategory;
use crate::matching::rules::Rule;
use serde::Serialize;
use std::collections::BTreeMap;

/// Mentees of one category in one organisation, before matching. A count
/// is `null` when it is hidden from your role, and `suppressed` says why.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MenteeDemand {
    /// The category (counts only: no one is named).
    pub category: MenteeCategory,
    /// Mentees a run would consider.
    pub eligible: Option<usize>,
    /// Of those, matched by a run now.
    pub matched_now: Option<usize>,
    /// Mentees no mentor passes the hard rules for, by the rule that
    /// excluded most mentors.
    pub blocked_by_rule: BTreeMap<Rule, Option<usize>>,
    /// Mentees some mentor passes the rules for, left without a mentor by
    /// a run now: the places of those mentors are taken or go to others
    /// (e.g. pupils with special needs when the tutors' places go to other
    /// pupils). With `matched_now` and `blocked_by_rule` it adds up to
    /// `eligible`.
    pub left_without_place: Option<usize>,
    /// Mentees without the consent matching needs.
    pub waiting_for_consent: Option<usize>,
    /// Mentees already in an active pair.
    pub already_paired: Option<usize>,
    /// Mentees whose pair was completed.
    pub completed: Option<usize>,
    /// Mentees who moved away.
    pub moved_away: Option<usize>,
    /// The counts hidden from your role, by field name
    /// (`blocked_by_rule.<rule>` for a rule): `below_threshold` for 1–4
    /// pupils of a sensitive category («< 5»), `complementary` for a count
    /// hidden so that such a count cannot be recovered by subtraction.
    pub suppressed: BTreeMap<String, Suppressed>,
}

/// Demand and supply of one organisation.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrganizationReadiness {
    /// The organisation.
    pub organization_id: String,
    /// Its mentees, by category.
    pub mentees: Vec<MenteeDemand>,
    /// Its mentors, when it has any accepting the form.
    pub mentors: Option<MentorSupply>,
}

/// The programme-wide sums of a readiness check. A mentee count is
/// `null` when it is hidden from your role, and `suppressed` says why.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReadinessTotals {
    /// Mentees a run would consider.
    pub mentees_eligible: Option<usize>,
    /// Of those, matched by a run now.
    pub mentees_matchable_now: Option<usize>,
    /// Mentees no mentor passes the hard rules for.
    pub mentees_blocked_by_rules: Option<usize>,
    /// Mentees some mentor passes the rules for, left without a place by
    /// a run now (with the two above it adds up to `mentees_eligible`).
    pub mentees_left_without_place: Option<usize>,
    /// Mentees without the consent matching needs.
    pub mentees_waiting_for_consent: Option<usize>,
    /// Mentees already in an active pair.
    pub mentees_already_paired: Option<usize>,
    /// Mentees whose pair was completed.
    pub mentees_completed: Option<usize>,
    /// Mentees who moved away.
    pub mentees_moved_away: Option<usize>,
    /// Mentors a run may use.
    pub mentors_available: usize,
    /// Their free places.
    pub mentor_free_places: u32,
    /// Mentors without a valid consent.
    pub mentors_waiting_for_consent: usize,
    /// Mentors who have not finished training.
    pub mentors_waiting_for_training: usize,
    /// The counts hidden from your role, by field name, and why (as in
    /// [`MenteeDemand`]).
    pub suppressed: BTreeMap<String, Suppressed>,
}

/// Demand and supply of a programme before matching (counts only).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Readiness {
    /// The programme.
    pub programme_id: String,
    /// Its form.
    pub form: crate::domain::Form,
    /// Programme-wide sums.
    pub totals: ReadinessTotals,
    /// Per organisation.
    pub by_organization: Vec<OrganizationReadiness>,
}

/// The mentee counts of a row or of the totals, in the order of the
/// fields (the rules apart).
const FIELDS: [&str; 7] = [
    "eligible",
    "matched_now",
    "left_without_place",
    "waiting_for_consent",
    "already_paired",
    "completed",
    "moved_away",
];

/// The names of the same counts in the totals.
const TOTAL_FIELDS: [&str; 7] = [
    "mentees_eligible",
    "mentees_matchable_now",
    "mentees_left_without_place",
    "mentees_waiting_for_consent",
    "mentees_already_paired",
    "mentees_completed",
    "mentees_moved_away",
];

/// The cells of one row: its seven counts, then its rules.
struct RowCells {
    fields: [usize; 7],
    rules: Vec<(Rule, usize)>,
}

/// The readiness as `readable` lets the caller see it: `readable(org)`
/// says whether the caller may read the sensitive categories of pupils
/// of `org`. Counts of pupils with special needs or on a prevention
/// register the caller may not read are hidden when 1–4, and other
/// counts are hidden as complements where the rows and the totals would
/// give them back by subtraction (a row's `eligible` is the sum of its
/// `matched_now`, rules and `left_without_place`; each total is the sum of
/// its column; `mentees_eligible` the sum of the three totals).
pub fn disclose(counts: ReadinessCounts, readable: impl Fn(&str) -> bool) -> Readiness {
    let mut cells: Vec<Cell> = Vec::new();
    let push = |cells: &mut Vec<Cell>, value: usize, reading: Reading| {
        cells.push(Cell::new(value as u64, reading));
        cells.len() - 1
    };
    let mut rows: Vec<Vec<RowCells>> = Vec::new();
    let mut any_sensitive = false;
    for o in &counts.by_organization {
        let reading = if readable(&o.organization_id) {
            Reading::Exact
        } else {
            Reading::Sensitive
        };
        let mut org_rows = Vec::new();
        for d in &o.mentees {
            let reading = if d.category.is_sensitive() {
                reading
            } else {
                Reading::Exact
            };
            any_sensitive |= reading == Reading::Sensitive;
            let values = [
                d.eligible,
                d.matched_now,
                d.left_without_place,
                d.waiting_for_consent,
                d.already_paired,
                d.completed,
                d.moved_away,
            ];
            let fields = values.map(|v| push(&mut cells, v, reading));
            let rules = d
                .blocked_by_rule
                .iter()
                .map(|(rule, n)| (*rule, push(&mut cells, *n, reading)))
                .collect();
            org_rows.push(RowCells { fields, rules });
        }
        rows.push(org_rows);
    }
    let total_reading = if any_sensitive {
        Reading::Mixed
    } else {
        Reading::Exact
    };
    let t = &counts.totals;
    let totals = [
        t.mentees_eligible,
        t.mentees_matchable_now,
        t.mentees_left_without_place,
        t.mentees_waiting_for_consent,
        t.mentees_already_paired,
        t.mentees_completed,
        t.mentees_moved_away,
    ]
    .map(|v| push(&mut cells, v, total_reading));
    let blocked_total = push(&mut cells, t.mentees_blocked_by_rules, total_reading);

    let all_rows = || rows.iter().flatten();
    let mut sums: Vec<Sum> = all_rows()
        .map(|r| Sum {
            total: r.fields[0],
            parts: [r.fields[1], r.fields[2]]
                .into_iter()
                .chain(r.rules.iter().map(|(_, c)| *c))
                .collect(),
        })
        .collect();
    for (k, total) in totals.iter().enumerate() {
        sums.push(Sum {
            total: *total,
            parts: all_rows().map(|r| r.fields[k]).collect(),
        });
    }
    sums.push(Sum {
        total: blocked_total,
        parts: all_rows()
            .flat_map(|r| r.rules.iter().map(|(_, c)| *c))
            .collect(),
    });
    sums.push(Sum {
        total: totals[0],
        parts: vec![totals[1], totals[2], blocked_total],
    });
    let hidden = suppress(&cells, &sums);
    let shown = |i: usize| hidden[i].is_none().then_some(cells[i].value as usize);

    let by_organization = counts
        .by_organization
        .iter()
        .zip(&rows)
        .map(|(o, org_rows)| OrganizationReadiness {
            organization_id: o.organization_id.clone(),
            mentees: o
                .mentees
                .iter()
                .zip(org_rows)
                .map(|(d, r)| {
                    let mut suppressed = BTreeMap::new();
                    for (name, &i) in FIELDS.iter().zip(&r.fields) {
                        if let Some(h) = hidden[i] {
                            suppressed.insert((*name).to_owned(), h);
                        }
                    }
                    for (rule, i) in &r.rules {
                        if let Some(h) = hidden[*i] {
                            suppressed.insert(format!("blocked_by_rule.{}", rule.code()), h);
                        }
                    }
                    let [
                        eligible,
                        matched_now,
                        left_without_place,
                        waiting_for_consent,
                        already_paired,
                        completed,
                        moved_away,
                    ] = r.fields.map(shown);
                    MenteeDemand {
                        category: d.category,
                        eligible,
                        matched_now,
                        blocked_by_rule: r
                            .rules
                            .iter()
                            .map(|(rule, i)| (*rule, shown(*i)))
                            .collect(),
                        left_without_place,
                        waiting_for_consent,
                        already_paired,
                        completed,
                        moved_away,
                        suppressed,
                    }
                })
                .collect(),
            mentors: o.mentors.clone(),
        })
        .collect();
    let mut suppressed = BTreeMap::new();
    for (name, &i) in TOTAL_FIELDS.iter().zip(&totals).chain(
        [("mentees_blocked_by_rules", blocked_total)]
            .iter()
            .map(|(n, i)| (n, i)),
    ) {
        if let Some(h) = hidden[i] {
            suppressed.insert((*name).to_owned(), h);
        }
    }
    let [
        mentees_eligible,
        mentees_matchable_now,
        mentees_left_without_place,
        mentees_waiting_for_consent,
        mentees_already_paired,
        mentees_completed,
        mentees_moved_away,
    ] = totals.map(shown);
    Readiness {
        programme_id: counts.programme_id,
        form: counts.form,
        totals: ReadinessTotals {
            mentees_eligible,
            mentees_matchable_now,
            mentees_blocked_by_rules: shown(blocked_total),
            mentees_left_without_place,
            mentees_waiting_for_consent,
            mentees_already_paired,
            mentees_completed,
            mentees_moved_away,
            mentors_available: t.mentors_available,
            mentor_free_places: t.mentor_free_places,
            mentors_waiting_for_consent: t.mentors_waiting_for_consent,
            mentors_waiting_for_training: t.mentors_waiting_for_training,
            suppressed,
        },
        by_organization,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Form;
    use crate::service::runs::{DemandCounts, OrganizationCounts, TotalsCounts};

    fn row(category: MenteeCategory, eligible: usize, matched: usize) -> DemandCounts {
        let mut d = DemandCounts::new(category);
        d.eligible = eligible;
        d.matched_now = matched;
        d.left_without_place = eligible - matched;
        d
    }

    /// A municipality: school 1 has one pupil with special needs among
    /// twenty struggling pupils; school 2 has thirty struggling pupils.
    fn municipality() -> ReadinessCounts {
        let orgs = vec![
            OrganizationCounts {
                organization_id: "sch-1".into(),
                mentees: vec![
                    row(MenteeCategory::SpecialNeeds, 1, 1),
                    row(MenteeCategory::StrugglingPupil, 20, 15),
                ],
                mentors: None,
            },
            OrganizationCounts {
                organization_id: "sch-2".into(),
                mentees: vec![row(MenteeCategory::StrugglingPupil, 30, 25)],
                mentors: None,
            },
        ];
        ReadinessCounts {
            programme_id: "tp".into(),
            form: Form::TeacherPupil,
            totals: TotalsCounts {
                mentees_eligible: 51,
                mentees_matchable_now: 41,
                mentees_blocked_by_rules: 0,
                mentees_left_without_place: 10,
                mentees_waiting_for_consent: 0,
                mentees_already_paired: 0,
                mentees_completed: 0,
                mentees_moved_away: 0,
                mentors_available: 9,
                mentor_free_places: 12,
                mentors_waiting_for_consent: 0,
                mentors_waiting_for_training: 0,
            },
            by_organization: orgs,
        }
    }

    #[test]
    fn the_curator_of_the_school_and_an_admin_read_every_count() {
        let seen = disclose(municipality(), |_| true);
        let special = &seen.by_organization[0].mentees[0];
        assert_eq!(special.eligible, Some(1));
        assert!(special.suppressed.is_empty());
        assert_eq!(seen.totals.mentees_eligible, Some(51));
        assert!(seen.totals.suppressed.is_empty());
    }

    #[test]
    fn one_pupil_with_special_needs_is_not_told_by_the_row_nor_by_the_totals() {
        let seen = disclose(municipality(), |org| org == "sch-2");
        let special = &seen.by_organization[0].mentees[0];
        assert_eq!(special.eligible, None);
        assert_eq!(special.matched_now, None);
        assert_eq!(special.left_without_place, Some(0), "0 is shown");
        assert_eq!(
            special.suppressed.get("eligible"),
            Some(&Suppressed::BelowThreshold)
        );
        // Others stay exact.
        assert_eq!(seen.by_organization[0].mentees[1].eligible, Some(20));
        assert_eq!(seen.by_organization[1].mentees[0].eligible, Some(30));
        // 51 − 20 − 30 would give the one pupil: the sum is hidden too.
        assert_eq!(seen.totals.mentees_eligible, None);
        assert_eq!(seen.totals.mentees_matchable_now, None);
        assert_eq!(
            seen.totals.suppressed.get("mentees_eligible"),
            Some(&Suppressed::Complementary)
        );
        // Both hidden, 51 = 41 + 10 + 0 gives neither back.
        assert_eq!(seen.totals.mentees_left_without_place, Some(10), "{seen:?}");
        assert_eq!(seen.totals.mentees_waiting_for_consent, Some(0));
        assert_eq!(seen.totals.mentors_available, 9);
    }
}
