//! The input edges of the request boundary: sizes checked before the work
//! they bound, query parameters and path ids checked before they reach the
//! store, media types and JSON types held to what the API documents, and
//! paging on every list.

use crate::common::{Reply, TestApp};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::time::{Duration, Instant};

/// Longest a refusal of an oversized request may take in these tests
/// (debug build, shared machine); the quadratic code took minutes.
const REFUSAL_BUDGET: Duration = Duration::from_secs(10);

fn a_mentor() -> Value {
    json!({"organization_id": "school-7", "full_name": "Иванова Марина Сергеевна",
           "kind": "teacher", "forms": ["teacher_pupil"], "capacity": 2, "trained": true})
}

/// Sends within [`REFUSAL_BUDGET`], failing the test when the server takes longer.
async fn within_budget(
    app: &TestApp,
    method: Method,
    path: &str,
    body: String,
) -> (Reply, Duration) {
    let started = Instant::now();
    let reply = tokio::time::timeout(
        REFUSAL_BUDGET,
        app.send(
            method,
            path,
            Some(&app.admin),
            &[],
            Some((body, "application/json")),
        ),
    )
    .await
    .unwrap_or_else(|_| panic!("{path} took longer than {REFUSAL_BUDGET:?} to answer"));
    (reply, started.elapsed())
}

fn fields(reply: &Reply, status: u16) -> Vec<String> {
    reply.assert_problem(status)
}

async fn a_profile_with_a_hundred_thousand_tags_is_refused_at_once(app: &TestApp) {
    app.load_school().await;
    let mut mentor = a_mentor();
    let tags: Vec<String> = (0..95_000).map(|i| format!("t{i}")).collect();
    mentor["subjects"] = json!(tags);
    let body = mentor.to_string();
    assert!(body.len() < 1024 * 1024, "under the body limit");
    let (reply, took) = within_budget(app, Method::PUT, "/api/v1/mentors/m-many", body).await;
    assert_eq!(fields(&reply, 422), ["subjects"]);
    assert!(reply.text.contains("at most 64 entries"), "{}", reply.text);
    eprintln!("95,000 tags refused in {took:?}");
}

async fn an_import_full_of_long_tag_lists_is_refused_at_once(app: &TestApp) {
    app.load_school().await;
    let tags: Vec<String> = (0..10_000).map(|i| format!("interest {i}")).collect();
    let mentors: Vec<Value> = (0..20)
        .map(|i| {
            let mut m = a_mentor();
            m["id"] = json!(format!("m-{i}"));
            m["interests"] = json!(tags);
            m
        })
        .collect();
    let body = json!({"mentors": mentors}).to_string();
    assert!(body.len() > 2_500_000, "a few megabytes: {}", body.len());
    let (reply, took) = within_budget(app, Method::POST, "/api/v1/import", body).await;
    reply.assert_problem(422);
    let rejected = reply.body["rejected"].as_array().expect("rejected rows");
    assert_eq!(rejected.len(), 20);
    assert_eq!(rejected[0]["errors"][0]["field"], "interests");
    eprintln!(
        "a {}-row import of 10,000-tag lists refused in {took:?}",
        rejected.len()
    );
}

async fn a_csv_cell_with_too_many_list_entries_is_refused_at_once(app: &TestApp) {
    app.load_school().await;
    let many = (0..150_000)
        .map(|i| format!("s{i}"))
        .collect::<Vec<_>>()
        .join(";");
    let csv = format!(
        "id,organization_id,full_name,kind,forms,subjects\nm-csv,school-7,Пётр Петров,teacher,teacher_pupil,{many}\n"
    );
    let started = Instant::now();
    let reply = tokio::time::timeout(
        REFUSAL_BUDGET,
        app.import_csv(&app.admin, "?kind=mentors", csv),
    )
    .await
    .expect("a CSV import is refused within the budget");
    reply.assert_problem(422);
    eprintln!(
        "a 150,000-entry CSV cell refused in {:?}",
        started.elapsed()
    );
    assert_eq!(reply.body["rejected"][0]["errors"][0]["field"], "subjects");
}

async fn a_nul_byte_in_any_query_parameter_is_named_not_a_server_error(app: &TestApp) {
    app.load_school().await;
    for (path, parameter) in [
        ("/api/v1/mentees?after=%00", "after"),
        ("/api/v1/mentors?organization_id=%00", "organization_id"),
        (
            "/api/v1/programmes?organization_id=school%007",
            "organization_id",
        ),
        ("/api/v1/organizations?parent_id=%00", "parent_id"),
        ("/api/v1/pairs?programme_id=%00", "programme_id"),
        ("/api/v1/pairs?mentor_id=%00", "mentor_id"),
        ("/api/v1/pairs?mentee_id=%00", "mentee_id"),
        ("/api/v1/audit?subject=mentee:%00", "subject"),
        ("/api/v1/audit?action=x%00", "action"),
        ("/api/v1/audit?key_id=%00", "key_id"),
        (
            "/api/v1/reports/indicators?organization_id=%00",
            "organization_id",
        ),
        ("/api/v1/runs/x?lang=%00", "lang"),
        ("/api/v1/mentees?kind=%01", "kind"),
    ] {
        let reply = app.get(path).await;
        assert_eq!(fields(&reply, 422), [parameter], "{path}");
    }
}

async fn ids_in_query_parameters_must_be_ids(app: &TestApp) {
    for (path, parameter) in [
        ("/api/v1/mentors?organization_id=a%2Fb", "organization_id"),
        ("/api/v1/mentees?after=x%25y", "after"),
        ("/api/v1/pairs?programme_id=..", "programme_id"),
        ("/api/v1/audit?since=yesterday", "since"),
    ] {
        let reply = app.get(path).await;
        assert_eq!(fields(&reply, 422), [parameter], "{path}");
    }
    assert_eq!(app.get("/api/v1/audit?since=2026-09-01").await.status, 200);
    assert_eq!(
        app.get("/api/v1/audit?since=2026-09-01T00:00:00Z")
            .await
            .status,
        200
    );
}

async fn an_id_outside_the_id_syntax_in_a_path_is_named(app: &TestApp) {
    for path in [
        "/api/v1/mentors/x%25y",
        "/api/v1/mentees/a%20b",
        "/api/v1/organizations/%3Cscript%3E",
        "/api/v1/programmes/x%00/runs",
        "/api/v1/pairs/a%2Fb",
        "/api/v1/mentors/%FF%FE",
    ] {
        let reply = app.get(path).await;
        assert_eq!(fields(&reply, 422), ["id"], "{path}");
    }
    // A well-formed id that names nothing is still not found.
    app.get("/api/v1/mentors/nobody").await.assert_problem(404);
}

async fn dot_segments_cannot_be_created_as_ids(app: &TestApp) {
    let batch = json!({"organizations": [
        {"id": "..", "name": "Parent", "kind": "region"},
        {"id": ".", "name": "Self", "kind": "region"},
    ]});
    let reply = app.import_json(&app.admin, "", &batch).await;
    reply.assert_problem(422);
    let rejected = reply.body["rejected"].as_array().expect("rejected");
    assert_eq!(rejected.len(), 2);
    assert!(rejected.iter().all(|r| r["errors"][0]["field"] == "id"));
    let mentor =
        json!({"id": "..", "organization_id": "school-7", "full_name": "X", "kind": "teacher"});
    let reply = app
        .import_json(&app.admin, "", &json!({"mentors": [mentor]}))
        .await;
    reply.assert_problem(422);
}

async fn a_json_body_must_say_it_is_json(app: &TestApp) {
    app.load_school().await;
    let body = a_mentor().to_string();
    let bare = app
        .client
        .put(format!("{}/api/v1/mentors/m-bare", app.base))
        .bearer_auth(&app.admin)
        .body(body.clone())
        .send()
        .await
        .expect("answer");
    assert_eq!(bare.status(), 415);
    assert_eq!(
        bare.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json")
    );
    for (path, content_type) in [
        ("/api/v1/mentors/m-text", "text/plain"),
        ("/api/v1/mentees/p-text", "text/plain; charset=utf-8"),
        (
            "/api/v1/organizations/o-form",
            "application/x-www-form-urlencoded",
        ),
        ("/api/v1/programmes/tp-2026/runs", "text/plain"),
        ("/api/v1/proposals/x/reject", "text/csv"),
        ("/api/v1/pairs/x/end", "multipart/form-data"),
    ] {
        let reply = app
            .send(
                Method::PUT,
                path,
                Some(&app.admin),
                &[],
                Some((body.clone(), content_type)),
            )
            .await;
        // Runs, rejections and endings are POSTs; their PUT is refused
        // as a wrong method, so they are sent again as POST below.
        if reply.status == 405 {
            let reply = app
                .send(
                    Method::POST,
                    path,
                    Some(&app.admin),
                    &[],
                    Some((body.clone(), content_type)),
                )
                .await;
            reply.assert_problem(415);
        } else {
            reply.assert_problem(415);
        }
    }
    let with_charset = app
        .send(
            Method::PUT,
            "/api/v1/mentors/m-charset",
            Some(&app.admin),
            &[],
            Some((body, "Application/JSON; charset=utf-8")),
        )
        .await;
    assert_eq!(with_charset.status, 201, "{}", with_charset.text);
    // No body and no type: the optional body of a run is still optional.
    let started = app
        .send(
            Method::POST,
            "/api/v1/programmes/tp-2026/runs",
            Some(&app.admin),
            &[],
            None,
        )
        .await;
    assert_eq!(started.status, 202, "{}", started.text);
}

async fn an_import_must_say_what_it_is(app: &TestApp) {
    app.load_school().await;
    let batch = json!({"mentees": []}).to_string();
    let bare = app
        .client
        .post(format!("{}/api/v1/import", app.base))
        .bearer_auth(&app.admin)
        .body(batch)
        .send()
        .await
        .expect("answer");
    assert_eq!(bare.status(), 415);
    let reply = app
        .send(
            Method::POST,
            "/api/v1/import",
            Some(&app.admin),
            &[],
            Some(("{}".into(), "text/plain")),
        )
        .await;
    reply.assert_problem(415);
}

async fn json_sent_as_csv_is_refused_not_applied(app: &TestApp) {
    app.load_school().await;
    let school = crate::common::fixture_json("school.json");
    let one_line = json!({"mentees": school["mentees"]}).to_string();
    let reply = app.import_csv(&app.admin, "?kind=mentees", one_line).await;
    assert_eq!(fields(&reply, 422), ["header"]);
    assert_ne!(reply.body["applied"], true);
    let pretty =
        serde_json::to_string_pretty(&json!({"mentees": school["mentees"]})).expect("json");
    let reply = app.import_csv(&app.admin, "?kind=mentees", pretty).await;
    assert_eq!(fields(&reply, 422), ["header"]);
    let binary = app
        .client
        .post(format!("{}/api/v1/import?kind=mentors", app.base))
        .bearer_auth(&app.admin)
        .header("content-type", "text/csv")
        .body(vec![0xff_u8, 0xfe, 0x00, 0x01, b',', 0x80, b'\n'])
        .send()
        .await
        .expect("answer");
    assert_eq!(binary.status(), 422);
    let header_only = app
        .import_csv(&app.admin, "?kind=mentors", "name,colour\n".into())
        .await;
    assert_eq!(fields(&header_only, 422), ["header"]);
    // A header with a known column is a file of its kind, even if empty.
    let empty = app
        .import_csv(&app.admin, "?kind=mentors", "id,full_name\n".into())
        .await;
    assert_eq!(empty.status, 200, "{}", empty.text);
}

async fn a_string_where_a_number_or_flag_belongs_is_named_in_json(app: &TestApp) {
    app.load_school().await;
    let mut mentor = a_mentor();
    mentor["capacity"] = json!("3");
    mentor["trained"] = json!("true");
    mentor["experience_years"] = json!("");
    mentor["subjects"] = json!("математика; физика");
    let reply = app.put("/api/v1/mentors/m-strings", &mentor).await;
    assert_eq!(
        fields(&reply, 422),
        ["subjects", "capacity", "experience_years", "trained"]
    );
    let mut organization = json!({"name": "Школа", "kind": "school", "parent_id": "mun-1",
                                  "teacher_count": "40"});
    let reply = app
        .put("/api/v1/organizations/school-x", &organization)
        .await;
    assert_eq!(fields(&reply, 422), ["teacher_count"]);
    organization["teacher_count"] = json!(40.5);
    let reply = app
        .put("/api/v1/organizations/school-x", &organization)
        .await;
    assert_eq!(fields(&reply, 422), ["teacher_count"]);
    let reply = app
        .post_json(
            &app.admin,
            "/api/v1/programmes/tp-2026/runs",
            &json!({"dry_run": "yes"}),
        )
        .await;
    assert_eq!(fields(&reply, 422), ["dry_run"]);
}

async fn csv_cells_stay_lenient(app: &TestApp) {
    app.load_school().await;
    let csv = "id,organization_id,full_name,kind,forms,capacity,trained,subjects\n\
               m-csv,school-7,Пётр Петров,teacher,teacher_pupil,3,да,математика; физика\n";
    let reply = app
        .import_csv(&app.admin, "?kind=mentors", csv.into())
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let mentor = app.get("/api/v1/mentors/m-csv").await;
    assert_eq!(mentor.body["capacity"], 3);
    assert_eq!(mentor.body["trained"], true);
    assert_eq!(mentor.body["subjects"], json!(["математика", "физика"]));
}

/// A run, a proposal and a pair of `tp-2026`, for routes that need them.
async fn some_run_and_pair(app: &TestApp) -> (String, String, String) {
    let run = app
        .run_and_wait(&app.admin.clone(), "tp-2026", json!({}))
        .await;
    let run_id = run["id"].as_str().expect("run id").to_owned();
    let proposals = run["proposals"].as_array().expect("proposals");
    let proposal = proposals[0]["id"].as_str().expect("proposal").to_owned();
    let approved = app.approve(&app.admin.clone(), &proposal).await;
    assert_eq!(approved.status, 200, "{}", approved.text);
    let pairs = app.get("/api/v1/pairs?programme_id=tp-2026").await;
    let pair = pairs.body["items"][0]["id"]
        .as_str()
        .expect("pair")
        .to_owned();
    let other = proposals
        .get(1)
        .and_then(|p| p["id"].as_str())
        .unwrap_or(&proposal)
        .to_owned();
    (run_id, other, pair)
}

async fn no_route_accepts_a_parameter_it_does_not_know(app: &TestApp) {
    app.load_school().await;
    let (run, proposal, pair) = some_run_and_pair(app).await;
    let spec = mentor_match::http::openapi();
    let mut checked = 0;
    let mut accepted = Vec::new();
    for (template, item) in &spec.paths.paths {
        if !template.starts_with("/api/v1") {
            continue;
        }
        for (method, present) in [
            (Method::GET, item.get.is_some()),
            (Method::DELETE, item.delete.is_some()),
            (Method::POST, item.post.is_some()),
            (Method::PUT, item.put.is_some()),
            (Method::PATCH, item.patch.is_some()),
        ] {
            if !present {
                continue;
            }
            let path = template
                .replace("/programmes/{id}", "/programmes/tp-2026")
                .replace("/organizations/{id}", "/organizations/school-7")
                .replace("/mentors/{id}", "/mentors/t-ivanova")
                .replace("/mentees/{id}", "/mentees/t-yakovleva")
                .replace("/runs/{id}", &format!("/runs/{run}"))
                .replace(
                    "/runs/{a}/compare/{b}",
                    &format!("/runs/{run}/compare/{run}"),
                )
                .replace("/proposals/{id}", &format!("/proposals/{proposal}"))
                .replace("/pairs/{id}", &format!("/pairs/{pair}"))
                .replace("/orders/{id}", "/orders/no-such-order")
                .replace("/pins/{mentee_id}", "/pins/p-sidorov")
                .replace("/templates/{kind}", "/templates/mentees");
            assert!(!path.contains('{'), "no id known for {path}");
            let reply = app
                .send(
                    method.clone(),
                    &format!("{path}?zz=1"),
                    Some(&app.admin),
                    &[],
                    None,
                )
                .await;
            let named_zz = reply.status == 422
                && reply.body["errors"]
                    == json!([{"field": "zz", "message": reply.body["errors"][0]["message"]}]);
            if !named_zz {
                accepted.push(format!("{method} {path}: {} {}", reply.status, reply.text));
            }
            checked += 1;
        }
    }
    assert!(
        accepted.is_empty(),
        "not refused by name:\n{}",
        accepted.join("\n")
    );
    assert!(checked > 40, "only {checked} operations walked");
}

async fn the_runs_of_a_programme_come_a_page_at_a_time(app: &TestApp) {
    app.load_school().await;
    let mut started = Vec::new();
    for _ in 0..3 {
        let reply = app
            .post_json(
                &app.admin,
                "/api/v1/programmes/tp-2026/runs",
                &json!({"dry_run": true}),
            )
            .await;
        assert_eq!(reply.status, 202, "{}", reply.text);
        started.push(reply.body["id"].as_str().expect("id").to_owned());
    }
    let all = app.get("/api/v1/programmes/tp-2026/runs").await;
    assert_eq!(all.status, 200, "{}", all.text);
    assert!(
        all.body.get("next").is_none(),
        "one page holds all: {}",
        all.text
    );
    let all_ids: Vec<&str> = all.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| r["id"].as_str().expect("id"))
        .collect();
    assert_eq!(all_ids.len(), 3);
    let mut newest_first = started.clone();
    newest_first.reverse();
    assert_eq!(all_ids, newest_first);

    let first = app.get("/api/v1/programmes/tp-2026/runs?limit=2").await;
    assert_eq!(first.body["items"].as_array().map(Vec::len), Some(2));
    let next = first.body["next"].as_str().expect("next").to_owned();
    let second = app
        .get(&format!(
            "/api/v1/programmes/tp-2026/runs?limit=2&after={next}"
        ))
        .await;
    let second_ids: Vec<&str> = second.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| r["id"].as_str().expect("id"))
        .collect();
    assert_eq!(second_ids, [all_ids[2]]);
    assert!(second.body.get("next").is_none());
    app.get("/api/v1/programmes/tp-2026/runs?limit=0")
        .await
        .assert_problem(422);
    app.get("/api/v1/programmes/tp-2026/runs?limit=1001")
        .await
        .assert_problem(422);
}

async fn the_audit_log_comes_a_page_at_a_time(app: &TestApp) {
    app.load_school().await;
    for i in 0..4 {
        let mut mentor = a_mentor();
        mentor["notes"] = json!(format!("version {i}"));
        let reply = app.put("/api/v1/mentors/m-audit", &mentor).await;
        assert!(reply.status.is_success(), "{}", reply.text);
    }
    let everything = app.get("/api/v1/audit?limit=1000").await;
    let expected: Vec<Value> = everything.body["items"].as_array().expect("items").clone();
    assert!(expected.len() >= 5, "{}", everything.text);
    let mut walked: Vec<Value> = Vec::new();
    let mut path = "/api/v1/audit?limit=2".to_owned();
    loop {
        let page = app.get(&path).await;
        assert_eq!(page.status, 200, "{}", page.text);
        let items = page.body["items"].as_array().expect("items");
        assert!(items.len() <= 2);
        walked.extend(items.iter().cloned());
        match page.body["next"].as_str() {
            Some(next) => path = format!("/api/v1/audit?limit=2&after={next}"),
            None => break,
        }
        assert!(walked.len() <= expected.len(), "paging does not end");
    }
    assert_eq!(walked, expected);
    let subject = app
        .get("/api/v1/audit?subject=mentor:m-audit&limit=1")
        .await;
    assert_eq!(subject.body["items"].as_array().map(Vec::len), Some(1));
    assert!(subject.body["next"].is_string());
    let keys: HashSet<&str> = expected
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(keys.contains("mentor.updated"), "{keys:?}");
}

on_both_backends!(
    a_profile_with_a_hundred_thousand_tags_is_refused_at_once,
    an_import_full_of_long_tag_lists_is_refused_at_once,
    a_csv_cell_with_too_many_list_entries_is_refused_at_once,
    a_nul_byte_in_any_query_parameter_is_named_not_a_server_error,
    ids_in_query_parameters_must_be_ids,
    an_id_outside_the_id_syntax_in_a_path_is_named,
    dot_segments_cannot_be_created_as_ids,
    a_json_body_must_say_it_is_json,
    an_import_must_say_what_it_is,
    json_sent_as_csv_is_refused_not_applied,
    a_string_where_a_number_or_flag_belongs_is_named_in_json,
    csv_cells_stay_lenient,
    no_route_accepts_a_parameter_it_does_not_know,
    the_runs_of_a_programme_come_a_page_at_a_time,
    the_audit_log_comes_a_page_at_a_time,
);
