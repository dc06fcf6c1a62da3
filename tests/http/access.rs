//! Keys, roles and scopes: what each caller may see and do.

use crate::common::TestApp;
use mentor_match::service::auth::Role;
use serde_json::json;

/// A second school in the same municipality, with one pupil.
async fn add_second_school(app: &TestApp) {
    let batch = json!({
        "organizations": [{"id": "school-9", "name": "СОШ №9", "kind": "school", "parent_id": "mun-ustk"}],
        "mentees": [{"id": "p-other", "organization_id": "school-9", "full_name": "Соседов Пётр",
                     "kind": "pupil", "grade": 8, "category": "struggling_pupil"}]
    });
    assert_eq!(
        app.import_json(&app.admin.clone(), "", &batch).await.status,
        200
    );
}

async fn a_school_key_never_sees_another_school(app: &TestApp) {
    app.load_school().await;
    add_second_school(app).await;
    let system = app.key(Role::System, Some("school-7")).await;
    app.get_as(&system, "/api/v1/mentees/p-other")
        .await
        .assert_problem(404);
    app.get_as(&system, "/api/v1/organizations/school-9")
        .await
        .assert_problem(404);
    app.get_as(&system, "/api/v1/organizations/mun-ustk")
        .await
        .assert_problem(404);
    let list = app.get_as(&system, "/api/v1/mentees?limit=1000").await;
    let ids: Vec<&str> = list.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|m| m["id"].as_str())
        .collect();
    assert!(!ids.is_empty());
    assert!(!ids.contains(&"p-other"));
    let filtered = app
        .get_as(&system, "/api/v1/mentees?organization_id=school-9")
        .await;
    assert_eq!(filtered.body["items"].as_array().map(Vec::len), Some(0));
    let orgs = app.get_as(&system, "/api/v1/organizations").await;
    let org_ids: Vec<&str> = orgs.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|o| o["id"].as_str())
        .collect();
    assert_eq!(org_ids, ["school-7"]);

    // Writes cannot reach out of scope either, whatever the body says.
    let moved = json!({"organization_id": "school-9", "full_name": "Перебежчик", "kind": "pupil", "category": "gifted"});
    assert_eq!(
        app.put_as(&system, "/api/v1/mentees/p-new", &moved)
            .await
            .assert_problem(422),
        ["organization_id"]
    );
    let overwrite = json!({"organization_id": "school-7", "full_name": "Захват", "kind": "pupil", "category": "gifted"});
    app.put_as(&system, "/api/v1/mentees/p-other", &overwrite)
        .await
        .assert_problem(404);
    assert_eq!(
        app.get("/api/v1/mentees/p-other").await.body["full_name"],
        "Соседов Пётр"
    );
    app.send(
        reqwest::Method::DELETE,
        "/api/v1/mentees/p-other",
        Some(&system),
        &[],
        None,
    )
    .await
    .assert_problem(404);
    let hijack = json!({"organizations": [{"id": "school-9", "name": "Моя", "kind": "school", "parent_id": "school-7"}],
                        "mentees": [{"id": "p-other", "organization_id": "school-7", "full_name": "Захват", "kind": "pupil", "category": "gifted"}]});
    let reply = app.import_json(&system, "", &hijack).await;
    reply.assert_problem(422);
    assert_eq!(
        app.get("/api/v1/organizations/school-9").await.body["name"],
        "СОШ №9"
    );
    let root = json!({"name": "Новый регион", "kind": "region"});
    assert_eq!(
        app.put_as(&system, "/api/v1/organizations/r2", &root)
            .await
            .assert_problem(422),
        ["parent_id"]
    );
}

async fn a_municipality_key_sees_all_its_schools(app: &TestApp) {
    app.load_school().await;
    add_second_school(app).await;
    let curator = app.key(Role::Curator, Some("mun-ustk")).await;
    assert_eq!(
        app.get_as(&curator, "/api/v1/mentees/p-other").await.status,
        200
    );
    assert_eq!(
        app.get_as(&curator, "/api/v1/mentees/t-yakovleva")
            .await
            .status,
        200
    );
    app.get_as(&curator, "/api/v1/organizations/reg-gk")
        .await
        .assert_problem(404);
}

async fn roles_without_the_right_get_403(app: &TestApp) {
    app.load_school().await;
    let analyst = app.key(Role::Analyst, None).await;
    let curator = app.key(Role::Curator, Some("school-7")).await;
    app.get_as(&analyst, "/api/v1/mentees/t-yakovleva")
        .await
        .assert_problem(403);
    app.get_as(&analyst, "/api/v1/mentors")
        .await
        .assert_problem(403);
    assert_eq!(app.get_as(&analyst, "/api/v1/programmes").await.status, 200);
    let body = json!({"organization_id": "school-7", "full_name": "X", "kind": "teacher"});
    app.put_as(&curator, "/api/v1/mentors/x", &body)
        .await
        .assert_problem(403);
    app.import_json(&curator, "", &json!({}))
        .await
        .assert_problem(403);
    app.put_as(
        &analyst,
        "/api/v1/organizations/x",
        &json!({"name": "x", "kind": "region"}),
    )
    .await
    .assert_problem(403);
    assert_eq!(
        app.get_as(&curator, "/api/v1/mentees/t-yakovleva")
            .await
            .status,
        200
    );
}

async fn forged_revoked_and_expired_keys_are_refused(app: &TestApp) {
    app.load_school().await;
    let long = format!("mm_{}", "x".repeat(500));
    for key in ["", "mm_", "mm_abc_def", "Basic dXNlcjpwYXNz", long.as_str()] {
        let reply = app.get_as(key, "/api/v1/mentees").await;
        reply.assert_problem(401);
    }
    let no_key = app
        .send(reqwest::Method::GET, "/api/v1/mentees", None, &[], None)
        .await;
    no_key.assert_problem(401);
    assert_eq!(no_key.header("www-authenticate"), Some("Bearer"));

    let (record, secret) =
        mentor_match::service::auth::create_key(app.store.as_ref(), Role::System, None, None, None)
            .await
            .expect("key");
    assert_eq!(
        app.get_as(secret.expose(), "/api/v1/mentees").await.status,
        200
    );
    assert!(
        app.store
            .revoke_key(&record.id, "2026-11-25T00:00:00Z")
            .await
            .expect("revoke")
    );
    app.get_as(secret.expose(), "/api/v1/mentees")
        .await
        .assert_problem(401);

    let past = time::OffsetDateTime::now_utc() - time::Duration::hours(1);
    let (_, expired) = mentor_match::service::auth::create_key(
        app.store.as_ref(),
        Role::Admin,
        None,
        None,
        Some(past),
    )
    .await
    .expect("key");
    app.get_as(expired.expose(), "/api/v1/mentees")
        .await
        .assert_problem(401);
}

async fn keys_are_stored_only_as_hashes(app: &TestApp) {
    let keys = app.store.list_keys().await.expect("keys");
    assert!(!keys.is_empty());
    let listed = format!("{keys:?}");
    assert!(
        !listed.contains(&app.admin),
        "a listing must never hold a secret"
    );
    let (record, _) = app
        .store
        .find_key(&mentor_match::service::auth::hash_key(&app.admin))
        .await
        .expect("find")
        .expect("by hash");
    assert!(app.admin.contains(&record.id));
}

on_both_backends!(
    a_school_key_never_sees_another_school,
    a_municipality_key_sees_all_its_schools,
    roles_without_the_right_get_403,
    forged_revoked_and_expired_keys_are_refused,
    keys_are_stored_only_as_hashes,
);
