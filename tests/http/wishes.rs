//! Objectives beyond the total score, and the stability evidence of every
//! run, through the real server.

use crate::common::TestApp;
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
    // Rank-maximal is in the matching core only, for now.
    for objective in ["popular", "rank_maximal"] {
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

on_both_backends!(
    stable_runs_have_no_blocking_pair_and_others_show_theirs,
    group_programmes_refuse_objectives_that_cannot_form_groups,
);
