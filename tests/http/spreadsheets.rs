//! School spreadsheets through the real server: Windows-1251 and UTF-8 CSV
//! with `;` or tabs, XLSX and ODS written by other programs, Russian
//! headings and words, templates filled and imported, and exports that
//! open well in Russian Excel, the indicators' growth among them.

use crate::common::{Reply, TestApp, fixture, fixture_json};
use calamine::{Data, Reader};
use mentor_match::service::auth::Role;
use serde_json::{Value, json};
use std::io::Cursor;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const ODS: &str = "application/vnd.oasis.opendocument.spreadsheet";

fn bytes(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).expect("fixture")
}

/// `POST /api/v1/import{query}` of raw bytes of `content_type`.
async fn import(
    app: &TestApp,
    query: &str,
    body: Vec<u8>,
    content_type: &str,
    lang: Option<&str>,
) -> Reply {
    let mut request = app
        .client
        .post(format!("{}/api/v1/import{query}", app.base))
        .bearer_auth(&app.admin)
        .header("content-type", content_type)
        .body(body);
    if let Some(lang) = lang {
        request = request.header("accept-language", lang);
    }
    let response = request.send().await.expect("server answers");
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body");
    assert!(
        status.as_u16() < 500,
        "the server answered {status}: {text}"
    );
    Reply {
        status,
        headers,
        body: serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
    }
}

/// `GET` of `path` as admin, the body as raw bytes.
async fn download(app: &TestApp, path: &str) -> (u16, Vec<u8>) {
    let response = app
        .client
        .get(format!("{}{path}", app.base))
        .bearer_auth(&app.admin)
        .send()
        .await
        .expect("server answers");
    let status = response.status().as_u16();
    (status, response.bytes().await.expect("body").to_vec())
}

fn count(school: &Value, section: &str) -> usize {
    school[section].as_array().map_or(0, Vec::len)
}

/// `(row, heading)` of every bad field of a rejected import.
fn bad_cells(reply: &Reply) -> Vec<(u64, String)> {
    reply.body["rejected"]
        .as_array()
        .expect("rejected rows")
        .iter()
        .flat_map(|r| {
            r["errors"].as_array().into_iter().flatten().map(move |e| {
                (
                    r["row"].as_u64().expect("row"),
                    e["heading"].as_str().unwrap_or("").to_owned(),
                )
            })
        })
        .collect()
}

fn windows_1251(text: &str) -> Vec<u8> {
    let (bytes, _, lossy) = encoding_rs::WINDOWS_1251.encode(text);
    assert!(!lossy, "encodable in Windows-1251");
    bytes.into_owned()
}

async fn spreadsheets_written_by_other_programs_hold_the_same_people_as_the_json(app: &TestApp) {
    let school = fixture_json("school.json");
    let orgs = import(
        app,
        "?kind=organizations",
        bytes("organizations_ru.ods"),
        ODS,
        None,
    )
    .await;
    assert_eq!(orgs.status, 200, "{}", orgs.text);
    assert_eq!(orgs.body["created"], count(&school, "organizations"));
    assert_eq!(orgs.body["sheet"], "Организации");

    let mentors = import(app, "?kind=mentors", bytes("mentors_ru.xlsx"), XLSX, None).await;
    assert_eq!(mentors.status, 200, "{}", mentors.text);
    assert_eq!(mentors.body["created"], count(&school, "mentors"));
    assert_eq!(mentors.body["sheet"], "Наставники");
    assert!(mentors.body.get("encoding").is_none(), "{}", mentors.text);

    let mentees = import(
        app,
        "?kind=mentees",
        bytes("mentees_ru_cp1251.csv"),
        "text/csv",
        None,
    )
    .await;
    assert_eq!(mentees.status, 200, "{}", mentees.text);
    assert_eq!(mentees.body["created"], count(&school, "mentees"));
    assert_eq!(mentees.body["encoding"], "windows-1251");
    assert_eq!(mentees.body["delimiter"], "semicolon");

    // The JSON of the same school changes nothing the spreadsheets wrote.
    let again = app.import_json(&app.admin, "", &school).await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.body["updated"], 0, "{}", again.text);
    assert_eq!(
        again.body["unchanged"],
        count(&school, "organizations") + count(&school, "mentors") + count(&school, "mentees")
    );
    let stored = app.get("/api/v1/mentors/t-smirnova").await;
    assert_eq!(
        stored.body["roles"],
        json!(["deputy_head", "methodologist"])
    );
    assert_eq!(stored.body["consent"]["date"], "2026-09-01");
}

async fn a_utf8_csv_with_a_bom_and_tabs_is_detected(app: &TestApp) {
    app.load_school().await;
    let text = std::fs::read_to_string(fixture("mentees.csv")).expect("fixture");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut writer = csv::WriterBuilder::new()
        .delimiter(b'\t')
        .from_writer(b"\xEF\xBB\xBF".to_vec());
    writer
        .write_record(reader.headers().expect("header"))
        .expect("write");
    for record in reader.records() {
        writer.write_record(&record.expect("row")).expect("write");
    }
    let body = writer.into_inner().expect("csv");
    let reply = import(app, "?kind=mentees", body, "text/csv", None).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["encoding"], "utf-8");
    assert_eq!(reply.body["delimiter"], "tab");
    assert_eq!(reply.body["unchanged"], 24, "{}", reply.text);
}

async fn the_caller_can_override_what_is_detected(app: &TestApp) {
    app.load_school().await;
    let cp1251 = bytes("mentees_ru_cp1251.csv");
    let wrong = import(
        app,
        "?kind=mentees&encoding=utf-8",
        cp1251.clone(),
        "text/csv",
        None,
    )
    .await;
    assert_eq!(wrong.assert_problem(422), ["encoding"]);
    let commas = import(
        app,
        "?kind=mentees&delimiter=comma",
        cp1251.clone(),
        "text/csv",
        None,
    )
    .await;
    assert_eq!(commas.assert_problem(422), ["header"]);
    let asked = import(
        app,
        "?kind=mentees&encoding=windows-1251&delimiter=semicolon",
        cp1251,
        "text/csv",
        None,
    )
    .await;
    assert_eq!(asked.status, 200, "{}", asked.text);
    assert_eq!(asked.body["unchanged"], 24);
    assert_eq!(asked.body["encoding"], "windows-1251");

    let xlsx = bytes("mentors_ru.xlsx");
    let by_number = import(app, "?kind=mentors&sheet=1", xlsx.clone(), XLSX, None).await;
    assert_eq!(by_number.status, 200, "{}", by_number.text);
    assert_eq!(by_number.body["sheet"], "Наставники");
    let missing = import(
        app,
        "?kind=mentors&sheet=Лист9",
        xlsx.clone(),
        XLSX,
        Some("ru"),
    )
    .await;
    assert_eq!(missing.assert_problem(422), ["sheet"]);
    assert!(
        missing.text.contains("нет листа «Лист9»"),
        "{}",
        missing.text
    );
    let csv_only = import(app, "?kind=mentors&encoding=utf-8", xlsx, XLSX, None).await;
    assert_eq!(csv_only.assert_problem(422), ["encoding"]);
    let unknown = import(
        app,
        "?kind=mentors&delimiter=pipe",
        b"id".to_vec(),
        "text/csv",
        None,
    )
    .await;
    assert_eq!(unknown.assert_problem(422), ["delimiter"]);
}

async fn bad_rows_are_named_by_row_number_and_heading_in_russian(app: &TestApp) {
    app.load_school().await;
    let csv = "Идентификатор;Код организации;ФИО;Год рождения;Класс;Вид участника;Категория наставляемого;Согласие дал;Дата согласия;Дата согласия обучающегося\r\n\
        p-ru-1;school-7;Орлов Иван;2012;8;обучающийся;неуспевающий обучающийся;родитель;01.09.2026;01.09.2026\r\n\
        p-ru-2;school-7;Титова Анна;2012;8;обучающийся;ленивый ученик;родитель;01.09.2026;01.09.2026\r\n\
        p-ru-3;school-7;Зуев Олег;2011;9;обучающийся;обучающийся с ОВЗ;родитель;31.09.2026;01.09.2026\r\n";
    let reply = import(
        app,
        "?kind=mentees",
        windows_1251(csv),
        "text/csv",
        Some("ru"),
    )
    .await;
    reply.assert_problem(422);
    assert_eq!(
        bad_cells(&reply),
        [
            (3, "Категория наставляемого".to_owned()),
            (4, "Дата согласия".to_owned())
        ]
    );
    let messages = reply.body["rejected"][0]["errors"][0]["message"]
        .as_str()
        .expect("message");
    assert!(
        messages.starts_with("неизвестное значение «ленивый ученик»")
            && messages.contains("молодой специалист"),
        "{messages}"
    );
    assert_eq!(
        reply.body["rejected"][1]["errors"][0]["message"],
        "должно быть датой в формате ДД.ММ.ГГГГ или ГГГГ-ММ-ДД"
    );
    app.get("/api/v1/mentees/p-ru-1").await.assert_problem(404);

    // In a workbook, rows are numbered as the sheet shows them, blank
    // rows and a title above the table included.
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let headings = [
        "Идентификатор",
        "Код организации",
        "ФИО",
        "Вид участника",
        "Формы наставничества",
        "Прошёл обучение",
    ];
    for (c, h) in headings.iter().enumerate() {
        sheet.write_string(2, c as u16, *h).expect("cell");
    }
    let rows = [
        [
            "m-ru-1",
            "school-7",
            "Орлова Анна",
            "педагог",
            "учитель – ученик",
            "да",
        ],
        [
            "m-ru-2",
            "school-7",
            "Котов Пётр",
            "педагог",
            "учитель – ученик; ученик – ученик",
            "может быть",
        ],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            sheet
                .write_string(4 + r as u32, c as u16, *v)
                .expect("cell");
        }
    }
    let body = book.save_to_buffer().expect("xlsx");
    let reply = import(app, "?kind=mentors", body, XLSX, Some("ru")).await;
    reply.assert_problem(422);
    assert_eq!(
        bad_cells(&reply),
        [
            (6, "Прошёл обучение".to_owned()),
            (6, "Формы наставничества".to_owned())
        ],
        "{}",
        reply.text
    );
}

async fn a_downloaded_template_filled_in_imports_as_it_is(app: &TestApp) {
    app.load_school().await;
    let (status, template) = download(app, "/api/v1/templates/mentees.xlsx").await;
    assert_eq!(status, 200);
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(template)).expect("a workbook");
    let names = book.sheet_names();
    assert_eq!(names[..2], ["Наставляемые".to_owned(), "Поля".to_owned()]);
    let headings: Vec<String> = book
        .worksheet_range("Наставляемые")
        .expect("sheet")
        .rows()
        .next()
        .expect("heading row")
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(headings[..3], ["Идентификатор", "Код организации", "ФИО"]);
    let fields = book.worksheet_range("Поля").expect("fields sheet");
    let pairs: Vec<(String, String)> = fields
        .rows()
        .skip(1)
        .map(|r| (r[0].to_string(), r[1].to_string()))
        .collect();
    assert!(pairs.contains(&("Дата согласия".to_owned(), "consent.date".to_owned())));
    assert_eq!(pairs.len(), headings.len());

    // Fill it as a school would: Russian words, a date cell, numbers.
    let value = |heading: &str, row: usize| -> Option<&str> {
        let rows = [
            [
                ("Идентификатор", "p-tpl-1"),
                ("ФИО", "Белова Ольга"),
                ("Год рождения", "2013"),
                ("Класс", "7"),
                ("Вид участника", "обучающийся"),
                ("Категория наставляемого", "одарённый обучающийся"),
                ("Запросы", "олимпиадная подготовка"),
                ("Согласие дал", "родитель"),
            ],
            [
                ("Идентификатор", "p-tpl-2"),
                ("ФИО", "Гусев Илья"),
                ("Год рождения", "2011"),
                ("Класс", "9"),
                ("Вид участника", "обучающийся"),
                ("Категория наставляемого", "обучающийся с ОВЗ"),
                ("Запросы", "мотивация"),
                ("Согласие дал", "законный представитель"),
            ],
        ];
        match heading {
            "Код организации" => Some("school-7"),
            _ => rows[row]
                .iter()
                .find(|(h, _)| *h == heading)
                .map(|(_, v)| *v),
        }
    };
    let mut filled = rust_xlsxwriter::Workbook::new();
    let sheet = filled.add_worksheet();
    sheet.set_name("Наставляемые").expect("name");
    let date = rust_xlsxwriter::Format::new().set_num_format("dd.mm.yyyy");
    let signed = rust_xlsxwriter::ExcelDateTime::from_ymd(2026, 9, 3).expect("date");
    for (c, heading) in headings.iter().enumerate() {
        let c = c as u16;
        sheet.write_string(0, c, heading).expect("heading");
        for row in 0..2 {
            let r = row as u32 + 1;
            if heading.starts_with("Дата согласия") {
                sheet
                    .write_date_with_format(r, c, &signed, &date)
                    .expect("date");
            } else if let Some(v) = value(heading, row) {
                match v.parse::<f64>() {
                    Ok(n) => sheet.write_number(r, c, n),
                    Err(_) => sheet.write_string(r, c, v),
                }
                .expect("cell");
            }
        }
    }
    let reply = import(
        app,
        "?kind=mentees",
        filled.save_to_buffer().expect("xlsx"),
        XLSX,
        None,
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["created"], 2);
    let stored = app.get("/api/v1/mentees/p-tpl-2").await;
    assert_eq!(stored.body["category"], "special_needs");
    assert_eq!(stored.body["grade"], 9);
    assert_eq!(stored.body["consent"]["given_by"], "guardian");
    assert_eq!(stored.body["consent"]["date"], "2026-09-03");
    assert_eq!(stored.body["consent"]["pupil_agreed_on"], "2026-09-03");

    for kind in ["mentors", "organizations"] {
        let (status, bytes) = download(app, &format!("/api/v1/templates/{kind}.xlsx")).await;
        assert_eq!(status, 200);
        let book: calamine::Xlsx<_> =
            calamine::open_workbook_from_rs(Cursor::new(bytes)).expect("a workbook");
        assert!(book.sheet_names().contains(&"Поля".to_owned()));
    }
    let (status, _) = download(app, "/api/v1/templates/pupils.xlsx").await;
    assert_eq!(status, 404);
}

async fn exports_open_well_in_russian_excel(app: &TestApp) {
    app.load_school().await;
    let run = app.run_and_wait(&app.admin, "tp-2026", json!({})).await;
    for p in run["proposals"].as_array().expect("proposals") {
        let reply = app.approve(&app.admin, p["id"].as_str().expect("id")).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
    }
    let (status, body) = download(
        app,
        "/api/v1/programmes/tp-2026/pairs.csv?lang=ru&dialect=excel-ru",
    )
    .await;
    assert_eq!(status, 200);
    let text = std::str::from_utf8(&body).expect("utf-8");
    let text = text.strip_prefix('\u{feff}').expect("starts with the BOM");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(text.as_bytes());
    assert_eq!(
        reader.headers().expect("headings").get(5),
        Some("Дата начала")
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert!(!rows.is_empty());
    let russian_date =
        |s: &str| s.len() == 10 && s.as_bytes()[2] == b'.' && s.as_bytes()[5] == b'.';
    for row in &rows {
        assert!(russian_date(&row[5]) && russian_date(&row[6]), "{row:?}");
        assert_eq!(&row[3], "учитель – ученик");
    }
    let (_, plain) = download(app, "/api/v1/programmes/tp-2026/pairs.csv").await;
    assert!(!plain.starts_with(b"\xEF\xBB\xBF"));
    assert!(plain.contains(&b','));

    let today = time::OffsetDateTime::now_utc().date();
    let period = format!("{}-{:02}", today.year(), u8::from(today.month()));
    let (status, body) = download(
        app,
        &format!(
            "/api/v1/reports/indicators.csv?organization_id=school-7&period={period}&dialect=excel-ru"
        ),
    )
    .await;
    assert_eq!(status, 200);
    assert!(body.starts_with(b"\xEF\xBB\xBF"));
    let text = std::str::from_utf8(&body[3..]).expect("utf-8");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(text.as_bytes());
    let shares: Vec<String> = reader
        .records()
        .map(|r| r.expect("row")[6].to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    assert!(
        shares.iter().all(|s| s.contains(',') && !s.contains('.')),
        "{shares:?}"
    );

    let (status, body) = download(app, "/api/v1/programmes/tp-2026/pairs.xlsx?lang=ru").await;
    assert_eq!(status, 200);
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(body)).expect("a workbook");
    assert_eq!(book.sheet_names(), ["Приказ"]);
    let sheet = book.worksheet_range("Приказ").expect("sheet");
    let start = sheet.get((1, 5)).expect("a start date");
    match start {
        Data::DateTime(date) => assert!(date.is_datetime()),
        other => panic!("the start date is not a date cell: {other:?}"),
    }
    let (status, body) = download(
        app,
        &format!(
            "/api/v1/reports/indicators.xlsx?organization_id=school-7&period={period}&lang=ru"
        ),
    )
    .await;
    assert_eq!(status, 200);
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(body)).expect("a workbook");
    // The indicators come first, where a spreadsheet opens; the growth has
    // columns of its own and so a sheet of its own after them.
    assert_eq!(book.sheet_names(), ["Показатели", "Рост"]);
    let indicators = book.worksheet_range("Показатели").expect("sheet");
    assert_eq!(
        indicators.get((0, 0)),
        Some(&Data::String("Организация".into()))
    );
    assert!(
        (1..indicators.height())
            .any(|r| indicators.get((r, 2)) == Some(&Data::String("teachers_mentoring".into()))),
        "the indicators are on the first sheet"
    );
}

const INDICATORS_OF_THE_MUNICIPALITY: &str =
    "/api/v1/reports/indicators?organization_id=mun-ustk&period=";

fn this_month() -> String {
    let today = time::OffsetDateTime::now_utc().date();
    format!("{}-{:02}", today.year(), u8::from(today.month()))
}

/// The records of an indicators CSV in `dialect`, its header first.
fn csv_records(body: &[u8], dialect: &str) -> Vec<Vec<String>> {
    let text = std::str::from_utf8(body).expect("utf-8");
    let (text, delimiter) = match dialect {
        "excel-ru" => (text.strip_prefix('\u{feff}').expect("a BOM"), b';'),
        _ => (text, b','),
    };
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.expect("a record").iter().map(str::to_owned).collect())
        .collect()
}

/// The rows of a parsed indicators CSV whose indicator id is `growth`.
fn growth_rows(records: &[Vec<String>]) -> Vec<Vec<String>> {
    records
        .iter()
        .filter(|r| r[2] == "growth")
        .cloned()
        .collect()
}

/// Both sheets of the indicators workbook in `lang`.
async fn indicators_workbook(app: &TestApp, lang: &str) -> calamine::Xlsx<Cursor<Vec<u8>>> {
    let (status, body) = download(
        app,
        &format!(
            "{}{}&lang={lang}",
            INDICATORS_OF_THE_MUNICIPALITY.replace("indicators?", "indicators.xlsx?"),
            this_month()
        ),
    )
    .await;
    assert_eq!(status, 200);
    calamine::open_workbook_from_rs(Cursor::new(body)).expect("a workbook")
}

async fn the_growth_of_the_json_is_in_the_csv_and_the_xlsx(app: &TestApp) {
    app.load_school().await;
    let run = app.run_and_wait(&app.admin, "tp-2026", json!({})).await;
    let mut pairs = Vec::new();
    for p in run["proposals"].as_array().expect("proposals") {
        let reply = app.approve(&app.admin, p["id"].as_str().expect("id")).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        for pair in reply.body["pairs"].as_array().expect("pairs") {
            pairs.push(pair["id"].as_str().expect("pair id").to_owned());
        }
    }
    assert!(pairs.len() >= 2, "two pairs to average over: {pairs:?}");
    // motivation: +2 and −1, a mean of 0.5 over two pairs; grades: +3 over
    // one; confidence: −1 over one, a fall that must keep its sign.
    for (pair, stage, answers) in [
        (&pairs[0], "entry", json!({"motivation": 2, "grades": 1})),
        (&pairs[0], "exit", json!({"motivation": 4, "grades": 4})),
        (
            &pairs[1],
            "entry",
            json!({"motivation": 3, "confidence": 5}),
        ),
        (&pairs[1], "exit", json!({"motivation": 2, "confidence": 4})),
    ] {
        let reply = app
            .post_json(
                &app.admin,
                &format!("/api/v1/pairs/{pair}/feedback"),
                &json!({"stage": stage, "respondent": "mentee", "answers": answers}),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.text);
    }
    let form = app.get("/api/v1/programmes/tp-2026").await.body["form"]
        .as_str()
        .expect("form")
        .to_owned();
    let expected = [
        ("confidence", 1, -1.0),
        ("grades", 1, 3.0),
        ("motivation", 2, 0.5),
    ];

    let report = app
        .get(&format!("{INDICATORS_OF_THE_MUNICIPALITY}{}", this_month()))
        .await;
    assert_eq!(report.status, 200, "{}", report.text);
    let json_growth: Vec<(String, String, u64, f64)> = report.body["growth"]
        .as_array()
        .expect("growth")
        .iter()
        .map(|g| {
            (
                g["form"].as_str().expect("form").to_owned(),
                g["question"].as_str().expect("question").to_owned(),
                g["pairs"].as_u64().expect("pairs"),
                g["mean"].as_f64().expect("mean"),
            )
        })
        .collect();
    assert_eq!(
        json_growth,
        expected
            .iter()
            .map(|(q, n, m)| (form.clone(), (*q).to_owned(), *n, *m))
            .collect::<Vec<_>>()
    );

    for (dialect, lang, title, point) in [
        ("plain", "en", "Mean growth (exit − entry)", '.'),
        ("excel-ru", "ru", "Средний прирост (выход − вход)", ','),
    ] {
        let (status, body) = download(
            app,
            &format!(
                "{}{}&lang={lang}&dialect={dialect}",
                INDICATORS_OF_THE_MUNICIPALITY.replace("indicators?", "indicators.csv?"),
                this_month()
            ),
        )
        .await;
        assert_eq!(status, 200);
        let records = csv_records(&body, dialect);
        let organization = records[1][0].clone();
        let growth = growth_rows(&records);
        assert_eq!(
            records[records.len() - growth.len()..],
            growth[..],
            "{dialect}: the growth rows come after the indicators"
        );
        let rows: Vec<Vec<String>> = expected
            .iter()
            .map(|(question, pairs, mean)| {
                vec![
                    organization.clone(),
                    form.clone(),
                    "growth".to_owned(),
                    format!("{title}: {question}"),
                    String::new(),
                    pairs.to_string(),
                    format!("{mean:.4}").replace('.', &point.to_string()),
                    String::new(),
                    String::new(),
                    String::new(),
                ]
            })
            .collect();
        assert_eq!(growth, rows, "{dialect}");
    }

    for (lang, sheets, headings) in [
        (
            "ru",
            ["Показатели", "Рост"],
            [
                "Форма наставничества",
                "Вопрос",
                "Число пар",
                "Средний прирост (выход − вход)",
            ],
        ),
        (
            "en",
            ["Indicators", "Growth"],
            ["Form", "Question", "Pairs", "Mean growth (exit − entry)"],
        ),
    ] {
        let mut book = indicators_workbook(app, lang).await;
        assert_eq!(book.sheet_names(), sheets);
        let indicators = book.worksheet_range(sheets[0]).expect("indicators");
        assert!(
            (1..indicators.height())
                .all(|r| indicators.get((r, 2)) != Some(&Data::String("growth".into()))),
            "{lang}: the growth is on its own sheet only"
        );
        let sheet = book.worksheet_range(sheets[1]).expect("growth");
        assert_eq!(sheet.height(), 1 + expected.len(), "{lang}");
        for (c, heading) in headings.iter().enumerate() {
            assert_eq!(
                sheet.get((0, c)),
                Some(&Data::String((*heading).into())),
                "{lang}"
            );
        }
        for (r, (question, pairs, mean)) in expected.iter().enumerate() {
            let row: Vec<Option<&Data>> = (0..4).map(|c| sheet.get((r + 1, c))).collect();
            assert_eq!(
                row,
                [
                    Some(&Data::String(form.clone())),
                    Some(&Data::String((*question).into())),
                    Some(&Data::Float(*pairs as f64)),
                    Some(&Data::Float(*mean)),
                ],
                "{lang}: row {}",
                r + 1
            );
        }
    }
}

async fn before_any_feedback_the_growth_says_no_data_never_zero(app: &TestApp) {
    app.load_school().await;
    let report = app
        .get(&format!("{INDICATORS_OF_THE_MUNICIPALITY}{}", this_month()))
        .await;
    assert_eq!(report.body["growth"], json!([]), "{}", report.text);
    for (dialect, lang, title, words) in [
        ("plain", "en", "Mean growth (exit − entry)", "no data"),
        (
            "excel-ru",
            "ru",
            "Средний прирост (выход − вход)",
            "нет данных",
        ),
    ] {
        let (status, body) = download(
            app,
            &format!(
                "{}{}&lang={lang}&dialect={dialect}",
                INDICATORS_OF_THE_MUNICIPALITY.replace("indicators?", "indicators.csv?"),
                this_month()
            ),
        )
        .await;
        assert_eq!(status, 200);
        let records = csv_records(&body, dialect);
        let organization = records[1][0].clone();
        assert_eq!(
            growth_rows(&records),
            [vec![
                organization,
                String::new(),
                "growth".to_owned(),
                title.to_owned(),
                String::new(),
                "0".to_owned(),
                String::new(),
                words.to_owned(),
                String::new(),
                String::new(),
            ]],
            "{dialect}"
        );
        assert_eq!(records.last().map(|r| r[2].as_str()), Some("growth"));
    }
    for (lang, sheet, words) in [("ru", "Рост", "нет данных"), ("en", "Growth", "no data")]
    {
        let mut book = indicators_workbook(app, lang).await;
        let sheet = book.worksheet_range(sheet).expect("growth");
        assert_eq!(sheet.height(), 2, "{lang}: the headings and one row");
        assert_eq!(sheet.get((1, 2)), Some(&Data::Float(0.0)), "{lang}");
        assert_eq!(
            sheet.get((1, 3)),
            Some(&Data::String(words.into())),
            "{lang}"
        );
    }
}

/// The headings of the first row of `sheet` in an XLSX workbook.
fn first_row(book: &mut calamine::Xlsx<Cursor<Vec<u8>>>, sheet: &str) -> Vec<String> {
    book.worksheet_range(sheet)
        .expect("sheet")
        .rows()
        .next()
        .expect("heading row")
        .iter()
        .map(|c| c.to_string())
        .collect()
}

/// An XLSX workbook of one sheet «Пожелания»: `headings`, then each row's
/// cells by heading (the rest left empty).
fn wishes_workbook(headings: &[String], rows: &[&[(&str, &str)]]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Пожелания").expect("name");
    for (c, heading) in headings.iter().enumerate() {
        sheet.write_string(0, c as u16, heading).expect("heading");
        for (r, row) in rows.iter().enumerate() {
            if let Some((_, value)) = row.iter().find(|(h, _)| h == heading) {
                sheet
                    .write_string(r as u32 + 1, c as u16, *value)
                    .expect("cell");
            }
        }
    }
    book.save_to_buffer().expect("xlsx")
}

async fn wishes_sheets_from_excel_record_what_participants_said(app: &TestApp) {
    app.load_school().await;
    // As Russian Excel saves "CSV": Windows-1251, `;`, Russian headings
    // and words; two programmes in one file.
    let reply = import(
        app,
        "?kind=preferences",
        bytes("preferences_ru.csv"),
        "text/csv",
        None,
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["encoding"], "windows-1251");
    assert_eq!(reply.body["delimiter"], "semicolon");
    assert_eq!(reply.body["created"], 6, "{}", reply.text);
    assert_eq!(reply.body["wishes_set"], 6);
    assert_eq!(reply.body["wishes_cleared"], 0);
    assert_eq!(reply.body["rejected"], json!([]));
    let said = json!({
        "mentees": {
            "t-egorov": ["t-petrov", "t-ivanova", "t-volkov"],
            "t-sergeeva": ["t-orlova"],
            "t-yakovleva": ["t-ivanova", "t-smirnova"],
        },
        "mentors": {
            "t-ivanova": ["t-yakovleva", "t-egorov"],
            "t-petrov": ["t-egorov"],
        },
    });
    let path = "/api/v1/programmes/tt-2026/preferences";
    assert_eq!(app.get(path).await.body, said);
    assert_eq!(
        app.get("/api/v1/programmes/tp-2026/preferences").await.body,
        json!({"mentees": {"p-sidorov": ["t-kuznetsova", "t-zaitsev"]}, "mentors": {}})
    );
    let again = import(
        app,
        "?kind=preferences",
        bytes("preferences_ru.csv"),
        "text/csv",
        None,
    )
    .await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(
        (&again.body["created"], &again.body["unchanged"]),
        (&json!(0), &json!(6))
    );

    // The template: Russian headings, the «Поля» sheet, a drop-down for
    // «Кто выбирает», the header row frozen.
    let (status, template) = download(app, "/api/v1/templates/preferences.xlsx").await;
    assert_eq!(status, 200);
    let mut zip = zip::ZipArchive::new(Cursor::new(template.clone())).expect("a zip");
    let mut data_sheet = String::new();
    std::io::Read::read_to_string(
        &mut zip.by_name("xl/worksheets/sheet1.xml").expect("sheet1"),
        &mut data_sheet,
    )
    .expect("xml");
    assert!(data_sheet.contains("<dataValidation "), "a drop-down list");
    assert!(data_sheet.contains("state=\"frozen\""), "a frozen header");
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(template)).expect("a workbook");
    assert_eq!(
        book.sheet_names()[..2],
        ["Пожелания".to_owned(), "Поля".to_owned()]
    );
    let headings = first_row(&mut book, "Пожелания");
    assert_eq!(headings.len(), 13);
    assert_eq!(
        headings[..4],
        ["Программа", "Кто выбирает", "Участник", "1-й выбор"]
    );
    assert_eq!(headings[12], "10-й выбор");
    let fields: Vec<(String, String)> = book
        .worksheet_range("Поля")
        .expect("fields sheet")
        .rows()
        .skip(1)
        .map(|r| (r[0].to_string(), r[1].to_string()))
        .collect();
    assert_eq!(fields.len(), headings.len());
    for pair in [
        ("Программа", "programme_id"),
        ("Кто выбирает", "side"),
        ("Участник", "person_id"),
        ("10-й выбор", "choice_10"),
    ] {
        assert!(
            fields.contains(&(pair.0.to_owned(), pair.1.to_owned())),
            "{pair:?}"
        );
    }
    let lists = book.worksheet_range("Списки").expect("the drop-down lists");
    let words: Vec<String> = lists.rows().skip(1).map(|r| r[0].to_string()).collect();
    assert_eq!(words, ["наставляемый", "наставник"]);

    // Filled in: a change, a clearing, a newcomer spelled in codes, and a
    // row as stored.
    let filled = wishes_workbook(
        &headings,
        &[
            &[
                ("Программа", "tt-2026"),
                ("Кто выбирает", "наставляемый"),
                ("Участник", "t-egorov"),
                ("1-й выбор", "t-volkov"),
            ],
            &[
                ("Программа", "tt-2026"),
                ("Кто выбирает", "Наставляемый"),
                ("Участник", "t-sergeeva"),
            ],
            &[
                ("Программа", "tt-2026"),
                ("Кто выбирает", "mentee"),
                ("Участник", "t-musina"),
                ("1-й выбор", "t-smirnova"),
                ("2-й выбор", "t-orlova"),
            ],
            &[
                ("Программа", "tt-2026"),
                ("Кто выбирает", "наставник"),
                ("Участник", "t-petrov"),
                ("1-й выбор", "t-egorov"),
            ],
        ],
    );
    let reply = import(app, "?kind=preferences", filled, XLSX, None).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["sheet"], "Пожелания");
    for (count, n) in [
        ("created", 1),
        ("updated", 2),
        ("unchanged", 1),
        ("wishes_set", 3),
        ("wishes_cleared", 1),
    ] {
        assert_eq!(reply.body[count], n, "{count}: {}", reply.text);
    }
    let now = app.get(path).await.body;
    assert_eq!(
        now["mentees"],
        json!({
            "t-egorov": ["t-volkov"],
            "t-musina": ["t-smirnova", "t-orlova"],
            "t-yakovleva": ["t-ivanova", "t-smirnova"],
        })
    );
    assert_eq!(now["mentors"], said["mentors"]);

    // A curator records wishes but writes no profiles; an analyst neither.
    let curator = app.key(Role::Curator, Some("school-7")).await;
    let wishes = "programme_id,side,person_id,choice_1\ntt-2026,mentor,t-volkov,t-sergeeva\n";
    let by_curator = app
        .import_csv(&curator, "?kind=preferences", wishes.into())
        .await;
    assert_eq!(by_curator.status, 200, "{}", by_curator.text);
    assert_eq!(
        app.get(path).await.body["mentors"]["t-volkov"],
        json!(["t-sergeeva"])
    );
    let profiles = std::fs::read_to_string(fixture("mentors.csv")).expect("fixture");
    app.import_csv(&curator, "?kind=mentors", profiles)
        .await
        .assert_problem(403);
    // Whatever `kind` says, a JSON body writes banks.
    app.import_json(&curator, "?kind=preferences", &json!({"mentors": []}))
        .await
        .assert_problem(403);
    let analyst = app.key(Role::Analyst, None).await;
    app.import_csv(&analyst, "?kind=preferences", wishes.into())
        .await
        .assert_problem(403);
    let template = app
        .get_as(&curator, "/api/v1/templates/preferences.xlsx")
        .await;
    assert_eq!(
        template.status, 200,
        "a curator may fetch the wishes template"
    );
    app.get_as(&curator, "/api/v1/templates/mentors.xlsx")
        .await
        .assert_problem(403);
}

async fn a_wishes_sheet_with_bad_rows_is_refused_whole_naming_each_cell_in_russian(app: &TestApp) {
    app.load_school().await;
    let headings: Vec<String> = ["Программа", "Кто выбирает", "Участник"]
        .into_iter()
        .map(str::to_owned)
        .chain((1..=11).map(|n| format!("{n}-й выбор")))
        .collect();
    let eleven: Vec<String> = (1..=11).map(|n| format!("t-mentor-{n}")).collect();
    let rows: Vec<Vec<&str>> = vec![
        // 2: good.
        vec!["tt-2026", "наставляемый", "t-yakovleva", "t-ivanova"],
        // 3: nobody of the programme.
        vec!["tt-2026", "наставляемый", "t-nobody", "t-ivanova"],
        // 4: eleven choices.
        ["tt-2026", "наставляемый", "t-egorov"]
            .into_iter()
            .chain(eleven.iter().map(String::as_str))
            .collect(),
        // 5: a gap at the second choice.
        vec![
            "tt-2026",
            "наставник",
            "t-petrov",
            "t-egorov",
            "",
            "t-sergeeva",
        ],
        // 6: a pair the programme forbids (the mentor takes no teachers).
        vec![
            "tt-2026",
            "наставляемый",
            "t-kovaleva",
            "t-ivanova",
            "t-kuznetsova",
        ],
        // 7: the same person again.
        vec!["tt-2026", "наставляемый", "t-yakovleva", "t-petrov"],
        // 8: no such programme.
        vec!["nope-2026", "наставник", "t-ivanova", "t-yakovleva"],
    ];
    let mut csv = headings.join(";") + "\r\n";
    for row in &rows {
        let mut cells = row.clone();
        cells.resize(headings.len(), "");
        csv += &(cells.join(";") + "\r\n");
    }
    let reply = import(
        app,
        "?kind=preferences",
        windows_1251(&csv),
        "text/csv",
        Some("ru"),
    )
    .await;
    reply.assert_problem(422);
    assert_eq!(
        bad_cells(&reply),
        [
            (3, "Участник".to_owned()),
            (4, "11-й выбор".to_owned()),
            (5, "2-й выбор".to_owned()),
            (6, "2-й выбор".to_owned()),
            (7, "Участник".to_owned()),
            (8, "Программа".to_owned()),
        ],
        "{}",
        reply.text
    );
    let message = |row: usize| {
        reply.body["rejected"][row]["errors"][0]["message"]
            .as_str()
            .expect("message")
            .to_owned()
    };
    assert_eq!(
        message(0),
        "не наставляемый этой программы в вашей области доступа"
    );
    assert_eq!(message(1), "можно назвать не больше 10 человек");
    assert!(message(2).contains("без пропусков"), "{}", message(2));
    assert!(
        message(3).starts_with("пара t-kuznetsova – t-kovaleva нарушает правило form_not_accepted"),
        "{}",
        message(3)
    );
    assert!(message(4).contains("строке 2"), "{}", message(4));
    assert_eq!(message(5), "такой программы нет в вашей области доступа");
    assert_eq!(reply.body["rejected"][0]["section"], "preferences");
    assert_eq!(reply.body["rejected"][0]["id"], "t-nobody");
    // Nothing applied, not even the good row.
    assert_eq!(
        app.get("/api/v1/programmes/tt-2026/preferences").await.body,
        json!({"mentees": {}, "mentors": {}})
    );
}

async fn garbage_and_zip_bombs_are_refused_cleanly(app: &TestApp) {
    for (content_type, name) in [(XLSX, "XLSX"), (ODS, "ODS")] {
        let reply = import(
            app,
            "?kind=mentors",
            b"PK\x03\x04 not really".to_vec(),
            content_type,
            None,
        )
        .await;
        reply.assert_problem(400);
        assert!(reply.text.contains(name), "{}", reply.text);
        // A real zip, but not a workbook.
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        zip.start_file("hello.txt", zip::write::SimpleFileOptions::default())
            .expect("entry");
        std::io::Write::write_all(&mut zip, b"hello").expect("write");
        let body = zip.finish().expect("zip").into_inner();
        let reply = import(app, "?kind=mentors", body, content_type, None).await;
        reply.assert_problem(400);
    }
    // 300 MiB of zeros packed into a few hundred kilobytes.
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    zip.start_file(
        "xl/sharedStrings.xml",
        zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true),
    )
    .expect("entry");
    let zeros = vec![b' '; 1024 * 1024];
    for _ in 0..300 {
        std::io::Write::write_all(&mut zip, &zeros).expect("write");
    }
    let bomb = zip.finish().expect("zip").into_inner();
    assert!(bomb.len() < 2 * 1024 * 1024, "{}", bomb.len());
    let reply = import(app, "?kind=mentors", bomb, XLSX, Some("ru")).await;
    assert_eq!(reply.assert_problem(422), ["body"]);
    assert!(reply.text.contains("распаковывается"), "{}", reply.text);
}

on_both_backends!(
    spreadsheets_written_by_other_programs_hold_the_same_people_as_the_json,
    a_utf8_csv_with_a_bom_and_tabs_is_detected,
    the_caller_can_override_what_is_detected,
    bad_rows_are_named_by_row_number_and_heading_in_russian,
    a_downloaded_template_filled_in_imports_as_it_is,
    exports_open_well_in_russian_excel,
    the_growth_of_the_json_is_in_the_csv_and_the_xlsx,
    before_any_feedback_the_growth_says_no_data_never_zero,
    garbage_and_zip_bombs_are_refused_cleanly,
    wishes_sheets_from_excel_record_what_participants_said,
    a_wishes_sheet_with_bad_rows_is_refused_whole_naming_each_cell_in_russian,
);
