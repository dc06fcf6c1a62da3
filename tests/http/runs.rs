//! Runs and the curator workflow through the real server.

use crate::common::TestApp;
use mentor_match::matching::assignment::{self, Objective, ScoreMatrix};
use mentor_match::service::auth::Role;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeSet;

async fn run(app: &TestApp, key: &str, programme: &str, body: Value) -> Value {
    app.run_and_wait(key, programme, body).await
}

fn proposals(run: &Value) -> Vec<Value> {
    run["proposals"].as_array().cloned().unwrap_or_default()
}

fn pairs_of(run: &Value) -> BTreeSet<(String, String)> {
    proposals(run)
        .iter()
        .flat_map(|p| {
            let mentor = p["mentor_id"].as_str().unwrap_or_default().to_owned();
            p["mentee_ids"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(move |m| (mentor.clone(), m.as_str().unwrap_or_default().to_owned()))
        })
        .collect()
}

/// The optimum of a run's own score matrix, solved independently.
async fn optimum_of_scores(
    app: &TestApp,
    run_id: &str,
) -> (i64, usize, Vec<Vec<Option<i64>>>, Vec<String>, Vec<String>) {
    let csv = app.get(&format!("/api/v1/runs/{run_id}/scores")).await;
    assert_eq!(csv.status, 200);
    let mut lines = csv.text.lines();
    let header: Vec<String> = lines
        .next()
        .expect("header")
        .split(',')
        .skip(1)
        .map(str::to_owned)
        .collect();
    let mut rows = Vec::new();
    let mut cells = Vec::new();
    let mut mentees = Vec::new();
    for line in lines {
        let mut parts = line.split(',');
        mentees.push(parts.next().expect("id").to_owned());
        let row: Vec<Option<i64>> = parts
            .map(|c| {
                if c.is_empty() {
                    None
                } else {
                    Some((c.parse::<f64>().expect("score") * 1e6).round() as i64)
                }
            })
            .collect();
        cells.extend(row.iter().copied());
        rows.push(row);
    }
    let matrix = ScoreMatrix::from_options(rows.len(), header.len(), &cells).expect("matrix");
    let solved =
        assignment::solve(&matrix, &vec![1; header.len()], Objective::Total).expect("solve");
    (solved.total, solved.matched, rows, header, mentees)
}

async fn every_run_obeys_the_rules_and_reaches_the_optimum_of_its_matrix(app: &TestApp) {
    let school = app.load_school().await;
    for programme in school["programmes"].as_array().expect("programmes") {
        let id = programme["id"].as_str().expect("id");
        let result = run(app, &app.admin, id, json!({})).await;
        let (optimum, matched, rows, header, mentees) =
            optimum_of_scores(app, result["id"].as_str().expect("id")).await;
        assert_eq!(
            result["stats"]["mentees_matched"].as_u64(),
            Some(matched as u64),
            "{id}: coverage is maximal"
        );
        let total: i64 = proposals(&result)
            .iter()
            .flat_map(|p| {
                let members = p["members"].as_array().cloned().unwrap_or_default();
                if members.is_empty() {
                    vec![p["score"].as_f64().expect("score")]
                } else {
                    members
                        .iter()
                        .map(|m| m["score"].as_f64().expect("score"))
                        .collect()
                }
            })
            .map(|s| (s * 1e6).round() as i64)
            .sum();
        // Group programmes too: the matrix gives each mentor the places
        // the run finally had.
        assert_eq!(
            total, optimum,
            "{id}: the run's total is the optimum of its own matrix"
        );
        // Every proposed pair is allowed in the matrix (no hard rule broken).
        for (mentor, mentee) in pairs_of(&result) {
            let r = mentees
                .iter()
                .position(|m| *m == mentee)
                .expect("mentee row");
            let c = header
                .iter()
                .position(|m| *m == mentor)
                .expect("mentor column");
            assert!(
                rows[r][c].is_some(),
                "{id}: {mentor} – {mentee} is forbidden"
            );
        }
        for p in proposals(&result) {
            let sum: f64 = p["breakdown"]
                .as_array()
                .expect("breakdown")
                .iter()
                .map(|b| b["contribution"].as_f64().expect("c"))
                .sum();
            assert!(
                (sum - p["score"].as_f64().expect("score")).abs() < 1e-5,
                "contributions add up to the score"
            );
        }
    }
}

async fn approvals_recheck_and_a_second_run_fills_only_what_is_left(app: &TestApp) {
    app.load_school().await;
    let first = run(app, &app.admin, "tp-2026", json!({})).await;
    let all = proposals(&first);
    assert!(all.len() >= 2);
    let curator = app.key(Role::Curator, Some("school-7")).await;
    let approved: Vec<&Value> = all.iter().take(all.len() / 2).collect();
    for p in &approved {
        let reply = app.approve(&curator, p["id"].as_str().expect("id")).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
    }
    let again = app
        .approve(&curator, approved[0]["id"].as_str().expect("id"))
        .await;
    again.assert_problem(409);

    let second = run(app, &curator, "tp-2026", json!({})).await;
    let approved_mentees: BTreeSet<String> = approved
        .iter()
        .flat_map(|p| p["mentee_ids"].as_array().cloned().unwrap_or_default())
        .map(|m| m.as_str().unwrap_or_default().to_owned())
        .collect();
    for (_, mentee) in pairs_of(&second) {
        assert!(
            !approved_mentees.contains(&mentee),
            "{mentee} is paired already"
        );
    }
    let ineligible: BTreeSet<String> = second["ineligible"]
        .as_array()
        .expect("ineligible")
        .iter()
        .filter(|i| i["reason"] == "already_paired")
        .map(|i| i["mentee_id"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(ineligible, approved_mentees);

    // The run's data went stale for a mentee whose profile changed.
    let stale = proposals(&second).into_iter().next().expect("a proposal");
    let mentee_id = stale["mentee_ids"][0].as_str().expect("mentee").to_owned();
    let mut profile = app.get(&format!("/api/v1/mentees/{mentee_id}")).await.body;
    profile["interests"] = json!(["новое увлечение"]);
    assert_eq!(
        app.put(&format!("/api/v1/mentees/{mentee_id}"), &profile)
            .await
            .status,
        200
    );
    let refused = app
        .approve(&curator, stale["id"].as_str().expect("id"))
        .await;
    refused.assert_problem(409);
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("changed")
    );
    let pairs = app
        .get(&format!("/api/v1/pairs?mentee_id={mentee_id}"))
        .await;
    assert_eq!(
        pairs.body["items"].as_array().map(Vec::len),
        Some(0),
        "nothing changed"
    );
}

async fn fifty_concurrent_claims_on_one_free_place_give_exactly_one_pair(app: &TestApp) {
    let mut mentees = Vec::new();
    for i in 0..50 {
        mentees.push(json!({"id": format!("p{i}"), "organization_id": "s", "full_name": format!("Ученик {i}"), "kind": "pupil",
            "grade": 8, "category": "struggling_pupil", "subjects": ["математика"],
            "consent": {"given_by": "parent", "date": "2026-09-01", "pupil_agreed_on": "2026-09-01"}}));
    }
    let batch = json!({
        "organizations": [{"id": "r", "name": "Регион", "kind": "region"}, {"id": "s", "name": "Школа", "kind": "school", "parent_id": "r"}],
        "mentors": [{"id": "t", "organization_id": "s", "full_name": "Учитель", "kind": "teacher", "forms": ["teacher_pupil"],
            "capacity": 1, "trained": true, "subjects": ["математика"], "consent": {"given_by": "self", "date": "2026-09-01"}}],
        "mentees": mentees,
        "programmes": [{"id": "tp", "name": "Учитель – ученик", "form": "teacher_pupil", "organization_ids": ["s"],
            "period": {"start": "2026-09-01", "end": "2027-05-31"}}]
    });
    assert_eq!(app.import_json(&app.admin, "", &batch).await.status, 200);
    // Five runs, each proposing the one free place; then fifty requests at
    // once: the five approvals and forty-five pairings by hand.
    let mut approvals = Vec::new();
    for _ in 0..5 {
        let result = run(app, &app.admin, "tp", json!({})).await;
        assert_eq!(proposals(&result).len(), 1);
        assert_eq!(result["unmatched"].as_array().map(Vec::len), Some(49));
        approvals.push(proposals(&result)[0]["id"].as_str().expect("id").to_owned());
    }
    // Two server instances over the one database share the requests.
    let other = app.second_instance().await;
    let mut tasks = Vec::new();
    for i in 0..50 {
        let base = if i % 2 == 0 {
            app.base.clone()
        } else {
            other.clone()
        };
        let request = if let Some(proposal) = approvals.get(i) {
            app.client
                .post(format!("{base}/api/v1/proposals/{proposal}/approve"))
        } else {
            app.client
                .post(format!("{base}/api/v1/programmes/tp/pairs"))
                .json(&json!({"mentor_id": "t", "mentee_ids": [format!("p{i}")]}))
        }
        .bearer_auth(&app.admin);
        tasks.push(tokio::spawn(async move {
            request.send().await.expect("answer").status().as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.expect("task"));
    }
    let successes = statuses.iter().filter(|s| **s == 200 || **s == 201).count();
    assert_eq!(successes, 1, "{statuses:?}");
    assert!(
        statuses.iter().all(|s| [200, 201, 409].contains(s)),
        "{statuses:?}"
    );
    let active = app.get("/api/v1/pairs?mentor_id=t&status=active").await;
    assert_eq!(active.body["items"].as_array().map(Vec::len), Some(1));
}

async fn rejected_and_ended_pairs_are_never_proposed_again(app: &TestApp) {
    app.load_school().await;
    let first = run(app, &app.admin, "tp-2026", json!({})).await;
    let mut all = proposals(&first);
    let rejected = all.remove(0);
    let reply = app
        .post_json(
            &app.admin,
            &format!(
                "/api/v1/proposals/{}/reject",
                rejected["id"].as_str().expect("id")
            ),
            &json!({"reason": "не сработаются"}),
        )
        .await;
    assert_eq!(reply.status, 204, "{}", reply.text);
    let no_reason = app
        .send(
            Method::POST,
            &format!(
                "/api/v1/proposals/{}/reject",
                all[0]["id"].as_str().expect("id")
            ),
            Some(&app.admin),
            &[],
            Some(("{}".into(), "application/json")),
        )
        .await;
    assert_eq!(no_reason.assert_problem(422), ["reason"]);

    let ended = all.remove(0);
    let made = app
        .approve(&app.admin, ended["id"].as_str().expect("id"))
        .await;
    let pair_id = made.body["pairs"][0]["id"]
        .as_str()
        .expect("pair")
        .to_owned();
    let bad_end = app
        .post_json(
            &app.admin,
            &format!("/api/v1/pairs/{pair_id}/end"),
            &json!({"reason": "bored"}),
        )
        .await;
    assert_eq!(bad_end.assert_problem(422), ["reason"]);
    let end = app
        .post_json(
            &app.admin,
            &format!("/api/v1/pairs/{pair_id}/end"),
            &json!({"reason": "incompatibility"}),
        )
        .await;
    assert_eq!(end.status, 200, "{}", end.text);
    assert_eq!(end.body["status"], "ended");

    let second = run(app, &app.admin, "tp-2026", json!({})).await;
    let again = pairs_of(&second);
    let key = |p: &Value| {
        (
            p["mentor_id"].as_str().unwrap_or_default().to_owned(),
            p["mentee_ids"][0].as_str().unwrap_or_default().to_owned(),
        )
    };
    assert!(
        !again.contains(&key(&rejected)),
        "a rejected pair is not proposed again"
    );
    assert!(
        !again.contains(&key(&ended)),
        "an ended pair is not proposed again"
    );
    let mentee = key(&ended).1;
    assert!(
        again.iter().any(|(_, m)| *m == mentee),
        "the mentee of the ended pair is back in the pool"
    );

    let events = app
        .get(&format!("/api/v1/audit?subject=pair:{pair_id}"))
        .await;
    assert_eq!(events.body["items"][0]["action"], "pair.ended");
    assert_eq!(events.body["items"][0]["role"], "admin");
}

async fn pairing_by_hand_obeys_the_hard_rules(app: &TestApp) {
    let school = app.load_school().await;
    let special = school["mentees"]
        .as_array()
        .expect("mentees")
        .iter()
        .find(|m| m["category"] == "special_needs")
        .expect("a pupil with special needs");
    let non_tutor = school["mentors"]
        .as_array()
        .expect("mentors")
        .iter()
        .find(|m| {
            m["forms"]
                .as_array()
                .is_some_and(|f| f.contains(&json!("teacher_pupil")))
                && !m["roles"]
                    .as_array()
                    .is_some_and(|r| r.contains(&json!("tutor")))
                && m["trained"] == true
        })
        .expect("a teacher who is not a tutor");
    let body = json!({"mentor_id": non_tutor["id"], "mentee_ids": [special["id"]]});
    let reply = app
        .post_json(&app.admin, "/api/v1/programmes/tp-2026/pairs", &body)
        .await;
    assert_eq!(reply.assert_problem(422), ["mentee_ids[0]"]);
    assert!(
        reply.body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("needs_tutor"),
        "{}",
        reply.text
    );
    let tutor = school["mentors"]
        .as_array()
        .expect("mentors")
        .iter()
        .find(|m| {
            m["roles"]
                .as_array()
                .is_some_and(|r| r.contains(&json!("tutor")))
                && m["trained"] == true
        })
        .expect("a tutor");
    let body = json!({"mentor_id": tutor["id"], "mentee_ids": [special["id"]]});
    let made = app
        .post_json(&app.admin, "/api/v1/programmes/tp-2026/pairs", &body)
        .await;
    assert_eq!(made.status, 201, "{}", made.text);
    // A later run keeps it: the pupil is paired already.
    let result = run(app, &app.admin, "tp-2026", json!({})).await;
    assert!(
        result["ineligible"]
            .as_array()
            .expect("ineligible")
            .iter()
            .any(|i| i["mentee_id"] == special["id"] && i["reason"] == "already_paired")
    );
}

async fn dry_runs_compare_but_cannot_be_approved(app: &TestApp) {
    app.load_school().await;
    let analyst = app.key(Role::Analyst, None).await;
    let real = app
        .send(
            Method::POST,
            "/api/v1/programmes/tp-2026/runs",
            Some(&analyst),
            &[],
            None,
        )
        .await;
    real.assert_problem(403);
    let base = run(app, &app.admin, "tp-2026", json!({})).await;
    let what_if = run(
        app,
        &analyst,
        "tp-2026",
        json!({"dry_run": true, "weights": {"availability": 1.0}, "objective": "fair"}),
    )
    .await;
    assert_eq!(what_if["weights"]["availability"], 1.0);
    let p = &proposals(&what_if)[0];
    app.approve(&app.admin, p["id"].as_str().expect("id"))
        .await
        .assert_problem(409);
    let cmp = app
        .get_as(
            &analyst,
            &format!(
                "/api/v1/runs/{}/compare/{}",
                base["id"].as_str().expect("a"),
                what_if["id"].as_str().expect("b")
            ),
        )
        .await;
    assert_eq!(cmp.status, 200, "{}", cmp.text);
    let kept = cmp.body["pairs_kept"].as_array().map_or(0, Vec::len);
    let added = cmp.body["pairs_added"].as_array().map_or(0, Vec::len);
    assert_eq!(kept + added, pairs_of(&what_if).len());
    let criteria = cmp.body["criteria"].as_array().expect("criteria");
    assert_eq!(criteria.len(), mentor_match::domain::Criterion::ALL.len());
    let availability = criteria
        .iter()
        .find(|c| c["criterion"] == "availability")
        .expect("availability");
    assert_eq!(availability["weight"]["b"], 1.0);
    // Scores are comparable across weights (they are normalised), so
    // `fair` is judged against `total` under the same weights.
    let total = run(
        app,
        &analyst,
        "tp-2026",
        json!({"dry_run": true, "weights": {"availability": 1.0}, "objective": "total"}),
    )
    .await;
    assert!(
        cmp.body["min_score"]["b"].as_f64() >= total["stats"]["min_score"].as_f64(),
        "fair raises the lowest pair"
    );
    let bad = app
        .post_json(
            &app.admin,
            "/api/v1/programmes/tp-2026/runs",
            &json!({"objective": "best", "weights": {"charm": 1}}),
        )
        .await;
    let mut fields = bad.assert_problem(422);
    fields.sort();
    assert_eq!(fields, ["objective", "weights.charm"]);
}

async fn runs_and_pairs_stay_inside_their_scope(app: &TestApp) {
    app.load_school().await;
    let batch = json!({"organizations": [{"id": "school-9", "name": "СОШ №9", "kind": "school", "parent_id": "mun-ustk"}]});
    assert_eq!(app.import_json(&app.admin, "", &batch).await.status, 200);
    let result = run(app, &app.admin, "tp-2026", json!({})).await;
    let other = app.key(Role::Curator, Some("school-9")).await;
    app.get_as(
        &other,
        &format!("/api/v1/runs/{}", result["id"].as_str().expect("id")),
    )
    .await
    .assert_problem(404);
    app.get_as(
        &other,
        &format!("/api/v1/runs/{}/scores", result["id"].as_str().expect("id")),
    )
    .await
    .assert_problem(404);
    let p = proposals(&result)[0]["id"].as_str().expect("id").to_owned();
    app.send(
        Method::POST,
        &format!("/api/v1/proposals/{p}/approve"),
        Some(&other),
        &[],
        None,
    )
    .await
    .assert_problem(404);
    app.send(
        Method::POST,
        "/api/v1/programmes/tp-2026/runs",
        Some(&other),
        &[],
        None,
    )
    .await
    .assert_problem(404);
    let own = app.key(Role::Curator, Some("school-7")).await;
    assert_eq!(
        app.send(
            Method::POST,
            &format!("/api/v1/proposals/{p}/approve"),
            Some(&own),
            &[],
            None
        )
        .await
        .status,
        200
    );
    let list = app.get_as(&other, "/api/v1/pairs").await;
    assert_eq!(list.body["items"].as_array().map(Vec::len), Some(0));
    let system = app.key(Role::System, Some("school-7")).await;
    app.send(
        Method::POST,
        &format!("/api/v1/proposals/{p}/approve"),
        Some(&system),
        &[],
        None,
    )
    .await
    .assert_problem(403);
    app.get_as(&own, "/api/v1/audit").await.assert_problem(403);
}

async fn the_order_list_exports_as_csv_and_xlsx(app: &TestApp) {
    app.load_school().await;
    let result = run(app, &app.admin, "tp-2026", json!({})).await;
    for p in proposals(&result) {
        app.approve(&app.admin, p["id"].as_str().expect("id")).await;
    }
    let csv = app
        .get("/api/v1/programmes/tp-2026/pairs.csv?lang=ru")
        .await;
    assert_eq!(csv.status, 200);
    let mut lines = csv.text.lines();
    assert_eq!(
        lines.next(),
        Some(
            "№,Наставник,Наставляемые,Форма наставничества,Организация,Дата начала,Дата окончания,Номер приказа,Дата приказа"
        )
    );
    assert_eq!(lines.count(), proposals(&result).len());
    assert!(csv.text.contains("учитель – ученик"));
    let english = app.get("/api/v1/programmes/tp-2026/pairs.csv").await;
    assert!(
        english
            .text
            .starts_with("No.,Mentor,Mentees,Form,Organisation,Start date,End date")
    );
    let xlsx = app
        .client
        .get(format!(
            "{}/api/v1/programmes/tp-2026/pairs.xlsx?lang=ru",
            app.base
        ))
        .bearer_auth(&app.admin)
        .send()
        .await
        .expect("answer");
    assert_eq!(xlsx.status(), 200);
    let bytes = xlsx.bytes().await.expect("body");
    assert!(bytes.starts_with(b"PK"), "an XLSX file is a zip archive");
}

async fn readiness_counts_demand_and_supply_before_matching(app: &TestApp) {
    let school = app.load_school().await;
    let categories = [
        "struggling_pupil",
        "prevention_register",
        "special_needs",
        "gifted",
        "adaptation",
    ];
    let mentees: Vec<&Value> = school["mentees"]
        .as_array()
        .expect("mentees")
        .iter()
        .filter(|m| categories.contains(&m["category"].as_str().unwrap_or("")))
        .collect();
    let without_consent = mentees
        .iter()
        .filter(|m| m.get("consent").is_none())
        .count();
    let eligible = mentees.len() - without_consent;
    let mentors: Vec<&Value> = school["mentors"]
        .as_array()
        .expect("mentors")
        .iter()
        .filter(|m| {
            m["forms"]
                .as_array()
                .is_some_and(|f| f.contains(&json!("teacher_pupil")))
        })
        .collect();
    let untrained = mentors.iter().filter(|m| m["trained"] != true).count();
    let places: u64 = mentors
        .iter()
        .filter(|m| m["trained"] == true)
        .map(|m| m["capacity"].as_u64().unwrap_or(1))
        .sum();
    let analyst = app.key(Role::Analyst, None).await;
    let ready = app
        .get_as(&analyst, "/api/v1/programmes/tp-2026/readiness")
        .await;
    assert_eq!(ready.status, 200, "{}", ready.text);
    let totals = &ready.body["totals"];
    assert_eq!(totals["mentees_eligible"], eligible);
    assert_eq!(totals["mentees_waiting_for_consent"], without_consent);
    assert_eq!(totals["mentors_waiting_for_training"], untrained);
    assert_eq!(totals["mentor_free_places"], places);
    for m in school["mentees"].as_array().expect("mentees") {
        assert!(
            !ready.text.contains(m["full_name"].as_str().unwrap_or("?")),
            "readiness names no one"
        );
    }
    // After approvals, places are taken and mentees are paired.
    let result = run(app, &app.admin, "tp-2026", json!({})).await;
    let first = &proposals(&result)[0];
    app.approve(&app.admin, first["id"].as_str().expect("id"))
        .await;
    let after = app.get("/api/v1/programmes/tp-2026/readiness").await;
    assert_eq!(after.body["totals"]["mentees_already_paired"], 1);
    assert_eq!(after.body["totals"]["mentor_free_places"], places - 1);
}

async fn proposals_name_their_people_for_those_who_may_read_names(app: &TestApp) {
    let school = app.load_school().await;
    let name_of = |kind: &str, id: &str| -> Option<String> {
        school[kind].as_array()?.iter().find(|p| p["id"] == id)?["full_name"]
            .as_str()
            .map(str::to_owned)
    };
    let result = run(app, &app.admin, "tp-2026", json!({})).await;
    let all = proposals(&result);
    assert!(!all.is_empty());
    for p in &all {
        let mentor = p["mentor_id"].as_str().expect("mentor");
        assert_eq!(
            p["mentor_name"].as_str().map(str::to_owned),
            name_of("mentors", mentor)
        );
        let mentees = p["mentee_ids"].as_array().expect("mentees");
        let names = p["mentee_names"].as_array().expect("names");
        assert_eq!(mentees.len(), names.len());
        for (id, name) in mentees.iter().zip(names) {
            assert_eq!(
                name.as_str().map(str::to_owned),
                name_of("mentees", id.as_str().expect("id"))
            );
        }
    }
    let analyst = app.key(Role::Analyst, None).await;
    let id = result["id"].as_str().expect("id");
    let seen = app.get_as(&analyst, &format!("/api/v1/runs/{id}")).await;
    assert_eq!(seen.status, 200, "{}", seen.text);
    for p in proposals(&seen.body) {
        assert!(p.get("mentor_name").is_none() && p.get("mentee_names").is_none());
        assert!(
            p["mentor_id"]
                .as_str()
                .is_some_and(|m| m.starts_with("anon-"))
        );
    }
    for m in school["mentees"].as_array().expect("mentees") {
        assert!(
            !seen.text.contains(m["full_name"].as_str().unwrap_or("?")),
            "an analyst reads no names"
        );
    }
}

/// Every row of the readiness adds up: those to match are matched now,
/// blocked by a rule, or left without a place (pupils with special needs
/// whose tutors' places go to others among them).
async fn readiness_rows_add_up(app: &TestApp) {
    let data = mentor_match::matching::synth::generate(2, 11).to_json();
    let admin = app.admin.clone();
    for bank in ["organizations", "mentees", "mentors"] {
        let part = json!({ bank: data[bank].clone() });
        let reply = app.import_json(&admin, "", &part).await;
        assert_eq!(reply.status, 200, "{bank}: {}", reply.text);
    }
    let programme = json!({
        "name": "Учитель – ученик",
        "form": "teacher_pupil",
        "organization_ids": ["sch-1"],
        "period": {"start": "2026-09-01", "end": "2027-05-31"},
    });
    let reply = app
        .put_as(&admin, "/api/v1/programmes/tp-sch-1", &programme)
        .await;
    assert!(reply.status.is_success(), "{}", reply.text);
    let ready = app.get("/api/v1/programmes/tp-sch-1/readiness").await;
    assert_eq!(ready.status, 200, "{}", ready.text);
    let n = |v: &Value| v.as_u64().unwrap_or(u64::MAX);
    let mut special_needs = 0;
    let mut without_place = 0;
    for org in ready.body["by_organization"]
        .as_array()
        .expect("organisations")
    {
        for row in org["mentees"].as_array().expect("rows") {
            let blocked: u64 = row["blocked_by_rule"]
                .as_object()
                .expect("rules")
                .values()
                .map(n)
                .sum();
            assert_eq!(
                n(&row["eligible"]),
                n(&row["matched_now"]) + blocked + n(&row["left_without_place"]),
                "{row}"
            );
            without_place += n(&row["left_without_place"]);
            if row["category"] == "special_needs" {
                special_needs += n(&row["eligible"]);
            }
        }
    }
    assert!(special_needs > 0, "{}", ready.text);
    let totals = &ready.body["totals"];
    assert_eq!(n(&totals["mentees_left_without_place"]), without_place);
    assert_eq!(
        n(&totals["mentees_eligible"]),
        n(&totals["mentees_matchable_now"])
            + n(&totals["mentees_blocked_by_rules"])
            + n(&totals["mentees_left_without_place"]),
        "{totals}"
    );
}

on_both_backends!(
    proposals_name_their_people_for_those_who_may_read_names,
    readiness_counts_demand_and_supply_before_matching,
    readiness_rows_add_up,
    every_run_obeys_the_rules_and_reaches_the_optimum_of_its_matrix,
    approvals_recheck_and_a_second_run_fills_only_what_is_left,
    fifty_concurrent_claims_on_one_free_place_give_exactly_one_pair,
    rejected_and_ended_pairs_are_never_proposed_again,
    pairing_by_hand_obeys_the_hard_rules,
    dry_runs_compare_but_cannot_be_approved,
    runs_and_pairs_stay_inside_their_scope,
    the_order_list_exports_as_csv_and_xlsx,
);
