//! The monitoring indicators as the API shows them.

use super::super::problem::ApiError;
use crate::domain::Form;
use crate::matching::explain::Lang;
use crate::service::reports::{Growth, INDICATORS, Indicator};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// The indicators of the roadmaps, by stable id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
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

/// One indicator: what it counts over what.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct IndicatorView {
    /// Which indicator.
    pub id: IndicatorId,
    /// What is counted.
    pub numerator: u64,
    /// What it is counted over.
    pub denominator: u64,
    /// `numerator / denominator`; `null` when the denominator is 0.
    pub share: Option<f64>,
    /// Its title in the request's language.
    pub title: String,
}

impl IndicatorView {
    /// The indicators with their titles in `lang`; an id the API does not
    /// list is a fault inside.
    pub fn all(list: Vec<Indicator>, lang: Lang) -> Result<Vec<Self>, ApiError> {
        list.into_iter()
            .map(|i| {
                let id = IndicatorId::parse(i.id).ok_or_else(|| {
                    ApiError::Internal(format!("indicator {:?} is not listed", i.id))
                })?;
                Ok(Self {
                    id,
                    numerator: i.numerator,
                    denominator: i.denominator,
                    share: i.share,
                    title: title(i.id, lang).to_owned(),
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
