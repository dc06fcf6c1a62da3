//! What each role may see of sensitive data.
//!
//! Special-needs and prevention-register status (and free text about
//! people) are readable only by curators and admins, and only inside their
//! scope — the store never returns rows outside it. Other roles see the
//! category as `restricted`; analysts see runs with pseudonymous ids.

use super::AppState;
use crate::auth::{Principal, Role};
use crate::domain::MenteeCategory;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The category shown instead of a sensitive one.
pub const RESTRICTED: &str = "restricted";

/// Whether the caller may read sensitive fields (within its scope).
pub fn reads_sensitive(principal: &Principal) -> bool {
    matches!(principal.role, Role::Admin | Role::Curator)
}

/// Whether a stored mentee document carries a sensitive category.
pub fn is_sensitive_mentee(doc: &Value) -> bool {
    doc["category"]
        .as_str()
        .and_then(MenteeCategory::parse)
        .is_some_and(MenteeCategory::is_sensitive)
}

/// Masks a mentee document for a caller without the right: a sensitive
/// category becomes `restricted`, free text is dropped.
pub fn mask_mentee(doc: &mut Value) {
    if is_sensitive_mentee(doc) {
        doc["category"] = Value::String(RESTRICTED.into());
    }
    if let Some(object) = doc.as_object_mut() {
        object.remove("notes");
    }
}

/// Masks what a run says about people for a caller without the right:
/// an unmatched reason that names the special-needs rule is restricted,
/// and for analysts every person id becomes a pseudonym.
pub fn mask_run(view: &mut Value, pseudonyms: Option<&Pseudonyms>) {
    if let Some(unmatched) = view.get_mut("unmatched").and_then(Value::as_array_mut) {
        for u in unmatched {
            if u["reason"].to_string().contains("needs_tutor") {
                u["reason"] =
                    serde_json::json!({"code": "no_mentor_passes_rules", "top_rule": RESTRICTED});
                u["text"] = Value::String("no mentor passes the rules (details restricted)".into());
            }
        }
    }
    if let Some(p) = pseudonyms {
        p.apply(view);
    }
}

/// Keyed pseudonyms of person ids: stable across runs (so comparisons
/// still work) and not reversible without the install's secret.
pub struct Pseudonyms {
    key: String,
}

impl Pseudonyms {
    /// Pseudonyms under this install's key.
    pub async fn load(state: &AppState) -> Result<Self, crate::store::StoreError> {
        let fresh =
            uuid::Uuid::new_v4().simple().to_string() + &uuid::Uuid::new_v4().simple().to_string();
        let key = state.store.secret("pseudonym_key", &fresh).await?;
        Ok(Self { key })
    }

    /// The pseudonym of one id.
    pub fn of(&self, id: &str) -> String {
        let digest = Sha256::digest(format!("{}:{id}", self.key).as_bytes());
        format!("anon-{}", hex::encode(&digest[..6]))
    }

    /// Replaces person ids in every `mentor_id`, `mentee_id` and
    /// `mentee_ids` field of a JSON tree.
    pub fn apply(&self, value: &mut Value) {
        match value {
            Value::Object(map) => {
                for (key, v) in map.iter_mut() {
                    match (key.as_str(), &mut *v) {
                        ("mentor_id" | "mentee_id", Value::String(s)) => *s = self.of(s),
                        ("mentee_ids", Value::Array(items)) => {
                            for item in items {
                                if let Value::String(s) = item {
                                    *s = self.of(s);
                                }
                            }
                        }
                        _ => self.apply(v),
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.apply(v)),
            _ => {}
        }
    }

    /// Replaces the ids of a score-matrix CSV (header and first column).
    pub fn apply_csv(&self, csv: &str) -> String {
        let mut out = String::with_capacity(csv.len());
        for (n, line) in csv.lines().enumerate() {
            let mut cells = line.split(',');
            if n == 0 {
                out.push_str(cells.next().unwrap_or_default());
                for id in cells {
                    out.push(',');
                    out.push_str(&self.of(id));
                }
            } else {
                out.push_str(&self.of(cells.next().unwrap_or_default()));
                for cell in cells {
                    out.push(',');
                    out.push_str(cell);
                }
            }
            out.push('\n');
        }
        out
    }
}
