//! Organisations: a tree region → municipality → school, college, centre, employer.

use super::parse::{FieldError, FieldReader, Spelling};
use super::{Id, OrganizationKind};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// An organisation with the headcounts the indicators divide by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Organization {
    /// The caller's own id.
    #[schema(value_type = String, example = "school-7")]
    pub id: Id,
    /// Name as it appears in orders and reports.
    pub name: String,
    /// What the organisation is.
    pub kind: OrganizationKind,
    /// The organisation above this one in the tree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub parent_id: Option<Id>,
    /// Number of teachers (denominator of the teacher indicators).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teacher_count: Option<u32>,
    /// Number of pupils (denominator of the pupil indicators).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pupil_count: Option<u32>,
    /// Pupils per grade, `{"8": 54, "9": 50}`, when known.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schema(value_type = BTreeMap<String, u32>)]
    pub pupils_by_grade: BTreeMap<u8, u32>,
}

impl Organization {
    /// Kinds that may stand directly above an organisation of `kind`.
    pub fn allowed_parent_kinds(kind: OrganizationKind) -> &'static [OrganizationKind] {
        use OrganizationKind::*;
        match kind {
            Region => &[],
            Municipality => &[Region],
            School | AdditionalEducation | College | Employer => &[Municipality, Region],
        }
    }

    /// Parses an organisation from a JSON object. `path_id` is the id in the
    /// URL, if any: the body may omit `id` or must repeat the same one.
    pub fn parse(value: &Value, path_id: Option<&Id>) -> Result<Self, Vec<FieldError>> {
        Self::parse_as(value, path_id, Spelling::Json)
    }

    /// Parses an organisation spelled as `spelling` (JSON or a CSV row).
    pub fn parse_as(
        value: &Value,
        path_id: Option<&Id>,
        spelling: Spelling,
    ) -> Result<Self, Vec<FieldError>> {
        let mut r = FieldReader::object_as(value, "", spelling)?;
        let id = read_id(&mut r, path_id);
        let name = r.text("name", 300);
        let kind = r.vocabulary::<OrganizationKind>("kind");
        let parent_id = r.opt_id("parent_id");
        let teacher_count = r.opt_int("teacher_count", 0, 1_000_000).map(|n| n as u32);
        let pupil_count = r.opt_int("pupil_count", 0, 10_000_000).map(|n| n as u32);
        let pupils_by_grade = read_grade_counts(&mut r);
        if let (Some(id), Some(parent)) = (&id, &parent_id)
            && id == parent
        {
            r.error("parent_id", "an organisation cannot be its own parent");
        }
        if let (Some(kind), Some(_)) = (kind, &parent_id)
            && Self::allowed_parent_kinds(kind).is_empty()
        {
            r.error("parent_id", format!("a {kind} has no parent"));
        }
        let errors = r.finish();
        match (errors.is_empty(), id, name, kind) {
            (true, Some(id), Some(name), Some(kind)) => Ok(Self {
                id,
                name,
                kind,
                parent_id,
                teacher_count,
                pupil_count,
                pupils_by_grade,
            }),
            _ => Err(errors),
        }
    }
}

fn read_grade_counts(r: &mut FieldReader<'_>) -> BTreeMap<u8, u32> {
    let mut out = BTreeMap::new();
    let Some(value) = r.raw("pupils_by_grade") else {
        return out;
    };
    let Value::Object(map) = value else {
        r.error("pupils_by_grade", "must be an object {grade: count}");
        return out;
    };
    let lenient = r.spelling() == Spelling::Csv;
    for (grade, count) in map {
        let grade_ok = grade.parse::<u8>().ok().filter(|g| (1..=11).contains(g));
        // A CSV column `pupils_by_grade.8` holds its count as text.
        let count = match count {
            Value::String(text) if lenient => text.trim().parse::<u64>().ok(),
            other => other.as_u64(),
        };
        let count_ok = count.filter(|c| *c <= 1_000_000);
        match (grade_ok, count_ok) {
            (Some(g), Some(c)) => {
                out.insert(g, c as u32);
            }
            _ => r.error(
                &format!("pupils_by_grade.{grade}"),
                "grades are 1..11 and counts whole numbers",
            ),
        }
    }
    out
}

/// Reads `id` from the body, reconciling it with the id in the URL.
pub(crate) fn read_id(r: &mut FieldReader<'_>, path_id: Option<&Id>) -> Option<Id> {
    match path_id {
        None => r.id("id"),
        Some(expected) => match r.opt_id("id") {
            Some(body_id) if &body_id != expected => {
                r.error(
                    "id",
                    format!("differs from the id in the path ({expected})"),
                );
                None
            }
            _ => Some(expected.clone()),
        },
    }
}
