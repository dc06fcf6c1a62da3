//! Writing resources: `PATCH` with JSON Merge Patch, conditional requests
//! (`If-Match`, `If-None-Match`, `304`), and what a key may change or read
//! of sensitive fields.

use crate::common::{Reply, TestApp};
use mentor_match::service::auth::Role;
use mentor_match::store::{Preconditions, StoreError, Table};
use reqwest::Method;
use serde_json::{Value, json};

const MERGE_PATCH: &str = "application/merge-patch+json";

async fn patch(app: &TestApp, key: &str, path: &str, etag: Option<&str>, body: &Value) -> Reply {
    let headers: Vec<(&str, &str)> = etag.map(|e| ("if-match", e)).into_iter().collect();
    app.send(
        Method::PATCH,
        path,
        Some(key),
        &headers,
        Some((body.to_string(), MERGE_PATCH)),
    )
    .await
}

async fn put_with(
    app: &TestApp,
    key: &str,
    path: &str,
    header: (&str, &str),
    body: &Value,
) -> Reply {
    app.send(
        Method::PUT,
        path,
        Some(key),
        &[header],
        Some((body.to_string(), "application/json")),
    )
    .await
}

fn etag(reply: &Reply) -> String {
    reply.header("etag").expect("an ETag").to_owned()
}

async fn a_patch_changes_only_the_fields_it_names(app: &TestApp) {
    app.load_school().await;
    let path = "/api/v1/mentors/t-nikitina";
    let before = app.get(path).await;
    let changed = patch(
        app,
        &app.admin,
        path,
        Some(&etag(&before)),
        &json!({"capacity": 3, "subjects": ["География", " краеведение "]}),
    )
    .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_ne!(etag(&changed), etag(&before));
    let after = app.get(path).await;
    assert_eq!(after.body["capacity"], 3);
    assert_eq!(after.body["subjects"], json!(["география", "краеведение"]));
    for kept in [
        "consent",
        "birth_year",
        "roles",
        "experience_years",
        "forms",
        "trained",
        "qualification",
        "competencies",
    ] {
        assert_eq!(after.body[kept], before.body[kept], "{kept} was lost");
    }
    assert_eq!(changed.body, after.body, "the answer is what is stored");
    let audit = app.get("/api/v1/audit?subject=mentor:t-nikitina").await;
    assert_eq!(audit.body["items"][0]["action"], "mentor.updated");
}

async fn a_patch_removes_null_members_merges_objects_and_replaces_arrays(app: &TestApp) {
    app.load_school().await;
    let org = "/api/v1/organizations/school-7";
    let changed = patch(
        app,
        &app.admin,
        org,
        None,
        &json!({"teacher_count": null, "pupils_by_grade": {"1": 70, "11": null}}),
    )
    .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    let after = app.get(org).await;
    assert!(after.body.get("teacher_count").is_none(), "{}", after.text);
    assert_eq!(after.body["pupils_by_grade"]["1"], 70);
    assert_eq!(after.body["pupils_by_grade"]["2"], 60, "other grades stay");
    assert!(after.body["pupils_by_grade"].get("11").is_none());
    assert_eq!(after.body["pupil_count"], 572);

    let programme = "/api/v1/programmes/tp-2026";
    let before = app.get(programme).await;
    let changed = patch(
        app,
        &app.admin,
        programme,
        Some(&etag(&before)),
        &json!({"name": "Учитель – ученик, весна", "period": {"end": "2027-04-30"}}),
    )
    .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    let after = app.get(programme).await;
    assert_eq!(after.body["name"], "Учитель – ученик, весна");
    assert_eq!(
        after.body["period"]["start"],
        before.body["period"]["start"]
    );
    assert_eq!(after.body["period"]["end"], "2027-04-30");
    assert_eq!(
        after.body["organization_ids"],
        before.body["organization_ids"]
    );
    assert_eq!(after.body["weights"], before.body["weights"]);

    let mentee = "/api/v1/mentees/p-lapin";
    let changed = patch(
        app,
        &app.admin,
        mentee,
        None,
        &json!({"interests": ["шахматы"]}),
    )
    .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    let after = app.get(mentee).await;
    assert_eq!(after.body["interests"], json!(["шахматы"]));
    assert_eq!(after.body["category"], "gifted");
}

async fn a_patch_must_be_sent_as_merge_patch_json(app: &TestApp) {
    app.load_school().await;
    for path in [
        "/api/v1/organizations/school-7",
        "/api/v1/mentors/t-ivanova",
        "/api/v1/mentees/p-lapin",
        "/api/v1/programmes/tp-2026",
    ] {
        let before = app.get(path).await;
        for content_type in ["application/json", "text/plain"] {
            let reply = app
                .send(
                    Method::PATCH,
                    path,
                    Some(&app.admin),
                    &[],
                    Some((
                        json!({"name": "x", "full_name": "x"}).to_string(),
                        content_type,
                    )),
                )
                .await;
            reply.assert_problem(415);
        }
        assert_eq!(app.get(path).await.body, before.body, "{path} changed");
    }
}

async fn a_patch_with_a_stale_etag_is_412_and_changes_nothing(app: &TestApp) {
    app.load_school().await;
    for (path, change) in [
        (
            "/api/v1/organizations/school-7",
            json!({"teacher_count": 1}),
        ),
        ("/api/v1/mentors/t-ivanova", json!({"capacity": 1})),
        ("/api/v1/mentees/p-lapin", json!({"grade": 5})),
        ("/api/v1/programmes/tp-2026", json!({"name": "x"})),
    ] {
        let before = app.get(path).await;
        patch(app, &app.admin, path, Some("\"stale\""), &change)
            .await
            .assert_problem(412);
        let after = app.get(path).await;
        assert_eq!(after.body, before.body, "{path} changed");
        assert_eq!(etag(&after), etag(&before));
    }
}

async fn a_patch_of_a_missing_resource_is_404(app: &TestApp) {
    app.load_school().await;
    for path in [
        "/api/v1/organizations/nowhere",
        "/api/v1/mentors/nobody",
        "/api/v1/mentees/nobody",
        "/api/v1/programmes/nothing",
    ] {
        patch(app, &app.admin, path, None, &json!({"name": "x"}))
            .await
            .assert_problem(404);
        app.get(path).await.assert_problem(404);
    }
}

async fn a_patch_that_leaves_an_invalid_resource_names_every_bad_field(app: &TestApp) {
    app.load_school().await;
    let path = "/api/v1/mentors/t-ivanova";
    let before = app.get(path).await;
    let reply = patch(
        app,
        &app.admin,
        path,
        None,
        &json!({"capacity": 1000, "qualification": "genius", "full_name": null}),
    )
    .await;
    let mut fields = reply.assert_problem(422);
    fields.sort();
    assert_eq!(fields, ["capacity", "full_name", "qualification"]);
    assert_eq!(app.get(path).await.body, before.body);
    let reply = patch(app, &app.admin, path, None, &json!({"id": "someone-else"})).await;
    assert_eq!(reply.assert_problem(422), ["id"]);
}

async fn a_write_pinned_to_the_version_read_is_refused_after_a_change(app: &TestApp) {
    app.load_school().await;
    let read = app.get("/api/v1/mentors/t-ivanova").await;
    let read_tag = etag(&read).trim_matches('"').to_owned();
    // Someone else changes the profile after the read …
    let mut other = read.body.clone();
    other["capacity"] = json!(1);
    assert_eq!(
        app.put("/api/v1/mentors/t-ivanova", &other).await.status,
        200
    );
    // … so a write based on the read, as PATCH makes it, must not land.
    let mut ours = read.body.clone();
    ours["capacity"] = json!(2);
    let profile = mentor_match::domain::MentorProfile::parse(&ours, None).expect("valid");
    let doc = mentor_match::service::banks::mentor_document(&profile);
    let outcome = app
        .store
        .put_document(
            &mentor_match::store::Scope::All,
            &doc,
            &Preconditions::pinned(Some(&read_tag)),
        )
        .await;
    assert!(
        matches!(outcome, Err(StoreError::PreconditionFailed { .. })),
        "{outcome:?}"
    );
    let after = app.get("/api/v1/mentors/t-ivanova").await;
    assert_eq!(after.body["capacity"], 1);
    // A create pinned to "nothing was there" is refused once it exists.
    let outcome = app
        .store
        .put_document(
            &mentor_match::store::Scope::All,
            &doc,
            &Preconditions::pinned(None),
        )
        .await;
    assert!(matches!(
        outcome,
        Err(StoreError::PreconditionFailed { .. })
    ));
    assert!(
        app.store
            .get_document(
                &mentor_match::store::Scope::All,
                Table::Mentors,
                "t-ivanova"
            )
            .await
            .expect("read")
            .is_some()
    );
}

async fn put_with_if_none_match_star_only_creates(app: &TestApp) {
    app.load_school().await;
    let cases = [
        (
            "/api/v1/organizations/school-8",
            json!({"name": "Школа №8", "kind": "school", "parent_id": "mun-ustk"}),
        ),
        (
            "/api/v1/mentors/t-new",
            json!({"organization_id": "school-7", "full_name": "Новикова Анна", "kind": "teacher"}),
        ),
        (
            "/api/v1/mentees/p-new",
            json!({"organization_id": "school-7", "full_name": "Новиков Иван", "kind": "pupil", "grade": 6, "category": "gifted"}),
        ),
        (
            "/api/v1/programmes/new-2026",
            json!({"name": "Новая", "form": "teacher_pupil", "organization_ids": ["school-7"], "period": {"start": "2026-09-01", "end": "2027-05-31"}}),
        ),
    ];
    for (path, body) in cases {
        let created = put_with(app, &app.admin, path, ("if-none-match", "*"), &body).await;
        assert_eq!(created.status, 201, "{path}: {}", created.text);
        let stored = app.get(path).await;
        let mut other = body.clone();
        let name = if body.get("name").is_some() {
            "name"
        } else {
            "full_name"
        };
        other[name] = json!("Другое имя");
        put_with(app, &app.admin, path, ("if-none-match", "*"), &other)
            .await
            .assert_problem(412);
        let after = app.get(path).await;
        assert_eq!(after.body, stored.body, "{path} changed");
    }
    // An existing fixture is never replaced either.
    let lapin = app.get("/api/v1/mentees/p-lapin").await;
    let mut body = lapin.body.clone();
    body["grade"] = json!(2);
    put_with(
        app,
        &app.admin,
        "/api/v1/mentees/p-lapin",
        ("if-none-match", "*"),
        &body,
    )
    .await
    .assert_problem(412);
    assert_eq!(app.get("/api/v1/mentees/p-lapin").await.body, lapin.body);
}

async fn a_get_with_the_current_etag_in_if_none_match_is_304_without_a_body(app: &TestApp) {
    app.load_school().await;
    let system = app.key(Role::System, Some("school-7")).await;
    for (key, path) in [
        (&app.admin, "/api/v1/organizations/school-7"),
        (&app.admin, "/api/v1/mentors/t-ivanova"),
        (&app.admin, "/api/v1/mentees/p-vasiliev"),
        (&system, "/api/v1/mentees/p-vasiliev"),
        (&app.admin, "/api/v1/programmes/tp-2026"),
    ] {
        let read = app.get_as(key, path).await;
        let tag = etag(&read);
        let weak = format!("W/{tag}");
        let listed = format!("\"other\", {tag}");
        for header in [tag.as_str(), weak.as_str(), listed.as_str(), "*"] {
            let reply = app
                .send(
                    Method::GET,
                    path,
                    Some(key),
                    &[("if-none-match", header)],
                    None,
                )
                .await;
            assert_eq!(reply.status, 304, "{path} with {header}: {}", reply.text);
            assert_eq!(reply.header("etag"), Some(tag.as_str()));
            assert!(reply.text.is_empty());
        }
        let reply = app
            .send(
                Method::GET,
                path,
                Some(key),
                &[("if-none-match", "\"something-else\"")],
                None,
            )
            .await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body, read.body);
    }
}

async fn a_key_that_cannot_read_a_category_writes_back_what_it_read_without_erasing_it(
    app: &TestApp,
) {
    app.load_school().await;
    let path = "/api/v1/mentees/p-vasiliev";
    let full = app.get(path).await;
    assert_eq!(full.body["category"], "special_needs");
    let notes = full.body["notes"].clone();
    assert!(notes.is_string());
    let system = app.key(Role::System, Some("school-7")).await;
    let seen = app.get_as(&system, path).await;
    assert_eq!(seen.body["category"], "restricted");
    assert!(seen.body.get("notes").is_none());
    let seen_tag = etag(&seen);
    assert_ne!(
        seen_tag,
        etag(&full),
        "the masked tag is not the stored one"
    );

    // Exactly what it read, with the tag it read: accepted, nothing changes.
    let back = put_with(app, &system, path, ("if-match", &seen_tag), &seen.body).await;
    assert_eq!(back.status, 200, "{}", back.text);
    assert_eq!(back.body["category"], "restricted");
    assert!(back.body.get("notes").is_none());
    assert_eq!(etag(&back), seen_tag);
    assert_eq!(app.get(path).await.body, full.body);

    // A real category and its own notes: the hidden ones stay.
    let mut body = seen.body.clone();
    body["category"] = json!("struggling_pupil");
    body["notes"] = json!("перезаписано");
    body["grade"] = json!(3);
    let written = put_with(app, &system, path, ("if-match", &seen_tag), &body).await;
    assert_eq!(written.status, 200, "{}", written.text);
    assert_eq!(written.body["category"], "restricted");
    assert!(!written.text.contains("перезаписано"));
    let stored = app.get(path).await;
    assert_eq!(stored.body["category"], "special_needs");
    assert_eq!(stored.body["notes"], notes);
    assert_eq!(stored.body["grade"], 3);

    // The other sensitive category, or none at all, by PATCH: the same.
    let tag = etag(&app.get_as(&system, path).await);
    let patched = patch(
        app,
        &system,
        path,
        Some(&tag),
        &json!({"category": "prevention_register", "notes": null}),
    )
    .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    let stored = app.get(path).await;
    assert_eq!(stored.body["category"], "special_needs");
    assert_eq!(stored.body["notes"], notes);

    // A stale masked tag is still stale.
    put_with(app, &system, path, ("if-match", &seen_tag), &seen.body)
        .await
        .assert_problem(412);
    // And the masked tag works for a delete.
    let pupil = "/api/v1/mentees/p-komarov";
    let masked = app.get_as(&system, pupil).await;
    let deleted = app
        .send(
            Method::DELETE,
            pupil,
            Some(&system),
            &[("if-match", &etag(&masked))],
            None,
        )
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
}

async fn a_key_that_cannot_read_sensitive_fields_cannot_set_them(app: &TestApp) {
    app.load_school().await;
    let system = app.key(Role::System, Some("school-7")).await;
    let new = json!({"organization_id": "school-7", "full_name": "Новиков Иван", "kind": "pupil", "grade": 6});
    for (extra, field) in [
        (json!({"category": "special_needs"}), "category"),
        (json!({"category": "prevention_register"}), "category"),
        (json!({"category": "restricted"}), "category"),
        (json!({"category": "gifted", "notes": "на учёте"}), "notes"),
    ] {
        let mut body = new.clone();
        for (k, v) in extra.as_object().expect("object") {
            body[k] = v.clone();
        }
        let reply = app.put_as(&system, "/api/v1/mentees/p-new", &body).await;
        assert_eq!(reply.assert_problem(422), [field], "{body}");
    }
    app.get("/api/v1/mentees/p-new").await.assert_problem(404);
    // An existing pupil with an ordinary category cannot be given a
    // sensitive one either; `restricted` keeps the stored category.
    let lapin = app.get_as(&system, "/api/v1/mentees/p-lapin").await;
    let mut body = lapin.body.clone();
    body["category"] = json!("special_needs");
    let reply = app.put_as(&system, "/api/v1/mentees/p-lapin", &body).await;
    assert_eq!(reply.assert_problem(422), ["category"]);
    body["category"] = json!("restricted");
    let kept = app.put_as(&system, "/api/v1/mentees/p-lapin", &body).await;
    assert_eq!(kept.status, 200, "{}", kept.text);
    assert_eq!(
        app.get("/api/v1/mentees/p-lapin").await.body["category"],
        "gifted"
    );
    // An admin may set them.
    let mut body = new.clone();
    body["category"] = json!("special_needs");
    body["notes"] = json!("ПМПК: тьютор");
    assert_eq!(app.put("/api/v1/mentees/p-new", &body).await.status, 201);
}

async fn only_the_curator_of_the_pupils_own_organisation_reads_its_sensitive_fields(app: &TestApp) {
    app.load_school().await;
    let school = app.key(Role::Curator, Some("school-7")).await;
    let municipal = app.key(Role::Curator, Some("mun-ustk")).await;
    let regional = app.key(Role::Curator, Some("reg-gk")).await;
    let path = "/api/v1/mentees/p-vasiliev";
    let own = app.get_as(&school, path).await;
    assert_eq!(own.body["category"], "special_needs");
    assert!(own.body["notes"].is_string());
    for key in [&municipal, &regional] {
        let read = app.get_as(key, path).await;
        assert_eq!(read.status, 200);
        assert_eq!(read.body["category"], "restricted", "{}", read.text);
        assert!(read.body.get("notes").is_none());
        let listed = app.get_as(key, "/api/v1/mentees?limit=1000").await;
        assert_eq!(listed.status, 200);
        assert!(
            !listed.text.contains("special_needs") && !listed.text.contains("prevention_register"),
            "{}",
            listed.text
        );
        assert!(
            listed.text.contains("p-vasiliev"),
            "the pupil is listed, masked"
        );
        for category in ["special_needs", "prevention_register"] {
            let filtered = app
                .get_as(key, &format!("/api/v1/mentees?category={category}"))
                .await;
            assert_eq!(filtered.status, 200);
            assert_eq!(filtered.body["items"], json!([]), "{}", filtered.text);
        }
    }
    let filtered = app
        .get_as(&school, "/api/v1/mentees?category=special_needs")
        .await;
    assert_eq!(filtered.body["items"].as_array().map(Vec::len), Some(2));
    let admin = app.get(path).await;
    assert_eq!(admin.body["category"], "special_needs");
}

async fn a_curator_above_the_school_sees_run_reasons_without_the_special_needs_rule(app: &TestApp) {
    let school = app.load_school().await;
    // Every tutor leaves the programme's form: the pupils with special
    // needs are left unmatched by the tutor rule.
    for mentor in school["mentors"].as_array().expect("mentors") {
        if mentor["roles"]
            .as_array()
            .is_some_and(|r| r.contains(&json!("tutor")))
        {
            let path = format!("/api/v1/mentors/{}", mentor["id"].as_str().expect("id"));
            let reply = patch(
                app,
                &app.admin,
                &path,
                None,
                &json!({"forms": ["teacher_teacher"]}),
            )
            .await;
            assert_eq!(reply.status, 200, "{}", reply.text);
        }
    }
    let run = app
        .run_and_wait(&app.admin, "tp-2026", json!({"dry_run": true}))
        .await;
    let id = run["id"].as_str().expect("id");
    assert!(run.to_string().contains("needs_tutor"), "{run}");
    let own = app.key(Role::Curator, Some("school-7")).await;
    let municipal = app.key(Role::Curator, Some("mun-ustk")).await;
    let seen = app.get_as(&own, &format!("/api/v1/runs/{id}")).await;
    assert!(seen.text.contains("needs_tutor"), "{}", seen.text);
    let seen = app.get_as(&municipal, &format!("/api/v1/runs/{id}")).await;
    assert_eq!(seen.status, 200, "{}", seen.text);
    assert!(!seen.text.contains("needs_tutor"), "{}", seen.text);
}

#[test]
fn the_spec_lets_a_read_mentee_carry_a_restricted_category() {
    let spec = serde_json::to_value(mentor_match::http::openapi()).expect("spec");
    let schemas = &spec["components"]["schemas"];
    let category_ref = schemas["MenteeView"]["allOf"][1]["properties"]["category"]["$ref"]
        .as_str()
        .expect("category refers to a schema");
    let name = category_ref.rsplit('/').next().expect("name");
    let values = schemas[name]["enum"].as_array().expect("an enumeration");
    assert!(values.contains(&json!("restricted")));
    assert!(values.contains(&json!("special_needs")));
    let read = &spec["paths"]["/api/v1/mentees/{id}"]["get"]["responses"]["200"]["content"]["application/json"]
        ["schema"]["$ref"];
    assert_eq!(read, "#/components/schemas/MenteeView");
    let list = spec["paths"]["/api/v1/mentees"]["get"]["responses"]["200"].to_string();
    assert!(list.contains("MenteeView"), "{list}");
}

#[test]
fn the_spec_documents_patch_of_every_resource() {
    let spec = serde_json::to_value(mentor_match::http::openapi()).expect("spec");
    for path in [
        "/api/v1/organizations/{id}",
        "/api/v1/mentors/{id}",
        "/api/v1/mentees/{id}",
        "/api/v1/programmes/{id}",
    ] {
        let operation = &spec["paths"][path]["patch"];
        assert!(operation.is_object(), "{path} has no PATCH");
        for status in ["200", "404", "412", "415", "422"] {
            assert!(
                operation["responses"][status].is_object(),
                "{path} PATCH does not document {status}"
            );
        }
        let body = &operation["requestBody"]["content"][MERGE_PATCH]["schema"]["$ref"];
        let name = body
            .as_str()
            .expect("a schema")
            .rsplit('/')
            .next()
            .expect("name");
        let schema = spec["components"]["schemas"][name].to_string();
        assert!(!schema.contains("\"required\""), "{name}: {schema}");
        assert!(
            spec["paths"][path]["get"]["responses"]["304"].is_object(),
            "{path} GET does not document 304"
        );
    }
}

async fn an_import_by_a_key_that_cannot_read_a_category_keeps_it_and_its_notes(app: &TestApp) {
    app.load_school().await;
    let path = "/api/v1/mentees/p-vasiliev";
    let full = app.get(path).await;
    assert_eq!(full.body["category"], "special_needs");
    let system = app.key(Role::System, Some("school-7")).await;

    // What it read, imported back; then with a real category and notes.
    let seen = app.get_as(&system, path).await;
    let reply = app
        .import_json(&system, "", &json!({"mentees": [seen.body.clone()]}))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let mut changed = seen.body.clone();
    changed["category"] = json!("struggling_pupil");
    changed["notes"] = json!("перезаписано импортом");
    changed["grade"] = json!(4);
    let reply = app
        .import_json(&system, "", &json!({"mentees": [changed]}))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let stored = app.get(path).await;
    assert_eq!(stored.body["category"], "special_needs");
    assert_eq!(stored.body["notes"], full.body["notes"]);
    assert_eq!(stored.body["grade"], 4);

    // A new pupil with a sensitive category: that row is refused, by name.
    let mut fresh = seen.body.clone();
    fresh["id"] = json!("p-new-import");
    fresh["category"] = json!("prevention_register");
    let reply = app
        .import_json(&system, "", &json!({"mentees": [fresh]}))
        .await;
    assert_eq!(reply.status, 422, "{}", reply.text);
    assert!(
        reply.text.contains("p-new-import") && reply.text.contains("category"),
        "{}",
        reply.text
    );
}

on_both_backends!(
    an_import_by_a_key_that_cannot_read_a_category_keeps_it_and_its_notes,
    a_patch_changes_only_the_fields_it_names,
    a_patch_removes_null_members_merges_objects_and_replaces_arrays,
    a_patch_must_be_sent_as_merge_patch_json,
    a_patch_with_a_stale_etag_is_412_and_changes_nothing,
    a_patch_of_a_missing_resource_is_404,
    a_patch_that_leaves_an_invalid_resource_names_every_bad_field,
    a_write_pinned_to_the_version_read_is_refused_after_a_change,
    put_with_if_none_match_star_only_creates,
    a_get_with_the_current_etag_in_if_none_match_is_304_without_a_body,
    a_key_that_cannot_read_a_category_writes_back_what_it_read_without_erasing_it,
    a_key_that_cannot_read_sensitive_fields_cannot_set_them,
    only_the_curator_of_the_pupils_own_organisation_reads_its_sensitive_fields,
    a_curator_above_the_school_sees_run_reasons_without_the_special_needs_rule,
);
