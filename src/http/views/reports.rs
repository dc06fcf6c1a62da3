//! The monitoring indicators as the API shows them.

use super::super::problem::ApiError;
use crate::domain::Form;
use crate::matching::explain::Lang;
use crate::service::disclosure::Suppressed;
use crate::service::reports::{Disclosed, Growth, INDICATORS};
use crate::service::targets::gap;
use crate::store::TargetRecord;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// The indicators of the roadmaps, by stable id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorId {
    /// Teachers who mentor.
    TeachersMentoring,
    /// Teachers mentoring young specialists under 35.
    TeachersMentoringYoungSpecialists,
    /// Teachers mentoring teachers with low results.
    TeachersMentoringLowResultsTeachers,
    /// Teachers mentoring struggling pupils of grades 8–9.
    #[serde(rename = "teachers_mentoring_struggling_pupils_8_9")]
    TeachersMentoringStrugglingPupils89,
    /// Teachers mentoring pupils on a prevention register.
    TeachersMentoringPreventionRegister,
    /// Pupils with special needs who have a tutor.
    SpecialNeedsWithTutor,
    /// Pupils in mentoring, as mentee or mentor.
    PupilsInMentoring,
    /// Eligible mentees still waiting for a mentor.
    MenteesWaiting,
    /// Pairs ended early in the period.
    PairsEndedEarly,
}

impl IndicatorId {
    /// Every indicator, in the order of [`INDICATORS`].
    pub const ALL: [Self; 9] = [
        Self::TeachersMentoring,
        Self::TeachersMentoringYoungSpecialists,
        Self::TeachersMentoringLowResultsTeachers,
        Self::TeachersMentoringStrugglingPupils89,
        Self::TeachersMentoringPreventionRegister,
        Self::SpecialNeedsWithTutor,
        Self::PupilsInMentoring,
        Self::MenteesWaiting,
        Self::PairsEndedEarly,
    ];

    /// The indicator of a stable id.
    pub fn parse(id: &str) -> Option<Self> {
        INDICATORS
            .iter()
            .position(|(i, _, _)| *i == id)
            .and_then(|n| Self::ALL.get(n).copied())
    }
}

/// One indicator: what it counts over what. A count of pupils with
/// special needs or on a prevention register that your key may not read
/// is `null` when 1–4, or when it would give such a count back by
/// subtraction, and `suppressed` says which and why; the share, per cent
/// and gap of a hidden count are `null` too.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct IndicatorView {
    /// Which indicator.
    pub id: IndicatorId,
    /// What is counted; `null` when hidden from your role.
    pub numerator: Option<u64>,
    /// What it is counted over; `null` when hidden from your role.
    pub denominator: Option<u64>,
    /// `numerator / denominator`; `null` when the denominator is 0 or a
    /// count is hidden.
    pub share: Option<f64>,
    /// The share in per cent, rounded to 0.1; `null` ("no data", never 0)
    /// when the denominator is 0, or when a count is hidden.
    pub percent: Option<f64>,
    /// The counts hidden from your role (`numerator`, `denominator`), and
    /// why: `below_threshold` for 1–4 pupils («< 5»), `complementary`
    /// for a count hidden so that such a count cannot be recovered by
    /// subtraction. Empty when nothing is hidden.
    pub suppressed: BTreeMap<String, Suppressed>,
    /// Its title in the request's language.
    pub title: String,
    /// The planned per cent for the period, when one is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<f64>,
    /// `percent − target`, rounded to 0.1; `null` without data, absent
    /// without a target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gap: Option<Option<f64>>,
}

impl IndicatorView {
    /// The indicators with their titles in `lang`; an id the API does not
    /// list is a fault inside.
    pub fn all(
        list: Vec<Disclosed>,
        lang: Lang,
        plan: impl Fn(&str) -> Option<f64>,
    ) -> Result<Vec<Self>, ApiError> {
        list.into_iter()
            .map(|d| {
                let i = &d.exact;
                let id = IndicatorId::parse(i.id).ok_or_else(|| {
                    ApiError::Internal(format!("indicator {:?} is not listed", i.id))
                })?;
                Ok(Self {
                    id,
                    numerator: d.numerator,
                    denominator: d.denominator,
                    share: d.share(),
                    percent: d.percent(),
                    suppressed: d
                        .suppressed
                        .iter()
                        .map(|(k, v)| ((*k).to_owned(), *v))
                        .collect(),
                    title: title(i.id, lang).to_owned(),
                    target: plan(i.id),
                    gap: plan(i.id).map(|p| gap(d.percent(), Some(p))),
                })
            })
            .collect()
    }
}

/// The title of indicator `id` in `lang`; empty for an unknown id.
pub fn title(id: &str, lang: Lang) -> &'static str {
    INDICATORS
        .iter()
        .find(|(i, _, _)| *i == id)
        .map_or("", |(_, en, ru)| if lang == Lang::Ru { ru } else { en })
}

/// The indicators of one child organisation.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OrganizationIndicators {
    /// The organisation.
    pub organization_id: String,
    /// Its name.
    pub name: String,
    /// Its indicators, with everything under it.
    pub indicators: Vec<IndicatorView>,
}

/// The indicators of one form of mentoring.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FormIndicators {
    /// The form.
    pub form: Form,
    /// The indicators counted over its pairs.
    pub indicators: Vec<IndicatorView>,
}

/// A planned value of an indicator for a month or a year.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TargetView {
    /// Which indicator.
    pub indicator: IndicatorId,
    /// A month `YYYY-MM`, or a year `YYYY` for every month of it (a
    /// month's own target wins).
    #[schema(pattern = r"^[0-9]{4}(-(0[1-9]|1[0-2]))?$")]
    pub period: String,
    /// The planned per cent, 0..100 (kept to 0.1).
    #[schema(minimum = 0, maximum = 100)]
    pub percent: f64,
}

/// The planned values of an organisation: `PUT` replaces them all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Targets {
    /// Each indicator at most once per period.
    #[schema(max_items = 1000)]
    pub targets: Vec<TargetView>,
}

impl Targets {
    /// The view of stored targets; an id the API does not list is a fault.
    pub fn new(list: &[TargetRecord]) -> Result<Self, ApiError> {
        let targets = list
            .iter()
            .map(|t| {
                Ok(TargetView {
                    indicator: IndicatorId::parse(&t.indicator).ok_or_else(|| {
                        ApiError::Internal(format!("indicator {:?} is not listed", t.indicator))
                    })?,
                    period: t.period.clone(),
                    percent: t.tenths as f64 / 10.0,
                })
            })
            .collect::<Result<_, ApiError>>()?;
        Ok(Self { targets })
    }
}

/// Mean growth (exit − entry) of one question in one form.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct GrowthView {
    /// The form.
    pub form: Form,
    /// The question.
    pub question: String,
    /// Pairs with both an entry and an exit answer to it.
    pub pairs: u64,
    /// Mean of exit − entry over those pairs.
    pub mean: f64,
}

impl From<Growth> for GrowthView {
    fn from(g: Growth) -> Self {
        Self {
            form: g.form,
            question: g.question,
            pairs: g.pairs,
            mean: g.mean,
        }
    }
}

/// Where the same report is as a file.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ReportLinks {
    /// As CSV.
    pub csv: String,
    /// As an Excel workbook.
    pub xlsx: String,
    /// Per indicator id, its bar chart across the child organisations.
    pub svg: BTreeMap<String, String>,
}

/// The indicators of an organisation and everything under it on the last
/// day of a month.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct IndicatorsReport {
    /// The organisation.
    pub organization_id: String,
    /// The month, `YYYY-MM`.
    pub period: String,
    /// The day counted, the last of the month, `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub as_of: String,
    /// The whole subtree.
    pub indicators: Vec<IndicatorView>,
    /// Each child organisation.
    pub by_organization: Vec<OrganizationIndicators>,
    /// Each form.
    pub by_form: Vec<FormIndicators>,
    /// Mean growth per question and form.
    pub growth: Vec<GrowthView>,
    /// The same report as files.
    pub links: ReportLinks,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_indicator_id_reads_back_as_itself() {
        for (id, _, _) in INDICATORS {
            let parsed = IndicatorId::parse(id).unwrap();
            assert_eq!(serde_json::to_value(parsed).unwrap(), id);
        }
    }
}
