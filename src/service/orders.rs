//! Orders: a head's order puts the approved pairs and groups of a
//! programme into effect; its attachment lists them, and the pairs carry
//! its number and date afterwards.

use crate::domain::{FieldError, FieldReader, Form, MenteeProfile, MentorProfile};
use crate::service::runs::{self, RunError};
use crate::store::{Actor, NewOrder, OrderRecord, PairRecord, Scope, Store, StoreError};
use serde_json::Value;
use std::collections::HashMap;

/// Longest order number.
pub const MAX_NUMBER_CHARS: usize = 64;
/// Longest name of who signs.
pub const MAX_SIGNED_BY_CHARS: usize = 200;

/// Errors of the orders service.
#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    /// Bad input; every bad field is named.
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// No such programme or order in the caller's scope.
    #[error("not found")]
    NotFound,
    /// Stored data that does not read back: a fault inside.
    #[error("{0}")]
    Internal(String),
    /// The store failed or refused (a conflict names why).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<RunError> for OrderError {
    fn from(err: RunError) -> Self {
        match err {
            RunError::Invalid(errors) => OrderError::Invalid(errors),
            RunError::NotFound => OrderError::NotFound,
            RunError::Store(store) => OrderError::Store(store),
            other => OrderError::Internal(other.to_string()),
        }
    }
}

/// What an order says: its number, date and who signs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRequest {
    /// 1..=64 characters, trimmed.
    pub number: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Who signs, when said.
    pub signed_by: Option<String>,
}

impl OrderRequest {
    /// Reads `{number, date, signed_by?}`.
    pub fn parse(body: &Value) -> Result<Self, Vec<FieldError>> {
        let mut r = FieldReader::object(body, "")?;
        let number = r.text("number", MAX_NUMBER_CHARS);
        if number.as_deref() == Some("") {
            r.error("number", "must not be empty");
        }
        let date = r.date("date");
        let signed_by = r.opt_text("signed_by", MAX_SIGNED_BY_CHARS);
        let errors = r.finish();
        match (number, date) {
            (Some(number), Some(date)) if errors.is_empty() => Ok(Self {
                number,
                date: crate::domain::parse::format_date(date),
                signed_by: signed_by.filter(|s| !s.is_empty()),
            }),
            _ => Err(errors),
        }
    }
}

/// Records an order over the approved pairs and groups of a programme the
/// caller sees that no order holds yet. Nothing to take, or a number
/// already used in the programme, is a conflict.
pub async fn create(
    store: &dyn Store,
    scope: &Scope,
    programme_id: &str,
    body: &Value,
    actor: &Actor,
) -> Result<OrderRecord, OrderError> {
    let programme = runs::programme_in_scope(store, scope, programme_id).await?;
    let request = OrderRequest::parse(body).map_err(OrderError::Invalid)?;
    // The order belongs to the caller's organisation, so that whoever
    // made it reads it back; an unscoped key files it under the programme's.
    let organization_id = match scope {
        Scope::Under {
            organization_id, ..
        } => organization_id.clone(),
        Scope::All => programme
            .organization_ids
            .first()
            .map(ToString::to_string)
            .ok_or_else(|| OrderError::Internal("programme without an organisation".into()))?,
    };
    Ok(store
        .create_order(
            scope,
            &NewOrder {
                programme_id: programme.id.to_string(),
                organization_id,
                number: request.number,
                date: request.date,
                signed_by: request.signed_by,
            },
            actor,
        )
        .await?)
}

/// One line of an order's attachment: a pair, or a group of one mentor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentLine {
    /// The mentor's full name.
    pub mentor: String,
    /// The mentor's position (roles, else what kind of person).
    pub position: String,
    /// The mentees' full names.
    pub mentees: Vec<String>,
    /// Each mentee's class (pupils) or position.
    pub classes: Vec<String>,
    /// The programme's form.
    pub form: Form,
    /// `YYYY-MM-DD`.
    pub start: String,
    /// `YYYY-MM-DD`: the pair's end, else the programme's.
    pub end: String,
}

/// An order with what its attachment lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The order.
    pub order: OrderRecord,
    /// The programme's name.
    pub programme: String,
    /// The pairs and groups, by mentor's name.
    pub lines: Vec<AttachmentLine>,
}

/// One order in the caller's scope.
pub async fn get(store: &dyn Store, scope: &Scope, id: &str) -> Result<OrderRecord, OrderError> {
    store
        .get_order(scope, id)
        .await?
        .ok_or(OrderError::NotFound)
}

/// The attachment of an order in the caller's scope. People no longer on
/// file are named by their id.
pub async fn attachment(
    store: &dyn Store,
    scope: &Scope,
    id: &str,
) -> Result<Attachment, OrderError> {
    let order = get(store, scope, id).await?;
    let programme = runs::programme_in_scope(store, &Scope::All, &order.programme_id).await?;
    let pairs = store.order_pairs(&order.id).await?;
    let mentor_ids: Vec<String> = pairs.iter().map(|p| p.mentor_id.clone()).collect();
    let mentee_ids: Vec<String> = pairs.iter().map(|p| p.mentee_id.clone()).collect();
    let mentors = runs::mentor_profiles(store, &mentor_ids).await?;
    let mentees = runs::mentee_profiles(store, &mentee_ids).await?;
    let programme_end = crate::domain::parse::format_date(programme.period.end);
    let mut groups: Vec<Vec<&PairRecord>> = Vec::new();
    for pair in &pairs {
        match groups
            .iter_mut()
            .find(|g| g.first().is_some_and(|f| f.group_id == pair.group_id))
        {
            Some(members) => members.push(pair),
            None => groups.push(vec![pair]),
        }
    }
    let mut lines: Vec<AttachmentLine> = groups
        .into_iter()
        .filter_map(|members| {
            let first = *members.first()?;
            Some(line(
                first,
                &members,
                &mentors,
                &mentees,
                programme.form,
                &programme_end,
            ))
        })
        .collect();
    lines.sort_by(|a, b| a.mentor.cmp(&b.mentor).then(a.mentees.cmp(&b.mentees)));
    Ok(Attachment {
        order,
        programme: programme.name,
        lines,
    })
}

fn line(
    first: &PairRecord,
    members: &[&PairRecord],
    mentors: &HashMap<String, MentorProfile>,
    mentees: &HashMap<String, MenteeProfile>,
    form: Form,
    programme_end: &str,
) -> AttachmentLine {
    let mentor = mentors.get(&first.mentor_id);
    let (mentee_names, classes) = members
        .iter()
        .map(|m| match mentees.get(&m.mentee_id) {
            Some(p) => (p.person.full_name.clone(), mentee_class(p)),
            None => (m.mentee_id.clone(), String::new()),
        })
        .unzip();
    AttachmentLine {
        mentor: mentor.map_or_else(|| first.mentor_id.clone(), |m| m.person.full_name.clone()),
        position: mentor.map(mentor_position).unwrap_or_default(),
        mentees: mentee_names,
        classes,
        form,
        start: first.started_on.clone(),
        end: first
            .ended_on
            .clone()
            .unwrap_or_else(|| programme_end.to_owned()),
    }
}

/// The roles a mentor holds, in Russian, else what kind of person they are.
fn mentor_position(mentor: &MentorProfile) -> String {
    if mentor.roles.is_empty() {
        mentor.person.kind.ru().to_owned()
    } else {
        let roles: Vec<&str> = mentor.roles.iter().map(|r| r.ru()).collect();
        roles.join(", ")
    }
}

/// A pupil's class («7 класс»), else what kind of person the mentee is.
fn mentee_class(mentee: &MenteeProfile) -> String {
    match mentee.person.grade {
        Some(grade) => format!("{grade} класс"),
        None => mentee.person.kind.ru().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_order_names_every_bad_field() {
        let long = "x".repeat(MAX_NUMBER_CHARS + 1);
        let errors = OrderRequest::parse(&json!({"number": long, "date": "01.09.2026", "x": 1}))
            .unwrap_err();
        let mut fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        fields.sort_unstable();
        assert_eq!(fields, ["date", "number", "x"]);
        let errors =
            OrderRequest::parse(&json!({"number": "  ", "date": "2026-09-01"})).unwrap_err();
        assert_eq!(errors[0].field, "number");
        let ok = OrderRequest::parse(&json!({"number": " 12-о ", "date": "2026-09-01"})).unwrap();
        assert_eq!(ok.number, "12-о");
        assert_eq!(ok.signed_by, None);
    }
}
