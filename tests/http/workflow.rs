//! The curator workflow on data shaped like a real municipality: people in
//! both banks, pairs that finish, end early or are rejected over several
//! runs, and school curators in programmes of a wider scope.

use crate::common::TestApp;
use mentor_match::matching::synth::generate;
use mentor_match::service::auth::Role;
use serde_json::{Value, json};
use std::collections::BTreeSet;

fn proposals(run: &Value) -> Vec<Value> {
    run["proposals"].as_array().cloned().unwrap_or_default()
}

fn str_of(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

fn mentee_ids(proposal: &Value) -> Vec<String> {
    proposal["mentee_ids"]
        .as_array()
        .map(|ids| ids.iter().map(str_of).collect())
        .unwrap_or_default()
}

fn ineligible_reason(run: &Value, mentee: &str) -> Option<String> {
    run["ineligible"]
        .as_array()?
        .iter()
        .find(|i| i["mentee_id"] == mentee)
        .map(|i| str_of(&i["reason"]))
}

fn proposed_mentees(run: &Value) -> BTreeSet<String> {
    proposals(run).iter().flat_map(mentee_ids).collect()
}

/// A generated municipality in which teachers with low results and young
/// specialists also mentor pupils: each has a mentee profile and a mentor
/// profile under one id, as DOMAIN.md says happens.
fn municipality_with_people_in_both_banks(schools: usize, seed: u64) -> Value {
    let mut data = generate(schools, seed).to_json();
    let mentees = data["mentees"].as_array().cloned().unwrap_or_default();
    let pupil_requests: BTreeSet<String> = mentees
        .iter()
        .filter(|m| m["kind"] == "pupil")
        .flat_map(|m| m["requests"].as_array().cloned().unwrap_or_default())
        .map(|r| str_of(&r))
        .take(12)
        .collect();
    let mut doubles = Vec::new();
    for mentee in mentees.iter().filter(|m| {
        matches!(
            m["category"].as_str(),
            Some("low_results_teacher" | "young_specialist")
        )
    }) {
        // Strong candidates on purpose, so that the run proposes them.
        doubles.push(json!({
            "id": mentee["id"],
            "organization_id": mentee["organization_id"],
            "full_name": mentee["full_name"],
            "birth_year": mentee["birth_year"],
            "kind": "teacher",
            "forms": ["teacher_pupil"],
            "capacity": 2,
            "subjects": mentee["subjects"],
            "competencies": pupil_requests,
            "experience_years": 6,
            "roles": ["subject_teacher"],
            "trained": true,
            "consent": {"given_by": "self", "date": "2026-09-01", "purposes": ["storage", "matching"]},
        }));
    }
    data["mentors"]
        .as_array_mut()
        .expect("mentors")
        .extend(doubles);
    data
}

fn section(data: &Value, names: &[&str]) -> Value {
    let mut out = json!({});
    for name in names {
        out[*name] = data[*name].clone();
    }
    out
}

async fn every_proposal_of_a_fresh_run_is_approvable_with_people_in_both_banks(app: &TestApp) {
    let data = municipality_with_people_in_both_banks(3, 7);
    let admin = app.admin.clone();
    // The mentee bank first, then the mentors: the order that collided.
    for part in [
        section(&data, &["organizations"]),
        section(&data, &["mentees"]),
        section(&data, &["mentors"]),
    ] {
        let reply = app.import_json(&admin, "", &part).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
    }
    let municipality = data["organizations"]
        .as_array()
        .and_then(|o| o.iter().find(|o| o["kind"] == "municipality"))
        .map(|o| str_of(&o["id"]))
        .expect("a municipality");
    let programme = json!({
        "name": "Учитель – ученик, сеть школ", "form": "teacher_pupil",
        "organization_ids": [municipality],
        "period": {"start": "2026-09-01", "end": "2027-05-31"},
    });
    assert!(
        app.put("/api/v1/programmes/tp-net", &programme)
            .await
            .status
            .is_success()
    );
    let run = app.run_and_wait(&admin, "tp-net", json!({})).await;
    let all = proposals(&run);
    assert!(all.len() > 50, "a municipality-sized run: {}", all.len());
    let doubles: BTreeSet<String> = data["mentees"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| {
            matches!(
                m["category"].as_str(),
                Some("low_results_teacher" | "young_specialist")
            )
        })
        .map(|m| str_of(&m["id"]))
        .collect();
    assert!(
        all.iter()
            .any(|p| doubles.contains(&str_of(&p["mentor_id"]))),
        "the run proposes some of the people who are in both banks as mentors"
    );
    // Approve in an order unlike the run's: every one goes through.
    for proposal in all.iter().rev() {
        let reply = app.approve(&admin, &str_of(&proposal["id"])).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
    }
}

async fn first_pair(app: &TestApp, programme: &str, mentee: &str) -> Value {
    let reply = app
        .get(&format!(
            "/api/v1/pairs?programme_id={programme}&mentee_id={mentee}&status=active"
        ))
        .await;
    reply.body["items"][0].clone()
}

async fn completed_moved_and_ended_pupils_follow_the_pool_rules(app: &TestApp) {
    app.load_school().await;
    let admin = app.admin.clone();
    let first = app.run_and_wait(&admin, "tp-2026", json!({})).await;
    let all = proposals(&first);
    assert!(all.len() >= 3, "{first}");
    for p in &all {
        assert_eq!(app.approve(&admin, &str_of(&p["id"])).await.status, 200);
    }
    let (done, moved, incompatible) = (&all[0], &all[1], &all[2]);
    let done_mentee = mentee_ids(done)[0].clone();
    let moved_mentee = mentee_ids(moved)[0].clone();
    let (ended_mentor, ended_mentee) = (
        str_of(&incompatible["mentor_id"]),
        mentee_ids(incompatible)[0].clone(),
    );

    let pair = first_pair(app, "tp-2026", &done_mentee).await;
    let reply = app
        .post_json(
            &admin,
            &format!("/api/v1/pairs/{}/complete", str_of(&pair["id"])),
            &json!({}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    for (mentee, reason) in [
        (&moved_mentee, "mentee_moved"),
        (&ended_mentee, "incompatibility"),
    ] {
        let pair = first_pair(app, "tp-2026", mentee).await;
        let reply = app
            .post_json(
                &admin,
                &format!("/api/v1/pairs/{}/end", str_of(&pair["id"])),
                &json!({"reason": reason}),
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
    }

    let second = app.run_and_wait(&admin, "tp-2026", json!({})).await;
    let proposed = proposed_mentees(&second);
    assert!(
        !proposed.contains(&done_mentee),
        "a completed mentee is done in the programme"
    );
    assert_eq!(
        ineligible_reason(&second, &done_mentee).as_deref(),
        Some("completed")
    );
    assert!(
        !proposed.contains(&moved_mentee),
        "a pupil who moved away is out of matching"
    );
    assert_eq!(
        ineligible_reason(&second, &moved_mentee).as_deref(),
        Some("moved_away")
    );
    assert!(
        !proposals(&second)
            .iter()
            .any(|p| p["mentor_id"] == ended_mentor.as_str()
                && mentee_ids(p).contains(&ended_mentee)),
        "an early end returns the mentee to the pool, never with the same mentor"
    );
    assert!(
        ineligible_reason(&second, &ended_mentee).is_none(),
        "the mentee is back in the pool"
    );

    // Updating the profile of the pupil who moved brings them back.
    let path = format!("/api/v1/mentees/{moved_mentee}");
    let mut profile = app.get(&path).await.body;
    profile["requests"] = json!(["мотивация", "адаптация в новом классе"]);
    assert!(app.put(&path, &profile).await.status.is_success());
    let third = app.run_and_wait(&admin, "tp-2026", json!({})).await;
    assert_eq!(ineligible_reason(&third, &moved_mentee), None, "{third}");
    assert_eq!(
        ineligible_reason(&third, &done_mentee).as_deref(),
        Some("completed")
    );
}

async fn a_mentor_who_left_is_out_of_matching_until_updated(app: &TestApp) {
    app.load_school().await;
    let admin = app.admin.clone();
    let run = app.run_and_wait(&admin, "tp-2026", json!({})).await;
    let proposal = proposals(&run)[0].clone();
    assert_eq!(
        app.approve(&admin, &str_of(&proposal["id"])).await.status,
        200
    );
    let mentor = str_of(&proposal["mentor_id"]);
    let mentee = mentee_ids(&proposal)[0].clone();
    let pair = first_pair(app, "tp-2026", &mentee).await;
    let reply = app
        .post_json(
            &admin,
            &format!("/api/v1/pairs/{}/end", str_of(&pair["id"])),
            &json!({"reason": "mentor_left"}),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let next = app.run_and_wait(&admin, "tp-2026", json!({})).await;
    assert!(
        !proposals(&next)
            .iter()
            .any(|p| p["mentor_id"] == mentor.as_str()),
        "a mentor who left is proposed to nobody"
    );
    // By hand neither, with the reason in the answer.
    let other = proposals(&next)
        .iter()
        .flat_map(mentee_ids)
        .next()
        .expect("someone else to pair");
    let by_hand = app
        .post_json(
            &admin,
            "/api/v1/programmes/tp-2026/pairs",
            &json!({"mentor_id": mentor, "mentee_ids": [other]}),
        )
        .await;
    by_hand.assert_problem(409);
    assert!(
        by_hand.body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("left"),
        "{}",
        by_hand.text
    );
}

async fn a_rejected_pair_needs_an_audited_override_to_be_made_by_hand(app: &TestApp) {
    app.load_school().await;
    let admin = app.admin.clone();
    let curator = app.key(Role::Curator, Some("school-7")).await;
    let run = app.run_and_wait(&curator, "tp-2026", json!({})).await;
    let proposal = proposals(&run)[0].clone();
    let (mentor, mentee) = (
        str_of(&proposal["mentor_id"]),
        mentee_ids(&proposal)[0].clone(),
    );
    let reply = app
        .post_json(
            &curator,
            &format!("/api/v1/proposals/{}/reject", str_of(&proposal["id"])),
            &json!({"reason": "несовместимые графики"}),
        )
        .await;
    assert_eq!(reply.status, 204, "{}", reply.text);

    let pair = json!({"mentor_id": mentor, "mentee_ids": [mentee]});
    let refused = app
        .post_json(&curator, "/api/v1/programmes/tp-2026/pairs", &pair)
        .await;
    refused.assert_problem(409);
    let detail = refused.body["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("rejected") && detail.contains("несовместимые графики"),
        "{detail}"
    );

    let mut without_reason = pair.clone();
    without_reason["override_rejection"] = json!(true);
    let invalid = app
        .post_json(
            &curator,
            "/api/v1/programmes/tp-2026/pairs",
            &without_reason,
        )
        .await;
    assert_eq!(invalid.assert_problem(422), vec!["reason"]);

    let mut overriding = without_reason.clone();
    overriding["reason"] = json!("после беседы с родителями");
    let made = app
        .post_json(&curator, "/api/v1/programmes/tp-2026/pairs", &overriding)
        .await;
    assert_eq!(made.status, 201, "{}", made.text);
    let events = app
        .get_as(&admin, "/api/v1/audit?action=pair.created_by_hand")
        .await;
    assert!(
        events.text.contains("после беседы с родителями"),
        "the override and its reason are audited: {}",
        events.text
    );
}

/// A second school under the fixture's municipality, with pupils who want
/// career guidance from the employer.
async fn add_second_school(app: &TestApp) {
    let school = json!({"name": "МБОУ «Гимназия №2»", "kind": "school", "parent_id": "mun-ustk",
        "teacher_count": 30, "pupil_count": 300});
    assert!(
        app.put("/api/v1/organizations/school-2", &school)
            .await
            .status
            .is_success()
    );
    for (i, grade) in [9, 10, 11].iter().enumerate() {
        let pupil = json!({
            "organization_id": "school-2", "full_name": format!("Ученица Гимназии {i}"),
            "birth_year": 2026 - 7 - grade, "grade": grade, "kind": "pupil",
            "category": "career_guidance", "requests": ["выбор профессии", "экскурсия на предприятие"],
            "consent": {"given_by": "parent", "date": "2026-09-01", "purposes": ["storage", "matching"],
                        "pupil_agreed_on": "2026-09-01"},
        });
        let reply = app.put(&format!("/api/v1/mentees/g2-{i}"), &pupil).await;
        assert!(reply.status.is_success(), "{}", reply.text);
    }
}

async fn school_curators_see_and_decide_their_own_pupils_in_municipal_programmes(app: &TestApp) {
    app.load_school().await;
    add_second_school(app).await;
    let admin = app.admin.clone();
    let run = app.run_and_wait(&admin, "ep-2026", json!({})).await;
    let run_id = str_of(&run["id"]);
    let mentee_org = |id: &str| {
        if id.starts_with("g2-") {
            "school-2"
        } else {
            "school-7"
        }
    };
    let all = proposals(&run);
    assert!(
        all.iter()
            .any(|p| mentee_ids(p).iter().all(|m| mentee_org(m) == "school-2"))
            && all
                .iter()
                .any(|p| mentee_ids(p).iter().all(|m| mentee_org(m) == "school-7")),
        "the municipal run pairs pupils of both schools: {run}"
    );

    for school in ["school-7", "school-2"] {
        let curator = app.key(Role::Curator, Some(school)).await;
        assert_eq!(
            app.get_as(&curator, "/api/v1/programmes/ep-2026")
                .await
                .status,
            200
        );
        let listed = app.get_as(&curator, "/api/v1/programmes?limit=1").await;
        let mut ids = Vec::new();
        let mut page = listed;
        loop {
            ids.extend(
                page.body["items"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|p| str_of(&p["id"])),
            );
            let Some(next) = page.body["next"].as_str().map(str::to_owned) else {
                break;
            };
            page = app
                .get_as(
                    &curator,
                    &format!("/api/v1/programmes?limit=1&after={next}"),
                )
                .await;
        }
        assert!(
            ids.contains(&"ep-2026".to_owned()) && ids.contains(&"sp-2026".to_owned()),
            "the municipal programmes are listed, page by page: {ids:?}"
        );
        assert_eq!(ids.contains(&"tp-2026".to_owned()), school == "school-7");
        let runs = app
            .get_as(&curator, "/api/v1/programmes/ep-2026/runs")
            .await;
        assert_eq!(runs.status, 200, "{}", runs.text);
        let seen = app
            .get_as(&curator, &format!("/api/v1/runs/{run_id}"))
            .await;
        assert_eq!(seen.status, 200, "{}", seen.text);
        let own = proposals(&seen.body);
        assert!(!own.is_empty());
        assert!(
            own.iter()
                .flat_map(mentee_ids)
                .all(|m| mentee_org(&m) == school),
            "a school curator sees only its own pupils' proposals"
        );
        for entry in seen.body["unmatched"].as_array().into_iter().flatten() {
            assert_eq!(
                mentee_org(entry["mentee_id"].as_str().unwrap_or_default()),
                school
            );
        }
        // Another school's proposal is not there to decide.
        let foreign = all
            .iter()
            .find(|p| mentee_ids(p).iter().all(|m| mentee_org(m) != school))
            .expect("a proposal of the other school");
        let reply = app.approve(&curator, &str_of(&foreign["id"])).await;
        reply.assert_problem(404);
        // Its own are.
        let reply = app.approve(&curator, &str_of(&own[0]["id"])).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
    }
    // Another school's own programme stays out of sight.
    let other = app.key(Role::Curator, Some("school-2")).await;
    app.get_as(&other, "/api/v1/programmes/tt-2026")
        .await
        .assert_problem(404);
}

on_both_backends!(
    every_proposal_of_a_fresh_run_is_approvable_with_people_in_both_banks,
    completed_moved_and_ended_pupils_follow_the_pool_rules,
    a_mentor_who_left_is_out_of_matching_until_updated,
    a_rejected_pair_needs_an_audited_override_to_be_made_by_hand,
    school_curators_see_and_decide_their_own_pupils_in_municipal_programmes,
);
