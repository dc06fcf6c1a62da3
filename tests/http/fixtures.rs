//! Checks that the fixtures in `fixtures/` satisfy the validated domain types,
//! that the CSV files hold the same people as `school.json`, and that
//! `bad_mentees.csv` fails exactly on its bad rows, naming the bad field.

use mentor_match::domain::{
    FieldError, Form, MenteeCategory, MenteeProfile, MentorProfile, Organization, OrganizationKind,
    PersonKind, Programme, Spelling,
};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

fn school() -> Value {
    let text = std::fs::read_to_string(fixture("school.json")).expect("read school.json");
    serde_json::from_str(&text).expect("school.json is JSON")
}

fn records<'a>(school: &'a Value, key: &str) -> &'a Vec<Value> {
    school[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} is an array"))
}

/// Turns a CSV file into JSON objects: header → key, `a.b` → nested object,
/// empty cells omitted, every value a string.
fn csv_objects(name: &str) -> Vec<Value> {
    let mut reader = csv::Reader::from_path(fixture(name)).expect("open csv");
    let headers = reader.headers().expect("header row").clone();
    reader
        .records()
        .map(|row| {
            let row = row.expect("csv row");
            let mut object = Map::new();
            for (header, cell) in headers.iter().zip(row.iter()) {
                if cell.is_empty() {
                    continue;
                }
                let value = Value::String(cell.to_owned());
                match header.split_once('.') {
                    Some((outer, inner)) => {
                        let nested = object
                            .entry(outer.to_owned())
                            .or_insert_with(|| Value::Object(Map::new()));
                        nested
                            .as_object_mut()
                            .expect("nested object")
                            .insert(inner.to_owned(), value);
                    }
                    None => {
                        object.insert(header.to_owned(), value);
                    }
                }
            }
            Value::Object(object)
        })
        .collect()
}

fn ok<T>(what: &str, i: usize, result: Result<T, Vec<FieldError>>) -> T {
    result.unwrap_or_else(|errors| panic!("{what} #{i} is invalid: {errors:?}"))
}

fn json_mentors() -> Vec<MentorProfile> {
    let school = school();
    let mentors = records(&school, "mentors");
    mentors
        .iter()
        .enumerate()
        .map(|(i, v)| ok("mentor", i, MentorProfile::parse(v, None)))
        .collect()
}

fn json_mentees() -> Vec<MenteeProfile> {
    let school = school();
    let mentees = records(&school, "mentees");
    mentees
        .iter()
        .enumerate()
        .map(|(i, v)| ok("mentee", i, MenteeProfile::parse(v, None)))
        .collect()
}

#[test]
fn every_json_record_parses_and_refers_to_known_ids() {
    let school = school();
    let mut orgs: BTreeMap<String, Organization> = BTreeMap::new();
    for (i, v) in records(&school, "organizations").iter().enumerate() {
        let org = ok("organization", i, Organization::parse(v, None));
        if let Some(parent) = &org.parent_id {
            // parents come first
            let parent = orgs
                .get(parent.as_str())
                .unwrap_or_else(|| panic!("{} listed before its parent", org.id));
            assert!(Organization::allowed_parent_kinds(org.kind).contains(&parent.kind));
        }
        orgs.insert(org.id.to_string(), org);
    }
    let school7 = orgs
        .values()
        .find(|o| o.kind == OrganizationKind::School)
        .expect("a school");
    assert_eq!(
        school7.pupils_by_grade.values().sum::<u32>(),
        school7.pupil_count.expect("pupil_count")
    );
    assert!(school7.teacher_count.is_some());

    let mentors = json_mentors();
    let mentees = json_mentees();
    let mentor_ids: BTreeSet<&str> = mentors.iter().map(|m| m.person.id.as_str()).collect();
    let mentee_ids: BTreeSet<&str> = mentees.iter().map(|m| m.person.id.as_str()).collect();
    assert_eq!(mentor_ids.len(), mentors.len(), "mentor ids unique");
    assert_eq!(mentee_ids.len(), mentees.len(), "mentee ids unique");
    // the one teacher in both banks
    let both: Vec<&&str> = mentor_ids.intersection(&mentee_ids).collect();
    assert_eq!(both, [&"t-nikitina"]);

    for m in &mentors {
        assert!(orgs.contains_key(m.person.organization_id.as_str()));
        assert!((1..=3).contains(&m.capacity));
        assert!(m.person.consent.is_some());
    }
    for m in &mentees {
        assert!(orgs.contains_key(m.person.organization_id.as_str()));
        if let Some(ct) = &m.class_teacher_id {
            assert!(mentor_ids.contains(ct.as_str()), "{ct} is a mentor");
        }
        if m.person.kind == PersonKind::Pupil
            && let Some(c) = &m.person.consent
        {
            assert_ne!(c.given_by.as_str(), "self", "{} is a minor", m.person.id);
        }
    }
    // every category present, two pupils without consent
    for category in MenteeCategory::ALL {
        assert!(
            mentees.iter().any(|m| m.category == *category),
            "{category}"
        );
    }
    assert_eq!(
        mentees
            .iter()
            .filter(|m| m.person.consent.is_none())
            .count(),
        2
    );
    assert_eq!(mentors.iter().filter(|m| !m.trained).count(), 1);

    let mut forms = BTreeSet::new();
    for (i, v) in records(&school, "programmes").iter().enumerate() {
        let p = ok("programme", i, Programme::parse(v, None));
        for id in &p.organization_ids {
            assert!(orgs.contains_key(id.as_str()));
        }
        forms.insert(p.form);
    }
    assert_eq!(forms.len(), Form::ALL.len(), "one programme per form");
}

#[test]
fn csv_people_equal_json_people() {
    let csv_mentors: Vec<MentorProfile> = csv_objects("mentors.csv")
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let row = MentorProfile::parse_as(v, None, Spelling::Csv);
            ok("mentors.csv row", i + 1, row)
        })
        .collect();
    let csv_mentees: Vec<MenteeProfile> = csv_objects("mentees.csv")
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let row = MenteeProfile::parse_as(v, None, Spelling::Csv);
            ok("mentees.csv row", i + 1, row)
        })
        .collect();
    assert_eq!(csv_mentors, json_mentors());
    assert_eq!(csv_mentees, json_mentees());
}

#[test]
fn bad_mentees_fail_on_their_bad_field_and_good_rows_pass() {
    // row (1-based, after the header) → the field that must be named; None = good row
    let expected: [Option<&str>; 10] = [
        Some("category"),
        Some("grade"),
        None,
        Some("birth_year"),
        Some("grade"),
        Some("consent.purposes[1]"),
        Some("full_name"),
        None,
        Some("consent.date"),
        Some("id"),
    ];
    let rows = csv_objects("bad_mentees.csv");
    assert_eq!(rows.len(), expected.len());
    let mut rejected = Vec::new();
    for (i, (row, want)) in rows.iter().zip(expected).enumerate() {
        match (MenteeProfile::parse_as(row, None, Spelling::Csv), want) {
            (Ok(_), None) => {}
            (Err(errors), Some(field)) => {
                let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
                assert_eq!(fields, [field], "row {}: {errors:?}", i + 1);
                rejected.push(i + 1);
            }
            (Ok(_), Some(field)) => panic!("row {} should fail on {field}", i + 1),
            (Err(errors), None) => panic!("row {} should pass: {errors:?}", i + 1),
        }
    }
    assert_eq!(rejected, [1, 2, 4, 5, 6, 7, 9, 10]);
}
