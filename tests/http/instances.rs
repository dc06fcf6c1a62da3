//! Several stateless instances over one database.

use crate::common::TestApp;
use serde_json::json;

async fn two_instances_share_one_database_and_never_lose_an_update(app: &TestApp) {
    app.load_school().await;
    let other = app.second_instance().await;
    let path = "/api/v1/mentors/t-nikitina";
    let read = app.get(path).await;
    let etag = read.header("etag").expect("etag").to_owned();

    // Both instances answer for the same data.
    let via_other = app
        .client
        .get(format!("{other}{path}"))
        .bearer_auth(&app.admin)
        .send()
        .await
        .expect("answer");
    assert_eq!(
        via_other
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok()),
        Some(etag.as_str())
    );

    // Ten writers, half on each instance, all based on the same read:
    // exactly one wins, the others get 412.
    let mut tasks = Vec::new();
    for i in 0..10 {
        let base = if i % 2 == 0 {
            app.base.clone()
        } else {
            other.clone()
        };
        let mut body = read.body.clone();
        body["capacity"] = json!(i % 3 + 1);
        body["notes"] = json!(format!("правка {i}"));
        let request = app
            .client
            .put(format!("{base}{path}"))
            .bearer_auth(&app.admin)
            .header("if-match", etag.clone())
            .json(&body);
        tasks.push(tokio::spawn(async move {
            request.send().await.expect("answer").status().as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.expect("task"));
    }
    statuses.sort();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 412).count(),
        9,
        "{statuses:?}"
    );
}

on_both_backends!(two_instances_share_one_database_and_never_lose_an_update);
