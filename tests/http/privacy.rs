//! Children's data: consent withdrawal erases the person everywhere;
//! sensitive fields by role; the audit log.

use crate::common::TestApp;
use mentor_match::service::auth::Role;
use reqwest::Method;
use serde_json::Value;

async fn run(app: &TestApp, programme: &str) -> Value {
    app.run_and_wait(&app.admin, programme, serde_json::json!({}))
        .await
}

/// Every byte the database holds for this test, as text: the SQLite file
/// and its journal, or every row of every table on PostgreSQL.
async fn database_text(app: &TestApp) -> String {
    if let Some(path) = app.url.strip_prefix("sqlite:") {
        let mut bytes = std::fs::read(path).unwrap_or_default();
        for suffix in ["-wal", "-journal"] {
            bytes.extend(std::fs::read(format!("{path}{suffix}")).unwrap_or_default());
        }
        String::from_utf8_lossy(&bytes).into_owned()
    } else {
        let pool = sqlx::PgPool::connect(&app.url).await.expect("connect");
        let mut out = String::new();
        for table in [
            "organizations",
            "mentors",
            "mentees",
            "programmes",
            "runs",
            "proposals",
            "pairs",
            "exclusions",
            "events",
            "api_keys",
            "profile_versions",
            "person_refs",
            "proposal_mentees",
        ] {
            let rows: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT CAST(t.* AS TEXT) FROM {table} t"
            )))
            .fetch_all(&pool)
            .await
            .expect("rows");
            for (row,) in rows {
                out.push_str(&row);
                out.push('\n');
            }
        }
        pool.close().await;
        out
    }
}

async fn a_withdrawn_consent_leaves_no_trace_of_the_person(app: &TestApp) {
    let school = app.load_school().await;
    let first = run(app, "tp-2026").await;
    let proposal = first["proposals"][0].clone();
    let mentee_id = proposal["mentee_ids"][0]
        .as_str()
        .expect("mentee")
        .to_owned();
    let name = school["mentees"]
        .as_array()
        .expect("m")
        .iter()
        .find(|m| m["id"] == mentee_id.as_str())
        .expect("in fixtures")["full_name"]
        .as_str()
        .expect("name")
        .to_owned();
    let approved = app
        .approve(&app.admin, proposal["id"].as_str().expect("id"))
        .await;
    assert_eq!(approved.status, 200);
    let pair_id = approved.body["pairs"][0]["id"]
        .as_str()
        .expect("pair")
        .to_owned();
    let _ = run(app, "tp-2026").await;
    assert!(
        app.get("/api/v1/programmes/tp-2026/pairs.csv")
            .await
            .text
            .contains(&name)
    );
    assert!(database_text(app).await.contains(&name));

    let curator = app.key(Role::Curator, Some("school-7")).await;
    let withdrawn = app
        .send(
            Method::POST,
            &format!("/api/v1/mentees/{mentee_id}/consent/withdraw"),
            Some(&curator),
            &[],
            None,
        )
        .await;
    assert_eq!(withdrawn.status, 200, "{}", withdrawn.text);
    assert_eq!(withdrawn.body["pairs_ended"], 1);

    app.get(&format!("/api/v1/mentees/{mentee_id}"))
        .await
        .assert_problem(404);
    let pair = app.get(&format!("/api/v1/pairs/{pair_id}")).await;
    assert_eq!(pair.body["status"], "ended");
    assert_eq!(pair.body["end_reason"], "consent_withdrawn");
    assert_ne!(
        pair.body["mentee_id"],
        mentee_id.as_str(),
        "the ended pair points at no one"
    );
    let runs = app.get("/api/v1/programmes/tp-2026/runs").await;
    for r in runs.body["items"].as_array().expect("runs") {
        let id = r["id"].as_str().expect("id");
        let full = app.get(&format!("/api/v1/runs/{id}")).await;
        assert!(
            !full.text.contains(&mentee_id),
            "run {id} still names the person"
        );
        let scores = app.get(&format!("/api/v1/runs/{id}/scores")).await;
        assert!(
            !scores.text.contains(&mentee_id),
            "run {id}'s matrix still names the person"
        );
    }
    for path in [
        "/api/v1/programmes/tp-2026/pairs.csv",
        "/api/v1/pairs?limit=1000",
        "/api/v1/audit?limit=1000",
        "/api/v1/mentees?limit=1000",
    ] {
        let reply = app.get(path).await;
        assert!(
            !reply.text.contains(&mentee_id) && !reply.text.contains(&name),
            "{path} still holds the person"
        );
    }
    let everything = database_text(app).await;
    assert!(
        !everything.contains(&name),
        "the database still holds the name"
    );
    assert!(
        !everything.contains(&format!("\"{mentee_id}\"")),
        "the database still holds the id"
    );
    let audit = app.get("/api/v1/audit?action=person.erased").await;
    assert_eq!(audit.body["items"][0]["role"], "curator");

    // Deleting a profile erases the same way.
    let other = school["mentees"][1]["id"].as_str().expect("id").to_owned();
    let deleted = app
        .send(
            Method::DELETE,
            &format!("/api/v1/mentees/{other}"),
            Some(&app.admin),
            &[],
            None,
        )
        .await;
    assert_eq!(deleted.status, 204);
    assert!(!database_text(app).await.contains(&format!("\"{other}\"")));
}

/// Rows of a query of one column (text or bytes), read straight from the database.
async fn column<T>(app: &TestApp, sql: &'static str, bind: &str) -> Vec<Option<T>>
where
    T: for<'r> sqlx::Decode<'r, sqlx::Sqlite>
        + sqlx::Type<sqlx::Sqlite>
        + for<'r> sqlx::Decode<'r, sqlx::Postgres>
        + sqlx::Type<sqlx::Postgres>
        + Send
        + Unpin,
{
    let sql = sqlx::AssertSqlSafe(sql);
    let rows: Vec<(Option<T>,)> = if app.url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(&app.url).await.expect("connect");
        let rows = sqlx::query_as(sql)
            .bind(bind.to_owned())
            .fetch_all(&pool)
            .await
            .expect("rows");
        pool.close().await;
        rows
    } else {
        let pool = sqlx::PgPool::connect(&app.url).await.expect("connect");
        let rows = sqlx::query_as(sql)
            .bind(bind.to_owned())
            .fetch_all(&pool)
            .await
            .expect("rows");
        pool.close().await;
        rows
    };
    rows.into_iter().map(|(v,)| v).collect()
}

async fn erasure_rewrites_no_stored_run_however_many_there_are(app: &TestApp) {
    app.load_school().await;
    let mut runs = Vec::new();
    for _ in 0..3 {
        runs.push(run(app, "tp-2026").await);
    }
    let ineligible = runs[0]["ineligible"][0]["mentee_id"]
        .as_str()
        .expect("an ineligible mentee")
        .to_owned();
    let matched = runs[0]["proposals"][0]["mentee_ids"][0]
        .as_str()
        .expect("a matched mentee")
        .to_owned();
    let run_ids: Vec<String> = runs
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_owned())
        .collect();
    let run_ids = &run_ids;
    let read_runs = || async move {
        let mut texts = Vec::new();
        for id in run_ids {
            let reply = app.get(&format!("/api/v1/runs/{id}")).await;
            assert_eq!(reply.status, 200, "{}", reply.text);
            texts.push(reply.text);
        }
        texts
    };
    let stored = "SELECT result_packed FROM runs WHERE programme_id = $1 ORDER BY id";
    let stored_before: Vec<Option<Vec<u8>>> = column(app, stored, "tp-2026").await;
    assert_eq!(stored_before.len(), 3);
    for packed in &stored_before {
        let packed = packed
            .as_deref()
            .expect("a finished run's result is stored packed");
        let text = mentor_match::store::read_packed(packed).expect("a readable result");
        assert!(
            !text.contains(&ineligible) && !text.contains(&matched),
            "a stored result names people by number: {text}"
        );
    }
    let before = read_runs().await;
    assert!(before.iter().all(|t| t.contains(&ineligible)));

    let withdraw = |who: String| async move {
        let reply = app
            .send(
                Method::POST,
                &format!("/api/v1/mentees/{who}/consent/withdraw"),
                Some(&app.admin),
                &[],
                None,
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        reply.body
    };
    let erased = withdraw(ineligible.clone()).await;
    assert_eq!(erased["runs_rewritten"], 0, "{erased}");
    assert_eq!(
        column(app, stored, "tp-2026").await,
        stored_before,
        "no stored run is touched, however many there are"
    );
    let audit = app.get("/api/v1/audit?action=person.erased").await;
    let pseudonym = audit.body["items"][0]["subject"]
        .as_str()
        .and_then(|s| s.strip_prefix("person:"))
        .expect("the pseudonym")
        .to_owned();
    // Each run reads as before, byte for byte, the id aside.
    let after = read_runs().await;
    for (b, a) in before.iter().zip(&after) {
        assert!(!a.contains(&ineligible));
        assert_eq!(&a.replace(&pseudonym, &ineligible), b);
    }

    let erased = withdraw(matched.clone()).await;
    assert_eq!(erased["runs_rewritten"], 0, "{erased}");
    assert_eq!(
        erased["proposals_withdrawn"], 3,
        "its proposal in each run: {erased}"
    );
    assert_eq!(column(app, stored, "tp-2026").await, stored_before);
    for text in read_runs().await {
        assert!(!text.contains(&ineligible) && !text.contains(&matched));
    }
    for who in [&ineligible, &matched] {
        for sql in [
            "SELECT person_id FROM person_refs WHERE person_id = $1",
            "SELECT mentee_id FROM proposal_mentees WHERE mentee_id = $1",
            "SELECT mentee_ids FROM proposals WHERE mentee_ids LIKE '%' || $1 || '%'",
        ] {
            let found: Vec<Option<String>> = column(app, sql, who).await;
            assert!(found.is_empty(), "{sql} finds {who}");
        }
        assert!(
            !database_text(app).await.contains(&format!("\"{who}\"")),
            "the database still holds {who}"
        );
    }
}

async fn sensitive_categories_are_for_curators_and_admins_only(app: &TestApp) {
    let school = app.load_school().await;
    let special = school["mentees"]
        .as_array()
        .expect("m")
        .iter()
        .find(|m| m["category"] == "special_needs")
        .expect("special needs");
    let id = special["id"].as_str().expect("id");
    let system = app.key(Role::System, Some("school-7")).await;
    let curator = app.key(Role::Curator, Some("school-7")).await;
    let analyst = app.key(Role::Analyst, None).await;
    let masked = app.get_as(&system, &format!("/api/v1/mentees/{id}")).await;
    assert_eq!(masked.body["category"], "restricted");
    assert!(masked.body.get("notes").is_none());
    let listed = app.get_as(&system, "/api/v1/mentees?limit=1000").await;
    assert!(!listed.text.contains("special_needs") && !listed.text.contains("prevention_register"));
    app.get_as(&system, "/api/v1/mentees?category=special_needs")
        .await
        .assert_problem(403);
    app.get_as(&analyst, &format!("/api/v1/mentees/{id}"))
        .await
        .assert_problem(403);
    let full = app.get_as(&curator, &format!("/api/v1/mentees/{id}")).await;
    assert_eq!(full.body["category"], "special_needs");
    let audit = app.get(&format!("/api/v1/audit?subject=mentee:{id}")).await;
    assert_eq!(audit.body["items"][0]["action"], "mentee.sensitive_read");
    assert!(
        audit.body["items"][0]["origin"].is_string(),
        "the audit says where from"
    );

    let result = run(app, "tp-2026").await;
    let run_id = result["id"].as_str().expect("id");
    let seen_by_analyst = app
        .get_as(&analyst, &format!("/api/v1/runs/{run_id}"))
        .await;
    assert_eq!(seen_by_analyst.status, 200);
    for m in school["mentees"].as_array().expect("m") {
        let mid = m["id"].as_str().expect("id");
        assert!(
            !seen_by_analyst.text.contains(&format!("\"{mid}\"")),
            "an analyst sees {mid}"
        );
    }
    assert!(seen_by_analyst.text.contains("anon-"));
    let scores = app
        .get_as(&analyst, &format!("/api/v1/runs/{run_id}/scores"))
        .await;
    assert!(
        scores
            .text
            .lines()
            .nth(1)
            .is_some_and(|l| l.starts_with("anon-"))
    );
}

async fn a_key_over_its_rate_gets_429(app: &TestApp) {
    // The limit is per instance; a server with a small limit shows it.
    let store = mentor_match::store::connect(&app.url).await.expect("store");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    let server = mentor_match::http::Application::build_with(
        listener,
        store,
        mentor_match::http::Settings {
            rate_limit_per_minute: 5,
            run_worker: false,
            retention: None,
        },
    )
    .expect("server");
    let base = format!("http://127.0.0.1:{}", server.port());
    tokio::spawn(server.run());
    let mut statuses = Vec::new();
    let mut retry = None;
    for _ in 0..7 {
        let reply = app
            .client
            .get(format!("{base}/api/v1/organizations"))
            .bearer_auth(&app.admin)
            .send()
            .await
            .expect("answer");
        statuses.push(reply.status().as_u16());
        if reply.status() == 429 {
            retry = reply
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap_or("").to_owned());
        }
    }
    assert_eq!(statuses, [200, 200, 200, 200, 200, 429, 429]);
    assert!(retry.is_some_and(|r| r.parse::<u64>().is_ok_and(|s| (1..=60).contains(&s))));
}

on_both_backends!(
    a_withdrawn_consent_leaves_no_trace_of_the_person,
    erasure_rewrites_no_stored_run_however_many_there_are,
    sensitive_categories_are_for_curators_and_admins_only,
    a_key_over_its_rate_gets_429,
);
