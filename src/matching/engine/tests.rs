//! The stages of a run, one at a time, on hand-built banks.

use serde_json::{Value, json};

use super::decompose::split_components;
use super::prepare::{Bank, prepare};
use super::scoring::score_components;
use super::solve::solve_components;
use super::{MatchError, PairRef, RunInput, run, run_on, run_on_deferred};
use crate::domain::{Id, MenteeProfile, MentorProfile, Organization, Programme};
use crate::matching::unmatched::IneligibleReason;

fn orgs() -> Vec<Organization> {
    [
        json!({"id": "mun", "name": "Округ", "kind": "municipality"}),
        json!({"id": "s1", "name": "Школа 1", "kind": "school", "parent_id": "mun"}),
        json!({"id": "s2", "name": "Школа 2", "kind": "school", "parent_id": "mun"}),
    ]
    .iter()
    .map(|v| Organization::parse(v, None).expect("valid organisation"))
    .collect()
}

fn programme() -> Programme {
    let v = json!({"id": "p", "name": "Программа", "form": "teacher_pupil",
        "organization_ids": ["mun"], "period": {"start": "2026-09-01", "end": "2027-05-31"}});
    Programme::parse(&v, None).expect("valid programme")
}

fn with(mut base: Value, extra: Value) -> Value {
    if let (Value::Object(b), Value::Object(e)) = (&mut base, extra) {
        b.extend(e);
    }
    base
}

fn teacher(id: &str, school: &str, capacity: u32) -> MentorProfile {
    let v = json!({"id": id, "organization_id": school, "full_name": "Иванова Анна",
        "birth_year": 1980, "kind": "teacher", "forms": ["teacher_pupil"],
        "capacity": capacity, "subjects": ["математика"], "trained": true,
        "consent": {"given_by": "self", "date": "2026-05-20"}});
    MentorProfile::parse(&v, None).expect("valid mentor")
}

fn pupil(id: &str, school: &str, extra: Value) -> MenteeProfile {
    let v = json!({"id": id, "organization_id": school, "full_name": "Петров Пётр",
        "birth_year": 2012, "grade": 8, "kind": "pupil", "category": "struggling_pupil",
        "subjects": ["математика"],
        "consent": {"given_by": "parent", "date": "2026-05-20", "pupil_agreed_on": "2026-05-20"}});
    MenteeProfile::parse(&with(v, extra), None).expect("valid mentee")
}

fn pair(mentor: &str, mentee: &str) -> PairRef {
    PairRef {
        mentor_id: Id::parse(mentor).expect("id"),
        mentee_id: Id::parse(mentee).expect("id"),
    }
}

#[test]
fn a_pin_naming_someone_unknown_stops_the_run_in_the_first_stage() {
    let (p, orgs) = (programme(), orgs());
    let mentors = [teacher("t1", "s1", 1)];
    let mentees = [pupil("e1", "s1", json!({}))];
    let pinned = [pair("t1", "nobody")];
    let input = RunInput {
        pinned: &pinned,
        ..RunInput::new(&p, &orgs, &mentors, &mentees)
    };
    assert!(
        matches!(prepare(&Bank::of(&input), &input), Err(MatchError::UnknownPinned(pin)) if pin == pinned[0])
    );
}

#[test]
fn pins_fill_places_and_leave_the_pool_while_ineligible_mentees_are_set_aside() {
    let (p, orgs) = (programme(), orgs());
    let mentors = [teacher("t1", "s1", 2), teacher("t2", "s1", 1)];
    let mentees = [
        pupil("e1", "s1", json!({})),
        pupil("e2", "s1", json!({"consent": null})),
        pupil("e3", "s1", json!({})),
    ];
    let pinned = [pair("t2", "e3")];
    let input = RunInput {
        pinned: &pinned,
        ..RunInput::new(&p, &orgs, &mentors, &mentees)
    };
    let bank = Bank::of(&input);
    let prepared = prepare(&bank, &input).expect("prepared");
    assert_eq!(prepared.people.pins, [(1, 2)]);
    assert_eq!(prepared.people.members, [0, 1]);
    assert_eq!(prepared.people.eligible, [0]);
    assert_eq!(
        prepared.people.ineligible,
        [(1, IneligibleReason::NoConsent)]
    );
    // The pin took t2's only place, so only t1 is a candidate.
    assert_eq!(prepared.places.spare, [2, 0]);
    assert_eq!(prepared.places.candidates, [0]);
}

#[test]
fn components_follow_the_schools_in_a_same_organisation_form() {
    let (p, orgs) = (programme(), orgs());
    let mentors = [teacher("t1", "s1", 1), teacher("t2", "s2", 1)];
    let mentees = [
        pupil("e1", "s2", json!({})),
        pupil("e2", "s1", json!({})),
        pupil("e3", "s2", json!({"category": "special_needs"})),
    ];
    let input = RunInput::new(&p, &orgs, &mentors, &mentees);
    let bank = Bank::of(&input);
    let prepared = prepare(&bank, &input).expect("prepared");
    let components = split_components(&prepared);
    let mut found: Vec<(Vec<usize>, Vec<usize>)> = components
        .iter()
        .map(|c| (c.mentees.clone(), c.mentors.clone()))
        .collect();
    found.sort();
    // e3 needs a tutor and t2 is not one: in no component.
    assert_eq!(found, [(vec![0], vec![1]), (vec![1], vec![0])]);
}

#[test]
fn scoring_and_solving_keep_forbidden_cells_out_and_places_within_capacity() {
    let (p, orgs) = (programme(), orgs());
    let mentors = [teacher("t1", "s1", 1), teacher("t2", "s1", 2)];
    let mentees = [
        pupil("e1", "s1", json!({})),
        pupil("e2", "s1", json!({})),
        pupil("e3", "s1", json!({})),
    ];
    let rejected = [pair("t2", "e1")];
    let input = RunInput {
        excluded: &rejected,
        ..RunInput::new(&p, &orgs, &mentors, &mentees)
    };
    let bank = Bank::of(&input);
    let prepared = prepare(&bank, &input).expect("prepared");
    let components = split_components(&prepared);
    assert_eq!(components.len(), 1);
    let scored = score_components(&prepared, &components);
    let c = &components[0];
    let (cols, cells) = (c.mentors.len(), &scored[0].cells);
    let cell = |e: usize, m: usize| {
        let (r, k) = (
            c.mentees.iter().position(|&x| x == e).expect("row"),
            c.mentors.iter().position(|&x| x == m).expect("column"),
        );
        cells.get(r, k, cols)
    };
    assert_eq!(cell(0, 1), None);
    assert_eq!(scored[0].pairs_scored, 5);
    let solved = solve_components(&prepared, &components, &scored).expect("solved");
    // Three pupils, three places, and e1 can only have t1.
    let mut pairs: Vec<(usize, usize)> = solved.pairs[0]
        .iter()
        .map(|&(r, k)| (c.mentees[r], c.mentors[k]))
        .collect();
    pairs.sort_unstable();
    assert_eq!(pairs, [(0, 0), (1, 1), (2, 1)]);
    assert_eq!(solved.final_cap, [1, 2]);
    assert!(solved.reports.iter().all(Option::is_none));
}

/// The outcome without its timings, which differ from run to run.
fn untimed(mut outcome: crate::matching::Outcome) -> crate::matching::Outcome {
    outcome.stats.timings = Default::default();
    outcome
}

#[test]
fn programmes_run_on_one_shared_bank_give_what_each_gives_alone() {
    let data = crate::matching::synth::generate(12, 3);
    let (orgs, mentors, mentees) = (&data.organizations, &data.mentors, &data.mentees);
    // Curators' pairs and wishes, some naming people not in the banks.
    let excluded = [
        PairRef {
            mentor_id: mentors[0].person.id.clone(),
            mentee_id: mentees[1].person.id.clone(),
        },
        pair("nobody", mentees[2].person.id.as_str()),
        pair(mentors[3].person.id.as_str(), "nobody"),
    ];
    let mentee_wishes = [
        (
            mentees[4].person.id.clone(),
            vec![
                mentors[1].person.id.clone(),
                Id::parse("nobody").expect("id"),
            ],
        ),
        (
            Id::parse("nobody").expect("id"),
            vec![mentors[2].person.id.clone()],
        ),
    ];
    let mentor_wishes = [(
        mentors[5].person.id.clone(),
        vec![mentees[6].person.id.clone()],
    )];
    let bank = Bank::new(orgs, mentors, mentees);
    assert!(data.programmes.len() >= 5, "one programme per form");
    let mut matched = 0;
    for programme in &data.programmes {
        let input = RunInput {
            excluded: &excluded,
            mentee_wishes: &mentee_wishes,
            mentor_wishes: &mentor_wishes,
            ..RunInput::new(programme, orgs, mentors, mentees)
        };
        let shared = run_on(&bank, &input).expect("run on the shared bank");
        let alone = run(&input).expect("run alone");
        let (mut deferred, left_out) = run_on_deferred(&bank, &input).expect("run, list deferred");
        assert!(deferred.ineligible.is_empty());
        assert_eq!(left_out.len(), alone.ineligible.len());
        deferred.ineligible = left_out.list();
        matched += shared.stats.mentees_matched;
        assert_eq!(
            untimed(shared),
            untimed(alone.clone()),
            "programme {}",
            programme.id
        );
        assert_eq!(
            untimed(deferred),
            untimed(alone),
            "programme {}",
            programme.id
        );
    }
    assert!(matched > 0, "the generated region gets proposals");
}

#[test]
fn a_bank_of_other_banks_is_not_used() {
    let (p, orgs) = (programme(), orgs());
    let mentors = [teacher("t1", "s1", 1)];
    let mentees = [
        pupil("e1", "s1", json!({})),
        pupil("e2", "s1", json!({"consent": null})),
    ];
    let (other_mentors, other_mentees) = ([teacher("t9", "s2", 1)], [pupil("e9", "s2", json!({}))]);
    let bank = Bank::new(&orgs, &other_mentors, &other_mentees);
    let input = RunInput::new(&p, &orgs, &mentors, &mentees);
    assert!(!bank.serves(&input));
    let outcome = run_on(&bank, &input).expect("run");
    let alone = run(&input).expect("run alone");
    assert_eq!(alone.ineligible.len(), 1);
    assert_eq!(untimed(outcome), untimed(alone.clone()));
    let (mut deferred, left_out) = run_on_deferred(&bank, &input).expect("run");
    assert_eq!(left_out.len(), 1);
    deferred.ineligible = left_out.list();
    assert_eq!(untimed(deferred), untimed(alone));
}

/// Twelve pupils of one school with varied subjects and grades and four
/// teachers, some pairs rejected: one component.
fn mixed_school() -> (Vec<MentorProfile>, Vec<MenteeProfile>, Vec<PairRef>) {
    let subjects = ["математика", "физика", "история"];
    let mentors: Vec<MentorProfile> = (0..4)
        .map(|k| {
            let v = json!({"id": format!("t{k}"), "organization_id": "s1",
                "full_name": "Иванова Анна", "birth_year": 1975 + k, "kind": "teacher",
                "forms": ["teacher_pupil"], "capacity": 1 + k % 3,
                "subjects": [subjects[k as usize % 3], subjects[(k as usize + 1) % 3]],
                "trained": true, "consent": {"given_by": "self", "date": "2026-05-20"}});
            MentorProfile::parse(&v, None).expect("valid mentor")
        })
        .collect();
    let mentees: Vec<MenteeProfile> = (0..12)
        .map(|k| {
            pupil(
                &format!("e{k}"),
                "s1",
                json!({"grade": 5 + k % 6, "birth_year": 2009 + k % 6,
                       "subjects": [subjects[k % 3]]}),
            )
        })
        .collect();
    let rejected = vec![
        pair("t0", "e1"),
        pair("t1", "e2"),
        pair("t2", "e5"),
        pair("t3", "e7"),
    ];
    (mentors, mentees, rejected)
}

#[test]
fn sparse_scoring_keeps_every_score_and_solves_to_the_same_optimum() {
    use super::scoring::score_components_as;
    use crate::matching::assignment::Objective;
    let (p, orgs) = (programme(), orgs());
    let (mentors, mentees, rejected) = mixed_school();
    for objective in [
        Objective::Total,
        Objective::Fair,
        Objective::RankMaximal,
        Objective::Stable,
        Objective::StableMentor,
    ] {
        let input = RunInput {
            excluded: &rejected,
            objective,
            ..RunInput::new(&p, &orgs, &mentors, &mentees)
        };
        let bank = Bank::new(&orgs, &mentors, &mentees);
        let prepared = prepare(&bank, &input).expect("prepared");
        let components = split_components(&prepared);
        assert_eq!(components.len(), 1);
        let dense = score_components_as(&prepared, &components, |_, _, _, _| false);
        let sparse = score_components_as(&prepared, &components, |_, _, _, _| true);
        assert!(matches!(
            dense[0].cells,
            crate::matching::outcome::Cells::Dense(_)
        ));
        assert!(matches!(
            sparse[0].cells,
            crate::matching::outcome::Cells::Sparse { .. }
        ));
        let (rows, cols) = (components[0].mentees.len(), components[0].mentors.len());
        assert_eq!(dense[0].pairs_scored, sparse[0].pairs_scored);
        assert_eq!(sparse[0].pairs_scored, 44);
        for r in 0..rows {
            for c in 0..cols {
                assert_eq!(
                    dense[0].cells.get(r, c, cols),
                    sparse[0].cells.get(r, c, cols)
                );
            }
        }
        let a = solve_components(&prepared, &components, &dense).expect("dense solved");
        let b = solve_components(&prepared, &components, &sparse).expect("sparse solved");
        let value = |pairs: &[(usize, usize)]| -> (usize, i64, i64) {
            let s: Vec<i64> = pairs
                .iter()
                .map(|&(r, c)| dense[0].cells.get(r, c, cols).expect("allowed"))
                .collect();
            (
                s.len(),
                s.iter().copied().min().unwrap_or(0),
                s.iter().sum(),
            )
        };
        assert_eq!(value(&a.pairs[0]), value(&b.pairs[0]), "{objective:?}");
        if !matches!(objective, Objective::Total | Objective::Fair) {
            // Ranked from the same preferences: the very same assignment.
            assert_eq!(a.pairs, b.pairs, "{objective:?}");
            assert_eq!(a.blocking, b.blocking, "{objective:?}");
        }
    }
}

mod blocking {
    use proptest::prelude::*;

    use super::super::solve::blocking_from_cells;
    use crate::matching::outcome::{Cells, DENSE_FORBIDDEN};
    use crate::matching::score::FORBIDDEN;
    use crate::matching::stable::{Preferences, blocking_pairs};

    /// Scores (few values, so ties), wishes of both sides, capacities and an
    /// assignment drawn among the allowed cells within capacity.
    /// Rows, columns, scores, both sides' wishes, capacities, a drawn assignment.
    type Drawn = (
        usize,
        usize,
        Vec<i64>,
        Vec<Vec<usize>>,
        Vec<Vec<usize>>,
        Vec<u32>,
        Vec<Option<usize>>,
    );

    fn instance() -> impl Strategy<Value = Drawn> {
        (1usize..=6, 1usize..=4).prop_flat_map(|(rows, cols)| {
            (
                Just(rows),
                Just(cols),
                proptest::collection::vec(
                    prop_oneof![1 => Just(FORBIDDEN), 3 => 0i64..4],
                    rows * cols,
                ),
                proptest::collection::vec(proptest::collection::vec(0..cols, 0..=3), rows),
                proptest::collection::vec(proptest::collection::vec(0..rows, 0..=3), cols),
                proptest::collection::vec(0u32..=2, cols),
                proptest::collection::vec(proptest::option::of(0..cols), rows),
            )
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn blocking_from_cells_finds_what_the_preferences_find(
            (rows, cols, scores, ew, mw, cap, draw) in instance()
        ) {
            let mut used = vec![0u32; cols];
            let mut pairs = Vec::new();
            for (r, c) in draw.iter().enumerate() {
                if let Some(c) = *c
                    && scores[r * cols + c] != FORBIDDEN
                    && used[c] < cap[c]
                {
                    used[c] += 1;
                    pairs.push((r, c));
                }
            }
            let prefs = Preferences::new(rows, cols, &scores, &ew, &mw);
            let want = blocking_pairs(&prefs, &cap, &pairs);
            let dense = Cells::Dense(
                scores
                    .iter()
                    .map(|&s| match s {
                        FORBIDDEN => DENSE_FORBIDDEN,
                        s => i32::try_from(s).expect("small score"),
                    })
                    .collect(),
            );
            prop_assert_eq!(&blocking_from_cells(&dense, (rows, cols), (&ew, &mw), &cap, &pairs), &want);
            let sparse = Cells::Sparse {
                start: (0..=rows)
                    .map(|r| scores[..r * cols].iter().filter(|&&s| s != FORBIDDEN).count())
                    .collect(),
                cols: scores
                    .iter()
                    .enumerate()
                    .filter(|&(_, &s)| s != FORBIDDEN)
                    .map(|(k, _)| crate::matching::assignment::ix(k % cols))
                    .collect(),
                scores: scores.iter().copied().filter(|&s| s != FORBIDDEN).collect(),
            };
            prop_assert_eq!(&blocking_from_cells(&sparse, (rows, cols), (&ew, &mw), &cap, &pairs), &want);
        }
    }
}

mod index {
    use std::collections::HashSet;

    use proptest::prelude::*;

    use super::super::collect::FormMentors;
    use super::super::index::Groups;
    use super::super::prepare::{Bank, LeftOut, Pool, ineligibility, prepare, rule_context};
    use super::super::{PairRef, RunInput};
    use crate::domain::{Form, Id, Programme};
    use crate::matching::rules::{Rule, mentor_rule};
    use crate::matching::synth::{Dataset, generate};
    use crate::matching::unmatched::no_allowed_mentor;

    proptest! {
        #[test]
        fn a_group_holds_exactly_the_indices_with_its_key(
            keys in proptest::collection::vec(0usize..6, 0..60)
        ) {
            let groups = Groups::new(6, keys.iter().enumerate().map(|(i, &k)| (k, i as u32)));
            for k in 0..7 {
                let want: Vec<u32> = (0..keys.len() as u32)
                    .filter(|&i| keys[i as usize] == k)
                    .collect();
                prop_assert_eq!(groups.get(k), &want[..]);
            }
            let some = [1usize, 4, 5];
            let want: Vec<u32> = (0..keys.len() as u32)
                .filter(|&i| some.contains(&keys[i as usize]))
                .collect();
            prop_assert_eq!(groups.union(some.iter().copied()), want);
        }
    }

    /// A generated region of two municipalities where a few people sit at
    /// an organisation nobody knows.
    fn region(seed: u64) -> Dataset {
        let mut data = generate(18, seed);
        let nowhere = Id::parse("nowhere").expect("id");
        for e in data.mentees.iter_mut().step_by(97) {
            e.person.organization_id = nowhere.clone();
        }
        for m in data.mentors.iter_mut().step_by(89) {
            m.person.organization_id = nowhere.clone();
        }
        data
    }

    /// A programme of `form` over the organisations picked by `picks`
    /// (an id nobody knows among them when `unknown`).
    fn programme_over(
        data: &Dataset,
        form: Form,
        picks: &[usize],
        (network, trained, unknown): (bool, bool, bool),
    ) -> Programme {
        let mut p = data.programmes[0].clone();
        p.form = form;
        p.organization_ids = picks
            .iter()
            .map(|&k| data.organizations[k % data.organizations.len()].id.clone())
            .collect();
        if unknown {
            p.organization_ids.push(Id::parse("nowhere").expect("id"));
        }
        p.group = None;
        p.rules.network = network;
        p.rules.require_trained = trained;
        p
    }

    fn id_pair(data: &Dataset, m: usize, e: usize) -> PairRef {
        PairRef {
            mentor_id: data.mentors[m].person.id.clone(),
            mentee_id: data.mentees[e].person.id.clone(),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// The people a run finds through the bank's index are those a
        /// test of everybody finds: eligible mentees, every ineligible one
        /// with its reason in input order, candidate mentors, and why a
        /// mentee has no allowed mentor.
        #[test]
        fn the_index_finds_what_a_pass_over_everybody_finds(
            seed in 0u64..3,
            form in 0usize..5,
            picks in proptest::collection::vec(0usize..400, 1..4),
            flags in (any::<bool>(), any::<bool>(), any::<bool>()),
        ) {
            let data = region(seed);
            let (orgs, mentors, mentees) = (&data.organizations, &data.mentors, &data.mentees);
            let programme = programme_over(&data, Form::ALL[form], &picks, flags);
            let approved = [id_pair(&data, 1, 2), id_pair(&data, 3, 40)];
            let pinned = [id_pair(&data, 5, 41), id_pair(&data, 6, 300)];
            let excluded = [id_pair(&data, 7, 42), id_pair(&data, 8, 301)];
            let completed = [mentees[43].person.id.clone()];
            let moved_away = [mentees[302].person.id.clone()];
            let input = RunInput {
                approved: &approved,
                pinned: &pinned,
                excluded: &excluded,
                completed: &completed,
                moved_away: &moved_away,
                ..RunInput::new(&programme, orgs, mentors, mentees)
            };
            let bank = Bank::of(&input);
            let run = prepare(&bank, &input).expect("prepared");

            let ctx = rule_context(&programme, orgs);
            let pool = Pool {
                approved: approved.iter().map(|p| p.mentee_id.as_str()).collect(),
                completed: completed.iter().map(Id::as_str).collect(),
                moved_away: moved_away.iter().map(Id::as_str).collect(),
            };
            let pinned_at: HashSet<usize> = [41, 300].into();
            let mut eligible = Vec::new();
            let mut ineligible = Vec::new();
            for (e, mentee) in mentees.iter().enumerate().filter(|(e, _)| !pinned_at.contains(e)) {
                match ineligibility(&ctx, mentee, &pool) {
                    None => eligible.push(e),
                    Some(reason) => ineligible.push((mentee.person.id.clone(), reason)),
                }
            }
            prop_assert_eq!(&run.people.eligible, &eligible);
            let listed = LeftOut::new(&bank, &run).list();
            let found: Vec<(Id, _)> = listed
                .iter()
                .map(|i| (i.mentee_id.clone(), i.reason))
                .collect();
            prop_assert_eq!(found, ineligible);
            prop_assert!(listed.iter().all(|i| i.text == i.reason.render(input.lang)));

            let held = |m: usize| u32::from([1, 3, 5, 6].contains(&m));
            let candidates: Vec<usize> = (0..mentors.len())
                .filter(|&m| mentor_rule(&ctx, &mentors[m]).is_none())
                .filter(|&m| mentors[m].capacity > held(m))
                .collect();
            prop_assert_eq!(&run.places.candidates, &candidates);

            let serving: Vec<_> = (0..mentors.len())
                .filter_map(|m| {
                    let side = mentor_rule(&ctx, &mentors[m]);
                    let out = matches!(side, Some(Rule::FormNotAccepted | Rule::WrongMentorKind));
                    (!out).then(|| (run.rules.mentors[m], side, run.places.run_cap[m]))
                })
                .collect();
            let form_mentors = FormMentors::new(&run);
            for &e in eligible.iter().step_by(7) {
                let want = no_allowed_mentor(
                    &ctx,
                    &run.rules.mentees[e],
                    run.rules.rejected_for(e),
                    &serving,
                );
                prop_assert_eq!(form_mentors.no_allowed_mentor(e), want);
            }
        }
    }
}
