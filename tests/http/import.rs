//! Bulk import through the real server: JSON and CSV, all or nothing,
//! partial, idempotent re-imports.

use crate::common::{TestApp, fixture, fixture_json};
use serde_json::json;

fn read(name: &str) -> String {
    std::fs::read_to_string(fixture(name)).expect("fixture")
}

async fn one_bad_row_rejects_the_batch_and_names_every_bad_row(app: &TestApp) {
    app.load_school().await;
    let reply = app
        .import_csv(&app.admin, "?kind=mentees", read("bad_mentees.csv"))
        .await;
    reply.assert_problem(422);
    let rejected = reply.body["rejected"].as_array().expect("rejected rows");
    let rows: Vec<(u64, &str, &str)> = rejected
        .iter()
        .map(|r| {
            (
                r["row"].as_u64().expect("row"),
                r["id"].as_str().unwrap_or(""),
                r["errors"][0]["field"].as_str().expect("field"),
            )
        })
        .collect();
    assert_eq!(
        rows.iter()
            .map(|(row, _, field)| (*row, *field))
            .collect::<Vec<_>>(),
        [
            (2, "category"),
            (3, "grade"),
            (5, "birth_year"),
            (6, "grade"),
            (7, "consent.purposes[1]"),
            (8, "full_name"),
            (10, "consent.date"),
            (11, "id"),
        ],
        "CSV rows are numbered by line, header = 1"
    );
    assert_eq!(reply.body["created"], 0);
    assert_eq!(reply.body["applied"], false);
    // Nothing applied: the good rows of the bad file are not there either.
    let good_ids = ["p-imp-03", "p-imp-08"];
    for id in good_ids {
        app.get(&format!("/api/v1/mentees/{id}"))
            .await
            .assert_problem(404);
    }

    let partial = app
        .import_csv(
            &app.admin,
            "?kind=mentees&partial=true",
            read("bad_mentees.csv"),
        )
        .await;
    assert_eq!(partial.status, 200, "{}", partial.text);
    assert_eq!(partial.body["created"], 2);
    assert_eq!(partial.body["rejected"].as_array().map(Vec::len), Some(8));
    for id in good_ids {
        assert_eq!(app.get(&format!("/api/v1/mentees/{id}")).await.status, 200);
    }
}

async fn reimporting_the_same_file_changes_nothing(app: &TestApp) {
    let school = app.load_school().await;
    let before = app.get("/api/v1/mentees/t-yakovleva").await;
    let again = app.import_json(&app.admin, "", &school).await;
    assert_eq!(again.status, 200);
    let total = ["organizations", "mentors", "mentees", "programmes"]
        .iter()
        .map(|s| school[s].as_array().map_or(0, Vec::len))
        .sum::<usize>();
    assert_eq!(again.body["created"], 0);
    assert_eq!(again.body["updated"], 0);
    assert_eq!(again.body["unchanged"], total);
    let after = app.get("/api/v1/mentees/t-yakovleva").await;
    assert_eq!(before.header("etag"), after.header("etag"));

    // The CSV files hold the same people: importing them is a no-op too.
    for (kind, file) in [("mentors", "mentors.csv"), ("mentees", "mentees.csv")] {
        let reply = app
            .import_csv(&app.admin, &format!("?kind={kind}"), read(file))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        assert_eq!(reply.body["created"], 0, "{kind}: {}", reply.text);
        assert_eq!(reply.body["updated"], 0, "{kind}: {}", reply.text);
    }
}

async fn csv_import_stores_cyrillic_lists_and_nested_consent(app: &TestApp) {
    let school = fixture_json("school.json");
    let orgs = json!({"organizations": school["organizations"]});
    assert_eq!(app.import_json(&app.admin, "", &orgs).await.status, 200);
    let reply = app
        .import_csv(&app.admin, "?kind=mentees", read("mentees.csv"))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.body["created"],
        school["mentees"].as_array().map_or(0, Vec::len)
    );
    let first = &school["mentees"][0];
    let stored = app
        .get(&format!(
            "/api/v1/mentees/{}",
            first["id"].as_str().expect("id")
        ))
        .await;
    assert_eq!(stored.body["full_name"], first["full_name"]);
    assert_eq!(stored.body["requests"], first["requests"]);
    assert_eq!(
        stored.body["consent"]["given_by"],
        first["consent"]["given_by"]
    );
}

async fn a_batch_with_many_kinds_of_faults_reports_each_section(app: &TestApp) {
    let batch = json!({
        "organizations": [
            {"id": "r", "name": "Регион", "kind": "region"},
            {"id": "m", "name": "Город", "kind": "municipality", "parent_id": "r"},
            {"id": "s", "name": "Школа", "kind": "school", "parent_id": "nowhere"},
            {"id": "m", "name": "Дубль", "kind": "municipality", "parent_id": "r"},
        ],
        "mentors": [
            {"id": "t1", "organization_id": "m", "full_name": "Учитель", "kind": "teacher", "forms": ["teacher_pupil"]},
            {"id": "t2", "organization_id": "s", "full_name": "Учитель", "kind": "teacher"},
            {"id": "t3", "organization_id": "m", "full_name": "Учитель", "kind": "dragon"},
        ],
        "mentees": [
            {"id": "p1", "organization_id": "m", "full_name": "Ученик", "kind": "pupil", "category": "young_specialist"},
            "not an object",
        ],
        "programmes": [
            {"id": "prog", "name": "x", "form": "teacher_pupil", "organization_ids": ["m"], "period": {"start": "2026-09-01", "end": "2027-05-31"}},
            {"id": "prog2", "name": "x", "form": "teacher_pupil", "organization_ids": ["s"], "period": {"start": "2026-09-01", "end": "2027-05-31"}},
        ]
    });
    let reply = app.import_json(&app.admin, "", &batch).await;
    reply.assert_problem(422);
    let rejected: Vec<(String, u64, String)> = reply.body["rejected"]
        .as_array()
        .expect("rejected")
        .iter()
        .map(|r| {
            (
                r["section"].as_str().expect("section").to_owned(),
                r["row"].as_u64().expect("row"),
                r["errors"][0]["field"].as_str().expect("field").to_owned(),
            )
        })
        .collect();
    let expected = [
        ("organizations", 3, "parent_id"),
        ("organizations", 4, "id"),
        ("mentors", 2, "organization_id"),
        ("mentors", 3, "kind"),
        ("mentees", 1, "category"),
        ("mentees", 2, "$"),
        ("programmes", 2, "organization_ids[0]"),
    ];
    assert_eq!(
        rejected,
        expected
            .map(|(s, r, f)| (s.to_owned(), r, f.to_owned()))
            .to_vec()
    );
    // Nothing at all was applied, not even the good organisations.
    app.get("/api/v1/organizations/r").await.assert_problem(404);
}

async fn malformed_batches_are_refused_whole(app: &TestApp) {
    let key = app.admin.clone();
    app.send(
        reqwest::Method::POST,
        "/api/v1/import",
        Some(&key),
        &[],
        Some(("{\"mentors\": [".into(), "application/json")),
    )
    .await
    .assert_problem(400);
    app.send(
        reqwest::Method::POST,
        "/api/v1/import",
        Some(&key),
        &[],
        Some(("{\"pupils\": []}".into(), "application/json")),
    )
    .await
    .assert_problem(400);
    assert_eq!(
        app.import_csv(&key, "", "id\nx\n".into())
            .await
            .assert_problem(422),
        ["kind"]
    );
    app.send(
        reqwest::Method::POST,
        "/api/v1/import",
        Some(&key),
        &[],
        Some(("<xml/>".into(), "application/xml")),
    )
    .await
    .assert_problem(415);
    let ragged = "id,organization_id,full_name\nx,y\n".to_owned();
    app.import_csv(&key, "?kind=mentors", ragged)
        .await
        .assert_problem(400);
}

on_both_backends!(
    one_bad_row_rejects_the_batch_and_names_every_bad_row,
    reimporting_the_same_file_changes_nothing,
    csv_import_stores_cyrillic_lists_and_nested_consent,
    a_batch_with_many_kinds_of_faults_reports_each_section,
    malformed_batches_are_refused_whole,
);
