//! Weights as relative importances: any scale scores the same, both forms
//! are shown, criteria with weight 0 are "not computed", sensitivity keeps
//! the weights summing to 1, and the outcomes' statistics carry their
//! sample sizes and intervals.

use crate::common::TestApp;
use mentor_match::domain::Criterion;
use mentor_match::service::auth::Role;
use reqwest::Method;
use serde_json::{Value, json};

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("a number, got {v}"))
}

fn sum_of(weights: &Value) -> f64 {
    Criterion::ALL
        .iter()
        .map(|c| weights[c.as_str()].as_f64().unwrap_or(0.0))
        .sum()
}

/// (mentor, mentee ids, score) of each proposal, in order.
fn proposals(run: &Value) -> Vec<(String, Value, String)> {
    run["proposals"]
        .as_array()
        .expect("proposals")
        .iter()
        .map(|p| {
            (
                p["mentor_id"].as_str().expect("mentor").to_owned(),
                p["mentee_ids"].clone(),
                format!("{:.6}", f(&p["score"])),
            )
        })
        .collect()
}

async fn weights_at_any_scale_score_the_same_and_are_shown_both_ways(app: &TestApp) {
    app.load_school().await;
    let before = app.run_and_wait(&app.admin, "tp-2026", json!({})).await;
    assert!(!proposals(&before).is_empty());

    // The same weights ×40: stored as given, normalised for scoring.
    let mut programme = app.get("/api/v1/programmes/tp-2026").await.body;
    let defaults = programme["weights"].clone();
    for c in Criterion::ALL {
        programme["weights"][c.as_str()] = json!(f(&defaults[c.as_str()]) * 40.0);
    }
    let reply = app
        .send(
            Method::PUT,
            "/api/v1/programmes/tp-2026?reason=%D0%BC%D0%B0%D1%81%D1%88%D1%82%D0%B0%D0%B1",
            Some(&app.admin),
            &[],
            Some((programme.to_string(), "application/json")),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let stored = app.get("/api/v1/programmes/tp-2026").await.body;
    assert_eq!(f(&stored["weights"]["subjects"]), 10.0, "stored as given");
    assert!((sum_of(&stored["weights_normalised"]) - 1.0).abs() < 1e-9);
    assert!((f(&stored["weights_normalised"]["subjects"]) - 0.25).abs() < 1e-12);

    let after = app.run_and_wait(&app.admin, "tp-2026", json!({})).await;
    assert_eq!(proposals(&before), proposals(&after), "×40 changes nothing");
    assert_eq!(f(&after["weights"]["subjects"]), 10.0);
    assert!((f(&after["weights_normalised"]["subjects"]) - 0.25).abs() < 1e-12);
    for p in after["proposals"].as_array().expect("proposals") {
        let lines = p["breakdown"].as_array().expect("breakdown");
        let sum: f64 = lines.iter().map(|l| f(&l["contribution"])).sum();
        assert!((sum - f(&p["score"])).abs() < 2e-6, "{p}");
        assert!(lines.iter().all(|l| f(&l["weight"]) <= 1.0), "{p}");
        assert!(
            lines.iter().all(|l| l["criterion"] != "wishes"),
            "weight 0 has no line"
        );
    }

    // The example: subjects 3 beside the rest.
    let odd = app
        .run_and_wait(
            &app.admin,
            "tp-2026",
            json!({"weights": {"subjects": 3}, "dry_run": true}),
        )
        .await;
    assert_eq!(f(&odd["weights"]["subjects"]), 3.0);
    let share = f(&odd["weights_normalised"]["subjects"]);
    let expected = 3.0 / (3.0 + sum_of(&stored["weights"]) - 10.0);
    assert!(
        (share - expected).abs() < 1e-12,
        "{share} against {expected}"
    );
    assert!(
        odd["proposals"]
            .as_array()
            .expect("proposals")
            .iter()
            .all(|p| f(&p["score"]) <= 1.0 + 1e-9)
    );

    // Compare: weights both ways; wishes (weight 0) not computed, no 0.0.
    let (a, b) = (
        before["id"].as_str().expect("id"),
        odd["id"].as_str().expect("id"),
    );
    let cmp = app.get(&format!("/api/v1/runs/{a}/compare/{b}")).await;
    assert_eq!(cmp.status, 200, "{}", cmp.text);
    assert!((sum_of(&cmp.body["weights"]["b_normalised"]) - 1.0).abs() < 1e-9);
    let criteria = cmp.body["criteria"].as_array().expect("criteria");
    let wishes = criteria
        .iter()
        .find(|c| c["criterion"] == "wishes")
        .expect("wishes");
    assert_eq!(wishes["computed"], json!({"a": false, "b": false}));
    assert_eq!(wishes["mean_value"], json!({"a": null, "b": null}));
    let subjects = criteria
        .iter()
        .find(|c| c["criterion"] == "subjects")
        .expect("subjects");
    assert_eq!(subjects["computed"], json!({"a": true, "b": true}));
    assert!(subjects["mean_value"]["a"].is_f64());
    assert_eq!(
        subjects["pairs"]["a"], before["stats"]["mentees_matched"],
        "the mean is over every matched mentee"
    );
    assert!((f(&subjects["weight_normalised"]["b"]) - share).abs() < 1e-12);

    // The history shows every version both ways.
    let history = app.get("/api/v1/programmes/tp-2026/weights").await.body;
    let last = history["items"]
        .as_array()
        .and_then(|v| v.last())
        .cloned()
        .expect("a version");
    assert_eq!(f(&last["weights"]["subjects"]), 10.0);
    assert!((f(&last["weights_normalised"]["subjects"]) - 0.25).abs() < 1e-12);

    // All weights 0: refused, naming `weights`, in Russian too.
    let mut zero = stored.clone();
    for c in Criterion::ALL {
        zero["weights"][c.as_str()] = json!(0);
    }
    let refused = app
        .send(
            Method::PUT,
            "/api/v1/programmes/tp-2026",
            Some(&app.admin),
            &[("accept-language", "ru")],
            Some((zero.to_string(), "application/json")),
        )
        .await;
    assert_eq!(refused.assert_problem(422), ["weights"]);
    assert!(
        refused
            .text
            .contains("хотя бы один вес должен быть больше 0"),
        "{}",
        refused.text
    );
}

async fn sensitivity_moves_one_share_and_keeps_the_sum_at_one(app: &TestApp) {
    app.load_school().await;
    let analyst = app.key(Role::Analyst, None).await;
    let reply = app
        .get_as(&analyst, "/api/v1/programmes/tp-2026/sensitivity")
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let s = &reply.body;
    let base = &s["baseline"];
    let eligible = base["mentees_eligible"].as_u64().expect("eligible");
    let matched = base["mentees_matched"].as_i64().expect("matched");
    let pairs = base["pairs"].as_u64().expect("pairs");
    assert!(eligible > 0 && pairs > 0, "{base}");
    assert!((sum_of(&base["weights_normalised"]) - 1.0).abs() < 1e-9);
    let min = f(&base["min_score"]);
    for c in s["criteria"].as_array().expect("criteria") {
        let share = f(&c["weight_normalised"]);
        if f(&c["weight"]) == 0.0 {
            assert_eq!(c["computed"], false, "{c}");
            assert!(c["moves"].is_null(), "{c}");
            continue;
        }
        assert_eq!(c["computed"], true);
        for (m, factor) in [("minus_25", 0.75), ("plus_25", 1.25)] {
            let mv = &c["moves"][m];
            assert!(
                (f(&mv["weight_normalised"]) - (share * factor).min(1.0)).abs() < 1e-12,
                "{c}"
            );
            assert!(mv["pairs_changed"].as_u64().expect("changed") <= pairs);
            let now = mv["mentees_matched"].as_i64().expect("matched");
            assert_eq!(mv["coverage_change"].as_i64(), Some(now - matched));
            assert!(mv["pairs"].as_u64().is_some());
            let lowest = f(&mv["min_score"]);
            assert!((f(&mv["min_score_change"]) - (lowest - min)).abs() < 1e-9);
            // Weights summing to 1 keep every score within 0..1.
            assert!((0.0..=1.0 + 1e-9).contains(&f(&mv["mean_score"])));
        }
    }
    let wishes = s["criteria"]
        .as_array()
        .and_then(|v| v.iter().find(|c| c["criterion"] == "wishes"))
        .expect("wishes");
    assert_eq!(wishes["computed"], false);
}

/// Sixteen teachers and sixteen pupils of one school: each teacher has a
/// different length of service, so every pair scores differently.
fn class_of_sixteen() -> Value {
    let surnames = [
        "Алексеева",
        "Борисова",
        "Васильева",
        "Григорьева",
        "Дмитриева",
        "Егорова",
        "Жукова",
        "Зайцева",
        "Ильина",
        "Казакова",
        "Лебедева",
        "Морозова",
        "Никитина",
        "Орлова",
        "Павлова",
        "Романова",
    ];
    let mentors: Vec<Value> = surnames
        .iter()
        .enumerate()
        .map(|(i, s)| {
            json!({"id": format!("t-{i}"), "organization_id": "sch-14",
                "full_name": format!("{s} Анна Петровна"), "birth_year": 1975,
                "kind": "teacher", "forms": ["teacher_pupil"], "capacity": 1,
                "subjects": ["математика"], "experience_years": 5 + i,
                "qualification": "first", "trained": true,
                "consent": {"given_by": "self", "date": "2026-08-25"}})
        })
        .collect();
    let mentees: Vec<Value> = surnames
        .iter()
        .enumerate()
        .map(|(i, s)| {
            json!({"id": format!("u-{i}"), "organization_id": "sch-14",
                "full_name": format!("{} Иван", s.trim_end_matches('а')), "birth_year": 2012,
                "grade": 8, "kind": "pupil", "category": "struggling_pupil",
                "subjects": ["математика"],
                "consent": {"given_by": "parent", "date": "2026-08-25",
                    "pupil_agreed_on": "2026-08-25"}})
        })
        .collect();
    json!({
        "organizations": [
            {"id": "mun-lesnoy", "name": "Лесной муниципальный округ", "kind": "municipality"},
            {"id": "sch-14", "name": "МБОУ «СОШ № 14»", "kind": "school", "parent_id": "mun-lesnoy"}
        ],
        "mentors": mentors,
        "mentees": mentees,
        "programmes": [{"id": "tp-14", "name": "Учитель – ученик, СОШ № 14",
            "form": "teacher_pupil", "organization_ids": ["sch-14"],
            "period": {"start": "2026-09-01", "end": "2027-05-31"},
            "weights": {"subjects": 2, "experience": 6, "load": 0, "wishes": 0}}]
    })
}

async fn outcomes_carry_sample_sizes_and_intervals(app: &TestApp) {
    let reply = app
        .import_json(&app.admin.clone(), "", &class_of_sixteen())
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let run = app.run_and_wait(&app.admin, "tp-14", json!({})).await;
    let mut scored: Vec<(f64, String)> = Vec::new();
    for p in run["proposals"].as_array().expect("proposals") {
        let reply = app.approve(&app.admin, p["id"].as_str().expect("id")).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        scored.push((
            f(&p["score"]),
            reply.body["pairs"][0]["id"]
                .as_str()
                .expect("pair")
                .to_owned(),
        ));
    }
    assert_eq!(scored.len(), 16, "every pupil gets a teacher");
    scored.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (rank, (_, pair)) in scored.iter().enumerate() {
        let path = format!("/api/v1/pairs/{pair}/feedback");
        for (stage, answer) in [("entry", 1), ("exit", 1 + (rank * 2) % 5)] {
            let body = json!({"stage": stage, "respondent": "mentee", "answers": {"q": answer}});
            let reply = app.post_json(&app.admin, &path, &body).await;
            assert!(reply.status.is_success(), "{}", reply.text);
        }
        // The four lowest-scored pairs end early; the rest complete.
        let reply = if rank < 4 {
            let body = json!({"reason": "incompatibility"});
            app.post_json(&app.admin, &format!("/api/v1/pairs/{pair}/end"), &body)
                .await
        } else {
            let path = format!("/api/v1/pairs/{pair}/complete");
            app.send(Method::POST, &path, Some(&app.admin), &[], None)
                .await
        };
        assert!(reply.status.is_success(), "{}", reply.text);
    }
    let analyst = app.key(Role::Analyst, None).await;
    let o = app
        .send(
            Method::GET,
            "/api/v1/programmes/tp-14/outcomes",
            Some(&analyst),
            &[("accept-language", "ru")],
            None,
        )
        .await;
    assert_eq!(o.status, 200, "{}", o.text);
    assert_eq!(o.body["pairs_finished"], 16);
    assert_eq!(o.body["pairs_ended_early"], 4);
    assert_eq!(o.body["min_finished_pairs"], 10);
    let p = &o.body["profiles"][0];
    assert!(
        (f(&p["weights_normalised"]["experience"]) - 6.0 / sum_of(&p["weights"])).abs() < 1e-12
    );

    // ρ over 16 pairs, recomputed here by hand from the ranks.
    let rho = &p["spearman_score_growth"];
    assert_eq!(rho["n"], 16, "{rho}");
    let growth: Vec<f64> = (0..16).map(|r| ((r * 2) % 5) as f64).collect();
    let rank_of = |v: &[f64], i: usize| -> f64 {
        let below = v.iter().filter(|x| **x < v[i]).count() as f64;
        let equal = v.iter().filter(|x| **x == v[i]).count() as f64;
        below + (equal + 1.0) / 2.0
    };
    let gr: Vec<f64> = (0..16).map(|i| rank_of(&growth, i)).collect();
    let mean = 8.5;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (i, g) in gr.iter().enumerate() {
        let s = i as f64 + 1.0;
        sxy += (s - mean) * (g - mean);
        sxx += (s - mean) * (s - mean);
        syy += (g - mean) * (g - mean);
    }
    let r = sxy / (sxx * syy).sqrt();
    assert!((f(&rho["value"]) - r).abs() < 1e-9, "{rho} against {r}");
    let half = 1.959_963_984_540_054 * ((1.0 + r * r / 2.0) / 13.0).sqrt();
    assert!((f(&rho["ci95_low"]) - (r.atanh() - half).tanh()).abs() < 1e-9);
    assert!((f(&rho["ci95_high"]) - (r.atanh() + half).tanh()).abs() < 1e-9);
    assert!(rho.get("note").is_none());

    // The lowest quarter: five pairs (the cut is the fifth lowest score),
    // four ended early: too few to tell, the counts kept.
    let low = &p["early_end_share_lowest_quarter"];
    assert_eq!(
        (low["count"].clone(), low["n"].clone()),
        (json!(4), json!(5))
    );
    assert!(low["value"].is_null() && low["ci95_low"].is_null());
    assert_eq!(low["note"], "слишком мало завершённых пар, чтобы судить");
    // The other eleven: none ended early, with the Wilson interval.
    let rest = &p["early_end_share_others"];
    assert_eq!(
        (rest["count"].clone(), rest["n"].clone()),
        (json!(0), json!(11))
    );
    assert_eq!(f(&rest["value"]), 0.0);
    assert_eq!(f(&rest["ci95_low"]), 0.0);
    let z2 = 1.959_963_984_540_054_f64.powi(2);
    assert!(
        (f(&rest["ci95_high"]) - z2 / (11.0 + z2)).abs() < 1e-9,
        "{rest}"
    );

    // In English the note is English.
    let en = app
        .get_as(&analyst, "/api/v1/programmes/tp-14/outcomes")
        .await;
    assert_eq!(
        en.body["profiles"][0]["early_end_share_lowest_quarter"]["note"],
        "too few finished pairs to tell"
    );
}

async fn a_programme_stored_before_normalised_weights_shows_them_too(app: &TestApp) {
    use mentor_match::store::{Document, Preconditions, Scope, Table};
    app.load_school().await;
    // The stored form of earlier versions: no `weights_normalised`.
    let mut old = app.get("/api/v1/programmes/tp-2026").await.body;
    old.as_object_mut()
        .expect("object")
        .remove("weights_normalised");
    old["weights"]["subjects"] = json!(5);
    let doc = Document {
        table: Table::Programmes,
        id: "tp-2026".into(),
        organization_id: "school-7".into(),
        kind: "teacher_pupil".into(),
        labels: "|school-7|".into(),
        doc: old.to_string(),
    };
    app.store
        .put_document(&Scope::All, &doc, &Preconditions::none())
        .await
        .expect("stored");
    let read = app.get("/api/v1/programmes/tp-2026").await;
    assert_eq!(read.status, 200, "{}", read.text);
    let expected = 5.0 / (5.0 + 0.75);
    assert!((f(&read.body["weights_normalised"]["subjects"]) - expected).abs() < 1e-12);
    let list = app.get("/api/v1/programmes?limit=100").await;
    let item = list.body["items"]
        .as_array()
        .and_then(|v| v.iter().find(|p| p["id"] == "tp-2026"))
        .cloned()
        .expect("listed");
    assert!((f(&item["weights_normalised"]["subjects"]) - expected).abs() < 1e-12);
}

on_both_backends!(
    a_programme_stored_before_normalised_weights_shows_them_too,
    weights_at_any_scale_score_the_same_and_are_shown_both_ways,
    sensitivity_moves_one_share_and_keeps_the_sum_at_one,
    outcomes_carry_sample_sizes_and_intervals,
);
