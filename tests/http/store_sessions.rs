//! The session store methods on both databases.

use crate::common::TestApp;
use mentor_match::service::auth::{self, Role};
use mentor_match::store::SessionRecord;

fn session(hash: &str, key_id: &str, last_seen: &str, expires: &str) -> SessionRecord {
    SessionRecord {
        hash: hash.to_owned(),
        key_id: key_id.to_owned(),
        csrf: format!("csrf-{hash}"),
        created_at: "2026-09-01T08:00:00Z".to_owned(),
        last_seen_at: last_seen.to_owned(),
        expires_at: expires.to_owned(),
    }
}

async fn sessions_are_stored_found_with_their_key_touched_and_deleted(app: &TestApp) {
    app.load_school().await;
    let store = app.store.as_ref();
    let (key, _) = auth::create_key(store, Role::Curator, Some("school-7"), None, None)
        .await
        .expect("key");
    let s = session(
        "h1",
        &key.id,
        "2026-09-01T08:00:00Z",
        "2026-09-01T20:00:00Z",
    );
    store.insert_session(&s).await.expect("insert");
    assert!(
        store.insert_session(&s).await.is_err(),
        "a hash is stored once"
    );
    let (found, found_key, path) = store
        .find_session("h1")
        .await
        .expect("find")
        .expect("there");
    assert_eq!(found, s);
    assert_eq!(found_key, key);
    assert_eq!(path.as_deref(), Some("/reg-gk/mun-ustk/school-7/"));
    assert!(store.find_session("h2").await.expect("find").is_none());

    store
        .touch_session("h1", "2026-09-01T09:00:00Z")
        .await
        .expect("touch");
    let (touched, _, _) = store
        .find_session("h1")
        .await
        .expect("find")
        .expect("there");
    assert_eq!(touched.last_seen_at, "2026-09-01T09:00:00Z");

    // A revoked key still finds its sessions: the service refuses them.
    store
        .revoke_key(&key.id, "2026-09-01T10:00:00Z")
        .await
        .expect("revoke");
    let (_, revoked, _) = store
        .find_session("h1")
        .await
        .expect("find")
        .expect("there");
    assert!(revoked.revoked_at.is_some());

    assert!(store.delete_session("h1").await.expect("delete"));
    assert!(!store.delete_session("h1").await.expect("delete"));
    assert!(store.find_session("h1").await.expect("find").is_none());
}

async fn expired_and_idle_sessions_are_swept(app: &TestApp) {
    let store = app.store.as_ref();
    let (key, _) = auth::create_key(store, Role::Admin, None, None, None)
        .await
        .expect("key");
    for s in [
        session(
            "idle",
            &key.id,
            "2026-09-01T01:00:00Z",
            "2026-09-02T00:00:00Z",
        ),
        session(
            "over",
            &key.id,
            "2026-09-01T11:00:00Z",
            "2026-09-01T11:30:00Z",
        ),
        session(
            "live",
            &key.id,
            "2026-09-01T11:00:00Z",
            "2026-09-01T20:00:00Z",
        ),
    ] {
        store.insert_session(&s).await.expect("insert");
    }
    let swept = store
        .delete_expired_sessions("2026-09-01T04:00:00Z", "2026-09-01T12:00:00Z")
        .await
        .expect("sweep");
    assert_eq!(swept, 2);
    assert!(store.find_session("live").await.expect("find").is_some());
    assert!(store.find_session("idle").await.expect("find").is_none());
    assert!(store.find_session("over").await.expect("find").is_none());
}

on_both_backends!(
    sessions_are_stored_found_with_their_key_touched_and_deleted,
    expired_and_idle_sessions_are_swept,
);
