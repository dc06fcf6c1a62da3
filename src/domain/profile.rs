//! Mentor and mentee profiles: the two banks.

use super::organization::read_id;
use super::parse::{FieldError, FieldReader, Spelling, serde_date, serde_opt_date};
use super::{
    ConsentGiver, ConsentPurpose, Form, Id, MenteeCategory, PersonKind, Qualification, StaffRole,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::Date;
use utoipa::ToSchema;

/// Earliest birth year accepted.
const MIN_BIRTH_YEAR: i64 = 1920;
/// Latest birth year accepted (a first-grader of a far school year).
const MAX_BIRTH_YEAR: i64 = 2030;
/// Most mentees one mentor may take at once.
pub const MAX_CAPACITY: i64 = 30;
/// Longest free text accepted.
const MAX_NOTES: usize = 4000;

/// Who consented to the processing of a person's data, when, and to what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Consent {
    /// `self` for adults; `parent` or `guardian` for pupils under 18.
    pub given_by: ConsentGiver,
    /// The day the written consent was signed.
    #[serde(with = "serde_date")]
    #[schema(value_type = String, format = Date, example = "2026-09-01")]
    pub date: Date,
    /// What it covers; `storage` and `matching` when not given.
    pub purposes: Vec<ConsentPurpose>,
    /// The day a pupil of 14 to 17 recorded their own agreement, besides
    /// the parent's or guardian's consent.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "serde_opt_date"
    )]
    #[schema(value_type = Option<String>, format = Date, example = "2026-09-01")]
    pub pupil_agreed_on: Option<Date>,
}

/// Why a profile may not be matched for lack of consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentProblem {
    /// No consent recorded at all.
    Missing,
    /// Consent does not cover matching.
    NotForMatching,
    /// A minor's consent must come from a parent or guardian.
    NeedsGuardian,
    /// A pupil of 14 to 17 must also record their own agreement.
    NeedsPupilAgreement,
    /// An adult consents for themself.
    NeedsOwnConsent,
}

impl Consent {
    /// Checks the consent for matching a person born in `birth_year` (if
    /// known) of `kind`, at the date `on` (the programme's start): under 14
    /// a parent's or guardian's consent; from 14 to 17 that and the pupil's
    /// own recorded agreement; adults their own. Ages count in whole years
    /// from the birth year. A pupil with no birth year is held to the
    /// strictest rule (14 to 17), so a missing year never loosens it.
    pub fn check_for_matching(
        consent: Option<&Consent>,
        kind: PersonKind,
        birth_year: Option<i32>,
        on: Date,
    ) -> Result<(), ConsentProblem> {
        let consent = consent.ok_or(ConsentProblem::Missing)?;
        if !consent.purposes.contains(&ConsentPurpose::Matching) {
            return Err(ConsentProblem::NotForMatching);
        }
        let age = match birth_year {
            Some(year) => Some(on.year() - year),
            None if kind == PersonKind::Pupil => None,
            None => Some(18),
        };
        let by_guardian = consent.given_by != ConsentGiver::OwnSelf;
        match age {
            Some(age) if age >= 18 => {
                if by_guardian {
                    return Err(ConsentProblem::NeedsOwnConsent);
                }
            }
            Some(age) if age < 14 => {
                if !by_guardian {
                    return Err(ConsentProblem::NeedsGuardian);
                }
            }
            _ => {
                if !by_guardian {
                    return Err(ConsentProblem::NeedsGuardian);
                }
                if consent.pupil_agreed_on.is_none() {
                    return Err(ConsentProblem::NeedsPupilAgreement);
                }
            }
        }
        Ok(())
    }
}

/// What every person in either bank carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Person {
    /// The school system's own id for this person; the same id in both
    /// banks is the same person.
    #[schema(value_type = String, example = "t-ivanova")]
    pub id: Id,
    /// The organisation the person belongs to.
    #[schema(value_type = String, example = "school-7")]
    pub organization_id: Id,
    /// Full name (ФИО).
    pub full_name: String,
    /// Year of birth; ages are counted from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_year: Option<i32>,
    /// School grade 1..11, pupils only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grade: Option<u8>,
    /// Teacher, pupil, student or employer representative.
    pub kind: PersonKind,
    /// Subjects: taught or known (mentor), or where help is needed (mentee).
    pub subjects: Vec<String>,
    /// Interests, an open vocabulary.
    pub interests: Vec<String>,
    /// Free slots such as `mon:5` (weekday, lesson period).
    pub availability: Vec<String>,
    /// Consent to the processing of personal data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<Consent>,
    /// Free text for the curator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
}

/// A profile in the bank of mentors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MentorProfile {
    /// Identity and shared fields.
    #[serde(flatten)]
    pub person: Person,
    /// Forms of mentoring this person accepts.
    pub forms: Vec<Form>,
    /// How many mentees at once (approved pairs count against it).
    pub capacity: u32,
    /// What the mentor can help with; the vocabulary of mentee requests.
    pub competencies: Vec<String>,
    /// Years of professional experience.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub experience_years: Option<u32>,
    /// Qualification category.
    pub qualification: Qualification,
    /// Roles held at the organisation.
    pub roles: Vec<StaffRole>,
    /// Finished mentor training.
    pub trained: bool,
}

/// A profile in the bank of mentees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MenteeProfile {
    /// Identity and shared fields.
    #[serde(flatten)]
    pub person: Person,
    /// Why the person is in the bank.
    pub category: MenteeCategory,
    /// What the mentee asks help with; the vocabulary of mentor competencies.
    pub requests: Vec<String>,
    /// The pupil's class teacher (a mentor id), if known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub class_teacher_id: Option<Id>,
    /// Years in the job (teachers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub experience_years: Option<u32>,
}

fn read_consent(r: &mut FieldReader<'_>) -> Option<Consent> {
    r.nested("consent", |c| {
        let given_by = c.vocabulary::<ConsentGiver>("given_by");
        let date = c.date("date");
        let mut purposes = c.vocabulary_list::<ConsentPurpose>("purposes");
        if purposes.is_empty() {
            purposes = ConsentPurpose::ALL.to_vec();
        }
        let pupil_agreed_on = c.opt_date("pupil_agreed_on");
        Some(Consent {
            given_by: given_by?,
            date: date?,
            purposes,
            pupil_agreed_on,
        })
    })
}

/// Reads the shared fields; `None` when a required one is missing.
fn read_person(r: &mut FieldReader<'_>, path_id: Option<&Id>) -> Option<Person> {
    let id = read_id(r, path_id);
    let organization_id = r.id("organization_id");
    let full_name = r.text("full_name", 300);
    let birth_year = r
        .opt_int("birth_year", MIN_BIRTH_YEAR, MAX_BIRTH_YEAR)
        .map(|y| y as i32);
    let grade = r.opt_int("grade", 1, 11).map(|g| g as u8);
    let kind = r.vocabulary::<PersonKind>("kind");
    if grade.is_some() && kind.is_some_and(|k| k != PersonKind::Pupil) {
        r.error("grade", "only pupils have a grade");
    }
    let subjects = r.tags("subjects");
    let interests = r.tags("interests");
    let availability = r.tags("availability");
    let consent = read_consent(r);
    let notes = r.opt_text("notes", MAX_NOTES);
    Some(Person {
        id: id?,
        organization_id: organization_id?,
        full_name: full_name?,
        birth_year,
        grade,
        kind: kind?,
        subjects,
        interests,
        availability,
        consent,
        notes,
    })
}

/// The kind of person who mentors in `form`.
pub fn mentor_kind_for(form: Form) -> PersonKind {
    match form {
        Form::TeacherTeacher | Form::TeacherPupil => PersonKind::Teacher,
        Form::PupilPupil => PersonKind::Pupil,
        Form::StudentPupil => PersonKind::Student,
        Form::EmployerPupil => PersonKind::EmployerRepresentative,
    }
}

impl MentorProfile {
    /// Parses a mentor profile from JSON; every bad field is reported.
    pub fn parse(value: &Value, path_id: Option<&Id>) -> Result<Self, Vec<FieldError>> {
        Self::parse_as(value, path_id, Spelling::Json)
    }

    /// Parses a mentor profile spelled as `spelling` (JSON or a CSV row).
    pub fn parse_as(
        value: &Value,
        path_id: Option<&Id>,
        spelling: Spelling,
    ) -> Result<Self, Vec<FieldError>> {
        let mut r = FieldReader::object_as(value, "", spelling)?;
        let person = read_person(&mut r, path_id);
        let forms = r.vocabulary_list::<Form>("forms");
        let capacity = r.opt_int("capacity", 0, MAX_CAPACITY).unwrap_or(1) as u32;
        let competencies = r.tags("competencies");
        let experience_years = r.opt_int("experience_years", 0, 80).map(|n| n as u32);
        let qualification = r
            .opt_vocabulary::<Qualification>("qualification")
            .unwrap_or(Qualification::None);
        let roles = r.vocabulary_list::<StaffRole>("roles");
        let trained = r.flag("trained", false);
        if let Some(person) = &person {
            for (i, form) in forms.iter().enumerate() {
                let needed = mentor_kind_for(*form);
                if person.kind != needed {
                    r.error(
                        &format!("forms[{i}]"),
                        format!(
                            "{form} needs a mentor of kind {needed}, not {}",
                            person.kind
                        ),
                    );
                }
            }
        }
        let errors = r.finish();
        match (errors.is_empty(), person) {
            (true, Some(person)) => Ok(Self {
                person,
                forms,
                capacity,
                competencies,
                experience_years,
                qualification,
                roles,
                trained,
            }),
            _ => Err(errors),
        }
    }
}

impl MenteeProfile {
    /// Parses a mentee profile from JSON; every bad field is reported.
    pub fn parse(value: &Value, path_id: Option<&Id>) -> Result<Self, Vec<FieldError>> {
        Self::parse_as(value, path_id, Spelling::Json)
    }

    /// Parses a mentee profile spelled as `spelling` (JSON or a CSV row).
    pub fn parse_as(
        value: &Value,
        path_id: Option<&Id>,
        spelling: Spelling,
    ) -> Result<Self, Vec<FieldError>> {
        let mut r = FieldReader::object_as(value, "", spelling)?;
        let person = read_person(&mut r, path_id);
        let category = r.vocabulary::<MenteeCategory>("category");
        let requests = r.tags("requests");
        let class_teacher_id = r.opt_id("class_teacher_id");
        let experience_years = r.opt_int("experience_years", 0, 80).map(|n| n as u32);
        if let (Some(person), Some(category)) = (&person, category) {
            let teacher_category = Form::TeacherTeacher.categories().contains(&category);
            let kind_fits = if teacher_category {
                person.kind == PersonKind::Teacher
            } else {
                matches!(person.kind, PersonKind::Pupil | PersonKind::Student)
            };
            if !kind_fits {
                r.error(
                    "category",
                    format!(
                        "{category} does not apply to a person of kind {}",
                        person.kind
                    ),
                );
            }
            if class_teacher_id.as_ref() == Some(&person.id) {
                r.error(
                    "class_teacher_id",
                    "a person cannot be their own class teacher",
                );
            }
        }
        let errors = r.finish();
        match (errors.is_empty(), person, category) {
            (true, Some(person), Some(category)) => Ok(Self {
                person,
                category,
                requests,
                class_teacher_id,
                experience_years,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn mentee_json() -> Value {
        json!({
            "id": "p-1", "organization_id": "school-7", "full_name": "Петров Пётр",
            "birth_year": 2012, "grade": 8, "kind": "pupil", "category": "struggling_pupil",
            "subjects": ["Математика"], "requests": ["подготовка к ОГЭ", "мотивация"],
            "consent": {"given_by": "parent", "date": "2026-09-01", "pupil_agreed_on": "2026-09-02"}
        })
    }

    #[test]
    fn a_mentee_round_trips_through_json_unchanged() {
        let parsed = MenteeProfile::parse(&mentee_json(), None).expect("valid");
        let json = serde_json::to_value(&parsed).expect("json");
        assert_eq!(json["consent"]["pupil_agreed_on"], "2026-09-02");
        assert_eq!(parsed.requests, ["подготовка к огэ", "мотивация"]);
        let again = MenteeProfile::parse(&serde_json::to_value(&parsed).expect("json"), None)
            .expect("valid");
        assert_eq!(parsed, again);
    }

    #[test]
    fn a_pupil_with_only_their_own_consent_is_not_matched() {
        let consent = Consent {
            given_by: ConsentGiver::OwnSelf,
            date: time::macros::date!(2026 - 09 - 01),
            purposes: ConsentPurpose::ALL.to_vec(),
            pupil_agreed_on: None,
        };
        let on = time::macros::date!(2026 - 10 - 01);
        assert_eq!(
            Consent::check_for_matching(Some(&consent), PersonKind::Pupil, Some(2011), on),
            Err(ConsentProblem::NeedsGuardian)
        );
        assert!(
            Consent::check_for_matching(Some(&consent), PersonKind::Teacher, Some(1990), on)
                .is_ok()
        );
    }

    #[test]
    fn a_capacity_spelled_as_text_is_refused_in_json_and_read_in_csv() {
        let value = json!({"id": "m", "organization_id": "s", "full_name": "X", "kind": "teacher",
            "capacity": "3", "trained": "true"});
        let errors = MentorProfile::parse(&value, None).expect_err("strict JSON");
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["capacity", "trained"]);
        let row = MentorProfile::parse_as(&value, None, Spelling::Csv).expect("lenient CSV");
        assert_eq!(row.capacity, 3);
        assert!(row.trained);
    }

    #[test]
    fn mentor_kind_must_fit_each_form() {
        let value = json!({"id": "m", "organization_id": "s", "full_name": "X", "kind": "pupil",
            "forms": ["teacher_pupil", "pupil_pupil"]});
        let errors = MentorProfile::parse(&value, None).expect_err("invalid");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "forms[0]");
    }
}
