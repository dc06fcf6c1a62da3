//! The banks through the real server: organisations, profiles and
//! programmes are stored and read back exactly, with ETags, paging,
//! filters and validation.

use crate::common::{TestApp, fixture_json};
use mentor_match::domain::{MenteeProfile, MentorProfile, Organization, Programme};
use serde_json::json;

async fn every_imported_field_reads_back_unchanged(app: &TestApp) {
    let school = app.load_school().await;
    for (section, path) in [
        ("organizations", "organizations"),
        ("mentors", "mentors"),
        ("mentees", "mentees"),
        ("programmes", "programmes"),
    ] {
        for record in school[section].as_array().expect("section") {
            let id = record["id"].as_str().expect("id");
            let reply = app.get(&format!("/api/v1/{path}/{id}")).await;
            assert_eq!(reply.status, 200, "{section} {id}: {}", reply.text);
            // What the service stores is the validated form of the input:
            // the same record parsed again must equal what it returns.
            let expected = match section {
                "organizations" => {
                    serde_json::to_value(Organization::parse(record, None).expect("valid"))
                }
                "mentors" => {
                    serde_json::to_value(MentorProfile::parse(record, None).expect("valid"))
                }
                "mentees" => {
                    serde_json::to_value(MenteeProfile::parse(record, None).expect("valid"))
                }
                _ => serde_json::to_value(Programme::parse(record, None).expect("valid")),
            }
            .expect("json");
            assert_eq!(reply.body, expected, "{section} {id}");
            for (field, value) in record.as_object().expect("object") {
                if value.is_string() || value.is_number() || value.is_boolean() {
                    assert_eq!(
                        &reply.body[field], value,
                        "{section} {id}: field {field} changed"
                    );
                }
            }
        }
    }
}

async fn a_put_creates_then_replaces_and_a_stale_if_match_changes_nothing(app: &TestApp) {
    app.load_school().await;
    let mut mentee = fixture_json("school.json")["mentees"][0].clone();
    let id = mentee["id"].as_str().expect("id").to_owned();
    let path = format!("/api/v1/mentees/{id}");
    let first = app.get(&path).await;
    let etag = first.header("etag").expect("etag").to_owned();

    mentee["interests"] = json!(["  Шахматы ", "шахматы", "ТЕАТР"]);
    let changed = app
        .send(
            reqwest::Method::PUT,
            &path,
            Some(&app.admin),
            &[("if-match", &etag)],
            Some((mentee.to_string(), "application/json")),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(changed.body["interests"], json!(["шахматы", "театр"]));
    assert_ne!(changed.header("etag"), Some(etag.as_str()));

    mentee["full_name"] = json!("Кто-то Другой");
    let stale = app
        .send(
            reqwest::Method::PUT,
            &path,
            Some(&app.admin),
            &[("if-match", &etag)],
            Some((mentee.to_string(), "application/json")),
        )
        .await;
    stale.assert_problem(412);
    let now = app.get(&path).await;
    assert_eq!(now.body["interests"], json!(["шахматы", "театр"]));
    assert_ne!(now.body["full_name"], "Кто-то Другой");

    let mut fresh = mentee.clone();
    fresh["id"] = json!("new-pupil");
    let created = app.put("/api/v1/mentees/new-pupil", &fresh).await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(
        created.header("location"),
        Some("/api/v1/mentees/new-pupil")
    );
    let again = app.put("/api/v1/mentees/new-pupil", &fresh).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.header("etag"), created.header("etag"));

    let deleted = app
        .send(
            reqwest::Method::DELETE,
            "/api/v1/mentees/new-pupil",
            Some(&app.admin),
            &[],
            None,
        )
        .await;
    assert_eq!(deleted.status, 204);
    app.get("/api/v1/mentees/new-pupil")
        .await
        .assert_problem(404);
}

async fn lists_page_through_everything_and_filter(app: &TestApp) {
    let school = app.load_school().await;
    let total = school["mentees"].as_array().expect("mentees").len();
    let mut seen = Vec::new();
    let mut after = String::new();
    loop {
        let query = if after.is_empty() {
            "limit=5".to_owned()
        } else {
            format!("limit=5&after={after}")
        };
        let page = app.get(&format!("/api/v1/mentees?{query}")).await;
        assert_eq!(page.status, 200, "{}", page.text);
        let items = page.body["items"].as_array().expect("items");
        assert!(items.len() <= 5);
        seen.extend(
            items
                .iter()
                .map(|m| m["id"].as_str().expect("id").to_owned()),
        );
        match page.body["next"].as_str() {
            Some(next) => after = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen.len(), total);
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, seen, "pages are ordered by id without repeats");

    let special = app.get("/api/v1/mentees?category=special_needs").await;
    let expected = school["mentees"]
        .as_array()
        .expect("m")
        .iter()
        .filter(|m| m["category"] == "special_needs")
        .count();
    assert_eq!(
        special.body["items"].as_array().expect("items").len(),
        expected
    );

    let pupil_leaders = app.get("/api/v1/mentors?form=pupil_pupil").await;
    for m in pupil_leaders.body["items"].as_array().expect("items") {
        assert!(
            m["forms"]
                .as_array()
                .expect("forms")
                .contains(&json!("pupil_pupil"))
        );
    }
    let under_municipality = app
        .get("/api/v1/mentors?organization_id=mun-ustk&limit=1000")
        .await;
    assert_eq!(
        under_municipality.body["items"]
            .as_array()
            .expect("items")
            .len(),
        school["mentors"].as_array().expect("mentors").len(),
        "a municipality filter keeps everything under it"
    );

    assert_eq!(
        app.get("/api/v1/mentees?limit=0").await.assert_problem(422),
        ["limit"]
    );
    assert_eq!(
        app.get("/api/v1/mentees?category=lazy")
            .await
            .assert_problem(422),
        ["category"]
    );
    assert_eq!(
        app.get("/api/v1/mentees?colour=red")
            .await
            .assert_problem(422),
        ["colour"]
    );
}

async fn a_profile_with_many_faults_names_each_field(app: &TestApp) {
    app.load_school().await;
    let body = json!({
        "organization_id": "school-7", "full_name": "", "kind": "teacher", "grade": 14,
        "forms": ["teacher_pupil", "dancing"], "capacity": -1, "qualification": "great",
        "roles": ["tutor", "wizard"], "consent": {"given_by": "neighbour", "date": "31.09.2026"},
        "favourite_colour": "blue"
    });
    let mut fields = app
        .put("/api/v1/mentors/m-bad", &body)
        .await
        .assert_problem(422);
    fields.sort();
    assert_eq!(
        fields,
        [
            "capacity",
            "consent.date",
            "consent.given_by",
            "favourite_colour",
            "forms[1]",
            "full_name",
            "grade",
            "qualification",
            "roles[1]"
        ]
    );
    app.get("/api/v1/mentors/m-bad").await.assert_problem(404);

    let unknown_org = json!({"organization_id": "nowhere", "full_name": "X", "kind": "teacher"});
    assert_eq!(
        app.put("/api/v1/mentors/m-x", &unknown_org)
            .await
            .assert_problem(422),
        ["organization_id"]
    );
    let other_id = json!({"id": "someone-else", "organization_id": "school-7", "full_name": "X", "kind": "teacher"});
    assert_eq!(
        app.put("/api/v1/mentors/m-x", &other_id)
            .await
            .assert_problem(422),
        ["id"]
    );
}

async fn one_person_can_be_a_mentor_and_a_mentee(app: &TestApp) {
    let school = app.load_school().await;
    let mentor_ids: Vec<&str> = school["mentors"]
        .as_array()
        .expect("m")
        .iter()
        .filter_map(|m| m["id"].as_str())
        .collect();
    let both: Vec<&str> = school["mentees"]
        .as_array()
        .expect("m")
        .iter()
        .filter_map(|m| m["id"].as_str())
        .filter(|id| mentor_ids.contains(id))
        .collect();
    assert!(!both.is_empty(), "the fixtures hold a person in both banks");
    for id in both {
        assert_eq!(app.get(&format!("/api/v1/mentors/{id}")).await.status, 200);
        assert_eq!(app.get(&format!("/api/v1/mentees/{id}")).await.status, 200);
    }
}

async fn an_organisation_with_people_is_not_deleted(app: &TestApp) {
    app.load_school().await;
    let reply = app
        .send(
            reqwest::Method::DELETE,
            "/api/v1/organizations/school-7",
            Some(&app.admin),
            &[],
            None,
        )
        .await;
    reply.assert_problem(409);
    assert_eq!(app.get("/api/v1/organizations/school-7").await.status, 200);
    assert_eq!(
        app.get("/api/v1/mentees?organization_id=school-7&limit=1")
            .await
            .body["items"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    let orphan = json!({"name": "Школа", "kind": "school", "parent_id": "school-7"});
    assert_eq!(
        app.put("/api/v1/organizations/s-under-school", &orphan)
            .await
            .assert_problem(422),
        ["parent_id"]
    );
    let cycle = json!({"name": "Регион", "kind": "municipality", "parent_id": "mun-ustk"});
    assert_eq!(
        app.put("/api/v1/organizations/mun-ustk", &cycle)
            .await
            .assert_problem(422),
        ["parent_id"]
    );
}

async fn programmes_take_documented_defaults(app: &TestApp) {
    app.load_school().await;
    let body = json!({"name": "Учитель – ученик", "form": "teacher_pupil", "organization_ids": ["school-7"],
        "period": {"start": "2026-09-01", "end": "2027-05-31"}});
    let reply = app.put("/api/v1/programmes/p-defaults", &body).await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(reply.body["rules"]["min_mentor_experience_years"], 5);
    assert_eq!(reply.body["rules"]["network"], false);
    assert_eq!(reply.body["weights"]["subjects"], 0.25);
    assert!(reply.body.get("group").is_none());
    let bad = json!({"name": "x", "form": "teacher_pupil", "organization_ids": ["school-7", "nowhere"],
        "period": {"start": "2027-09-01", "end": "2027-05-31"}, "weights": {"charm": 1}, "group": {"min": 3, "max": 2}});
    let mut fields = app
        .put("/api/v1/programmes/p-bad", &bad)
        .await
        .assert_problem(422);
    fields.sort();
    assert_eq!(fields, ["group.max", "period.end", "weights.charm"]);
    let unknown_org = json!({"name": "x", "form": "teacher_pupil", "organization_ids": ["school-7", "nowhere"],
        "period": {"start": "2026-09-01", "end": "2027-05-31"}});
    assert_eq!(
        app.put("/api/v1/programmes/p-bad", &unknown_org)
            .await
            .assert_problem(422),
        ["organization_ids[1]"]
    );
}

on_both_backends!(
    every_imported_field_reads_back_unchanged,
    a_put_creates_then_replaces_and_a_stale_if_match_changes_nothing,
    lists_page_through_everything_and_filter,
    a_profile_with_many_faults_names_each_field,
    one_person_can_be_a_mentor_and_a_mentee,
    an_organisation_with_people_is_not_deleted,
    programmes_take_documented_defaults,
);
