//! The stages of a run, one at a time, on hand-built banks.

use serde_json::{Value, json};

use super::decompose::split_components;
use super::prepare::{Bank, prepare};
use super::scoring::score_components;
use super::solve::solve_components;
use super::{MatchError, PairRef, RunInput, run, run_on};
use crate::domain::{Id, MenteeProfile, MentorProfile, Organization, Programme};
use crate::matching::score::FORBIDDEN;

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
    assert_eq!(prepared.people.ineligible.len(), 1);
    assert_eq!(prepared.people.ineligible[0].mentee_id.as_str(), "e2");
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
    let (cols, scores) = (c.mentors.len(), &scored[0].scores);
    let cell = |e: usize, m: usize| {
        let (r, k) = (
            c.mentees.iter().position(|&x| x == e).expect("row"),
            c.mentors.iter().position(|&x| x == m).expect("column"),
        );
        scores[r * cols + k]
    };
    assert_eq!(cell(0, 1), FORBIDDEN);
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
        matched += shared.stats.mentees_matched;
        assert_eq!(
            untimed(shared),
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
    let mentees = [pupil("e1", "s1", json!({}))];
    let (other_mentors, other_mentees) = ([teacher("t9", "s2", 1)], [pupil("e9", "s2", json!({}))]);
    let bank = Bank::new(&orgs, &other_mentors, &other_mentees);
    let input = RunInput::new(&p, &orgs, &mentors, &mentees);
    assert!(!bank.serves(&input));
    let outcome = run_on(&bank, &input).expect("run");
    assert_eq!(untimed(outcome), untimed(run(&input).expect("run alone")));
}
