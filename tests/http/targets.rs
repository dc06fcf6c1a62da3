//! Planned values of the indicators: put and read back, reported beside
//! the actual per cent with the gap in JSON, CSV and XLSX, and «нет
//! данных» (never 0) where the denominator is zero.

use crate::common::TestApp;
use calamine::{Data, Reader};
use mentor_match::service::auth::Role;
use serde_json::{Value, json};
use std::io::Cursor;

fn this_month() -> String {
    let today = time::OffsetDateTime::now_utc().date();
    format!("{}-{:02}", today.year(), u8::from(today.month()))
}

async fn download(app: &TestApp, path: &str) -> Vec<u8> {
    let response = app
        .client
        .get(format!("{}{path}", app.base))
        .bearer_auth(&app.admin)
        .send()
        .await
        .expect("server answers");
    assert_eq!(response.status().as_u16(), 200, "{path}");
    response.bytes().await.expect("body").to_vec()
}

/// The CSV record of `indicator` for the organisation named `name` (no form).
fn csv_row(body: &[u8], delimiter: u8, name: &str, indicator: &str) -> Vec<String> {
    let text = std::str::from_utf8(body).expect("utf-8");
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| {
            r.expect("row")
                .iter()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .find(|r| r[0] == name && r[1].is_empty() && r[2] == indicator)
        .expect("the row")
}

fn indicator<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["indicators"]
        .as_array()
        .expect("indicators")
        .iter()
        .find(|i| i["id"] == id)
        .expect("the indicator")
}

async fn targets_are_put_read_back_and_refused_outside_the_scope(app: &TestApp) {
    app.load_school().await;
    let body = json!({"targets": [
        {"indicator": "teachers_mentoring", "period": "2026-09", "percent": 40.04},
        {"indicator": "teachers_mentoring", "period": "2026", "percent": 30},
        {"indicator": "mentees_waiting", "period": "2026", "percent": 5.5},
    ]});
    let put = app
        .put("/api/v1/organizations/school-7/targets", &body)
        .await;
    assert_eq!(put.status, 200, "{}", put.text);
    let got = app.get("/api/v1/organizations/school-7/targets").await;
    assert_eq!(got.status, 200);
    assert_eq!(
        got.body,
        json!({"targets": [
            {"indicator": "mentees_waiting", "period": "2026", "percent": 5.5},
            {"indicator": "teachers_mentoring", "period": "2026", "percent": 30.0},
            {"indicator": "teachers_mentoring", "period": "2026-09", "percent": 40.0},
        ]})
    );
    let one =
        json!({"targets": [{"indicator": "teachers_mentoring", "period": "2027", "percent": 60}]});
    let college = app.key(Role::Curator, Some("college-ped")).await;
    app.put_as(&college, "/api/v1/organizations/school-7/targets", &one)
        .await
        .assert_problem(404);
    app.get_as(&college, "/api/v1/organizations/school-7/targets")
        .await
        .assert_problem(404);
    let analyst = app.key(Role::Analyst, None).await;
    app.put_as(&analyst, "/api/v1/organizations/school-7/targets", &one)
        .await
        .assert_problem(403);
    let curator = app.key(Role::Curator, Some("school-7")).await;
    let replaced = app
        .put_as(&curator, "/api/v1/organizations/school-7/targets", &one)
        .await;
    assert_eq!(replaced.status, 200, "{}", replaced.text);
    assert_eq!(replaced.body["targets"].as_array().map(Vec::len), Some(1));
    let mut fields = app
        .put(
            "/api/v1/organizations/school-7/targets",
            &json!({"targets": [{"indicator": "nope", "period": "2026-13", "percent": 101}]}),
        )
        .await
        .assert_problem(422);
    fields.sort();
    assert_eq!(
        fields,
        [
            "targets[0].indicator",
            "targets[0].percent",
            "targets[0].period"
        ]
    );
    let audit = app
        .get("/api/v1/audit?subject=organization:school-7&action=targets.")
        .await;
    assert_eq!(
        audit.body["items"].as_array().map(Vec::len),
        Some(2),
        "{}",
        audit.text
    );
}

async fn the_report_shows_percent_plan_and_gap_in_every_format(app: &TestApp) {
    app.load_school().await;
    let run = app.run_and_wait(&app.admin, "tp-2026", json!({})).await;
    for p in run["proposals"].as_array().expect("proposals") {
        let reply = app.approve(&app.admin, p["id"].as_str().expect("id")).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
    }
    let period = this_month();
    let put = app
        .put(
            "/api/v1/organizations/school-7/targets",
            &json!({"targets": [{"indicator": "teachers_mentoring", "period": period, "percent": 12.5}]}),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.text);
    let query = format!("organization_id=school-7&period={period}");
    let report = app
        .get(&format!("/api/v1/reports/indicators?{query}"))
        .await;
    assert_eq!(report.status, 200, "{}", report.text);
    let mentoring = indicator(&report.body, "teachers_mentoring");
    let (numerator, denominator) = (
        mentoring["numerator"].as_f64().expect("numerator"),
        mentoring["denominator"].as_f64().expect("denominator"),
    );
    assert!(denominator > 0.0 && numerator > 0.0, "{mentoring}");
    let percent = (numerator / denominator * 1000.0).round() / 10.0;
    let gap = ((percent - 12.5) * 10.0).round() / 10.0;
    assert_eq!(mentoring["share"], json!(numerator / denominator));
    assert_eq!(mentoring["percent"], json!(percent));
    assert_eq!(mentoring["target"], json!(12.5));
    assert_eq!(mentoring["gap"], json!(gap));
    assert!(
        indicator(&report.body, "mentees_waiting")
            .get("target")
            .is_none()
    );

    let csv = download(
        app,
        &format!("/api/v1/reports/indicators.csv?{query}&lang=ru"),
    )
    .await;
    let header = String::from_utf8_lossy(&csv)
        .lines()
        .next()
        .expect("header")
        .to_owned();
    assert!(
        header.ends_with("Доля,Процент,\"План, %\",Отклонение от плана"),
        "{header}"
    );
    // The first row is the whole organisation's.
    let org_name = {
        let text = String::from_utf8_lossy(&csv).to_string();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        reader.records().next().expect("a row").expect("row")[0].to_owned()
    };
    let row = csv_row(&csv, b',', &org_name, "teachers_mentoring");
    assert_eq!(row[4], format!("{numerator}"));
    assert_eq!(row[5], format!("{denominator}"));
    assert_eq!(row[7], format!("{percent:.1}"));
    assert_eq!(row[8], "12.5");
    assert_eq!(row[9], format!("{gap:.1}"));
    let ru = download(
        app,
        &format!("/api/v1/reports/indicators.csv?{query}&lang=ru&dialect=excel-ru"),
    )
    .await;
    let row = csv_row(&ru, b';', &org_name, "teachers_mentoring");
    assert_eq!(row[7], format!("{percent:.1}").replace('.', ","));
    assert_eq!(row[8], "12,5");

    let xlsx = download(
        app,
        &format!("/api/v1/reports/indicators.xlsx?{query}&lang=ru"),
    )
    .await;
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(xlsx)).expect("a workbook");
    let sheet = book.worksheet_range("Показатели").expect("sheet");
    assert_eq!(sheet.get((0, 7)), Some(&Data::String("Процент".into())));
    assert_eq!(sheet.get((0, 8)), Some(&Data::String("План, %".into())));
    assert_eq!(
        sheet.get((0, 9)),
        Some(&Data::String("Отклонение от плана".into()))
    );
    let line = (1..sheet.height())
        .find(|r| {
            sheet.get((*r, 0)) == Some(&Data::String(org_name.clone()))
                && sheet.get((*r, 2)) == Some(&Data::String("teachers_mentoring".into()))
        })
        .expect("the row");
    assert_eq!(sheet.get((line, 4)), Some(&Data::Float(numerator)));
    assert_eq!(sheet.get((line, 5)), Some(&Data::Float(denominator)));
    let close = |cell: Option<&Data>, expected: f64| match cell {
        Some(Data::Float(v)) => assert!((v - expected).abs() < 1e-9, "{v} ≠ {expected}"),
        other => panic!("not a number: {other:?}"),
    };
    close(sheet.get((line, 7)), percent / 100.0);
    close(sheet.get((line, 8)), 0.125);
    close(sheet.get((line, 9)), gap / 100.0);
}

async fn a_zero_denominator_reads_no_data_never_zero(app: &TestApp) {
    app.load_school().await;
    let made = app
        .put(
            "/api/v1/organizations/school-empty",
            &json!({"id": "school-empty", "name": "Пустая школа", "kind": "school", "parent_id": "mun-ustk"}),
        )
        .await;
    assert!(made.status.is_success(), "{}", made.text);
    let period = this_month();
    let put = app
        .put(
            "/api/v1/organizations/school-empty/targets",
            &json!({"targets": [{"indicator": "teachers_mentoring", "period": &period[..4], "percent": 20}]}),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.text);
    let query = format!("organization_id=school-empty&period={period}");
    let report = app
        .get(&format!("/api/v1/reports/indicators?{query}"))
        .await;
    assert_eq!(report.status, 200, "{}", report.text);
    for i in report.body["indicators"].as_array().expect("indicators") {
        assert_eq!(i["denominator"], 0, "{i}");
        assert!(i["percent"].is_null() && i["share"].is_null(), "{i}");
    }
    let mentoring = indicator(&report.body, "teachers_mentoring");
    assert_eq!(mentoring["target"], json!(20.0));
    assert!(mentoring["gap"].is_null(), "{mentoring}");

    let csv = download(
        app,
        &format!("/api/v1/reports/indicators.csv?{query}&lang=ru"),
    )
    .await;
    let row = csv_row(&csv, b',', "Пустая школа", "teachers_mentoring");
    assert_eq!((row[6].as_str(), row[7].as_str()), ("", "нет данных"));
    assert_eq!((row[8].as_str(), row[9].as_str()), ("20.0", "нет данных"));
    let xlsx = download(
        app,
        &format!("/api/v1/reports/indicators.xlsx?{query}&lang=ru"),
    )
    .await;
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(xlsx)).expect("a workbook");
    let sheet = book.worksheet_range("Показатели").expect("sheet");
    for r in 1..sheet.height() {
        assert_eq!(
            sheet.get((r, 7)),
            Some(&Data::String("нет данных".into())),
            "row {r}"
        );
    }
}

on_both_backends!(
    targets_are_put_read_back_and_refused_outside_the_scope,
    the_report_shows_percent_plan_and_gap_in_every_format,
    a_zero_denominator_reads_no_data_never_zero,
);
