//! The monitoring indicators of the roadmaps, counted from the banks and
//! the pairs: each with its numerator, denominator and share, for an
//! organisation and everything under it, on the last day of a month.
//!
//! Pure: it takes parsed data and a date, so the counts can be checked by
//! hand against the same data.

use super::disclosure::Suppressed;
use crate::domain::{
    Consent, Form, MenteeCategory, MenteeProfile, MentorProfile, Organization, PersonKind,
    StaffRole,
};
use crate::store::{FeedbackRecord, PairRecord};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use time::Date;

/// One indicator: what it counts over what.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Indicator {
    /// Stable id (see [`INDICATORS`]).
    pub id: &'static str,
    /// What is counted.
    pub numerator: u64,
    /// What it is counted over.
    pub denominator: u64,
    /// `numerator / denominator`; absent when the denominator is 0.
    pub share: Option<f64>,
}

impl Indicator {
    /// The share in per cent rounded to 0.1, as the roadmaps report it;
    /// absent ("no data", never 0) when the denominator is 0.
    pub fn percent(&self) -> Option<f64> {
        self.share.map(|s| (s * 1000.0).round() / 10.0)
    }
}

/// The indicator ids with their titles in English and Russian.
pub const INDICATORS: [(&str, &str, &str); 9] = [
    (
        "teachers_mentoring",
        "Teachers who mentor",
        "Доля педагогов-наставников",
    ),
    (
        "teachers_mentoring_young_specialists",
        "Teachers mentoring young specialists under 35",
        "Доля педагогов, наставляющих молодых специалистов до 35 лет",
    ),
    (
        "teachers_mentoring_low_results_teachers",
        "Teachers mentoring teachers with low results",
        "Доля педагогов, наставляющих педагогов с низкими результатами",
    ),
    (
        "teachers_mentoring_struggling_pupils_8_9",
        "Teachers mentoring struggling pupils of grades 8–9",
        "Доля педагогов, наставляющих неуспевающих учеников 8–9 классов",
    ),
    (
        "teachers_mentoring_prevention_register",
        "Teachers mentoring pupils on a prevention register",
        "Доля педагогов, наставляющих учеников, состоящих на профилактическом учёте",
    ),
    (
        "special_needs_with_tutor",
        "Pupils with special needs who have a tutor",
        "Доля обучающихся с ОВЗ, имеющих наставника-тьютора",
    ),
    (
        "pupils_in_mentoring",
        "Pupils in mentoring (as mentee or mentor)",
        "Доля обучающихся, вовлечённых в наставничество",
    ),
    (
        "mentees_waiting",
        "Eligible mentees still waiting for a mentor",
        "Доля наставляемых, ожидающих наставника",
    ),
    (
        "pairs_ended_early",
        "Pairs ended early in the period",
        "Доля пар, досрочно прекративших работу",
    ),
];

/// Parsed data of one subtree.
pub struct Data {
    /// Organisations with their materialised paths.
    pub organizations: Vec<(Organization, String)>,
    /// Mentor profiles.
    pub mentors: Vec<MentorProfile>,
    /// Mentee profiles.
    pub mentees: Vec<MenteeProfile>,
    /// Pairs with their programme's form.
    pub pairs: Vec<(PairRecord, Form)>,
    /// Feedback questionnaires.
    pub feedback: Vec<FeedbackRecord>,
}

/// Mean growth (exit − entry) of one question in one form.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Growth {
    /// The form.
    pub form: Form,
    /// The question.
    pub question: String,
    /// Pairs with both an entry and an exit answer to it.
    pub pairs: u64,
    /// Mean of exit − entry over those pairs.
    pub mean: f64,
}

fn date(text: &str) -> Option<Date> {
    crate::domain::parse::parse_date(text)
}

/// Whether a pair works on day `d`.
pub fn active_on(pair: &PairRecord, d: Date) -> bool {
    let started = date(&pair.started_on).is_some_and(|s| s <= d);
    let not_over = match pair.ended_on.as_deref().and_then(date) {
        None => pair.status == "active",
        Some(end) => end > d,
    };
    started && not_over
}

/// Whether a pair worked at any time between `from` and `to`.
fn active_during(pair: &PairRecord, from: Date, to: Date) -> bool {
    let started = date(&pair.started_on).is_some_and(|s| s <= to);
    let ended = pair.ended_on.as_deref().and_then(date);
    started && ended.is_none_or(|e| e >= from)
}

fn share(numerator: u64, denominator: u64) -> Option<f64> {
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}

/// Counts every indicator over the organisations whose path starts with
/// `prefix`, for pairs of `form` (all forms when `None`), on the last day
/// `to` of the period starting `from`.
pub fn indicators(
    data: &Data,
    prefix: &str,
    form: Option<Form>,
    from: Date,
    to: Date,
) -> Vec<Indicator> {
    let org_path: HashMap<&str, &str> = data
        .organizations
        .iter()
        .map(|(o, p)| (o.id.as_str(), p.as_str()))
        .collect();
    let inside = |org: &str| org_path.get(org).is_some_and(|p| p.starts_with(prefix));
    let orgs: Vec<&Organization> = data
        .organizations
        .iter()
        .filter(|(_, p)| p.starts_with(prefix))
        .map(|(o, _)| o)
        .collect();
    let teachers: u64 = orgs
        .iter()
        .map(|o| u64::from(o.teacher_count.unwrap_or(0)))
        .sum();
    let pupils: u64 = orgs
        .iter()
        .map(|o| u64::from(o.pupil_count.unwrap_or(0)))
        .sum();
    let mentor_of: HashMap<&str, &MentorProfile> = data
        .mentors
        .iter()
        .map(|m| (m.person.id.as_str(), m))
        .collect();
    let mentee_of: HashMap<&str, &MenteeProfile> = data
        .mentees
        .iter()
        .map(|m| (m.person.id.as_str(), m))
        .collect();
    let pairs: Vec<&PairRecord> = data
        .pairs
        .iter()
        .filter(|(_, f)| form.is_none_or(|want| *f == want))
        .map(|(p, _)| p)
        .collect();
    let active: Vec<&PairRecord> = pairs.iter().copied().filter(|p| active_on(p, to)).collect();

    // Teachers of the subtree mentoring, overall and by their mentee's category.
    let teacher_mentors = |keep: &dyn Fn(&MenteeProfile) -> bool| -> u64 {
        active
            .iter()
            .filter(|p| {
                mentor_of.get(p.mentor_id.as_str()).is_some_and(|m| {
                    m.person.kind == PersonKind::Teacher
                        && inside(m.person.organization_id.as_str())
                }) && mentee_of.get(p.mentee_id.as_str()).is_some_and(|e| keep(e))
            })
            .map(|p| p.mentor_id.as_str())
            .collect::<HashSet<_>>()
            .len() as u64
    };
    let teachers_mentoring = active
        .iter()
        .filter(|p| {
            mentor_of.get(p.mentor_id.as_str()).is_some_and(|m| {
                m.person.kind == PersonKind::Teacher && inside(m.person.organization_id.as_str())
            })
        })
        .map(|p| p.mentor_id.as_str())
        .collect::<HashSet<_>>()
        .len() as u64;
    let young = teacher_mentors(&|e| {
        e.category == MenteeCategory::YoungSpecialist
            && e.person.birth_year.is_none_or(|y| to.year() - y < 35)
    });
    let low = teacher_mentors(&|e| e.category == MenteeCategory::LowResultsTeacher);
    let struggling = teacher_mentors(&|e| {
        e.category == MenteeCategory::StrugglingPupil && matches!(e.person.grade, Some(8 | 9))
    });
    let register = teacher_mentors(&|e| e.category == MenteeCategory::PreventionRegister);

    let bank: Vec<&MenteeProfile> = data
        .mentees
        .iter()
        .filter(|m| inside(m.person.organization_id.as_str()))
        .collect();
    let special: Vec<&MenteeProfile> = bank
        .iter()
        .copied()
        .filter(|m| m.category == MenteeCategory::SpecialNeeds)
        .collect();
    let with_tutor = special
        .iter()
        .filter(|m| {
            active.iter().any(|p| {
                p.mentee_id == m.person.id.as_str()
                    && mentor_of
                        .get(p.mentor_id.as_str())
                        .is_some_and(|t| t.roles.contains(&StaffRole::Tutor))
            })
        })
        .count() as u64;

    let mut pupils_in: HashSet<&str> = HashSet::new();
    for p in &active {
        if mentee_of.get(p.mentee_id.as_str()).is_some_and(|e| {
            e.person.kind == PersonKind::Pupil && inside(e.person.organization_id.as_str())
        }) {
            pupils_in.insert(p.mentee_id.as_str());
        }
        if mentor_of.get(p.mentor_id.as_str()).is_some_and(|m| {
            m.person.kind == PersonKind::Pupil && inside(m.person.organization_id.as_str())
        }) {
            pupils_in.insert(p.mentor_id.as_str());
        }
    }

    let paired: HashSet<&str> = data
        .pairs
        .iter()
        .map(|(p, _)| p)
        .filter(|p| active_on(p, to))
        .map(|p| p.mentee_id.as_str())
        .collect();
    let waiting = bank
        .iter()
        .filter(|m| {
            !paired.contains(m.person.id.as_str())
                && Consent::check_for_matching(
                    m.person.consent.as_ref(),
                    m.person.kind,
                    m.person.birth_year,
                    to,
                )
                .is_ok()
        })
        .count() as u64;

    let in_period: Vec<&PairRecord> = pairs
        .iter()
        .copied()
        .filter(|p| inside(p.organization_id.as_str()) && active_during(p, from, to))
        .collect();
    let ended_early = in_period
        .iter()
        .filter(|p| {
            p.status == "ended"
                && p.ended_on
                    .as_deref()
                    .and_then(date)
                    .is_some_and(|e| e >= from && e <= to)
        })
        .count() as u64;

    let counts = [
        (teachers_mentoring, teachers),
        (young, teachers),
        (low, teachers),
        (struggling, teachers),
        (register, teachers),
        (with_tutor, special.len() as u64),
        (pupils_in.len() as u64, pupils),
        (waiting, bank.len() as u64),
        (ended_early, in_period.len() as u64),
    ];
    INDICATORS
        .iter()
        .zip(counts)
        .map(|((id, _, _), (numerator, denominator))| Indicator {
            id,
            numerator,
            denominator,
            share: share(numerator, denominator),
        })
        .collect()
}

/// An indicator as a caller sees it: a count is `None` where it is
/// hidden from the caller, and `suppressed` says why (by `numerator` or
/// `denominator`); the share goes with a hidden count.
#[derive(Debug, Clone, PartialEq)]
pub struct Disclosed {
    /// The exact indicator (never shown as it is when something is hidden).
    pub exact: Indicator,
    /// The numerator, unless hidden.
    pub numerator: Option<u64>,
    /// The denominator, unless hidden.
    pub denominator: Option<u64>,
    /// What is hidden, and why.
    pub suppressed: BTreeMap<&'static str, Suppressed>,
}

impl Disclosed {
    fn shown(exact: Indicator) -> Self {
        Self {
            numerator: Some(exact.numerator),
            denominator: Some(exact.denominator),
            exact,
            suppressed: BTreeMap::new(),
        }
    }

    /// The share, unless the numerator or the denominator is hidden.
    pub fn share(&self) -> Option<f64> {
        self.hidden()
            .is_none()
            .then_some(self.exact.share)
            .flatten()
    }

    /// The per cent as [`Indicator::percent`], unless something is hidden.
    pub fn percent(&self) -> Option<f64> {
        self.hidden()
            .is_none()
            .then(|| self.exact.percent())
            .flatten()
    }

    /// Why the share is hidden, if it is: below the threshold when either
    /// count is, else as a complement.
    pub fn hidden(&self) -> Option<Suppressed> {
        self.suppressed.values().min().copied()
    }
}

/// The indicators of a report as a caller sees them: the whole subtree,
/// each child organisation, each form (in the order given).
#[derive(Debug, Clone, PartialEq)]
pub struct Disclosure {
    /// The whole subtree.
    pub whole: Vec<Disclosed>,
    /// Each child, in the order of `children`.
    pub children: Vec<Vec<Disclosed>>,
    /// Each form, in the order of `forms`.
    pub forms: Vec<Vec<Disclosed>>,
}

/// The counts of pupils of a sensitive category among the indicators:
/// (indicator index, whether the numerator, whether the denominator).
/// Teachers mentoring pupils on a prevention register are as many as
/// those pupils, or nearly.
const SENSITIVE_COUNTS: [(usize, bool, bool); 2] = [(4, true, false), (5, true, true)];

/// The indicators of the subtree `prefix`, of each child subtree and of
/// each form, with the counts of pupils with special needs or on a
/// prevention register hidden where the caller may not read them
/// (`readable(org)` for each organisation of a subtree) and they are 1–4,
/// and hidden as complements where the whole would give a child's back by
/// subtraction (whole = the organisation's own + Σ children). A form's
/// count is hidden when it is small or the whole's is hidden (a form's
/// count is most often the whole's). The share of a hidden count is
/// hidden too.
pub fn disclose(
    data: &Data,
    prefix: &str,
    children: &[&str],
    forms: &[Form],
    from: Date,
    to: Date,
    readable: impl Fn(&str) -> bool,
) -> Disclosure {
    use super::disclosure::{Cell, Reading, Sum, below_threshold, suppress};
    let subtree_readable = |p: &str| {
        data.organizations
            .iter()
            .filter(|(_, path)| path.starts_with(p))
            .all(|(o, _)| readable(o.id.as_str()))
    };
    let reading = |p: &str| {
        if subtree_readable(p) {
            Reading::Exact
        } else {
            Reading::Sensitive
        }
    };
    let mut out = Disclosure {
        whole: indicators(data, prefix, None, from, to)
            .into_iter()
            .map(Disclosed::shown)
            .collect(),
        children: children
            .iter()
            .map(|p| {
                indicators(data, p, None, from, to)
                    .into_iter()
                    .map(Disclosed::shown)
                    .collect()
            })
            .collect(),
        forms: forms
            .iter()
            .map(|f| {
                indicators(data, prefix, Some(*f), from, to)
                    .into_iter()
                    .map(Disclosed::shown)
                    .collect()
            })
            .collect(),
    };
    let (whole_reading, child_readings) = (
        reading(prefix),
        children.iter().map(|p| reading(p)).collect::<Vec<_>>(),
    );
    for (index, numerator, denominator) in SENSITIVE_COUNTS {
        for (field, wanted) in [("numerator", numerator), ("denominator", denominator)] {
            if !wanted {
                continue;
            }
            let value = |d: &Disclosed| match field {
                "numerator" => d.exact.numerator,
                _ => d.exact.denominator,
            };
            let whole = value(&out.whole[index]);
            let parts: Vec<u64> = out.children.iter().map(|c| value(&c[index])).collect();
            // The organisation's own pupils: not shown, taken as known.
            let own = whole.saturating_sub(parts.iter().sum());
            let mut cells = vec![Cell::new(whole, whole_reading), Cell::exact(own)];
            cells.extend(
                parts
                    .iter()
                    .zip(&child_readings)
                    .map(|(v, r)| Cell::new(*v, *r)),
            );
            let sums = [Sum {
                total: 0,
                parts: (1..cells.len()).collect(),
            }];
            let hidden = suppress(&cells, &sums);
            let hide = |d: &mut Disclosed, why| {
                d.suppressed.insert(field, why);
                match field {
                    "numerator" => d.numerator = None,
                    _ => d.denominator = None,
                }
            };
            if let Some(why) = hidden[0] {
                hide(&mut out.whole[index], why);
            }
            for (c, why) in out.children.iter_mut().zip(&hidden[2..]) {
                if let Some(why) = why {
                    hide(&mut c[index], *why);
                }
            }
            for f in &mut out.forms {
                let v = value(&f[index]);
                let why = if whole_reading == Reading::Exact || v == 0 {
                    None
                } else if below_threshold(v) {
                    Some(Suppressed::BelowThreshold)
                } else {
                    hidden[0]
                };
                if let Some(why) = why {
                    hide(&mut f[index], why);
                }
            }
        }
    }
    out
}

/// Per question: the sum of the answers and how many there were.
type QuestionSums = HashMap<String, (f64, f64)>;

/// Growth of each pair per question: the mean exit answer minus the mean
/// entry answer (answers of several respondents at a stage are averaged),
/// for questions answered at both stages.
pub fn pair_growth(feedback: &[FeedbackRecord]) -> HashMap<String, BTreeMap<String, f64>> {
    let mut sums: HashMap<&str, [QuestionSums; 2]> = HashMap::new();
    for f in feedback {
        let stage = match f.stage.as_str() {
            "entry" => 0,
            "exit" => 1,
            _ => continue,
        };
        let Ok(serde_json::Value::Object(map)) =
            serde_json::from_str::<serde_json::Value>(&f.answers)
        else {
            continue;
        };
        for (question, value) in map {
            if let Some(v) = value.as_f64() {
                let slot = sums.entry(f.pair_id.as_str()).or_default()[stage]
                    .entry(question)
                    .or_insert((0.0, 0.0));
                slot.0 += v;
                slot.1 += 1.0;
            }
        }
    }
    sums.into_iter()
        .map(|(pair, [entry, exit])| {
            let growth = entry
                .iter()
                .filter_map(|(q, (si, ni))| {
                    exit.get(q).map(|(so, no)| (q.clone(), so / no - si / ni))
                })
                .collect();
            (pair.to_owned(), growth)
        })
        .collect()
}

/// Mean growth per form and question over the pairs of the subtree
/// `prefix` that have both an entry and an exit answer (see [`pair_growth`]).
pub fn growth(data: &Data, prefix: &str) -> Vec<Growth> {
    let org_path: HashMap<&str, &str> = data
        .organizations
        .iter()
        .map(|(o, p)| (o.id.as_str(), p.as_str()))
        .collect();
    let pair_form: HashMap<&str, (Form, &str)> = data
        .pairs
        .iter()
        .map(|(p, f)| (p.id.as_str(), (*f, p.organization_id.as_str())))
        .collect();
    let mut sums: BTreeMap<(Form, String), (f64, u64)> = BTreeMap::new();
    for (pair, questions) in pair_growth(&data.feedback) {
        let Some((form, org)) = pair_form.get(pair.as_str()) else {
            continue;
        };
        if !org_path.get(org).is_some_and(|p| p.starts_with(prefix)) {
            continue;
        }
        for (question, g) in questions {
            let slot = sums.entry((*form, question)).or_insert((0.0, 0));
            slot.0 += g;
            slot.1 += 1;
        }
    }
    sums.into_iter()
        .map(|((form, question), (total, pairs))| Growth {
            form,
            question,
            pairs,
            mean: total / pairs as f64,
        })
        .collect()
}

/// Spearman's rank correlation of two equally long samples (ties get the
/// mean of their ranks); `None` with fewer than 3 pairs or no spread.
pub fn spearman(x: &[f64], y: &[f64]) -> Option<f64> {
    if x.len() != y.len() || x.len() < 3 {
        return None;
    }
    let (rx, ry) = (ranks(x), ranks(y));
    let n = x.len() as f64;
    let (mx, my) = (rx.iter().sum::<f64>() / n, ry.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in rx.iter().zip(&ry) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}

fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && values[order[j + 1]] == values[order[i]] {
            j += 1;
        }
        let mean_rank = (i + j) as f64 / 2.0 + 1.0;
        for k in &order[i..=j] {
            ranks[*k] = mean_rank;
        }
        i = j + 1;
    }
    ranks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spearman_is_one_for_the_same_order_and_handles_ties() {
        assert_eq!(
            spearman(&[1.0, 2.0, 3.0, 4.0], &[10.0, 20.0, 30.0, 40.0]),
            Some(1.0)
        );
        assert_eq!(spearman(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]), Some(-1.0));
        assert_eq!(ranks(&[5.0, 1.0, 5.0]), [2.5, 1.0, 2.5]);
        assert_eq!(spearman(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]), None);
        assert_eq!(spearman(&[1.0, 2.0], &[1.0, 2.0]), None);
    }
}
