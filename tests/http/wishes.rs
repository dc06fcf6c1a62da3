//! Objectives beyond the total score, and the stability evidence of every
//! run, through the real server.

use crate::common::TestApp;
use mentor_match::service::auth::Role;
use reqwest::Method;
use serde_json::{Value, json};

fn proposals(run: &Value) -> Vec<Value> {
    run["proposals"].as_array().cloned().unwrap_or_default()
}

fn evidence_on_proposals(run: &Value) -> usize {
    proposals(run)
        .iter()
        .map(|p| p["preferred_partners"].as_array().map_or(0, Vec::len))
        .sum()
}

async fn stable_runs_have_no_blocking_pair_and_others_show_theirs(app: &TestApp) {
    let school = app.load_school().await;
    for programme in school["programmes"].as_array().expect("programmes") {
        if programme.get("group").is_some() {
            continue;
        }
        let id = programme["id"].as_str().expect("id");
        let total = app.run_and_wait(&app.admin, id, json!({})).await;
        let blocking = total["stats"]["blocking_pairs"].as_u64().expect("count");
        // Proposals name the blocking pairs of their mentees; the rest
        // belong to mentees left without a mentor.
        assert!(evidence_on_proposals(&total) as u64 <= blocking, "{id}");
        for objective in ["stable", "stable_mentor"] {
            let run = app
                .run_and_wait(&app.admin, id, json!({"objective": objective}))
                .await;
            assert_eq!(run["status"], "done", "{id} {objective}: {run}");
            assert_eq!(run["objective"], objective);
            assert_eq!(run["stats"]["blocking_pairs"], 0, "{id} {objective}");
            assert_eq!(evidence_on_proposals(&run), 0, "{id} {objective}");
            assert!(
                run["stats"]["mentees_matched"].as_u64()
                    <= total["stats"]["mentees_matched"].as_u64(),
                "{id}: stability never matches more than coverage first"
            );
        }
    }
}

async fn group_programmes_refuse_objectives_that_cannot_form_groups(app: &TestApp) {
    app.load_school().await;
    for objective in ["stable", "stable_mentor"] {
        let reply = app
            .post_json(
                &app.admin,
                "/api/v1/programmes/sp-2026/runs",
                &json!({"objective": objective}),
            )
            .await;
        assert_eq!(reply.assert_problem(422), ["objective"], "{objective}");
    }
    for objective in ["popular", "rank-maximal"] {
        let unknown = app
            .post_json(
                &app.admin,
                "/api/v1/programmes/tp-2026/runs",
                &json!({"objective": objective}),
            )
            .await;
        assert_eq!(unknown.assert_problem(422), ["objective"]);
    }
    let fair = app
        .run_and_wait(&app.admin, "sp-2026", json!({"objective": "fair"}))
        .await;
    assert_eq!(fair["status"], "done");
}

/// A small deterministic generator, so that the instances below are
/// random but the same on every run.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n as u64) as usize
    }

    fn shuffled(&mut self, n: usize) -> Vec<usize> {
        let mut v: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            v.swap(i, self.below(i + 1));
        }
        v
    }
}

/// A joint meeting at a school of its own: `mentees` young teachers and
/// `capacities.len()` mentors, every pair allowed by the rules, and a
/// teacher–teacher programme over them. Returns the programme's id.
async fn meeting(app: &TestApp, tag: &str, mentees: usize, capacities: &[u32]) -> String {
    let school = format!("school-{tag}");
    let consent =
        json!({"given_by": "self", "date": "2026-09-01", "purposes": ["storage", "matching"]});
    let mentors: Vec<Value> = capacities
        .iter()
        .enumerate()
        .map(|(j, cap)| {
            json!({
                "id": format!("{tag}-mentor-{j}"), "organization_id": school,
                "full_name": format!("Наставникова Ирина Петровна {j}"), "birth_year": 1975,
                "kind": "teacher", "forms": ["teacher_teacher"], "capacity": cap,
                "subjects": ["математика"], "competencies": ["планирование урока"],
                "experience_years": 20, "qualification": "highest", "trained": true,
                "availability": ["mon:7"], "consent": consent,
            })
        })
        .collect();
    let pupils: Vec<Value> = (0..mentees)
        .map(|i| {
            json!({
                "id": format!("{tag}-mentee-{i}"), "organization_id": school,
                "full_name": format!("Молодцова Анна Викторовна {i}"), "birth_year": 2002,
                "kind": "teacher", "category": "young_specialist", "subjects": ["математика"],
                "requests": ["планирование урока"], "experience_years": 1,
                "availability": ["mon:7"], "consent": consent,
            })
        })
        .collect();
    let programme = format!("{tag}-tt");
    let body = json!({
        "organizations": [
            {"id": "reg-w", "name": "Регион", "kind": "region"},
            {"id": school, "name": format!("Школа «{tag}»"), "kind": "school", "parent_id": "reg-w"},
        ],
        "mentors": mentors,
        "mentees": pupils,
        "programmes": [{
            "id": programme, "name": "Молодой учитель", "form": "teacher_teacher",
            "organization_ids": [school],
            "period": {"start": "2026-09-01", "end": "2027-05-31"},
        }],
    });
    let reply = app.import_json(&app.admin, "", &body).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    programme
}

/// Hospital–resident deferred acceptance, written here independently of
/// the service: `mentee_prefs[i]` and `mentor_prefs[j]` are complete
/// strict lists; gives each mentee's mentor.
fn deferred_acceptance(
    mentee_prefs: &[Vec<usize>],
    mentor_prefs: &[Vec<usize>],
    capacities: &[u32],
    mentees_propose: bool,
) -> Vec<Option<usize>> {
    let (n, m) = (mentee_prefs.len(), mentor_prefs.len());
    let rank_of =
        |list: &Vec<usize>, x: usize| list.iter().position(|&y| y == x).expect("complete");
    let mut mentor_of: Vec<Option<usize>> = vec![None; n];
    if mentees_propose {
        let mut next = vec![0usize; n];
        let mut held: Vec<Vec<usize>> = vec![Vec::new(); m];
        let mut free: Vec<usize> = (0..n).rev().collect();
        while let Some(i) = free.pop() {
            let Some(&j) = mentee_prefs[i].get(next[i]) else {
                continue;
            };
            next[i] += 1;
            held[j].push(i);
            if held[j].len() > capacities[j] as usize {
                let worst = *held[j]
                    .iter()
                    .max_by_key(|&&x| rank_of(&mentor_prefs[j], x))
                    .expect("someone");
                held[j].retain(|&x| x != worst);
                free.push(worst);
            }
        }
        for (j, list) in held.iter().enumerate() {
            for &i in list {
                mentor_of[i] = Some(j);
            }
        }
    } else {
        let mut next = vec![0usize; m];
        let mut held: Vec<usize> = vec![0; m];
        while let Some(j) =
            (0..m).find(|&j| (held[j] as u32) < capacities[j] && next[j] < mentor_prefs[j].len())
        {
            let i = mentor_prefs[j][next[j]];
            next[j] += 1;
            match mentor_of[i] {
                None => {
                    mentor_of[i] = Some(j);
                    held[j] += 1;
                }
                Some(k) if rank_of(&mentee_prefs[i], j) < rank_of(&mentee_prefs[i], k) => {
                    mentor_of[i] = Some(j);
                    held[j] += 1;
                    held[k] -= 1;
                }
                Some(_) => {}
            }
        }
    }
    mentor_of
}

/// Pairs `(mentee, mentor)` that would both rather be together.
fn blocking(
    mentee_prefs: &[Vec<usize>],
    mentor_prefs: &[Vec<usize>],
    capacities: &[u32],
    mentor_of: &[Option<usize>],
) -> usize {
    let rank_of =
        |list: &Vec<usize>, x: usize| list.iter().position(|&y| y == x).expect("complete");
    let mut count = 0;
    for (i, prefs) in mentee_prefs.iter().enumerate() {
        for &j in prefs {
            if mentor_of[i] == Some(j) {
                continue;
            }
            let mentee_wants = mentor_of[i].is_none_or(|k| rank_of(prefs, j) < rank_of(prefs, k));
            let members: Vec<usize> = (0..mentor_of.len())
                .filter(|&x| mentor_of[x] == Some(j))
                .collect();
            let mentor_wants = (members.len() as u32) < capacities[j]
                || members
                    .iter()
                    .any(|&x| rank_of(&mentor_prefs[j], i) < rank_of(&mentor_prefs[j], x));
            if mentee_wants && mentor_wants {
                count += 1;
            }
        }
    }
    count
}

/// Who each mentee got in a run, by index.
fn assignment(run: &Value, tag: &str, mentees: usize) -> Vec<Option<usize>> {
    let mut mentor_of = vec![None; mentees];
    for p in proposals(run) {
        let mentor: usize = p["mentor_id"]
            .as_str()
            .and_then(|m| m.strip_prefix(&format!("{tag}-mentor-")))
            .and_then(|j| j.parse().ok())
            .expect("a mentor of the meeting");
        for e in p["mentee_ids"].as_array().expect("mentees") {
            let i: usize = e
                .as_str()
                .and_then(|e| e.strip_prefix(&format!("{tag}-mentee-")))
                .and_then(|i| i.parse().ok())
                .expect("a mentee of the meeting");
            mentor_of[i] = Some(mentor);
        }
    }
    mentor_of
}

async fn recorded_wishes_decide_the_stable_matchings(app: &TestApp) {
    let mut rng = Lcg(2026);
    for round in 0..3 {
        let tag = format!("w{round}");
        let mentees = 5 + rng.below(4);
        let capacities: Vec<u32> = (0..3 + rng.below(2))
            .map(|_| 1 + rng.below(2) as u32)
            .collect();
        let programme = meeting(app, &tag, mentees, &capacities).await;
        let mentee_prefs: Vec<Vec<usize>> = (0..mentees)
            .map(|_| rng.shuffled(capacities.len()))
            .collect();
        let mentor_prefs: Vec<Vec<usize>> =
            capacities.iter().map(|_| rng.shuffled(mentees)).collect();
        let ids = |side: &str, list: &[usize]| -> Vec<String> {
            list.iter().map(|k| format!("{tag}-{side}-{k}")).collect()
        };
        let body = json!({
            "mentees": mentee_prefs.iter().enumerate()
                .map(|(i, l)| (format!("{tag}-mentee-{i}"), json!(ids("mentor", l))))
                .collect::<serde_json::Map<_, _>>(),
            "mentors": mentor_prefs.iter().enumerate()
                .map(|(j, l)| (format!("{tag}-mentor-{j}"), json!(ids("mentee", l))))
                .collect::<serde_json::Map<_, _>>(),
        });
        let path = format!("/api/v1/programmes/{programme}/preferences");
        let put = app.put(&path, &body).await;
        assert_eq!(put.status, 200, "{}", put.text);
        assert_eq!(put.body, body, "the wishes read back as written");
        assert_eq!(app.get(&path).await.body, body);

        for (objective, mentees_propose) in [("stable", true), ("stable_mentor", false)] {
            let run = app
                .run_and_wait(&app.admin, &programme, json!({"objective": objective}))
                .await;
            let expected =
                deferred_acceptance(&mentee_prefs, &mentor_prefs, &capacities, mentees_propose);
            assert_eq!(
                assignment(&run, &tag, mentees),
                expected,
                "{tag} {objective}"
            );
            assert_eq!(run["stats"]["blocking_pairs"], 0, "{tag} {objective}");
        }
        for objective in ["total", "fair", "rank_maximal"] {
            let run = app
                .run_and_wait(&app.admin, &programme, json!({"objective": objective}))
                .await;
            let got = assignment(&run, &tag, mentees);
            assert_eq!(
                run["stats"]["blocking_pairs"].as_u64(),
                Some(blocking(&mentee_prefs, &mentor_prefs, &capacities, &got) as u64),
                "{tag} {objective}: blocking pairs recounted"
            );
        }
    }
}

async fn wishes_are_checked_scoped_and_erased_with_the_person(app: &TestApp) {
    let school = app.load_school().await;
    let programme = meeting(app, "e", 3, &[1, 1]).await;
    let path = format!("/api/v1/programmes/{programme}/preferences");
    // Eleven wishes, a duplicate and an unknown field: each named.
    let too_many: Vec<String> = (0..11).map(|k| format!("e-mentor-{k}")).collect();
    let bad = app
        .put(
            &path,
            &json!({
                "mentees": {
                    "e-mentee-0": too_many,
                    "e-mentee-1": ["e-mentor-0", "e-mentor-0"],
                },
                "extra": {},
            }),
        )
        .await;
    let mut fields = bad.assert_problem(422);
    fields.sort();
    assert_eq!(
        fields,
        ["extra", "mentees.e-mentee-0", "mentees.e-mentee-1[1]"],
        "{}",
        bad.text
    );
    // Well formed, but naming nobody of the programme: an unknown mentor,
    // a teacher of another school, someone wishing who is not in it.
    let strangers = app
        .put(
            &path,
            &json!({
                "mentees": {"e-mentee-2": ["nobody"], "t-yakovleva": ["e-mentor-0"]},
                "mentors": {"e-mentor-0": ["e-mentee-0", "t-yakovleva"]},
            }),
        )
        .await;
    let mut fields = strangers.assert_problem(422);
    fields.sort();
    assert_eq!(
        fields,
        [
            "mentees.e-mentee-2[0]",
            "mentees.t-yakovleva",
            "mentors.e-mentor-0[1]"
        ],
        "{}",
        strangers.text
    );
    // A wish a hard rule forbids names the pair and the rule, in Russian
    // when asked.
    let pupil = school["mentees"]
        .as_array()
        .expect("mentees")
        .iter()
        .find(|m| m["kind"] == "pupil")
        .expect("a pupil")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let forbidden = app
        .send(
            Method::PUT,
            "/api/v1/programmes/tp-2026/preferences",
            Some(&app.admin),
            &[("accept-language", "ru")],
            Some((
                json!({"mentees": {pupil.clone(): ["t-fedorov"]}}).to_string(),
                "application/json",
            )),
        )
        .await;
    assert_eq!(forbidden.status, 422, "{}", forbidden.text);
    let detail = forbidden.text.clone();
    // The untrained teacher breaks the rule mentor_not_trained.
    assert!(
        detail.contains("t-fedorov") && detail.contains(&pupil),
        "{detail}"
    );
    assert!(
        detail.contains("пара") && detail.contains("mentor_not_trained"),
        "{detail}"
    );
    // Nothing was written by the refused requests.
    let empty = app.get(&path).await;
    assert_eq!(empty.body, json!({"mentees": {}, "mentors": {}}));

    let body = json!({
        "mentees": {"e-mentee-0": ["e-mentor-1", "e-mentor-0"], "e-mentee-1": ["e-mentor-0"]},
        "mentors": {"e-mentor-0": ["e-mentee-1", "e-mentee-0"]},
    });
    assert_eq!(app.put(&path, &body).await.status, 200);
    // A curator of another school sees none of them; an analyst may not read them.
    let other = app.key(Role::Curator, Some("school-7")).await;
    let seen = app.get_as(&other, &path).await;
    assert_eq!(seen.status, 404, "the programme is not in that scope");
    let analyst = app.key(Role::Analyst, None).await;
    assert_eq!(app.get_as(&analyst, &path).await.status, 403);
    // Replacing one person's list leaves the others; an empty list clears.
    let partial = app
        .put(&path, &json!({"mentees": {"e-mentee-1": []}}))
        .await;
    assert_eq!(partial.status, 200, "{}", partial.text);
    assert_eq!(
        partial.body["mentees"],
        json!({"e-mentee-0": ["e-mentor-1", "e-mentor-0"]})
    );
    // Erased with the person: their own wishes and those naming them.
    let withdrawn = app
        .send(
            Method::POST,
            "/api/v1/mentees/e-mentee-0/consent/withdraw",
            Some(&app.admin),
            &[],
            None,
        )
        .await;
    assert_eq!(withdrawn.status, 200, "{}", withdrawn.text);
    let after = app.get(&path).await;
    assert_eq!(
        after.body,
        json!({"mentees": {}, "mentors": {"e-mentor-0": ["e-mentee-1"]}})
    );
    assert!(!after.text.contains("e-mentee-0"));
}

async fn curators_pin_pairs_that_later_runs_keep(app: &TestApp) {
    let programme = meeting(app, "p", 4, &[1, 2]).await;
    let pins = format!("/api/v1/programmes/{programme}/pins");
    let curator = app.key(Role::Curator, Some("school-p")).await;
    let made = app
        .post_json(
            &curator,
            &pins,
            &json!({"mentor_id": "p-mentor-0", "mentee_id": "p-mentee-3"}),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.text);
    let again = app
        .post_json(
            &curator,
            &pins,
            &json!({"mentor_id": "p-mentor-0", "mentee_id": "p-mentee-3"}),
        )
        .await;
    assert_eq!(again.status, 200, "pinning twice changes nothing");
    // The mentee is pinned already; the mentor's only place is taken.
    let other = app
        .post_json(
            &curator,
            &pins,
            &json!({"mentor_id": "p-mentor-1", "mentee_id": "p-mentee-3"}),
        )
        .await;
    assert_eq!(other.status, 409, "{}", other.text);
    let full = app
        .send(
            Method::POST,
            &pins,
            Some(&curator),
            &[("accept-language", "ru")],
            Some((
                json!({"mentor_id": "p-mentor-0", "mentee_id": "p-mentee-1"}).to_string(),
                "application/json",
            )),
        )
        .await;
    assert_eq!(full.status, 409, "{}", full.text);
    assert!(full.text.contains("нет свободных мест"), "{}", full.text);
    let bad = app
        .post_json(
            &curator,
            &pins,
            &json!({"mentor_id": "t-ivanova", "mentee_id": ""}),
        )
        .await;
    let mut fields = bad.assert_problem(422);
    fields.sort();
    assert_eq!(fields, ["mentee_id"], "{}", bad.text);

    let run = app.run_and_wait(&curator, &programme, json!({})).await;
    let pinned: Vec<Value> = proposals(&run)
        .into_iter()
        .filter(|p| p["pinned"] == true)
        .collect();
    assert_eq!(pinned.len(), 1, "{run}");
    assert_eq!(pinned[0]["mentor_id"], "p-mentor-0");
    assert_eq!(pinned[0]["mentee_ids"], json!(["p-mentee-3"]));
    assert_eq!(run["stats"]["mentees_pinned"], 1);
    let listed = app.get_as(&curator, &pins).await;
    assert_eq!(listed.body["items"][0]["mentee_id"], "p-mentee-3");

    // Unpinned, the next run proposes for the mentee again.
    let removed = app
        .send(
            Method::DELETE,
            &format!("{pins}/p-mentee-3"),
            Some(&curator),
            &[],
            None,
        )
        .await;
    assert_eq!(removed.status, 200, "{}", removed.text);
    let gone = app
        .send(
            Method::DELETE,
            &format!("{pins}/p-mentee-3"),
            Some(&curator),
            &[],
            None,
        )
        .await;
    assert_eq!(gone.status, 404);
    let run = app.run_and_wait(&curator, &programme, json!({})).await;
    assert!(proposals(&run).iter().all(|p| p["pinned"] == false));
    assert_eq!(run["stats"]["mentees_pinned"], 0);
    // The audit log keeps who pinned and unpinned.
    let audit = app.get("/api/v1/audit?limit=1000").await;
    assert!(audit.text.contains("pin.added") && audit.text.contains("pin.removed"));
}

async fn the_wishes_criterion_scores_and_explains_mutual_choices(app: &TestApp) {
    let programme = meeting(app, "c", 3, &[1, 1, 1]).await;
    let path = format!("/api/v1/programmes/{programme}/preferences");
    let body = json!({
        "mentees": {"c-mentee-0": ["c-mentor-2", "c-mentor-0"], "c-mentee-1": ["c-mentor-2"]},
        "mentors": {"c-mentor-2": ["c-mentee-0"], "c-mentor-0": ["c-mentee-2"]},
    });
    assert_eq!(app.put(&path, &body).await.status, 200);
    // With its weight at 0 (the default) the criterion is not computed.
    let plain = app.run_and_wait(&app.admin, &programme, json!({})).await;
    assert!(
        proposals(&plain)
            .iter()
            .flat_map(|p| p["breakdown"].as_array().cloned().unwrap_or_default())
            .all(|b| b["criterion"] != "wishes"),
        "{plain}"
    );
    let run = app
        .run_and_wait(&app.admin, &programme, json!({"weights": {"wishes": 1.0}}))
        .await;
    let run_id = run["id"].as_str().expect("id");
    let ru = app
        .send(
            Method::GET,
            &format!("/api/v1/runs/{run_id}"),
            Some(&app.admin),
            &[("accept-language", "ru")],
            None,
        )
        .await;
    let wishes_of = |mentee: &str| -> Value {
        proposals(&ru.body)
            .into_iter()
            .find(|p| p["mentee_ids"][0] == mentee)
            .and_then(|p| {
                p["breakdown"]
                    .as_array()?
                    .iter()
                    .find(|b| b["criterion"] == "wishes")
                    .cloned()
            })
            .unwrap_or_else(|| panic!("{mentee} has a wishes line: {}", ru.text))
    };
    // The mutual first choice wins the contested mentor and scores 1.
    let mutual = wishes_of("c-mentee-0");
    assert_eq!(mutual["value"], 1.0, "{mutual}");
    assert_eq!(mutual["detail"], "1-й выбор наставляемого, взаимно");
    let proposal = proposals(&ru.body)
        .into_iter()
        .find(|p| p["mentee_ids"][0] == "c-mentee-0")
        .expect("proposal");
    assert_eq!(proposal["mentor_id"], "c-mentor-2");
    // A one-sided first choice scores half.
    let mentor_side = wishes_of("c-mentee-2");
    assert_eq!(mentor_side["value"], 0.5, "{mentor_side}");
    assert_eq!(mentor_side["detail"], "1-й выбор наставника");
    let en = app.get(&format!("/api/v1/runs/{run_id}")).await;
    assert!(
        en.text.contains("mentee's 1st choice, mutual"),
        "{}",
        en.text
    );
}

on_both_backends!(
    stable_runs_have_no_blocking_pair_and_others_show_theirs,
    group_programmes_refuse_objectives_that_cannot_form_groups,
    recorded_wishes_decide_the_stable_matchings,
    wishes_are_checked_scoped_and_erased_with_the_person,
    curators_pin_pairs_that_later_runs_keep,
    the_wishes_criterion_scores_and_explains_mutual_choices,
);
