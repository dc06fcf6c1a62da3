//! Known-answer tests of the engine, named as sentences.

mod matching_support;

use matching_support::{orgs, programme, pupil, teacher};
use mentor_match::cli::matching::{generate_command, match_command};
use mentor_match::domain::Id;
use mentor_match::matching::assignment::{self, Objective, ScoreMatrix};
use mentor_match::matching::explain::Lang;
use mentor_match::matching::rules::Rule;
use mentor_match::matching::synth::generate;
use mentor_match::matching::unmatched::{IneligibleReason, UnmatchedReason};
use mentor_match::matching::{Outcome, PairRef, RunInput, run, write_scores_csv};
use serde_json::json;

fn id(s: &str) -> Id {
    Id::parse(s).expect("id")
}

fn pair(m: &str, e: &str) -> PairRef {
    PairRef {
        mentor_id: id(m),
        mentee_id: id(e),
    }
}

fn pairs_of(o: &Outcome) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = o
        .proposals
        .iter()
        .flat_map(|p| {
            p.mentee_ids
                .iter()
                .map(|e| (p.mentor_id.to_string(), e.to_string()))
                .collect::<Vec<_>>()
        })
        .collect();
    out.sort();
    out
}

#[test]
fn a_pupil_with_special_needs_only_gets_a_tutor() {
    let p = programme("teacher_pupil", json!({}));
    let mentors = vec![
        teacher("perfect-but-not-tutor", json!({})),
        teacher(
            "tutor",
            json!({"roles": ["tutor"], "subjects": ["музыка"], "competencies": []}),
        ),
    ];
    let mentees = vec![pupil("ovz", json!({"category": "special_needs"}))];
    let orgs = orgs();
    let out = run(&RunInput::new(&p, &orgs, &mentors, &mentees)).expect("run");
    assert_eq!(pairs_of(&out), [("tutor".into(), "ovz".into())]);
}

#[test]
fn without_a_tutor_the_reason_names_the_tutor_rule() {
    let p = programme("teacher_pupil", json!({}));
    let mentors = vec![teacher("a", json!({})), teacher("b", json!({}))];
    let mentees = vec![pupil("ovz", json!({"category": "special_needs"}))];
    let orgs = orgs();
    let out = run(&RunInput::new(&p, &orgs, &mentors, &mentees)).expect("run");
    assert!(out.proposals.is_empty());
    match &out.unmatched[0].reason {
        UnmatchedReason::NoMentorPassesRules {
            top_rule,
            mentors_considered,
            ..
        } => {
            assert_eq!(*top_rule, Rule::NeedsTutor);
            assert_eq!(*mentors_considered, 2);
        }
        other => panic!("unexpected reason {other:?}"),
    }
}

#[test]
fn rejected_pairs_are_never_proposed_again() {
    let p = programme("teacher_pupil", json!({}));
    let mentors = vec![
        teacher("best", json!({})),
        teacher(
            "other",
            json!({"subjects": ["история"], "competencies": []}),
        ),
    ];
    let mentees = vec![pupil("x", json!({}))];
    let orgs = orgs();
    let excluded = [pair("best", "x")];
    let input = RunInput {
        excluded: &excluded,
        ..RunInput::new(&p, &orgs, &mentors, &mentees)
    };
    let out = run(&input).expect("run");
    assert_eq!(pairs_of(&out), [("other".into(), "x".into())]);

    let only_best = &mentors[..1];
    let input = RunInput {
        excluded: &excluded,
        ..RunInput::new(&p, &orgs, only_best, &mentees)
    };
    let out = run(&input).expect("run");
    assert!(out.proposals.is_empty());
    assert!(matches!(
        out.unmatched[0].reason,
        UnmatchedReason::NoMentorPassesRules {
            top_rule: Rule::RejectedPair,
            ..
        }
    ));
}

#[test]
fn pinned_pairs_are_kept_as_given() {
    let p = programme("teacher_pupil", json!({}));
    let mentors = vec![
        teacher("best", json!({"capacity": 1})),
        teacher(
            "weak",
            json!({"subjects": ["история"], "competencies": [], "capacity": 1}),
        ),
    ];
    let mentees = vec![pupil("x", json!({})), pupil("y", json!({}))];
    let orgs = orgs();
    let pinned = [pair("weak", "x")];
    let input = RunInput {
        pinned: &pinned,
        ..RunInput::new(&p, &orgs, &mentors, &mentees)
    };
    let out = run(&input).expect("run");
    let kept = &out.proposals[0];
    assert!(kept.pinned);
    assert_eq!(
        (kept.mentor_id.as_str(), kept.mentee_ids[0].as_str()),
        ("weak", "x")
    );
    // "weak" is full now, so y goes to "best"; x is not matched again.
    assert_eq!(
        pairs_of(&out),
        [("best".into(), "y".into()), ("weak".into(), "x".into())]
    );
    assert_eq!(out.stats.mentees_pinned, 1);
}

#[test]
fn coverage_comes_before_a_higher_score() {
    let p = programme("teacher_pupil", json!({}));
    // "star" suits both pupils best but takes one; "tutor" is the only mentor
    // allowed for the special-needs pupil.
    let mentors = vec![
        teacher(
            "star",
            json!({"capacity": 1, "roles": ["tutor"], "qualification": "highest"}),
        ),
        teacher(
            "plain",
            json!({"capacity": 1, "subjects": ["история"], "competencies": []}),
        ),
    ];
    let mentees = vec![
        pupil(
            "needs-tutor",
            json!({"category": "special_needs", "subjects": ["история"]}),
        ),
        pupil("any", json!({})),
    ];
    let orgs = orgs();
    let out = run(&RunInput::new(&p, &orgs, &mentors, &mentees)).expect("run");
    assert_eq!(
        pairs_of(&out),
        [
            ("plain".into(), "any".into()),
            ("star".into(), "needs-tutor".into())
        ]
    );
}

#[test]
fn approved_pairs_use_capacity_and_full_mentors_are_the_reason() {
    let p = programme("teacher_pupil", json!({}));
    let mentors = vec![teacher("t", json!({"capacity": 1}))];
    let mentees = vec![pupil("old", json!({})), pupil("new", json!({}))];
    let orgs = orgs();
    let approved = [pair("t", "old")];
    let input = RunInput {
        approved: &approved,
        ..RunInput::new(&p, &orgs, &mentors, &mentees)
    };
    let out = run(&input).expect("run");
    assert!(out.proposals.is_empty());
    assert!(matches!(
        out.unmatched[0].reason,
        UnmatchedReason::MentorsFull {
            eligible_mentors: 1
        }
    ));
    assert_eq!(out.ineligible[0].reason, IneligibleReason::AlreadyPaired);
}

#[test]
fn a_mentee_outbid_by_others_is_told_the_best_score_available() {
    let p = programme("teacher_pupil", json!({}));
    let mentors = vec![teacher("t", json!({"capacity": 1}))];
    let mentees = vec![
        pupil("fits", json!({})),
        pupil("fits-less", json!({"subjects": ["химия"]})),
    ];
    let orgs = orgs();
    let out = run(&RunInput::new(&p, &orgs, &mentors, &mentees)).expect("run");
    assert_eq!(pairs_of(&out), [("t".into(), "fits".into())]);
    match &out.unmatched[0].reason {
        UnmatchedReason::AssignedToOthers {
            eligible_mentors,
            best_score,
        } => {
            assert_eq!(*eligible_mentors, 1);
            assert!(*best_score > 0.0);
        }
        other => panic!("unexpected reason {other:?}"),
    }
}

#[test]
fn ineligible_mentees_are_reported_with_their_reason() {
    let p = programme("teacher_pupil", json!({}));
    let mentors = vec![teacher("t", json!({"capacity": 5}))];
    let mentees = vec![
        pupil("no-consent", json!({"consent": null})),
        pupil(
            "self-only",
            json!({"consent": {"given_by": "self", "date": "2026-05-20"}}),
        ),
        pupil("career", json!({"category": "career_guidance"})),
        pupil("far", json!({"organization_id": "s9"})),
        pupil("ok", json!({})),
    ];
    let orgs = orgs();
    let out = run(&RunInput::new(&p, &orgs, &mentors, &mentees)).expect("run");
    let reasons: Vec<(&str, IneligibleReason)> = out
        .ineligible
        .iter()
        .map(|i| (i.mentee_id.as_str(), i.reason))
        .collect();
    assert_eq!(
        reasons,
        [
            ("no-consent", IneligibleReason::NoConsent),
            ("self-only", IneligibleReason::ConsentNeedsGuardian),
            ("career", IneligibleReason::CategoryNotInForm),
            ("far", IneligibleReason::OutOfScope),
        ]
    );
    assert_eq!(pairs_of(&out), [("t".into(), "ok".into())]);
}

#[test]
fn pupil_mentors_must_be_enough_grades_above() {
    let p = programme("pupil_pupil", json!({"rules": {"min_grade_gap": 2}}));
    let leader = |pid: &str, grade: u8| {
        mentor_match::domain::MentorProfile::parse(
            &json!({"id": pid, "organization_id": "s1", "full_name": "Лидер", "kind": "pupil",
                "grade": grade, "birth_year": 2026 - 7 - i32::from(grade), "forms": ["pupil_pupil"],
                "trained": true, "consent": {"given_by": "parent", "date": "2026-05-20", "pupil_agreed_on": "2026-05-20"}}),
            None,
        )
        .expect("leader")
    };
    let mentors = vec![leader("g9", 9), leader("g10", 10)];
    let mentees = vec![pupil("x", json!({}))];
    let orgs = orgs();
    let out = run(&RunInput::new(&p, &orgs, &mentors, &mentees)).expect("run");
    assert_eq!(pairs_of(&out), [("g10".into(), "x".into())]);
}

#[test]
fn a_young_specialist_gets_an_experienced_mentor_from_the_same_school() {
    let p = programme("teacher_teacher", json!({}));
    let mentors = vec![
        teacher("novice", json!({"experience_years": 3})),
        teacher(
            "elsewhere",
            json!({"organization_id": "s2", "experience_years": 30}),
        ),
        teacher(
            "master",
            json!({"experience_years": 12, "subjects": ["химия"]}),
        ),
    ];
    let mentee = mentor_match::domain::MenteeProfile::parse(
        &json!({"id": "young", "organization_id": "s1", "full_name": "Сидорова Ольга",
            "birth_year": 2001, "kind": "teacher", "category": "young_specialist",
            "subjects": ["математика"], "requests": ["подготовка к огэ"], "experience_years": 1,
            "consent": {"given_by": "self", "date": "2026-05-20"}}),
        None,
    )
    .expect("mentee");
    let orgs = orgs();
    let mentees = vec![mentee];
    let out = run(&RunInput::new(&p, &orgs, &mentors, &mentees)).expect("run");
    assert_eq!(pairs_of(&out), [("master".into(), "young".into())]);
}

#[test]
fn breakdown_contributions_sum_to_the_score() {
    let data = generate(2, 11);
    for p in &data.programmes {
        let out = run(&RunInput::new(
            p,
            &data.organizations,
            &data.mentors,
            &data.mentees,
        ))
        .expect("run");
        assert!(!out.proposals.is_empty());
        for proposal in &out.proposals {
            let sum: f64 = proposal.breakdown.iter().map(|b| b.contribution).sum();
            assert!(
                (sum - proposal.score).abs() <= 1e-6,
                "{sum} vs {}",
                proposal.score
            );
            for b in &proposal.breakdown {
                assert!((0.0..=1.0).contains(&b.value), "{b:?}");
                assert!(!b.detail.is_empty());
            }
        }
    }
}

#[test]
fn groups_stay_within_their_limits_and_report_cohesion() {
    let mut data = generate(3, 5);
    let mut p = data.programmes.remove(1);
    p.group = Some(mentor_match::domain::GroupSize::new(2, 3));
    let out = run(&RunInput::new(
        &p,
        &data.organizations,
        &data.mentors,
        &data.mentees,
    ))
    .expect("run");
    assert!(!out.proposals.is_empty());
    for proposal in &out.proposals {
        assert!(
            (2..=3).contains(&proposal.mentee_ids.len()),
            "{:?}",
            proposal.mentee_ids
        );
        let cohesion = proposal.cohesion.expect("cohesion");
        assert!((0.0..=1.0).contains(&cohesion));
        assert_eq!(proposal.members.len(), proposal.mentee_ids.len());
        let mean =
            proposal.members.iter().map(|m| m.score).sum::<f64>() / proposal.members.len() as f64;
        assert!((mean - proposal.score).abs() < 1e-9);
        let sum: f64 = proposal.breakdown.iter().map(|b| b.contribution).sum();
        assert!((sum - proposal.score).abs() <= 1e-6);
    }
    assert!(out.stats.mean_cohesion.is_some());
}

#[test]
fn explanations_render_in_both_languages() {
    let p = programme("teacher_pupil", json!({}));
    let mentors = vec![teacher(
        "t",
        json!({"roles": ["class_teacher"],
        "availability": ["mon:5", "tue:6"], "interests": ["шахматы"]}),
    )];
    let mentees = vec![pupil(
        "x",
        json!({"class_teacher_id": "t", "availability": ["mon:5", "tue:6"],
        "interests": ["шахматы", "театр"]}),
    )];
    let orgs = orgs();
    let en = run(&RunInput::new(&p, &orgs, &mentors, &mentees)).expect("run");
    let ru = run(&RunInput {
        lang: Lang::Ru,
        ..RunInput::new(&p, &orgs, &mentors, &mentees)
    })
    .expect("run");
    let (en, ru) = (&en.proposals[0].summary, &ru.proposals[0].summary);
    assert!(en.contains("subjects: математика"), "{en}");
    assert!(en.contains("class teacher of this pupil"), "{en}");
    assert!(en.contains("2 shared free periods"), "{en}");
    assert!(ru.contains("предметы: математика"), "{ru}");
    assert!(ru.contains("классный руководитель этого ученика"), "{ru}");
    assert!(ru.contains("2 урока"), "{ru}");
    // Stored facts render again in the other language.
    let out = run(&RunInput::new(&p, &orgs, &mentors, &mentees)).expect("run");
    for item in &out.proposals[0].breakdown {
        assert_ne!(item.fact.render(Lang::Ru), item.fact.render(Lang::En));
    }
}

#[test]
fn exported_scores_re_solve_to_the_same_total() {
    let data = generate(1, 3);
    let p = &data.programmes[1];
    let out = run(&RunInput::new(
        p,
        &data.organizations,
        &data.mentors,
        &data.mentees,
    ))
    .expect("run");
    let mut csv = Vec::new();
    write_scores_csv(&out, &mut csv).expect("csv");
    let text = String::from_utf8(csv).expect("utf-8");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').skip(1).collect();
    let mut cells = Vec::new();
    let mut rows = 0;
    for line in lines {
        rows += 1;
        for cell in line.split(',').skip(1) {
            cells.push(if cell.is_empty() {
                None
            } else {
                let (int, frac) = cell.split_once('.').expect("6 decimals");
                assert_eq!(frac.len(), 6);
                Some(
                    int.parse::<i64>().expect("int") * 1_000_000
                        + frac.parse::<i64>().expect("frac"),
                )
            });
        }
    }
    // Each column is one place: a mentor appears once per place.
    let capacity = vec![1u32; header.len()];
    let matrix = ScoreMatrix::from_options(rows, header.len(), &cells).expect("matrix");
    let again = assignment::solve(&matrix, &capacity, Objective::Total).expect("solve");
    let total: i64 = out
        .proposals
        .iter()
        .map(|p| (p.score * 1e6).round() as i64)
        .sum();
    assert_eq!(again.matched, out.stats.mentees_matched);
    assert_eq!(again.total, total);
}

#[test]
fn the_match_command_reads_files_and_names_bad_records() {
    let dir = std::env::temp_dir().join(format!("mm-engine-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let data = generate_command(1, 9);
    let input = dir.join("input.json");
    let prog = dir.join("programme.json");
    std::fs::write(&input, data.to_string()).expect("write");
    std::fs::write(&prog, data["programmes"][1].to_string()).expect("write");
    let result = match_command(&input, &prog, Lang::Ru, None).expect("match");
    assert!(
        result["proposals"]
            .as_array()
            .is_some_and(|p| !p.is_empty())
    );
    assert!(
        result["stats"]["mentees_matched"]
            .as_u64()
            .is_some_and(|n| n > 0)
    );

    let mut broken = data.clone();
    broken["mentors"][3]["capacity"] = json!(-1);
    std::fs::write(&input, broken.to_string()).expect("write");
    let err = match_command(&input, &prog, Lang::En, None).expect_err("bad record");
    assert!(
        err.contains("mentors[3]") && err.contains("capacity"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_generator_is_deterministic_and_its_output_parses() {
    let a = generate_command(2, 42);
    assert_eq!(a, generate_command(2, 42));
    assert_ne!(a, generate_command(2, 43));
    let mentees = a["mentees"].as_array().expect("mentees");
    let mentors = a["mentors"].as_array().expect("mentors");
    assert_eq!(mentees.len(), 2 * 107);
    assert_eq!(mentors.len(), 2 * 60);
    for m in mentors {
        mentor_match::domain::MentorProfile::parse(m, None).expect("mentor parses");
    }
    for e in mentees {
        mentor_match::domain::MenteeProfile::parse(e, None).expect("mentee parses");
    }
    for p in a["programmes"].as_array().expect("programmes") {
        mentor_match::domain::Programme::parse(p, None).expect("programme parses");
    }
}

// ---- stable assignments: examples from the literature ----

use mentor_match::matching::stable::{Preferences, Proposer, blocking_pairs, deferred_acceptance};

#[test]
fn gale_and_shapleys_cyclic_example_has_different_mentee_and_mentor_optima() {
    // Gale & Shapley (1962), the three men α β γ and women A B C:
    // α: A B C, β: B C A, γ: C A B; A: β γ α, B: γ α β, C: α β γ.
    // Men (mentees) proposing, everyone gets a first choice; women
    // (mentors) proposing, every woman does; everyone's second choice is
    // the third stable matching.
    let prefs = Preferences::new(
        3,
        3,
        &[0; 9],
        &[vec![0, 1, 2], vec![1, 2, 0], vec![2, 0, 1]],
        &[vec![1, 2, 0], vec![2, 0, 1], vec![0, 1, 2]],
    );
    let men = deferred_acceptance(&prefs, &[1, 1, 1], Proposer::Mentees);
    let women = deferred_acceptance(&prefs, &[1, 1, 1], Proposer::Mentors);
    assert_eq!(men, [(0, 0), (1, 1), (2, 2)]);
    assert_eq!(women, [(0, 2), (1, 0), (2, 1)]);
    let seconds = [(0, 1), (1, 2), (2, 0)];
    for m in [&men[..], &women[..], &seconds[..]] {
        assert!(blocking_pairs(&prefs, &[1, 1, 1], m).is_empty());
    }
    // α–A, β–C, γ–B is not stable: γ and A would rather be together.
    assert_eq!(
        blocking_pairs(&prefs, &[1, 1, 1], &[(0, 0), (1, 2), (2, 1)]),
        [(2, 0)]
    );
}

#[test]
fn hospitals_with_capacities_keep_their_preferred_residents() {
    // The college-admissions setting of Gale & Shapley (1962): hospitals
    // h0 (2 places) and h1 (1 place); residents r0..r3.
    // r0: h0 h1, r1: h0 h1, r2: h0 h1, r3: h1 h0;
    // h0: r3 r2 r1 r0, h1: r0 r1 r2 r3.
    // Residents proposing: h0 holds r1 r2 and rejects r0, who goes to h1
    // and displaces r3; r3 then tries h0, which prefers him to r1; r1 goes
    // to h1 and loses to r0. So r1 is left out, having lost every
    // preference, and nobody blocks.
    let prefs = Preferences::new(
        4,
        2,
        &[0; 8],
        &[vec![0, 1], vec![0, 1], vec![0, 1], vec![1, 0]],
        &[vec![3, 2, 1, 0], vec![0, 1, 2, 3]],
    );
    let residents = deferred_acceptance(&prefs, &[2, 1], Proposer::Mentees);
    assert_eq!(residents, [(0, 1), (2, 0), (3, 0)]);
    assert!(blocking_pairs(&prefs, &[2, 1], &residents).is_empty());
    // Hospitals proposing: h0 offers r3 and r2, h1 offers r0; all accept.
    let hospitals = deferred_acceptance(&prefs, &[2, 1], Proposer::Mentors);
    assert_eq!(hospitals, residents);
    // Rank-maximal (residents' ranks) instead puts three residents on a
    // first choice and matches as many: r3 at h1 and two of r0..r2 at h0.
    let ranked = assignment::rank_maximal::rank_maximal(&prefs, &[2, 1]);
    let firsts = ranked
        .iter()
        .filter(|&&(r, c)| prefs.mentee_rank(r, c) == Some(0))
        .count();
    assert_eq!((ranked.len(), firsts), (3, 3));
    assert!(!blocking_pairs(&prefs, &[2, 1], &ranked).is_empty());
}

#[test]
fn the_score_matrix_gives_one_stable_assignment_for_both_sides() {
    // Both sides rank by the same scores: greedy by score is the unique
    // stable assignment, whoever proposes.
    let m = ScoreMatrix::new(2, 2, vec![9, 8, 7, 1]).expect("matrix");
    let stable = assignment::solve(&m, &[1, 1], Objective::Stable).expect("solve");
    let mentor = assignment::solve(&m, &[1, 1], Objective::StableMentor).expect("solve");
    let total = assignment::solve(&m, &[1, 1], Objective::Total).expect("solve");
    assert_eq!(
        (stable.pairs.clone(), stable.total),
        (vec![(0, 0), (1, 1)], 10)
    );
    assert_eq!(mentor.pairs, stable.pairs);
    assert_eq!((total.pairs, total.total), (vec![(0, 1), (1, 0)], 15));
}
