//! Probes as a curious curator, an analyst and an outsider would try
//! them: every cross-scope and cross-role attempt is refused with the
//! right status, and nothing protected leaks into the answer.

use crate::common::TestApp;
use mentor_match::service::auth::{self, Role};
use reqwest::Method;
use serde_json::{Value, json};

/// One attempt: who, what, the status it must get, and strings its answer
/// must not hold.
struct Probe {
    name: &'static str,
    key: String,
    method: Method,
    path: String,
    body: Option<Value>,
    status: u16,
    must_not_contain: Vec<String>,
}

fn probe(
    name: &'static str,
    key: &str,
    method: Method,
    path: impl Into<String>,
    body: Option<Value>,
    status: u16,
    hidden: &[&str],
) -> Probe {
    Probe {
        name,
        key: key.to_owned(),
        method,
        path: path.into(),
        body,
        status,
        must_not_contain: hidden.iter().map(|s| (*s).to_owned()).collect(),
    }
}

async fn run_done(app: &TestApp, programme: &str) -> Value {
    app.run_and_wait(&app.admin, programme, json!({})).await
}

async fn every_probe_is_refused_and_nothing_leaks(app: &TestApp) {
    app.load_school().await;
    let other_school = json!({
        "organizations": [{"id": "school-9", "name": "СОШ №9", "kind": "school", "parent_id": "mun-ustk"}],
        "mentors": [{"id": "t-nine", "organization_id": "school-9", "full_name": "Девятов Иван Ильич", "kind": "teacher",
            "forms": ["teacher_pupil"], "trained": true, "consent": {"given_by": "self", "date": "2026-09-01"}}],
        "mentees": [{"id": "p-nine", "organization_id": "school-9", "full_name": "Девятова Анна Ивановна", "kind": "pupil",
            "grade": 8, "birth_year": 2012, "category": "struggling_pupil",
            "consent": {"given_by": "parent", "date": "2026-09-01", "pupil_agreed_on": "2026-09-01"}}],
        "programmes": [{"id": "tp-9", "name": "Учитель – ученик, школа 9", "form": "teacher_pupil", "organization_ids": ["school-9"],
            "period": {"start": "2026-09-01", "end": "2027-05-31"}}]
    });
    assert_eq!(
        app.import_json(&app.admin, "", &other_school).await.status,
        200
    );
    let run_a = run_done(app, "tp-2026").await;
    let run_b = run_done(app, "tp-2026").await;
    let (a, b) = (
        run_a["id"].as_str().expect("a").to_owned(),
        run_b["id"].as_str().expect("b").to_owned(),
    );
    let proposal = run_a["proposals"][0]["id"]
        .as_str()
        .expect("proposal")
        .to_owned();
    let approved = app
        .send(
            Method::POST,
            &format!("/api/v1/proposals/{proposal}/approve"),
            Some(&app.admin),
            &[],
            None,
        )
        .await;
    let pair = approved.body["pairs"][0]["id"]
        .as_str()
        .expect("pair")
        .to_owned();
    let another = run_b["proposals"][1]["id"]
        .as_str()
        .expect("proposal")
        .to_owned();

    let curator9 = app.key(Role::Curator, Some("school-9")).await;
    let system9 = app.key(Role::System, Some("school-9")).await;
    let curator7 = app.key(Role::Curator, Some("school-7")).await;
    let system7 = app.key(Role::System, Some("school-7")).await;
    let analyst = app.key(Role::Analyst, None).await;
    let (revoked_record, revoked) =
        auth::create_key(app.store.as_ref(), Role::Admin, None, None, None)
            .await
            .expect("key");
    app.store
        .revoke_key(&revoked_record.id, "2026-11-01T00:00:00Z")
        .await
        .expect("revoke");
    let past = time::OffsetDateTime::now_utc() - time::Duration::minutes(1);
    let (_, expired) = auth::create_key(app.store.as_ref(), Role::Admin, None, None, Some(past))
        .await
        .expect("key");
    // The admin key with its last character changed (never to itself).
    let last = if app.admin.ends_with('x') { "y" } else { "x" };
    let forged = format!("{}{last}", &app.admin[..app.admin.len() - 1]);

    // What school 7 holds that school 9 must never see.
    let s7 = ["Иванова", "t-ivanova", "p-lapin", "Лапин", "Васильев"];
    let s7_only = &s7[..];
    let sensitive = ["special_needs", "prevention_register", "needs_tutor"];
    let pupil = json!({"organization_id": "school-7", "full_name": "Захват Захватович", "kind": "pupil", "grade": 8, "category": "gifted"});
    let g = Method::GET;
    let p = Method::POST;
    let u = Method::PUT;
    let d = Method::DELETE;
    let probes = vec![
        // Another school's curator reads.
        probe(
            "curator of 9 reads a pupil of 7",
            &curator9,
            g.clone(),
            "/api/v1/mentees/p-lapin",
            None,
            404,
            s7_only,
        ),
        probe(
            "curator of 9 reads a teacher of 7",
            &curator9,
            g.clone(),
            "/api/v1/mentors/t-ivanova",
            None,
            404,
            s7_only,
        ),
        probe(
            "curator of 9 reads school 7",
            &curator9,
            g.clone(),
            "/api/v1/organizations/school-7",
            None,
            404,
            s7_only,
        ),
        probe(
            "curator of 9 reads the municipality",
            &curator9,
            g.clone(),
            "/api/v1/organizations/mun-ustk",
            None,
            404,
            s7_only,
        ),
        probe(
            "curator of 9 reads 7's programme",
            &curator9,
            g.clone(),
            "/api/v1/programmes/tp-2026",
            None,
            404,
            s7_only,
        ),
        probe(
            "curator of 9 filters by school 7",
            &curator9,
            g.clone(),
            "/api/v1/mentees?organization_id=school-7",
            None,
            200,
            s7_only,
        ),
        probe(
            "curator of 9 lists mentors",
            &curator9,
            g.clone(),
            "/api/v1/mentors?limit=1000",
            None,
            200,
            s7_only,
        ),
        probe(
            "curator of 9 lists mentees",
            &curator9,
            g.clone(),
            "/api/v1/mentees?limit=1000",
            None,
            200,
            s7_only,
        ),
        probe(
            "curator of 9 lists organisations",
            &curator9,
            g.clone(),
            "/api/v1/organizations",
            None,
            200,
            &["school-7", "reg-gk", "Республика"],
        ),
        probe(
            "curator of 9 reads 7's run",
            &curator9,
            g.clone(),
            format!("/api/v1/runs/{a}"),
            None,
            404,
            s7_only,
        ),
        probe(
            "curator of 9 reads 7's score matrix",
            &curator9,
            g.clone(),
            format!("/api/v1/runs/{a}/scores"),
            None,
            404,
            s7_only,
        ),
        probe(
            "curator of 9 compares 7's runs",
            &curator9,
            g.clone(),
            format!("/api/v1/runs/{a}/compare/{b}"),
            None,
            404,
            s7_only,
        ),
        probe(
            "curator of 9 lists 7's runs",
            &curator9,
            g.clone(),
            "/api/v1/programmes/tp-2026/runs",
            None,
            404,
            s7_only,
        ),
        probe(
            "curator of 9 reads 7's pair",
            &curator9,
            g.clone(),
            format!("/api/v1/pairs/{pair}"),
            None,
            404,
            s7_only,
        ),
        probe(
            "curator of 9 lists pairs",
            &curator9,
            g.clone(),
            "/api/v1/pairs?programme_id=tp-2026",
            None,
            200,
            s7_only,
        ),
        probe(
            "curator of 9 exports 7's order as CSV",
            &curator9,
            g.clone(),
            "/api/v1/programmes/tp-2026/pairs.csv",
            None,
            404,
            s7_only,
        ),
        probe(
            "curator of 9 exports 7's order as XLSX",
            &curator9,
            g.clone(),
            "/api/v1/programmes/tp-2026/pairs.xlsx",
            None,
            404,
            s7_only,
        ),
        // Another school's writes and decisions.
        probe(
            "curator of 9 runs 7's programme",
            &curator9,
            p.clone(),
            "/api/v1/programmes/tp-2026/runs",
            None,
            404,
            s7_only,
        ),
        probe(
            "curator of 9 approves 7's proposal",
            &curator9,
            p.clone(),
            format!("/api/v1/proposals/{another}/approve"),
            None,
            404,
            s7_only,
        ),
        probe(
            "curator of 9 rejects 7's proposal",
            &curator9,
            p.clone(),
            format!("/api/v1/proposals/{another}/reject"),
            Some(json!({"reason": "x"})),
            404,
            s7_only,
        ),
        probe(
            "curator of 9 ends 7's pair",
            &curator9,
            p.clone(),
            format!("/api/v1/pairs/{pair}/end"),
            Some(json!({"reason": "incompatibility"})),
            404,
            s7_only,
        ),
        probe(
            "curator of 9 completes 7's pair",
            &curator9,
            p.clone(),
            format!("/api/v1/pairs/{pair}/complete"),
            None,
            404,
            s7_only,
        ),
        probe(
            "curator of 9 pairs in 7's programme",
            &curator9,
            p.clone(),
            "/api/v1/programmes/tp-2026/pairs",
            Some(json!({"mentor_id": "t-nine", "mentee_ids": ["p-nine"]})),
            404,
            s7_only,
        ),
        probe(
            "curator of 9 erases 7's pupil",
            &curator9,
            p.clone(),
            "/api/v1/mentees/p-lapin/consent/withdraw",
            None,
            404,
            s7_only,
        ),
        probe(
            "system of 9 overwrites 7's pupil",
            &system9,
            u.clone(),
            "/api/v1/mentees/p-lapin",
            Some(
                json!({"organization_id": "school-9", "full_name": "Подмена", "kind": "pupil", "category": "gifted"}),
            ),
            404,
            s7_only,
        ),
        probe(
            "system of 9 deletes 7's pupil",
            &system9,
            d.clone(),
            "/api/v1/mentees/p-lapin",
            None,
            404,
            s7_only,
        ),
        probe(
            "system of 9 deletes school 7",
            &system9,
            d.clone(),
            "/api/v1/organizations/school-7",
            None,
            404,
            s7_only,
        ),
        // Scope escalation by ids in bodies.
        probe(
            "system of 9 creates a pupil in 7",
            &system9,
            u.clone(),
            "/api/v1/mentees/p-intruder",
            Some(pupil.clone()),
            422,
            s7_only,
        ),
        probe(
            "system of 9 moves its teacher to 7",
            &system9,
            u.clone(),
            "/api/v1/mentors/t-nine",
            Some(
                json!({"organization_id": "school-7", "full_name": "Девятов Иван Ильич", "kind": "teacher"}),
            ),
            422,
            s7_only,
        ),
        probe(
            "system of 9 re-parents school 7",
            &system9,
            u.clone(),
            "/api/v1/organizations/school-7",
            Some(json!({"name": "Моя", "kind": "school", "parent_id": "school-9"})),
            422,
            s7_only,
        ),
        probe(
            "system of 9 imports into 7",
            &system9,
            p.clone(),
            "/api/v1/import",
            Some(
                json!({"mentees": [{"id": "p-imp", "organization_id": "school-7", "full_name": "Х", "kind": "pupil", "category": "gifted"}]}),
            ),
            422,
            s7_only,
        ),
        probe(
            "system of 9 writes a programme over 7",
            &system9,
            u.clone(),
            "/api/v1/programmes/p-x",
            Some(
                json!({"name": "x", "form": "teacher_pupil", "organization_ids": ["school-7"], "period": {"start": "2026-09-01", "end": "2027-05-31"}}),
            ),
            422,
            s7_only,
        ),
        probe(
            "curator of 9 pairs 7's teacher by hand",
            &curator9,
            p.clone(),
            "/api/v1/programmes/tp-9/pairs",
            Some(json!({"mentor_id": "t-ivanova", "mentee_ids": ["p-nine"]})),
            422,
            &["Иванова"],
        ),
        // Roles without the right.
        probe(
            "analyst reads a pupil",
            &analyst,
            g.clone(),
            "/api/v1/mentees/p-lapin",
            None,
            403,
            s7_only,
        ),
        probe(
            "analyst lists mentors",
            &analyst,
            g.clone(),
            "/api/v1/mentors",
            None,
            403,
            s7_only,
        ),
        probe(
            "analyst starts a real run",
            &analyst,
            p.clone(),
            "/api/v1/programmes/tp-2026/runs",
            None,
            403,
            s7_only,
        ),
        probe(
            "analyst approves",
            &analyst,
            p.clone(),
            format!("/api/v1/proposals/{another}/approve"),
            None,
            403,
            s7_only,
        ),
        probe(
            "analyst lists pairs",
            &analyst,
            g.clone(),
            "/api/v1/pairs",
            None,
            403,
            s7_only,
        ),
        probe(
            "analyst exports the order",
            &analyst,
            g.clone(),
            "/api/v1/programmes/tp-2026/pairs.csv",
            None,
            403,
            s7_only,
        ),
        probe(
            "analyst reads the audit log",
            &analyst,
            g.clone(),
            "/api/v1/audit",
            None,
            403,
            s7_only,
        ),
        probe(
            "analyst writes an organisation",
            &analyst,
            u.clone(),
            "/api/v1/organizations/x",
            Some(json!({"name": "x", "kind": "region"})),
            403,
            &[],
        ),
        probe(
            "curator reads the audit log",
            &curator7,
            g.clone(),
            "/api/v1/audit",
            None,
            403,
            &[],
        ),
        probe(
            "curator imports",
            &curator7,
            p.clone(),
            "/api/v1/import",
            Some(json!({})),
            403,
            &[],
        ),
        probe(
            "curator writes a profile",
            &curator7,
            u.clone(),
            "/api/v1/mentors/x",
            Some(json!({"organization_id": "school-7", "full_name": "X", "kind": "teacher"})),
            403,
            &[],
        ),
        probe(
            "curator deletes a profile",
            &curator7,
            d.clone(),
            "/api/v1/mentees/p-lapin",
            None,
            403,
            &[],
        ),
        probe(
            "school system approves",
            &system7,
            p.clone(),
            format!("/api/v1/proposals/{another}/approve"),
            None,
            403,
            &[],
        ),
        probe(
            "school system ends a pair",
            &system7,
            p.clone(),
            format!("/api/v1/pairs/{pair}/end"),
            Some(json!({"reason": "other", "note": "x"})),
            403,
            &[],
        ),
        probe(
            "school system reads the audit log",
            &system7,
            g.clone(),
            "/api/v1/audit",
            None,
            403,
            &[],
        ),
        // Sensitive fields by role.
        probe(
            "school system reads a pupil with special needs",
            &system7,
            g.clone(),
            "/api/v1/mentees/p-vasiliev",
            None,
            200,
            &sensitive,
        ),
        probe(
            "school system reads a pupil on a register",
            &system7,
            g.clone(),
            "/api/v1/mentees/p-komarov",
            None,
            200,
            &sensitive,
        ),
        probe(
            "school system lists pupils",
            &system7,
            g.clone(),
            "/api/v1/mentees?limit=1000",
            None,
            200,
            &sensitive,
        ),
        probe(
            "school system selects special needs",
            &system7,
            g.clone(),
            "/api/v1/mentees?category=special_needs",
            None,
            403,
            &sensitive,
        ),
        probe(
            "school system selects a register",
            &system7,
            g.clone(),
            "/api/v1/mentees?category=prevention_register",
            None,
            403,
            &sensitive,
        ),
        probe(
            "school system reads a run",
            &system7,
            g.clone(),
            format!("/api/v1/runs/{a}"),
            None,
            200,
            &["needs_tutor", "тьютор"],
        ),
        probe(
            "analyst reads a run",
            &analyst,
            g.clone(),
            format!("/api/v1/runs/{a}"),
            None,
            200,
            &["\"p-lapin\"", "\"t-ivanova\"", "needs_tutor"],
        ),
        probe(
            "analyst reads a score matrix",
            &analyst,
            g.clone(),
            format!("/api/v1/runs/{a}/scores"),
            None,
            200,
            &["p-lapin", "t-ivanova"],
        ),
        probe(
            "analyst compares runs",
            &analyst,
            g.clone(),
            format!("/api/v1/runs/{a}/compare/{b}"),
            None,
            200,
            &["\"p-lapin\"", "\"t-ivanova\""],
        ),
        // Keys that open nothing.
        probe(
            "a forged key",
            &forged,
            g.clone(),
            "/api/v1/mentees",
            None,
            401,
            s7_only,
        ),
        probe(
            "a revoked key",
            revoked.expose(),
            g.clone(),
            "/api/v1/mentees",
            None,
            401,
            s7_only,
        ),
        probe(
            "an expired key",
            expired.expose(),
            g.clone(),
            "/api/v1/mentees",
            None,
            401,
            s7_only,
        ),
        probe(
            "a key of another install's shape",
            "mm_AAAAAAAAAA_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
            g.clone(),
            "/api/v1/organizations",
            None,
            401,
            &["school-7"],
        ),
        probe(
            "no key at all",
            "",
            g.clone(),
            "/api/v1/pairs",
            None,
            401,
            s7_only,
        ),
    ];
    assert!(probes.len() >= 40, "at least 40 probes");
    let mut failures = Vec::new();
    for probe in &probes {
        let key = (!probe.key.is_empty()).then_some(probe.key.as_str());
        let body = probe
            .body
            .as_ref()
            .map(|b| (b.to_string(), "application/json"));
        let reply = app
            .send(probe.method.clone(), &probe.path, key, &[], body)
            .await;
        if reply.status.as_u16() != probe.status {
            failures.push(format!(
                "{}: {} instead of {} ({})",
                probe.name,
                reply.status.as_u16(),
                probe.status,
                reply.text.chars().take(200).collect::<String>()
            ));
        }
        for hidden in &probe.must_not_contain {
            if reply.text.contains(hidden.as_str()) {
                failures.push(format!("{}: the answer holds {hidden:?}", probe.name));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} probes failed:\n{}",
        failures.len(),
        probes.len(),
        failures.join("\n")
    );
    // Nothing the probes tried changed anything.
    assert_eq!(app.get("/api/v1/mentees/p-lapin").await.status, 200);
    assert_eq!(
        app.get(&format!("/api/v1/pairs/{pair}")).await.body["status"],
        "active"
    );
    app.get("/api/v1/mentees/p-intruder")
        .await
        .assert_problem(404);
    assert_eq!(
        app.get("/api/v1/mentors/t-nine").await.body["organization_id"],
        "school-9"
    );
}

on_both_backends!(every_probe_is_refused_and_nothing_leaks);
