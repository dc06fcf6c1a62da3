//! Pairs after matching: made by hand under the same rules as a run,
//! completed or ended early, and rated by questionnaires.

use crate::domain::{FieldError, FieldReader, Form, Id, MenteeProfile, MentorProfile, Programme};
use crate::matching::engine::{PairProblem, check_pair};
use crate::matching::explain::Lang;
use crate::matching::unmatched::rule_words;
use crate::service::runs::{self, RunError};
use crate::store::{
    Actor, FeedbackRecord, PairClosing, PairRecord, PairRequest, Scope, Store, StoreError, Table,
};
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// Errors of the pairs service.
#[derive(Debug, thiserror::Error)]
pub enum PairError {
    /// Bad input; every bad field is named.
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// No such programme or pair in the caller's scope.
    #[error("not found")]
    NotFound,
    /// Stored data that does not read back: a fault inside.
    #[error("{0}")]
    Internal(String),
    /// The store failed or refused (a conflict names why).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<RunError> for PairError {
    fn from(err: RunError) -> Self {
        match err {
            RunError::Invalid(errors) => PairError::Invalid(errors),
            RunError::NotFound => PairError::NotFound,
            RunError::Store(store) => PairError::Store(store),
            // Loading a programme conflicts with nothing: the only conflict
            // it reports is a stored document that does not parse.
            other => PairError::Internal(other.to_string()),
        }
    }
}

/// Why a curator may end a pair early.
pub const END_REASONS: &[&str] = &[
    "mentee_moved",
    "mentor_left",
    "incompatibility",
    "goal_reached_early",
    "other",
];

/// Longest reason for overriding a rejection.
const MAX_REASON_CHARS: usize = 1000;
/// Longest note on an early end.
const MAX_NOTE_CHARS: usize = 2000;
/// Longest comment of a questionnaire.
const MAX_COMMENT_CHARS: usize = 4000;

/// A request to pair a mentor with mentees by hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandPairs {
    /// The mentor.
    pub mentor_id: Id,
    /// The mentees, at least one, no duplicates.
    pub mentee_ids: Vec<Id>,
    /// The reason to make a rejected or early-ended pair all the same.
    pub override_rejection: Option<String>,
}

impl HandPairs {
    /// Reads `{mentor_id, mentee_ids, override_rejection?, reason?}`.
    pub fn parse(body: &Value) -> Result<Self, Vec<FieldError>> {
        let mut r = FieldReader::object(body, "")?;
        let mentor_id = r.id("mentor_id");
        let mentee_ids = r.id_list("mentee_ids");
        if mentee_ids.is_empty() && !r.has_errors() {
            r.error("mentee_ids", "must name at least one mentee");
        }
        // Making a pair that a curator rejected takes a deliberate, audited
        // decision: the flag and the reason for it.
        let override_rejection = r.flag("override_rejection", false);
        let reason = r.opt_text("reason", MAX_REASON_CHARS);
        let override_rejection = match (override_rejection, reason) {
            (true, Some(reason)) => Some(reason),
            (true, None) => {
                r.error("reason", "is required with override_rejection");
                None
            }
            (false, _) => None,
        };
        let errors = r.finish();
        match mentor_id.filter(|_| errors.is_empty()) {
            Some(mentor_id) => Ok(Self {
                mentor_id,
                mentee_ids,
                override_rejection,
            }),
            None => Err(errors),
        }
    }
}

/// Pairs a mentor with mentees by hand in a programme the caller sees.
///
/// The same hard rules and capacity checks as a run: a broken rule or a
/// group too large is `Invalid` naming the mentee, a full mentor or an
/// already paired mentee a conflict from the store.
pub async fn pair_by_hand(
    store: &dyn Store,
    scope: &Scope,
    programme_id: &str,
    body: &Value,
    actor: &Actor,
) -> Result<Vec<PairRecord>, PairError> {
    let programme = runs::programme_in_scope(store, scope, programme_id).await?;
    let request = HandPairs::parse(body).map_err(PairError::Invalid)?;
    check_group_size(&programme, &request)?;
    check_rules(store, scope, &programme, &request).await?;
    let pairs = store
        .make_pairs(
            &PairRequest {
                programme_id: programme.id.to_string(),
                mentor_id: request.mentor_id.to_string(),
                mentee_ids: request.mentee_ids.iter().map(ToString::to_string).collect(),
                started_on: runs::started_on(&programme),
                snapshot: None,
                proposal_id: None,
                override_rejection: request.override_rejection,
            },
            actor,
        )
        .await?;
    Ok(pairs)
}

fn check_group_size(programme: &Programme, request: &HandPairs) -> Result<(), PairError> {
    match programme.group {
        Some(group) if request.mentee_ids.len() > group.max as usize => {
            Err(PairError::Invalid(vec![FieldError::new(
                "mentee_ids",
                format!(
                    "a group of this programme has at most {} mentees",
                    group.max
                ),
            )]))
        }
        _ => Ok(()),
    }
}

/// Every mentee against the mentor under the programme's hard rules; all
/// the broken ones at once.
async fn check_rules(
    store: &dyn Store,
    scope: &Scope,
    programme: &Programme,
    request: &HandPairs,
) -> Result<(), PairError> {
    let unreadable =
        |e: serde_json::Error| PairError::Internal(format!("stored profile unreadable: {e}"));
    let mentor: MentorProfile = match store
        .get_document(scope, Table::Mentors, request.mentor_id.as_str())
        .await?
    {
        Some(s) => serde_json::from_str(&s.doc).map_err(unreadable)?,
        None => {
            return Err(PairError::Invalid(vec![FieldError::new(
                "mentor_id",
                "unknown in your scope",
            )]));
        }
    };
    let organizations = runs::Inputs::load(
        &store.matching_data(programme.id.as_str()).await?,
        programme.id.as_str(),
    )
    .map_err(PairError::Internal)?
    .organizations;
    let mut errors = Vec::new();
    for (i, mentee_id) in request.mentee_ids.iter().enumerate() {
        let field = format!("mentee_ids[{i}]");
        let Some(stored) = store
            .get_document(scope, Table::Mentees, mentee_id.as_str())
            .await?
        else {
            errors.push(FieldError::new(field, "unknown in your scope"));
            continue;
        };
        let mentee: MenteeProfile = serde_json::from_str(&stored.doc).map_err(unreadable)?;
        match check_pair(programme, &organizations, &mentor, &mentee, false) {
            Ok(()) => {}
            Err(PairProblem::Mentee(reason)) => errors.push(FieldError::new(
                field,
                format!(
                    "{}: {}",
                    serde_json::to_value(reason)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                    reason.render(Lang::En)
                ),
            )),
            Err(PairProblem::Rule(rule)) => errors.push(FieldError::new(
                field,
                format!(
                    "breaks the rule {}: the mentor {}",
                    rule.code(),
                    rule_words(rule, Lang::En)
                ),
            )),
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(PairError::Invalid(errors))
    }
}

/// How an active pair closes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Closing {
    /// The mentoring reached its end.
    Completed,
    /// Ended early by a curator.
    Ended {
        /// One of [`END_REASONS`].
        reason: String,
        /// Free text; always there for `other`.
        note: Option<String>,
    },
}

impl Closing {
    /// Reads the body of an early end: `{reason, note?}`.
    pub fn parse_end(body: &Value) -> Result<Self, Vec<FieldError>> {
        let mut r = FieldReader::object(body, "")?;
        let reason = r.text("reason", 40);
        let note = r.opt_text("note", MAX_NOTE_CHARS);
        if let Some(reason) = &reason
            && !END_REASONS.contains(&reason.as_str())
        {
            r.error(
                "reason",
                format!(
                    "unknown value {reason:?}; expected one of: {}",
                    END_REASONS.join(", ")
                ),
            );
        }
        if reason.as_deref() == Some("other") && note.is_none() {
            r.error("note", "is required when the reason is other");
        }
        let errors = r.finish();
        match reason.filter(|_| errors.is_empty()) {
            Some(reason) => Ok(Closing::Ended { reason, note }),
            None => Err(errors),
        }
    }
}

/// Completes or ends an active pair in the caller's scope, today.
pub async fn close(
    store: &dyn Store,
    scope: &Scope,
    pair_id: &str,
    closing: Closing,
    actor: &Actor,
) -> Result<PairRecord, PairError> {
    let ended_on = crate::domain::parse::format_date(time::OffsetDateTime::now_utc().date());
    let closing = match closing {
        Closing::Completed => PairClosing {
            status: "completed".into(),
            reason: None,
            note: None,
            ended_on,
        },
        Closing::Ended { reason, note } => PairClosing {
            status: "ended".into(),
            reason: Some(reason),
            note,
            ended_on,
        },
    };
    Ok(store.close_pair(scope, pair_id, &closing, actor).await?)
}

/// A questionnaire as read from a request, checked against the
/// programme's questions.
#[derive(Debug)]
struct Questionnaire {
    stage: String,
    respondent: String,
    answers: BTreeMap<String, i64>,
    comment: Option<String>,
}

impl Questionnaire {
    /// Reads `{stage, respondent, answers, comment?}`; with `questions`
    /// set, only those questions are accepted.
    fn parse(body: &Value, questions: &[String]) -> Result<Self, Vec<FieldError>> {
        let mut r = FieldReader::object(body, "")?;
        let stage = r.text("stage", 10);
        let respondent = r.text("respondent", 10);
        let comment = r.opt_text("comment", MAX_COMMENT_CHARS);
        if let Some(stage) = &stage
            && !["entry", "exit"].contains(&stage.as_str())
        {
            r.error("stage", "must be entry or exit");
        }
        if let Some(who) = &respondent
            && !["mentor", "mentee", "curator"].contains(&who.as_str())
        {
            r.error("respondent", "must be mentor, mentee or curator");
        }
        let mut answers = BTreeMap::new();
        match r.raw("answers") {
            Some(Value::Object(map)) if !map.is_empty() => {
                for (question, value) in map {
                    let key = crate::domain::normalize_tags([question])
                        .pop()
                        .unwrap_or_default();
                    let field = format!("answers.{question}");
                    if !questions.is_empty() && !questions.contains(&key) {
                        r.error(
                            &field,
                            format!(
                                "is not a question of this programme ({})",
                                questions.join(", ")
                            ),
                        );
                        continue;
                    }
                    match value.as_i64() {
                        Some(v) if (1..=5).contains(&v) => {
                            answers.insert(key, v);
                        }
                        _ => r.error(&field, "must be a whole number from 1 to 5"),
                    }
                }
            }
            _ => r.error(
                "answers",
                "must be an object {question: 1..5} with at least one answer",
            ),
        }
        let errors = r.finish();
        match (stage.filter(|_| errors.is_empty()), respondent) {
            (Some(stage), Some(respondent)) => Ok(Self {
                stage,
                respondent,
                answers,
                comment,
            }),
            _ => Err(errors),
        }
    }
}

/// Records a questionnaire of a pair in the caller's scope.
pub async fn add_feedback(
    store: &dyn Store,
    scope: &Scope,
    pair_id: &str,
    body: &Value,
    actor: &Actor,
) -> Result<FeedbackRecord, PairError> {
    let pair = store
        .get_pair(scope, pair_id)
        .await?
        .ok_or(PairError::NotFound)?;
    // The pair is in scope; its programme may be anchored above it.
    let programme = runs::programme_in_scope(store, &Scope::All, &pair.programme_id).await?;
    let questionnaire =
        Questionnaire::parse(body, &programme.questions).map_err(PairError::Invalid)?;
    let answers = serde_json::to_string(&questionnaire.answers)
        .map_err(|e| PairError::Internal(e.to_string()))?;
    let record = FeedbackRecord {
        id: uuid::Uuid::now_v7().to_string(),
        pair_id: pair.id,
        programme_id: pair.programme_id,
        stage: questionnaire.stage,
        respondent: questionnaire.respondent,
        answers,
        comment: questionnaire.comment,
        created_by: actor.key_id.clone(),
        created_at: crate::store::sql_now(),
    };
    store.add_feedback(&record, actor).await?;
    Ok(record)
}

/// The questionnaires of a pair and its growth.
#[derive(Debug, Clone, PartialEq)]
pub struct PairFeedback {
    /// Every questionnaire, oldest first.
    pub items: Vec<FeedbackRecord>,
    /// Per question, the mean exit answer minus the mean entry answer.
    pub growth: BTreeMap<String, f64>,
}

/// The questionnaires of a pair in the caller's scope.
pub async fn feedback(
    store: &dyn Store,
    scope: &Scope,
    pair_id: &str,
) -> Result<PairFeedback, PairError> {
    store
        .get_pair(scope, pair_id)
        .await?
        .ok_or(PairError::NotFound)?;
    let items = store.list_feedback(Some(pair_id), None).await?;
    let growth = crate::service::reports::pair_growth(&items)
        .remove(pair_id)
        .unwrap_or_default();
    Ok(PairFeedback { items, growth })
}

/// Replaces a proposal of one mentee by a pair with another mentor: the
/// pair is made by hand under the same rules as any (nothing changes when
/// it cannot be), then the proposal is rejected with `reason`, so the
/// replaced pair is not proposed again.
pub async fn replace_proposal(
    store: &dyn Store,
    scope: &Scope,
    actor: &Actor,
    proposal_id: &str,
    mentor_id: &str,
    reason: &str,
) -> Result<Vec<PairRecord>, PairError> {
    let (proposal, run) = runs::proposal_access(store, scope, proposal_id).await?;
    let [mentee_id] = proposal.mentee_ids.as_slice() else {
        return Err(PairError::Invalid(vec![FieldError::new(
            "proposal",
            "only a proposal of one mentee can be replaced",
        )]));
    };
    if run.dry_run || proposal.status != "proposed" {
        return Err(PairError::Store(StoreError::Conflict(format!(
            "the proposal is already {}",
            proposal.status
        ))));
    }
    let body = serde_json::json!({"mentor_id": mentor_id, "mentee_ids": [mentee_id]});
    let made = pair_by_hand(store, scope, &proposal.programme_id, &body, actor).await?;
    runs::reject_proposal(store, scope, actor, proposal_id, reason).await?;
    Ok(made)
}

/// A pair with the full names of its people, as a curator's list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedPair {
    /// The pair.
    pub pair: PairRecord,
    /// The mentor's full name (the id when no longer on file).
    pub mentor: String,
    /// The mentee's full name (the id when no longer on file).
    pub mentee: String,
}

/// A page of the pairs in the caller's scope, with their people's names
/// (read in two bulk reads), and the cursor of the next page.
pub async fn list_named(
    store: &dyn Store,
    scope: &Scope,
    filter: &crate::store::PairFilter,
    page: &crate::store::PageRequest,
) -> Result<(Vec<NamedPair>, Option<String>), PairError> {
    let (pairs, next) = store.list_pairs(scope, filter, page).await?;
    let mentor_ids: Vec<String> = pairs.iter().map(|p| p.mentor_id.clone()).collect();
    let mentee_ids: Vec<String> = pairs.iter().map(|p| p.mentee_id.clone()).collect();
    let mentors = runs::mentor_profiles(store, &mentor_ids).await?;
    let mentees = runs::mentee_profiles(store, &mentee_ids).await?;
    let named = pairs
        .into_iter()
        .map(|pair| NamedPair {
            mentor: mentors
                .get(&pair.mentor_id)
                .map_or_else(|| pair.mentor_id.clone(), |m| m.person.full_name.clone()),
            mentee: mentees
                .get(&pair.mentee_id)
                .map_or_else(|| pair.mentee_id.clone(), |m| m.person.full_name.clone()),
            pair,
        })
        .collect();
    Ok((named, next))
}

/// One line of the list for the school's order: a pair or a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLine {
    /// The mentor's full name.
    pub mentor: String,
    /// The mentees' full names.
    pub mentees: Vec<String>,
    /// The programme's form.
    pub form: Form,
    /// The name of the mentees' organisation.
    pub organization: String,
    /// The first day, `YYYY-MM-DD`.
    pub start: String,
    /// The last day (or the programme's), `YYYY-MM-DD`.
    pub end: String,
    /// The number of the order that put the pair into effect, if any.
    pub order_number: Option<String>,
    /// That order's date, `YYYY-MM-DD`.
    pub order_date: Option<String>,
}

/// The part of a stored profile or organisation the order names.
#[derive(Deserialize)]
struct Named {
    #[serde(alias = "full_name")]
    name: String,
}

/// The list for the school's order: every pair and group of a programme
/// the caller sees that did not end early, ordered by the mentor's name.
/// A person or an organisation no longer stored is named by its id.
pub async fn order_lines(
    store: &dyn Store,
    scope: &Scope,
    programme_id: &str,
) -> Result<Vec<OrderLine>, PairError> {
    let (programme, _) = runs::programme_access(store, scope, programme_id).await?;
    let pairs: Vec<PairRecord> = runs::programme_pairs(store, scope, programme_id)
        .await?
        .into_iter()
        .filter(|p| p.status != "ended")
        .collect();
    let mut names: HashMap<(Table, String), String> = HashMap::new();
    let mut name_of = async |table: Table, id: &str| -> Result<String, PairError> {
        if let Some(n) = names.get(&(table, id.to_owned())) {
            return Ok(n.clone());
        }
        // The pairs listed are the caller's mentees'; their mentor may come
        // from a partner organisation outside the caller's scope, and the
        // order names them all the same.
        let scope = if table == Table::Mentors {
            &Scope::All
        } else {
            scope
        };
        let name = match store.get_document(scope, table, id).await? {
            Some(s) => named(&s.doc)?,
            None => id.to_owned(),
        };
        names.insert((table, id.to_owned()), name.clone());
        Ok(name)
    };
    let mut groups: Vec<(String, Vec<&PairRecord>)> = Vec::new();
    for pair in &pairs {
        match groups.iter_mut().find(|(g, _)| *g == pair.group_id) {
            Some((_, members)) => members.push(pair),
            None => groups.push((pair.group_id.clone(), vec![pair])),
        }
    }
    let mut lines = Vec::new();
    for (_, members) in groups {
        let Some(first) = members.first() else {
            continue;
        };
        let mut mentees = Vec::new();
        for m in &members {
            mentees.push(name_of(Table::Mentees, &m.mentee_id).await?);
        }
        let organization = match store
            .get_organization(scope, &first.organization_id)
            .await?
        {
            Some(o) => named(&o.doc)?,
            None => first.organization_id.clone(),
        };
        lines.push(OrderLine {
            mentor: name_of(Table::Mentors, &first.mentor_id).await?,
            mentees,
            form: programme.form,
            organization,
            start: first.started_on.clone(),
            end: first
                .ended_on
                .clone()
                .unwrap_or_else(|| crate::domain::parse::format_date(programme.period.end)),
            order_number: first.order_number.clone(),
            order_date: first.order_date.clone(),
        });
    }
    lines.sort_by(|a, b| a.mentor.cmp(&b.mentor));
    Ok(lines)
}

/// The name in a stored document; one without it is a fault inside.
fn named(doc: &str) -> Result<String, PairError> {
    serde_json::from_str::<Named>(doc)
        .map(|n| n.name)
        .map_err(|e| PairError::Internal(format!("stored document unreadable: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn overriding_a_rejection_needs_a_reason() {
        let errors = HandPairs::parse(
            &json!({"mentor_id": "m1", "mentee_ids": ["p1"], "override_rejection": true}),
        )
        .unwrap_err();
        assert_eq!(fields(&errors), ["reason"]);
        let request = HandPairs::parse(&json!({"mentor_id": "m1", "mentee_ids": ["p1", "p1"],
                                               "override_rejection": true, "reason": "agreed"}))
        .unwrap();
        assert_eq!(request.mentee_ids.len(), 1);
        assert_eq!(request.override_rejection.as_deref(), Some("agreed"));
    }

    #[test]
    fn a_hand_pair_names_every_bad_field() {
        let errors =
            HandPairs::parse(&json!({"mentee_ids": [], "override_rejection": "yes"})).unwrap_err();
        let named = fields(&errors);
        assert!(named.contains(&"mentor_id"), "{named:?}");
        assert!(named.contains(&"override_rejection"), "{named:?}");
    }

    #[test]
    fn ending_for_another_reason_needs_a_note() {
        let errors = Closing::parse_end(&json!({"reason": "other"})).unwrap_err();
        assert_eq!(fields(&errors), ["note"]);
        let errors = Closing::parse_end(&json!({"reason": "consent_withdrawn"})).unwrap_err();
        assert_eq!(fields(&errors), ["reason"]);
        assert_eq!(
            Closing::parse_end(&json!({"reason": "mentor_left"})).unwrap(),
            Closing::Ended {
                reason: "mentor_left".into(),
                note: None
            }
        );
    }

    #[test]
    fn a_questionnaire_names_every_bad_answer() {
        let questions = ["trust".to_owned()];
        let errors = Questionnaire::parse(
            &json!({"stage": "middle", "respondent": "mentor", "answers": {"trust": 6, "fun": 3}}),
            &questions,
        )
        .unwrap_err();
        let mut named = fields(&errors);
        named.sort_unstable();
        assert_eq!(named, ["answers.fun", "answers.trust", "stage"]);
        let ok = Questionnaire::parse(
            &json!({"stage": "exit", "respondent": "mentee", "answers": {"trust": 5}}),
            &questions,
        )
        .unwrap();
        assert_eq!(ok.answers, BTreeMap::from([("trust".to_owned(), 5)]));
    }
}
