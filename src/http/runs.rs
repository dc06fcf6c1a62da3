//! Runs and proposals: `/api/v1/programmes/{id}/runs`, `/api/v1/runs`,
//! `/api/v1/proposals`.

use super::AppState;
use super::extract::{Caller, JsonBody, NoQuery, QueryParams, json_body, path_id};
use super::privacy;
use super::problem::{ApiError, Problem};
use super::views::pairs::{MadePairs, PairView};
use super::views::runs::{
    Comparison, Readiness, RejectRequest, RunPage, RunSummary, RunView, Sensitivity,
    StartRunRequest, WeightOutcomes, WhatIfRequest,
};
use crate::domain::FieldError;
use crate::matching::explain::Lang;
use crate::service::auth::{Permission, Role};
use crate::service::runs::{self, RunError};
use actix_web::http::header;
use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse, delete, get, post};
use std::time::Duration;

/// Longest `?wait=` honoured, in seconds.
pub const MAX_WAIT_SECONDS: u64 = 60;

/// The language of texts: `?lang=ru|en`, else `Accept-Language`, else English.
pub fn language(req: &HttpRequest, query: &QueryParams) -> Result<Lang, ApiError> {
    if let Some(raw) = query.get("lang") {
        return Lang::parse(raw)
            .ok_or_else(|| ApiError::Invalid(vec![FieldError::new("lang", "must be en or ru")]));
    }
    Ok(super::i18n::accept_language(req))
}

impl From<RunError> for ApiError {
    fn from(err: RunError) -> Self {
        match err {
            RunError::Invalid(errors) => ApiError::Invalid(errors),
            RunError::NotFound => ApiError::NotFound,
            RunError::Conflict(detail) => ApiError::Conflict(detail),
            RunError::Store(store) => store.into(),
            // The cause is logged when the problem is rendered; the client
            // gets a plain 500.
            RunError::Internal(cause) => ApiError::Internal(cause),
        }
    }
}

/// An optional JSON body: none, whitespace or `null` all mean "no options".
fn optional_body(body: &Bytes) -> Result<Option<serde_json::Value>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    Ok(Some(json_body(body)?).filter(|value| !value.is_null()))
}

/// Start a run of a programme.
///
/// Considers the programme's eligible, still unpaired mentees and the
/// mentors with places left; keeps approved pairs; never proposes rejected
/// pairs or pairs that ended early. Body (all optional): `weights` (over
/// the programme's, for this run), `objective` (`total` | `fair`),
/// `dry_run` (stored and comparable, but not approvable). Answers `202`;
/// follow `Location` (add `?wait=30` to wait for the result).
#[utoipa::path(
    tag = "runs",
    params(("id" = String, Path, description = "Programme id")),
    request_body(content = Option<StartRunRequest>, description = "Run options, all optional; an empty body is fine"),
    responses(
        (status = 202, description = "Queued; `Location` names the run", body = RunView,
            headers(("Location" = String, description = "The run"))),
        (status = 404, description = "No such programme in your scope", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad options, each named", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/programmes/{id}/runs")]
pub async fn start_run(
    state: Data<AppState>,
    caller: Caller,
    _query: NoQuery,
    id: Path<String>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let body = optional_body(&body)?;
    // The permission depends on the body; the options are parsed (and
    // every bad one named) by the service.
    let dry_run = body
        .as_ref()
        .and_then(|b| b.get("dry_run"))
        .is_some_and(|v| v.as_bool() == Some(true) || v.as_str() == Some("true"));
    let principal = caller.require(if dry_run {
        Permission::StartDryRuns
    } else {
        Permission::StartRuns
    })?;
    let id = path_id(&id)?;
    let detail = runs::start_run(
        state.store.as_ref(),
        &principal.scope,
        &caller.actor(),
        id.as_str(),
        body.as_ref(),
    )
    .await?;
    tracing::info!(run_id = %detail.record.id, programme_id = %id, dry_run = detail.record.dry_run, key_id = %principal.key_id, "run queued");
    Ok(HttpResponse::Accepted()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/runs/{}", detail.record.id),
        ))
        .json(RunView::new(&detail, Lang::En)?))
}

/// Solves the stored inputs of a done run again with other settings, as
/// a new dry run: an analyst compares weights or objectives on the very
/// same data. Body (all optional): `weights` (over those the run used),
/// `objective` (the run's by default). Answers `202`; follow `Location`,
/// then compare the two runs.
#[utoipa::path(
    tag = "runs",
    params(("id" = String, Path, description = "The run whose inputs are solved again")),
    request_body(content = Option<WhatIfRequest>, description = "Settings, all optional; an empty body is fine"),
    responses(
        (status = 202, description = "Queued; `Location` names the what-if run", body = RunView,
            headers(("Location" = String, description = "The run"))),
        (status = 404, description = "No such run in your scope", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The run is not done, or keeps no inputs", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad settings, each named", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/runs/{id}/what-if")]
pub async fn what_if(
    state: Data<AppState>,
    caller: Caller,
    _query: NoQuery,
    id: Path<String>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let body = optional_body(&body)?;
    let principal = caller.require(Permission::StartDryRuns)?;
    let id = path_id(&id)?;
    let detail = runs::start_what_if(
        state.store.as_ref(),
        &principal.scope,
        &caller.actor(),
        id.as_str(),
        body.as_ref(),
    )
    .await?;
    tracing::info!(run_id = %detail.record.id, inputs_of = %id, key_id = %principal.key_id, "what-if run queued");
    Ok(HttpResponse::Accepted()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/runs/{}", detail.record.id),
        ))
        .json(RunView::new(&detail, Lang::En)?))
}

/// Deletes a finished dry run and its proposals. Other runs are kept
/// (pairs and decisions refer to them) until the retention policy prunes
/// them.
#[utoipa::path(
    tag = "runs",
    params(("id" = String, Path)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such run in your scope", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not a dry run, or not finished", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[delete("/runs/{id}")]
pub async fn delete_run(
    state: Data<AppState>,
    caller: Caller,
    _query: NoQuery,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::StartDryRuns)?;
    let id = path_id(&id)?;
    runs::delete_run(
        state.store.as_ref(),
        &principal.scope,
        &caller.actor(),
        id.as_str(),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The runs of a programme, newest first, a page at a time: `{items,
/// next}`; pass `next` as `after` for the following page.
#[utoipa::path(
    tag = "runs",
    params(
        ("id" = String, Path, description = "Programme id"),
        ("limit" = Option<u32>, Query, description = "Page size, 1..1000 (default 100)"),
        ("after" = Option<String>, Query, description = "Last run id of the previous page"),
    ),
    responses(
        (status = 200, description = "A page of runs, newest first (without proposals)", body = RunPage),
        (status = 404, description = "No such programme in your scope", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad paging", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/programmes/{id}/runs")]
pub async fn list_runs(
    state: Data<AppState>,
    caller: Caller,
    id: Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::ReadRuns)?;
    let page = QueryParams::parse(&req, &["limit", "after"])?.page()?;
    let id = path_id(&id)?;
    let (details, next) =
        runs::list_runs(state.store.as_ref(), &principal.scope, id.as_str(), &page).await?;
    let items = details
        .iter()
        .map(RunSummary::new)
        .collect::<Result<_, _>>()?;
    Ok(HttpResponse::Ok().json(RunPage { items, next }))
}

/// A run: status and progress; when done, the weights used, statistics,
/// every proposal with its score and breakdown, and every unmatched mentee
/// with the reason. `?wait=N` waits up to N seconds (at most 60) for it to
/// finish. Texts follow `?lang=` or `Accept-Language` (English by default).
/// Proposals name their people for callers who may read names.
#[utoipa::path(
    tag = "runs",
    params(
        ("id" = String, Path),
        ("wait" = Option<u64>, Query, description = "Seconds to wait for the run to finish, at most 60"),
        ("lang" = Option<String>, Query, description = "`en` or `ru`"),
    ),
    responses(
        (status = 200, description = "The run", body = RunView),
        (status = 404, description = "No such run in your scope", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad `wait` or `lang`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/runs/{id}")]
pub async fn get_run(
    state: Data<AppState>,
    caller: Caller,
    id: Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::ReadRuns)?;
    let query = QueryParams::parse(&req, &["wait", "lang"])?;
    let lang = language(&req, &query)?;
    let wait = match query.get("wait") {
        None => 0,
        Some(raw) => raw.parse::<u64>().map_err(|_| {
            ApiError::Invalid(vec![FieldError::new(
                "wait",
                "must be a whole number of seconds",
            )])
        })?,
    }
    .min(MAX_WAIT_SECONDS);
    let id = path_id(&id)?;
    let detail = runs::wait_for_run(
        state.store.as_ref(),
        &principal.scope,
        id.as_str(),
        Duration::from_secs(wait),
        principal.role != Role::Analyst,
    )
    .await?;
    let mut view = RunView::new(&detail, lang)?;
    privacy::mask_run_for(&state, principal, &mut view).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// The run's score matrix as CSV: a header of mentor ids, a row per
/// eligible mentee (its id first), an empty cell where a hard rule forbids
/// the pair. `mentor-match solve` reads this file.
#[utoipa::path(
    tag = "runs",
    params(("id" = String, Path)),
    responses(
        (status = 200, description = "The matrix", body = String, content_type = "text/csv"),
        (status = 404, description = "No such run in your scope", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The run is not done", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/runs/{id}/scores")]
pub async fn run_scores(
    state: Data<AppState>,
    caller: Caller,
    _query: NoQuery,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::ReadRuns)?;
    let id = path_id(&id)?;
    let matrix =
        runs::run_score_matrix(state.store.as_ref(), &principal.scope, id.as_str()).await?;
    let pseudonyms = if principal.role == Role::Analyst {
        Some(privacy::Pseudonyms::load(&state).await?)
    } else {
        None
    };
    // Ids may start with `-` or `@`; neutralised after pseudonymising so
    // that pseudonyms are computed from the ids themselves.
    let edit = move |part: &str, with_header: bool| {
        let part = match &pseudonyms {
            Some(p) => p.apply_csv_part(part, with_header),
            None => part.to_owned(),
        };
        super::csv_cells::plain_csv(&part)
    };
    let body = super::streamed::lines(move |out| matrix.write_csv(out), edit);
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"run-{id}-scores.csv\""),
        ))
        .streaming(body))
}

/// What changed between two runs of one programme: coverage, score
/// statistics, pairs kept, added and dropped.
#[utoipa::path(
    tag = "runs",
    params(("a" = String, Path), ("b" = String, Path)),
    responses(
        (status = 200, description = "The comparison", body = Comparison),
        (status = 404, description = "No such run in your scope", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A run is not done, or the runs belong to different programmes", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/runs/{a}/compare/{b}")]
pub async fn compare_runs(
    state: Data<AppState>,
    caller: Caller,
    _query: NoQuery,
    ids: Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::ReadRuns)?;
    let (a, b) = ids.into_inner();
    let (a, b) = (path_id(&a)?, path_id(&b)?);
    let mut view = runs::compare_runs(
        state.store.as_ref(),
        &principal.scope,
        a.as_str(),
        b.as_str(),
    )
    .await?;
    privacy::mask_comparison_for(&state, principal, &mut view).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Approve a proposal: its pair or group becomes active.
///
/// Re-checks inside one transaction that the mentor still has places, the
/// mentees are still unpaired in the programme and have consent, and that
/// nobody's profile changed since the run; otherwise `409` with the reason
/// and nothing changes. Proposals of dry runs cannot be approved.
#[utoipa::path(
    tag = "proposals",
    params(("id" = String, Path)),
    responses(
        (status = 200, description = "The new pairs", body = MadePairs),
        (status = 404, description = "No such proposal in your scope", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Cannot be approved now; the reason says why", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/proposals/{id}/approve")]
pub async fn approve(
    state: Data<AppState>,
    caller: Caller,
    _query: NoQuery,
    id: Path<String>,
    language: super::i18n::Language,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::DecidePairs)?;
    let id = path_id(&id)?;
    let pairs = runs::approve_proposal(
        state.store.as_ref(),
        &principal.scope,
        &caller.actor(),
        id.as_str(),
    )
    .await?;
    tracing::info!(proposal_id = %id, pairs = pairs.len(), key_id = %principal.key_id, "proposal approved");
    Ok(HttpResponse::Ok().json(MadePairs {
        pairs: PairView::all(&pairs, language.0)?,
    }))
}

/// Reject a proposal, with a reason: the pair is never proposed again in
/// this programme.
#[utoipa::path(
    tag = "proposals",
    params(("id" = String, Path)),
    request_body(content = RejectRequest),
    responses(
        (status = 204, description = "Rejected"),
        (status = 404, description = "No such proposal in your scope", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The proposal is already decided", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No reason, or a bad one", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[post("/proposals/{id}/reject")]
pub async fn reject(
    state: Data<AppState>,
    caller: Caller,
    _query: NoQuery,
    id: Path<String>,
    body: JsonBody,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::DecidePairs)?;
    let id = path_id(&id)?;
    let reason = reject_reason(&json_body(&body)?)?;
    runs::reject_proposal(
        state.store.as_ref(),
        &principal.scope,
        &caller.actor(),
        id.as_str(),
        &reason,
    )
    .await?;
    tracing::info!(proposal_id = %id, key_id = %principal.key_id, "proposal rejected");
    Ok(HttpResponse::NoContent().finish())
}

/// Reads `{reason}` ([`RejectRequest`]): required, 1 to 1000 characters.
fn reject_reason(body: &serde_json::Value) -> Result<String, ApiError> {
    let mut r = crate::domain::FieldReader::object(body, "").map_err(ApiError::Invalid)?;
    let reason = r.text("reason", 1000);
    let errors = r.finish();
    match (errors.is_empty(), reason) {
        (true, Some(reason)) if !reason.is_empty() => Ok(reason),
        _ if errors.is_empty() => Err(ApiError::Invalid(vec![FieldError::new(
            "reason",
            "is required",
        )])),
        _ => Err(ApiError::Invalid(errors)),
    }
}

/// Readiness before matching: demand and supply per organisation and
/// mentee category — eligible mentees, mentees a hard rule blocks (by
/// rule), mentees waiting for consent, mentors available with their free
/// places (tutors apart), mentors waiting for consent or training. Counts
/// only. Counts of pupils with special needs or on a prevention register
/// that your key may not read are `null` when 1–4 (`suppressed` says
/// `below_threshold`), and other counts are `null` as `complementary`
/// where a total would give them back by subtraction.
#[utoipa::path(
    tag = "runs",
    params(("id" = String, Path, description = "Programme id")),
    responses(
        (status = 200, description = "Readiness", body = Readiness),
        (status = 404, description = "No such programme in your scope", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/programmes/{id}/readiness")]
pub async fn readiness(
    state: Data<AppState>,
    caller: Caller,
    _query: NoQuery,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::ReadRuns)?;
    let id = path_id(&id)?;
    let counts = runs::readiness(state.store.as_ref(), &principal.scope, id.as_str()).await?;
    let view = crate::service::readiness::disclose(counts, |org| {
        privacy::reads_sensitive_of(principal, org)
    });
    Ok(HttpResponse::Ok().json(view))
}

/// A histogram of the run's pair scores (SVG, no JavaScript).
#[utoipa::path(
    tag = "runs",
    params(("id" = String, Path)),
    responses(
        (status = 200, description = "SVG", body = String, content_type = "image/svg+xml"),
        (status = 404, description = "No such run in your scope", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The run is not done", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/runs/{id}/scores.svg")]
pub async fn score_histogram(
    state: Data<AppState>,
    caller: Caller,
    _query: NoQuery,
    id: Path<String>,
    language: super::i18n::Language,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::ReadRuns)?;
    let id = path_id(&id)?;
    let scores = runs::run_pair_scores(state.store.as_ref(), &principal.scope, id.as_str()).await?;
    let svg = crate::http::charts::score_histogram(id.as_str(), &scores, language.0);
    Ok(HttpResponse::Ok().content_type("image/svg+xml").body(svg))
}

/// Sensitivity of a programme's matching to its weights: for each
/// criterion with a weight, its normalised weight moves ±25% and the
/// others are rescaled so the weights still sum to 1; each move reports
/// how many of today's proposed pairs change, the change in coverage and
/// in the lowest score, and the pairs and mentees it is over.
#[utoipa::path(
    tag = "runs",
    params(("id" = String, Path, description = "Programme id")),
    responses(
        (status = 200, description = "Per criterion, pairs changed, coverage and lowest score at −25% and +25%", body = Sensitivity),
        (status = 404, description = "No such programme in your scope", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/programmes/{id}/sensitivity")]
pub async fn sensitivity(
    state: Data<AppState>,
    caller: Caller,
    _query: NoQuery,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::ReadRuns)?;
    let id = path_id(&id)?;
    Ok(HttpResponse::Ok()
        .json(runs::sensitivity(state.store.as_ref(), &principal.scope, id.as_str()).await?))
}

/// Outcomes against weights: for the programme's finished pairs, how well
/// each version of its weights would have predicted how they went — the
/// rank correlation of score with growth, and the share of early endings
/// among the lowest-scored quarter — so a new profile can be judged on
/// past evidence, not just found different. Each statistic carries the
/// pairs it is over (`n`) and a 95% interval; below `min_finished_pairs`
/// it is null and its `note` says there are too few finished pairs to
/// tell (in the caller's language).
#[utoipa::path(
    tag = "runs",
    params(("id" = String, Path, description = "Programme id")),
    responses(
        (status = 200, description = "Per weight profile", body = WeightOutcomes),
        (status = 404, description = "No such programme in your scope", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/programmes/{id}/outcomes")]
pub async fn outcomes(
    state: Data<AppState>,
    caller: Caller,
    _query: NoQuery,
    id: Path<String>,
    language: super::i18n::Language,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::ReadRuns)?;
    let id = path_id(&id)?;
    let mut outcomes = runs::outcomes(state.store.as_ref(), &principal.scope, id.as_str()).await?;
    let translate = |note: &mut Option<String>| {
        if let Some(text) = note {
            *text = super::i18n::translate(text, language.0);
        }
    };
    for p in &mut outcomes.profiles {
        translate(&mut p.spearman_score_growth.note);
        translate(&mut p.early_end_share_lowest_quarter.note);
        translate(&mut p.early_end_share_others.note);
    }
    Ok(HttpResponse::Ok().json(outcomes))
}
