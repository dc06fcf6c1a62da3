//! The test harness: the real server on a free port, over a fresh
//! database per test — a SQLite file always, a new PostgreSQL database
//! when `TEST_DATABASE_URL` is set.

#![allow(dead_code)]

use mentor_match::http::Application;
use mentor_match::service::auth::{self, Role};
use mentor_match::store::{self, Store};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::Arc;

/// A running server and what a test needs to talk to it.
pub struct TestApp {
    pub base: String,
    /// The database URL, for starting a second instance over it.
    pub url: String,
    pub client: reqwest::Client,
    pub store: Arc<dyn Store>,
    pub admin: String,
    cleanup: Cleanup,
    _dir: Option<tempfile::TempDir>,
}

enum Cleanup {
    None,
    DropPostgres { admin_url: String, name: String },
}

/// A reply: status, headers and the body as JSON (Null when empty or not JSON).
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the reply is a problem document with this status, and
    /// returns the fields its `errors` name.
    pub fn assert_problem(&self, status: u16) -> Vec<String> {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.text);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "a {status} must be problem+json: {}",
            self.text
        );
        assert_eq!(self.body["status"], status);
        assert!(self.body["type"].is_string() && self.body["title"].is_string());
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| e["field"].as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }
}

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

pub fn fixture_json(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture(name)).expect("fixture")).expect("json")
}

impl TestApp {
    async fn start(url: &str, cleanup: Cleanup, dir: Option<tempfile::TempDir>) -> Self {
        let store = store::connect(url).await.expect("database opens");
        let listener = TcpListener::bind("127.0.0.1:0").expect("free port");
        let app = Application::build(listener, store.clone()).expect("server builds");
        let base = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run());
        let (_, admin) =
            auth::create_key(store.as_ref(), Role::Admin, None, Some("test admin"), None)
                .await
                .expect("admin key");
        Self {
            base,
            url: url.to_owned(),
            client: reqwest::Client::new(),
            store,
            admin: admin.expose().to_owned(),
            cleanup,
            _dir: dir,
        }
    }

    /// A server over a new SQLite file.
    pub async fn sqlite() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("mm-test")
            .tempdir()
            .expect("temp dir");
        let url = format!("sqlite:{}", dir.path().join("test.db").display());
        Self::start(&url, Cleanup::None, Some(dir)).await
    }

    /// A new PostgreSQL database (no server): its URL, or `None` when
    /// `TEST_DATABASE_URL` is not set outside CI. Drop it with
    /// [`drop_postgres`].
    pub async fn postgres_database() -> Option<(String, String, String)> {
        let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") else {
            assert!(
                std::env::var_os("CI").is_none(),
                "TEST_DATABASE_URL must be set in CI: PostgreSQL tests may not be skipped"
            );
            return None;
        };
        let name = format!("mm_test_{}", uuid::Uuid::new_v4().simple());
        let admin = sqlx::PgPool::connect(&admin_url)
            .await
            .expect("PostgreSQL reachable");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&admin)
            .await
            .expect("create test database");
        admin.close().await;
        let url = match admin_url.rsplit_once('/') {
            Some((server, _)) if server.contains("://") && server.len() > "postgres://".len() => {
                format!("{server}/{name}")
            }
            _ => format!("{admin_url}/{name}"),
        };
        Some((url, admin_url, name))
    }

    /// A server over a new PostgreSQL database, or `None` when
    /// `TEST_DATABASE_URL` is not set (outside CI only: in CI a missing
    /// PostgreSQL fails the test rather than skipping it).
    pub async fn postgres() -> Option<Self> {
        let Ok(admin_url) = std::env::var("TEST_DATABASE_URL") else {
            assert!(
                std::env::var_os("CI").is_none(),
                "TEST_DATABASE_URL must be set in CI: PostgreSQL tests may not be skipped"
            );
            eprintln!("TEST_DATABASE_URL not set: PostgreSQL variant skipped");
            return None;
        };
        let name = format!("mm_test_{}", uuid::Uuid::new_v4().simple());
        let admin = sqlx::PgPool::connect(&admin_url)
            .await
            .expect("PostgreSQL reachable");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&admin)
            .await
            .expect("create test database");
        admin.close().await;
        let url = match admin_url.rsplit_once('/') {
            Some((server, _)) if server.contains("://") && server.len() > "postgres://".len() => {
                format!("{server}/{name}")
            }
            _ => format!("{admin_url}/{name}"),
        };
        Some(Self::start(&url, Cleanup::DropPostgres { admin_url, name }, None).await)
    }

    /// Drops a database made by [`TestApp::postgres_database`].
    pub async fn drop_postgres(admin_url: &str, name: &str) {
        if let Ok(admin) = sqlx::PgPool::connect(admin_url).await {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&admin)
            .await;
        }
    }

    /// Drops a PostgreSQL test database (kept when a test fails, for a look).
    pub async fn cleanup(self) {
        if let Cleanup::DropPostgres { admin_url, name } = &self.cleanup {
            Self::drop_postgres(admin_url, name).await;
        }
    }

    /// Starts another server over the same database; returns its base URL.
    pub async fn second_instance(&self) -> String {
        let store = store::connect(&self.url).await.expect("database opens");
        let listener = TcpListener::bind("127.0.0.1:0").expect("free port");
        let app = Application::build(listener, store).expect("server builds");
        let base = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run());
        base
    }

    /// A new key of `role`, scoped to `organization` if given.
    pub async fn key(&self, role: Role, organization: Option<&str>) -> String {
        let (_, secret) = auth::create_key(self.store.as_ref(), role, organization, None, None)
            .await
            .expect("key");
        secret.expose().to_owned()
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<(String, &str)>,
    ) -> Reply {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some((body, content_type)) = body {
            request = request.header("content-type", content_type).body(body);
        }
        let response = request.send().await.expect("server answers");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        assert!(
            status.as_u16() < 500,
            "the server answered {status}: {text}"
        );
        Reply {
            status,
            headers,
            body,
            text,
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, Some(&self.admin.clone()), &[], None)
            .await
    }

    pub async fn get_as(&self, key: &str, path: &str) -> Reply {
        self.send(Method::GET, path, Some(key), &[], None).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Reply {
        self.put_as(&self.admin.clone(), path, body).await
    }

    pub async fn put_as(&self, key: &str, path: &str, body: &Value) -> Reply {
        self.send(
            Method::PUT,
            path,
            Some(key),
            &[],
            Some((body.to_string(), "application/json")),
        )
        .await
    }

    pub async fn import_json(&self, key: &str, query: &str, body: &Value) -> Reply {
        self.send(
            Method::POST,
            &format!("/api/v1/import{query}"),
            Some(key),
            &[],
            Some((body.to_string(), "application/json")),
        )
        .await
    }

    pub async fn import_csv(&self, key: &str, query: &str, csv: String) -> Reply {
        self.send(
            Method::POST,
            &format!("/api/v1/import{query}"),
            Some(key),
            &[],
            Some((csv, "text/csv")),
        )
        .await
    }

    /// `POST` of a JSON body as `key`.
    pub async fn post_json(&self, key: &str, path: &str, body: &Value) -> Reply {
        self.send(
            Method::POST,
            path,
            Some(key),
            &[],
            Some((body.to_string(), "application/json")),
        )
        .await
    }

    /// Approves a proposal as `key`.
    pub async fn approve(&self, key: &str, proposal: &str) -> Reply {
        self.send(
            Method::POST,
            &format!("/api/v1/proposals/{proposal}/approve"),
            Some(key),
            &[],
            None,
        )
        .await
    }

    /// Starts a run of `programme` as `key` with `body` and waits until it
    /// is done; returns the finished run.
    pub async fn run_and_wait(&self, key: &str, programme: &str, body: Value) -> Value {
        let started = self
            .send(
                Method::POST,
                &format!("/api/v1/programmes/{programme}/runs"),
                Some(key),
                &[],
                Some((body.to_string(), "application/json")),
            )
            .await;
        assert_eq!(started.status, 202, "{}", started.text);
        let location = started.header("location").expect("location").to_owned();
        let done = self.get_as(key, &format!("{location}?wait=30")).await;
        assert_eq!(done.body["status"], "done", "{}", done.text);
        done.body
    }

    /// Loads `fixtures/school.json` as admin and checks it all applied.
    pub async fn load_school(&self) -> Value {
        let school = fixture_json("school.json");
        let reply = self.import_json(&self.admin.clone(), "", &school).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        school
    }
}

/// Declares each scenario `async fn name(app: TestApp)` as two tests:
/// `sqlite::name` and `postgres::name`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = $crate::common::TestApp::sqlite().await;
                    super::$name(&app).await;
                    app.cleanup().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if let Some(app) = $crate::common::TestApp::postgres().await {
                        super::$name(&app).await;
                        app.cleanup().await;
                    }
                }
            )*
        }
    };
}
