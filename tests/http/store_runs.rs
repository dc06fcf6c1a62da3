//! The run queue of the store, without a server (so no worker races the
//! test): claims are exclusive, and a run whose instance went silent is
//! taken over.

use crate::common::TestApp;
use mentor_match::store::{self, Actor, RunRecord, Store};
use std::sync::Arc;

async fn queue_contract(store: Arc<dyn Store>) {
    let school = crate::common::fixture_json("school.json");
    let batch = mentor_match::service::import::Batch::from_json(school.to_string().as_bytes())
        .expect("batch");
    let importer = Actor {
        key_id: "test".into(),
        role: "admin".into(),
        origin: None,
    };
    mentor_match::service::import::import(
        store.as_ref(),
        &store::Scope::All,
        batch,
        false,
        &importer,
    )
    .await
    .expect("import");
    let record = RunRecord {
        id: "orphan-run".into(),
        programme_id: "tp-2026".into(),
        organization_id: "school-7".into(),
        status: "queued".into(),
        progress: 0,
        options: r#"{"objective":"total","dry_run":false}"#.into(),
        dry_run: false,
        created_by: "test".into(),
        created_at: "2026-01-01T00:00:00Z".into(),
        started_at: None,
        finished_at: None,
        error: None,
        result: None,
        inputs_of: None,
    };
    let actor = Actor {
        key_id: "test".into(),
        role: "admin".into(),
        origin: None,
    };
    store.create_run(&record, &actor).await.expect("queued");

    let claimed = store
        .claim_run("dead-instance", "1970-01-01T00:00:00Z")
        .await
        .expect("claim")
        .expect("a queued run is claimed");
    assert_eq!(claimed.id, "orphan-run");
    assert_eq!(claimed.status, "running");
    assert!(
        store
            .claim_run("other", "1970-01-01T00:00:00Z")
            .await
            .expect("claim")
            .is_none(),
        "a run with a live claim is not claimed twice"
    );
    // The claimant goes silent: once its heartbeat is older than the cut-off,
    // another instance takes the run over and the first loses it.
    let taken = store
        .claim_run("rescuer", "2999-01-01T00:00:00Z")
        .await
        .expect("claim")
        .expect("taken over");
    assert_eq!(taken.id, "orphan-run");
    assert!(
        !store
            .run_progress("orphan-run", "dead-instance", 500)
            .await
            .expect("progress")
    );
    assert!(
        store
            .run_progress("orphan-run", "rescuer", 500)
            .await
            .expect("progress")
    );
    assert!(
        !store
            .finish_run("orphan-run", "dead-instance", "{}", None, &[])
            .await
            .expect("finish"),
        "a lost run cannot be finished by its old claimant"
    );
    store
        .fail_run("orphan-run", "rescuer", "stopped by the test")
        .await
        .expect("fail");
    let failed = store
        .get_run(&store::Scope::All, "orphan-run")
        .await
        .expect("get")
        .expect("run");
    assert_eq!(failed.status, "failed");
    assert!(
        store
            .claim_run("other", "2999-01-01T00:00:00Z")
            .await
            .expect("claim")
            .is_none(),
        "a failed run is not claimed again"
    );
}

#[tokio::test]
async fn sqlite_run_queue_claims_once_and_takes_over_silent_runs() {
    let dir = tempfile::tempdir().expect("dir");
    let store = store::connect(&format!("sqlite:{}", dir.path().join("q.db").display()))
        .await
        .expect("store");
    queue_contract(store).await;
}

#[tokio::test]
async fn postgres_run_queue_claims_once_and_takes_over_silent_runs() {
    let Some((url, admin_url, name)) = TestApp::postgres_database().await else {
        return;
    };
    let store = store::connect(&url).await.expect("store");
    queue_contract(store.clone()).await;
    drop(store);
    TestApp::drop_postgres(&admin_url, &name).await;
}
