//! Runs and proposals: `/api/v1/programmes/{id}/runs`, `/api/v1/runs`,
//! `/api/v1/proposals`.

use super::AppState;
use super::extract::{Caller, JsonBody, NoQuery, QueryParams, json_body, path_id};
use super::pairs::pair_view;
use super::privacy;
use super::problem::{ApiError, Problem};
use crate::domain::FieldError;
use crate::matching::explain::Lang;
use crate::service::auth::Permission;
use crate::service::runs::{self, RunError};
use crate::store::PairRequest;
use actix_web::http::header;
use actix_web::web::{Bytes, Data, Path};
use actix_web::{HttpRequest, HttpResponse, get, post};
use serde_json::json;
use std::time::{Duration, Instant};

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
        }
    }
}

fn optional_body(body: &Bytes) -> Result<Option<serde_json::Value>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        Ok(None)
    } else {
        json_body(body).map(Some)
    }
}

/// Masks a run (or a comparison) for the caller: see
/// [`privacy::mask_run_for`].
async fn mask_for(
    state: &AppState,
    principal: &crate::service::auth::Principal,
    view: &mut serde_json::Value,
) -> Result<(), ApiError> {
    privacy::mask_run_for(state, principal, view).await?;
    Ok(())
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
    request_body(content = serde_json::Value, description = "{weights?, objective?, dry_run?}"),
    responses(
        (status = 202, description = "Queued", body = serde_json::Value),
        (status = 404, description = "No such programme in your scope", body = Problem, content_type = "application/problem+json"),
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
    let dry_run = body
        .as_ref()
        .and_then(|b| b.get("dry_run"))
        .is_some_and(|v| v == &json!(true) || v == &json!("true"));
    let principal = caller.require(if dry_run {
        Permission::StartDryRuns
    } else {
        Permission::StartRuns
    })?;
    let id = path_id(&id)?;
    let record = runs::start_run(
        state.store.as_ref(),
        &principal.scope,
        &caller.actor(),
        id.as_str(),
        body.as_ref(),
    )
    .await?;
    tracing::info!(run_id = %record.id, programme_id = %id, dry_run = record.dry_run, key_id = %principal.key_id, "run queued");
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, format!("/api/v1/runs/{}", record.id)))
        .json(runs::run_view(&record, &[], Lang::En)))
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
    responses((status = 200, description = "A page of runs, newest first (without proposals)", body = serde_json::Value)),
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
    // A wider programme's runs are listed whole (without proposals) to
    // the organisations it pairs people of.
    let (_, access) =
        runs::programme_access(state.store.as_ref(), &principal.scope, id.as_str()).await?;
    let scope = match access {
        runs::Access::Whole => principal.scope.clone(),
        runs::Access::OwnMentees => crate::store::Scope::All,
    };
    let (records, next) = state.store.list_runs(&scope, id.as_str(), &page).await?;
    let items: Vec<_> = records
        .iter()
        .map(|r| {
            let mut view = runs::run_view(r, &[], Lang::En);
            if let Some(object) = view.as_object_mut() {
                object.remove("proposals");
                object.remove("unmatched");
                object.remove("ineligible");
            }
            view
        })
        .collect();
    Ok(HttpResponse::Ok().json(super::documents::ListPage { items, next }))
}

/// A run: status and progress; when done, the weights used, statistics,
/// every proposal with its score and breakdown, and every unmatched mentee
/// with the reason. `?wait=N` waits up to N seconds (at most 60) for it to
/// finish. Texts follow `?lang=` or `Accept-Language` (English by default).
#[utoipa::path(
    tag = "runs",
    params(("id" = String, Path), ("wait" = Option<u64>, Query), ("lang" = Option<String>, Query)),
    responses((status = 200, description = "The run", body = serde_json::Value)),
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
    let deadline = Instant::now() + Duration::from_secs(wait);
    loop {
        let (record, access) =
            runs::run_access(state.store.as_ref(), &principal.scope, id.as_str()).await?;
        let finished = matches!(record.status.as_str(), "done" | "failed");
        if finished || Instant::now() >= deadline {
            let proposals = if record.status == "done" {
                state.store.run_proposals(&record.id).await?
            } else {
                Vec::new()
            };
            let mut view = runs::run_view(&record, &proposals, lang);
            if access == runs::Access::OwnMentees {
                runs::keep_own_mentees(state.store.as_ref(), &principal.scope, &mut view).await?;
            }
            mask_for(&state, principal, &mut view).await?;
            return Ok(HttpResponse::Ok().json(view));
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// The run's score matrix as CSV: a header of mentor ids, a row per
/// eligible mentee (its id first), an empty cell where a hard rule forbids
/// the pair. `mentor-match solve` reads this file.
#[utoipa::path(
    tag = "runs",
    params(("id" = String, Path)),
    responses(
        (status = 200, description = "The matrix", body = String, content_type = "text/csv"),
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
    let csv = state
        .store
        .run_scores(&principal.scope, id.as_str())
        .await?
        .ok_or_else(|| ApiError::Conflict("the run is not done yet".into()))?;
    let csv = if principal.role == crate::service::auth::Role::Analyst {
        privacy::Pseudonyms::load(&state).await?.apply_csv(&csv)
    } else {
        csv
    };
    // Ids may start with `-` or `@`; neutralised after pseudonymising so
    // that pseudonyms are computed from the ids themselves.
    let csv = super::csv_cells::plain_csv(&csv);
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"run-{id}-scores.csv\""),
        ))
        .body(csv))
}

/// What changed between two runs of one programme: coverage, score
/// statistics, pairs kept, added and dropped.
#[utoipa::path(
    tag = "runs",
    params(("a" = String, Path), ("b" = String, Path)),
    responses((status = 200, description = "The comparison", body = serde_json::Value)),
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
    let load = |id: String| {
        let state = state.clone();
        let scope = principal.scope.clone();
        async move {
            let id = path_id(&id)?;
            let record = state
                .store
                .get_run(&scope, id.as_str())
                .await?
                .ok_or(ApiError::NotFound)?;
            let proposals = state.store.run_proposals(&record.id).await?;
            Ok::<_, ApiError>((record, proposals))
        }
    };
    let (ra, pa) = load(a).await?;
    let (rb, pb) = load(b).await?;
    let mut view = runs::compare(&ra, &pa, &rb, &pb)?;
    mask_for(&state, principal, &mut view).await?;
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
        (status = 200, description = "The new pairs", body = serde_json::Value),
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
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::DecidePairs)?;
    let id = path_id(&id)?;
    let (proposal, run) =
        runs::proposal_access(state.store.as_ref(), &principal.scope, id.as_str()).await?;
    if run.dry_run {
        return Err(ApiError::Conflict(
            "proposals of a dry run cannot be approved".into(),
        ));
    }
    if proposal.status != "proposed" {
        return Err(ApiError::Conflict(format!(
            "the proposal is already {}",
            proposal.status
        )));
    }
    let doc: runs::ProposalDoc = serde_json::from_str(&proposal.doc)
        .map_err(|e| ApiError::Internal(format!("stored proposal unreadable: {e}")))?;
    let programme = runs::programme_in_scope(
        state.store.as_ref(),
        &crate::store::Scope::All,
        &proposal.programme_id,
    )
    .await?;
    let request = PairRequest {
        programme_id: proposal.programme_id.clone(),
        mentor_id: proposal.mentor_id.clone(),
        mentee_ids: proposal.mentee_ids.clone(),
        started_on: started_on(&programme),
        snapshot: Some(doc.seen_profiles()),
        proposal_id: Some(proposal.id.clone()),
        override_rejection: None,
    };
    let pairs = state.store.make_pairs(&request, &caller.actor()).await?;
    tracing::info!(proposal_id = %id, pairs = pairs.len(), key_id = %principal.key_id, "proposal approved");
    Ok(HttpResponse::Ok().json(json!({"pairs": pairs.iter().map(pair_view).collect::<Vec<_>>()})))
}

/// The day new pairs start: today, but not before the programme's period.
pub fn started_on(programme: &crate::domain::Programme) -> String {
    let today = time::OffsetDateTime::now_utc().date();
    crate::domain::parse::format_date(today.max(programme.period.start))
}

/// Reject a proposal, with a reason: the pair is never proposed again in
/// this programme.
#[utoipa::path(
    tag = "proposals",
    params(("id" = String, Path)),
    request_body(content = serde_json::Value, description = "{reason}"),
    responses((status = 204, description = "Rejected")),
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
    let body = json_body(&body)?;
    let mut r = crate::domain::FieldReader::object(&body, "").map_err(ApiError::Invalid)?;
    let reason = r.text("reason", 1000);
    let errors = r.finish();
    let reason = match (errors.is_empty(), reason) {
        (true, Some(reason)) if !reason.is_empty() => reason,
        _ if errors.is_empty() => {
            return Err(ApiError::Invalid(vec![FieldError::new(
                "reason",
                "is required",
            )]));
        }
        _ => return Err(ApiError::Invalid(errors)),
    };
    // Access is decided here (a wider programme's proposal of one's own
    // mentees is one's to decide); the store then acts on it.
    runs::proposal_access(state.store.as_ref(), &principal.scope, id.as_str()).await?;
    state
        .store
        .reject_proposal(
            &crate::store::Scope::All,
            id.as_str(),
            &reason,
            &caller.actor(),
        )
        .await?;
    tracing::info!(proposal_id = %id, key_id = %principal.key_id, "proposal rejected");
    Ok(HttpResponse::NoContent().finish())
}

/// Readiness before matching: demand and supply per organisation and
/// mentee category — eligible mentees, mentees a hard rule blocks (by
/// rule), mentees waiting for consent, mentors available with their free
/// places (tutors apart), mentors waiting for consent or training. Counts
/// only.
#[utoipa::path(
    tag = "runs",
    params(("id" = String, Path, description = "Programme id")),
    responses((status = 200, description = "Readiness", body = serde_json::Value)),
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
    let view = runs::readiness(state.store.as_ref(), &principal.scope, id.as_str()).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// A histogram of the run's pair scores (SVG, no JavaScript).
#[utoipa::path(
    tag = "runs",
    params(("id" = String, Path)),
    responses((status = 200, description = "SVG", body = String, content_type = "image/svg+xml")),
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
    let record = state
        .store
        .get_run(&principal.scope, id.as_str())
        .await?
        .ok_or(ApiError::NotFound)?;
    if record.status != "done" {
        return Err(ApiError::Conflict("the run is not done yet".into()));
    }
    let proposals = state.store.run_proposals(&record.id).await?;
    let mut scores = Vec::new();
    for p in &proposals {
        if let Ok(doc) = serde_json::from_str::<runs::ProposalDoc>(&p.doc) {
            if doc.proposal.members.is_empty() {
                scores.push(doc.proposal.score);
            } else {
                scores.extend(doc.proposal.members.iter().map(|m| m.score));
            }
        }
    }
    let svg = crate::http::charts::score_histogram(&record.id, &scores, language.0);
    Ok(HttpResponse::Ok().content_type("image/svg+xml").body(svg))
}

/// Sensitivity of a programme's matching to its weights: for each
/// criterion, how many of today's proposed pairs change when its weight
/// moves ±25% (counts only).
#[utoipa::path(
    tag = "runs",
    params(("id" = String, Path, description = "Programme id")),
    responses((status = 200, description = "Per criterion, pairs changed at −25% and +25%", body = serde_json::Value)),
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
/// past evidence, not just found different.
#[utoipa::path(
    tag = "runs",
    params(("id" = String, Path, description = "Programme id")),
    responses((status = 200, description = "Per weight profile", body = serde_json::Value)),
    security(("bearer" = []))
)]
#[get("/programmes/{id}/outcomes")]
pub async fn outcomes(
    state: Data<AppState>,
    caller: Caller,
    _query: NoQuery,
    id: Path<String>,
) -> Result<HttpResponse, ApiError> {
    let principal = caller.require(Permission::ReadRuns)?;
    let id = path_id(&id)?;
    Ok(HttpResponse::Ok()
        .json(runs::outcomes(state.store.as_ref(), &principal.scope, id.as_str()).await?))
}
