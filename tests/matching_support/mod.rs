//! Builders shared by the integration tests: records go through the same
//! `parse` functions as real input.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of these builders"
)]

use mentor_match::domain::{MenteeProfile, MentorProfile, Organization, Programme};
use serde_json::{Value, json};

pub fn orgs() -> Vec<Organization> {
    [
        json!({"id": "reg", "name": "Область", "kind": "region"}),
        json!({"id": "mun", "name": "Округ", "kind": "municipality", "parent_id": "reg"}),
        json!({"id": "s1", "name": "Школа 1", "kind": "school", "parent_id": "mun"}),
        json!({"id": "s2", "name": "Школа 2", "kind": "school", "parent_id": "mun"}),
        json!({"id": "col", "name": "Колледж", "kind": "college", "parent_id": "mun"}),
        json!({"id": "far", "name": "Другой округ", "kind": "municipality", "parent_id": "reg"}),
        json!({"id": "s9", "name": "Школа 9", "kind": "school", "parent_id": "far"}),
    ]
    .iter()
    .map(|v| Organization::parse(v, None).expect("valid organisation"))
    .collect()
}

pub fn programme(form: &str, extra: Value) -> Programme {
    let mut v = json!({"id": "prog", "name": "Программа", "form": form,
        "organization_ids": ["mun"], "period": {"start": "2026-09-01", "end": "2027-05-31"}});
    if let (Value::Object(base), Value::Object(more)) = (&mut v, extra) {
        base.extend(more);
    }
    Programme::parse(&v, None).expect("valid programme")
}

/// A trained teacher with adult consent, at school `s1`, overridable.
pub fn teacher(id: &str, extra: Value) -> MentorProfile {
    let mut v = json!({"id": id, "organization_id": "s1", "full_name": "Иванова Анна Сергеевна",
        "birth_year": 1980, "kind": "teacher", "forms": ["teacher_pupil", "teacher_teacher"],
        "capacity": 2, "subjects": ["математика"], "competencies": ["подготовка к огэ"],
        "experience_years": 15, "qualification": "first", "trained": true,
        "consent": {"given_by": "self", "date": "2026-05-20"}});
    if let (Value::Object(base), Value::Object(more)) = (&mut v, extra) {
        base.extend(more);
    }
    MentorProfile::parse(&v, None).expect("valid mentor")
}

/// A struggling grade-8 pupil with a parent's consent, at `s1`, overridable.
pub fn pupil(id: &str, extra: Value) -> MenteeProfile {
    let mut v = json!({"id": id, "organization_id": "s1", "full_name": "Петров Пётр",
        "birth_year": 2012, "grade": 8, "kind": "pupil", "category": "struggling_pupil",
        "subjects": ["математика"], "requests": ["подготовка к огэ"],
        "consent": {"given_by": "parent", "date": "2026-05-20", "pupil_agreed_on": "2026-05-20"}});
    if let (Value::Object(base), Value::Object(more)) = (&mut v, extra) {
        base.extend(more);
    }
    MenteeProfile::parse(&v, None).expect("valid mentee")
}
