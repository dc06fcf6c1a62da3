//! Orders: made from approved pairs, read back from XLSX cell by cell and
//! from DOCX, never taking a pair twice, refused outside the caller's scope.

use crate::common::{TestApp, fixture_json};
use calamine::{Data, Reader};
use mentor_match::service::auth::Role;
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};
use std::io::{Cursor, Read};

const HEADINGS: [&str; 8] = [
    "№",
    "Наставник",
    "Должность",
    "Наставляемый",
    "Класс/должность",
    "Форма",
    "Начало",
    "Окончание",
];

async fn download(app: &TestApp, key: &str, path: &str) -> (u16, Vec<u8>) {
    let response = app
        .client
        .get(format!("{}{path}", app.base))
        .bearer_auth(key)
        .send()
        .await
        .expect("server answers");
    let status = response.status().as_u16();
    (status, response.bytes().await.expect("body").to_vec())
}

/// Runs `tp-2026` and approves its first `take` proposals (all when
/// `None`); returns the approved proposals.
async fn approve(app: &TestApp, take: Option<usize>) -> Vec<Value> {
    let run = app.run_and_wait(&app.admin, "tp-2026", json!({})).await;
    let proposals = run["proposals"].as_array().expect("proposals").clone();
    assert!(proposals.len() >= 2, "the fixture gives several proposals");
    let take = take.unwrap_or(proposals.len());
    for p in &proposals[..take] {
        let reply = app.approve(&app.admin, p["id"].as_str().expect("id")).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
    }
    proposals[..take].to_vec()
}

async fn programme_pairs(app: &TestApp) -> Vec<Value> {
    let reply = app
        .get("/api/v1/pairs?programme_id=tp-2026&limit=1000")
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    reply.body["items"].as_array().expect("items").clone()
}

fn names(section: &str) -> HashMap<String, String> {
    fixture_json("school.json")[section]
        .as_array()
        .expect("people")
        .iter()
        .map(|p| {
            (
                p["id"].as_str().expect("id").to_owned(),
                p["full_name"].as_str().expect("name").to_owned(),
            )
        })
        .collect()
}

/// The day `YYYY-MM-DD` as Excel counts it.
fn excel_serial(iso: &str) -> f64 {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let day = time::Date::parse(iso, &format).expect("a date");
    (day - time::macros::date!(1899 - 12 - 30)).whole_days() as f64
}

fn text(cell: Option<&Data>) -> String {
    match cell {
        Some(Data::String(s)) => s.clone(),
        other => panic!("not a text cell: {other:?}"),
    }
}

async fn an_order_lists_the_approved_pairs_in_xlsx_and_docx(app: &TestApp) {
    app.load_school().await;
    approve(app, None).await;
    let pairs = programme_pairs(app).await;
    let reply = app
        .post_json(
            &app.admin,
            "/api/v1/programmes/tp-2026/orders",
            &json!({"number": "15-о", "date": "2026-09-01", "signed_by": "Петров П. П."}),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(reply.body["number"], "15-о");
    assert_eq!(reply.body["date"], "2026-09-01");
    assert_eq!(reply.body["pairs"], pairs.len());
    let id = reply.body["id"].as_str().expect("id").to_owned();

    for pair in programme_pairs(app).await {
        assert_eq!(pair["order_number"], "15-о", "{pair}");
        assert_eq!(pair["order_date"], "2026-09-01", "{pair}");
    }
    let csv = app
        .get("/api/v1/programmes/tp-2026/pairs.csv?lang=ru")
        .await;
    let mut reader = csv::Reader::from_reader(csv.text.as_bytes());
    assert_eq!(
        reader
            .headers()
            .expect("headings")
            .iter()
            .skip(7)
            .collect::<Vec<_>>(),
        ["Номер приказа", "Дата приказа"]
    );
    for row in reader.records() {
        let row = row.expect("row");
        assert_eq!((&row[7], &row[8]), ("15-о", "2026-09-01"));
    }

    let (mentors, mentees) = (names("mentors"), names("mentees"));
    let expected: BTreeSet<(String, String)> = pairs
        .iter()
        .map(|p| {
            (
                mentors[p["mentor_id"].as_str().expect("mentor")].clone(),
                mentees[p["mentee_id"].as_str().expect("mentee")].clone(),
            )
        })
        .collect();

    let (status, body) = download(app, &app.admin, &format!("/api/v1/orders/{id}.xlsx")).await;
    assert_eq!(status, 200);
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(body)).expect("a workbook");
    let sheet = book.worksheet_range("Приложение").expect("the sheet");
    assert_eq!(
        text(sheet.get((0, 0))),
        "Приложение к приказу № 15-о от 01.09.2026"
    );
    let programme = fixture_json("school.json")["programmes"][1]["name"].clone();
    assert_eq!(
        text(sheet.get((1, 0))),
        format!(
            "Программа наставничества: {}",
            programme.as_str().expect("name")
        )
    );
    for (c, heading) in HEADINGS.iter().enumerate() {
        assert_eq!(text(sheet.get((3, c))), *heading);
    }
    let mut listed = BTreeSet::new();
    let mut row = 4;
    while let Some(Data::Float(n)) = sheet.get((row, 0)) {
        assert_eq!(*n as usize, row - 3);
        let mentor = text(sheet.get((row, 1)));
        assert!(!text(sheet.get((row, 2))).is_empty(), "a position");
        let classes = text(sheet.get((row, 4)));
        for (mentee, class) in text(sheet.get((row, 3)))
            .split("; ")
            .zip(classes.split("; "))
        {
            assert!(class.ends_with(" класс"), "{class}");
            listed.insert((mentor.clone(), mentee.to_owned()));
        }
        assert_eq!(text(sheet.get((row, 5))), "учитель – ученик");
        for c in [6, 7] {
            match sheet.get((row, c)) {
                Some(Data::DateTime(d)) => assert!(d.is_datetime()),
                other => panic!("not a date cell: {other:?}"),
            }
        }
        if let Some(Data::DateTime(d)) = sheet.get((row, 6)) {
            assert_eq!(
                d.as_f64(),
                excel_serial(pairs[0]["started_on"].as_str().expect("start"))
            );
        }
        row += 1;
    }
    assert_eq!(listed, expected);
    assert!(text(sheet.get((row + 1, 0))).contains("Петров П. П."));

    let (status, body) = download(app, &app.admin, &format!("/api/v1/orders/{id}.docx")).await;
    assert_eq!(status, 200);
    let mut zip = zip::ZipArchive::new(Cursor::new(body)).expect("a zip");
    let mut xml = String::new();
    zip.by_name("word/document.xml")
        .expect("the document part")
        .read_to_string(&mut xml)
        .expect("UTF-8");
    let texts: Vec<&str> = xml
        .split("<w:t xml:space=\"preserve\">")
        .skip(1)
        .map(|t| t.split("</w:t>").next().expect("a text"))
        .collect();
    assert_eq!(texts[0], "Приложение к приказу № 15-о от 01.09.2026");
    for heading in HEADINGS {
        assert!(texts.contains(&heading), "{heading}");
    }
    for (mentor, mentee) in &expected {
        assert!(texts.contains(&mentor.as_str()), "{mentor}");
        assert!(
            texts.iter().any(|t| t.split("; ").any(|m| m == mentee)),
            "{mentee}"
        );
    }
    let start = pairs[0]["started_on"].as_str().expect("start");
    let start = format!("{}.{}.{}", &start[8..10], &start[5..7], &start[..4]);
    assert!(texts.contains(&start.as_str()) && texts.contains(&"31.05.2027"));
    assert!(
        texts
            .iter()
            .any(|t| t.starts_with("Руководитель") && t.ends_with("Петров П. П."))
    );
    assert!(xml.contains("<w:tbl>"));
}

async fn a_pair_goes_into_one_order_only(app: &TestApp) {
    app.load_school().await;
    let first = approve(app, Some(1)).await;
    let order = |number: &str| json!({"number": number, "date": "2026-09-02"});
    let one = app
        .post_json(&app.admin, "/api/v1/programmes/tp-2026/orders", &order("1"))
        .await;
    assert_eq!(one.status, 201, "{}", one.text);
    let taken = one.body["pairs"].as_i64().expect("pairs");
    assert!(taken >= 1);
    let again = app
        .post_json(&app.admin, "/api/v1/programmes/tp-2026/orders", &order("2"))
        .await;
    again.assert_problem(409);
    assert!(again.text.contains("outside an order"), "{}", again.text);
    let same_number = app
        .post_json(&app.admin, "/api/v1/programmes/tp-2026/orders", &order("1"))
        .await;
    same_number.assert_problem(409);
    assert!(
        same_number.text.contains("already exists"),
        "{}",
        same_number.text
    );

    // The rest approved later go into the next order, and only they.
    let run = app.run_and_wait(&app.admin, "tp-2026", json!({})).await;
    let more = run["proposals"].as_array().expect("proposals").clone();
    assert!(!more.is_empty() && first.len() == 1);
    for p in &more {
        let reply = app.approve(&app.admin, p["id"].as_str().expect("id")).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
    }
    let two = app
        .post_json(&app.admin, "/api/v1/programmes/tp-2026/orders", &order("2"))
        .await;
    assert_eq!(two.status, 201, "{}", two.text);
    let pairs = programme_pairs(app).await;
    let in_first = pairs.iter().filter(|p| p["order_number"] == "1").count();
    let in_second = pairs.iter().filter(|p| p["order_number"] == "2").count();
    assert_eq!(in_first as i64, taken);
    assert_eq!(in_second as i64, two.body["pairs"].as_i64().expect("pairs"));
    assert_eq!(in_first + in_second, pairs.len());
}

async fn concurrent_orders_never_take_the_same_pair(app: &TestApp) {
    app.load_school().await;
    approve(app, None).await;
    let total = programme_pairs(app).await.len();
    let bodies: Vec<Value> = (0..4)
        .map(|i| json!({"number": format!("c-{i}"), "date": "2026-09-03"}))
        .collect();
    let requests = bodies
        .iter()
        .map(|body| app.post_json(&app.admin, "/api/v1/programmes/tp-2026/orders", body));
    let replies = futures_util::future::join_all(requests).await;
    let made: Vec<&crate::common::Reply> = replies.iter().filter(|r| r.status == 201).collect();
    assert_eq!(made.len(), 1, "exactly one order wins");
    for r in replies.iter().filter(|r| r.status != 201) {
        r.assert_problem(409);
    }
    assert_eq!(made[0].body["pairs"].as_u64(), Some(total as u64));
    let number = made[0].body["number"].clone();
    assert!(
        programme_pairs(app)
            .await
            .iter()
            .all(|p| p["order_number"] == number)
    );
}

async fn orders_are_refused_outside_the_scope_and_checked(app: &TestApp) {
    app.load_school().await;
    approve(app, None).await;
    let body = json!({"number": "7", "date": "2026-09-01"});
    let college = app.key(Role::Curator, Some("college-ped")).await;
    app.post_json(&college, "/api/v1/programmes/tp-2026/orders", &body)
        .await
        .assert_problem(404);
    let analyst = app.key(Role::Analyst, None).await;
    app.post_json(&analyst, "/api/v1/programmes/tp-2026/orders", &body)
        .await
        .assert_problem(403);
    for (bad, field) in [
        (json!({"number": "", "date": "2026-09-01"}), "number"),
        (
            json!({"number": "x".repeat(65), "date": "2026-09-01"}),
            "number",
        ),
        (json!({"number": "7", "date": "01.09.2026"}), "date"),
        (json!({"date": "2026-09-01"}), "number"),
    ] {
        let fields = app
            .post_json(&app.admin, "/api/v1/programmes/tp-2026/orders", &bad)
            .await
            .assert_problem(422);
        assert_eq!(fields, [field], "{bad}");
    }
    let curator = app.key(Role::Curator, Some("school-7")).await;
    let made = app
        .post_json(&curator, "/api/v1/programmes/tp-2026/orders", &body)
        .await;
    assert_eq!(made.status, 201, "{}", made.text);
    let id = made.body["id"].as_str().expect("id");
    let (status, _) = download(app, &curator, &format!("/api/v1/orders/{id}.xlsx")).await;
    assert_eq!(status, 200);
    let (status, _) = download(app, &college, &format!("/api/v1/orders/{id}.docx")).await;
    assert_eq!(status, 404);
    let audit = app.get(&format!("/api/v1/audit?subject=order:{id}")).await;
    assert_eq!(audit.status, 200, "{}", audit.text);
    let actions: Vec<&str> = audit.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(actions.contains(&"order.created"), "{actions:?}");
    assert!(actions.contains(&"order.exported"), "{actions:?}");
}

on_both_backends!(
    an_order_lists_the_approved_pairs_in_xlsx_and_docx,
    a_pair_goes_into_one_order_only,
    concurrent_orders_never_take_the_same_pair,
    orders_are_refused_outside_the_scope_and_checked,
);
