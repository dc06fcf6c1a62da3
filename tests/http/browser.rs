//! The pages at `/ui/` end to end, in a real headless Chromium driven over
//! WebDriver (Debian's `chromium` and `chromium-driver`; `CHROME_BIN` and
//! `CHROMEDRIVER` override where they are), on both databases.
//!
//! One `chromedriver` per test process, one browser session per test.
//! Without chromedriver the scenarios are skipped with a note, except in
//! CI, where they fail. On SQLite every page visited is saved as a PNG in
//! `target/screenshots/<scenario>-<page>.png`; the README shows a few of
//! them (copied to `tests/http/screenshots/`).

use crate::common::TestApp;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use futures_util::FutureExt;
use mentor_match::matching::synth::generate;
use mentor_match::service::auth::Role;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::net::{TcpListener, TcpStream};
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long an element or a page may take to appear.
const WAIT: Duration = Duration::from_secs(30);
/// How long a run may take to finish (it runs in the background).
const RUN_WAIT: Duration = Duration::from_secs(180);
/// How often a page is looked at again while waiting.
const POLL: Duration = Duration::from_millis(250);

/// The words that name a sensitive category, in either language, that an
/// analyst must never see.
const SENSITIVE_WORDS: &[&str] = &[
    "special_needs",
    "prevention_register",
    "special needs",
    "prevention register",
    "ОВЗ",
    "профилактическ",
];

// ---------------------------------------------------------------------
// chromedriver and the browser
// ---------------------------------------------------------------------

/// The chromedriver of this test process.
struct Driver {
    url: String,
    _watchdog: Child,
}

static DRIVER: OnceLock<Option<Driver>> = OnceLock::new();

/// Runs chromedriver and ends it when the test process (its first
/// argument) is gone, so that no driver outlives the tests.
const WATCHDOG: &str = r#"parent=$1; shift
"$@" &
child=$!
trap 'kill "$child" 2>/dev/null' EXIT INT TERM
while kill -0 "$parent" 2>/dev/null && kill -0 "$child" 2>/dev/null; do sleep 1; done"#;

fn chromedriver() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CHROMEDRIVER") {
        return Some(PathBuf::from(path));
    }
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|dir| dir.join("chromedriver"))
        .find(|p| p.is_file())
}

fn start_driver() -> Option<Driver> {
    let Some(path) = chromedriver() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromedriver must be installed in CI (chromium, chromium-driver): \
             the browser tests may not be skipped"
        );
        eprintln!(
            "chromedriver not found: browser tests skipped \
             (apt-get install chromium chromium-driver, or set CHROMEDRIVER)"
        );
        return None;
    };
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let watchdog = Command::new("sh")
        .arg("-c")
        .arg(WATCHDOG)
        .arg("chromedriver-watchdog")
        .arg(std::process::id().to_string())
        .arg(&path)
        .arg(format!("--port={port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < WAIT,
            "chromedriver ({}) did not listen on port {port}",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(Driver {
        url: format!("http://127.0.0.1:{port}"),
        _watchdog: watchdog,
    })
}

/// One headless Chromium session against one test server.
struct Browser {
    client: Client,
    base: String,
    scenario: &'static str,
    /// Where screenshots go (SQLite runs only).
    shots: Option<PathBuf>,
}

impl Browser {
    /// A new browser session, or `None` when there is no chromedriver
    /// (outside CI).
    async fn open(app: &TestApp, scenario: &'static str) -> Option<Self> {
        let driver = DRIVER.get_or_init(start_driver).as_ref()?;
        let mut options = json!({
            "args": [
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--window-size=1280,900",
            ],
        });
        let binary = std::env::var("CHROME_BIN").ok().or_else(|| {
            std::path::Path::new("/usr/bin/chromium")
                .exists()
                .then(|| "/usr/bin/chromium".to_owned())
        });
        if let Some(binary) = binary {
            options["binary"] = json!(binary);
        }
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert("goog:chromeOptions".into(), options);
        let mut builder = ClientBuilder::rustls().expect("an HTTP connector");
        builder.capabilities(capabilities);
        let client = builder
            .connect(&driver.url)
            .await
            .expect("a headless Chromium session");
        let shots = app.url.starts_with("sqlite:").then(|| {
            let target = std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
            let dir = target.join("screenshots");
            std::fs::create_dir_all(&dir).expect("screenshot folder");
            dir
        });
        Some(Self {
            client,
            base: app.base.clone(),
            scenario,
            shots,
        })
    }

    /// Ends the session, then lets a failed scenario fail the test.
    async fn finish(self, outcome: std::thread::Result<()>) {
        let _ = self.client.close().await;
        if let Err(panic) = outcome {
            std::panic::resume_unwind(panic);
        }
    }

    async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("open {path}: {e}"));
    }

    /// The path (and query) of the page shown.
    async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("current URL");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// Waits for an element; fails with the page it was not on.
    async fn find(&self, css: &str) -> Element {
        match self
            .client
            .wait()
            .at_most(WAIT)
            .every(POLL)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(element) => element,
            Err(e) => {
                let path = self.path().await;
                let body = self.body_text().await;
                panic!("no `{css}` on {path} ({e}); the page says: {body}")
            }
        }
    }

    /// Every element matching `css` now (no wait).
    async fn all(&self, css: &str) -> Vec<Element> {
        self.client
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_default()
    }

    async fn click(&self, css: &str) {
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("click `{css}`: {e}"));
    }

    /// The text of `css` (found again if the page changed under it).
    async fn text(&self, css: &str) -> String {
        let started = Instant::now();
        loop {
            match self.find(css).await.text().await {
                Ok(text) => return text,
                Err(e) if started.elapsed() < WAIT => {
                    eprintln!("`{css}` changed under the reading ({e}); again");
                    tokio::time::sleep(POLL).await;
                }
                Err(e) => panic!("the text of `{css}`: {e}"),
            }
        }
    }

    /// An attribute of `css`, empty when absent (found again if the page
    /// changed under it).
    async fn attr(&self, css: &str, name: &str) -> String {
        let started = Instant::now();
        loop {
            match self.find(css).await.attr(name).await {
                Ok(value) => return value.unwrap_or_default(),
                Err(e) if started.elapsed() < WAIT => {
                    eprintln!("`{css}` changed under the reading ({e}); again");
                    tokio::time::sleep(POLL).await;
                }
                Err(e) => panic!("the {name} of `{css}`: {e}"),
            }
        }
    }

    async fn body_text(&self) -> String {
        match self.client.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    async fn source(&self) -> String {
        self.client.source().await.expect("page source")
    }

    async fn js(&self, script: &str) -> Value {
        self.client
            .execute(script, Vec::new())
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Waits until the page shown is at a path starting with `prefix`.
    async fn wait_path(&self, prefix: &str) -> String {
        let started = Instant::now();
        loop {
            let path = self.path().await;
            if path.starts_with(prefix) {
                return path;
            }
            assert!(
                started.elapsed() < WAIT,
                "still on {path}, not {prefix}…: {}",
                self.body_text().await
            );
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until the path and query of the page shown contain `part`.
    async fn wait_path_has(&self, part: &str) {
        let started = Instant::now();
        loop {
            let now = self.path().await;
            if now.contains(part) {
                return;
            }
            assert!(started.elapsed() < WAIT, "still on {now}, no {part}");
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until the page shown is exactly at `path` (and query).
    async fn wait_path_is(&self, path: &str) {
        let started = Instant::now();
        loop {
            let now = self.path().await;
            if now == path {
                return;
            }
            assert!(started.elapsed() < WAIT, "still on {now}, not {path}");
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until the element `css` has `name="value"`.
    async fn wait_attr(&self, css: &str, name: &str, value: &str) {
        let started = Instant::now();
        loop {
            if self.attr(css, name).await == value {
                return;
            }
            assert!(
                started.elapsed() < WAIT,
                "`{css}` never had {name}={value} on {}: {}",
                self.path().await,
                self.body_text().await
            );
            tokio::time::sleep(POLL).await;
        }
    }

    /// Types into the field whose label says `label` (as a person using
    /// the keyboard would find it), then presses `after`.
    async fn type_into_labelled(&self, label: &str, text: &str, after: Option<Key>) {
        let mut target = None;
        for element in self.all("label").await {
            if element.text().await.unwrap_or_default().trim() == label {
                target = element.attr("for").await.ok().flatten();
                break;
            }
        }
        let id = target.unwrap_or_else(|| panic!("no field labelled «{label}»"));
        let field = self.find(&format!("#{id}")).await;
        field.click().await.expect("focus the field");
        let mut keys = text.to_owned();
        if let Some(key) = after {
            keys.push_str(&key);
        }
        field.send_keys(&keys).await.expect("type");
    }

    /// The checks every page gets: every form field has a label; and on
    /// SQLite a screenshot.
    async fn page(&self, name: &str) {
        self.assert_labelled().await;
        self.screenshot(name).await;
    }

    /// Every visible input, select and textarea has a label: a `<label
    /// for>`, an enclosing label, `aria-label` or `aria-labelledby`.
    async fn assert_labelled(&self) {
        let unlabelled = self
            .js(r#"
            const out = [];
            for (const el of document.querySelectorAll("input, select, textarea")) {
              if (el.type === "hidden" || el.type === "submit" || el.type === "button") continue;
              const visible = el.getClientRects().length > 0
                && getComputedStyle(el).visibility !== "hidden";
              if (!visible) continue;
              const byFor = el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`);
              const labelled = byFor || el.closest("label")
                || (el.getAttribute("aria-label") || "").trim()
                || (el.getAttribute("aria-labelledby") || "").trim();
              if (!labelled) out.push(el.outerHTML.slice(0, 160));
            }
            return out;
            "#)
            .await;
        let path = self.path().await;
        assert_eq!(
            unlabelled.as_array().map(Vec::len),
            Some(0),
            "fields without a label on {path}: {unlabelled}"
        );
    }

    /// Saves the whole page as `<scenario>-<name>.png` (SQLite runs only).
    async fn screenshot(&self, name: &str) {
        let Some(dir) = &self.shots else { return };
        // The whole page (up to 1800 px), not only the viewport: the
        // window made taller by what is below the fold, then back.
        let (width, height) = self.client.get_window_size().await.expect("window size");
        let sizes = self
            .js("return [Math.ceil(document.documentElement.scrollHeight), window.innerHeight];")
            .await;
        let page = sizes[0].as_u64().unwrap_or(0).min(1800);
        let inner = sizes[1].as_u64().unwrap_or(height);
        let width = u32::try_from(width).unwrap_or(1280);
        let height = u32::try_from(height).unwrap_or(900);
        let taller = u32::try_from(page.saturating_sub(inner)).unwrap_or(0);
        if taller > 0 {
            let _ = self.client.set_window_size(width, height + taller).await;
        }
        let png = self.client.screenshot().await.expect("screenshot");
        if taller > 0 {
            let _ = self.client.set_window_size(width, height).await;
        }
        let file = dir.join(format!("{}-{name}.png", self.scenario));
        std::fs::write(&file, png).expect("save the screenshot");
    }

    /// The session cookie, for fetching downloads as this browser would.
    async fn session_cookie(&self) -> String {
        let cookie = self
            .client
            .get_named_cookie("mm_session")
            .await
            .expect("a session cookie");
        format!("mm_session={}", cookie.value())
    }

    /// Signs in the way a person does: the key pasted into the labelled
    /// field, then Enter. Lands on the programmes.
    async fn sign_in(&self, key: &str) {
        self.goto("/ui/sign-in").await;
        self.find("#sign-in-form").await;
        self.type_into_labelled("Ключ доступа", key, Some(Key::Enter))
            .await;
        self.wait_path("/ui/programmes").await;
        self.find("[data-testid=who]").await;
    }

    /// Asserts the page is the error page with `status`.
    async fn assert_error(&self, statuses: &[u16], what: &str) {
        let status = self
            .attr("[data-testid=error-message]", "data-status")
            .await;
        assert!(
            statuses.iter().any(|s| s.to_string() == status),
            "{what}: status {status}, wanted one of {statuses:?}"
        );
    }

    /// The page has no horizontal scrolling at the window's width.
    async fn assert_no_horizontal_overflow(&self, width: u64) {
        let sizes = self
            .js("const d = document.documentElement; return [d.scrollWidth, d.clientWidth];")
            .await;
        let scroll = sizes[0].as_u64().unwrap_or(u64::MAX);
        let client = sizes[1].as_u64().unwrap_or(0);
        let path = self.path().await;
        assert!(
            scroll <= client && scroll <= width,
            "{path} scrolls sideways at {width} px: scrollWidth {scroll}, clientWidth {client}"
        );
    }
}

/// Opens a browser as `$b`, runs `$steps` (which may borrow it) and
/// closes the session whatever happens.
macro_rules! in_browser {
    ($app:expr, $scenario:literal, $b:ident => $steps:expr) => {{
        let Some($b) = Browser::open($app, $scenario).await else {
            return;
        };
        let outcome = AssertUnwindSafe(async { $steps.await })
            .catch_unwind()
            .await;
        $b.finish(outcome).await;
    }};
}

// ---------------------------------------------------------------------
// A school as it is: generated people, both banks, two schools
// ---------------------------------------------------------------------

fn str_of(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

/// Two schools of one municipality (Cyrillic names, pupils of every grade
/// and category, teachers who mentor and are mentored), loaded through
/// the API, with a teacher–pupil programme for each school. Returns the
/// data as imported.
async fn two_schools(app: &TestApp) -> Value {
    let mut data = generate(2, 11).to_json();
    let mentees = data["mentees"].as_array().cloned().unwrap_or_default();
    let pupil_requests: BTreeSet<String> = mentees
        .iter()
        .filter(|m| m["kind"] == "pupil")
        .flat_map(|m| m["requests"].as_array().cloned().unwrap_or_default())
        .map(|r| str_of(&r))
        .take(12)
        .collect();
    // Young specialists and teachers with low results mentor pupils too:
    // one id in both banks.
    let doubles: Vec<Value> = mentees
        .iter()
        .filter(|m| {
            matches!(
                m["category"].as_str(),
                Some("low_results_teacher" | "young_specialist")
            )
        })
        .map(|mentee| {
            json!({
                "id": mentee["id"],
                "organization_id": mentee["organization_id"],
                "full_name": mentee["full_name"],
                "birth_year": mentee["birth_year"],
                "kind": "teacher",
                "forms": ["teacher_pupil"],
                "capacity": 2,
                "subjects": mentee["subjects"],
                "competencies": pupil_requests,
                "experience_years": 6,
                "roles": ["subject_teacher"],
                "trained": true,
                "consent": {"given_by": "self", "date": "2026-09-01", "purposes": ["storage", "matching"]},
            })
        })
        .collect();
    data["mentors"]
        .as_array_mut()
        .expect("mentors")
        .extend(doubles);
    let admin = app.admin.clone();
    for bank in ["organizations", "mentees", "mentors"] {
        let part = json!({ bank: data[bank].clone() });
        let reply = app.import_json(&admin, "", &part).await;
        assert_eq!(reply.status, 200, "{bank}: {}", reply.text);
    }
    for school in ["sch-1", "sch-2"] {
        let name = data["organizations"]
            .as_array()
            .and_then(|o| o.iter().find(|o| o["id"] == school))
            .map(|o| str_of(&o["name"]))
            .expect("the school");
        let programme = json!({
            "name": format!("Учитель – ученик, {name}"),
            "form": "teacher_pupil",
            "organization_ids": [school],
            "period": {"start": "2026-09-01", "end": "2027-05-31"},
        });
        let reply = app
            .put_as(
                &admin,
                &format!("/api/v1/programmes/tp-{school}?reason=веса по умолчанию"),
                &programme,
            )
            .await;
        assert!(reply.status.is_success(), "{}", reply.text);
    }
    // A change of weights with its reason, for the history.
    let reply = app
        .send(
            Method::PATCH,
            "/api/v1/programmes/tp-sch-1?reason=по итогам педсовета: важнее предметы",
            Some(&admin),
            &[],
            Some((
                json!({"weights": {"subjects": 0.35, "requests": 0.2}}).to_string(),
                "application/merge-patch+json",
            )),
        )
        .await;
    assert!(reply.status.is_success(), "{}", reply.text);
    data
}

/// Everyone's full name in the data.
fn full_names(data: &Value) -> Vec<String> {
    ["mentors", "mentees"]
        .iter()
        .flat_map(|bank| data[bank].as_array().cloned().unwrap_or_default())
        .filter_map(|p| p["full_name"].as_str().map(str::to_owned))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// Full names of the mentees of one organisation.
fn mentee_names_of(data: &Value, organization: &str) -> Vec<String> {
    data["mentees"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["organization_id"] == organization)
        .filter_map(|m| m["full_name"].as_str().map(str::to_owned))
        .collect()
}

fn key_id(key: &str) -> String {
    key.strip_prefix("mm_")
        .and_then(|rest| rest.split('_').next())
        .expect("key id")
        .to_owned()
}

/// A finished run made through the API, as admin.
async fn run_by_api(app: &TestApp, programme: &str) -> Value {
    let admin = app.admin.clone();
    app.run_and_wait(&admin, programme, json!({})).await
}

// ---------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------

async fn a_curator_runs_decides_and_downloads_the_order(app: &TestApp) {
    two_schools(app).await;
    let key = app.key(Role::Curator, Some("sch-1")).await;
    in_browser!(app, "curator", b => curator_steps(&b, key))
}

async fn curator_steps(b: &Browser, key: String) {
    // Signing in, by keyboard.
    b.goto("/ui/sign-in").await;
    b.find("#key").await;
    b.page("sign-in").await;
    b.sign_in(&key).await;
    assert!(!b.source().await.contains(&key), "the key is never shown");

    // The programmes, with readiness.
    let card = b
        .find("[data-testid=programme-card][data-programme-id=tp-sch-1]")
        .await;
    let card_text = card.text().await.expect("card");
    assert!(card_text.contains("Готовность"), "{card_text}");
    assert!(
        b.all("[data-programme-id=tp-sch-2]").await.is_empty(),
        "the other school's programme is not listed"
    );
    b.page("programmes").await;
    b.click("#programme-tp-sch-1").await;
    b.wait_path("/ui/programmes/tp-sch-1").await;
    b.find("[data-testid=readiness]").await;
    b.page("programme").await;

    // A run, started and watched until it is done.
    b.click("#start-run").await;
    b.wait_path("/ui/runs/").await;
    let coverage = match b
        .client
        .wait()
        .at_most(RUN_WAIT)
        .every(POLL)
        .for_element(Locator::Css("#coverage"))
        .await
    {
        Ok(element) => element,
        Err(e) => panic!("the run did not finish ({e}): {}", b.body_text().await),
    };
    let run_path = b.path().await;
    let run_id = b.attr("h1[data-run-id]", "data-run-id").await;
    assert_eq!(b.attr("h1[data-run-id]", "data-status").await, "done");
    let coverage_text = coverage.text().await.expect("coverage");
    assert!(coverage_text.contains("покрыто"), "{coverage_text}");
    let matched: u64 = b
        .attr("#coverage", "data-matched")
        .await
        .parse()
        .expect("n");
    assert!(matched >= 10, "a school-sized run: {matched} matched");
    let rows = b.all("[data-testid=proposal-row]").await;
    assert!(rows.len() >= 10, "{} rows", rows.len());
    b.find("#histogram svg").await;
    b.page("run").await;

    // Readable at 1024 px: the page itself never scrolls sideways.
    b.client.set_window_size(1024, 900).await.expect("resize");
    b.assert_no_horizontal_overflow(1024).await;
    b.screenshot("run-1024").await;
    b.client.set_window_size(1280, 900).await.expect("resize");

    // Filtered by a category: every row shown is of it.
    let option = b.find("#f-category option:nth-child(2)").await;
    let label = option.text().await.expect("label");
    let value = option
        .attr("value")
        .await
        .expect("value")
        .unwrap_or_default();
    b.find("#f-category")
        .await
        .select_by_value(&value)
        .await
        .expect("select");
    b.click("#apply-filters").await;
    b.wait_path_has(&format!("category={value}")).await;
    let filtered = b.all("[data-testid=proposal-row]").await;
    assert!(!filtered.is_empty(), "some proposals of «{label}»");
    for row in &filtered {
        let text = row.text().await.expect("row");
        assert!(text.contains(&label), "«{label}» only: {text}");
    }
    let shown: usize = b.text("#filtered-count").await.parse().expect("n");
    let all: usize = b.text("#all-count").await.parse().expect("n");
    assert!(shown >= filtered.len() && shown <= all, "{shown} of {all}");
    b.page("run-filtered").await;
    b.click("#reset-filters").await;
    b.wait_path_is(&format!("/ui/runs/{run_id}")).await;

    // One proposal: both profiles, the explanation, the alternatives.
    let proposed: Vec<String> = {
        let mut ids = Vec::new();
        for row in b
            .all("[data-testid=proposal-row][data-status=proposed]")
            .await
        {
            ids.push(
                row.attr("data-proposal-id")
                    .await
                    .expect("id")
                    .unwrap_or_default(),
            );
        }
        ids
    };
    assert!(proposed.len() >= 5, "{proposed:?}");
    b.click(&format!("#open-{}", proposed[0])).await;
    b.wait_path(&format!("/ui/proposals/{}", proposed[0])).await;
    let mentor = b.text("#mentor-profile").await;
    let mentee = b.text("[data-testid=mentee-profile]").await;
    assert!(mentor.contains("Наставник") && mentee.contains("Наставляемый"));
    let breakdown = b.all("[data-testid=breakdown-row]").await;
    assert!(
        breakdown.len() >= 3,
        "criterion by criterion: {}",
        breakdown.len()
    );
    let alternatives = b.all("[data-testid=alternative-row]").await;
    let body = b.body_text().await;
    assert!(
        !alternatives.is_empty() || body.contains("Других допустимых"),
        "the alternatives, or why there are none: {body}"
    );
    b.page("proposal").await;
    // Pinned, so that later runs keep it; then unpinned again.
    b.click("#pin").await;
    b.wait_path_has("done=pinned").await;
    assert!(
        b.text("#pinned-note").await.contains("закреплена"),
        "the page says the pair is pinned"
    );
    b.page("proposal-pinned").await;
    b.click("#unpin").await;
    b.wait_path_has("done=unpinned").await;
    b.find("#pin").await;
    b.click("#approve").await;
    b.wait_attr("h1[data-proposal-id]", "data-status", "approved")
        .await;
    b.find("[data-testid=notice]").await;
    b.page("proposal-approved").await;

    // Another rejected: not without a reason, then with one.
    b.goto(&format!("/ui/proposals/{}", proposed[1])).await;
    b.click("#reject").await;
    assert_eq!(
        b.attr("h1[data-proposal-id]", "data-status").await,
        "proposed",
        "the browser keeps a rejection without its reason"
    );
    b.type_into_labelled(
        &b.text("label[for=reject-reason]").await,
        "Расписание не совпадает: у наставника занятия в это время",
        None,
    )
    .await;
    b.click("#reject").await;
    b.wait_attr("h1[data-proposal-id]", "data-status", "rejected")
        .await;
    b.page("proposal-rejected").await;

    // Three more at once, ticked with the keyboard (space).
    b.click("#to-run").await;
    b.wait_path(&format!("/ui/runs/{run_id}")).await;
    for id in &proposed[2..5] {
        let tick = b.find(&format!("#select-{id}")).await;
        tick.send_keys(" ").await.expect("space ticks the box");
        assert!(tick.is_selected().await.expect("ticked"), "{id}");
    }
    b.click("#approve-selected").await;
    b.wait_path(&format!("/ui/runs/{run_id}/approve")).await;
    assert_eq!(b.text("#approved-count").await, "3");
    assert_eq!(b.text("#failed-count").await, "0");
    b.page("bulk").await;

    // The pairs: one ended early with a reason, one completed.
    b.click("#back-to-run").await;
    b.click("#to-programme").await;
    b.click("#open-pairs").await;
    b.wait_path("/ui/programmes/tp-sch-1/pairs").await;
    let mut active = Vec::new();
    for row in b.all("[data-testid=pair-row][data-status=active]").await {
        active.push(
            row.attr("data-pair-id")
                .await
                .expect("id")
                .unwrap_or_default(),
        );
    }
    assert!(active.len() >= 4, "{active:?}");
    b.click(&format!("#end-open-{}", active[0])).await;
    b.find(&format!("#end-reason-{}", active[0]))
        .await
        .select_by_value("incompatibility")
        .await
        .expect("a reason");
    b.find(&format!("#end-note-{}", active[0]))
        .await
        .send_keys("Не сложился контакт, по заявлению родителей")
        .await
        .expect("a note");
    b.page("pairs-ending").await;
    b.click(&format!("#end-{}", active[0])).await;
    b.wait_attr(
        &format!("[data-pair-id=\"{}\"]", active[0]),
        "data-status",
        "ended",
    )
    .await;
    b.click(&format!("#complete-{}", active[1])).await;
    b.wait_attr(
        &format!("[data-pair-id=\"{}\"]", active[1]),
        "data-status",
        "completed",
    )
    .await;
    b.page("pairs").await;

    // The order: CSV and XLSX, fetched with the browser's session.
    let cookie = b.session_cookie().await;
    let http = reqwest::Client::new();
    for (link, content_type) in [
        ("#download-csv", "text/csv"),
        (
            "#download-xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    ] {
        let href = b.attr(link, "href").await;
        let url = if href.starts_with("http") {
            href.clone()
        } else {
            format!("{}{href}", b.base)
        };
        let response = http
            .get(&url)
            .header("cookie", &cookie)
            .send()
            .await
            .expect("the download answers");
        assert_eq!(response.status(), 200, "{href}");
        let got = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(got.starts_with(content_type), "{href}: {got}");
        let bytes = response.bytes().await.expect("body");
        if link == "#download-csv" {
            let text = String::from_utf8(bytes.to_vec()).expect("UTF-8");
            let heading = text.lines().next().unwrap_or_default();
            assert!(
                heading.contains("Наставник"),
                "Cyrillic headings: {heading}"
            );
            // The pairs of the order: the active and the completed ones.
            assert!(text.lines().count() >= 4, "{text}");
        } else {
            assert!(bytes.starts_with(b"PK"), "an XLSX (zip) file");
        }
    }

    // English on the switch, remembered.
    b.click("#lang-switch").await;
    b.wait_attr("html", "lang", "en").await;
    assert_eq!(b.text("#nav-programmes").await, "Programmes");
    b.goto(&run_path).await;
    assert!(b.text("#coverage").await.contains("covered"));
    b.page("run-en").await;

    // The keyboard reaches the skip link first.
    b.goto("/ui/programmes").await;
    b.find("h1").await;
    let tab = KeyActions::new("keyboard".into())
        .then(KeyAction::Down {
            value: Key::Tab.into(),
        })
        .then(KeyAction::Up {
            value: Key::Tab.into(),
        });
    b.client.perform_actions(tab).await.expect("Tab");
    let focused = b
        .js("return document.activeElement && document.activeElement.className;")
        .await;
    assert_eq!(
        focused,
        json!("skip"),
        "Tab first reaches «skip to content»"
    );
}

async fn an_analyst_dry_runs_and_compares_without_names(app: &TestApp) {
    let data = two_schools(app).await;
    run_by_api(app, "tp-sch-1").await;
    let key = app.key(Role::Analyst, None).await;
    in_browser!(app, "analyst", b => analyst_steps(&b, key, data))
}

async fn analyst_steps(b: &Browser, key: String, data: Value) {
    let names = full_names(&data);
    assert!(names.len() > 100, "{}", names.len());
    let mut visited = Vec::new();

    b.sign_in(&key).await;
    visited.push((b.path().await, b.source().await));
    b.click("#programme-tp-sch-1").await;
    b.wait_path("/ui/programmes/tp-sch-1").await;
    visited.push((b.path().await, b.source().await));
    b.page("programme").await;

    // The weights with their history and reasons.
    b.click("#open-weights").await;
    b.wait_path("/ui/programmes/tp-sch-1/weights").await;
    let versions = b.all("[data-testid=weights-version]").await;
    assert!(versions.len() >= 2, "{} versions", versions.len());
    let history = b.text("#weights-history").await;
    assert!(history.contains("педсовета"), "{history}");
    visited.push((b.path().await, b.source().await));
    b.page("weights").await;

    // A dry run with other weights, then the comparison.
    let subjects = b.find("#w-subjects").await;
    subjects.clear().await.expect("clear");
    subjects.send_keys("0.6").await.expect("type");
    let requests = b.find("#w-requests").await;
    requests.clear().await.expect("clear");
    requests.send_keys("0.05").await.expect("type");
    b.click("#run-dry").await;
    b.wait_path("/ui/compare?").await;
    match b
        .client
        .wait()
        .at_most(RUN_WAIT)
        .every(POLL)
        .for_element(Locator::Css("#compare-figures"))
        .await
    {
        Ok(_) => {}
        Err(e) => panic!("the comparison never came ({e}): {}", b.body_text().await),
    }
    let criteria = b.all("#compare-criteria tbody tr").await;
    assert!(criteria.len() >= 3, "{} criteria", criteria.len());
    b.find("#pairs-kept").await;
    visited.push((b.path().await, b.source().await));
    b.page("compare").await;

    // The dry run itself: pseudonyms only.
    b.click("#run-b").await;
    b.wait_path("/ui/runs/").await;
    b.find("[data-testid=pseudonyms-note]").await;
    if let Some(row) = b.all("[data-testid=proposal-row]").await.first() {
        let id = row
            .attr("data-proposal-id")
            .await
            .expect("id")
            .unwrap_or_default();
        visited.push((b.path().await, b.source().await));
        b.page("dry-run").await;
        b.goto(&format!("/ui/proposals/{id}")).await;
        b.find("#breakdown-table").await;
        visited.push((b.path().await, b.source().await));
        b.page("proposal").await;
    }

    for (path, page) in [
        "/ui/programmes/tp-sch-1/sensitivity",
        "/ui/programmes/tp-sch-1/outcomes",
    ]
    .map(|p| (p, p.rsplit('/').next().unwrap_or(p)))
    {
        b.goto(path).await;
        b.find("h1").await;
        visited.push((b.path().await, b.source().await));
        b.page(page).await;
    }

    // The indicators of one school.
    b.click("#nav-indicators").await;
    b.wait_path("/ui/indicators").await;
    b.find("#i-organization")
        .await
        .select_by_value("sch-1")
        .await
        .expect("the school");
    b.click("#show-indicators").await;
    b.wait_path("/ui/indicators?").await;
    b.find("#indicators-table").await;
    // Aggregates only: a share of pupils with special needs is a figure
    // an analyst reports, not a person's category.
    let indicators = b.source().await;
    for name in &names {
        assert!(
            !indicators.contains(name.as_str()),
            "indicators show {name}"
        );
    }
    b.page("indicators").await;

    // Nothing an analyst saw names a person or a sensitive category.
    for (path, source) in &visited {
        for name in &names {
            assert!(!source.contains(name.as_str()), "{path} shows {name}");
        }
        for word in SENSITIVE_WORDS {
            assert!(!source.contains(word), "{path} shows «{word}»");
        }
    }
    // And the analyst is not offered decisions.
    for (path, source) in &visited {
        assert!(!source.contains("id=\"approve"), "{path} offers approval");
    }
}

async fn a_form_posted_without_its_csrf_token_is_refused(app: &TestApp) {
    two_schools(app).await;
    let key = app.key(Role::Curator, Some("sch-1")).await;
    in_browser!(app, "csrf", b => csrf_steps(app, &b, key))
}

async fn csrf_steps(app: &TestApp, b: &Browser, key: String) {
    // The sign-in form itself, its token taken out.
    b.goto("/ui/sign-in").await;
    b.find("#key").await;
    b.js(r#"document.querySelector('#sign-in-form input[name="csrf"]').remove(); return null;"#)
        .await;
    b.type_into_labelled("Ключ доступа", &key, Some(Key::Enter))
        .await;
    b.assert_error(&[403], "sign-in without its token").await;
    assert!(b.all("[data-testid=who]").await.is_empty(), "not signed in");

    // Signed in, a run started from a form without its token.
    b.sign_in(&key).await;
    b.goto("/ui/programmes/tp-sch-1").await;
    b.find("#start-run-form").await;
    b.js(r#"document.querySelector('#start-run-form input[name="csrf"]').remove(); return null;"#)
        .await;
    b.click("#start-run").await;
    b.assert_error(&[403], "a run without the token").await;
    b.page("refused").await;
    // With a token that is not the session's.
    b.goto("/ui/programmes/tp-sch-1").await;
    b.js(r#"document.querySelector('#start-run-form input[name="csrf"]').value = "forged"; return null;"#)
        .await;
    b.click("#start-run").await;
    b.assert_error(&[403], "a run with a forged token").await;
    let runs = app.get("/api/v1/programmes/tp-sch-1/runs").await;
    assert_eq!(
        runs.body["items"].as_array().map(Vec::len),
        Some(0),
        "nothing was started: {}",
        runs.text
    );
    // Sign-out without it neither.
    b.goto("/ui/programmes").await;
    b.js(r#"document.querySelector('#sign-out-form input[name="csrf"]').remove(); return null;"#)
        .await;
    b.click("#sign-out").await;
    b.assert_error(&[403], "sign-out without the token").await;
    b.goto("/ui/programmes").await;
    b.find("[data-testid=who]").await;
}

async fn a_curator_of_one_school_reaches_nothing_of_another(app: &TestApp) {
    let data = two_schools(app).await;
    let run = run_by_api(app, "tp-sch-2").await;
    let proposals: Vec<String> = run["proposals"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| str_of(&p["id"]))
        .collect();
    assert!(proposals.len() >= 2, "{run}");
    let admin = app.admin.clone();
    assert_eq!(app.approve(&admin, &proposals[0]).await.status, 200);
    let pairs = app.get("/api/v1/pairs?programme_id=tp-sch-2").await;
    let pair = str_of(&pairs.body["items"][0]["id"]);
    assert!(!pair.is_empty(), "{}", pairs.text);
    let run_id = str_of(&run["id"]);
    let key = app.key(Role::Curator, Some("sch-1")).await;
    let theirs = mentee_names_of(&data, "sch-2");
    in_browser!(app, "scope", b => scope_steps(
        app,
        &b,
        key,
        ScopeCase {
            run_id,
            proposal: proposals[1].clone(),
            pair,
            theirs,
        }
    ))
}

struct ScopeCase {
    run_id: String,
    proposal: String,
    pair: String,
    theirs: Vec<String>,
}

async fn scope_steps(app: &TestApp, b: &Browser, key: String, case: ScopeCase) {
    b.sign_in(&key).await;
    assert!(
        b.all("[data-programme-id=tp-sch-2]").await.is_empty(),
        "the other school's programme is not listed"
    );
    for path in [
        format!("/ui/runs/{}", case.run_id),
        format!("/ui/proposals/{}", case.proposal),
        "/ui/programmes/tp-sch-2".to_owned(),
        "/ui/programmes/tp-sch-2/pairs".to_owned(),
        "/ui/programmes/tp-sch-2/pair".to_owned(),
    ] {
        b.goto(&path).await;
        b.assert_error(&[403, 404], &path).await;
        let source = b.source().await;
        for name in &case.theirs {
            assert!(!source.contains(name.as_str()), "{path} shows {name}");
        }
    }
    b.page("not-found").await;
    // Nor can a form reach their pair or proposal, even with a good token.
    b.goto("/ui/programmes").await;
    let csrf = b.attr("#sign-out-form input[name=csrf]", "value").await;
    for action in [
        format!("/ui/pairs/{}/complete", case.pair),
        format!("/ui/proposals/{}/approve", case.proposal),
    ] {
        b.goto("/ui/programmes").await;
        b.find("h1").await;
        b.client
            .execute(
                "const f = document.createElement('form');
                 f.method = 'post'; f.action = arguments[0];
                 const i = document.createElement('input');
                 i.type = 'hidden'; i.name = 'csrf'; i.value = arguments[1];
                 f.appendChild(i); document.body.appendChild(f); f.submit(); return null;",
                vec![json!(action), json!(csrf)],
            )
            .await
            .expect("post the form");
        b.wait_path(&action).await;
        b.assert_error(&[403, 404], &action).await;
    }
    let pairs = app.get("/api/v1/pairs?programme_id=tp-sch-2").await;
    let statuses: Vec<String> = pairs.body["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| str_of(&p["status"]))
        .collect();
    assert_eq!(statuses, ["active"], "{}", pairs.text);
}

async fn a_session_ends_when_its_key_is_revoked(app: &TestApp) {
    two_schools(app).await;
    let key = app.key(Role::Curator, Some("sch-1")).await;
    in_browser!(app, "revoked", b => revoke_steps(app, &b, key))
}

async fn revoke_steps(app: &TestApp, b: &Browser, key: String) {
    b.sign_in(&key).await;
    b.click("#programme-tp-sch-1").await;
    b.find("#start-run-form").await;
    assert!(
        app.store
            .revoke_key(&key_id(&key), &mentor_match::store::sql_now())
            .await
            .expect("revoke"),
        "the key was revoked"
    );
    // The next form sent, and the next page opened, land on the sign-in
    // page.
    b.click("#start-run").await;
    b.wait_path("/ui/sign-in").await;
    b.find("#key").await;
    b.goto("/ui/programmes/tp-sch-1").await;
    b.wait_path("/ui/sign-in").await;
    // Signing in again with it fails, and says so.
    b.type_into_labelled("Ключ доступа", &key, Some(Key::Enter))
        .await;
    b.find("[data-testid=sign-in-error]").await;
    b.page("sign-in-failed").await;
    let runs = app.get("/api/v1/programmes/tp-sch-1/runs").await;
    assert_eq!(runs.body["items"].as_array().map(Vec::len), Some(0));
}

on_both_backends!(
    a_curator_runs_decides_and_downloads_the_order,
    an_analyst_dry_runs_and_compares_without_names,
    a_form_posted_without_its_csrf_token_is_refused,
    a_curator_of_one_school_reaches_nothing_of_another,
    a_session_ends_when_its_key_is_revoked,
);
