//! Mentoring pairs: made by approval or by hand, listed, completed, ended
//! early, and exported for the school's order.

use super::AppState;
use super::extract::{Caller, JsonBody, NoQuery, QueryParams, json_body, path_id};
use super::problem::{ApiError, Problem};
use super::runs::started_on;
use crate::domain::{FieldError, FieldReader, MenteeProfile, MentorProfile, Organization};
use crate::matching::engine::{PairProblem, check_pair};
use crate::matching::explain::Lang;
use crate::matching::unmatched::rule_words;
use crate::service::auth::Permission;
use crate::service::runs;
use crate::store::{PairClosing, PairFilter, PairRecord, PairRequest, Scope, Table};
use actix_web::http::header;
use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse, get, post};
use serde_json::{Value, json};
use std::collections::HashMap;

/// Why a pair ended early.
pub const END_REASONS: &[&str] = &[
    "mentee_moved",
    "mentor_left",
    "incompatibility",
    "goal_reached_early",
    "other",
];

/// A pair as the API shows it.
pub fn pair_view(p: &PairRecord) -> Value {
    let mut view = json!({
        "id": p.id,
        "programme_id": p.programme_id,
        "group_id": p.group_id,
        "mentor_id": p.mentor_id,
        "mentee_id": p.mentee_id,
        "organization_id": p.organization_id,
        "status": p.status,
        "started_on": p.started_on,
        "created_by": p.created_by,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
    });
    for (key, value) in [
        ("proposal_id", &p.proposal_id),
        ("ended_on", &p.ended_on),
        ("end_reason", &p.end_reason),
        ("end_note", &p.end_note),
    ] {
        if let Some(v) = value {
            view[key] = json!(v);
        }
    }
    view
}

/// Pair a mentor with one or more mentees by hand.
///
/// The same hard rules and capacity checks as a run; a broken rule is a
/// `422` naming it, a full mentor or an already paired mentee a `409`.
/// Later runs keep the pair.
#[utoipa::path(
    tag = "pairs",
    params(("id" = String, Path, description = "Programme id")),
    request_body(content = serde_json::Value, description = "{mentor_id, mentee_ids, override_rejection?, reason?}"),
    responses(
        (status = 201, description = "The new pairs", body = serde_json::Value),
        (status = 409, description = "No place, already paired, moved away or left, or the pair was rejected or ended early (the answer names when and why; `override_rejection: true` with a `reason` makes it all the same, audited)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A hard rule forbids the pair", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/programmes/{id}/pairs")]
pub async fn pair_by_hand(
    state: Data<AppState>,
    caller: Caller,
    _query: NoQuery,
    id: Path<String>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::DecidePairs)?;
    let id = path_id(&id)?;
    let programme =
        runs::programme_in_scope(state.store.as_ref(), &principal.scope, id.as_str()).await?;
    let body = json_body(&body)?;
    let mut r = FieldReader::object(&body, "").map_err(ApiError::Invalid)?;
    let mentor_id = r.id("mentor_id");
    let mentee_ids = r.id_list("mentee_ids");
    if mentee_ids.is_empty() && !r.has_errors() {
        r.error("mentee_ids", "must name at least one mentee");
    }
    // Making a pair that a curator rejected takes a deliberate, audited
    // decision: the flag and the reason for it.
    let override_rejection = r.flag("override_rejection", false);
    let reason = r.opt_text("reason", 1000);
    let override_rejection = match (override_rejection, reason) {
        (true, Some(reason)) => Some(reason),
        (true, None) => {
            r.error("reason", "is required with override_rejection");
            None
        }
        (false, _) => None,
    };
    let errors = r.finish();
    let Some(mentor_id) = mentor_id.filter(|_| errors.is_empty()) else {
        return Err(ApiError::Invalid(errors));
    };
    if let Some(group) = programme.group
        && mentee_ids.len() > group.max as usize
    {
        return Err(ApiError::Invalid(vec![FieldError::new(
            "mentee_ids",
            format!(
                "a group of this programme has at most {} mentees",
                group.max
            ),
        )]));
    }
    let unknown =
        |field: String| ApiError::Invalid(vec![FieldError::new(field, "unknown in your scope")]);
    let store = state.store.as_ref();
    let mentor: MentorProfile = match store
        .get_document(&principal.scope, Table::Mentors, mentor_id.as_str())
        .await?
    {
        Some(s) => serde_json::from_str(&s.doc).map_err(|e| ApiError::Internal(e.to_string()))?,
        None => return Err(unknown("mentor_id".into())),
    };
    let organizations: Vec<Organization> = runs::Inputs::load(
        &store.matching_data(programme.id.as_str()).await?,
        programme.id.as_str(),
    )
    .map_err(ApiError::Internal)?
    .organizations;
    let mut errors = Vec::new();
    for (i, mentee_id) in mentee_ids.iter().enumerate() {
        let field = format!("mentee_ids[{i}]");
        let Some(stored) = store
            .get_document(&principal.scope, Table::Mentees, mentee_id.as_str())
            .await?
        else {
            errors.push(FieldError::new(field, "unknown in your scope"));
            continue;
        };
        let mentee: MenteeProfile =
            serde_json::from_str(&stored.doc).map_err(|e| ApiError::Internal(e.to_string()))?;
        match check_pair(&programme, &organizations, &mentor, &mentee, false) {
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
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let request = PairRequest {
        programme_id: programme.id.to_string(),
        mentor_id: mentor_id.to_string(),
        mentee_ids: mentee_ids.iter().map(ToString::to_string).collect(),
        started_on: started_on(&programme),
        snapshot: None,
        proposal_id: None,
        override_rejection,
    };
    let pairs = store.make_pairs(&request, &caller.actor()).await?;
    tracing::info!(programme_id = %id, pairs = pairs.len(), key_id = %principal.key_id, "pairs made by hand");
    Ok(HttpResponse::Created()
        .json(json!({"pairs": pairs.iter().map(pair_view).collect::<Vec<_>>()})))
}

/// List pairs in your scope.
#[utoipa::path(
    tag = "pairs",
    params(
        ("programme_id" = Option<String>, Query), ("organization_id" = Option<String>, Query),
        ("mentor_id" = Option<String>, Query), ("mentee_id" = Option<String>, Query),
        ("status" = Option<String>, Query, description = "active, completed or ended"),
        ("limit" = Option<u32>, Query), ("after" = Option<String>, Query),
    ),
    responses((status = 200, description = "A page of pairs", body = serde_json::Value)),
    security(("bearer" = []))
)]
#[get("/pairs")]
pub async fn list_pairs(
    state: Data<AppState>,
    caller: Caller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::ReadPairs)?;
    let query = QueryParams::parse(
        &req,
        &[
            "programme_id",
            "organization_id",
            "mentor_id",
            "mentee_id",
            "status",
            "limit",
            "after",
        ],
    )?;
    if let Some(status) = query.get("status")
        && !["active", "completed", "ended"].contains(&status)
    {
        return Err(ApiError::Invalid(vec![FieldError::new(
            "status",
            "must be active, completed or ended",
        )]));
    }
    let filter = PairFilter {
        programme_id: query.get("programme_id").map(str::to_owned),
        organization_id: query.get("organization_id").map(str::to_owned),
        mentor_id: query.get("mentor_id").map(str::to_owned),
        mentee_id: query.get("mentee_id").map(str::to_owned),
        status: query.get("status").map(str::to_owned),
    };
    let (pairs, next) = state
        .store
        .list_pairs(&principal.scope, &filter, &query.page()?)
        .await?;
    let mut body = json!({"items": pairs.iter().map(pair_view).collect::<Vec<_>>()});
    if let Some(next) = next {
        body["next"] = json!(next);
    }
    Ok(HttpResponse::Ok().json(body))
}

/// One pair.
#[utoipa::path(
    tag = "pairs",
    params(("id" = String, Path)),
    responses((status = 200, description = "The pair", body = serde_json::Value)),
    security(("bearer" = []))
)]
#[get("/pairs/{id}")]
pub async fn get_pair(
    state: Data<AppState>,
    caller: Caller,
    _query: NoQuery,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::ReadPairs)?;
    let id = path_id(&id)?;
    let pair = state
        .store
        .get_pair(&principal.scope, id.as_str())
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(pair_view(&pair)))
}

/// Complete an active pair (the mentoring reached its end).
#[utoipa::path(
    tag = "pairs",
    params(("id" = String, Path)),
    responses((status = 200, description = "The completed pair", body = serde_json::Value)),
    security(("bearer" = []))
)]
#[post("/pairs/{id}/complete")]
pub async fn complete_pair(
    state: Data<AppState>,
    caller: Caller,
    _query: NoQuery,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::DecidePairs)?;
    let id = path_id(&id)?;
    let today = crate::domain::parse::format_date(time::OffsetDateTime::now_utc().date());
    let pair = state
        .store
        .close_pair(
            &principal.scope,
            id.as_str(),
            &PairClosing {
                status: "completed".into(),
                reason: None,
                note: None,
                ended_on: today,
            },
            &caller.actor(),
        )
        .await?;
    Ok(HttpResponse::Ok().json(pair_view(&pair)))
}

/// End an active pair early, with a reason: `mentee_moved`, `mentor_left`,
/// `incompatibility`, `goal_reached_early`, or `other` with a `note`. The
/// mentee returns to the pool; later runs propose another mentor.
#[utoipa::path(
    tag = "pairs",
    params(("id" = String, Path)),
    request_body(content = serde_json::Value, description = "{reason, note?}"),
    responses((status = 200, description = "The ended pair", body = serde_json::Value)),
    security(("bearer" = []))
)]
#[post("/pairs/{id}/end")]
pub async fn end_pair(
    state: Data<AppState>,
    caller: Caller,
    _query: NoQuery,
    id: Path<String>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::DecidePairs)?;
    let id = path_id(&id)?;
    let body = json_body(&body)?;
    let mut r = FieldReader::object(&body, "").map_err(ApiError::Invalid)?;
    let reason = r.text("reason", 40);
    let note = r.opt_text("note", 2000);
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
    let Some(reason) = reason.filter(|_| errors.is_empty()) else {
        return Err(ApiError::Invalid(errors));
    };
    let today = crate::domain::parse::format_date(time::OffsetDateTime::now_utc().date());
    let pair = state
        .store
        .close_pair(
            &principal.scope,
            id.as_str(),
            &PairClosing {
                status: "ended".into(),
                reason: Some(reason.clone()),
                note,
                ended_on: today,
            },
            &caller.actor(),
        )
        .await?;
    tracing::info!(pair_id = %id, reason = %reason, key_id = %principal.key_id, "pair ended early");
    Ok(HttpResponse::Ok().json(pair_view(&pair)))
}

/// One line of the list for the school's order: a pair or a group.
struct OrderLine {
    mentor: String,
    mentees: Vec<String>,
    form: String,
    organization: String,
    start: String,
    end: String,
}

async fn order_lines(
    state: &AppState,
    scope: &Scope,
    programme_id: &str,
    lang: Lang,
) -> Result<Vec<OrderLine>, ApiError> {
    let store = state.store.as_ref();
    let (programme, _) = runs::programme_access(store, scope, programme_id).await?;
    let pairs: Vec<PairRecord> = runs::programme_pairs(store, scope, programme_id)
        .await?
        .into_iter()
        .filter(|p| p.status != "ended")
        .collect();
    let mut names: HashMap<(Table, String), String> = HashMap::new();
    let mut name_of = async |table: Table, id: &str| -> Result<String, ApiError> {
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
            Some(s) => serde_json::from_str::<Value>(&s.doc)
                .ok()
                .and_then(|v| v["full_name"].as_str().map(str::to_owned))
                .unwrap_or_else(|| id.to_owned()),
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
        let first = members[0];
        let mut mentees = Vec::new();
        for m in &members {
            mentees.push(name_of(Table::Mentees, &m.mentee_id).await?);
        }
        let organization = match store
            .get_organization(scope, &first.organization_id)
            .await?
        {
            Some(o) => serde_json::from_str::<Value>(&o.doc)
                .ok()
                .and_then(|v| v["name"].as_str().map(str::to_owned))
                .unwrap_or_else(|| first.organization_id.clone()),
            None => first.organization_id.clone(),
        };
        lines.push(OrderLine {
            mentor: name_of(Table::Mentors, &first.mentor_id).await?,
            mentees,
            form: form_words(programme.form, lang).to_owned(),
            organization,
            start: first.started_on.clone(),
            end: first
                .ended_on
                .clone()
                .unwrap_or_else(|| crate::domain::parse::format_date(programme.period.end)),
        });
    }
    lines.sort_by(|a, b| a.mentor.cmp(&b.mentor));
    Ok(lines)
}

fn form_words(form: crate::domain::Form, lang: Lang) -> &'static str {
    use crate::domain::Form::*;
    match (form, lang) {
        (TeacherTeacher, Lang::Ru) => "учитель – учитель",
        (TeacherPupil, Lang::Ru) => "учитель – ученик",
        (PupilPupil, Lang::Ru) => "ученик – ученик",
        (StudentPupil, Lang::Ru) => "студент – ученик",
        (EmployerPupil, Lang::Ru) => "работодатель – ученик",
        (f, Lang::En) => f.as_str(),
    }
}

fn headings(lang: Lang) -> [&'static str; 7] {
    match lang {
        Lang::Ru => [
            "№",
            "Наставник",
            "Наставляемые",
            "Форма наставничества",
            "Организация",
            "Дата начала",
            "Дата окончания",
        ],
        Lang::En => [
            "No.",
            "Mentor",
            "Mentees",
            "Form",
            "Organisation",
            "Start date",
            "End date",
        ],
    }
}

fn export_lang(req: &HttpRequest) -> Result<Lang, ApiError> {
    let query = QueryParams::parse(req, &["lang"])?;
    super::runs::language(req, &query)
}

/// The approved pairs and groups of a programme as CSV, in the form the
/// school's order needs: mentor, mentee(s), form, organisation, start and
/// end dates; `?lang=ru` for Russian headings.
#[utoipa::path(
    tag = "pairs",
    params(("id" = String, Path), ("lang" = Option<String>, Query)),
    responses((status = 200, description = "CSV", body = String, content_type = "text/csv")),
    security(("bearer" = []))
)]
#[get("/programmes/{id}/pairs.csv")]
pub async fn export_csv(
    state: Data<AppState>,
    caller: Caller,
    id: Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::ReadPairs)?;
    let id = path_id(&id)?;
    let lang = export_lang(&req)?;
    let lines = order_lines(&state, &principal.scope, id.as_str(), lang).await?;
    let mut writer = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| ApiError::Internal(e.to_string());
    writer.write_record(headings(lang)).map_err(io)?;
    for (i, line) in lines.iter().enumerate() {
        let (number, mentees) = ((i + 1).to_string(), line.mentees.join("; "));
        writer
            .write_record(super::csv_cells::record([
                number.as_str(),
                &line.mentor,
                &mentees,
                &line.form,
                &line.organization,
                &line.start,
                &line.end,
            ]))
            .map_err(io)?;
    }
    let body = writer
        .into_inner()
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    tracing::info!(programme_id = %id, lines = lines.len(), key_id = %principal.key_id, "pairs exported as CSV");
    super::audit::record(
        &state,
        &caller,
        "pairs.exported",
        &format!("programme:{id}"),
        json!({"format": "csv", "lines": lines.len()}),
    )
    .await;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"pairs-{id}.csv\""),
        ))
        .body(body))
}

/// The same list as an Excel workbook.
#[utoipa::path(
    tag = "pairs",
    params(("id" = String, Path), ("lang" = Option<String>, Query)),
    responses((status = 200, description = "XLSX", body = Vec<u8>, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")),
    security(("bearer" = []))
)]
#[get("/programmes/{id}/pairs.xlsx")]
pub async fn export_xlsx(
    state: Data<AppState>,
    caller: Caller,
    id: Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::ReadPairs)?;
    let id = path_id(&id)?;
    let lang = export_lang(&req)?;
    let lines = order_lines(&state, &principal.scope, id.as_str(), lang).await?;
    let xl = |e: rust_xlsxwriter::XlsxError| ApiError::Internal(e.to_string());
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (c, h) in headings(lang).iter().enumerate() {
        sheet
            .write_string_with_format(0, c as u16, *h, &bold)
            .map_err(xl)?;
    }
    for (i, line) in lines.iter().enumerate() {
        let row = (i + 1) as u32;
        sheet.write_number(row, 0, (i + 1) as f64).map_err(xl)?;
        let cells = [
            &line.mentor,
            &line.mentees.join("; "),
            &line.form,
            &line.organization,
            &line.start,
            &line.end,
        ];
        for (c, value) in cells.iter().enumerate() {
            sheet
                .write_string(row, (c + 1) as u16, value.as_str())
                .map_err(xl)?;
        }
    }
    sheet.autofit();
    let bytes = book.save_to_buffer().map_err(xl)?;
    super::audit::record(
        &state,
        &caller,
        "pairs.exported",
        &format!("programme:{id}"),
        json!({"format": "xlsx", "lines": lines.len()}),
    )
    .await;
    Ok(HttpResponse::Ok()
        .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"pairs-{id}.xlsx\""),
        ))
        .body(bytes))
}

/// Record a feedback questionnaire of a pair: `{stage: entry|exit,
/// respondent: mentor|mentee|curator, answers: {question: 1..5},
/// comment?}`. With the programme's `questions` set, only those are
/// accepted. Growth of a pair is exit − entry per question.
#[utoipa::path(
    tag = "pairs",
    params(("id" = String, Path)),
    request_body(content = serde_json::Value, description = "{stage, respondent, answers, comment?}"),
    responses((status = 201, description = "Recorded", body = serde_json::Value)),
    security(("bearer" = []))
)]
#[post("/pairs/{id}/feedback")]
pub async fn add_feedback(
    state: Data<AppState>,
    caller: Caller,
    _query: NoQuery,
    id: Path<String>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::WriteFeedback)?;
    let id = path_id(&id)?;
    let pair = state
        .store
        .get_pair(&principal.scope, id.as_str())
        .await?
        .ok_or(ApiError::NotFound)?;
    let programme =
        runs::programme_in_scope(state.store.as_ref(), &Scope::All, &pair.programme_id).await?;
    let body = json_body(&body)?;
    let mut r = FieldReader::object(&body, "").map_err(ApiError::Invalid)?;
    let stage = r.text("stage", 10);
    let respondent = r.text("respondent", 10);
    let comment = r.opt_text("comment", 4000);
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
    let mut answers = serde_json::Map::new();
    match r.raw("answers") {
        Some(Value::Object(map)) if !map.is_empty() => {
            for (question, value) in map {
                let key = crate::domain::normalize_tags([question])
                    .pop()
                    .unwrap_or_default();
                let field = format!("answers.{question}");
                if !programme.questions.is_empty() && !programme.questions.contains(&key) {
                    r.error(
                        &field,
                        format!(
                            "is not a question of this programme ({})",
                            programme.questions.join(", ")
                        ),
                    );
                    continue;
                }
                match value.as_i64() {
                    Some(v) if (1..=5).contains(&v) => {
                        answers.insert(key, json!(v));
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
    let (Some(stage), Some(respondent)) = (stage.filter(|_| errors.is_empty()), respondent) else {
        return Err(ApiError::Invalid(errors));
    };
    let record = crate::store::FeedbackRecord {
        id: uuid::Uuid::now_v7().to_string(),
        pair_id: pair.id.clone(),
        programme_id: pair.programme_id.clone(),
        stage,
        respondent,
        answers: Value::Object(answers).to_string(),
        comment,
        created_by: principal.key_id.clone(),
        created_at: crate::store::sql_now(),
    };
    state.store.add_feedback(&record, &caller.actor()).await?;
    Ok(HttpResponse::Created().json(feedback_view(&record)))
}

fn feedback_view(f: &crate::store::FeedbackRecord) -> Value {
    json!({
        "id": f.id, "pair_id": f.pair_id, "stage": f.stage, "respondent": f.respondent,
        "answers": serde_json::from_str::<Value>(&f.answers).unwrap_or(Value::Null),
        "comment": f.comment, "created_at": f.created_at,
    })
}

/// The feedback of a pair and its growth: per question, the mean exit
/// answer minus the mean entry answer.
#[utoipa::path(
    tag = "pairs",
    params(("id" = String, Path)),
    responses((status = 200, description = "Questionnaires and growth", body = serde_json::Value)),
    security(("bearer" = []))
)]
#[get("/pairs/{id}/feedback")]
pub async fn list_feedback(
    state: Data<AppState>,
    caller: Caller,
    _query: NoQuery,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::ReadPairs)?;
    let id = path_id(&id)?;
    state
        .store
        .get_pair(&principal.scope, id.as_str())
        .await?
        .ok_or(ApiError::NotFound)?;
    let items = state.store.list_feedback(Some(id.as_str()), None).await?;
    let growth = crate::service::reports::pair_growth(&items)
        .remove(id.as_str())
        .unwrap_or_default();
    Ok(HttpResponse::Ok().json(json!({
        "items": items.iter().map(feedback_view).collect::<Vec<_>>(),
        "growth": growth,
    })))
}
