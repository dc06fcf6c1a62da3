//! What each role may see of sensitive data.
//!
//! Special-needs and prevention-register status (and free text about
//! pupils) are readable only by admins and by the curator of the pupil's
//! own organisation, and only inside their scope — the store never
//! returns rows outside it. Everyone else sees the category as
//! `restricted` and no notes, and can neither change nor erase what it
//! cannot read; analysts see runs with pseudonymous ids.

use super::AppState;
use super::views::runs::{
    Comparison, RestrictedCode, RestrictedReason, RestrictedRule, RunView, UnmatchedReasonView,
};
use crate::domain::{FieldError, MenteeCategory, MenteeProfile};
use crate::matching::rules::Rule;
use crate::matching::unmatched::UnmatchedReason;
use crate::service::auth::{Principal, Role};
use crate::store::{Scope, StoreError, Stored, Table, content_etag};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use std::collections::HashSet;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

/// The category shown instead of a sensitive one.
pub const RESTRICTED: &str = "restricted";

/// Whether the caller's role reads sensitive fields of any pupil at all
/// (admins, curators). Which pupils exactly: [`reads_sensitive_of`].
pub fn reads_sensitive(principal: &Principal) -> bool {
    matches!(principal.role, Role::Admin | Role::Curator)
}

/// Whether the caller may read the sensitive fields of a pupil (or a run's
/// verdict on one) of the organisation `organization_id`, the pupil being
/// in the caller's scope: an admin always; a curator only when that
/// organisation is the key's own, so a municipal or regional curator sees
/// `restricted` for the schools under it; nobody else.
pub fn reads_sensitive_of(principal: &Principal, organization_id: &str) -> bool {
    match (principal.role, &principal.scope) {
        (Role::Admin, _) => true,
        (
            Role::Curator,
            Scope::Under {
                organization_id: own,
                ..
            },
        ) => own == organization_id,
        _ => false,
    }
}

/// Whether the caller may read the sensitive fields of this stored mentee
/// document (by the organisation it names).
pub fn reads_sensitive_doc(principal: &Principal, doc: &Value) -> bool {
    doc["organization_id"]
        .as_str()
        .is_some_and(|org| reads_sensitive_of(principal, org))
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

/// A stored mentee as one caller sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct MenteeRead {
    /// The document, masked when the caller may not read its sensitive fields.
    pub doc: Value,
    /// The entity tag of what the caller sees. For a masked document it is
    /// computed from the masked content only, so it reveals nothing hidden
    /// (a tag of the whole document could be matched against guesses).
    pub etag: String,
    /// Whether the caller read a sensitive category (audited).
    pub sensitive: bool,
}

/// Reads a stored mentee document for `principal`.
pub fn read_mentee(
    principal: &Principal,
    stored: &Stored,
) -> Result<MenteeRead, serde_json::Error> {
    let mut doc: Value = serde_json::from_str(&stored.doc)?;
    if reads_sensitive_doc(principal, &doc) {
        let sensitive = is_sensitive_mentee(&doc);
        Ok(MenteeRead {
            doc,
            etag: stored.etag.clone(),
            sensitive,
        })
    } else {
        mask_mentee(&mut doc);
        let etag = content_etag(&doc.to_string());
        Ok(MenteeRead {
            doc,
            etag,
            sensitive: false,
        })
    }
}

/// Prepares an incoming mentee document (a `PUT` body, or a document with
/// a merge patch applied) for the write: what the caller may not read of
/// the `stored` document keeps its stored value, and what it may not set
/// is named.
///
/// `restricted` as the category means "keep the stored category", from
/// anyone. A caller that may not read the stored pupil's sensitive fields
/// keeps the stored sensitive category whatever it sends, and the stored
/// notes (or none) whatever it sends or leaves out. A caller that may not
/// read sensitive fields at the pupil's organisation cannot set a
/// sensitive category or notes of its own: those are `422`, naming
/// `category` or `notes`.
pub fn guard_mentee_write(
    principal: &Principal,
    incoming: &mut Value,
    stored: Option<&Value>,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let Some(object) = incoming.as_object_mut() else {
        // Not an object: the parser names that.
        return errors;
    };
    if let Some(stored) = stored {
        let reads_stored = reads_sensitive_doc(principal, stored);
        let sent_restricted = object.get("category").and_then(Value::as_str) == Some(RESTRICTED);
        if sent_restricted || (!reads_stored && is_sensitive_mentee(stored)) {
            object.insert("category".into(), stored["category"].clone());
        }
        if !reads_stored {
            match stored.get("notes") {
                Some(notes) => object.insert("notes".into(), notes.clone()),
                None => object.remove("notes"),
            };
        }
    }
    let Some(organization) = object.get("organization_id").and_then(Value::as_str) else {
        // No organisation: the parser names that.
        return errors;
    };
    if reads_sensitive_of(principal, organization) {
        return errors;
    }
    let kept = |name: &str| stored.is_some_and(|s| s.get(name) == object.get(name));
    let sensitive_category = object
        .get("category")
        .and_then(Value::as_str)
        .and_then(MenteeCategory::parse)
        .is_some_and(MenteeCategory::is_sensitive);
    if sensitive_category && !kept("category") {
        errors.push(FieldError::new(
            "category",
            "a sensitive category can only be set by a key that may read it",
        ));
    }
    let notes = object.get("notes").is_some_and(|n| !n.is_null());
    if notes && !kept("notes") {
        errors.push(FieldError::new(
            "notes",
            "notes can only be set by a key that may read them",
        ));
    }
    errors
}

/// The schema of a mentee category as the API shows it: a category, or
/// `restricted` where the caller may not read a sensitive one.
pub struct MenteeCategoryView;

impl PartialSchema for MenteeCategoryView {
    fn schema() -> RefOr<Schema> {
        let values = MenteeCategory::ALL
            .iter()
            .map(|c| c.as_str())
            .chain([RESTRICTED]);
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(values))
            .description(Some(
                "Why the mentee is in the bank. `restricted` stands for a sensitive category \
                 (special_needs, prevention_register) the caller may not read; it is only ever \
                 shown, and sent back it keeps the stored category.",
            ))
            .into()
    }
}

impl ToSchema for MenteeCategoryView {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("MenteeCategoryView")
    }
}

/// The schema of a mentee profile as the API shows and takes it: a
/// [`MenteeProfile`] whose `category` may be `restricted` (see
/// [`MenteeCategoryView`]) and whose `notes` are absent for callers who
/// may not read them.
pub struct MenteeView;

impl PartialSchema for MenteeView {
    fn schema() -> RefOr<Schema> {
        let mut schema = MenteeProfile::schema();
        let category = RefOr::Ref(Ref::from_schema_name(MenteeCategoryView::name()));
        if let RefOr::T(Schema::AllOf(all)) = &mut schema {
            for part in &mut all.items {
                if let RefOr::T(Schema::Object(object)) = part
                    && let Some(member) = object.properties.get_mut("category")
                {
                    *member = category.clone();
                }
            }
        }
        schema
    }
}

impl ToSchema for MenteeView {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("MenteeView")
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        MenteeProfile::schemas(schemas);
        schemas.push((
            MenteeCategoryView::name().into_owned(),
            MenteeCategoryView::schema(),
        ));
    }
}

/// Whether an unmatched reason would tell that the pupil has special
/// needs: the rule that demands a tutor is among those that excluded
/// mentors.
fn tells_special_needs(reason: &UnmatchedReasonView) -> bool {
    match reason {
        UnmatchedReasonView::Given(UnmatchedReason::NoMentorPassesRules {
            top_rule,
            excluded_by,
            ..
        }) => {
            *top_rule == Rule::NeedsTutor || excluded_by.iter().any(|(r, _)| *r == Rule::NeedsTutor)
        }
        _ => false,
    }
}

/// Masks what a run says about people for a caller without the right:
/// an unmatched reason that names the special-needs rule is restricted,
/// and for analysts every person id becomes a pseudonym and no name is
/// shown.
pub fn mask_run(view: &mut RunView, pseudonyms: Option<&Pseudonyms>) {
    mask_run_except(view, pseudonyms, |_| false);
}

/// As [`mask_run`], but the reasons of the mentees for which `readable`
/// (given the real mentee id) is true stay as they are.
pub fn mask_run_except(
    view: &mut RunView,
    pseudonyms: Option<&Pseudonyms>,
    readable: impl Fn(&str) -> bool,
) {
    for u in view.unmatched.iter_mut().flatten() {
        if !readable(&u.mentee_id) && tells_special_needs(&u.reason) {
            u.reason = UnmatchedReasonView::Restricted(RestrictedReason {
                code: RestrictedCode::NoMentorPassesRules,
                top_rule: RestrictedRule::Restricted,
            });
            u.text = "no mentor passes the rules (details restricted)".into();
        }
    }
    if let Some(p) = pseudonyms {
        p.apply_run(view);
    }
}

/// The mentees among `ids` whose sensitive fields the caller may read
/// ([`reads_sensitive_of`] by each one's stored organisation).
pub async fn readable_mentees(
    state: &AppState,
    principal: &Principal,
    ids: &[String],
) -> Result<HashSet<String>, StoreError> {
    match (principal.role, &principal.scope) {
        (Role::Admin, _) => Ok(ids.iter().cloned().collect()),
        (Role::Curator, Scope::Under { path, .. }) => Ok(state
            .store
            .existing_rows(Table::Mentees, ids)
            .await?
            .into_iter()
            // The same path is the same organisation: the key's own.
            .filter(|(_, row)| row.path == *path)
            .map(|(id, _)| id)
            .collect()),
        _ => Ok(HashSet::new()),
    }
}

/// Masks a run view for the caller: nothing for admins; for a curator,
/// the special-needs rule in the reasons of pupils of other organisations
/// than the key's own; for everyone else all of them, and for analysts
/// every person id becomes a pseudonym and no name is shown.
pub async fn mask_run_for(
    state: &AppState,
    principal: &Principal,
    view: &mut RunView,
) -> Result<(), StoreError> {
    if principal.role == Role::Admin {
        return Ok(());
    }
    let pseudonyms = if principal.role == Role::Analyst {
        Some(Pseudonyms::load(state).await?)
    } else {
        None
    };
    let ids: Vec<String> = view
        .unmatched
        .iter()
        .flatten()
        .map(|u| u.mentee_id.clone())
        .collect();
    let readable = if ids.is_empty() {
        HashSet::new()
    } else {
        readable_mentees(state, principal, &ids).await?
    };
    mask_run_except(view, pseudonyms.as_ref(), |id| readable.contains(id));
    Ok(())
}

/// Masks a comparison of two runs for the caller: for analysts every
/// person id becomes a pseudonym (it names no reasons).
pub async fn mask_comparison_for(
    state: &AppState,
    principal: &Principal,
    comparison: &mut Comparison,
) -> Result<(), StoreError> {
    if principal.role == Role::Analyst {
        Pseudonyms::load(state).await?.apply_pairs(comparison);
    }
    Ok(())
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

    /// Replaces every person id of a run view by its pseudonym, and
    /// drops the names.
    pub fn apply_run(&self, view: &mut RunView) {
        for p in view.proposals.iter_mut().flatten() {
            p.mentor_id = self.of(&p.mentor_id);
            for m in &mut p.mentee_ids {
                *m = self.of(m);
            }
            for m in &mut p.members {
                m.mentee_id = self.of(&m.mentee_id);
            }
            for w in &mut p.preferred_partners {
                w.mentee_id = self.of(&w.mentee_id);
                w.mentor_id = self.of(&w.mentor_id);
            }
            p.mentor_name = None;
            p.mentee_names = None;
        }
        for u in view.unmatched.iter_mut().flatten() {
            u.mentee_id = self.of(&u.mentee_id);
        }
        for i in view.ineligible.iter_mut().flatten() {
            i.mentee_id = self.of(&i.mentee_id);
        }
    }

    /// Replaces every person id of a comparison by its pseudonym.
    pub fn apply_pairs(&self, comparison: &mut Comparison) {
        for pair in comparison
            .pairs_kept
            .iter_mut()
            .chain(&mut comparison.pairs_added)
            .chain(&mut comparison.pairs_dropped)
        {
            pair.mentor_id = self.of(&pair.mentor_id);
            pair.mentee_id = self.of(&pair.mentee_id);
        }
    }

    /// Replaces the ids of a score-matrix CSV (header and first column).
    pub fn apply_csv(&self, csv: &str) -> String {
        self.apply_csv_part(csv, true)
    }

    /// [`Self::apply_csv`] on whole lines of a matrix streamed in parts:
    /// `with_header` says whether the part starts with the header line.
    pub fn apply_csv_part(&self, csv: &str, with_header: bool) -> String {
        let mut out = String::with_capacity(csv.len());
        for (n, line) in csv.lines().enumerate() {
            let mut cells = line.split(',');
            if n == 0 && with_header {
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn principal(role: Role, organization: Option<&str>) -> Principal {
        Principal {
            key_id: "k".into(),
            role,
            scope: match organization {
                None => Scope::All,
                Some(id) => Scope::Under {
                    organization_id: id.into(),
                    path: format!("/r/{id}/"),
                },
            },
        }
    }

    #[test]
    fn only_admins_and_the_curator_of_the_pupils_own_organisation_read_sensitive_fields() {
        assert!(reads_sensitive_of(&principal(Role::Admin, None), "s7"));
        assert!(reads_sensitive_of(&principal(Role::Admin, Some("m")), "s7"));
        assert!(reads_sensitive_of(
            &principal(Role::Curator, Some("s7")),
            "s7"
        ));
        assert!(!reads_sensitive_of(
            &principal(Role::Curator, Some("m")),
            "s7"
        ));
        assert!(!reads_sensitive_of(&principal(Role::Curator, None), "s7"));
        assert!(!reads_sensitive_of(
            &principal(Role::System, Some("s7")),
            "s7"
        ));
        assert!(!reads_sensitive_of(&principal(Role::Analyst, None), "s7"));
    }

    #[test]
    fn a_write_keeps_what_its_caller_cannot_read() {
        let system = principal(Role::System, Some("s7"));
        let stored = json!({"organization_id": "s7", "category": "special_needs", "notes": "n"});
        let mut incoming = json!({"organization_id": "s7", "category": "gifted", "notes": "x"});
        assert!(guard_mentee_write(&system, &mut incoming, Some(&stored)).is_empty());
        assert_eq!(incoming["category"], "special_needs");
        assert_eq!(incoming["notes"], "n");

        let plain = json!({"organization_id": "s7", "category": "gifted"});
        let mut incoming = json!({"organization_id": "s7", "category": "restricted", "notes": "x"});
        assert!(guard_mentee_write(&system, &mut incoming, Some(&plain)).is_empty());
        assert_eq!(incoming["category"], "gifted");
        assert!(incoming.get("notes").is_none());

        let mut incoming = json!({"organization_id": "s7", "category": "prevention_register"});
        let errors = guard_mentee_write(&system, &mut incoming, None);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "category");

        let admin = principal(Role::Admin, None);
        let mut incoming = json!({"organization_id": "s7", "category": "gifted", "notes": "x"});
        assert!(guard_mentee_write(&admin, &mut incoming, Some(&stored)).is_empty());
        assert_eq!(incoming["category"], "gifted");
        assert_eq!(incoming["notes"], "x");
    }
}
