//! Problems speak Russian to a request that asks for it with
//! `Accept-Language`, and English to everyone else.

use crate::common::{Reply, TestApp};
use mentor_match::service::auth::Role;
use reqwest::Method;
use serde_json::{Value, json};

const RU: (&str, &str) = ("accept-language", "ru");

/// Words of the English messages that no Russian text may keep (ids,
/// field names, methods and codes such as `mentee_moved` are carried
/// over, but never these).
const ENGLISH_WORDS: &[&str] = &[
    "a",
    "an",
    "the",
    "is",
    "are",
    "of",
    "or",
    "and",
    "not",
    "no",
    "must",
    "required",
    "unknown",
    "expected",
    "invalid",
    "input",
    "allowed",
    "cannot",
    "already",
    "nothing",
    "rejected",
    "applied",
    "request",
    "body",
    "field",
    "fields",
    "value",
    "found",
    "has",
    "have",
    "with",
    "your",
    "key",
    "role",
    "does",
    "this",
    "there",
    "scope",
    "resource",
    "changed",
    "read",
    "again",
    "send",
    "try",
    "error",
    "conflict",
    "forbidden",
    "unauthorized",
    "malformed",
    "precondition",
    "failed",
    "method",
    "media",
    "type",
    "too",
    "large",
    "rows",
    "row",
    "organisation",
    "proposal",
    "approved",
    "places",
    "taken",
    "still",
    "move",
    "them",
    "first",
    "use",
    "here",
    "at",
    "line",
    "column",
    "be",
];

/// Every text of a problem a person reads: title, detail, each field
/// message and each rejected import row's.
fn texts(reply: &Reply) -> Vec<String> {
    let body = &reply.body;
    let mut out = vec![
        body["title"].as_str().unwrap_or_default().to_owned(),
        body["detail"].as_str().unwrap_or_default().to_owned(),
    ];
    let messages = |errors: &Value| -> Vec<String> {
        errors
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| e["message"].as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    out.extend(messages(&body["errors"]));
    if let Some(rows) = body["rejected"].as_array() {
        for row in rows {
            out.extend(messages(&row["errors"]));
        }
    }
    out
}

fn has_cyrillic(text: &str) -> bool {
    text.chars().any(|c| ('\u{0400}'..='\u{04FF}').contains(&c))
}

fn english_words_in(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| ENGLISH_WORDS.contains(&w.to_ascii_lowercase().as_str()))
        .map(str::to_owned)
        .collect()
}

/// Asserts the reply is a problem with `status` whose every text is
/// Russian, and that it says so.
fn assert_russian(reply: &Reply, status: u16) {
    reply.assert_problem(status);
    assert_eq!(
        reply.header("content-language"),
        Some("ru"),
        "{}",
        reply.text
    );
    for text in texts(reply) {
        assert!(
            has_cyrillic(&text),
            "a {status} text is not Russian: {text:?} in {}",
            reply.text
        );
        let left = english_words_in(&text);
        assert!(
            left.is_empty(),
            "a {status} text keeps English words {left:?}: {text:?}"
        );
    }
}

/// Asserts the reply is a problem with `status` in English only.
fn assert_english(reply: &Reply, status: u16) {
    reply.assert_problem(status);
    assert_eq!(reply.header("content-language"), Some("en"));
    for text in texts(reply) {
        assert!(
            !has_cyrillic(&text),
            "a {status} text without Accept-Language is not English: {text:?}"
        );
    }
}

/// Sends the same request with and without `Accept-Language: ru` and
/// checks each answer's language.
async fn both(
    app: &TestApp,
    method: Method,
    path: &str,
    key: Option<&str>,
    headers: &[(&str, &str)],
    body: Option<(String, &str)>,
    status: u16,
) -> Reply {
    let english = app
        .send(method.clone(), path, key, headers, body.clone())
        .await;
    assert_english(&english, status);
    let mut with_ru = headers.to_vec();
    with_ru.push(RU);
    let russian = app.send(method, path, key, &with_ru, body).await;
    assert_russian(&russian, status);
    russian
}

fn json_body(value: &Value) -> Option<(String, &'static str)> {
    Some((value.to_string(), "application/json"))
}

async fn bad_requests_are_answered_in_russian_when_asked(app: &TestApp) {
    let admin = app.admin.clone();
    let k = Some(admin.as_str());
    both(app, Method::GET, "/nowhere", k, &[], None, 404).await;
    both(app, Method::GET, "/api/v1/nichego", k, &[], None, 404).await;
    both(app, Method::POST, "/api/v1/mentees/x", k, &[], None, 405).await;
    both(
        app,
        Method::PATCH,
        "/api/v1/mentees/x",
        k,
        &[],
        json_body(&json!({"notes": "x"})),
        415,
    )
    .await;
    both(app, Method::GET, "/api/v1/mentors/a%2Fb", k, &[], None, 422).await;
    both(app, Method::POST, "/api/v1/mentors", k, &[], None, 405).await;
    both(
        app,
        Method::PUT,
        "/api/v1/mentors/x",
        k,
        &[],
        Some(("{not json".into(), "application/json")),
        400,
    )
    .await;
    both(
        app,
        Method::PUT,
        "/api/v1/mentors/x",
        k,
        &[],
        Some(("{\"id\": \"x\",".into(), "application/json")),
        400,
    )
    .await;
    both(
        app,
        Method::PUT,
        "/api/v1/mentors/x",
        k,
        &[],
        Some(("[1,2]".into(), "application/json")),
        422,
    )
    .await;
    let missing_and_unknown = both(
        app,
        Method::PUT,
        "/api/v1/mentors/x",
        k,
        &[],
        json_body(&json!({"id": "x", "colour": "green"})),
        422,
    )
    .await;
    let fields: Vec<&str> = missing_and_unknown.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert!(
        fields.contains(&"colour") && fields.contains(&"full_name"),
        "{fields:?}"
    );
    let wrong_enum = both(
        app,
        Method::PUT,
        "/api/v1/organizations/o-1",
        k,
        &[],
        json_body(&json!({"name": "Школа", "kind": "castle"})),
        422,
    )
    .await;
    let message = wrong_enum.body["errors"][0]["message"]
        .as_str()
        .expect("message");
    assert!(
        message.contains("«castle»") && message.contains("region"),
        "the wrong value and the accepted ones are carried over: {message}"
    );
    both(
        app,
        Method::GET,
        "/api/v1/mentees?limit=abc",
        k,
        &[],
        None,
        422,
    )
    .await;
    both(
        app,
        Method::GET,
        "/api/v1/mentees?colour=green",
        k,
        &[],
        None,
        422,
    )
    .await;
    let huge = format!("{{\"notes\": \"{}\"}}", "я".repeat(1_200_000));
    both(
        app,
        Method::PUT,
        "/api/v1/mentors/x",
        k,
        &[],
        Some((huge, "application/json")),
        413,
    )
    .await;
    both(
        app,
        Method::POST,
        "/api/v1/import",
        k,
        &[],
        Some(("hello".into(), "text/plain")),
        415,
    )
    .await;
}

async fn keys_and_roles_are_refused_in_russian(app: &TestApp) {
    both(app, Method::GET, "/api/v1/mentors", None, &[], None, 401).await;
    both(
        app,
        Method::GET,
        "/api/v1/mentors",
        Some("mm_nonsense_key"),
        &[],
        None,
        401,
    )
    .await;
    let analyst = app.key(Role::Analyst, None).await;
    both(
        app,
        Method::PUT,
        "/api/v1/organizations/o-1",
        Some(&analyst),
        &[],
        json_body(&json!({"name": "Школа", "kind": "region"})),
        403,
    )
    .await;
}

async fn quality_lists_choose_the_language(app: &TestApp) {
    for (accept, russian) in [
        ("ru-RU", true),
        ("ru-RU,ru;q=0.9,en;q=0.8", true),
        ("en;q=0.4, ru;q=0.6", true),
        ("en-GB,en;q=0.9,ru;q=0.8", false),
        ("de", false),
    ] {
        let reply = app
            .send(
                Method::GET,
                "/api/v1/mentors/nobody",
                Some(&app.admin),
                &[("accept-language", accept)],
                None,
            )
            .await;
        if russian {
            assert_russian(&reply, 404);
        } else {
            assert_english(&reply, 404);
        }
    }
}

async fn conflicts_and_stale_writes_are_explained_in_russian(app: &TestApp) {
    let school = app.load_school().await;
    let admin = app.admin.clone();
    let k = Some(admin.as_str());
    // An organisation with people under it is not deleted.
    both(
        app,
        Method::DELETE,
        "/api/v1/organizations/school-7",
        k,
        &[],
        None,
        409,
    )
    .await;
    // A write over a version the caller has not seen.
    let mentor = &school["mentors"][0];
    let path = format!("/api/v1/mentors/{}", mentor["id"].as_str().expect("id"));
    both(
        app,
        Method::PUT,
        &path,
        k,
        &[("if-match", "\"stale\"")],
        json_body(mentor),
        412,
    )
    .await;
    // A proposal decided twice.
    let run = app.run_and_wait(&admin, "tp-2026", json!({})).await;
    let proposal = run["proposals"][0]["id"].as_str().expect("proposal");
    let approved = app.approve(&admin, proposal).await;
    assert_eq!(approved.status, 200, "{}", approved.text);
    let again = format!("/api/v1/proposals/{proposal}/approve");
    both(app, Method::POST, &again, k, &[], None, 409).await;
    // A rejection without its reason.
    let second = run["proposals"][1]["id"].as_str().expect("proposal");
    both(
        app,
        Method::POST,
        &format!("/api/v1/proposals/{second}/reject"),
        k,
        &[],
        json_body(&json!({})),
        422,
    )
    .await;
    // Ending a pair for a reason nobody knows.
    let pair = approved.body["pairs"][0]["id"].as_str().expect("pair");
    both(
        app,
        Method::POST,
        &format!("/api/v1/pairs/{pair}/end"),
        k,
        &[],
        json_body(&json!({"reason": "boredom"})),
        422,
    )
    .await;
}

async fn a_rejected_import_names_each_bad_row_in_russian(app: &TestApp) {
    let batch = json!({
        "organizations": [
            {"id": "o-1", "name": "Школа", "kind": "castle"},
        ],
        "mentors": [
            {"id": "m-1", "organization_id": "o-1", "kind": "teacher", "capacity": 99,
             "birth_year": "x"},
            {"id": "m/2", "full_name": "Петров"},
        ],
    });
    let reply = both(
        app,
        Method::POST,
        "/api/v1/import",
        Some(&app.admin),
        &[],
        json_body(&batch),
        422,
    )
    .await;
    let rows = reply.body["rejected"].as_array().expect("rejected rows");
    assert!(rows.len() >= 3, "{}", reply.text);
    assert_eq!(reply.body["type"], "/problems/import-rejected");
    // With ?partial=true the good rows apply and the report of the bad
    // ones is in the language asked for too.
    let partial = app
        .send(
            Method::POST,
            "/api/v1/import?partial=true",
            Some(&app.admin),
            &[RU],
            json_body(&batch),
        )
        .await;
    assert_eq!(partial.status, 200, "{}", partial.text);
    for row in partial.body["rejected"].as_array().expect("rejected") {
        for error in row["errors"].as_array().expect("errors") {
            let message = error["message"].as_str().expect("message");
            assert!(has_cyrillic(message), "{message}");
        }
    }
}

async fn the_score_histogram_is_drawn_in_russian_when_asked(app: &TestApp) {
    app.load_school().await;
    let admin = app.admin.clone();
    let run = app.run_and_wait(&admin, "tp-2026", json!({})).await;
    let link = run["links"]["histogram"].as_str().expect("link");
    let english = app.get(link).await;
    assert!(english.text.contains("Pair scores"), "{}", english.text);
    let russian = app.send(Method::GET, link, Some(&admin), &[RU], None).await;
    assert_eq!(russian.status, 200);
    assert!(russian.text.contains("Оценки пар"), "{}", russian.text);
    assert!(russian.text.contains("Оценка пары") && russian.text.contains("Число пар"));
    assert!(!russian.text.contains("Pair"));
}

on_both_backends!(
    bad_requests_are_answered_in_russian_when_asked,
    keys_and_roles_are_refused_in_russian,
    quality_lists_choose_the_language,
    conflicts_and_stale_writes_are_explained_in_russian,
    a_rejected_import_names_each_bad_row_in_russian,
    the_score_histogram_is_drawn_in_russian_when_asked,
);
