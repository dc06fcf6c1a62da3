//! The binary as an operator uses it.

use std::process::Command;

fn mentor_match(db: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mentor-match"))
        .args(args)
        .env("DATABASE_URL", db)
        .env("MENTOR_MATCH_LOG_LEVEL", "warn")
        .output()
        .expect("the binary runs")
}

#[test]
fn keys_create_prints_only_the_key_and_import_loads_a_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite:{}", dir.path().join("nested/cli.db").display());
    let migrate = mentor_match(&db, &["migrate"]);
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );

    let created = mentor_match(&db, &["keys", "create", "--role", "admin"]);
    assert!(created.status.success());
    let stdout = String::from_utf8(created.stdout).expect("utf-8");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "only the key on stdout: {stdout:?}");
    assert!(lines[0].starts_with("mm_") && lines[0].len() > 30);

    let unknown_scope = mentor_match(
        &db,
        &[
            "keys",
            "create",
            "--role",
            "curator",
            "--organization",
            "school-7",
        ],
    );
    assert!(
        !unknown_scope.status.success(),
        "a key cannot be scoped to an unknown organisation"
    );

    let school = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/school.json");
    let import = mentor_match(&db, &["import", school]);
    assert!(
        import.status.success(),
        "{}",
        String::from_utf8_lossy(&import.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&import.stdout).expect("JSON report");
    assert!(report["created"].as_u64().unwrap_or(0) > 40);

    let scoped = mentor_match(
        &db,
        &[
            "keys",
            "create",
            "--role",
            "curator",
            "--organization",
            "school-7",
        ],
    );
    assert!(scoped.status.success());
    let listed = mentor_match(&db, &["keys", "list"]);
    let listing = String::from_utf8_lossy(&listed.stdout);
    assert!(listing.contains("school-7") && !listing.contains(lines[0]));

    let id = lines[0]
        .trim_start_matches("mm_")
        .split('_')
        .next()
        .expect("id");
    let revoke = mentor_match(&db, &["keys", "revoke", id]);
    assert!(revoke.status.success());
    assert!(
        String::from_utf8_lossy(&mentor_match(&db, &["keys", "list"]).stdout).contains("revoked")
    );

    let bad = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/bad_mentees.csv");
    let rejected = mentor_match(&db, &["import", bad, "--kind", "mentees"]);
    assert!(!rejected.status.success(), "a bad file fails the command");
}

#[test]
fn help_documents_every_setting_with_its_environment_variable() {
    let help = Command::new(env!("CARGO_BIN_EXE_mentor-match"))
        .arg("--help")
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&help.stdout);
    for needle in [
        "--database-url",
        "DATABASE_URL",
        "--bind",
        "MENTOR_MATCH_BIND",
        "--log-format",
        "--log-level",
        "serve",
        "migrate",
        "openapi",
        "keys",
        "import",
    ] {
        assert!(text.contains(needle), "--help lacks {needle}: {text}");
    }
}
