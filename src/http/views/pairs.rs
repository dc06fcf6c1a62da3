//! Pairs, their feedback and the bodies that make, end and rate them, as
//! the API shows and takes them.

use super::super::i18n::end_reason_text;
use super::super::problem::ApiError;
use crate::matching::explain::Lang;
use crate::store::{FeedbackRecord, PairRecord};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{Object, ObjectBuilder, Schema, Type};

/// Where a pair stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PairStatus {
    /// Working.
    Active,
    /// The mentoring reached its end.
    Completed,
    /// Ended early, with a reason.
    Ended,
}

impl PairStatus {
    /// Parses a stored status.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "active" => Some(Self::Active),
            "completed" => Some(Self::Completed),
            "ended" => Some(Self::Ended),
            _ => None,
        }
    }
}

/// Why a pair ended early: a curator's reason, or the withdrawal of a
/// person's consent (set by the service, never sent by a client).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// The mentee moved away.
    MenteeMoved,
    /// The mentor left.
    MentorLeft,
    /// The two could not work together.
    Incompatibility,
    /// The goal was reached before the planned end.
    GoalReachedEarly,
    /// Another reason, told in the note.
    Other,
    /// The mentor or the mentee withdrew consent.
    ConsentWithdrawn,
}

impl EndReason {
    /// Parses a stored reason.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "mentee_moved" => Some(Self::MenteeMoved),
            "mentor_left" => Some(Self::MentorLeft),
            "incompatibility" => Some(Self::Incompatibility),
            "goal_reached_early" => Some(Self::GoalReachedEarly),
            "other" => Some(Self::Other),
            "consent_withdrawn" => Some(Self::ConsentWithdrawn),
            _ => None,
        }
    }
}

/// A pair as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PairView {
    /// Service-given id.
    pub id: String,
    /// The programme.
    pub programme_id: String,
    /// Shared by the pairs of one group.
    pub group_id: String,
    /// The mentor.
    pub mentor_id: String,
    /// The mentee.
    pub mentee_id: String,
    /// The mentee's organisation.
    pub organization_id: String,
    /// Where the pair stands.
    pub status: PairStatus,
    /// The first day, `YYYY-MM-DD`.
    #[schema(format = Date)]
    pub started_on: String,
    /// Key id of who made it.
    pub created_by: String,
    /// RFC 3339.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// RFC 3339.
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// The proposal it came from; absent for a pair made by hand.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proposal_id: Option<String>,
    /// The last day, `YYYY-MM-DD`, once completed or ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = Date)]
    pub ended_on: Option<String>,
    /// Why it ended early.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_reason: Option<EndReason>,
    /// The reason in words, in the request's language.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_reason_text: Option<String>,
    /// The curator's note on the ending.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_note: Option<String>,
    /// The number of the order that put the pair into effect, once there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_number: Option<String>,
    /// That order's date, `YYYY-MM-DD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = Date)]
    pub order_date: Option<String>,
}

impl PairView {
    /// The view of a stored pair, its reason told in `lang`; a stored
    /// status or reason the API does not know is a fault inside.
    pub fn new(p: &PairRecord, lang: Lang) -> Result<Self, ApiError> {
        let unknown = |what: &str, value: &str| {
            ApiError::Internal(format!("pair {}: stored {what} {value:?} unknown", p.id))
        };
        let status = PairStatus::parse(&p.status).ok_or_else(|| unknown("status", &p.status))?;
        let end_reason = p
            .end_reason
            .as_deref()
            .map(|r| EndReason::parse(r).ok_or_else(|| unknown("end reason", r)))
            .transpose()?;
        Ok(Self {
            id: p.id.clone(),
            programme_id: p.programme_id.clone(),
            group_id: p.group_id.clone(),
            mentor_id: p.mentor_id.clone(),
            mentee_id: p.mentee_id.clone(),
            organization_id: p.organization_id.clone(),
            status,
            started_on: p.started_on.clone(),
            created_by: p.created_by.clone(),
            created_at: p.created_at.clone(),
            updated_at: p.updated_at.clone(),
            proposal_id: p.proposal_id.clone(),
            ended_on: p.ended_on.clone(),
            order_number: p.order_number.clone(),
            order_date: p.order_date.clone(),
            end_reason,
            end_reason_text: p
                .end_reason
                .as_deref()
                .and_then(|r| end_reason_text(r, lang))
                .map(str::to_owned),
            end_note: p.end_note.clone(),
        })
    }

    /// The views of several pairs.
    pub fn all(pairs: &[PairRecord], lang: Lang) -> Result<Vec<Self>, ApiError> {
        pairs.iter().map(|p| Self::new(p, lang)).collect()
    }
}

/// A page of pairs.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PairPage {
    /// The pairs, ordered by id.
    pub items: Vec<PairView>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// The pairs made by hand: one per mentee.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MadePairs {
    /// The new pairs.
    pub pairs: Vec<PairView>,
}

/// Pair a mentor with one or more mentees by hand.
///
/// Making a pair that a curator rejected (or that ended early) takes
/// `override_rejection: true` and a `reason`, both audited.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct HandPairRequest {
    /// The mentor.
    #[schema(min_length = 1, max_length = 200)]
    pub mentor_id: String,
    /// The mentees; more than one makes a group (up to the programme's
    /// group size).
    #[schema(min_items = 1, max_items = 1000)]
    pub mentee_ids: Vec<String>,
    /// Make the pair even though a curator rejected it or it ended early.
    #[serde(default)]
    #[schema(default = false)]
    pub override_rejection: Option<bool>,
    /// Why; required with `override_rejection: true`.
    #[schema(min_length = 1, max_length = 1000)]
    pub reason: Option<String>,
}

/// Why a curator ends a pair early.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EarlyEndReason {
    /// The mentee moved away.
    MenteeMoved,
    /// The mentor left.
    MentorLeft,
    /// The two could not work together.
    Incompatibility,
    /// The goal was reached before the planned end.
    GoalReachedEarly,
    /// Another reason, told in the note.
    Other,
}

/// End a pair early.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct EndPairRequest {
    /// Why.
    pub reason: EarlyEndReason,
    /// Free text; required when the reason is `other`.
    #[schema(min_length = 1, max_length = 2000)]
    pub note: Option<String>,
}

/// When a questionnaire is filled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FeedbackStage {
    /// At the start of the mentoring.
    Entry,
    /// At its end.
    Exit,
}

impl FeedbackStage {
    /// Parses a stored stage.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "entry" => Some(Self::Entry),
            "exit" => Some(Self::Exit),
            _ => None,
        }
    }
}

/// Who filled in a questionnaire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Respondent {
    /// The mentor.
    Mentor,
    /// The mentee.
    Mentee,
    /// The curator.
    Curator,
}

impl Respondent {
    /// Parses a stored respondent.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "mentor" => Some(Self::Mentor),
            "mentee" => Some(Self::Mentee),
            "curator" => Some(Self::Curator),
            _ => None,
        }
    }
}

/// An answer on the scale from 1 to 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer(pub u8);

// Written by hand: the derive takes no bounds on a newtype's number.
impl utoipa::PartialSchema for Answer {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(1))
            .maximum(Some(5))
            .description(Some("An answer on the scale from 1 to 5"))
            .into()
    }
}

impl ToSchema for Answer {}

/// The answers of a questionnaire: at least one, each 1..5.
fn answers_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .additional_properties(Some(<Answer as utoipa::PartialSchema>::schema()))
        .min_properties(Some(1))
        .build()
}

/// A feedback questionnaire of a pair.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct FeedbackRequest {
    /// When it was filled in.
    pub stage: FeedbackStage,
    /// Who filled it in.
    pub respondent: Respondent,
    /// Per question (the programme's `questions`, when it sets them), a
    /// whole number from 1 to 5; at least one.
    #[schema(schema_with = answers_schema)]
    pub answers: BTreeMap<String, Answer>,
    /// Free text.
    #[schema(max_length = 4000)]
    pub comment: Option<String>,
}

/// A recorded questionnaire.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FeedbackView {
    /// Service-given id.
    pub id: String,
    /// The pair.
    pub pair_id: String,
    /// When it was filled in.
    pub stage: FeedbackStage,
    /// Who filled it in.
    pub respondent: Respondent,
    /// Per question, 1..5.
    pub answers: BTreeMap<String, Answer>,
    /// Free text.
    pub comment: Option<String>,
    /// RFC 3339.
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl FeedbackView {
    /// The view of a stored questionnaire; one that does not read back is
    /// a fault inside.
    pub fn new(f: &FeedbackRecord) -> Result<Self, ApiError> {
        let fault =
            |what: &str| ApiError::Internal(format!("feedback {}: stored {what} unreadable", f.id));
        Ok(Self {
            id: f.id.clone(),
            pair_id: f.pair_id.clone(),
            stage: FeedbackStage::parse(&f.stage).ok_or_else(|| fault("stage"))?,
            respondent: Respondent::parse(&f.respondent).ok_or_else(|| fault("respondent"))?,
            answers: serde_json::from_str(&f.answers).map_err(|_| fault("answers"))?,
            comment: f.comment.clone(),
            created_at: f.created_at.clone(),
        })
    }
}

/// The questionnaires of a pair and its growth.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PairFeedback {
    /// Every questionnaire, oldest first.
    pub items: Vec<FeedbackView>,
    /// Per question, the mean exit answer minus the mean entry answer;
    /// only questions answered at both stages.
    pub growth: BTreeMap<String, f64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(status: &str, end_reason: Option<&str>) -> PairRecord {
        PairRecord {
            id: "pair-1".into(),
            programme_id: "prog".into(),
            group_id: "g-1".into(),
            proposal_id: None,
            mentor_id: "m1".into(),
            mentee_id: "p1".into(),
            organization_id: "school".into(),
            status: status.into(),
            started_on: "2026-09-01".into(),
            ended_on: end_reason.map(|_| "2026-10-01".into()),
            end_reason: end_reason.map(str::to_owned),
            end_note: None,
            created_by: "key".into(),
            created_at: "2026-09-01T00:00:00Z".into(),
            updated_at: "2026-10-01T00:00:00Z".into(),
            order_number: None,
            order_date: None,
        }
    }

    #[test]
    fn an_ended_pair_tells_its_reason_in_the_request_language() {
        let view = PairView::new(&pair("ended", Some("consent_withdrawn")), Lang::Ru).unwrap();
        let json = serde_json::to_value(&view).unwrap();
        assert_eq!(json["status"], "ended");
        assert_eq!(json["end_reason"], "consent_withdrawn");
        assert_eq!(json["end_reason_text"], "согласие отозвано");
        assert!(json.get("proposal_id").is_none());
    }

    #[test]
    fn a_stored_status_the_api_does_not_know_is_a_fault_inside() {
        assert!(matches!(
            PairView::new(&pair("paused", None), Lang::En),
            Err(ApiError::Internal(_))
        ));
        assert!(matches!(
            PairView::new(&pair("ended", Some("bored")), Lang::En),
            Err(ApiError::Internal(_))
        ));
    }
}
