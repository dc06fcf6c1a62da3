//! Every error is problem+json, and no input makes the server fail.

use crate::common::TestApp;
use reqwest::Method;

async fn every_kind_of_bad_request_gets_a_problem_document(app: &TestApp) {
    let key = app.admin.clone();
    let k = Some(key.as_str());
    app.send(Method::GET, "/nowhere", k, &[], None)
        .await
        .assert_problem(404);
    app.send(Method::GET, "/api/v1/unknown", k, &[], None)
        .await
        .assert_problem(404);
    let wrong_method = app
        .send(Method::POST, "/api/v1/mentees/x", k, &[], None)
        .await;
    wrong_method.assert_problem(405);
    assert_eq!(
        wrong_method.header("allow"),
        Some("GET, PUT, DELETE, PATCH")
    );
    app.send(Method::POST, "/api/v1/mentors", k, &[], None)
        .await
        .assert_problem(405);
    app.send(
        Method::PUT,
        "/api/v1/mentors/x",
        k,
        &[],
        Some(("{not json".into(), "application/json")),
    )
    .await
    .assert_problem(400);
    app.send(
        Method::PUT,
        "/api/v1/mentors/x",
        k,
        &[],
        Some(("[1,2]".into(), "application/json")),
    )
    .await
    .assert_problem(422);
    app.send(Method::PUT, "/api/v1/mentors/x", k, &[], None)
        .await
        .assert_problem(400);
    let huge = format!("{{\"notes\": \"{}\"}}", "я".repeat(1_200_000));
    app.send(
        Method::PUT,
        "/api/v1/mentors/x",
        k,
        &[],
        Some((huge, "application/json")),
    )
    .await
    .assert_problem(413);
    // An id outside the id syntax is named, not "not found".
    app.send(Method::GET, "/api/v1/mentors/a%2Fb", k, &[], None)
        .await
        .assert_problem(422);
    app.send(Method::GET, "/api/v1/mentors/%FF%FE", k, &[], None)
        .await
        .assert_problem(422);
    app.send(Method::GET, "/api/v1/mentees?limit=abc", k, &[], None)
        .await
        .assert_problem(422);
    app.send(Method::GET, "/api/v1/mentees?limit=5&limit=6", k, &[], None)
        .await
        .assert_problem(422);
    let reply = app
        .send(
            Method::GET,
            "/api/v1/mentees/x",
            k,
            &[("x-request-id", "trace-42")],
            None,
        )
        .await;
    assert_eq!(reply.header("x-request-id"), Some("trace-42"));
    assert_eq!(reply.body["request_id"], "trace-42");
    let invalid_utf8 = app
        .client
        .put(format!("{}/api/v1/mentors/x", app.base))
        .bearer_auth(&key)
        .header("content-type", "application/json")
        .body(vec![b'{', 0xff, b'}'])
        .send()
        .await
        .expect("answer");
    assert_eq!(invalid_utf8.status(), 400);
}

async fn health_and_metrics_answer_without_a_key(app: &TestApp) {
    let health = app.send(Method::GET, "/health", None, &[], None).await;
    assert_eq!(health.status, 200);
    assert_eq!(health.body["database"], "ok");
    let metrics = app.send(Method::GET, "/metrics", None, &[], None).await;
    assert!(
        metrics
            .text
            .contains("mentor_match_http_requests_total{class=\"2xx\"}")
    );
    assert!(metrics.text.contains("mentor_match_database_up 1"));
    let docs = app.send(Method::GET, "/docs/", None, &[], None).await;
    assert_eq!(docs.status, 200);
    assert!(
        docs.text.contains("swagger"),
        "the docs page is served from the binary"
    );
}

on_both_backends!(
    every_kind_of_bad_request_gets_a_problem_document,
    health_and_metrics_answer_without_a_key,
);
