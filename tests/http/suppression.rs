//! No child identifiable from a count: in a municipality where one school
//! has exactly one pupil with special needs, readiness and indicators
//! (JSON, CSV, XLSX, SVG) read with analyst, system and municipal keys
//! show «< 5» for that school and hide enough else that no total minus the
//! visible cells gives it back; that school's curator and an admin read
//! the exact figures.

use crate::common::TestApp;
use calamine::{Data, Reader};
use mentor_match::service::auth::Role;
use serde_json::{Value, json};
use std::io::Cursor;

const SURNAMES: [&str; 8] = [
    "Ооржак",
    "Монгуш",
    "Куулар",
    "Донгак",
    "Сат",
    "Ондар",
    "Хертек",
    "Салчак",
];
const NAMES: [&str; 6] = ["Айдыс", "Чечек", "Аялга", "Буян", "Саяна", "Тимур"];

fn pupil(id: &str, org: &str, n: usize, category: &str) -> Value {
    json!({
        "id": id,
        "organization_id": org,
        "full_name": format!("{} {}", SURNAMES[n % 8], NAMES[n % 6]),
        "birth_year": 2013,
        "grade": 7,
        "kind": "pupil",
        "category": category,
        "subjects": ["математика"],
        "requests": ["мотивация"],
        "consent": {"given_by": "parent", "date": "2026-09-10",
                    "purposes": ["storage", "matching"], "pupil_agreed_on": "2026-09-10"},
    })
}

fn teacher(id: &str, org: &str, n: usize, tutor: bool) -> Value {
    json!({
        "id": id,
        "organization_id": org,
        "full_name": format!("{} {} (учитель)", SURNAMES[(n + 3) % 8], NAMES[(n + 1) % 6]),
        "birth_year": 1985,
        "kind": "teacher",
        "forms": ["teacher_pupil"],
        "capacity": 3,
        "subjects": ["математика"],
        "competencies": ["мотивация"],
        "experience_years": 12,
        "qualification": "first",
        "roles": if tutor { json!(["tutor"]) } else { json!(["class_teacher"]) },
        "trained": true,
        "consent": {"given_by": "self", "date": "2026-09-03", "purposes": ["storage", "matching"]},
    })
}

/// The municipality of Kyzyl: school 1 has one pupil with special needs
/// (and a tutor), school 2 none, school 3 six (and two tutors).
fn kyzyl() -> Value {
    let mut mentees = Vec::new();
    let mut mentors = Vec::new();
    let mut n = 0;
    for (school, special, struggling, tutors, teachers) in [
        ("sch-1", 1, 12, 1, 3),
        ("sch-2", 0, 10, 0, 3),
        ("sch-3", 6, 8, 2, 2),
    ] {
        for i in 0..special {
            n += 1;
            mentees.push(pupil(
                &format!("{school}-ovz-{i}"),
                school,
                n,
                "special_needs",
            ));
        }
        for i in 0..struggling {
            n += 1;
            mentees.push(pupil(
                &format!("{school}-p-{i}"),
                school,
                n,
                "struggling_pupil",
            ));
        }
        for i in 0..tutors + teachers {
            n += 1;
            mentors.push(teacher(&format!("{school}-t-{i}"), school, n, i < tutors));
        }
    }
    json!({
        "organizations": [
            {"id": "reg-tv", "name": "Республика Тыва", "kind": "region"},
            {"id": "mun-kyzyl", "name": "Городской округ «Город Кызыл»", "kind": "municipality", "parent_id": "reg-tv"},
            {"id": "sch-1", "name": "МБОУ СОШ № 1", "kind": "school", "parent_id": "mun-kyzyl", "teacher_count": 40, "pupil_count": 620},
            {"id": "sch-2", "name": "МБОУ СОШ № 2", "kind": "school", "parent_id": "mun-kyzyl", "teacher_count": 35, "pupil_count": 540},
            {"id": "sch-3", "name": "МБОУ Лицей № 3", "kind": "school", "parent_id": "mun-kyzyl", "teacher_count": 30, "pupil_count": 410},
        ],
        "mentees": mentees,
        "mentors": mentors,
    })
}

/// Loads the municipality with a programme over it and one over school 1.
pub(crate) async fn load(app: &TestApp) {
    let reply = app.import_json(&app.admin.clone(), "", &kyzyl()).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    for (id, orgs) in [
        ("tp-kyzyl", json!(["mun-kyzyl"])),
        ("tp-sch-1", json!(["sch-1"])),
    ] {
        let programme = json!({
            "name": "Учитель – ученик",
            "form": "teacher_pupil",
            "organization_ids": orgs,
            "period": {"start": "2026-09-01", "end": "2027-05-31"},
        });
        let reply = app
            .put(&format!("/api/v1/programmes/{id}"), &programme)
            .await;
        assert!(reply.status.is_success(), "{}", reply.text);
    }
}

fn this_month() -> String {
    let today = time::OffsetDateTime::now_utc().date();
    format!("{}-{:02}", today.year(), u8::from(today.month()))
}

/// The readiness row of `category` at `org`.
fn demand<'a>(ready: &'a Value, org: &str, category: &str) -> &'a Value {
    ready["by_organization"]
        .as_array()
        .expect("organisations")
        .iter()
        .find(|o| o["organization_id"] == org)
        .and_then(|o| {
            o["mentees"]
                .as_array()
                .expect("rows")
                .iter()
                .find(|r| r["category"] == category)
        })
        .unwrap_or_else(|| panic!("no {category} at {org}: {ready}"))
}

/// For a sum whose total is shown: the total minus the visible parts is
/// shared by at least two hidden parts, and by more than their number, so
/// that no hidden part of 1–4 is the only value that fits.
fn not_recoverable(what: &str, total: &Value, parts: &[&Value]) {
    let Some(total) = total.as_u64() else {
        return;
    };
    let hidden = parts.iter().filter(|p| p.is_null()).count() as u64;
    let visible: u64 = parts.iter().filter_map(|p| p.as_u64()).sum();
    assert!(
        hidden == 0 || (hidden >= 2 && total - visible > hidden),
        "{what}: {total} − {visible} leaves {} to {hidden} hidden cell(s)",
        total - visible
    );
}

/// Every column and row of a readiness answer is safe from subtraction.
fn readiness_not_recoverable(ready: &Value) {
    let rows: Vec<&Value> = ready["by_organization"]
        .as_array()
        .expect("organisations")
        .iter()
        .flat_map(|o| o["mentees"].as_array().expect("rows"))
        .collect();
    let totals = &ready["totals"];
    for (field, total) in [
        ("eligible", "mentees_eligible"),
        ("matched_now", "mentees_matchable_now"),
        ("left_without_place", "mentees_left_without_place"),
        ("waiting_for_consent", "mentees_waiting_for_consent"),
    ] {
        let parts: Vec<&Value> = rows.iter().map(|r| &r[field]).collect();
        not_recoverable(field, &totals[total], &parts);
    }
    for r in &rows {
        let mut parts = vec![&r["matched_now"], &r["left_without_place"]];
        parts.extend(r["blocked_by_rule"].as_object().expect("rules").values());
        not_recoverable("a row", &r["eligible"], &parts);
    }
    not_recoverable(
        "the totals",
        &totals["mentees_eligible"],
        &[
            &totals["mentees_matchable_now"],
            &totals["mentees_left_without_place"],
            &totals["mentees_blocked_by_rules"],
        ],
    );
}

async fn readiness_hides_one_pupil_with_special_needs_from_those_who_may_not_read_it(
    app: &TestApp,
) {
    load(app).await;
    let analyst = app.key(Role::Analyst, None).await;
    let system = app.key(Role::System, Some("mun-kyzyl")).await;
    let municipal = app.key(Role::Curator, Some("mun-kyzyl")).await;
    for (who, key) in [
        ("analyst", &analyst),
        ("system", &system),
        ("municipal curator", &municipal),
    ] {
        let ready = app
            .get_as(key, "/api/v1/programmes/tp-kyzyl/readiness")
            .await;
        assert_eq!(ready.status, 200, "{who}: {}", ready.text);
        let one = demand(&ready.body, "sch-1", "special_needs");
        assert!(one["eligible"].is_null(), "{who}: {one}");
        assert_eq!(one["suppressed"]["eligible"], "below_threshold", "{who}");
        assert_eq!(one["moved_away"], 0, "{who}: zero is shown");
        assert_eq!(
            demand(&ready.body, "sch-2", "struggling_pupil")["eligible"],
            10,
            "{who}: other categories stay exact"
        );
        assert_eq!(ready.body["totals"]["mentors_available"], 11, "{who}");
        readiness_not_recoverable(&ready.body);
        assert!(!ready.text.contains("Ооржак"), "counts only");
    }
    // The admin reads everything.
    let ready = app.get("/api/v1/programmes/tp-kyzyl/readiness").await;
    let one = demand(&ready.body, "sch-1", "special_needs");
    assert_eq!(one["eligible"], 1, "{one}");
    assert_eq!(one["suppressed"], json!({}));
    assert_eq!(demand(&ready.body, "sch-3", "special_needs")["eligible"], 6);
    assert_eq!(ready.body["totals"]["mentees_eligible"], 37);
    assert_eq!(ready.body["totals"]["suppressed"], json!({}));
    // The school's own curator reads its pupils; an analyst does not.
    let own = app.key(Role::Curator, Some("sch-1")).await;
    let ready = app
        .get_as(&own, "/api/v1/programmes/tp-sch-1/readiness")
        .await;
    assert_eq!(ready.status, 200, "{}", ready.text);
    assert_eq!(demand(&ready.body, "sch-1", "special_needs")["eligible"], 1);
    assert_eq!(ready.body["totals"]["mentees_eligible"], 13);
    let ready = app
        .get_as(&analyst, "/api/v1/programmes/tp-sch-1/readiness")
        .await;
    assert!(demand(&ready.body, "sch-1", "special_needs")["eligible"].is_null());
    assert!(
        ready.body["totals"]["mentees_eligible"].is_null(),
        "13 − 12 would give the one pupil: {}",
        ready.body["totals"]
    );
    readiness_not_recoverable(&ready.body);
}

/// The indicator `id` among `list`.
fn indicator<'a>(list: &'a Value, id: &str) -> &'a Value {
    list.as_array()
        .expect("indicators")
        .iter()
        .find(|i| i["id"] == id)
        .unwrap_or_else(|| panic!("no {id}"))
}

fn child<'a>(report: &'a Value, org: &str) -> &'a Value {
    &report["by_organization"]
        .as_array()
        .expect("children")
        .iter()
        .find(|o| o["organization_id"] == org)
        .unwrap_or_else(|| panic!("no {org}"))["indicators"]
}

/// The CSV record of `indicator` for the organisation named `name` (no form).
fn csv_row(text: &str, name: &str, indicator: &str) -> Vec<String> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    reader
        .records()
        .map(|r| r.expect("row"))
        .find(|r| &r[0] == name && r[1].is_empty() && &r[2] == indicator)
        .unwrap_or_else(|| panic!("no row {name} {indicator}: {text}"))
        .iter()
        .map(str::to_owned)
        .collect()
}

async fn indicators_hide_one_pupil_with_special_needs_in_every_format(app: &TestApp) {
    load(app).await;
    // Tutors take the pupils with special needs.
    let run = app
        .run_and_wait(&app.admin.clone(), "tp-kyzyl", json!({}))
        .await;
    for p in run["proposals"].as_array().expect("proposals") {
        let reply = app
            .approve(&app.admin.clone(), p["id"].as_str().expect("id"))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
    }
    let month = this_month();
    let query = format!("organization_id=mun-kyzyl&period={month}");
    let exact = app
        .get(&format!("/api/v1/reports/indicators?{query}"))
        .await;
    assert_eq!(exact.status, 200, "{}", exact.text);
    let tutor = |list: &Value| indicator(list, "special_needs_with_tutor").clone();
    assert_eq!(tutor(child(&exact.body, "sch-1"))["denominator"], 1);
    assert_eq!(tutor(child(&exact.body, "sch-1"))["numerator"], 1);
    assert_eq!(tutor(child(&exact.body, "sch-3"))["denominator"], 6);
    assert_eq!(tutor(&exact.body["indicators"])["denominator"], 7);

    let analyst = app.key(Role::Analyst, None).await;
    let system = app.key(Role::System, Some("mun-kyzyl")).await;
    let municipal = app.key(Role::Curator, Some("mun-kyzyl")).await;
    for (who, key) in [
        ("analyst", &analyst),
        ("system", &system),
        ("municipal curator", &municipal),
    ] {
        let report = app
            .get_as(key, &format!("/api/v1/reports/indicators?{query}"))
            .await;
        assert_eq!(report.status, 200, "{who}: {}", report.text);
        let one = tutor(child(&report.body, "sch-1"));
        assert!(
            one["denominator"].is_null() && one["numerator"].is_null(),
            "{who}: {one}"
        );
        assert!(
            one["share"].is_null() && one["percent"].is_null(),
            "{who}: {one}"
        );
        assert_eq!(one["suppressed"]["denominator"], "below_threshold", "{who}");
        // 7 − 0 (school 2) − 6 would give school 1: school 3 is hidden too.
        let whole = tutor(&report.body["indicators"]);
        let three = tutor(child(&report.body, "sch-3"));
        assert_eq!(whole["denominator"], 7, "{who}");
        assert!(three["denominator"].is_null(), "{who}: {three}");
        assert_eq!(three["suppressed"]["denominator"], "complementary", "{who}");
        for field in ["numerator", "denominator"] {
            let parts: Vec<Value> = ["sch-1", "sch-2", "sch-3"]
                .iter()
                .map(|o| tutor(child(&report.body, o))[field].clone())
                .collect();
            not_recoverable(field, &whole[field], &parts.iter().collect::<Vec<_>>());
        }
        // Indicators of other things stay exact.
        assert_eq!(
            indicator(child(&report.body, "sch-1"), "teachers_mentoring"),
            indicator(child(&exact.body, "sch-1"), "teachers_mentoring"),
            "{who}"
        );

        let csv = app
            .get_as(
                key,
                &format!("/api/v1/reports/indicators.csv?{query}&lang=ru"),
            )
            .await;
        assert_eq!(csv.status, 200, "{who}");
        let row = csv_row(&csv.text, "МБОУ СОШ № 1", "special_needs_with_tutor");
        assert_eq!(row[4..8], ["< 5", "< 5", "< 5", "< 5"], "{who}: {row:?}");
        let row = csv_row(&csv.text, "МБОУ Лицей № 3", "special_needs_with_tutor");
        assert_eq!(row[5], "скрыто", "{who}: {row:?}");
        let row = csv_row(&csv.text, "МБОУ СОШ № 2", "special_needs_with_tutor");
        assert_eq!(row[5], "0", "{who}: zero is shown");

        let xlsx = app
            .client
            .get(format!(
                "{}/api/v1/reports/indicators.xlsx?{query}&lang=ru",
                app.base
            ))
            .bearer_auth(key)
            .send()
            .await
            .expect("answer");
        assert_eq!(xlsx.status(), 200, "{who}");
        let bytes = xlsx.bytes().await.expect("body").to_vec();
        let mut book: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(Cursor::new(bytes)).expect("a workbook");
        let sheet = book.worksheet_range("Показатели").expect("sheet");
        let line = (1..sheet.height())
            .find(|r| {
                sheet.get((*r, 0)) == Some(&Data::String("МБОУ СОШ № 1".into()))
                    && sheet.get((*r, 2)) == Some(&Data::String("special_needs_with_tutor".into()))
            })
            .expect("the row");
        assert_eq!(
            sheet.get((line, 4)),
            Some(&Data::String("< 5".into())),
            "{who}"
        );
        assert_eq!(
            sheet.get((line, 5)),
            Some(&Data::String("< 5".into())),
            "{who}"
        );

        let svg = app
            .get_as(
                key,
                &format!(
                    "/api/v1/reports/indicators.svg?{query}&indicator=special_needs_with_tutor&lang=ru"
                ),
            )
            .await;
        assert_eq!(svg.status, 200, "{who}");
        assert!(
            svg.text.contains("class=\"suppressed\"") && svg.text.contains("&lt; 5"),
            "{who}: {}",
            svg.text
        );
        // Only school 2 (0 of 0: no data) and no bar for the hidden ones.
        assert!(!svg.text.contains("<rect x"), "{who}: no bar: {}", svg.text);
    }
    // The school's own curator reads its pupils exactly; an analyst asking
    // for that school alone does not.
    let own = app.key(Role::Curator, Some("sch-1")).await;
    let report = app
        .get_as(
            &own,
            &format!("/api/v1/reports/indicators?organization_id=sch-1&period={month}"),
        )
        .await;
    assert_eq!(report.status, 200, "{}", report.text);
    let mine = tutor(&report.body["indicators"]);
    assert_eq!(
        (mine["numerator"].clone(), mine["denominator"].clone()),
        (json!(1), json!(1))
    );
    assert_eq!(mine["percent"], 100.0);
    let csv = app
        .get_as(
            &own,
            &format!("/api/v1/reports/indicators.csv?organization_id=sch-1&period={month}&lang=ru"),
        )
        .await;
    assert_eq!(
        csv_row(&csv.text, "МБОУ СОШ № 1", "special_needs_with_tutor")[5],
        "1"
    );
    let report = app
        .get_as(
            &analyst,
            &format!("/api/v1/reports/indicators?organization_id=sch-1&period={month}"),
        )
        .await;
    assert!(tutor(&report.body["indicators"])["denominator"].is_null());
}

on_both_backends!(
    readiness_hides_one_pupil_with_special_needs_from_those_who_may_not_read_it,
    indicators_hide_one_pupil_with_special_needs_in_every_format,
);
