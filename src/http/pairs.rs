//! Mentoring pairs: made by approval or by hand, listed, completed, ended
//! early, and exported for the school's order.

use super::AppState;
use super::extract::{Caller, JsonBody, NoQuery, QueryParams, json_body, path_id};
use super::i18n::request_lang;
use super::problem::{ApiError, Problem};
use super::views::files::{CsvDialect, CsvText, Xlsx};
use super::views::pairs::{
    EndPairRequest, FeedbackRequest, FeedbackView, HandPairRequest, MadePairs, PairFeedback,
    PairPage, PairView,
};
use crate::domain::FieldError;
use crate::matching::explain::Lang;
use crate::service::auth::Permission;
use crate::service::pairs::{self, Closing, PairError};
use crate::store::PairFilter;
use actix_web::http::header;
use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse, get, post};
use serde_json::json;

impl From<PairError> for ApiError {
    fn from(err: PairError) -> Self {
        match err {
            PairError::Invalid(errors) => ApiError::Invalid(errors),
            PairError::NotFound => ApiError::NotFound,
            PairError::Internal(detail) => ApiError::Internal(detail),
            PairError::Store(store) => store.into(),
        }
    }
}

/// Pair a mentor with one or more mentees by hand.
///
/// The same hard rules and capacity checks as a run; a broken rule is a
/// `422` naming it, a full mentor or an already paired mentee a `409`.
/// Later runs keep the pair.
#[utoipa::path(
    tag = "pairs",
    params(("id" = String, Path, description = "Programme id")),
    request_body = HandPairRequest,
    responses(
        (status = 201, description = "The new pairs, one per mentee", body = MadePairs),
        (status = 404, description = "No such programme in your scope", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No place, already paired, moved away or left, or the pair was rejected or ended early (the answer names when and why; `override_rejection: true` with a `reason` makes it all the same, audited)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, an unknown person, a group too large, or a hard rule forbids the pair", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/programmes/{id}/pairs")]
pub async fn pair_by_hand(
    state: Data<AppState>,
    caller: Caller,
    _query: NoQuery,
    id: Path<String>,
    req: HttpRequest,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::DecidePairs)?;
    let id = path_id(&id)?;
    let body = json_body(&body)?;
    let made = pairs::pair_by_hand(
        state.store.as_ref(),
        &principal.scope,
        id.as_str(),
        &body,
        &caller.actor(),
    )
    .await?;
    tracing::info!(programme_id = %id, pairs = made.len(), key_id = %principal.key_id, "pairs made by hand");
    Ok(HttpResponse::Created().json(MadePairs {
        pairs: PairView::all(&made, request_lang(&req))?,
    }))
}

/// List pairs in your scope.
#[utoipa::path(
    tag = "pairs",
    params(
        ("programme_id" = Option<String>, Query), ("organization_id" = Option<String>, Query),
        ("mentor_id" = Option<String>, Query), ("mentee_id" = Option<String>, Query),
        ("status" = Option<super::views::pairs::PairStatus>, Query, description = "active, completed or ended"),
        ("limit" = Option<u32>, Query, description = "Page size, 1..1000 (default 100)"),
        ("after" = Option<String>, Query, description = "The `next` of the previous page"),
    ),
    responses((status = 200, description = "A page of pairs", body = PairPage)),
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
    let (items, next) = state
        .store
        .list_pairs(&principal.scope, &filter, &query.page()?)
        .await?;
    Ok(HttpResponse::Ok().json(PairPage {
        items: PairView::all(&items, request_lang(&req))?,
        next,
    }))
}

/// One pair.
#[utoipa::path(
    tag = "pairs",
    params(("id" = String, Path)),
    responses((status = 200, description = "The pair", body = PairView)),
    security(("bearer" = []))
)]
#[get("/pairs/{id}")]
pub async fn get_pair(
    state: Data<AppState>,
    caller: Caller,
    _query: NoQuery,
    id: Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::ReadPairs)?;
    let id = path_id(&id)?;
    let pair = state
        .store
        .get_pair(&principal.scope, id.as_str())
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(PairView::new(&pair, request_lang(&req))?))
}

/// Complete an active pair (the mentoring reached its end).
#[utoipa::path(
    tag = "pairs",
    params(("id" = String, Path)),
    responses(
        (status = 200, description = "The completed pair", body = PairView),
        (status = 409, description = "The pair is no longer active", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/pairs/{id}/complete")]
pub async fn complete_pair(
    state: Data<AppState>,
    caller: Caller,
    _query: NoQuery,
    id: Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::DecidePairs)?;
    let id = path_id(&id)?;
    let pair = pairs::close(
        state.store.as_ref(),
        &principal.scope,
        id.as_str(),
        Closing::Completed,
        &caller.actor(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(PairView::new(&pair, request_lang(&req))?))
}

/// End an active pair early, with a reason: `mentee_moved`, `mentor_left`,
/// `incompatibility`, `goal_reached_early`, or `other` with a `note`. The
/// mentee returns to the pool; later runs propose another mentor.
#[utoipa::path(
    tag = "pairs",
    params(("id" = String, Path)),
    request_body = EndPairRequest,
    responses(
        (status = 200, description = "The ended pair", body = PairView),
        (status = 409, description = "The pair is no longer active", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown reason, or `other` without a note", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/pairs/{id}/end")]
pub async fn end_pair(
    state: Data<AppState>,
    caller: Caller,
    _query: NoQuery,
    id: Path<String>,
    req: HttpRequest,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::DecidePairs)?;
    let id = path_id(&id)?;
    let closing = Closing::parse_end(&json_body(&body)?).map_err(ApiError::Invalid)?;
    let pair = pairs::close(
        state.store.as_ref(),
        &principal.scope,
        id.as_str(),
        closing,
        &caller.actor(),
    )
    .await?;
    tracing::info!(pair_id = %id, reason = ?pair.end_reason, key_id = %principal.key_id, "pair ended early");
    Ok(HttpResponse::Ok().json(PairView::new(&pair, request_lang(&req))?))
}

fn form_words(form: crate::domain::Form, lang: Lang) -> &'static str {
    match lang {
        Lang::Ru => form.ru(),
        Lang::En => form.as_str(),
    }
}

fn headings(lang: Lang) -> [&'static str; 9] {
    match lang {
        Lang::Ru => crate::domain::columns::ORDER_HEADINGS_RU,
        Lang::En => [
            "No.",
            "Mentor",
            "Mentees",
            "Form",
            "Organisation",
            "Start date",
            "End date",
            "Order number",
            "Order date",
        ],
    }
}

/// The sheet of the order list in an XLSX export.
fn order_sheet(lang: Lang) -> &'static str {
    match lang {
        Lang::Ru => "Приказ",
        Lang::En => "Order",
    }
}

/// The dialect of a CSV export: `?dialect=plain|excel-ru` (plain when
/// absent).
pub(crate) fn export_dialect(req: &HttpRequest) -> Result<CsvDialect, ApiError> {
    let query = QueryParams::parse(req, &["lang", "dialect"])?;
    Ok(query
        .vocabulary_serde::<CsvDialect>("dialect")?
        .unwrap_or_default())
}

/// The language of an export: `?lang=ru|en`, else `Accept-Language`.
fn export_lang(req: &HttpRequest, allowed: &[&str]) -> Result<Lang, ApiError> {
    let query = QueryParams::parse(req, allowed)?;
    match query.get("lang") {
        Some(raw) => Lang::parse(raw)
            .ok_or_else(|| ApiError::Invalid(vec![FieldError::new("lang", "must be en or ru")])),
        None => Ok(super::i18n::accept_language(req)),
    }
}

/// The approved pairs and groups of a programme as CSV, in the form the
/// school's order needs: mentor, mentee(s), form, organisation, start and
/// end dates; `?lang=ru` for Russian headings; `?dialect=excel-ru` for
/// what Russian Excel opens as it is (a byte-order mark, `;`, dates
/// `ДД.ММ.ГГГГ`).
#[utoipa::path(
    tag = "pairs",
    params(("id" = String, Path), ("lang" = Option<String>, Query, description = "`en` or `ru`; else `Accept-Language`"),
           ("dialect" = Option<CsvDialect>, Query, description = "`plain` (default: UTF-8, `,`, `YYYY-MM-DD`) or `excel-ru` (BOM, `;`, `ДД.ММ.ГГГГ`, decimal commas)")),
    responses((status = 200, description = "CSV", body = CsvText, content_type = "text/csv")),
    security(("bearer" = []))
)]
#[get("/programmes/{id}/pairs.csv")]
pub async fn export_csv(
    state: Data<AppState>,
    caller: Caller,
    id: Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    order_csv(&state, &caller, &id, &req).await
}

/// The list for the order as CSV, for `caller` (the API and the pages
/// answer with this, audited alike).
pub(crate) async fn order_csv(
    state: &AppState,
    caller: &Caller,
    id: &str,
    req: &HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::ReadPairs)?;
    let id = path_id(id)?;
    let dialect = export_dialect(req)?;
    let lang = export_lang(req, &["lang", "dialect"])?;
    let lines = pairs::order_lines(state.store.as_ref(), &principal.scope, id.as_str()).await?;
    let mut writer = dialect.writer();
    let io = |e: csv::Error| ApiError::Internal(e.to_string());
    writer.write_record(headings(lang)).map_err(io)?;
    for (i, line) in lines.iter().enumerate() {
        let (number, mentees) = ((i + 1).to_string(), line.mentees.join("; "));
        let (start, end) = (dialect.date(&line.start), dialect.date(&line.end));
        let order_date = line
            .order_date
            .as_deref()
            .map(|d| dialect.date(d))
            .unwrap_or_default();
        writer
            .write_record(super::csv_cells::record([
                number.as_str(),
                &line.mentor,
                &mentees,
                form_words(line.form, lang),
                &line.organization,
                &start,
                &end,
                line.order_number.as_deref().unwrap_or_default(),
                &order_date,
            ]))
            .map_err(io)?;
    }
    let body = writer
        .into_inner()
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    tracing::info!(programme_id = %id, lines = lines.len(), key_id = %principal.key_id, "pairs exported as CSV");
    super::audit::record(
        state,
        caller,
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
    params(("id" = String, Path), ("lang" = Option<String>, Query, description = "`en` or `ru`; else `Accept-Language`")),
    responses((status = 200, description = "XLSX", body = Xlsx, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")),
    security(("bearer" = []))
)]
#[get("/programmes/{id}/pairs.xlsx")]
pub async fn export_xlsx(
    state: Data<AppState>,
    caller: Caller,
    id: Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    order_xlsx(&state, &caller, &id, &req).await
}

/// The list for the order as an Excel workbook, for `caller` (the API and
/// the pages answer with this, audited alike).
pub(crate) async fn order_xlsx(
    state: &AppState,
    caller: &Caller,
    id: &str,
    req: &HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::ReadPairs)?;
    let id = path_id(id)?;
    let lang = export_lang(req, &["lang"])?;
    let lines = pairs::order_lines(state.store.as_ref(), &principal.scope, id.as_str()).await?;
    let xl = |e: rust_xlsxwriter::XlsxError| ApiError::Internal(e.to_string());
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(order_sheet(lang)).map_err(xl)?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let dates = crate::service::templates::date_format();
    for (c, h) in headings(lang).iter().enumerate() {
        sheet
            .write_string_with_format(0, c as u16, *h, &bold)
            .map_err(xl)?;
    }
    for (i, line) in lines.iter().enumerate() {
        let row = (i + 1) as u32;
        sheet.write_number(row, 0, (i + 1) as f64).map_err(xl)?;
        let mentees = line.mentees.join("; ");
        let cells = [
            line.mentor.as_str(),
            &mentees,
            form_words(line.form, lang),
            &line.organization,
        ];
        for (c, value) in cells.iter().enumerate() {
            sheet
                .write_string(row, (c + 1) as u16, *value)
                .map_err(xl)?;
        }
        let no_date = String::new();
        let order_date = line.order_date.as_ref().unwrap_or(&no_date);
        for (c, value) in [(5u16, &line.start), (6, &line.end), (8, order_date)] {
            match crate::domain::parse::parse_date(value).and_then(excel_date) {
                Some(date) => sheet.write_date_with_format(row, c, &date, &dates),
                None if value.is_empty() => continue,
                None => sheet.write_string(row, c, value.as_str()),
            }
            .map_err(xl)?;
        }
        if let Some(number) = &line.order_number {
            sheet.write_string(row, 7, number).map_err(xl)?;
        }
    }
    sheet.autofit();
    sheet.set_column_width(5, 14).map_err(xl)?;
    sheet.set_column_width(6, 14).map_err(xl)?;
    sheet.set_column_width(8, 14).map_err(xl)?;
    sheet.set_freeze_panes(1, 0).map_err(xl)?;
    let bytes = book.save_to_buffer().map_err(xl)?;
    super::audit::record(
        state,
        caller,
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

/// A date as Excel counts it.
pub(crate) fn excel_date(date: time::Date) -> Option<rust_xlsxwriter::ExcelDateTime> {
    rust_xlsxwriter::ExcelDateTime::from_ymd(date.year() as u16, date.month() as u8, date.day())
        .ok()
}

/// Record a feedback questionnaire of a pair: `{stage: entry|exit,
/// respondent: mentor|mentee|curator, answers: {question: 1..5},
/// comment?}`. With the programme's `questions` set, only those are
/// accepted. Growth of a pair is exit − entry per question.
#[utoipa::path(
    tag = "pairs",
    params(("id" = String, Path)),
    request_body = FeedbackRequest,
    responses(
        (status = 201, description = "Recorded", body = FeedbackView),
        (status = 422, description = "Invalid fields, an answer out of 1..5, or a question not of the programme", body = Problem, content_type = "application/problem+json"),
    ),
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
    let body = json_body(&body)?;
    let record = pairs::add_feedback(
        state.store.as_ref(),
        &principal.scope,
        id.as_str(),
        &body,
        &caller.actor(),
    )
    .await?;
    Ok(HttpResponse::Created().json(FeedbackView::new(&record)?))
}

/// The feedback of a pair and its growth: per question, the mean exit
/// answer minus the mean entry answer.
#[utoipa::path(
    tag = "pairs",
    params(("id" = String, Path)),
    responses((status = 200, description = "Questionnaires and growth", body = PairFeedback)),
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
    let feedback = pairs::feedback(state.store.as_ref(), &principal.scope, id.as_str()).await?;
    Ok(HttpResponse::Ok().json(PairFeedback {
        items: feedback
            .items
            .iter()
            .map(FeedbackView::new)
            .collect::<Result<_, _>>()?,
        growth: feedback.growth,
    }))
}
