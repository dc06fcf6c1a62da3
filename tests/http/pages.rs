//! The pages at /ui/ over HTTP, as a browser without JavaScript uses
//! them: signing in, sessions, CSRF, scopes, what analysts may see, and a
//! large run. (The end-to-end tests in a real browser are elsewhere.)

use crate::common::TestApp;
use mentor_match::service::auth::Role;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::{Value, json};

/// A browser: a client that does not follow redirects, and its cookies.
struct Browser {
    client: reqwest::Client,
    base: String,
    cookies: Vec<(String, String)>,
}

/// A page as fetched.
struct Page {
    status: StatusCode,
    location: Option<String>,
    set_cookies: Vec<String>,
    body: String,
}

impl Browser {
    fn new(app: &TestApp) -> Self {
        Self {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            base: app.base.clone(),
            cookies: Vec::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn take(&mut self, response: reqwest::Response) -> Page {
        let status = response.status();
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let set_cookies: Vec<String> = response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect();
        for c in &set_cookies {
            let pair = c.split(';').next().unwrap_or_default();
            let (name, value) = pair.split_once('=').expect("cookie pair");
            self.cookies.retain(|(n, _)| n != name);
            if !value.is_empty() && !c.contains("Max-Age=0") {
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
        let body = response.text().await.expect("body");
        assert!(
            status.as_u16() < 500,
            "the server answered {status}: {body}"
        );
        Page {
            status,
            location,
            set_cookies,
            body,
        }
    }

    async fn get(&mut self, path: &str) -> Page {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .send()
            .await
            .expect("server answers");
        self.take(response).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .form(form)
            .send()
            .await
            .expect("server answers");
        self.take(response).await
    }

    /// Signs in with `key` through the sign-in form; returns the answer
    /// to the form's post.
    async fn sign_in(&mut self, key: &str) -> Page {
        let form = self.get("/ui/sign-in").await;
        assert_eq!(form.status, 200, "{}", form.body);
        let csrf = csrf_of(&form.body);
        self.post("/ui/sign-in", &[("csrf", &csrf), ("key", key)])
            .await
    }

    /// Signs in and checks it worked.
    async fn signed_in(app: &TestApp, key: &str) -> Self {
        let mut browser = Self::new(app);
        let reply = browser.sign_in(key).await;
        assert_eq!(reply.status, 303, "{}", reply.body);
        assert_eq!(reply.location.as_deref(), Some("/ui/programmes"));
        browser
    }
}

/// The CSRF token in a page's forms.
fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("a form with a CSRF token") + marker.len();
    html[start..].split('"').next().expect("token").to_owned()
}

/// Every `data-<attr>="…"` value in a page.
fn attributes(html: &str, attr: &str) -> Vec<String> {
    let marker = format!("{attr}=\"");
    html.match_indices(&marker)
        .filter_map(|(i, _)| html[i + marker.len()..].split('"').next())
        .map(str::to_owned)
        .collect()
}

async fn run_done(app: &TestApp, programme: &str) -> Value {
    let admin = app.admin.clone();
    app.run_and_wait(&admin, programme, json!({})).await
}

async fn signing_in_sets_a_strict_http_only_cookie_and_never_shows_the_key(app: &TestApp) {
    app.load_school().await;
    let key = app.key(Role::Curator, Some("school-7")).await;
    let mut browser = Browser::new(app);
    let reply = browser.sign_in(&key).await;
    assert_eq!(reply.status, 303, "{}", reply.body);
    let session = reply
        .set_cookies
        .iter()
        .find(|c| c.starts_with("mm_session="))
        .expect("a session cookie");
    assert!(session.contains("HttpOnly"), "{session}");
    assert!(session.contains("SameSite=Strict"), "{session}");
    assert!(!session.contains("Secure"), "plain HTTP: {session}");
    assert!(!session.contains(&key), "the cookie is not the key");
    assert!(!reply.body.contains(&key));
    assert!(!reply.location.unwrap_or_default().contains(&key));
    let list = browser.get("/ui/programmes").await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list.body.contains("lang=\"ru\""), "Russian by default");
    assert!(list.body.contains("tp-2026"), "{}", list.body);
    assert!(!list.body.contains(&key));
    // Behind a TLS proxy the cookie is Secure.
    let mut proxied = Browser::new(app);
    let form = proxied.get("/ui/sign-in").await;
    let csrf = csrf_of(&form.body);
    let response = proxied
        .client
        .post(format!("{}/ui/sign-in", app.base))
        .header(COOKIE, proxied.cookie_header())
        .header("X-Forwarded-Proto", "https")
        .form(&[("csrf", csrf.as_str()), ("key", key.as_str())])
        .send()
        .await
        .expect("answer");
    let secure = proxied.take(response).await;
    assert!(
        secure
            .set_cookies
            .iter()
            .any(|c| c.starts_with("mm_session=") && c.contains("Secure")),
        "{:?}",
        secure.set_cookies
    );
    // A wrong key is refused, and the key is not echoed back.
    let mut stranger = Browser::new(app);
    let refused = stranger.sign_in("mm_nothing_here").await;
    assert_eq!(refused.status, 401);
    // It is the sign-in form again, with why, not a bare error page.
    assert!(
        refused.body.contains("id=\"sign-in-form\"")
            && refused.body.contains("data-testid=\"sign-in-error\"")
            && refused.body.contains("Ключ не подошёл"),
        "{}",
        refused.body
    );
    assert!(!refused.body.contains("data-testid=\"error-message\""));
    assert!(!refused.body.contains("mm_nothing_here"));
    assert!(!stranger.cookies.iter().any(|(n, _)| n == "mm_session"));
    // Signing out ends the session at once.
    let csrf = csrf_of(&list.body);
    let out = browser.post("/ui/sign-out", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, 303);
    let after = browser.get("/ui/programmes").await;
    assert_eq!(after.status, 303);
    assert_eq!(after.location.as_deref(), Some("/ui/sign-in"));
}

async fn a_form_without_its_csrf_token_is_refused(app: &TestApp) {
    app.load_school().await;
    let key = app.key(Role::Curator, Some("school-7")).await;
    let mut browser = Browser::signed_in(app, &key).await;
    let page = browser.get("/ui/programmes/tp-2026").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let without = browser
        .post("/ui/programmes/tp-2026/runs", &[("objective", "total")])
        .await;
    assert_eq!(without.status, 403, "{}", without.body);
    assert!(without.body.contains("data-testid=\"error-message\""));
    // The error page keeps the header of a signed-in person.
    assert!(
        without.body.contains("id=\"sign-out\"") && without.body.contains("id=\"nav-programmes\""),
        "{}",
        without.body
    );
    let missing = browser.get("/ui/programmes/no-such-programme").await;
    assert_eq!(missing.status, 404);
    assert!(
        missing.body.contains("data-testid=\"error-message\"")
            && missing.body.contains("id=\"sign-out\"")
    );
    let wrong = browser
        .post(
            "/ui/programmes/tp-2026/runs",
            &[("csrf", "not-the-token"), ("objective", "total")],
        )
        .await;
    assert_eq!(wrong.status, 403);
    // Nothing was started.
    let runs = app.get("/api/v1/programmes/tp-2026/runs").await;
    assert_eq!(runs.body["items"].as_array().map(Vec::len), Some(0));
    // With it, the run starts.
    let csrf = csrf_of(&page.body);
    let started = browser
        .post(
            "/ui/programmes/tp-2026/runs",
            &[("csrf", &csrf), ("objective", "total")],
        )
        .await;
    assert_eq!(started.status, 303, "{}", started.body);
    assert!(
        started
            .location
            .unwrap_or_default()
            .starts_with("/ui/runs/")
    );
    // Every objective is offered where groups are not formed, and the
    // one chosen is the one run.
    assert!(
        ["rank_maximal", "stable", "stable_mentor"]
            .iter()
            .all(|o| page.body.contains(&format!("<option value=\"{o}\">"))),
        "{}",
        page.body
    );
    let stable = browser
        .post(
            "/ui/programmes/tp-2026/runs",
            &[("csrf", &csrf), ("objective", "stable")],
        )
        .await;
    assert_eq!(stable.status, 303, "{}", stable.body);
    let newest = app.get("/api/v1/programmes/tp-2026/runs?limit=1").await;
    assert_eq!(
        newest.body["items"][0]["objective"], "stable",
        "{}",
        newest.text
    );
    let admin = app.admin.clone();
    let mut municipal = Browser::signed_in(app, &admin).await;
    let groups = municipal.get("/ui/programmes/sp-2026").await;
    assert!(
        groups.status == 200 && !groups.body.contains("value=\"stable\""),
        "group programmes offer total and fair only"
    );
    // The sign-in form has its own token.
    let mut fresh = Browser::new(app);
    let bare = fresh.post("/ui/sign-in", &[("key", &key)]).await;
    assert_eq!(bare.status, 403);
}

async fn a_curator_of_one_school_reaches_nothing_of_another(app: &TestApp) {
    app.load_school().await;
    let other = app
        .put(
            "/api/v1/organizations/school-9",
            &json!({"name": "СОШ №9", "kind": "school", "parent_id": "mun-ustk"}),
        )
        .await;
    assert!(other.status.is_success(), "{}", other.text);
    let run = run_done(app, "tp-2026").await;
    let run_id = run["id"].as_str().expect("run id");
    let proposal = run["proposals"][0]["id"].as_str().expect("a proposal");
    let pair_run = run["proposals"][1]["id"]
        .as_str()
        .expect("another proposal");
    let key = app.key(Role::Curator, Some("school-9")).await;
    let mut browser = Browser::signed_in(app, &key).await;
    for path in [
        format!("/ui/runs/{run_id}"),
        format!("/ui/proposals/{proposal}"),
        "/ui/programmes/tp-2026".to_owned(),
        "/ui/programmes/tp-2026/pairs".to_owned(),
        "/ui/programmes/tp-2026/pairs.csv?lang=ru".to_owned(),
    ] {
        let page = browser.get(&path).await;
        assert!(
            page.status == 404 || page.status == 403,
            "{path}: {} {}",
            page.status,
            page.body
        );
        assert!(!page.body.contains("Иванова"), "{path}");
    }
    let list = browser.get("/ui/programmes").await;
    assert!(!list.body.contains("tp-2026"), "{}", list.body);
    // Nor can it decide there.
    let csrf = csrf_of(&list.body);
    let approve = browser
        .post(
            &format!("/ui/proposals/{pair_run}/approve"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(approve.status, 404, "{}", approve.body);
    let bulk = browser
        .post(
            &format!("/ui/runs/{run_id}/approve"),
            &[("csrf", &csrf), ("proposal", proposal)],
        )
        .await;
    assert_eq!(bulk.status, 404, "{}", bulk.body);
    let pairs = app.get("/api/v1/pairs?programme_id=tp-2026").await;
    assert_eq!(pairs.body["items"].as_array().map(Vec::len), Some(0));
}

async fn a_session_ends_when_its_key_is_revoked(app: &TestApp) {
    app.load_school().await;
    let key = app.key(Role::Curator, Some("school-7")).await;
    let mut browser = Browser::signed_in(app, &key).await;
    assert_eq!(browser.get("/ui/programmes").await.status, 200);
    let key_id = key
        .strip_prefix("mm_")
        .and_then(|rest| rest.split('_').next())
        .expect("key id");
    assert!(
        app.store
            .revoke_key(key_id, &mentor_match::store::sql_now())
            .await
            .expect("revoke")
    );
    let next = browser.get("/ui/programmes").await;
    assert_eq!(next.status, 303);
    assert_eq!(next.location.as_deref(), Some("/ui/sign-in"));
    let post = browser
        .post("/ui/programmes/tp-2026/runs", &[("csrf", "x")])
        .await;
    assert_eq!(post.status, 303);
    // Signing in again with the revoked key fails.
    let mut again = Browser::new(app);
    let refused = again.sign_in(&key).await;
    assert_eq!(refused.status, 401);
    assert!(
        refused.body.contains("id=\"sign-in-form\"")
            && refused.body.contains("data-testid=\"sign-in-error\""),
        "{}",
        refused.body
    );
}

async fn an_analyst_sees_no_name_and_no_sensitive_category(app: &TestApp) {
    let school = app.load_school().await;
    let run = run_done(app, "tp-2026").await;
    let run_id = run["id"].as_str().expect("run id");
    let proposal = run["proposals"][0]["id"].as_str().expect("a proposal");
    let key = app.key(Role::Analyst, None).await;
    let mut browser = Browser::signed_in(app, &key).await;
    let names: Vec<String> = ["mentors", "mentees"]
        .iter()
        .flat_map(|bank| school[bank].as_array().cloned().unwrap_or_default())
        .filter_map(|p| p["full_name"].as_str().map(str::to_owned))
        .collect();
    assert!(names.len() > 30);
    let words = [
        "special_needs",
        "prevention_register",
        "special needs",
        "prevention register",
        "ОВЗ",
        "профилактическ",
    ];
    for path in [
        format!("/ui/runs/{run_id}"),
        format!("/ui/runs/{run_id}?sort=mentee&size=200"),
        format!("/ui/proposals/{proposal}"),
        "/ui/programmes/tp-2026".to_owned(),
        "/ui/programmes".to_owned(),
        "/ui/programmes/tp-2026/weights".to_owned(),
    ] {
        let page = browser.get(&path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.body);
        for name in &names {
            let surname = name.split(' ').next().unwrap_or(name);
            assert!(!page.body.contains(surname), "{path} shows {name}");
        }
        for word in words {
            assert!(!page.body.contains(word), "{path} shows {word}");
        }
    }
    let page = browser.get(&format!("/ui/runs/{run_id}")).await;
    assert!(page.body.contains("anon-"), "pseudonyms instead of ids");
    // Analysts neither decide nor see the pairs.
    let csrf = csrf_of(&page.body);
    let approve = browser
        .post(
            &format!("/ui/proposals/{proposal}/approve"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(approve.status, 403);
    assert_eq!(
        browser.get("/ui/programmes/tp-2026/pairs").await.status,
        403
    );
}

async fn a_curator_approves_rejects_and_closes_pairs_through_the_pages(app: &TestApp) {
    app.load_school().await;
    let run = run_done(app, "tp-2026").await;
    let run_id = run["id"].as_str().expect("run id");
    let proposals: Vec<String> = run["proposals"]
        .as_array()
        .expect("proposals")
        .iter()
        .filter_map(|p| p["id"].as_str().map(str::to_owned))
        .collect();
    assert!(proposals.len() >= 4);
    let key = app.key(Role::Curator, Some("school-7")).await;
    let mut browser = Browser::signed_in(app, &key).await;
    let page = browser.get(&format!("/ui/runs/{run_id}")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("покрыто"), "{}", page.body);
    assert!(page.body.contains("<svg"), "the histogram is inline");
    assert_eq!(
        attributes(&page.body, "data-proposal-id").len(),
        proposals.len()
    );
    let csrf = csrf_of(&page.body);
    // One proposal opened, approved.
    let detail = browser
        .get(&format!("/ui/proposals/{}", proposals[0]))
        .await;
    assert_eq!(detail.status, 200, "{}", detail.body);
    assert!(detail.body.contains("id=\"mentor-profile\""));
    assert!(detail.body.contains("id=\"breakdown-table\""));
    let approved = browser
        .post(
            &format!("/ui/proposals/{}/approve", proposals[0]),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(approved.status, 303, "{}", approved.body);
    // Another rejected with a reason; without one it is refused.
    let no_reason = browser
        .post(
            &format!("/ui/proposals/{}/reject", proposals[1]),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(no_reason.status, 422);
    let rejected = browser
        .post(
            &format!("/ui/proposals/{}/reject", proposals[1]),
            &[("csrf", &csrf), ("reason", "не подходят по времени")],
        )
        .await;
    assert_eq!(rejected.status, 303, "{}", rejected.body);
    // Two more in bulk; the approved one again fails with a reason.
    let bulk = browser
        .post(
            &format!("/ui/runs/{run_id}/approve"),
            &[
                ("csrf", &csrf),
                ("proposal", &proposals[2]),
                ("proposal", &proposals[3]),
                ("proposal", &proposals[0]),
            ],
        )
        .await;
    assert_eq!(bulk.status, 200, "{}", bulk.body);
    assert!(
        bulk.body.contains("id=\"approved-count\">2<"),
        "{}",
        bulk.body
    );
    assert!(
        bulk.body.contains("id=\"failed-count\">1<"),
        "{}",
        bulk.body
    );
    // Only problems / filters page on the server.
    let filtered = browser
        .get(&format!(
            "/ui/runs/{run_id}?problems=1&sort=score_asc&size=10"
        ))
        .await;
    assert_eq!(filtered.status, 200);
    // The pairs: one ended early, one completed; the order list downloads.
    let pairs = browser.get("/ui/programmes/tp-2026/pairs").await;
    assert_eq!(pairs.status, 200, "{}", pairs.body);
    let pair_ids = attributes(&pairs.body, "data-pair-id");
    assert!(pair_ids.len() >= 3, "{}", pairs.body);
    let ended = browser
        .post(
            &format!("/ui/pairs/{}/end", pair_ids[0]),
            &[("csrf", &csrf), ("reason", "incompatibility"), ("note", "")],
        )
        .await;
    assert_eq!(ended.status, 303, "{}", ended.body);
    let completed = browser
        .post(
            &format!("/ui/pairs/{}/complete", pair_ids[1]),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(completed.status, 303, "{}", completed.body);
    let csv = browser
        .get("/ui/programmes/tp-2026/pairs.csv?lang=ru")
        .await;
    assert_eq!(csv.status, 200);
    assert!(csv.body.starts_with("№,Наставник"), "{}", csv.body);
    let xlsx = browser
        .get("/ui/programmes/tp-2026/pairs.xlsx?lang=ru")
        .await;
    assert_eq!(xlsx.status, 200);
    // Audited as the key, as an API call would be.
    let events = app.get("/api/v1/audit?action=proposal.approved").await;
    assert!(
        events.body["items"]
            .as_array()
            .is_some_and(|items| items.len() >= 3),
        "{}",
        events.text
    );
    // English on the switch.
    let switched = browser
        .get(&format!("/ui/lang?to=en&back=/ui/runs/{run_id}"))
        .await;
    assert_eq!(switched.status, 303);
    let english = browser.get(&format!("/ui/runs/{run_id}")).await;
    assert!(english.body.contains("lang=\"en\""));
    assert!(english.body.contains("covered"), "{}", english.body);
}

async fn an_analyst_runs_a_dry_run_and_compares_it(app: &TestApp) {
    app.load_school().await;
    run_done(app, "tp-2026").await;
    let key = app.key(Role::Analyst, None).await;
    let mut browser = Browser::signed_in(app, &key).await;
    let weights = browser.get("/ui/programmes/tp-2026/weights").await;
    assert_eq!(weights.status, 200, "{}", weights.body);
    // Given and normalised side by side; wishes (weight 0) not computed.
    assert!(weights.body.contains("25.0 %"), "{}", weights.body);
    assert!(weights.body.contains("не вычислялся"), "{}", weights.body);
    let csrf = csrf_of(&weights.body);
    let started = browser
        .post(
            "/ui/programmes/tp-2026/dry-run",
            &[("csrf", &csrf), ("subjects", "0.6"), ("objective", "total")],
        )
        .await;
    assert_eq!(started.status, 303, "{}", started.body);
    let location = started.location.expect("to the comparison");
    assert!(location.starts_with("/ui/compare?a="), "{location}");
    let mut compared = browser.get(&location).await;
    for _ in 0..100 {
        if compared.body.contains("id=\"compare-figures\"") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        compared = browser.get(&location).await;
    }
    assert!(
        compared.body.contains("id=\"compare-criteria\""),
        "{}",
        compared.body
    );
    assert!(
        compared.body.contains("не вычислялся"),
        "wishes have weight 0 in both runs: {}",
        compared.body
    );
    // Nothing changed in the banks between the runs: the page says the
    // whole difference comes from the weights, and shows the split.
    assert!(
        compared.body.contains("id=\"compare-cause-table\""),
        "{}",
        compared.body
    );
    assert!(
        compared
            .body
            .contains("Подборы читали одни и те же данные: вся разница — от настроек."),
        "{}",
        compared.body
    );
    for path in [
        "/ui/programmes/tp-2026/sensitivity",
        "/ui/programmes/tp-2026/outcomes",
        "/ui/indicators?organization_id=school-7&period=2026-10",
    ] {
        let page = browser.get(path).await;
        assert_eq!(page.status, 200, "{path}: {}", page.body);
    }
    let sensitivity = browser.get("/ui/programmes/tp-2026/sensitivity").await;
    assert!(sensitivity.body.contains("id=\"baseline-eligible\""));
    assert!(
        sensitivity.body.contains("не вычислялся"),
        "{}",
        sensitivity.body
    );
    let outcomes = browser.get("/ui/programmes/tp-2026/outcomes").await;
    assert!(
        outcomes.body.contains("id=\"min-pairs\">10<"),
        "{}",
        outcomes.body
    );
    assert!(
        outcomes
            .body
            .contains("слишком мало завершённых пар, чтобы судить"),
        "no finished pair yet: {}",
        outcomes.body
    );
    let svg = browser
        .get("/ui/indicators.svg?organization_id=mun-ustk&period=2026-10&indicator=teachers_mentoring&lang=ru")
        .await;
    assert_eq!(svg.status, 200, "{}", svg.body);
    assert!(svg.body.contains("<svg"));
    let csv = browser
        .get("/ui/indicators.csv?organization_id=school-7&period=2026-10&lang=ru")
        .await;
    assert_eq!(csv.status, 200);
}

async fn the_run_page_of_a_large_programme_renders_a_page_of_proposals(app: &TestApp) {
    let data = mentor_match::matching::synth::generate(20, 7).to_json();
    let admin = app.admin.clone();
    let imported = app.import_json(&admin, "", &data).await;
    assert_eq!(imported.status, 200, "{}", imported.text);
    let run = app.run_and_wait(&admin, "teacher-pupil", json!({})).await;
    let count = run["proposals"].as_array().map_or(0, Vec::len);
    assert!(count > 900, "{count} proposals");
    let run_id = run["id"].as_str().expect("run id");
    let mut browser = Browser::signed_in(app, &admin).await;
    let page = browser.get(&format!("/ui/runs/{run_id}")).await;
    assert_eq!(page.status, 200);
    assert_eq!(attributes(&page.body, "data-proposal-id").len(), 50);
    assert!(page.body.contains(&format!("id=\"all-count\">{count}<")));
    let last = browser
        .get(&format!("/ui/runs/{run_id}?page=1000&sort=mentor"))
        .await;
    assert_eq!(last.status, 200);
}

async fn unknown_pages_are_friendly_and_the_api_stays_problem_json(app: &TestApp) {
    let missing = reqwest::get(format!("{}/ui/nothing-here", app.base))
        .await
        .expect("answer");
    assert_eq!(missing.status(), 404);
    let body = missing.text().await.expect("body");
    assert!(body.contains("<!DOCTYPE html>"), "{body}");
    let api = app.get("/api/v1/nothing-here").await;
    api.assert_problem(404);
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .get(format!("{}/ui/programmes", app.base))
        .send()
        .await
        .expect("answer");
    assert_eq!(anonymous.status(), 303);
}

/// The readiness and indicators pages of a municipality where one school
/// has one pupil with special needs: «< 5» and a note in Russian for a
/// municipal curator and an analyst, the figure for the school's curator.
async fn pages_show_less_than_five_where_a_count_could_point_at_a_child(app: &TestApp) {
    crate::suppression::load(app).await;
    let municipal = app.key(Role::Curator, Some("mun-kyzyl")).await;
    let mut browser = Browser::signed_in(app, &municipal).await;
    let page = browser.get("/ui/programmes/tp-kyzyl").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("&#60; 5"), "{}", page.body);
    assert!(
        page.body.contains("id=\"suppressed-note\"")
            && page.body.contains("для вашей роли показано как «&#60; 5»"),
        "{}",
        page.body
    );
    let own = app.key(Role::Curator, Some("sch-1")).await;
    let mut browser = Browser::signed_in(app, &own).await;
    let page = browser.get("/ui/programmes/tp-sch-1").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(!page.body.contains("&#60; 5") && !page.body.contains("suppressed-note"));
    assert!(page.body.contains("ОВЗ"), "its own category: {}", page.body);
    let analyst = app.key(Role::Analyst, None).await;
    let mut browser = Browser::signed_in(app, &analyst).await;
    let today = time::OffsetDateTime::now_utc().date();
    let page = browser
        .get(&format!(
            "/ui/indicators?organization_id=mun-kyzyl&period={}-{:02}",
            today.year(),
            u8::from(today.month())
        ))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("&#60; 5") && page.body.contains("suppressed-note"),
        "{}",
        page.body
    );
}

on_both_backends!(
    signing_in_sets_a_strict_http_only_cookie_and_never_shows_the_key,
    a_form_without_its_csrf_token_is_refused,
    a_curator_of_one_school_reaches_nothing_of_another,
    a_session_ends_when_its_key_is_revoked,
    an_analyst_sees_no_name_and_no_sensitive_category,
    a_curator_approves_rejects_and_closes_pairs_through_the_pages,
    an_analyst_runs_a_dry_run_and_compares_it,
    the_run_page_of_a_large_programme_renders_a_page_of_proposals,
    unknown_pages_are_friendly_and_the_api_stays_problem_json,
    pages_show_less_than_five_where_a_count_could_point_at_a_child,
);
