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

/// Weight of each soft criterion: a relative importance, stored as given
/// (any scale, 0..=[`MAX_WEIGHT`] each, not all 0). Scoring uses the
/// weights normalised to sum 1 ([`Weights::normalised`]), so a pair's
/// score is the weighted mean of its criterion values in 0..1 and
/// multiplying every weight by the same number changes nothing. Criteria
/// with weight 0 are not computed.
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

    /// The sum of the weights as given.
    pub fn sum(&self) -> f64 {
        Criterion::ALL.iter().map(|c| self.get(*c)).sum()
    }

    /// The weights divided by their sum, so that they sum to 1: what
    /// scoring uses. Weights that are all 0 (refused at the edge) come
    /// back unchanged.
    pub fn normalised(&self) -> Weights {
        let sum = self.sum();
        let mut out = *self;
        if sum > 0.0 && sum.is_finite() {
            for c in Criterion::ALL {
                out.set(*c, self.get(*c) / sum);
            }
        }
        out
    }

    /// The normalised weights with `criterion`'s share multiplied by
    /// `factor` (capped at 1) and the other criteria rescaled together so
    /// that the weights still sum to 1 and keep their ratios. A criterion
    /// that holds the whole weight, or has none, cannot move: the
    /// normalised weights come back as they are.
    pub fn moved(&self, criterion: Criterion, factor: f64) -> Weights {
        let base = self.normalised();
        let share = base.get(criterion);
        let rest = 1.0 - share;
        if share <= 0.0 || rest <= 1e-12 {
            return base;
        }
        let target = (share * factor).clamp(0.0, 1.0);
        let scale = (1.0 - target) / rest;
        let mut out = base;
        for c in Criterion::ALL {
            out.set(*c, base.get(*c) * scale);
        }
        out.set(criterion, target);
        out
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
/// Written out with `weights_normalised` beside `weights` (see
/// [`ProgrammeOut`]); that field is ignored when a programme is read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "ProgrammeOut")]
pub struct Programme {
    /// The caller's own id.
    pub id: Id,
    /// Name as it appears in the school's order.
    pub name: String,
    /// Form of mentoring.
    pub form: Form,
    /// Organisations in scope (each with everything under it).
    pub organization_ids: Vec<Id>,
    /// When the pairs work.
    pub period: Period,
    /// Group mentoring limits; absent means individual pairs.
    #[serde(default)]
    pub group: Option<GroupSize>,
    /// Criterion weights as given (defaults filled in).
    pub weights: Weights,
    /// Hard-rule settings (defaults filled in).
    pub rules: Rules,
    /// Ids of the feedback questionnaire's questions.
    #[serde(default)]
    pub questions: Vec<String>,
}

/// A mentoring programme: a form, a scope, a period, and how to match.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = Programme)]
pub struct ProgrammeOut {
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
    /// Criterion weights as given (defaults filled in): relative
    /// importances, any scale.
    pub weights: Weights,
    /// The same weights divided by their sum (they sum to 1): what
    /// scoring uses. Read-only: ignored when a programme is written.
    #[schema(read_only)]
    pub weights_normalised: Weights,
    /// Hard-rule settings (defaults filled in).
    pub rules: Rules,
    /// Ids of the feedback questionnaire's questions (answered 1..5 at
    /// entry and exit); when empty, any question id is accepted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub questions: Vec<String>,
}

impl From<Programme> for ProgrammeOut {
    fn from(p: Programme) -> Self {
        Self {
            weights_normalised: p.weights.normalised(),
            id: p.id,
            name: p.name,
            form: p.form,
            organization_ids: p.organization_ids,
            period: p.period,
            group: p.group,
            weights: p.weights,
            rules: p.rules,
            questions: p.questions,
        }
    }
}

impl utoipa::PartialSchema for Programme {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        <ProgrammeOut as utoipa::PartialSchema>::schema()
    }
}

impl ToSchema for Programme {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("Programme")
    }

    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        <ProgrammeOut as ToSchema>::schemas(schemas);
    }
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
        // Written out beside `weights`; a programme read back and sent
        // again carries it, and it is recomputed.
        let _ = r.raw("weights_normalised");
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

    fn odd_weights() -> Weights {
        let mut w = Weights::default();
        for c in Criterion::ALL {
            w.set(*c, 0.1);
        }
        w.set(Criterion::Subjects, 3.0);
        w.set(Criterion::Wishes, 0.0);
        w
    }

    #[test]
    fn the_default_weights_already_sum_to_one() {
        assert!((Weights::default().sum() - 1.0).abs() < 1e-12);
        assert_eq!(Weights::default().normalised(), Weights::default());
    }

    #[test]
    fn weights_normalise_to_shares_of_their_sum() {
        // 3 beside seven criteria at 0.1 and wishes at 0: the sum is 3.7.
        let n = odd_weights().normalised();
        assert!((n.sum() - 1.0).abs() < 1e-12);
        assert!((n.subjects - 3.0 / 3.7).abs() < 1e-12);
        assert!((n.load - 0.1 / 3.7).abs() < 1e-12);
        assert_eq!(n.wishes, 0.0);
    }

    #[test]
    fn a_moved_weight_keeps_the_sum_at_one_and_the_others_in_ratio() {
        let base = odd_weights().normalised();
        for factor in [0.75, 1.25] {
            let m = odd_weights().moved(Criterion::Interests, factor);
            assert!((m.sum() - 1.0).abs() < 1e-12, "{factor}");
            assert!((m.interests - base.interests * factor).abs() < 1e-12);
            assert!((m.subjects / m.load - base.subjects / base.load).abs() < 1e-9);
            assert_eq!(m.wishes, 0.0);
        }
        // A criterion holding more than 80% capped at 1 on the way up.
        let up = odd_weights().moved(Criterion::Subjects, 1.25);
        assert!((up.subjects - (base.subjects * 1.25).min(1.0)).abs() < 1e-12);
        // Weight 0 and the whole weight do not move.
        assert_eq!(odd_weights().moved(Criterion::Wishes, 1.25), base);
        let mut only = Weights::default();
        for c in Criterion::ALL {
            only.set(*c, 0.0);
        }
        only.set(Criterion::Requests, 2.0);
        assert_eq!(only.moved(Criterion::Requests, 0.75), only.normalised());
    }

    #[test]
    fn all_zero_weights_are_refused_naming_weights_and_the_normalised_copy_is_ignored() {
        let zero: serde_json::Map<String, Value> = Criterion::ALL
            .iter()
            .map(|c| (c.as_str().to_owned(), json!(0)))
            .collect();
        let value = json!({"id": "p", "name": "x", "form": "teacher_pupil",
            "organization_ids": ["s"], "period": {"start": "2026-09-01", "end": "2027-05-31"},
            "weights": zero});
        let errors = Programme::parse(&value, None).expect_err("invalid");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "weights");
        let written = serde_json::to_value(
            Programme::parse(
                &json!({"id": "p", "name": "x", "form": "teacher_pupil",
                    "organization_ids": ["s"],
                    "period": {"start": "2026-09-01", "end": "2027-05-31"},
                    "weights": {"subjects": 3}}),
                None,
            )
            .expect("valid"),
        )
        .expect("json");
        let sum = 3.0 + 0.75;
        assert!(
            (written["weights_normalised"]["subjects"]
                .as_f64()
                .expect("share")
                - 3.0 / sum)
                .abs()
                < 1e-12
        );
        assert_eq!(written["weights"]["subjects"], 3.0);
        let back = Programme::parse(&written, None).expect("read back as written");
        assert_eq!(back.weights.subjects, 3.0);
    }
}
