//! Analysts: versioned weights, feedback, indicators equal to a count by
//! hand, spreadsheets and pictures.

use crate::common::TestApp;
use mentor_match::service::auth::Role;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};

async fn run_and_approve_all(app: &TestApp, programme: &str) -> Vec<Value> {
    let done = app.run_and_wait(&app.admin, programme, json!({})).await;
    let mut pairs = Vec::new();
    for p in done["proposals"].as_array().cloned().unwrap_or_default() {
        let reply = app.approve(&app.admin, p["id"].as_str().expect("id")).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        pairs.extend(reply.body["pairs"].as_array().cloned().unwrap_or_default());
    }
    pairs
}

async fn weights_are_versioned_and_runs_name_their_version(app: &TestApp) {
    app.load_school().await;
    let mut programme = app.get("/api/v1/programmes/tp-2026").await.body;
    let analyst = app.key(Role::Analyst, None).await;
    let curator = app.key(Role::Curator, Some("school-7")).await;
    programme["weights"]["availability"] = json!(0.4);
    let reply = app
        .send(
            Method::PUT,
            "/api/v1/programmes/tp-2026?reason=more%20shared%20time",
            Some(&curator),
            &[],
            Some((programme.to_string(), "application/json")),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let again = app
        .send(
            Method::PUT,
            "/api/v1/programmes/tp-2026",
            Some(&curator),
            &[],
            Some((programme.to_string(), "application/json")),
        )
        .await;
    assert_eq!(again.status, 200);
    let history = app
        .get_as(&analyst, "/api/v1/programmes/tp-2026/weights")
        .await;
    let items = history.body["items"].as_array().expect("versions");
    assert_eq!(
        items.len(),
        2,
        "the import, then one change; an unchanged PUT adds none: {}",
        history.text
    );
    assert_eq!(items[0]["reason"], "import");
    assert_eq!(items[1]["reason"], "more shared time");
    assert_eq!(items[1]["weights"]["availability"], 0.4);
    programme["weights"]["availability"] = json!(0.2);
    app.send(
        Method::PUT,
        "/api/v1/programmes/tp-2026",
        Some(&curator),
        &[],
        Some((programme.to_string(), "application/json")),
    )
    .await;
    let history = app
        .get_as(&analyst, "/api/v1/programmes/tp-2026/weights")
        .await;
    assert_eq!(history.body["items"].as_array().map(Vec::len), Some(3));
    let started = app
        .post_json(
            &analyst,
            "/api/v1/programmes/tp-2026/runs",
            &json!({"dry_run": true}),
        )
        .await;
    assert_eq!(started.body["weights_version"], 3);
    let audit = app
        .get("/api/v1/audit?action=weights.changed&subject=programme:tp-2026")
        .await;
    assert_eq!(audit.body["items"].as_array().map(Vec::len), Some(3));
}

async fn feedback_is_validated_and_gives_growth(app: &TestApp) {
    app.load_school().await;
    let pairs = run_and_approve_all(app, "tp-2026").await;
    let pair = pairs[0]["id"].as_str().expect("pair").to_owned();
    let path = format!("/api/v1/pairs/{pair}/feedback");
    let bad = app
        .send(
            Method::POST,
            &path,
            Some(&app.admin),
            &[],
            Some((
                json!({"stage": "middle", "respondent": "parent", "answers": {"motivation": 6}})
                    .to_string(),
                "application/json",
            )),
        )
        .await;
    let mut fields = bad.assert_problem(422);
    fields.sort();
    assert_eq!(fields, ["answers.motivation", "respondent", "stage"]);
    for (stage, respondent, answer) in [
        ("entry", "mentee", 2),
        ("entry", "mentor", 3),
        ("exit", "mentee", 4),
        ("exit", "mentor", 5),
    ] {
        let body = json!({"stage": stage, "respondent": respondent, "answers": {"motivation": answer, "grades": 3}});
        assert_eq!(
            app.send(
                Method::POST,
                &path,
                Some(&app.admin),
                &[],
                Some((body.to_string(), "application/json"))
            )
            .await
            .status,
            201
        );
    }
    let read = app.get(&path).await;
    assert_eq!(read.body["items"].as_array().map(Vec::len), Some(4));
    assert_eq!(
        read.body["growth"]["motivation"], 2.0,
        "mean exit 4.5 − mean entry 2.5"
    );
    assert_eq!(read.body["growth"]["grades"], 0.0);
}

/// The indicators computed here from the same data, independently.
fn count_by_hand(
    school: &Value,
    pairs: &[Value],
    org_ids: &HashSet<String>,
) -> HashMap<&'static str, (u64, u64)> {
    let mentors: HashMap<&str, &Value> = school["mentors"]
        .as_array()
        .expect("m")
        .iter()
        .map(|m| (m["id"].as_str().expect("id"), m))
        .collect();
    let mentees: HashMap<&str, &Value> = school["mentees"]
        .as_array()
        .expect("m")
        .iter()
        .map(|m| (m["id"].as_str().expect("id"), m))
        .collect();
    let teachers: u64 = school["organizations"]
        .as_array()
        .expect("o")
        .iter()
        .filter(|o| org_ids.contains(o["id"].as_str().unwrap_or("")))
        .map(|o| o["teacher_count"].as_u64().unwrap_or(0))
        .sum();
    let pupils: u64 = school["organizations"]
        .as_array()
        .expect("o")
        .iter()
        .filter(|o| org_ids.contains(o["id"].as_str().unwrap_or("")))
        .map(|o| o["pupil_count"].as_u64().unwrap_or(0))
        .sum();
    let active: Vec<&Value> = pairs.iter().filter(|p| p["status"] == "active").collect();
    let teacher_mentors = |keep: &dyn Fn(&Value) -> bool| -> u64 {
        active
            .iter()
            .filter(|p| {
                mentors
                    .get(p["mentor_id"].as_str().unwrap_or(""))
                    .is_some_and(|m| {
                        m["kind"] == "teacher"
                            && org_ids.contains(m["organization_id"].as_str().unwrap_or(""))
                    })
            })
            .filter(|p| {
                mentees
                    .get(p["mentee_id"].as_str().unwrap_or(""))
                    .is_some_and(|e| keep(e))
            })
            .map(|p| p["mentor_id"].as_str().unwrap_or(""))
            .collect::<HashSet<_>>()
            .len() as u64
    };
    let bank: Vec<&Value> = mentees
        .values()
        .copied()
        .filter(|m| org_ids.contains(m["organization_id"].as_str().unwrap_or("")))
        .collect();
    let special: Vec<&Value> = bank
        .iter()
        .copied()
        .filter(|m| m["category"] == "special_needs")
        .collect();
    let with_tutor = special
        .iter()
        .filter(|m| {
            active.iter().any(|p| {
                p["mentee_id"] == m["id"]
                    && mentors
                        .get(p["mentor_id"].as_str().unwrap_or(""))
                        .is_some_and(|t| {
                            t["roles"]
                                .as_array()
                                .is_some_and(|r| r.contains(&json!("tutor")))
                        })
            })
        })
        .count() as u64;
    let pupils_in: HashSet<&str> = active
        .iter()
        .filter(|p| {
            mentees
                .get(p["mentee_id"].as_str().unwrap_or(""))
                .is_some_and(|e| e["kind"] == "pupil")
        })
        .map(|p| p["mentee_id"].as_str().unwrap_or(""))
        .collect();
    let paired: HashSet<&str> = active
        .iter()
        .map(|p| p["mentee_id"].as_str().unwrap_or(""))
        .collect();
    // Valid consent at the end of November 2026, by the rules of the domain.
    let valid = |m: &Value| -> bool {
        let Some(c) = m.get("consent") else {
            return false;
        };
        let age = m["birth_year"].as_i64().map(|y| 2026 - y);
        let by_guardian = c["given_by"] != "self";
        match age {
            Some(a) if a >= 18 => !by_guardian,
            Some(a) if a < 14 => by_guardian,
            _ => by_guardian && c.get("pupil_agreed_on").is_some(),
        }
    };
    let waiting = bank
        .iter()
        .filter(|m| !paired.contains(m["id"].as_str().unwrap_or("")) && valid(m))
        .count() as u64;
    let ended = pairs.iter().filter(|p| p["status"] == "ended").count() as u64;
    HashMap::from([
        ("teachers_mentoring", (teacher_mentors(&|_| true), teachers)),
        (
            "teachers_mentoring_young_specialists",
            (
                teacher_mentors(&|e| {
                    e["category"] == "young_specialist"
                        && e["birth_year"].as_i64().is_none_or(|y| 2026 - y < 35)
                }),
                teachers,
            ),
        ),
        (
            "teachers_mentoring_low_results_teachers",
            (
                teacher_mentors(&|e| e["category"] == "low_results_teacher"),
                teachers,
            ),
        ),
        (
            "teachers_mentoring_struggling_pupils_8_9",
            (
                teacher_mentors(&|e| {
                    e["category"] == "struggling_pupil"
                        && matches!(e["grade"].as_u64(), Some(8 | 9))
                }),
                teachers,
            ),
        ),
        (
            "teachers_mentoring_prevention_register",
            (
                teacher_mentors(&|e| e["category"] == "prevention_register"),
                teachers,
            ),
        ),
        (
            "special_needs_with_tutor",
            (with_tutor, special.len() as u64),
        ),
        ("pupils_in_mentoring", (pupils_in.len() as u64, pupils)),
        ("mentees_waiting", (waiting, bank.len() as u64)),
        ("pairs_ended_early", (ended, pairs.len() as u64)),
    ])
}

async fn indicators_equal_a_count_by_hand(app: &TestApp) {
    let school = app.load_school().await;
    let mut pairs = run_and_approve_all(app, "tp-2026").await;
    pairs.extend(run_and_approve_all(app, "tt-2026").await);
    let ended = pairs[0]["id"].as_str().expect("pair").to_owned();
    let reply = app
        .post_json(
            &app.admin,
            &format!("/api/v1/pairs/{ended}/end"),
            &json!({"reason": "mentee_moved"}),
        )
        .await;
    assert_eq!(reply.status, 200);
    let all_pairs = app.get("/api/v1/pairs?limit=1000").await.body["items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let period = time::OffsetDateTime::now_utc().date();
    let period = format!("{}-{:02}", period.year(), u8::from(period.month()));
    let analyst = app.key(Role::Analyst, None).await;
    // An admin reads every count exactly (an analyst reads «< 5» for a
    // few pupils of a sensitive category: see `suppression`).
    let report = app
        .get(&format!(
            "/api/v1/reports/indicators?organization_id=mun-ustk&period={period}"
        ))
        .await;
    assert_eq!(report.status, 200, "{}", report.text);
    let subtree: HashSet<String> = ["mun-ustk", "school-7", "college-ped", "emp-energo"]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let expected = count_by_hand(&school, &all_pairs, &subtree);
    assert!(
        expected["teachers_mentoring"].0 > 0 && expected["pupils_in_mentoring"].0 > 0,
        "the check counts something"
    );
    assert_eq!(expected["pairs_ended_early"].0, 1);
    for indicator in report.body["indicators"].as_array().expect("indicators") {
        let id = indicator["id"].as_str().expect("id");
        let (n, d) = expected[id];
        assert_eq!(
            (
                indicator["numerator"].as_u64(),
                indicator["denominator"].as_u64()
            ),
            (Some(n), Some(d)),
            "{id}"
        );
        if d > 0 {
            assert!(
                (indicator["share"].as_f64().expect("share") - n as f64 / d as f64).abs() < 1e-9,
                "{id}"
            );
        }
    }
    let school7: HashSet<String> = ["school-7".to_owned()].into();
    let by_school = report.body["by_organization"]
        .as_array()
        .expect("children")
        .iter()
        .find(|o| o["organization_id"] == "school-7")
        .expect("school 7");
    let expected7 = count_by_hand(&school, &all_pairs, &school7);
    for indicator in by_school["indicators"].as_array().expect("indicators") {
        let id = indicator["id"].as_str().expect("id");
        assert_eq!(
            indicator["numerator"].as_u64(),
            Some(expected7[id].0),
            "school 7: {id}"
        );
    }
    let csv = app
        .send(
            Method::GET,
            &format!("/api/v1/reports/indicators?organization_id=mun-ustk&period={period}&lang=ru"),
            Some(&analyst),
            &[("accept", "text/csv")],
            None,
        )
        .await;
    assert!(
        csv.text.starts_with(
            "Организация,Форма наставничества,Код показателя,Показатель,Числитель,Знаменатель,Доля"
        ),
        "{}",
        csv.text
    );
    assert!(csv.text.contains("teachers_mentoring"));
    let xlsx = app
        .client
        .get(format!(
            "{}/api/v1/reports/indicators.xlsx?organization_id=mun-ustk&period={period}",
            app.base
        ))
        .bearer_auth(&analyst)
        .send()
        .await
        .expect("answer");
    assert_eq!(xlsx.status(), 200);
    assert!(xlsx.bytes().await.expect("body").starts_with(b"PK"));
    let svg_link = report.body["links"]["svg"]["teachers_mentoring"]
        .as_str()
        .expect("link")
        .to_owned();
    let svg = app.get_as(&analyst, &svg_link).await;
    assert_eq!(svg.header("content-type"), Some("image/svg+xml"));
    assert!(svg.text.starts_with("<svg") && !svg.text.contains("<script"));
    let outsider = app.key(Role::Analyst, Some("school-7")).await;
    app.get_as(
        &outsider,
        &format!("/api/v1/reports/indicators?organization_id=mun-ustk&period={period}"),
    )
    .await
    .assert_problem(404);
    assert_eq!(
        app.get_as(
            &analyst,
            "/api/v1/reports/indicators?organization_id=mun-ustk&period=2026-13"
        )
        .await
        .assert_problem(422),
        ["period"]
    );
}

async fn a_run_draws_its_score_histogram(app: &TestApp) {
    app.load_school().await;
    let started = app
        .send(
            Method::POST,
            "/api/v1/programmes/tp-2026/runs",
            Some(&app.admin),
            &[],
            None,
        )
        .await;
    let location = started.header("location").expect("location").to_owned();
    let done = app.get(&format!("{location}?wait=30")).await;
    let link = done.body["links"]["histogram"]
        .as_str()
        .expect("link")
        .to_owned();
    let svg = app.get(&link).await;
    assert_eq!(svg.header("content-type"), Some("image/svg+xml"));
    assert!(svg.text.contains(&format!(
        "({} pairs)",
        done.body["proposals"].as_array().map_or(0, Vec::len)
    )));
}

async fn outcomes_tell_which_weights_predicted_the_pairs_that_worked(app: &TestApp) {
    app.load_school().await;
    let started = app
        .send(
            Method::POST,
            "/api/v1/programmes/tp-2026/runs",
            Some(&app.admin),
            &[],
            None,
        )
        .await;
    let location = started.header("location").expect("location").to_owned();
    let run = app.get(&format!("{location}?wait=30")).await.body;
    let mut scored: Vec<(f64, String)> = Vec::new();
    for p in run["proposals"].as_array().expect("proposals") {
        let reply = app.approve(&app.admin, p["id"].as_str().expect("id")).await;
        scored.push((
            p["score"].as_f64().expect("score"),
            reply.body["pairs"][0]["id"]
                .as_str()
                .expect("pair")
                .to_owned(),
        ));
    }
    scored.sort_by(|a, b| a.0.total_cmp(&b.0));
    scored.dedup_by(|a, b| a.0 == b.0);
    // Growth rises with the score: the weights the run used predict it perfectly.
    for (rank, (_, pair)) in scored.iter().enumerate() {
        let path = format!("/api/v1/pairs/{pair}/feedback");
        let entry = json!({"stage": "entry", "respondent": "mentee", "answers": {"q": 1}});
        let exit =
            json!({"stage": "exit", "respondent": "mentee", "answers": {"q": 1 + (rank % 5)}});
        app.send(
            Method::POST,
            &path,
            Some(&app.admin),
            &[],
            Some((entry.to_string(), "application/json")),
        )
        .await;
        if rank < 5 {
            app.send(
                Method::POST,
                &path,
                Some(&app.admin),
                &[],
                Some((exit.to_string(), "application/json")),
            )
            .await;
        }
        app.send(
            Method::POST,
            &format!("/api/v1/pairs/{pair}/complete"),
            Some(&app.admin),
            &[],
            None,
        )
        .await;
    }
    let analyst = app.key(Role::Analyst, None).await;
    let result = app
        .get_as(&analyst, "/api/v1/programmes/tp-2026/outcomes")
        .await;
    assert_eq!(result.status, 200, "{}", result.text);
    assert_eq!(result.body["pairs_finished"], scored.len());
    let first = &result.body["profiles"][0];
    assert_eq!(first["version"], 1);
    assert_eq!(first["pairs_with_growth"], 5.min(scored.len()));
    // Five pairs say next to nothing: no ρ, its sample size and why.
    let rho = &first["spearman_score_growth"];
    assert!(rho["value"].is_null(), "{}", result.text);
    assert_eq!(rho["n"], 5.min(scored.len()));
    assert_eq!(rho["note"], "too few finished pairs to tell");

    let sensitivity = app
        .get_as(&analyst, "/api/v1/programmes/tp-2026/sensitivity")
        .await;
    assert_eq!(sensitivity.status, 200, "{}", sensitivity.text);
    let criteria = sensitivity.body["criteria"].as_array().expect("criteria");
    assert_eq!(criteria.len(), mentor_match::domain::Criterion::ALL.len());
    let baseline = sensitivity.body["baseline"]["pairs"]
        .as_u64()
        .expect("pairs");
    for c in criteria.iter().filter(|c| c["computed"] == true) {
        for m in ["minus_25", "plus_25"] {
            assert!(c["moves"][m]["pairs_changed"].as_u64().expect("changed") <= baseline);
        }
    }
}

on_both_backends!(
    outcomes_tell_which_weights_predicted_the_pairs_that_worked,
    weights_are_versioned_and_runs_name_their_version,
    feedback_is_validated_and_gives_growth,
    indicators_equal_a_count_by_hand,
    a_run_draws_its_score_histogram,
);
