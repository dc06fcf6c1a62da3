//! Runs keep their inputs: the matrix is derived from them and stays the
//! run's own after the banks change, what-if runs solve them again, dry
//! runs can be deleted and the retention sweep prunes what nothing needs.

use crate::common::TestApp;
use mentor_match::service::runs::Retention;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

/// The mentee pairs `(mentor, mentee, score)` of a finished run, sorted.
fn pairs_of(run: &Value) -> Vec<(String, String, String)> {
    let mut pairs: Vec<(String, String, String)> = run["proposals"]
        .as_array()
        .expect("proposals")
        .iter()
        .flat_map(|p| {
            let mentor = p["mentor_id"].as_str().expect("mentor").to_owned();
            p["mentee_ids"]
                .as_array()
                .expect("mentees")
                .iter()
                .map(move |m| {
                    (
                        mentor.clone(),
                        m.as_str().expect("mentee").to_owned(),
                        p["score"].to_string(),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect();
    pairs.sort();
    pairs
}

async fn what_if(app: &TestApp, run_id: &str, body: Value) -> Value {
    let started = app
        .post_json(&app.admin, &format!("/api/v1/runs/{run_id}/what-if"), &body)
        .await;
    assert_eq!(started.status, 202, "{}", started.text);
    assert_eq!(started.body["inputs_of"], run_id);
    assert_eq!(started.body["dry_run"], true);
    let location = started.header("location").expect("location").to_owned();
    let done = app.get(&format!("{location}?wait=30")).await;
    assert_eq!(done.body["status"], "done", "{}", done.text);
    done.body
}

/// Changes the interests of a mentee and adds a new mentee to the school.
async fn change_the_banks(app: &TestApp, school: &Value) {
    let mut yakovleva = school["mentees"]
        .as_array()
        .expect("mentees")
        .iter()
        .find(|m| m["id"] == "t-yakovleva")
        .expect("t-yakovleva")
        .clone();
    yakovleva["interests"] = json!(["вязание"]);
    yakovleva["subjects"] = json!(["химия"]);
    let put = app.put("/api/v1/mentees/t-yakovleva", &yakovleva).await;
    assert_eq!(put.status, 200, "{}", put.text);
    let mut newcomer = yakovleva.clone();
    newcomer["id"] = json!("t-zaitseva");
    newcomer["full_name"] = json!("Зайцева Алина Игоревна");
    let put = app.put("/api/v1/mentees/t-zaitseva", &newcomer).await;
    assert_eq!(put.status, 201, "{}", put.text);
}

async fn a_run_keeps_its_matrix_and_its_inputs_after_the_banks_change(app: &TestApp) {
    let school = app.load_school().await;
    let first = app.run_and_wait(&app.admin, "tt-2026", json!({})).await;
    let id = first["id"].as_str().expect("id");
    let before = app.get(&format!("/api/v1/runs/{id}/scores")).await;
    assert_eq!(before.status, 200);
    assert!(before.text.contains("t-yakovleva"), "{}", before.text);

    change_the_banks(app, &school).await;
    let after = app.get(&format!("/api/v1/runs/{id}/scores")).await;
    assert_eq!(
        after.text, before.text,
        "the stored run's matrix is the one it solved, whatever changed since"
    );
    let now = app.run_and_wait(&app.admin, "tt-2026", json!({})).await;
    let now_scores = app
        .get(&format!(
            "/api/v1/runs/{}/scores",
            now["id"].as_str().expect("id")
        ))
        .await;
    assert_ne!(
        now_scores.text, before.text,
        "a new run reads the banks anew"
    );
    assert!(now_scores.text.contains("t-zaitseva"));

    // Solved again with its own settings, the stored inputs give the very
    // same proposals, though the banks changed.
    let again = what_if(app, id, json!({})).await;
    assert_eq!(pairs_of(&again), pairs_of(&first));
    assert_eq!(again["stats"], {
        let mut stats = first["stats"].clone();
        stats["timings"] = again["stats"]["timings"].clone();
        stats
    });
    let again_scores = app
        .get(&format!(
            "/api/v1/runs/{}/scores",
            again["id"].as_str().expect("id")
        ))
        .await;
    assert_eq!(again_scores.text, before.text);
}

async fn a_profile_changed_back_and_forth_keeps_its_versions(app: &TestApp) {
    let school = app.load_school().await;
    let first = app.run_and_wait(&app.admin, "tt-2026", json!({})).await;
    let id = first["id"].as_str().expect("id");
    let before = app.get(&format!("/api/v1/runs/{id}/scores")).await;
    let original = school["mentees"]
        .as_array()
        .expect("mentees")
        .iter()
        .find(|m| m["id"] == "t-egorov")
        .expect("t-egorov")
        .clone();
    let mut changed = original.clone();
    changed["interests"] = json!(["хоровое пение"]);
    // Each write keeps the version it replaces, also one kept before.
    for doc in [&changed, &original, &changed, &original, &changed] {
        let put = app.put("/api/v1/mentees/t-egorov", doc).await;
        assert_eq!(put.status, 200, "{}", put.text);
    }
    let deleted = app
        .send(
            Method::DELETE,
            "/api/v1/mentees/t-sergeeva",
            Some(&app.admin.clone()),
            &[],
            None,
        )
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    let after = app.get(&format!("/api/v1/runs/{id}/scores")).await;
    assert!(
        !after.text.contains("t-sergeeva"),
        "a deleted profile is erased"
    );
    let egorov = |csv: &str| {
        csv.lines()
            .find(|l| l.starts_with("t-egorov,"))
            .map(str::to_owned)
    };
    assert_eq!(egorov(&after.text), egorov(&before.text));
    assert!(egorov(&before.text).is_some());
}

async fn what_if_runs_check_their_settings_and_answer_in_russian(app: &TestApp) {
    app.load_school().await;
    let first = app.run_and_wait(&app.admin, "tp-2026", json!({})).await;
    let id = first["id"].as_str().expect("id");
    let moved = what_if(
        app,
        id,
        json!({"weights": {"interests": 0.9}, "objective": "fair"}),
    )
    .await;
    assert_eq!(moved["objective"], "fair");
    assert_eq!(moved["weights_overridden"], true);
    assert_eq!(moved["weights"]["interests"], 0.9);
    assert_eq!(
        moved["stats"]["mentees_eligible"], first["stats"]["mentees_eligible"],
        "the same data"
    );

    for (body, field) in [
        (json!({"dry_run": false}), "dry_run"),
        (json!({"objective": "best"}), "objective"),
        (json!({"weights": {"interests": -1}}), "weights.interests"),
    ] {
        let reply = app
            .send(
                Method::POST,
                &format!("/api/v1/runs/{id}/what-if"),
                Some(&app.admin.clone()),
                &[("accept-language", "ru")],
                Some((body.to_string(), "application/json")),
            )
            .await;
        let fields = reply.assert_problem(422);
        assert!(fields.iter().any(|f| f == field), "{field}: {}", reply.text);
        let message = reply.body["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .find(|e| e["field"] == field)
            .and_then(|e| e["message"].as_str())
            .unwrap_or_default()
            .to_owned();
        assert!(
            message.chars().any(|c| matches!(c, 'а'..='я')),
            "{field} in Russian: {}",
            reply.text
        );
    }
    app.post_json(&app.admin, "/api/v1/runs/no-such-run/what-if", &json!({}))
        .await
        .assert_problem(404);
}

async fn dry_runs_can_be_deleted_and_other_runs_cannot(app: &TestApp) {
    app.load_school().await;
    let kept = app.run_and_wait(&app.admin, "pp-2026", json!({})).await;
    let dry = app
        .run_and_wait(&app.admin, "pp-2026", json!({"dry_run": true}))
        .await;
    let delete = |id: String| async move {
        app.send(
            Method::DELETE,
            &format!("/api/v1/runs/{id}"),
            Some(&app.admin.clone()),
            &[],
            None,
        )
        .await
    };
    let dry_id = dry["id"].as_str().expect("id").to_owned();
    let gone = delete(dry_id.clone()).await;
    assert_eq!(gone.status, 204, "{}", gone.text);
    app.get(&format!("/api/v1/runs/{dry_id}"))
        .await
        .assert_problem(404);
    delete(dry_id).await.assert_problem(404);
    delete(kept["id"].as_str().expect("id").to_owned())
        .await
        .assert_problem(409);
    let audit = app.get("/api/v1/audit?action=run.deleted").await;
    assert_eq!(audit.body["items"].as_array().map(Vec::len), Some(1));
}

async fn retention_prunes_old_dry_and_superseded_runs_only(app: &TestApp) {
    app.load_school().await;
    let decided = app.run_and_wait(&app.admin, "tt-2026", json!({})).await;
    let proposal = decided["proposals"][0]["id"].as_str().expect("proposal");
    let approved = app.approve(&app.admin, proposal).await;
    assert_eq!(approved.status, 200, "{}", approved.text);
    let superseded = app.run_and_wait(&app.admin, "tt-2026", json!({})).await;
    let dry = app
        .run_and_wait(&app.admin, "tt-2026", json!({"dry_run": true}))
        .await;
    let latest = app.run_and_wait(&app.admin, "tt-2026", json!({})).await;
    let other_programme = app.run_and_wait(&app.admin, "tp-2026", json!({})).await;

    // An instance that keeps runs no time at all sweeps at once.
    let store = mentor_match::store::connect(&app.url).await.expect("store");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    let server = mentor_match::http::Application::build_with(
        listener,
        store,
        mentor_match::http::Settings {
            rate_limit_per_minute: 0,
            run_worker: false,
            retention: Some(Retention {
                keep_for: Duration::ZERO,
                every: Duration::from_millis(100),
            }),
        },
    )
    .expect("server");
    tokio::spawn(server.run());
    let exists = |run: &Value| {
        let id = run["id"].as_str().expect("id").to_owned();
        async move { app.get(&format!("/api/v1/runs/{id}")).await.status == 200 }
    };
    let mut waited = 0;
    while (exists(&superseded).await || exists(&dry).await) && waited < 100 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        waited += 1;
    }
    assert!(!exists(&superseded).await, "a superseded run goes");
    assert!(!exists(&dry).await, "an old dry run goes");
    assert!(exists(&decided).await, "a run with a decision stays");
    assert!(exists(&latest).await, "the latest run stays");
    assert!(
        exists(&other_programme).await,
        "the latest run of each programme stays"
    );
    let scores = app
        .get(&format!(
            "/api/v1/runs/{}/scores",
            decided["id"].as_str().expect("id")
        ))
        .await;
    assert_eq!(scores.status, 200, "a kept run keeps its matrix");
}

async fn erasure_takes_a_person_out_of_every_stored_run(app: &TestApp) {
    let school = app.load_school().await;
    let first = app.run_and_wait(&app.admin, "tt-2026", json!({})).await;
    change_the_banks(app, &school).await;
    let second = app.run_and_wait(&app.admin, "tt-2026", json!({})).await;
    let erased = app
        .send(
            Method::POST,
            "/api/v1/mentees/t-yakovleva/consent/withdraw",
            Some(&app.admin.clone()),
            &[],
            None,
        )
        .await;
    assert_eq!(erased.status, 200, "{}", erased.text);
    for run in [&first, &second] {
        let id = run["id"].as_str().expect("id");
        let scores = app.get(&format!("/api/v1/runs/{id}/scores")).await;
        assert_eq!(scores.status, 200);
        assert!(!scores.text.contains("t-yakovleva"), "{}", scores.text);
        assert!(scores.text.contains("t-egorov"), "the others stay");
    }
}

/// The compare of two runs, its attribution checked to add up.
async fn compare(app: &TestApp, a: &Value, b: &Value) -> Value {
    let reply = app
        .get(&format!(
            "/api/v1/runs/{}/compare/{}",
            a["id"].as_str().expect("a"),
            b["id"].as_str().expect("b")
        ))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let c = reply.body;
    let parts = &c["attribution"];
    assert!(parts.is_object(), "{c}");
    let whole = |field: &str| {
        b["stats"][field].as_f64().expect("b") - a["stats"][field].as_f64().expect("a")
    };
    for (part, stat) in [
        ("matched", "mentees_matched"),
        ("eligible", "mentees_eligible"),
        ("total_score", "total_score"),
        ("min_score", "min_score"),
    ] {
        let sum = parts["from_settings"][part].as_f64().expect("settings")
            + parts["from_inputs"][part].as_f64().expect("inputs");
        assert!(
            (sum - whole(stat)).abs() < 1e-6,
            "{part}: the parts add up to the change: {c}"
        );
    }
    c
}

fn zero_part(part: &Value) -> bool {
    [
        "matched",
        "eligible",
        "total_score",
        "mean_score",
        "min_score",
        "pairs_added",
        "pairs_dropped",
    ]
    .iter()
    .all(|f| part[*f].as_f64() == Some(0.0))
}

async fn compare_tells_changed_data_from_changed_weights(app: &TestApp) {
    app.load_school().await;
    let before = app.run_and_wait(&app.admin, "tp-2026", json!({})).await;
    // Pairs are approved and one completed between the runs.
    for p in before["proposals"]
        .as_array()
        .expect("proposals")
        .iter()
        .take(2)
    {
        let approved = app.approve(&app.admin, p["id"].as_str().expect("id")).await;
        assert_eq!(approved.status, 200, "{}", approved.text);
    }
    let pairs = app.get("/api/v1/pairs?programme_id=tp-2026").await;
    let pair = pairs.body["items"][0]["id"]
        .as_str()
        .expect("pair")
        .to_owned();
    let completed = app
        .post_json(
            &app.admin,
            &format!("/api/v1/pairs/{pair}/complete"),
            &json!({}),
        )
        .await;
    assert_eq!(completed.status, 200, "{}", completed.text);
    let after = app.run_and_wait(&app.admin, "tp-2026", json!({})).await;

    // The same weights on changed data: nothing comes from the weights.
    let c = compare(app, &before, &after).await;
    let parts = &c["attribution"];
    assert_eq!(parts["same_settings"], true);
    assert_eq!(parts["same_inputs"], false);
    assert!(zero_part(&parts["from_settings"]), "{c}");
    assert_eq!(parts["input_changes"]["pairs_approved"], 1, "{c}");
    assert_eq!(parts["input_changes"]["mentees_completed"], 1, "{c}");
    assert!(
        parts["from_inputs"]["eligible"].as_i64().expect("eligible") < 0,
        "paired and completed mentees leave the pool: {c}"
    );

    // New weights on the same data: nothing comes from the data.
    let weights = json!({"weights": {"interests": 0.6, "subjects": 0.05}});
    let tuned = what_if(app, after["id"].as_str().expect("id"), weights.clone()).await;
    let c = compare(app, &after, &tuned).await;
    let parts = &c["attribution"];
    assert_eq!(parts["same_inputs"], true);
    assert_eq!(parts["same_settings"], false);
    assert!(zero_part(&parts["from_inputs"]), "{c}");
    assert_ne!(
        parts["from_settings"]["total_score"].as_f64(),
        Some(0.0),
        "{c}"
    );

    // Both changed: the bridge is the first run's data with the second's
    // weights, which a what-if run of the first computes on its own.
    let both = app.run_and_wait(&app.admin, "tp-2026", weights).await;
    let c = compare(app, &before, &both).await;
    let parts = &c["attribution"];
    assert_eq!(parts["same_inputs"], false);
    assert_eq!(parts["same_settings"], false);
    let by_hand = what_if(
        app,
        before["id"].as_str().expect("id"),
        json!({"weights": both["weights"]}),
    )
    .await;
    for (bridge, stat) in [
        ("eligible", "mentees_eligible"),
        ("matched", "mentees_matched"),
        ("total_score", "total_score"),
        ("min_score", "min_score"),
    ] {
        assert!(
            (parts["bridge"][bridge].as_f64().expect("bridge")
                - by_hand["stats"][stat].as_f64().expect("stat"))
            .abs()
                < 1e-9,
            "{bridge}: {c}"
        );
    }
}

on_both_backends!(
    a_profile_changed_back_and_forth_keeps_its_versions,
    compare_tells_changed_data_from_changed_weights,
    a_run_keeps_its_matrix_and_its_inputs_after_the_banks_change,
    what_if_runs_check_their_settings_and_answer_in_russian,
    dry_runs_can_be_deleted_and_other_runs_cannot,
    retention_prunes_old_dry_and_superseded_runs_only,
    erasure_takes_a_person_out_of_every_stored_run,
);
