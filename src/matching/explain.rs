//! Breakdowns of proposed pairs and their texts in English and Russian.
//!
//! The facts behind a breakdown ([`Fact`]) are structured data, stored
//! with the run, so the words ([`Fact::render`]) can be produced again in
//! either language later. Built only for proposed pairs:
//! `O(tags)` per pair.

use super::features::{Features, ideal_gap};
use super::score::{CRITERIA, criterion_values};
use crate::domain::{Criterion, Form, MenteeProfile, MentorProfile, Qualification};
use serde::{Deserialize, Serialize};

/// Language of the texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    /// English (the default).
    #[default]
    En,
    /// Russian.
    Ru,
}

impl Lang {
    /// Parses `en` / `ru` (case ignored).
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "en" => Some(Lang::En),
            "ru" => Some(Lang::Ru),
            _ => None,
        }
    }
}

/// Unit of an age or grade gap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GapUnit {
    /// School grades (`pupil_pupil`).
    Grades,
    /// Years of age.
    Years,
}

/// What matched for one criterion, as data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fact {
    /// Subjects in common, out of the mentee's.
    Subjects {
        /// Shared subjects.
        matched: Vec<String>,
        /// How many the mentee named.
        of: usize,
    },
    /// Requests covered by competencies.
    Requests {
        /// Covered requests.
        covered: Vec<String>,
        /// How many the mentee named.
        of: usize,
    },
    /// Shared interests.
    Interests {
        /// Shared interests.
        shared: Vec<String>,
    },
    /// Shared free slots.
    Availability {
        /// Shared slots.
        shared: Vec<String>,
    },
    /// Whether the mentor is the pupil's class teacher.
    ClassTeacher {
        /// True when they are.
        is_class_teacher: bool,
    },
    /// Mentor's experience and qualification.
    Experience {
        /// Years, when known.
        years: Option<u32>,
        /// Qualification category.
        qualification: Qualification,
    },
    /// Age or grade gap (mentor older/higher is positive).
    AgeGap {
        /// The gap, when both positions are known.
        gap: Option<i32>,
        /// Grades or years.
        unit: GapUnit,
        /// The form's ideal interval.
        ideal: (i32, i32),
    },
    /// Mentor's spare capacity.
    Load {
        /// Places free before this run.
        spare: u32,
        /// Capacity.
        capacity: u32,
    },
    /// What each side said of the other at the joint meeting.
    Wishes {
        /// The mentee's rank of the mentor (1 = first choice), if named.
        mentee_rank: Option<u8>,
        /// The mentor's rank of the mentee, if named.
        mentor_rank: Option<u8>,
    },
}

/// One line of a breakdown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BreakdownItem {
    /// The criterion.
    pub criterion: Criterion,
    /// Its weight as scoring used it: normalised, the run's weights
    /// divided by their sum. Criteria with weight 0 have no line.
    pub weight: f64,
    /// Its value 0..1.
    pub value: f64,
    /// `weight × value`; the contributions sum to the score (±1e-6).
    pub contribution: f64,
    /// The facts behind the value.
    pub fact: Fact,
    /// The facts in words, in the run's language.
    pub detail: String,
}

fn ru_plural(n: usize, one: &str, few: &str, many: &str) -> String {
    let (m10, m100) = (n % 10, n % 100);
    let word = if m10 == 1 && m100 != 11 {
        one
    } else if (2..=4).contains(&m10) && !(12..=14).contains(&m100) {
        few
    } else {
        many
    };
    format!("{n} {word}")
}

fn en_plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl Fact {
    /// The fact in words.
    pub fn render(&self, lang: Lang) -> String {
        let list = |v: &[String]| v.join(", ");
        match (self, lang) {
            (Fact::Subjects { matched, .. }, Lang::En) if matched.is_empty() => {
                "no subjects in common".into()
            }
            (Fact::Subjects { matched, .. }, Lang::Ru) if matched.is_empty() => {
                "нет общих предметов".into()
            }
            (Fact::Subjects { matched, of }, Lang::En) => {
                format!("subjects: {} ({} of {of})", list(matched), matched.len())
            }
            (Fact::Subjects { matched, of }, Lang::Ru) => {
                format!("предметы: {} ({} из {of})", list(matched), matched.len())
            }
            (Fact::Requests { of: 0, .. }, Lang::En) => "no requests named".into(),
            (Fact::Requests { of: 0, .. }, Lang::Ru) => "запросы не указаны".into(),
            (Fact::Requests { covered, of }, Lang::En) if covered.is_empty() => {
                format!("none of {} covered", en_plural(*of, "request", "requests"))
            }
            (Fact::Requests { covered, of }, Lang::Ru) if covered.is_empty() => {
                format!("не закрыт ни один из запросов ({of})")
            }
            (Fact::Requests { covered, of }, Lang::En) => format!(
                "{} of {} covered: {}",
                covered.len(),
                en_plural(*of, "request", "requests"),
                list(covered)
            ),
            (Fact::Requests { covered, of }, Lang::Ru) => format!(
                "закрыто запросов: {} из {of}: {}",
                covered.len(),
                list(covered)
            ),
            (Fact::Interests { shared }, Lang::En) if shared.is_empty() => {
                "no shared interests".into()
            }
            (Fact::Interests { shared }, Lang::Ru) if shared.is_empty() => {
                "нет общих интересов".into()
            }
            (Fact::Interests { shared }, Lang::En) => format!("shared interests: {}", list(shared)),
            (Fact::Interests { shared }, Lang::Ru) => format!("общие интересы: {}", list(shared)),
            (Fact::Availability { shared }, Lang::En) if shared.is_empty() => {
                "no shared free periods".into()
            }
            (Fact::Availability { shared }, Lang::Ru) if shared.is_empty() => {
                "нет общего свободного времени".into()
            }
            (Fact::Availability { shared }, Lang::En) => format!(
                "{} ({})",
                en_plural(shared.len(), "shared free period", "shared free periods"),
                list(shared)
            ),
            (Fact::Availability { shared }, Lang::Ru) => format!(
                "общее свободное время: {} ({})",
                ru_plural(shared.len(), "урок", "урока", "уроков"),
                list(shared)
            ),
            (
                Fact::ClassTeacher {
                    is_class_teacher: true,
                },
                Lang::En,
            ) => "class teacher of this pupil".into(),
            (
                Fact::ClassTeacher {
                    is_class_teacher: true,
                },
                Lang::Ru,
            ) => "классный руководитель этого ученика".into(),
            (Fact::ClassTeacher { .. }, Lang::En) => "not the pupil's class teacher".into(),
            (Fact::ClassTeacher { .. }, Lang::Ru) => "не классный руководитель ученика".into(),
            (
                Fact::Experience {
                    years,
                    qualification,
                },
                Lang::En,
            ) => {
                let y = years.map_or("experience unknown".to_owned(), |y| {
                    format!("{} of experience", en_plural(y as usize, "year", "years"))
                });
                let q = match qualification {
                    Qualification::Highest => ", highest qualification category",
                    Qualification::First => ", first qualification category",
                    Qualification::None => "",
                };
                format!("{y}{q}")
            }
            (
                Fact::Experience {
                    years,
                    qualification,
                },
                Lang::Ru,
            ) => {
                let y = years.map_or("стаж неизвестен".to_owned(), |y| {
                    format!("стаж {}", ru_plural(y as usize, "год", "года", "лет"))
                });
                let q = match qualification {
                    Qualification::Highest => ", высшая категория",
                    Qualification::First => ", первая категория",
                    Qualification::None => "",
                };
                format!("{y}{q}")
            }
            (Fact::AgeGap { gap: None, .. }, Lang::En) => "age or grade gap unknown".into(),
            (Fact::AgeGap { gap: None, .. }, Lang::Ru) => "разница в возрасте неизвестна".into(),
            (
                Fact::AgeGap {
                    gap: Some(g),
                    unit,
                    ideal,
                },
                Lang::En,
            ) => {
                let n = g.unsigned_abs() as usize;
                let what = if *unit == GapUnit::Grades {
                    en_plural(n, "grade", "grades")
                } else {
                    en_plural(n, "year", "years")
                };
                let sign = if *g < 0 { "−" } else { "" };
                format!("{sign}{what} apart (ideal {}–{})", ideal.0, ideal.1)
            }
            (
                Fact::AgeGap {
                    gap: Some(g),
                    unit,
                    ideal,
                },
                Lang::Ru,
            ) => {
                let n = g.unsigned_abs() as usize;
                let what = if *unit == GapUnit::Grades {
                    ru_plural(n, "класс", "класса", "классов")
                } else {
                    ru_plural(n, "год", "года", "лет")
                };
                let sign = if *g < 0 { "−" } else { "" };
                format!("разница {sign}{what} (идеал {}–{})", ideal.0, ideal.1)
            }
            (Fact::Load { spare, capacity }, Lang::En) => {
                format!("{spare} of {capacity} places free")
            }
            (Fact::Load { spare, capacity }, Lang::Ru) => {
                format!("свободно мест: {spare} из {capacity}")
            }
            (
                Fact::Wishes {
                    mentee_rank,
                    mentor_rank,
                },
                lang,
            ) => wishes_words(*mentee_rank, *mentor_rank, lang),
        }
    }
}

/// "1st" or "1-й".
fn ordinal(rank: u8, lang: Lang) -> String {
    match lang {
        Lang::Ru => format!("{rank}-й"),
        Lang::En => {
            let suffix = match (rank % 10, rank % 100) {
                (1, r) if r != 11 => "st",
                (2, r) if r != 12 => "nd",
                (3, r) if r != 13 => "rd",
                _ => "th",
            };
            format!("{rank}{suffix}")
        }
    }
}

/// The wishes of a pair in words: "1-й выбор наставляемого, взаимно".
fn wishes_words(mentee_rank: Option<u8>, mentor_rank: Option<u8>, lang: Lang) -> String {
    let mentee = |r: u8| match lang {
        Lang::Ru => format!("{} выбор наставляемого", ordinal(r, lang)),
        Lang::En => format!("mentee's {} choice", ordinal(r, lang)),
    };
    let mentor = |r: u8| match lang {
        Lang::Ru => format!("{} выбор наставника", ordinal(r, lang)),
        Lang::En => format!("mentor's {} choice", ordinal(r, lang)),
    };
    let mutual = match lang {
        Lang::Ru => "взаимно",
        Lang::En => "mutual",
    };
    match (mentee_rank, mentor_rank) {
        (Some(a), Some(b)) if a == b => format!("{}, {mutual}", mentee(a)),
        (Some(a), Some(b)) => format!("{}, {mutual} ({})", mentee(a), mentor(b)),
        (Some(a), None) => mentee(a),
        (None, Some(b)) => mentor(b),
        (None, None) => match lang {
            Lang::Ru => "не названы в пожеланиях".into(),
            Lang::En => "not among the wishes".into(),
        },
    }
}

fn common(a: &[String], b: &[String]) -> Vec<String> {
    a.iter().filter(|t| b.contains(t)).cloned().collect()
}

/// Builds the breakdown of one pair. `mentee`/`mentor` are the encoded
/// indices in `features`; `spare` is the mentor's spare capacity before
/// the run. Values come from the scoring code itself
/// ([`criterion_values`]), so the breakdown explains exactly the score used.
#[expect(
    clippy::too_many_arguments,
    reason = "the pair's facts come from both profiles and the encoding"
)]
pub fn breakdown(
    features: &Features,
    weights: &[f64; CRITERIA],
    form: Form,
    mentee_index: usize,
    mentor_index: usize,
    mentee: &MenteeProfile,
    mentor: &MentorProfile,
    spare: u32,
    lang: Lang,
) -> Vec<BreakdownItem> {
    let values = criterion_values(features, mentee_index, mentor_index);
    let (lo, hi, _) = ideal_gap(form);
    let gap = if form == Form::PupilPupil {
        match (mentor.person.grade, mentee.person.grade) {
            (Some(m), Some(e)) => Some(i32::from(m) - i32::from(e)),
            _ => None,
        }
    } else {
        match (mentor.person.birth_year, mentee.person.birth_year) {
            (Some(m), Some(e)) => Some(e - m),
            _ => None,
        }
    };
    Criterion::ALL
        .iter()
        .enumerate()
        .filter(|(k, _)| weights[*k] > 0.0)
        .map(|(k, &criterion)| {
            let fact = match criterion {
                Criterion::Subjects => Fact::Subjects {
                    matched: common(&mentee.person.subjects, &mentor.person.subjects),
                    of: mentee.person.subjects.len(),
                },
                Criterion::Requests => Fact::Requests {
                    covered: common(&mentee.requests, &mentor.competencies),
                    of: mentee.requests.len(),
                },
                Criterion::Interests => Fact::Interests {
                    shared: common(&mentee.person.interests, &mentor.person.interests),
                },
                Criterion::Availability => Fact::Availability {
                    shared: common(&mentee.person.availability, &mentor.person.availability),
                },
                Criterion::ClassTeacher => Fact::ClassTeacher {
                    is_class_teacher: values[k] > 0.0,
                },
                Criterion::Experience => Fact::Experience {
                    years: mentor.experience_years,
                    qualification: mentor.qualification,
                },
                Criterion::AgeGap => Fact::AgeGap {
                    gap,
                    unit: if form == Form::PupilPupil {
                        GapUnit::Grades
                    } else {
                        GapUnit::Years
                    },
                    ideal: (lo, hi),
                },
                Criterion::Load => Fact::Load {
                    spare,
                    capacity: mentor.capacity,
                },
                Criterion::Wishes => {
                    let cell = features.wish(mentee_index, mentor_index);
                    let named = |r: u8| (r > 0).then_some(r);
                    Fact::Wishes {
                        mentee_rank: cell.and_then(|c| named(c.mentee_rank)),
                        mentor_rank: cell.and_then(|c| named(c.mentor_rank)),
                    }
                }
            };
            BreakdownItem {
                criterion,
                weight: weights[k],
                value: values[k],
                contribution: weights[k] * values[k],
                detail: fact.render(lang),
                fact,
            }
        })
        .collect()
}

/// The mean of several breakdowns of the same criteria (a group's line):
/// mean value and contribution per criterion. The `fact` kept is the first
/// member's (per-member facts are in the members' own breakdowns); the
/// `detail` says it is a mean over the members.
pub fn mean_breakdown(members: &[&[BreakdownItem]], lang: Lang) -> Vec<BreakdownItem> {
    let Some(first) = members.first() else {
        return Vec::new();
    };
    let n = members.len() as f64;
    first
        .iter()
        .enumerate()
        .map(|(k, item)| {
            let value = members.iter().map(|m| m[k].value).sum::<f64>() / n;
            let detail = match lang {
                Lang::En => format!(
                    "{}: mean {value:.2} over {} members",
                    item.criterion,
                    members.len()
                ),
                Lang::Ru => format!(
                    "{}: среднее {value:.2} по участникам ({})",
                    item.criterion,
                    members.len()
                ),
            };
            BreakdownItem {
                criterion: item.criterion,
                weight: item.weight,
                value,
                contribution: members.iter().map(|m| m[k].contribution).sum::<f64>() / n,
                fact: item.fact.clone(),
                detail,
            }
        })
        .collect()
}

/// Why a group was formed: its size against the limits, what the mentor
/// covers, what the members share, and what the search proved. Kept as
/// data with the run; [`GroupReason::render`] gives the words again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupReason {
    /// Members after the run (approved and pinned included).
    pub members: usize,
    /// Members already approved or pinned before the run.
    #[serde(default)]
    pub held: u32,
    /// The programme's smallest group.
    pub min: u32,
    /// The programme's largest group.
    pub max: u32,
    /// Members' needs (subjects, requests) the mentor's subjects or
    /// competencies cover, the most widely covered first.
    #[serde(default)]
    pub covered: Vec<String>,
    /// Needs at least two members share.
    #[serde(default)]
    pub shared: Vec<String>,
    /// The group's cohesion 0..1.
    pub cohesion: f64,
    /// The component's grouping is proven optimal (coverage first, then
    /// the run's objective).
    pub optimal: bool,
    /// The reason in words, in the run's language.
    #[serde(default)]
    pub text: String,
}

impl GroupReason {
    /// The reason in words. `O(tags)`.
    pub fn render(&self, lang: Lang) -> String {
        let list = |v: &[String]| v.join(", ");
        match lang {
            Lang::En => {
                let mut out = format!(
                    "Group of {} (limits {}–{}",
                    self.members, self.min, self.max
                );
                if self.held > 0 {
                    out.push_str(&format!(", {} already approved", self.held));
                }
                out.push(')');
                if !self.covered.is_empty() {
                    out.push_str(&format!("; the mentor covers {}", list(&self.covered)));
                }
                if !self.shared.is_empty() {
                    out.push_str(&format!("; members share {}", list(&self.shared)));
                }
                out.push_str(&format!("; cohesion {:.2}. ", self.cohesion));
                out.push_str(if self.optimal {
                    "Of all valid groupings of these mentees and mentors, this one matches the \
                     most mentees, then scores best (proven)."
                } else {
                    "The best grouping found within the time budget; the run's statistics \
                     give the proven bound."
                });
                out
            }
            Lang::Ru => {
                let n = self.members;
                let word = if n % 10 == 1 && n % 100 != 11 {
                    "участника"
                } else {
                    "участников"
                };
                let mut out = format!("Группа из {n} {word} (допустимо {}–{}", self.min, self.max);
                if self.held > 0 {
                    out.push_str(&format!(", из них уже утверждено: {}", self.held));
                }
                out.push(')');
                if !self.covered.is_empty() {
                    out.push_str(&format!(
                        "; наставник закрывает потребности: {}",
                        list(&self.covered)
                    ));
                }
                if !self.shared.is_empty() {
                    out.push_str(&format!("; общее у участников: {}", list(&self.shared)));
                }
                out.push_str(&format!("; сплочённость {:.2}. ", self.cohesion));
                out.push_str(if self.optimal {
                    "Из всех допустимых разбиений этих наставников и наставляемых это \
                     охватывает больше всего наставляемых, а затем даёт лучшую оценку \
                     (доказано)."
                } else {
                    "Лучшее разбиение, найденное за отведённое время; доказанная граница — \
                     в статистике запуска."
                });
                out
            }
        }
    }
}

/// One sentence summarising a pair: the details that scored, joined.
pub fn summary(items: &[BreakdownItem]) -> String {
    let parts: Vec<&str> = items
        .iter()
        .filter(|i| i.value > 0.0)
        .map(|i| i.detail.as_str())
        .collect();
    parts.join("; ")
}
