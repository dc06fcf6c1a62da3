//! Pairs of a programme: the list with early ends and completion, pairing
//! by hand with suggestions, and the list for the order (CSV, XLSX).

use super::runs::{Choice, notice};
use super::{Chrome, Ctx, FormData, PageError, ROOT, id, page, query, see_other};
use crate::service::auth::Permission;
use crate::service::pairs::{self, Closing, END_REASONS, NamedPair};
use crate::service::runs;
use crate::store::{PageRequest, PairFilter};
use actix_web::web::Path;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

/// A pair in the list.
struct PairLine {
    id: String,
    mentor: String,
    mentee: String,
    status: &'static str,
    status_code: String,
    started_on: String,
    ended_on: String,
    end_reason: String,
}

fn line(ctx: &Ctx, p: &NamedPair) -> PairLine {
    let r = &p.pair;
    PairLine {
        id: r.id.clone(),
        mentor: p.mentor.clone(),
        mentee: p.mentee.clone(),
        status: ctx.t.pair_status(&r.status),
        status_code: r.status.clone(),
        started_on: super::when(ctx.t, &r.started_on),
        ended_on: r
            .ended_on
            .as_deref()
            .map(|d| super::when(ctx.t, d))
            .unwrap_or_default(),
        end_reason: match (&r.end_reason, &r.end_note) {
            (Some(code), Some(note)) => format!("{} ({note})", ctx.t.end_reason(code)),
            (Some(code), None) => ctx.t.end_reason(code).to_owned(),
            _ => String::new(),
        },
    }
}

#[derive(Template)]
#[template(path = "pairs.html")]
struct PairsPage {
    c: Chrome,
    programme_id: String,
    programme_name: String,
    pairs: Vec<PairLine>,
    status: String,
    statuses: Vec<Choice>,
    reasons: Vec<Choice>,
    next: Option<String>,
    decide: bool,
    lang: &'static str,
}

/// `GET /ui/programmes/{id}/pairs?status=&after=`.
pub async fn list(
    ctx: Ctx,
    path: Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    ctx.require(Permission::ReadPairs)?;
    let programme_id = id(&path)?;
    let store = ctx.state.store.as_ref();
    let (programme, _) = runs::programme_access(store, ctx.scope(), programme_id.as_str()).await?;
    let q = query(&req);
    let status = q
        .text("status")
        .filter(|s| ["active", "completed", "ended"].contains(s))
        .map(str::to_owned);
    let filter = PairFilter {
        programme_id: Some(programme_id.to_string()),
        status: status.clone(),
        ..Default::default()
    };
    let page_request = PageRequest {
        limit: 100,
        after: q
            .text("after")
            .and_then(|a| crate::domain::Id::parse(a).ok())
            .map(|a| a.to_string()),
    };
    let (found, next) = pairs::list_named(store, ctx.scope(), &filter, &page_request).await?;
    let t = ctx.t;
    let next = next.map(|n| {
        format!(
            "{ROOT}/programmes/{programme_id}/pairs?after={n}{}",
            status
                .as_deref()
                .map(|s| format!("&status={s}"))
                .unwrap_or_default()
        )
    });
    let mut c = ctx.chrome(format!("{} · {}", t.pairs_title, programme.name));
    c.notice = notice(&ctx, &req);
    page(&PairsPage {
        c,
        programme_id: programme_id.to_string(),
        programme_name: programme.name.clone(),
        pairs: found.iter().map(|p| line(&ctx, p)).collect(),
        status: status.unwrap_or_default(),
        statuses: ["active", "completed", "ended"]
            .into_iter()
            .map(|s| Choice {
                value: s.into(),
                label: t.pair_status(s).into(),
            })
            .collect(),
        reasons: END_REASONS
            .iter()
            .map(|r| Choice {
                value: (*r).into(),
                label: t.end_reason(r).into(),
            })
            .collect(),
        next,
        decide: ctx.may(Permission::DecidePairs),
        lang: t.html_lang,
    })
}

/// Where to go back to after closing a pair: its programme's list.
async fn back_to_list(ctx: &Ctx, pair_id: &str) -> String {
    match ctx.state.store.get_pair(ctx.scope(), pair_id).await {
        Ok(Some(p)) => format!("{ROOT}/programmes/{}/pairs?done=closed", p.programme_id),
        _ => format!("{ROOT}/programmes"),
    }
}

/// `POST /ui/pairs/{id}/complete` with `csrf`.
pub async fn complete(
    ctx: Ctx,
    path: Path<String>,
    form: FormData,
) -> Result<HttpResponse, PageError> {
    ctx.check_csrf(&form)?;
    ctx.require(Permission::DecidePairs)?;
    let pair_id = id(&path)?;
    pairs::close(
        ctx.state.store.as_ref(),
        ctx.scope(),
        pair_id.as_str(),
        Closing::Completed,
        &ctx.actor(),
    )
    .await?;
    Ok(see_other(&back_to_list(&ctx, pair_id.as_str()).await))
}

/// `POST /ui/pairs/{id}/end` with `csrf`, `reason` and `note`.
pub async fn end(ctx: Ctx, path: Path<String>, form: FormData) -> Result<HttpResponse, PageError> {
    ctx.check_csrf(&form)?;
    ctx.require(Permission::DecidePairs)?;
    let pair_id = id(&path)?;
    let mut body = serde_json::json!({ "reason": form.text("reason").unwrap_or_default() });
    if let Some(note) = form.text("note") {
        body["note"] = note.into();
    }
    let closing = Closing::parse_end(&body).map_err(|errors| {
        PageError::Invalid(
            errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; "),
        )
    })?;
    let pair = pairs::close(
        ctx.state.store.as_ref(),
        ctx.scope(),
        pair_id.as_str(),
        closing,
        &ctx.actor(),
    )
    .await?;
    tracing::info!(pair_id = %pair_id, reason = ?pair.end_reason, key_id = %ctx.principal().key_id, "pair ended early from the pages");
    Ok(see_other(&back_to_list(&ctx, pair_id.as_str()).await))
}

/// A mentee to choose when pairing by hand.
struct MenteeChoice {
    id: String,
    name: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "pair_by_hand.html")]
struct HandPage {
    c: Chrome,
    programme_id: String,
    programme_name: String,
    mentees: Vec<MenteeChoice>,
    mentee_id: String,
    suggestions: Vec<super::proposals::Alternative>,
}

/// `GET /ui/programmes/{id}/pair?mentee_id=`: the mentees the last run
/// left waiting, and for the chosen one the mentors it scored best.
pub async fn by_hand(
    ctx: Ctx,
    path: Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    ctx.require(Permission::DecidePairs)?;
    let programme_id = id(&path)?;
    let store = ctx.state.store.as_ref();
    let (programme, _) = runs::programme_access(store, ctx.scope(), programme_id.as_str()).await?;
    let chosen = query(&req)
        .text("mentee_id")
        .and_then(|m| crate::domain::Id::parse(m).ok())
        .map(|m| m.to_string())
        .unwrap_or_default();
    let latest =
        runs::latest_done_run(store, ctx.scope(), programme_id.as_str(), Some(false), 50).await?;
    let mut mentees = Vec::new();
    let mut suggestions = Vec::new();
    if let Some(run) = &latest {
        let (waiting, _) = super::runs::waiting_lines(&ctx, &run.record.id).await?;
        mentees = waiting
            .into_iter()
            .map(|w| MenteeChoice {
                selected: w.id == chosen,
                id: w.id,
                name: w.name,
            })
            .collect();
        if !chosen.is_empty() {
            let found =
                runs::alternatives(store, ctx.scope(), &run.record.id, &chosen, "", 5).await?;
            let ids: Vec<String> = found.iter().map(|(m, _)| m.clone()).collect();
            let profiles = runs::mentor_profiles(store, &ids).await?;
            suggestions = found
                .into_iter()
                .map(|(mentor_id, score)| super::proposals::Alternative {
                    name: profiles
                        .get(&mentor_id)
                        .map_or_else(|| mentor_id.clone(), |m| m.person.full_name.clone()),
                    mentor_id,
                    score: format!("{score:.3}"),
                })
                .collect();
        }
    }
    if !chosen.is_empty() && !mentees.iter().any(|m| m.id == chosen) {
        mentees.push(MenteeChoice {
            id: chosen.clone(),
            name: chosen.clone(),
            selected: true,
        });
    }
    page(&HandPage {
        c: ctx.chrome(format!("{} · {}", ctx.t.hand_title, programme.name)),
        programme_id: programme_id.to_string(),
        programme_name: programme.name.clone(),
        mentees,
        mentee_id: chosen,
        suggestions,
    })
}

/// `POST /ui/programmes/{id}/pairs` with `csrf`, `mentor_id`,
/// `mentee_id`, and `override_rejection` with `reason` when needed.
pub async fn make(ctx: Ctx, path: Path<String>, form: FormData) -> Result<HttpResponse, PageError> {
    ctx.check_csrf(&form)?;
    ctx.require(Permission::DecidePairs)?;
    let programme_id = id(&path)?;
    let mut body = serde_json::json!({
        "mentor_id": form.text("mentor_id").unwrap_or_default(),
        "mentee_ids": form.all("mentee_id").iter().map(|m| m.trim()).filter(|m| !m.is_empty()).collect::<Vec<_>>(),
    });
    if form.get("override_rejection").is_some() {
        body["override_rejection"] = true.into();
        if let Some(reason) = form.text("reason") {
            body["reason"] = reason.into();
        }
    }
    let made = pairs::pair_by_hand(
        ctx.state.store.as_ref(),
        ctx.scope(),
        programme_id.as_str(),
        &body,
        &ctx.actor(),
    )
    .await?;
    tracing::info!(programme_id = %programme_id, pairs = made.len(), key_id = %ctx.principal().key_id, "pairs made by hand from the pages");
    Ok(see_other(&format!(
        "{ROOT}/programmes/{programme_id}/pairs?done=paired"
    )))
}

/// `GET /ui/programmes/{id}/pairs.csv?lang=`: the list for the order,
/// exactly as the API exports it (and audited alike).
pub async fn order_csv(
    ctx: Ctx,
    path: Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    Ok(crate::http::pairs::order_csv(&ctx.state, &ctx.caller(), path.as_str(), &req).await?)
}

/// `GET /ui/programmes/{id}/pairs.xlsx?lang=`.
pub async fn order_xlsx(
    ctx: Ctx,
    path: Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    Ok(crate::http::pairs::order_xlsx(&ctx.state, &ctx.caller(), path.as_str(), &req).await?)
}
