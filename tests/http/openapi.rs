//! The committed OpenAPI document is what the code generates, and what
//! the server serves.

use crate::common::TestApp;

fn committed() -> serde_json::Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi/openapi.json");
    let text = std::fs::read_to_string(&path).expect("openapi/openapi.json is committed");
    serde_json::from_str(&text).expect("it is JSON")
}

#[test]
fn the_committed_openapi_file_matches_the_code() {
    let generated = serde_json::to_value(mentor_match::http::openapi()).expect("spec serialises");
    assert!(
        committed() == generated,
        "openapi/openapi.json is stale: run `cargo run -- openapi` and commit the result"
    );
    assert_eq!(generated["openapi"], "3.1.0");
}

#[tokio::test]
async fn the_served_openapi_document_is_the_committed_one() {
    let app = TestApp::sqlite().await;
    let served = app
        .send(
            reqwest::Method::GET,
            "/api-docs/openapi.json",
            None,
            &[],
            None,
        )
        .await;
    assert_eq!(served.status, 200);
    assert_eq!(served.body, committed());
}
