//! Property tests on small random instances against brute force, written
//! from DOMAIN.md independently of the engine's rule code; and determinism
//! across thread counts.

mod matching_support;

use matching_support::orgs;
use mentor_match::domain::profile::mentor_kind_for;
use mentor_match::domain::{
    Consent, Form, GroupSize, MenteeCategory, MenteeProfile, MentorProfile, Organization,
    Programme, StaffRole,
};
use mentor_match::matching::assignment::Objective;
use mentor_match::matching::synth::generate;
use mentor_match::matching::{Outcome, PairRef, RunInput, run};
use proptest::prelude::*;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};

const FORMS: [&str; 5] = [
    "teacher_teacher",
    "teacher_pupil",
    "pupil_pupil",
    "student_pupil",
    "employer_pupil",
];
const CATEGORIES: [&str; 9] = [
    "young_specialist",
    "low_results_teacher",
    "new_teacher",
    "struggling_pupil",
    "prevention_register",
    "special_needs",
    "gifted",
    "adaptation",
    "career_guidance",
];
const ORGS: [&str; 4] = ["s1", "s2", "col", "s9"];
const TAGS: [&str; 4] = ["математика", "физика", "история", "огэ"];

/// org, forms mask, grade, tutor, trained, consent, experience, subjects, competencies.
type MentorDraw = (usize, u8, u8, bool, bool, bool, u32, u8, u8);
/// category, org, grade, subjects, consent, same id as a mentor, a category of the form.
type MenteeDraw = (usize, usize, u8, u8, bool, bool, bool);

#[derive(Debug, Clone)]
struct Instance {
    form: usize,
    network: bool,
    group: Option<(u32, u32)>,
    fair: bool,
    mentors: Vec<MentorDraw>,
    mentees: Vec<MenteeDraw>,
    excluded: Vec<(usize, usize)>,
    approved: Option<usize>,
}

fn instance() -> impl Strategy<Value = Instance> {
    let org = prop_oneof![4 => Just(0usize), 1 => 0usize..4];
    let mentor = (
        org.clone(),
        0u8..10,
        5u8..12,
        any::<bool>(),
        proptest::bool::weighted(0.9),
        proptest::bool::weighted(0.9),
        0u32..12,
        0u8..16,
        0u8..16,
    );
    let mentee = (
        0usize..9,
        org,
        1u8..12,
        0u8..16,
        proptest::bool::weighted(0.9),
        proptest::bool::weighted(0.2),
        proptest::bool::weighted(0.8),
    );
    (
        0usize..5,
        proptest::bool::weighted(0.2),
        proptest::option::weighted(0.25, (1u32..3, 2u32..4)),
        any::<bool>(),
        proptest::collection::vec(mentor, 0..4),
        proptest::collection::vec(mentee, 0..6),
        proptest::collection::vec((0usize..4, 0usize..6), 0..3),
        proptest::option::weighted(0.3, 0usize..4),
    )
        .prop_map(
            |(form, network, group, fair, mentors, mentees, excluded, approved)| Instance {
                form,
                network,
                group: group.map(|(a, b)| (a.min(b), a.max(b))),
                fair,
                mentors,
                mentees,
                excluded,
                approved,
            },
        )
}

fn tags(mask: u8) -> Vec<&'static str> {
    TAGS.iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, t)| *t)
        .collect()
}

struct Built {
    programme: Programme,
    orgs: Vec<Organization>,
    mentors: Vec<MentorProfile>,
    mentees: Vec<MenteeProfile>,
    excluded: Vec<PairRef>,
    approved: Vec<PairRef>,
}

fn build(inst: &Instance) -> Built {
    let form = FORMS[inst.form];
    let parsed_form = Form::parse(form).expect("form");
    let mut p = json!({"id": "p", "name": "p", "form": form, "organization_ids": ["mun"],
        "period": {"start": "2026-09-01", "end": "2027-05-31"}, "rules": {"network": inst.network}});
    if let Some((min, max)) = inst.group {
        p["group"] = json!({"min": min, "max": max});
    }
    let programme = Programme::parse(&p, None).expect("programme");
    let mentors: Vec<MentorProfile> = inst
        .mentors
        .iter()
        .enumerate()
        .map(|(i, &(org, forms_mask, grade, tutor, trained, consent, exp, subj, comp))| {
            // Mostly the form's own kind, so that the rules are exercised.
            let kind = mentor_kind_for(if forms_mask < 8 { parsed_form } else { Form::ALL[forms_mask as usize % 5] });
            let forms: Vec<&str> = FORMS
                .iter()
                .copied()
                .filter(|f| mentor_kind_for(Form::parse(f).expect("form")) == kind)
                .filter(|f| *f == form || forms_mask % 3 == 0)
                .filter(|f| !(*f == form && forms_mask == 7))
                .collect();
            let mut v = json!({"id": format!("x{i}"), "organization_id": ORGS[org], "full_name": "Н",
                "kind": kind.as_str(), "forms": forms, "capacity": (i as u32 + exp) % 3,
                "birth_year": 1990 - exp as i32, "experience_years": exp, "trained": trained,
                "subjects": tags(subj), "competencies": tags(comp), "interests": tags(comp ^ subj),
                "availability": ["mon:1", "tue:2"], "roles": if tutor { vec!["tutor"] } else { vec![] }});
            if kind.as_str() == "pupil" {
                v["grade"] = json!(grade);
                v["birth_year"] = json!(2026 - 7 - i32::from(grade));
            }
            if consent {
                let by = if kind.as_str() == "pupil" { "parent" } else { "self" };
                v["consent"] = json!({"given_by": by, "date": "2026-05-01", "pupil_agreed_on": "2026-05-01"});
            }
            MentorProfile::parse(&v, None).expect("mentor")
        })
        .collect();
    let mentees: Vec<MenteeProfile> = inst
        .mentees
        .iter()
        .enumerate()
        .map(|(i, &(cat, org, grade, subj, consent, same_id, form_category))| {
            // Mostly a category the form serves, so that pairs compete.
            let served = parsed_form.categories();
            let category = if form_category { served[cat % served.len()].as_str() } else { CATEGORIES[cat] };
            let teacher = Form::TeacherTeacher.categories().iter().any(|c| c.as_str() == category);
            // Sometimes the same person as a mentor (self-mentoring must be refused).
            let pid = if same_id && i < inst.mentors.len() { format!("x{i}") } else { format!("y{i}") };
            let mut v = json!({"id": pid, "organization_id": ORGS[org], "full_name": "Н",
                "kind": if teacher { "teacher" } else { "pupil" }, "category": category,
                "subjects": tags(subj), "requests": tags(subj.rotate_left(1)),
                "availability": ["mon:1"]});
            if pid != "x0" {
                v["class_teacher_id"] = json!("x0");
            }
            if teacher {
                v["birth_year"] = json!(1998);
            } else {
                v["grade"] = json!(grade);
                v["birth_year"] = json!(2026 - 7 - i32::from(grade));
            }
            if consent {
                v["consent"] = json!({"given_by": if teacher { "self" } else { "parent" }, "date": "2026-05-01", "pupil_agreed_on": "2026-05-01"});
            }
            MenteeProfile::parse(&v, None).expect("mentee")
        })
        .collect();
    let pair = |m: usize, e: usize| -> Option<PairRef> {
        Some(PairRef {
            mentor_id: mentors.get(m)?.person.id.clone(),
            mentee_id: mentees.get(e)?.person.id.clone(),
        })
    };
    let excluded = inst
        .excluded
        .iter()
        .filter_map(|&(m, e)| pair(m, e))
        .collect();
    let approved = inst.approved.and_then(|e| pair(0, e)).into_iter().collect();
    Built {
        programme,
        orgs: orgs(),
        mentors,
        mentees,
        excluded,
        approved,
    }
}

fn under(orgs: &[Organization], org: &str, root: &str) -> bool {
    let mut at = Some(org.to_owned());
    while let Some(o) = at {
        if o == root {
            return true;
        }
        at = orgs
            .iter()
            .find(|x| x.id.as_str() == o)
            .and_then(|x| x.parent_id.as_ref().map(|p| p.to_string()));
    }
    false
}

/// DOMAIN.md's hard rules, written out plainly.
fn allowed(b: &Built, m: &MentorProfile, e: &MenteeProfile) -> bool {
    let p = &b.programme;
    let on = p.period.start;
    let in_scope = |org: &str| {
        p.organization_ids
            .iter()
            .any(|r| under(&b.orgs, org, r.as_str()))
    };
    let consent = |c: Option<&Consent>, k, y| Consent::check_for_matching(c, k, y, on).is_ok();
    let mp = &m.person;
    let ep = &e.person;
    let same_org_form = matches!(
        p.form,
        Form::TeacherTeacher | Form::TeacherPupil | Form::PupilPupil
    );
    m.forms.contains(&p.form)
        && mp.kind == mentor_kind_for(p.form)
        && consent(mp.consent.as_ref(), mp.kind, mp.birth_year)
        && m.trained
        && in_scope(mp.organization_id.as_str())
        && (!same_org_form || p.rules.network || mp.organization_id == ep.organization_id)
        && mp.id != ep.id
        && !b
            .excluded
            .iter()
            .any(|x| x.mentor_id == mp.id && x.mentee_id == ep.id)
        && (e.category != MenteeCategory::SpecialNeeds || m.roles.contains(&StaffRole::Tutor))
        && (p.form != Form::PupilPupil
            || matches!((mp.grade, ep.grade), (Some(a), Some(b)) if u32::from(a) >= u32::from(b) + p.rules.min_grade_gap))
        && (e.category != MenteeCategory::YoungSpecialist
            || m.experience_years.unwrap_or(0) >= p.rules.min_mentor_experience_years)
}

fn eligible(b: &Built, e: &MenteeProfile) -> bool {
    let p = &b.programme;
    p.form.categories().contains(&e.category)
        && p.organization_ids
            .iter()
            .any(|r| under(&b.orgs, e.person.organization_id.as_str(), r.as_str()))
        && Consent::check_for_matching(
            e.person.consent.as_ref(),
            e.person.kind,
            e.person.birth_year,
            p.period.start,
        )
        .is_ok()
        && !b.approved.iter().any(|a| a.mentee_id == e.person.id)
}

fn scaled(x: f64) -> i64 {
    (x * 1e6).round() as i64
}

/// Best (matched, total) and (matched, min, total) over every assignment.
fn brute(rows: &[Vec<Option<i64>>], cap: &mut [u32]) -> ((usize, i64), (usize, i64, i64)) {
    fn go(
        r: usize,
        rows: &[Vec<Option<i64>>],
        cap: &mut [u32],
        acc: &mut Vec<i64>,
        best: &mut ((usize, i64), (usize, i64, i64)),
    ) {
        if r == rows.len() {
            let total: i64 = acc.iter().sum();
            let min = acc.iter().copied().min().unwrap_or(i64::MAX);
            best.0 = best.0.max((acc.len(), total));
            best.1 = best.1.max((acc.len(), min, total));
            return;
        }
        go(r + 1, rows, cap, acc, best);
        for c in 0..cap.len() {
            if let Some(s) = rows[r][c]
                && cap[c] > 0
            {
                cap[c] -= 1;
                acc.push(s);
                go(r + 1, rows, cap, acc, best);
                acc.pop();
                cap[c] += 1;
            }
        }
    }
    let mut best = ((0, 0), (0, i64::MIN, 0));
    go(0, rows, cap, &mut Vec::new(), &mut best);
    best
}

/// Best (matched, total) and the best lowest score at the best coverage
/// over every grouping: each mentor takes no new mentee, or enough to reach
/// `min..=max` counting `held`, and at most `cap`.
fn brute_groups(
    rows: &[Vec<Option<i64>>],
    cap: &[u32],
    held: &[u32],
    g: GroupSize,
) -> ((usize, i64), i64) {
    fn go(
        r: usize,
        rows: &[Vec<Option<i64>>],
        count: &mut [u32],
        acc: &mut Vec<i64>,
        limits: (&[u32], &[u32], GroupSize),
        best: &mut ((usize, i64), (usize, i64)),
    ) {
        let (cap, held, g) = limits;
        if r == rows.len() {
            let ok = (0..count.len()).all(|c| {
                count[c] == 0
                    || (count[c] <= cap[c] && (g.min..=g.max).contains(&(count[c] + held[c])))
            });
            if ok {
                let min = acc.iter().copied().min().unwrap_or(i64::MAX);
                best.0 = best.0.max((acc.len(), acc.iter().sum()));
                best.1 = best.1.max((acc.len(), min));
            }
            return;
        }
        go(r + 1, rows, count, acc, limits, best);
        for c in 0..count.len() {
            if let Some(s) = rows[r][c]
                && count[c] < cap[c]
            {
                count[c] += 1;
                acc.push(s);
                go(r + 1, rows, count, acc, limits, best);
                acc.pop();
                count[c] -= 1;
            }
        }
    }
    let mut best = ((0, 0), (0, i64::MIN));
    let mut count = vec![0; cap.len()];
    go(
        0,
        rows,
        &mut count,
        &mut Vec::new(),
        (cap, held, g),
        &mut best,
    );
    (best.0, best.1.1)
}

fn check(inst: &Instance) -> Result<(), TestCaseError> {
    let b = build(inst);
    let input = RunInput {
        excluded: &b.excluded,
        approved: &b.approved,
        objective: if inst.fair {
            Objective::Fair
        } else {
            Objective::Total
        },
        ..RunInput::new(&b.programme, &b.orgs, &b.mentors, &b.mentees)
    };
    let out = run(&input).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let load: HashMap<&str, u32> = b.approved.iter().fold(HashMap::new(), |mut acc, a| {
        *acc.entry(a.mentor_id.as_str()).or_default() += 1;
        acc
    });
    let spare = |m: &MentorProfile| {
        m.capacity
            .saturating_sub(load.get(m.person.id.as_str()).copied().unwrap_or(0))
    };

    // Every proposed pair obeys every hard rule; capacity is respected.
    let mut used: HashMap<&str, u32> = HashMap::new();
    let mut seen = HashSet::new();
    for p in &out.proposals {
        let m = b
            .mentors
            .iter()
            .find(|m| m.person.id == p.mentor_id)
            .expect("mentor");
        for id in &p.mentee_ids {
            let e = b
                .mentees
                .iter()
                .find(|e| &e.person.id == id)
                .expect("mentee");
            prop_assert!(allowed(&b, m, e), "rule broken: {} – {}", p.mentor_id, id);
            prop_assert!(eligible(&b, e), "ineligible mentee proposed: {id}");
            prop_assert!(seen.insert(id.clone()), "mentee twice: {id}");
            *used.entry(m.person.id.as_str()).or_default() += 1;
        }
        if let Some(g) = b.programme.group {
            // Already-approved members count towards the group's size.
            let size =
                p.mentee_ids.len() as u32 + load.get(p.mentor_id.as_str()).copied().unwrap_or(0);
            prop_assert!((g.min..=g.max).contains(&size), "group of {size}");
        }
    }
    for m in &b.mentors {
        prop_assert!(used.get(m.person.id.as_str()).copied().unwrap_or(0) <= spare(m));
    }

    // The engine's allowed cells are exactly the brute-force allowed pairs.
    let cand: Vec<&MentorProfile> = b.mentors.iter().filter(|m| spare(m) > 0).collect();
    let cap_of = |m: &MentorProfile| match b.programme.group {
        Some(GroupSize { min, max, .. }) => {
            let held = load.get(m.person.id.as_str()).copied().unwrap_or(0);
            let s = spare(m).min(max.saturating_sub(held));
            if held + s < min { 0 } else { s }
        }
        None => spare(m),
    };
    let elig: Vec<&MenteeProfile> = b.mentees.iter().filter(|e| eligible(&b, e)).collect();
    let score_of = |o: &Outcome, m: &str, e: &str| -> Option<i64> {
        o.score_tables.iter().find_map(|t| {
            let r = t.mentee_ids.iter().position(|x| x.as_str() == e)?;
            let c = t.mentor_ids.iter().position(|x| x.as_str() == m)?;
            t.get(r, c)
        })
    };
    let mut rows = Vec::new();
    for e in &elig {
        let mut row = Vec::new();
        for m in &cand {
            let ok = allowed(&b, m, e) && cap_of(m) > 0;
            let s = score_of(&out, m.person.id.as_str(), e.person.id.as_str());
            prop_assert_eq!(
                ok,
                s.is_some(),
                "allowed mismatch {} – {}",
                m.person.id,
                e.person.id
            );
            row.push(s);
        }
        rows.push(row);
    }
    prop_assert_eq!(out.stats.mentees_eligible, elig.len());
    if let Some(g) = b.programme.group {
        // Groups: coverage, then the objective, exactly as brute force
        // finds them over every valid grouping.
        let held: Vec<u32> = cand
            .iter()
            .map(|m| load.get(m.person.id.as_str()).copied().unwrap_or(0))
            .collect();
        let caps: Vec<u32> = cand.iter().map(|m| cap_of(m)).collect();
        let (total_best, fair_best) = brute_groups(&rows, &caps, &held, g);
        let member_scores: Vec<i64> = out
            .proposals
            .iter()
            .flat_map(|p| p.members.iter().map(|m| scaled(m.score)))
            .collect();
        prop_assert_eq!(out.stats.mentees_matched, total_best.0, "group coverage");
        let stats = out.stats.groups.as_ref().expect("group statistics");
        prop_assert_eq!(stats.optimal_components, stats.components);
        prop_assert_eq!(stats.coverage_gap, 0);
        if inst.fair {
            let min = member_scores.iter().copied().min().unwrap_or(i64::MAX);
            prop_assert_eq!(min, fair_best);
        } else {
            prop_assert_eq!(member_scores.iter().sum::<i64>(), total_best.1);
        }
        prop_assert!(out.proposals.iter().all(|p| p.group_reason.is_some()));
        return Ok(());
    }
    let mut caps: Vec<u32> = cand.iter().map(|m| cap_of(m)).collect();
    let (total_best, fair_best) = brute(&rows, &mut caps);
    let scores: Vec<i64> = out.proposals.iter().map(|p| scaled(p.score)).collect();
    prop_assert_eq!(
        out.stats.mentees_matched,
        total_best.0,
        "coverage is not maximal"
    );
    prop_assert_eq!(out.unmatched.len(), elig.len() - total_best.0);
    if inst.fair {
        let min = scores.iter().copied().min().unwrap_or(i64::MAX);
        let want = if fair_best.0 == 0 {
            i64::MAX
        } else {
            fair_best.1
        };
        prop_assert_eq!((min, scores.iter().sum::<i64>()), (want, fair_best.2));
    } else {
        prop_assert_eq!(scores.iter().sum::<i64>(), total_best.1);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn runs_obey_the_rules_and_match_brute_force(inst in instance()) {
        check(&inst)?;
    }
}

fn essence(o: &Outcome) -> Value {
    json!({"proposals": o.proposals, "unmatched": o.unmatched, "ineligible": o.ineligible,
        "tables": o.score_tables, "total": o.stats.total_score})
}

#[test]
fn results_do_not_depend_on_the_number_of_threads() {
    let data = generate(4, 21);
    let runs = |threads: usize| -> Vec<Value> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        pool.install(|| {
            data.programmes
                .iter()
                .map(|p| {
                    essence(
                        &run(&RunInput::new(
                            p,
                            &data.organizations,
                            &data.mentors,
                            &data.mentees,
                        ))
                        .expect("run"),
                    )
                })
                .collect()
        })
    };
    assert_eq!(runs(1), runs(2));
}

// ---- stable and rank-maximal assignments against brute force ----

use mentor_match::matching::assignment::rank_maximal::rank_maximal;
use mentor_match::matching::stable::{Preferences, Proposer, blocking_pairs, deferred_acceptance};

/// A small two-sided instance: scores (`None` forbidden), capacities and
/// wishes of both sides (indices, possibly repeated or forbidden).
#[derive(Debug, Clone)]
struct TwoSided {
    rows: usize,
    cols: usize,
    scores: Vec<i64>,
    capacity: Vec<u32>,
    mentee_wishes: Vec<Vec<usize>>,
    mentor_wishes: Vec<Vec<usize>>,
}

fn two_sided() -> impl Strategy<Value = TwoSided> {
    (1usize..=5, 1usize..=3).prop_flat_map(|(rows, cols)| {
        (
            proptest::collection::vec(
                prop_oneof![1 => Just(None), 3 => (0i64..4).prop_map(Some)],
                rows * cols,
            ),
            proptest::collection::vec(0u32..=2, cols),
            proptest::collection::vec(proptest::collection::vec(0..cols, 0..=3), rows),
            proptest::collection::vec(proptest::collection::vec(0..rows, 0..=4), cols),
        )
            .prop_map(
                move |(cells, capacity, mentee_wishes, mentor_wishes)| TwoSided {
                    rows,
                    cols,
                    scores: cells.into_iter().map(|c| c.unwrap_or(i64::MIN)).collect(),
                    capacity,
                    mentee_wishes,
                    mentor_wishes,
                },
            )
    })
}

/// Every assignment respecting the allowed cells and capacities, as each
/// mentee's mentor.
fn all_assignments(t: &TwoSided) -> Vec<Vec<Option<usize>>> {
    fn go(
        t: &TwoSided,
        r: usize,
        left: &mut Vec<u32>,
        cur: &mut Vec<Option<usize>>,
        out: &mut Vec<Vec<Option<usize>>>,
    ) {
        if r == t.rows {
            out.push(cur.clone());
            return;
        }
        cur.push(None);
        go(t, r + 1, left, cur, out);
        cur.pop();
        for c in 0..t.cols {
            if t.scores[r * t.cols + c] != i64::MIN && left[c] > 0 {
                left[c] -= 1;
                cur.push(Some(c));
                go(t, r + 1, left, cur, out);
                cur.pop();
                left[c] += 1;
            }
        }
    }
    let mut out = Vec::new();
    go(t, 0, &mut t.capacity.clone(), &mut Vec::new(), &mut out);
    out
}

fn as_pairs(a: &[Option<usize>]) -> Vec<(usize, usize)> {
    a.iter()
        .enumerate()
        .filter_map(|(r, c)| c.map(|c| (r, c)))
        .collect()
}

/// Blocking pairs straight from the definition, written apart from the library's.
fn blocking_by_definition(p: &Preferences, t: &TwoSided, a: &[Option<usize>]) -> usize {
    let mut n = 0;
    for r in 0..t.rows {
        for c in 0..t.cols {
            let Some(want) = p.mentee_rank(r, c) else {
                continue;
            };
            if a[r] == Some(c) {
                continue;
            }
            let mentee_wants =
                a[r].is_none_or(|own| p.mentee_rank(r, own).is_some_and(|k| want < k));
            let held: Vec<usize> = (0..t.rows).filter(|&x| a[x] == Some(c)).collect();
            let mentor_wants = (held.len() as u32) < t.capacity[c]
                || held
                    .iter()
                    .any(|&x| p.mentor_rank(r, c) < p.mentor_rank(x, c));
            n += usize::from(mentee_wants && mentor_wants);
        }
    }
    n
}

/// A mentee's rank of its mentor; unmatched ranks after everything.
fn rank_of(p: &Preferences, r: usize, a: &[Option<usize>]) -> usize {
    a[r].and_then(|c| p.mentee_rank(r, c)).unwrap_or(usize::MAX)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn deferred_acceptance_is_stable_and_optimal_for_its_side(t in two_sided()) {
        let p = Preferences::new(t.rows, t.cols, &t.scores, &t.mentee_wishes, &t.mentor_wishes);
        let stable: Vec<Vec<Option<usize>>> = all_assignments(&t)
            .into_iter()
            .filter(|a| blocking_by_definition(&p, &t, a) == 0)
            .collect();
        prop_assert!(!stable.is_empty());
        for side in [Proposer::Mentees, Proposer::Mentors] {
            let pairs = deferred_acceptance(&p, &t.capacity, side);
            let mut got = vec![None; t.rows];
            for &(r, c) in &pairs {
                prop_assert!(got[r].is_none());
                got[r] = Some(c);
            }
            prop_assert!(stable.contains(&got), "{:?} is not among the stable {:?}", got, stable);
            for s in &stable {
                for r in 0..t.rows {
                    let (mine, other) = (rank_of(&p, r, &got), rank_of(&p, r, s));
                    match side {
                        // No stable assignment is better for any mentee…
                        Proposer::Mentees => prop_assert!(mine <= other),
                        // …and the mentor-optimal one is the worst for every mentee.
                        Proposer::Mentors => prop_assert!(mine >= other),
                    }
                }
            }
        }
    }

    #[test]
    fn blocking_pairs_follow_the_definition(t in two_sided()) {
        let p = Preferences::new(t.rows, t.cols, &t.scores, &t.mentee_wishes, &t.mentor_wishes);
        for a in all_assignments(&t).iter().take(200) {
            prop_assert_eq!(blocking_pairs(&p, &t.capacity, &as_pairs(a)).len(), blocking_by_definition(&p, &t, a));
        }
    }

    #[test]
    fn rank_maximal_has_the_best_signature_among_maximal_assignments(t in two_sided()) {
        let p = Preferences::new(t.rows, t.cols, &t.scores, &t.mentee_wishes, &[]);
        let signature = |a: &[Option<usize>]| {
            let mut s = vec![0usize; t.cols + 1];
            s[0] = a.iter().flatten().count();
            for (r, mentor) in a.iter().enumerate() {
                if let Some(k) = mentor.and_then(|c| p.mentee_rank(r, c)) {
                    s[k + 1] += 1;
                }
            }
            s
        };
        let best = all_assignments(&t).iter().map(|a| signature(a)).max();
        let pairs = rank_maximal(&p, &t.capacity);
        let mut got = vec![None; t.rows];
        let mut used = vec![0u32; t.cols];
        for &(r, c) in &pairs {
            prop_assert!(got[r].is_none() && t.scores[r * t.cols + c] != i64::MIN);
            got[r] = Some(c);
            used[c] += 1;
            prop_assert!(used[c] <= t.capacity[c]);
        }
        prop_assert_eq!(Some(signature(&got)), best);
    }
}

// ---- weights are relative importances ----

use mentor_match::domain::{Criterion, Weights};

/// Weights from tenths drawn per criterion (at least one above 0).
fn weights_from(tenths: &[u8]) -> Weights {
    let mut w = Weights::default();
    for (c, t) in Criterion::ALL.iter().zip(tenths) {
        w.set(*c, f64::from(*t) / 10.0);
    }
    if w.sum() == 0.0 {
        w.set(Criterion::Subjects, 1.0);
    }
    w
}

/// What a run proposes and scores, without the weights it was given.
fn proposals_and_scores(o: &Outcome) -> Value {
    json!({"proposals": o.proposals, "unmatched": o.unmatched,
        "tables": o.score_tables, "total": o.stats.total_score,
        "min": o.stats.min_score, "matched": o.stats.mentees_matched})
}

fn run_with(data: &mentor_match::matching::synth::Dataset, p: &Programme, w: Weights) -> Outcome {
    run(&RunInput {
        weights: Some(w),
        ..RunInput::new(p, &data.organizations, &data.mentors, &data.mentees)
    })
    .expect("run")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Scaling by a power of two leaves every normalised weight bit for
    /// bit the same, so the runs must agree exactly, breakdowns included.
    #[test]
    fn scaling_every_weight_by_one_number_changes_no_proposal_and_no_score(
        seed in 0u64..500,
        tenths in prop::collection::vec(0u8..=10, Criterion::ALL.len()),
        exponent in -6i32..=6,
    ) {
        let data = generate(1, seed);
        let w = weights_from(&tenths);
        let mut scaled_w = w;
        let scale = 2f64.powi(exponent);
        for c in Criterion::ALL {
            scaled_w.set(*c, w.get(*c) * scale);
        }
        for p in data.programmes.iter().take(2) {
            let a = run_with(&data, p, w);
            let b = run_with(&data, p, scaled_w);
            prop_assert_eq!(proposals_and_scores(&a), proposals_and_scores(&b));
            prop_assert_eq!(b.weights, scaled_w, "the weights are kept as given");
        }
    }
}

#[test]
fn one_weight_at_three_beside_others_at_a_tenth_scores_as_its_normalised_share() {
    // The example: `subjects: 3` beside others at 0.1. Scores stay
    // in 0..1 and match the same weights written as shares of 1.
    let data = generate(1, 7);
    let mut odd = Weights::default();
    for c in Criterion::ALL {
        odd.set(*c, 0.1);
    }
    odd.set(Criterion::Subjects, 3.0);
    let shares = odd.normalised();
    assert!((shares.sum() - 1.0).abs() < 1e-12);
    assert!((shares.subjects - 3.0 / 3.8).abs() < 1e-12);
    let mut proposed = 0;
    for p in &data.programmes {
        let a = run_with(&data, p, odd);
        let b = run_with(&data, p, shares);
        proposed += a.proposals.len();
        let pairs = |o: &Outcome| -> Vec<(String, Vec<String>, f64)> {
            o.proposals
                .iter()
                .map(|x| {
                    (
                        x.mentor_id.to_string(),
                        x.mentee_ids.iter().map(ToString::to_string).collect(),
                        x.score,
                    )
                })
                .collect()
        };
        assert_eq!(pairs(&a), pairs(&b), "programme {}", p.id);
        for x in &a.proposals {
            assert!(
                (0.0..=1.0 + 1e-9).contains(&x.score),
                "score {} above 1",
                x.score
            );
            let sum: f64 = x.breakdown.iter().map(|i| i.contribution).sum();
            assert!(
                (sum - x.score).abs() < 2e-6,
                "breakdown {sum} against score {}",
                x.score
            );
        }
    }
    assert!(proposed > 0, "the data set proposes pairs");
}

/// The allowed cells of a row-major matrix as compressed rows.
fn compressed(rows: usize, cols: usize, scores: &[i64]) -> (Vec<usize>, Vec<u32>, Vec<i64>) {
    let (mut start, mut idx, mut vals) = (vec![0], Vec::new(), Vec::new());
    for r in 0..rows {
        for c in 0..cols {
            let s = scores[r * cols + c];
            if s != i64::MIN {
                idx.push(u32::try_from(c).expect("small"));
                vals.push(s);
            }
        }
        start.push(idx.len());
    }
    (start, idx, vals)
}

/// A sparse instance: few allowed cells, scores spread wide (so that the
/// optimum is almost always unique), capacities 0..=3.
fn sparse_instance() -> impl Strategy<Value = TwoSided> {
    (1usize..=8, 1usize..=6).prop_flat_map(|(rows, cols)| {
        (
            proptest::collection::vec(
                prop_oneof![3 => Just(None), 1 => (-1_000_000_000i64..1_000_000_000).prop_map(Some)],
                rows * cols,
            ),
            proptest::collection::vec(0u32..=3, cols),
        )
            .prop_map(move |(cells, capacity)| TwoSided {
                rows,
                cols,
                scores: cells.into_iter().map(|c| c.unwrap_or(i64::MIN)).collect(),
                capacity,
                mentee_wishes: Vec::new(),
                mentor_wishes: Vec::new(),
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Compressed rows solve to the same coverage and optimum as the dense
    /// matrix for every objective, never choose a forbidden cell or overfill
    /// a column, give the very same pairs for the objectives ranked from the
    /// scores, and the same pairs for `total` and `fair` whenever the dense
    /// optimum is unique (checked by brute force).
    #[test]
    fn compressed_rows_solve_as_the_dense_matrix(t in sparse_instance()) {
        use mentor_match::matching::assignment::{ScoreMatrix, solve, solve_compressed};
        let (start, idx, vals) = compressed(t.rows, t.cols, &t.scores);
        let matrix = ScoreMatrix::new(t.rows, t.cols, t.scores.clone()).expect("shape");
        for objective in [
            Objective::Total,
            Objective::Fair,
            Objective::RankMaximal,
            Objective::Stable,
            Objective::StableMentor,
        ] {
            let dense = solve(&matrix, &t.capacity, objective).expect("dense");
            let sparse = solve_compressed(t.cols, &start, &idx, &vals, &t.capacity, objective)
                .expect("sparse");
            prop_assert_eq!((sparse.matched, sparse.total), (dense.matched, dense.total));
            let mut used = vec![0u32; t.cols];
            for &(r, c) in &sparse.pairs {
                prop_assert!(t.scores[r * t.cols + c] != i64::MIN);
                used[c] += 1;
                prop_assert!(used[c] <= t.capacity[c]);
            }
            let unique = match objective {
                Objective::Total | Objective::Fair => {
                    let mut best = 0usize;
                    let key = |a: &[Option<usize>]| {
                        let scores: Vec<i64> = a
                            .iter()
                            .enumerate()
                            .filter_map(|(r, c)| c.map(|c| t.scores[r * t.cols + c]))
                            .collect();
                        let low = scores.iter().copied().min().unwrap_or(0);
                        let sum: i64 = scores.iter().sum();
                        (scores.len(), if objective == Objective::Fair { low } else { 0 }, sum)
                    };
                    let all = all_assignments(&t);
                    let top = all.iter().map(|a| key(a)).max();
                    for a in &all {
                        if Some(key(a)) == top {
                            best += 1;
                        }
                    }
                    best == 1
                }
                _ => true,
            };
            if unique {
                prop_assert_eq!(&sparse.pairs, &dense.pairs, "{:?}", objective);
            }
        }
    }

    /// Preferences from compressed rows rank exactly as those from the
    /// dense matrix, wishes included.
    #[test]
    fn preferences_from_compressed_rows_rank_as_from_the_matrix(t in two_sided()) {
        let (start, idx, vals) = compressed(t.rows, t.cols, &t.scores);
        let dense = Preferences::new(t.rows, t.cols, &t.scores, &t.mentee_wishes, &t.mentor_wishes);
        let sparse = Preferences::from_csr(t.cols, &start, &idx, &vals, &t.mentee_wishes, &t.mentor_wishes);
        prop_assert_eq!((sparse.rows(), sparse.cols()), (t.rows, t.cols));
        for r in 0..t.rows {
            prop_assert_eq!(sparse.mentee_list(r), dense.mentee_list(r));
            for c in 0..t.cols {
                prop_assert_eq!(sparse.mentee_rank(r, c), dense.mentee_rank(r, c));
                prop_assert_eq!(sparse.mentor_rank(r, c), dense.mentor_rank(r, c));
            }
        }
        for c in 0..t.cols {
            prop_assert_eq!(sparse.mentor_list(c), dense.mentor_list(c));
        }
        let pairs = deferred_acceptance(&dense, &t.capacity, Proposer::Mentees);
        prop_assert_eq!(deferred_acceptance(&sparse, &t.capacity, Proposer::Mentees), pairs.clone());
        prop_assert_eq!(blocking_pairs(&sparse, &t.capacity, &pairs), blocking_pairs(&dense, &t.capacity, &pairs));
    }
}
