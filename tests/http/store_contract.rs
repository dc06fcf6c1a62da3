//! The store's contract: every method of every store trait, driven on
//! SQLite and (with `TEST_DATABASE_URL`) on PostgreSQL, with the same
//! assertions. The stores run without a server, so no worker claims the
//! runs these scenarios queue.

use crate::common::TestApp;
use mentor_match::store::{
    self, Actor, Document, DocumentFilter, EventFilter, ExistingRow, FeedbackRecord, ImportWrite,
    KeyRecord, NewKey, OrganizationFilter, OrganizationRow, PageRequest, PairClosing, PairFilter,
    PairRequest, Preconditions, ProposalRecord, RunRecord, Scope, Store, StoreError, Table,
    WriteOutcome,
};

/// Declares each scenario `async fn name(store: &dyn Store)` as two tests,
/// `sqlite::name` and `postgres::name`, each over a new database.
macro_rules! store_contract {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let dir = tempfile::tempdir().expect("temp dir");
                    let url = format!("sqlite:{}", dir.path().join("contract.db").display());
                    let store = mentor_match::store::connect(&url).await.expect("store");
                    super::$name(store.as_ref()).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some((url, admin_url, name)) = super::TestApp::postgres_database().await
                    else {
                        return;
                    };
                    let store = mentor_match::store::connect(&url).await.expect("store");
                    super::$name(store.as_ref()).await;
                    drop(store);
                    super::TestApp::drop_postgres(&admin_url, &name).await;
                }
            )*
        }
    };
}

store_contract!(
    the_database_answers_and_migrating_again_changes_nothing,
    keys_are_found_by_hash_listed_and_revoked_once,
    organisations_are_written_read_listed_and_deleted_under_their_entity_tags,
    documents_are_written_read_listed_and_deleted_within_the_callers_scope,
    documents_are_looked_up_by_id_whatever_the_scope,
    programmes_above_a_school_are_those_of_its_ancestors,
    an_import_applies_all_its_writes_or_none,
    runs_are_queued_claimed_once_finished_and_listed_newest_first,
    a_failed_run_keeps_its_error_and_is_not_claimed_again,
    matching_data_holds_the_programme_its_people_and_what_rules_them_out,
    pairs_are_made_listed_read_and_closed_once,
    a_rejected_proposal_is_never_paired_by_hand_without_an_override,
    erasure_replaces_a_person_everywhere_by_a_pseudonym,
    a_secret_is_made_on_first_use_and_kept,
    feedback_and_weights_are_recorded_listed_and_reported,
    audit_events_are_filtered_and_paged_newest_first,
);

fn actor() -> Actor {
    Actor {
        key_id: "contract".into(),
        role: "admin".into(),
        origin: Some("127.0.0.1".into()),
    }
}

fn page(limit: u32, after: Option<&str>) -> PageRequest {
    PageRequest {
        limit,
        after: after.map(str::to_owned),
    }
}

fn org(id: &str, parent: Option<&str>, kind: &str) -> OrganizationRow {
    OrganizationRow {
        id: id.into(),
        parent_id: parent.map(str::to_owned),
        kind: kind.into(),
        doc: format!(r#"{{"id":"{id}","kind":"{kind}"}}"#),
    }
}

fn mentor_doc(id: &str, organization: &str, doc: &str) -> Document {
    Document {
        table: Table::Mentors,
        id: id.into(),
        organization_id: organization.into(),
        kind: "teacher".into(),
        labels: "|math|".into(),
        doc: doc.into(),
    }
}

/// Writes a changed mentee profile as it is.
async fn rewrite_mentee(store: &dyn Store, doc: &serde_json::Value) {
    let document = Document {
        table: Table::Mentees,
        id: doc["id"].as_str().expect("id").into(),
        organization_id: doc["organization_id"]
            .as_str()
            .expect("organisation")
            .into(),
        kind: "student".into(),
        labels: "||".into(),
        doc: doc.to_string(),
    };
    store
        .put_document(&Scope::All, &document, &Preconditions::none())
        .await
        .expect("written");
}

fn under(organization_id: &str, path: &str) -> Scope {
    Scope::Under {
        organization_id: organization_id.into(),
        path: path.into(),
    }
}

/// Two schools under one municipality under one region.
async fn tree(store: &dyn Store) {
    for row in [
        org("reg", None, "region"),
        org("mun", Some("reg"), "municipality"),
        org("s1", Some("mun"), "school"),
        org("s2", Some("mun"), "school"),
    ] {
        let (outcome, _) = store
            .put_organization(&Scope::All, &row, &Preconditions::none())
            .await
            .expect("organisation written");
        assert_eq!(outcome, WriteOutcome::Created);
    }
}

/// The school fixture, imported as the service imports it.
async fn school(store: &dyn Store) {
    let school = crate::common::fixture_json("school.json");
    let batch = mentor_match::service::import::Batch::from_json(school.to_string().as_bytes())
        .expect("batch");
    mentor_match::service::import::import(store, &Scope::All, batch, false, &actor())
        .await
        .expect("import");
}

fn run(id: &str, created_at: &str, dry_run: bool) -> RunRecord {
    RunRecord {
        id: id.into(),
        programme_id: "tt-2026".into(),
        organization_id: "school-7".into(),
        status: "queued".into(),
        progress: 0,
        options: r#"{"objective":"total"}"#.into(),
        dry_run,
        created_by: "contract".into(),
        created_at: created_at.into(),
        started_at: None,
        finished_at: None,
        error: None,
        result: None,
        inputs_of: None,
    }
}

fn proposal(id: &str, run_id: &str, mentor: &str, mentees: &[&str]) -> ProposalRecord {
    ProposalRecord {
        id: id.into(),
        run_id: run_id.into(),
        programme_id: "tt-2026".into(),
        mentor_id: mentor.into(),
        mentee_ids: mentees.iter().map(|m| (*m).to_owned()).collect(),
        status: "proposed".into(),
        doc: format!(r#"{{"score":0.5,"mentor":"{mentor}"}}"#),
        decided_by: None,
        decided_at: None,
        reason: None,
    }
}

/// Queues, claims and finishes a run of `tt-2026` with these proposals.
async fn finished_run(store: &dyn Store, id: &str, dry_run: bool, proposals: &[ProposalRecord]) {
    store
        .create_run(&run(id, "2026-09-01T00:00:00Z", dry_run), &actor())
        .await
        .expect("queued");
    let claimed = store
        .claim_run("instance-a", "1970-01-01T00:00:00Z")
        .await
        .expect("claim")
        .expect("the queued run");
    assert_eq!(claimed.id, id);
    let finished = store
        .finish_run(
            id,
            "instance-a",
            r#"{"unmatched":[{"mentee_id":"t-yakovleva"}]}"#,
            Some("{}"),
            proposals,
        )
        .await
        .expect("finish");
    assert!(finished);
}

fn hand_pair(mentor: &str, mentees: &[&str]) -> PairRequest {
    PairRequest {
        programme_id: "tt-2026".into(),
        mentor_id: mentor.into(),
        mentee_ids: mentees.iter().map(|m| (*m).to_owned()).collect(),
        started_on: "2026-09-15".into(),
        snapshot: None,
        proposal_id: None,
        override_rejection: None,
    }
}

async fn the_database_answers_and_migrating_again_changes_nothing(store: &dyn Store) {
    store.ping().await.expect("ping");
    store
        .migrate()
        .await
        .expect("a second migration is a no-op");
    store.ping().await.expect("ping after migrating");
}

async fn keys_are_found_by_hash_listed_and_revoked_once(store: &dyn Store) {
    tree(store).await;
    let record = |id: &str, org: Option<&str>, at: &str| KeyRecord {
        id: id.into(),
        role: if org.is_some() { "curator" } else { "admin" }.into(),
        organization_id: org.map(str::to_owned),
        label: Some(format!("key {id}")),
        created_at: at.into(),
        expires_at: None,
        revoked_at: None,
    };
    let admin = record("k-admin", None, "2026-01-01T00:00:00Z");
    let curator = record("k-curator", Some("s1"), "2026-02-01T00:00:00Z");
    for (key, hash) in [(&admin, "hash-admin"), (&curator, "hash-curator")] {
        store
            .insert_key(&NewKey {
                record: key.clone(),
                hash: hash.into(),
            })
            .await
            .expect("key stored");
    }

    let (found, path) = store
        .find_key("hash-curator")
        .await
        .expect("find")
        .expect("the curator key");
    assert_eq!(found, curator);
    assert_eq!(path.as_deref(), Some("/reg/mun/s1/"));
    let (found, path) = store
        .find_key("hash-admin")
        .await
        .expect("find")
        .expect("the admin key");
    assert_eq!(found, admin);
    assert_eq!(path, None, "an unscoped key has no organisation path");
    assert!(
        store
            .find_key("no-such-hash")
            .await
            .expect("find")
            .is_none()
    );

    let listed: Vec<String> = store
        .list_keys()
        .await
        .expect("list")
        .into_iter()
        .map(|k| k.id)
        .collect();
    assert_eq!(listed, ["k-curator", "k-admin"], "newest first");

    assert!(
        store
            .revoke_key("k-curator", "2026-03-01T00:00:00Z")
            .await
            .expect("revoke")
    );
    assert!(
        store
            .revoke_key("k-curator", "2026-04-01T00:00:00Z")
            .await
            .expect("revoke again"),
        "revoking twice still finds the key"
    );
    let (revoked, _) = store
        .find_key("hash-curator")
        .await
        .expect("find")
        .expect("still stored");
    assert_eq!(
        revoked.revoked_at.as_deref(),
        Some("2026-03-01T00:00:00Z"),
        "the first revocation time stands"
    );
    assert!(
        !store
            .revoke_key("k-none", "2026-03-01T00:00:00Z")
            .await
            .expect("revoke")
    );
}

async fn organisations_are_written_read_listed_and_deleted_under_their_entity_tags(
    store: &dyn Store,
) {
    tree(store).await;
    let nodes = store.organization_nodes(&Scope::All).await.expect("nodes");
    let paths: Vec<&str> = nodes.iter().map(|n| n.path.as_str()).collect();
    assert_eq!(
        paths,
        ["/reg/", "/reg/mun/", "/reg/mun/s1/", "/reg/mun/s2/"]
    );
    let in_s1 = store
        .organization_nodes(&under("s1", "/reg/mun/s1/"))
        .await
        .expect("nodes");
    assert_eq!(in_s1.len(), 1);
    assert_eq!(in_s1[0].parent_id.as_deref(), Some("mun"));
    assert_eq!(in_s1[0].kind, "school");

    let s1 = store
        .get_organization(&Scope::All, "s1")
        .await
        .expect("get")
        .expect("s1");
    assert_eq!(s1.doc, org("s1", Some("mun"), "school").doc);
    assert_eq!(s1.etag, store::content_etag(&s1.doc));
    assert!(
        store
            .get_organization(&under("s2", "/reg/mun/s2/"), "s1")
            .await
            .expect("get")
            .is_none(),
        "a sibling school is out of scope"
    );

    let (outcome, etag) = store
        .put_organization(
            &Scope::All,
            &org("s1", Some("mun"), "school"),
            &Preconditions::none(),
        )
        .await
        .expect("same content");
    assert_eq!(
        (outcome, etag.as_str()),
        (WriteOutcome::Unchanged, s1.etag.as_str())
    );
    let mut renamed = org("s1", Some("mun"), "school");
    renamed.doc = r#"{"id":"s1","kind":"school","name":"Школа №1"}"#.into();
    let stale = store
        .put_organization(&Scope::All, &renamed, &Preconditions::pinned(Some("stale")))
        .await;
    assert!(matches!(stale, Err(StoreError::PreconditionFailed { current }) if current == s1.etag));
    let (outcome, new_etag) = store
        .put_organization(
            &Scope::All,
            &renamed,
            &Preconditions::pinned(Some(&s1.etag)),
        )
        .await
        .expect("If-Match holds");
    assert_eq!(outcome, WriteOutcome::Updated);
    assert_ne!(new_etag, s1.etag);
    let orphan = store
        .put_organization(
            &Scope::All,
            &org("x", Some("nowhere"), "school"),
            &Preconditions::none(),
        )
        .await;
    assert!(matches!(orphan, Err(StoreError::Invalid(_))), "{orphan:?}");

    let first = store
        .list_organizations(&Scope::All, &OrganizationFilter::default(), &page(2, None))
        .await
        .expect("page 1");
    let ids: Vec<&str> = first.items.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["mun", "reg"]);
    let second = store
        .list_organizations(
            &Scope::All,
            &OrganizationFilter::default(),
            &page(2, first.next.as_deref()),
        )
        .await
        .expect("page 2");
    let ids: Vec<&str> = second.items.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["s1", "s2"]);
    assert_eq!(second.next, None);
    let children = store
        .list_organizations(
            &Scope::All,
            &OrganizationFilter {
                parent_id: Some("mun".into()),
                kind: Some("school".into()),
            },
            &page(10, None),
        )
        .await
        .expect("children");
    assert_eq!(children.items.len(), 2);

    let busy = store.delete_organization(&Scope::All, "mun", None).await;
    assert!(
        matches!(busy, Err(StoreError::Conflict(_))),
        "it has schools: {busy:?}"
    );
    let stale = store
        .delete_organization(&Scope::All, "s2", Some("\"stale\""))
        .await;
    assert!(
        matches!(stale, Err(StoreError::PreconditionFailed { .. })),
        "{stale:?}"
    );
    let s2 = store
        .get_organization(&Scope::All, "s2")
        .await
        .expect("get")
        .expect("s2");
    store
        .delete_organization(&Scope::All, "s2", Some(&format!("\"{}\"", s2.etag)))
        .await
        .expect("deleted");
    assert!(
        store
            .get_organization(&Scope::All, "s2")
            .await
            .expect("get")
            .is_none()
    );
    let gone = store.delete_organization(&Scope::All, "s2", None).await;
    assert!(matches!(gone, Err(StoreError::NotFound)), "{gone:?}");
}

async fn documents_are_written_read_listed_and_deleted_within_the_callers_scope(store: &dyn Store) {
    tree(store).await;
    let s1 = under("s1", "/reg/mun/s1/");
    for (id, school) in [("m1", "s1"), ("m2", "s2"), ("m3", "s1")] {
        let (outcome, etag) = store
            .put_document(
                &Scope::All,
                &mentor_doc(id, school, &format!(r#"{{"id":"{id}"}}"#)),
                &Preconditions::none(),
            )
            .await
            .expect("written");
        assert_eq!(outcome, WriteOutcome::Created);
        assert_eq!(etag, store::content_etag(&format!(r#"{{"id":"{id}"}}"#)));
    }
    let outside = store
        .put_document(&s1, &mentor_doc("m4", "s2", "{}"), &Preconditions::none())
        .await;
    assert!(
        outside.is_err(),
        "a school's key cannot write into another school"
    );

    let m1 = store
        .get_document(&s1, Table::Mentors, "m1")
        .await
        .expect("get")
        .expect("m1 is in scope");
    assert_eq!(m1.doc, r#"{"id":"m1"}"#);
    assert!(
        store
            .get_document(&s1, Table::Mentors, "m2")
            .await
            .expect("get")
            .is_none()
    );
    assert!(
        store
            .get_document(&Scope::All, Table::Mentees, "m1")
            .await
            .expect("get")
            .is_none(),
        "the banks are apart"
    );

    let listed = store
        .list_documents(
            &s1,
            Table::Mentors,
            &DocumentFilter::default(),
            &page(1, None),
        )
        .await
        .expect("page 1");
    assert_eq!(listed.items[0].id, "m1");
    let rest = store
        .list_documents(
            &s1,
            Table::Mentors,
            &DocumentFilter::default(),
            &page(1, listed.next.as_deref()),
        )
        .await
        .expect("page 2");
    let ids: Vec<&str> = rest.items.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["m3"]);
    assert_eq!(rest.next, None);
    let filtered = store
        .list_documents(
            &Scope::All,
            Table::Mentors,
            &DocumentFilter {
                organization_id: Some("s2".into()),
                kind: Some("teacher".into()),
                label: Some("math".into()),
            },
            &page(10, None),
        )
        .await
        .expect("filtered");
    let ids: Vec<&str> = filtered.items.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["m2"]);

    let (outcome, etag) = store
        .put_document(
            &s1,
            &mentor_doc("m1", "s1", r#"{"id":"m1","v":2}"#),
            &Preconditions::pinned(Some(&m1.etag)),
        )
        .await
        .expect("If-Match holds");
    assert_eq!(outcome, WriteOutcome::Updated);
    let stale = store
        .put_document(
            &s1,
            &mentor_doc("m1", "s1", r#"{"id":"m1","v":3}"#),
            &Preconditions::pinned(Some(&m1.etag)),
        )
        .await;
    assert!(matches!(stale, Err(StoreError::PreconditionFailed { current }) if current == etag));
    let exists = store
        .put_document(
            &s1,
            &mentor_doc("m1", "s1", "{}"),
            &Preconditions::pinned(None),
        )
        .await;
    assert!(
        matches!(exists, Err(StoreError::PreconditionFailed { .. })),
        "If-None-Match: *"
    );

    let stale = store
        .delete_document(&s1, Table::Mentors, "m1", Some("\"stale\""))
        .await;
    assert!(
        matches!(stale, Err(StoreError::PreconditionFailed { .. })),
        "{stale:?}"
    );
    store
        .delete_document(&s1, Table::Mentors, "m1", Some(&format!("\"{etag}\"")))
        .await
        .expect("deleted");
    assert!(
        store
            .get_document(&s1, Table::Mentors, "m1")
            .await
            .expect("get")
            .is_none()
    );
    let hidden = store.delete_document(&s1, Table::Mentors, "m2", None).await;
    assert!(matches!(hidden, Err(StoreError::NotFound)), "{hidden:?}");
}

async fn documents_are_looked_up_by_id_whatever_the_scope(store: &dyn Store) {
    tree(store).await;
    for (id, school) in [("m1", "s1"), ("m2", "s2")] {
        store
            .put_document(
                &Scope::All,
                &mentor_doc(id, school, "{}"),
                &Preconditions::none(),
            )
            .await
            .expect("written");
    }
    let ids = ["m1".to_owned(), "m2".to_owned(), "m9".to_owned()];
    let mut existing = store
        .existing_rows(Table::Mentors, &ids)
        .await
        .expect("existing");
    existing.sort_by(|a, b| a.0.cmp(&b.0));
    let etag = store::content_etag("{}");
    assert_eq!(
        existing,
        [
            (
                "m1".to_owned(),
                ExistingRow {
                    etag: etag.clone(),
                    path: "/reg/mun/s1/".into()
                }
            ),
            (
                "m2".to_owned(),
                ExistingRow {
                    etag: etag.clone(),
                    path: "/reg/mun/s2/".into()
                }
            ),
        ]
    );
    let mut found = store
        .documents_by_ids(Table::Mentors, &ids)
        .await
        .expect("by ids");
    found.sort_by(|a, b| a.id.cmp(&b.id));
    let found: Vec<(&str, &str)> = found
        .iter()
        .map(|s| (s.id.as_str(), s.etag.as_str()))
        .collect();
    assert_eq!(found, [("m1", etag.as_str()), ("m2", etag.as_str())]);
    assert!(
        store
            .documents_by_ids(Table::Mentees, &ids)
            .await
            .expect("by ids")
            .is_empty()
    );
}

async fn programmes_above_a_school_are_those_of_its_ancestors(store: &dyn Store) {
    tree(store).await;
    for (id, anchor) in [
        ("p-reg", "reg"),
        ("p-mun", "mun"),
        ("p-s1", "s1"),
        ("p-s2", "s2"),
    ] {
        store
            .put_document(
                &Scope::All,
                &Document {
                    table: Table::Programmes,
                    id: id.into(),
                    organization_id: anchor.into(),
                    kind: "teacher_teacher".into(),
                    labels: String::new(),
                    doc: format!(r#"{{"id":"{id}"}}"#),
                },
                &Preconditions::none(),
            )
            .await
            .expect("programme written");
    }
    let above: Vec<String> = store
        .programmes_above("/reg/mun/s1/")
        .await
        .expect("above")
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(
        above,
        ["p-mun", "p-reg"],
        "ancestors only, by id; not the school's own"
    );
    assert!(
        store
            .programmes_above("/reg/")
            .await
            .expect("above")
            .is_empty()
    );
}

async fn an_import_applies_all_its_writes_or_none(store: &dyn Store) {
    let good = [
        ImportWrite::Organization(org("reg", None, "region")),
        ImportWrite::Organization(org("s1", Some("reg"), "school")),
        ImportWrite::Document(mentor_doc("m1", "s1", "{}")),
    ];
    store.apply_import(&good).await.expect("applied");
    assert!(
        store
            .get_document(&Scope::All, Table::Mentors, "m1")
            .await
            .expect("get")
            .is_some()
    );

    let bad = [
        ImportWrite::Document(mentor_doc("m2", "s1", "{}")),
        ImportWrite::Organization(org("s9", Some("nowhere"), "school")),
    ];
    assert!(store.apply_import(&bad).await.is_err());
    assert!(
        store
            .get_document(&Scope::All, Table::Mentors, "m2")
            .await
            .expect("get")
            .is_none(),
        "the write before the failing one was rolled back"
    );
}

async fn runs_are_queued_claimed_once_finished_and_listed_newest_first(store: &dyn Store) {
    school(store).await;
    let school7 = under("school-7", "/reg-gk/mun-ustk/school-7/");
    let college = under("college-ped", "/reg-gk/mun-ustk/college-ped/");
    store
        .create_run(&run("run-1", "2026-09-01T00:00:00Z", false), &actor())
        .await
        .expect("queued");
    store
        .create_run(&run("run-2", "2026-09-02T00:00:00Z", true), &actor())
        .await
        .expect("queued");
    let queued = store
        .get_run(&school7, "run-1")
        .await
        .expect("get")
        .expect("run-1");
    assert_eq!(queued, run("run-1", "2026-09-01T00:00:00Z", false));
    assert!(
        store
            .get_run(&college, "run-1")
            .await
            .expect("get")
            .is_none()
    );

    let claimed = store
        .claim_run("instance-a", "1970-01-01T00:00:00Z")
        .await
        .expect("claim")
        .expect("the oldest queued run");
    assert_eq!(
        (claimed.id.as_str(), claimed.status.as_str()),
        ("run-1", "running")
    );
    assert!(claimed.started_at.is_some());
    assert!(
        store
            .run_progress("run-1", "instance-a", 400)
            .await
            .expect("progress")
    );
    assert!(
        !store
            .run_progress("run-1", "instance-b", 500)
            .await
            .expect("progress")
    );
    let running = store
        .get_run(&Scope::All, "run-1")
        .await
        .expect("get")
        .expect("run-1");
    assert_eq!(running.progress, 400);
    assert_eq!(
        store
            .run_scores(&Scope::All, "run-1")
            .await
            .expect("scores"),
        None
    );

    let proposals = [
        proposal("pr-1", "run-1", "t-ivanova", &["t-yakovleva"]),
        proposal("pr-2", "run-1", "t-petrov", &["t-egorov", "t-sergeeva"]),
    ];
    assert!(
        !store
            .finish_run("run-1", "instance-b", "{}", None, &proposals)
            .await
            .expect("finish"),
        "only the claimant finishes"
    );
    assert!(
        store
            .finish_run(
                "run-1",
                "instance-a",
                r#"{"pairs":1}"#,
                Some(r#"{"version":1}"#),
                &proposals
            )
            .await
            .expect("finish")
    );
    let done = store
        .get_run(&Scope::All, "run-1")
        .await
        .expect("get")
        .expect("run-1");
    assert_eq!(done.status, "done");
    assert_eq!(done.progress, 1000);
    assert_eq!(done.result.as_deref(), Some(r#"{"pairs":1}"#));
    assert!(done.finished_at.is_some());
    // The run keeps its inputs, not a matrix: the matrix is derived.
    assert_eq!(
        store.run_scores(&school7, "run-1").await.expect("scores"),
        None
    );
    assert_eq!(
        store.run_inputs("run-1").await.expect("inputs").as_deref(),
        Some(r#"{"version":1}"#)
    );
    let hidden = store.run_scores(&college, "run-1").await;
    assert!(matches!(hidden, Err(StoreError::NotFound)), "{hidden:?}");

    assert_eq!(
        store.run_proposals("run-1").await.expect("proposals"),
        proposals
    );
    let (found, its_run) = store
        .get_proposal(&school7, "pr-2")
        .await
        .expect("get")
        .expect("pr-2");
    assert_eq!(found, proposals[1]);
    assert_eq!(found.mentee_ids, ["t-egorov", "t-sergeeva"]);
    assert_eq!(its_run, done);
    assert!(
        store
            .get_proposal(&college, "pr-2")
            .await
            .expect("get")
            .is_none()
    );

    let (first, next) = store
        .list_runs(&school7, "tt-2026", &page(1, None))
        .await
        .expect("page 1");
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].id, "run-2", "newest first");
    assert!(first[0].dry_run);
    let (rest, next) = store
        .list_runs(&school7, "tt-2026", &page(1, next.as_deref()))
        .await
        .expect("page 2");
    assert_eq!(rest[0].id, "run-1");
    assert_eq!(next, None);
    let (none, _) = store
        .list_runs(&college, "tt-2026", &page(10, None))
        .await
        .expect("out of scope");
    assert!(none.is_empty());
}

async fn a_failed_run_keeps_its_error_and_is_not_claimed_again(store: &dyn Store) {
    school(store).await;
    store
        .create_run(&run("run-f", "2026-09-01T00:00:00Z", false), &actor())
        .await
        .expect("queued");
    store
        .claim_run("instance-a", "1970-01-01T00:00:00Z")
        .await
        .expect("claim")
        .expect("claimed");
    store
        .fail_run("run-f", "instance-a", "no programme")
        .await
        .expect("failed");
    let failed = store
        .get_run(&Scope::All, "run-f")
        .await
        .expect("get")
        .expect("run");
    assert_eq!(failed.status, "failed");
    assert_eq!(failed.error.as_deref(), Some("no programme"));
    assert!(
        store
            .claim_run("instance-b", "2999-01-01T00:00:00Z")
            .await
            .expect("claim")
            .is_none()
    );
}

async fn matching_data_holds_the_programme_its_people_and_what_rules_them_out(store: &dyn Store) {
    school(store).await;
    let empty = store
        .matching_data("no-such-programme")
        .await
        .expect("data");
    assert!(empty.programme.is_none() && empty.mentors.is_empty());

    let pairs = store
        .make_pairs(&hand_pair("t-ivanova", &["t-yakovleva"]), &actor())
        .await
        .expect("paired");
    store
        .make_pairs(&hand_pair("t-petrov", &["t-egorov"]), &actor())
        .await
        .expect("paired");
    store
        .close_pair(
            &Scope::All,
            &pairs[0].id,
            &PairClosing {
                status: "completed".into(),
                reason: None,
                note: None,
                ended_on: "2027-05-31".into(),
            },
            &actor(),
        )
        .await
        .expect("completed");
    finished_run(
        store,
        "run-x",
        false,
        &[proposal("pr-x", "run-x", "t-smirnova", &["t-nikitina"])],
    )
    .await;
    store
        .reject_proposal(&Scope::All, "pr-x", "not a fit", &actor())
        .await
        .expect("rejected");

    let data = store.matching_data("tt-2026").await.expect("data");
    let programme = data.programme.expect("the programme");
    assert_eq!(programme.id, "tt-2026");
    assert_eq!(programme.etag, store::content_etag(&programme.doc));
    assert_eq!(data.organizations.len(), 5);
    assert!(data.mentors.iter().any(|m| m.id == "t-ivanova"));
    assert!(data.mentees.iter().any(|m| m.id == "t-yakovleva"));
    assert!(
        data.mentors.iter().all(|m| m.id != "s-belova"),
        "college mentors are not under the school"
    );
    assert_eq!(
        data.active_pairs,
        [(
            "tt-2026".to_owned(),
            "t-petrov".to_owned(),
            "t-egorov".to_owned()
        )]
    );
    assert_eq!(
        data.exclusions,
        [("t-smirnova".to_owned(), "t-nikitina".to_owned())]
    );
    assert_eq!(data.completed_mentees, ["t-yakovleva"]);
    assert!(data.moved_mentees.is_empty());
    assert!(data.departed_mentors.is_empty());
}

async fn pairs_are_made_listed_read_and_closed_once(store: &dyn Store) {
    school(store).await;
    let school7 = under("school-7", "/reg-gk/mun-ustk/school-7/");
    let college = under("college-ped", "/reg-gk/mun-ustk/college-ped/");
    let group = store
        .make_pairs(
            &hand_pair("t-ivanova", &["t-yakovleva", "t-egorov"]),
            &actor(),
        )
        .await
        .expect("a group of two");
    assert_eq!(group.len(), 2);
    assert_eq!(group[0].group_id, group[1].group_id);
    assert!(
        group
            .iter()
            .all(|p| p.status == "active" && p.proposal_id.is_none())
    );
    assert!(
        group
            .iter()
            .all(|p| p.organization_id == "school-7" && p.started_on == "2026-09-15")
    );
    let again = store
        .make_pairs(&hand_pair("t-petrov", &["t-egorov"]), &actor())
        .await;
    assert!(
        matches!(again, Err(StoreError::Conflict(_))),
        "already paired: {again:?}"
    );
    let full = store
        .make_pairs(
            &hand_pair("t-ivanova", &["t-sergeeva", "t-nikitina"]),
            &actor(),
        )
        .await;
    assert!(
        matches!(full, Err(StoreError::Conflict(_))),
        "three places: {full:?}"
    );

    finished_run(
        store,
        "run-p",
        false,
        &[proposal("pr-p", "run-p", "t-petrov", &["t-sergeeva"])],
    )
    .await;
    let (_, seen_run) = store
        .get_proposal(&Scope::All, "pr-p")
        .await
        .expect("get")
        .expect("pr-p");
    assert_eq!(seen_run.id, "run-p");
    let approved = store
        .make_pairs(
            &PairRequest {
                proposal_id: Some("pr-p".into()),
                ..hand_pair("t-petrov", &["t-sergeeva"])
            },
            &actor(),
        )
        .await
        .expect("approved");
    assert_eq!(approved[0].proposal_id.as_deref(), Some("pr-p"));
    let (decided, _) = store
        .get_proposal(&Scope::All, "pr-p")
        .await
        .expect("get")
        .expect("pr-p");
    assert_eq!(decided.status, "approved");
    assert_eq!(decided.decided_by.as_deref(), Some("contract"));

    let pair = store
        .get_pair(&school7, &approved[0].id)
        .await
        .expect("get")
        .expect("in scope");
    assert_eq!(pair, approved[0]);
    assert!(
        store
            .get_pair(&college, &approved[0].id)
            .await
            .expect("get")
            .is_none()
    );

    let (first, next) = store
        .list_pairs(&school7, &PairFilter::default(), &page(2, None))
        .await
        .expect("page 1");
    assert_eq!(first.len(), 2);
    let (rest, last) = store
        .list_pairs(&school7, &PairFilter::default(), &page(2, next.as_deref()))
        .await
        .expect("page 2");
    assert_eq!(rest.len(), 1);
    assert_eq!(last, None);
    let (mine, _) = store
        .list_pairs(
            &Scope::All,
            &PairFilter {
                programme_id: Some("tt-2026".into()),
                organization_id: Some("school-7".into()),
                mentor_id: Some("t-ivanova".into()),
                mentee_id: Some("t-egorov".into()),
                status: Some("active".into()),
            },
            &page(10, None),
        )
        .await
        .expect("filtered");
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].mentee_id, "t-egorov");
    let (none, _) = store
        .list_pairs(&college, &PairFilter::default(), &page(10, None))
        .await
        .expect("out of scope");
    assert!(none.is_empty());

    let ending = PairClosing {
        status: "ended".into(),
        reason: Some("other".into()),
        note: Some("переезд школы".into()),
        ended_on: "2026-12-01".into(),
    };
    let ended = store
        .close_pair(&school7, &mine[0].id, &ending, &actor())
        .await
        .expect("ended");
    assert_eq!(ended.status, "ended");
    assert_eq!(ended.ended_on.as_deref(), Some("2026-12-01"));
    assert_eq!(ended.end_reason.as_deref(), Some("other"));
    assert_eq!(ended.end_note.as_deref(), Some("переезд школы"));
    let twice = store
        .close_pair(&school7, &mine[0].id, &ending, &actor())
        .await;
    assert!(matches!(twice, Err(StoreError::Conflict(_))), "{twice:?}");
    let hidden = store
        .close_pair(&college, &group[0].id, &ending, &actor())
        .await;
    assert!(matches!(hidden, Err(StoreError::NotFound)), "{hidden:?}");
}

async fn a_rejected_proposal_is_never_paired_by_hand_without_an_override(store: &dyn Store) {
    school(store).await;
    finished_run(
        store,
        "run-r",
        false,
        &[proposal("pr-r", "run-r", "t-ivanova", &["t-musina"])],
    )
    .await;
    store
        .reject_proposal(&Scope::All, "pr-r", "несовместимое расписание", &actor())
        .await
        .expect("rejected");
    let (rejected, _) = store
        .get_proposal(&Scope::All, "pr-r")
        .await
        .expect("get")
        .expect("pr-r");
    assert_eq!(rejected.status, "rejected");
    assert_eq!(rejected.reason.as_deref(), Some("несовместимое расписание"));
    let twice = store
        .reject_proposal(&Scope::All, "pr-r", "again", &actor())
        .await;
    assert!(matches!(twice, Err(StoreError::Conflict(_))), "{twice:?}");
    let missing = store
        .reject_proposal(&Scope::All, "pr-none", "why", &actor())
        .await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");

    let by_hand = store
        .make_pairs(&hand_pair("t-ivanova", &["t-musina"]), &actor())
        .await;
    assert!(
        matches!(&by_hand, Err(StoreError::Conflict(why)) if why.contains("rejected")),
        "{by_hand:?}"
    );
    let overridden = store
        .make_pairs(
            &PairRequest {
                override_rejection: Some("the timetable changed".into()),
                ..hand_pair("t-ivanova", &["t-musina"])
            },
            &actor(),
        )
        .await
        .expect("made all the same");
    assert_eq!(overridden[0].mentee_id, "t-musina");

    finished_run(
        store,
        "run-d",
        true,
        &[proposal("pr-d", "run-d", "t-petrov", &["t-kovaleva"])],
    )
    .await;
    let dry = store
        .reject_proposal(&Scope::All, "pr-d", "why", &actor())
        .await;
    assert!(
        matches!(dry, Err(StoreError::Conflict(_))),
        "a dry run's proposal: {dry:?}"
    );
}

async fn erasure_replaces_a_person_everywhere_by_a_pseudonym(store: &dyn Store) {
    school(store).await;
    store
        .make_pairs(&hand_pair("t-ivanova", &["t-yakovleva"]), &actor())
        .await
        .expect("paired");
    finished_run(
        store,
        "run-e",
        false,
        &[proposal("pr-e", "run-e", "t-petrov", &["t-yakovleva"])],
    )
    .await;
    store
        .record(
            &actor(),
            "mentee.read",
            "mentee:t-yakovleva",
            r#"{"id":"t-yakovleva"}"#,
        )
        .await
        .expect("recorded");

    // A run names profiles by tag; a change keeps the old version.
    let tag_of = |doc: Option<store::Stored>| doc.expect("the profile").etag;
    let read = tag_of(
        store
            .get_document(&Scope::All, Table::Mentees, "t-yakovleva")
            .await
            .expect("get"),
    );
    let mut changed: serde_json::Value = serde_json::from_str(
        &store
            .get_document(&Scope::All, Table::Mentees, "t-yakovleva")
            .await
            .expect("get")
            .expect("the profile")
            .doc,
    )
    .expect("json");
    changed["interests"] = serde_json::json!(["шахматы"]);
    rewrite_mentee(store, &changed).await;
    let docs = store.profile_docs(&[read.as_str()]).await.expect("docs");
    assert!(
        docs.get(&read).is_some_and(|d| d.contains("t-yakovleva")),
        "the version the run read is kept: {docs:?}"
    );

    let erasure = store
        .erase_person(
            "t-yakovleva",
            "anon-1",
            "2026-10-01",
            "consent_withdrawn",
            &actor(),
        )
        .await
        .expect("erased");
    assert_eq!(erasure.proposals_withdrawn, 1);
    assert_eq!(erasure.pairs_ended, 1);
    assert_eq!(
        erasure.runs_rewritten, 0,
        "a run names people by number: only the number's row changes"
    );

    assert!(
        store
            .get_document(&Scope::All, Table::Mentees, "t-yakovleva")
            .await
            .expect("get")
            .is_none()
    );
    let (pairs, _) = store
        .list_pairs(&Scope::All, &PairFilter::default(), &page(10, None))
        .await
        .expect("pairs");
    assert_eq!(pairs.len(), 1);
    assert_eq!(pairs[0].mentee_id, "anon-1");
    assert_eq!(pairs[0].status, "ended");
    assert_eq!(pairs[0].end_reason.as_deref(), Some("consent_withdrawn"));
    let proposals = store.run_proposals("run-e").await.expect("proposals");
    assert_eq!(proposals[0].mentee_ids, ["anon-1"]);
    assert_ne!(proposals[0].status, "proposed");
    let run = store
        .get_run(&Scope::All, "run-e")
        .await
        .expect("run")
        .expect("run-e");
    let result = run.result.expect("a result");
    assert!(
        !result.contains("t-yakovleva") && result.contains("anon-1"),
        "{result}"
    );
    assert!(
        store
            .profile_docs(&[read.as_str()])
            .await
            .expect("docs")
            .is_empty(),
        "every version of the person is gone"
    );
    let (events, _) = store
        .list_events(&EventFilter::default(), &page(100, None))
        .await
        .expect("events");
    assert!(
        events
            .iter()
            .all(|e| !e.subject.contains("t-yakovleva") && !e.detail.contains("t-yakovleva")),
        "{events:?}"
    );
    assert!(events.iter().any(|e| e.subject == "mentee:anon-1"));
}

async fn a_secret_is_made_on_first_use_and_kept(store: &dyn Store) {
    let first = store.secret("pseudonyms", "fresh-1").await.expect("made");
    assert_eq!(first, "fresh-1");
    let again = store.secret("pseudonyms", "fresh-2").await.expect("kept");
    assert_eq!(again, "fresh-1", "every instance gets the first one");
    let other = store.secret("other", "fresh-3").await.expect("made");
    assert_eq!(other, "fresh-3");
}

async fn feedback_and_weights_are_recorded_listed_and_reported(store: &dyn Store) {
    school(store).await;
    let pairs = store
        .make_pairs(&hand_pair("t-ivanova", &["t-yakovleva"]), &actor())
        .await
        .expect("paired");
    let feedback = FeedbackRecord {
        id: "fb-1".into(),
        pair_id: pairs[0].id.clone(),
        programme_id: "tt-2026".into(),
        stage: "entry".into(),
        respondent: "mentee".into(),
        answers: r#"{"useful":5}"#.into(),
        comment: Some("спасибо".into()),
        created_by: "contract".into(),
        created_at: "2026-10-01T00:00:00Z".into(),
    };
    store
        .add_feedback(&feedback, &actor())
        .await
        .expect("stored");
    assert_eq!(
        store
            .list_feedback(Some(&pairs[0].id), None)
            .await
            .expect("by pair"),
        std::slice::from_ref(&feedback)
    );
    assert_eq!(
        store
            .list_feedback(None, Some("tt-2026"))
            .await
            .expect("by programme"),
        std::slice::from_ref(&feedback)
    );
    assert!(
        store
            .list_feedback(None, Some("tp-2026"))
            .await
            .expect("other")
            .is_empty()
    );

    let v1 = store
        .record_weights("tt-2026", r#"{"subjects":0.5}"#, None, &actor())
        .await
        .expect("v1");
    let same = store
        .record_weights(
            "tt-2026",
            r#"{"subjects":0.5}"#,
            Some("no change"),
            &actor(),
        )
        .await
        .expect("unchanged");
    assert_eq!(same, v1, "the same weights make no new version");
    let v2 = store
        .record_weights(
            "tt-2026",
            r#"{"subjects":0.7}"#,
            Some("more subject"),
            &actor(),
        )
        .await
        .expect("v2");
    assert_eq!(v2, v1 + 1);
    let history = store.weight_history("tt-2026").await.expect("history");
    let last = history.last().expect("versions");
    assert_eq!(last.version, v2);
    assert_eq!(last.weights, r#"{"subjects":0.7}"#);
    assert_eq!(last.reason.as_deref(), Some("more subject"));
    assert_eq!(last.changed_by, "contract");
    assert!(history.windows(2).all(|w| w[0].version < w[1].version));

    let report = store
        .report_data("/reg-gk/mun-ustk/school-7/")
        .await
        .expect("report");
    assert_eq!(report.organizations.len(), 1);
    assert_eq!(report.organizations[0].0.id, "school-7");
    assert_eq!(
        report.mentors.len(),
        15,
        "teachers and pupils of the school"
    );
    assert_eq!(report.mentees.len(), 24);
    assert_eq!(report.pairs.len(), 1);
    assert_eq!(report.pairs[0].0, pairs[0]);
    assert_eq!(report.pairs[0].1, "teacher_teacher");
    assert_eq!(report.feedback, [feedback]);
    let college = store
        .report_data("/reg-gk/mun-ustk/college-ped/")
        .await
        .expect("report");
    assert!(college.pairs.is_empty() && college.mentees.is_empty());
    assert_eq!(college.mentors.len(), 2);
}

async fn audit_events_are_filtered_and_paged_newest_first(store: &dyn Store) {
    let other = Actor {
        key_id: "other".into(),
        ..actor()
    };
    for (who, action, subject) in [
        (actor(), "run.started", "run:r1"),
        (other.clone(), "proposal.approved", "proposal:p1"),
        (actor(), "proposal.rejected", "proposal:p2"),
    ] {
        store
            .record(&who, action, subject, r#"{"n":1}"#)
            .await
            .expect("recorded");
    }
    let (first, next) = store
        .list_events(&EventFilter::default(), &page(2, None))
        .await
        .expect("page 1");
    let actions: Vec<&str> = first.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["proposal.rejected", "proposal.approved"],
        "newest first"
    );
    assert_eq!(first[0].key_id, "contract");
    assert_eq!(first[0].role, "admin");
    assert_eq!(first[0].subject, "proposal:p2");
    assert_eq!(first[0].detail, r#"{"n":1}"#);
    assert_eq!(first[0].origin.as_deref(), Some("127.0.0.1"));
    let (rest, last) = store
        .list_events(&EventFilter::default(), &page(2, next.as_deref()))
        .await
        .expect("page 2");
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].action, "run.started");
    assert_eq!(last, None);

    let proposals = |filter: EventFilter| async move {
        store
            .list_events(&filter, &page(10, None))
            .await
            .expect("filtered")
            .0
            .into_iter()
            .map(|e| e.subject)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        proposals(EventFilter {
            action: Some("proposal.".into()),
            ..EventFilter::default()
        })
        .await,
        ["proposal:p2", "proposal:p1"]
    );
    assert_eq!(
        proposals(EventFilter {
            key_id: Some("other".into()),
            ..EventFilter::default()
        })
        .await,
        ["proposal:p1"]
    );
    assert_eq!(
        proposals(EventFilter {
            subject: Some("run:r1".into()),
            since: Some("2000-01-01T00:00:00Z".into()),
            ..EventFilter::default()
        })
        .await,
        ["run:r1"]
    );
    assert!(
        proposals(EventFilter {
            since: Some("2999-01-01T00:00:00Z".into()),
            ..EventFilter::default()
        })
        .await
        .is_empty()
    );
}
