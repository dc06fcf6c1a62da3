//! Programmes (программы наставничества): what a run matches, and how.

use super::organization::read_id;
use super::parse::{FieldError, FieldReader, serde_date};
use super::{Criterion, Form, Id};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::Date;
use utoipa::ToSchema;

/// Largest weight accepted for one criterion.
pub const MAX_WEIGHT: f64 = 100.0;
/// Largest group a programme may ask for.
pub const MAX_GROUP: i64 = 30;

/// The period the pairs work in (usually September–May).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Period {
    /// First day.
    #[serde(with = "serde_date")]
    #[schema(value_type = String, format = Date, example = "2026-09-01")]
    pub start: Date,
    /// Last day.
    #[serde(with = "serde_date")]
    #[schema(value_type = String, format = Date, example = "2027-05-31")]
    pub end: Date,
}

/// Group mentoring: a mentor leads between `min` and `max` mentees, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct GroupSize {
    /// Fewest mentees in a group.
    pub min: u32,
    /// Most mentees in a group.
    pub max: u32,
    /// Milliseconds the exact group search may spend per connected
    /// component before it returns its best grouping with a proven bound
    /// (default 2000, at most 60000).
    #[serde(default = "default_time_budget_ms")]
    pub time_budget_ms: u32,
}

/// Largest search budget per component a programme may set.
pub const MAX_GROUP_TIME_BUDGET_MS: i64 = 60_000;
/// Search budget per component when a programme does not set one.
pub const DEFAULT_GROUP_TIME_BUDGET_MS: u32 = 2_000;

fn default_time_budget_ms() -> u32 {
    DEFAULT_GROUP_TIME_BUDGET_MS
}

impl GroupSize {
    /// Limits `min..=max` with the default search budget.
    pub fn new(min: u32, max: u32) -> Self {
        Self {
            min,
            max,
            time_budget_ms: default_time_budget_ms(),
        }
    }
}

/// Weight of each soft criterion; a pair's score is the weighted sum of
/// criterion values in 0..1. Criteria with weight 0 are not computed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Weights {
    /// Subjects in common.
    pub subjects: f64,
    /// Mentee requests covered by mentor competencies.
    pub requests: f64,
    /// Shared interests.
    pub interests: f64,
    /// Shared free slots.
    pub availability: f64,
    /// Mentor is the pupil's class teacher.
    pub class_teacher: f64,
    /// Mentor experience and qualification.
    pub experience: f64,
    /// Age or grade gap close to the form's ideal.
    pub age_gap: f64,
    /// Mentor's spare capacity.
    pub load: f64,
    /// Wishes said at the joint meeting (0 unless a programme sets it:
    /// older programmes and runs read without it).
    #[serde(default)]
    pub wishes: f64,
}

impl Default for Weights {
    /// Defaults that favour what the roadmaps stress: subject help and
    /// covered requests first, then the practical fit.
    fn default() -> Self {
        Self {
            subjects: 0.25,
            requests: 0.25,
            interests: 0.10,
            availability: 0.10,
            class_teacher: 0.10,
            experience: 0.10,
            age_gap: 0.05,
            load: 0.05,
            wishes: 0.0,
        }
    }
}

impl Weights {
    /// The weight of `criterion`.
    pub fn get(&self, criterion: Criterion) -> f64 {
        match criterion {
            Criterion::Subjects => self.subjects,
            Criterion::Requests => self.requests,
            Criterion::Interests => self.interests,
            Criterion::Availability => self.availability,
            Criterion::ClassTeacher => self.class_teacher,
            Criterion::Experience => self.experience,
            Criterion::AgeGap => self.age_gap,
            Criterion::Load => self.load,
            Criterion::Wishes => self.wishes,
        }
    }

    fn slot(&mut self, criterion: Criterion) -> &mut f64 {
        match criterion {
            Criterion::Subjects => &mut self.subjects,
            Criterion::Requests => &mut self.requests,
            Criterion::Interests => &mut self.interests,
            Criterion::Availability => &mut self.availability,
            Criterion::ClassTeacher => &mut self.class_teacher,
            Criterion::Experience => &mut self.experience,
            Criterion::AgeGap => &mut self.age_gap,
            Criterion::Load => &mut self.load,
            Criterion::Wishes => &mut self.wishes,
        }
    }

    /// Sets one weight.
    pub fn set(&mut self, criterion: Criterion, weight: f64) {
        *self.slot(criterion) = weight;
    }

    /// Reads `{criterion: number}` over `base`; criteria left out keep
    /// their base weight. Errors are reported under `field`.
    pub fn parse_over(base: Weights, value: &Value, field: &str) -> Result<Self, Vec<FieldError>> {
        let Value::Object(map) = value else {
            return Err(vec![FieldError::new(
                field,
                "must be an object {criterion: weight}",
            )]);
        };
        let mut weights = base;
        let mut errors = Vec::new();
        for (name, raw) in map {
            let path = format!("{field}.{name}");
            let Some(criterion) = Criterion::parse(name) else {
                errors.push(FieldError::new(
                    path,
                    format!(
                        "unknown criterion; expected one of: {}",
                        Criterion::expected()
                    ),
                ));
                continue;
            };
            match raw.as_f64() {
                Some(w) if w.is_finite() && (0.0..=MAX_WEIGHT).contains(&w) => {
                    weights.set(criterion, w)
                }
                _ => errors.push(FieldError::new(
                    path,
                    format!("must be a number between 0 and {MAX_WEIGHT}"),
                )),
            }
        }
        if errors.is_empty() && Criterion::ALL.iter().all(|c| weights.get(*c) == 0.0) {
            errors.push(FieldError::new(
                field,
                "at least one weight must be above 0",
            ));
        }
        if errors.is_empty() {
            Ok(weights)
        } else {
            Err(errors)
        }
    }
}

/// Settings of the hard rules that a programme may relax or tune.
/// Consent, the form's categories, self-mentoring, rejected pairs and
/// capacity are never relaxed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Rules {
    /// A network programme: in the same-organisation forms, mentors may
    /// come from any organisation in the programme's scope. Default false.
    pub network: bool,
    /// Mentors must have finished training. Default true.
    pub require_trained: bool,
    /// Pupils with special needs get a mentor with the `tutor` role. Default true.
    pub tutor_for_special_needs: bool,
    /// In `pupil_pupil`, how many grades above the mentee the mentor must be. Default 1.
    pub min_grade_gap: u32,
    /// Fewest years of experience of a young specialist's mentor. Default 5.
    pub min_mentor_experience_years: u32,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            network: false,
            require_trained: true,
            tutor_for_special_needs: true,
            min_grade_gap: 1,
            min_mentor_experience_years: 5,
        }
    }
}

/// A mentoring programme: a form, a scope, a period, and how to match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Programme {
    /// The caller's own id.
    #[schema(value_type = String, example = "tp-2026")]
    pub id: Id,
    /// Name as it appears in the school's order.
    pub name: String,
    /// Form of mentoring.
    pub form: Form,
    /// Organisations in scope (each with everything under it).
    #[schema(value_type = Vec<String>)]
    pub organization_ids: Vec<Id>,
    /// When the pairs work.
    pub period: Period,
    /// Group mentoring limits; absent means individual pairs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<GroupSize>,
    /// Criterion weights (defaults filled in).
    pub weights: Weights,
    /// Hard-rule settings (defaults filled in).
    pub rules: Rules,
    /// Ids of the feedback questionnaire's questions (answered 1..5 at
    /// entry and exit); when empty, any question id is accepted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub questions: Vec<String>,
}

impl Programme {
    /// Parses a programme; every bad field is reported.
    pub fn parse(value: &Value, path_id: Option<&Id>) -> Result<Self, Vec<FieldError>> {
        let mut r = FieldReader::object(value, "")?;
        let id = read_id(&mut r, path_id);
        let name = r.text("name", 300);
        let form = r.vocabulary::<Form>("form");
        let organization_ids = r.id_list("organization_ids");
        if organization_ids.is_empty() && !r.has_errors() {
            r.error("organization_ids", "must name at least one organisation");
        }
        let period = r.nested("period", |p| Some((p.date("start")?, p.date("end")?)));
        if r.raw("period").is_none() {
            r.error("period", "is required");
        }
        let period = match period {
            Some((start, end)) if start <= end => Some(Period { start, end }),
            Some(_) => {
                r.error("period.end", "must not be before period.start");
                None
            }
            None => None,
        };
        let group = r.nested("group", |g| {
            let min = g.opt_int("min", 1, MAX_GROUP);
            let max = g.opt_int("max", 1, MAX_GROUP);
            let budget = g.opt_int("time_budget_ms", 1, MAX_GROUP_TIME_BUDGET_MS);
            if min.is_none() && g.raw("min").is_none() {
                g.error("min", "is required");
            }
            if max.is_none() && g.raw("max").is_none() {
                g.error("max", "is required");
            }
            match (min?, max?) {
                (lo, hi) if lo <= hi => Some(GroupSize {
                    min: lo as u32,
                    max: hi as u32,
                    time_budget_ms: budget.map_or_else(default_time_budget_ms, |ms| ms as u32),
                }),
                _ => {
                    g.error("max", "must not be below min");
                    None
                }
            }
        });
        let weights = match r.raw("weights") {
            Some(value) => match Weights::parse_over(Weights::default(), value, "weights") {
                Ok(w) => w,
                Err(errors) => {
                    for e in errors {
                        r.error(&e.field, e.message);
                    }
                    Weights::default()
                }
            },
            None => Weights::default(),
        };
        let rules = r
            .nested("rules", |rr| {
                let d = Rules::default();
                Some(Rules {
                    network: rr.flag("network", d.network),
                    require_trained: rr.flag("require_trained", d.require_trained),
                    tutor_for_special_needs: rr
                        .flag("tutor_for_special_needs", d.tutor_for_special_needs),
                    min_grade_gap: rr
                        .opt_int("min_grade_gap", 0, 10)
                        .map_or(d.min_grade_gap, |n| n as u32),
                    min_mentor_experience_years: rr
                        .opt_int("min_mentor_experience_years", 0, 60)
                        .map_or(d.min_mentor_experience_years, |n| n as u32),
                })
            })
            .unwrap_or_default();
        let questions = r.tags("questions");
        let errors = r.finish();
        match (errors.is_empty(), id, name, form, period) {
            (true, Some(id), Some(name), Some(form), Some(period)) => Ok(Self {
                id,
                name,
                form,
                organization_ids,
                period,
                group,
                weights,
                rules,
                questions,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn left_out_parts_take_the_documented_defaults() {
        let value = json!({"id": "p", "name": "Учитель–ученик", "form": "teacher_pupil",
            "organization_ids": ["school-7"], "period": {"start": "2026-09-01", "end": "2027-05-31"},
            "weights": {"subjects": 0.5}});
        let p = Programme::parse(&value, None).expect("valid");
        assert_eq!(p.weights.subjects, 0.5);
        assert_eq!(p.weights.requests, Weights::default().requests);
        assert_eq!(p.rules, Rules::default());
        assert!(p.group.is_none());
    }

    #[test]
    fn unknown_criteria_and_reversed_periods_are_named() {
        let value = json!({"id": "p", "name": "x", "form": "teacher_pupil",
            "organization_ids": ["s"], "period": {"start": "2027-09-01", "end": "2027-05-31"},
            "weights": {"charisma": 1}});
        let fields: Vec<String> = Programme::parse(&value, None)
            .expect_err("invalid")
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["period.end", "weights.charisma"]);
    }
}
