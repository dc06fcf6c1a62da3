//! Programmes in scope with their readiness, and one programme: who is
//! waiting and why, its runs, and what can be done next.

use super::runs::{RunLine, WaitingLine, run_line, waiting_lines};
use super::{Chrome, Ctx, PageError, id, page, query};
use crate::domain::{MenteeCategory, Programme};
use crate::http::privacy;
use crate::service::auth::Permission;
use crate::service::disclosure::Suppressed;
use crate::service::readiness::{Readiness, disclose};
use crate::service::runs;
use crate::store::{DocumentFilter, PageRequest};
use actix_web::web::Path;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use std::collections::BTreeMap;

/// One programme in the list.
struct ProgrammeCard {
    id: String,
    name: String,
    form: &'static str,
    period: String,
    summary: Vec<String>,
}

#[derive(Template)]
#[template(path = "programmes.html")]
struct ProgrammesPage {
    c: Chrome,
    items: Vec<ProgrammeCard>,
    next: Option<String>,
}

/// The readiness of a programme in a few words: "12 pupils with special
/// needs, 3 tutors with 5 free places" (categories only where the caller
/// may read them; none for analysts).
fn summary(ctx: &Ctx, r: &Readiness) -> Vec<String> {
    let t = ctx.t;
    let total = |n: Option<usize>, field: &str| count(ctx, n, r.totals.suppressed.get(field));
    let mut out = vec![
        format!(
            "{} {}",
            total(r.totals.mentees_eligible, "mentees_eligible"),
            t.eligible_mentees
        ),
        format!(
            "{} {}",
            total(r.totals.mentees_matchable_now, "mentees_matchable_now"),
            t.matchable_now
        ),
    ];
    if !ctx.is_analyst() {
        let special: usize = r
            .by_organization
            .iter()
            .filter(|o| privacy::reads_sensitive_of(ctx.principal(), &o.organization_id))
            .flat_map(|o| &o.mentees)
            .filter(|d| d.category == MenteeCategory::SpecialNeeds)
            .filter_map(|d| d.eligible)
            .sum();
        if special > 0 {
            out.push(format!("{special} {}", t.special_needs_pupils));
        }
    }
    let (tutors, tutor_places) = r
        .by_organization
        .iter()
        .filter_map(|o| o.mentors.as_ref())
        .fold((0, 0), |(n, p), s| {
            (n + s.tutors_available, p + s.tutor_free_places)
        });
    if tutors > 0 {
        out.push(format!(
            "{tutors} {} / {tutor_places} {}",
            t.tutors_word, t.with_free_places
        ));
    }
    out.push(format!(
        "{} {} / {} {}",
        r.totals.mentors_available, t.mentors_available, r.totals.mentor_free_places, t.free_places
    ));
    for (n, field, words) in [
        (
            r.totals.mentees_blocked_by_rules,
            "mentees_blocked_by_rules",
            t.blocked_by_rules,
        ),
        (
            r.totals.mentees_left_without_place,
            "mentees_left_without_place",
            t.left_without_place,
        ),
        (
            r.totals.mentees_waiting_for_consent,
            "mentees_waiting_for_consent",
            t.waiting_consent,
        ),
    ] {
        if n != Some(0) {
            out.push(format!("{} {words}", total(n, field)));
        }
    }
    out
}

/// A count as a page shows it: the number, or what stands for it when it
/// is hidden from the caller («< 5», «скрыто»).
fn count(ctx: &Ctx, n: Option<usize>, why: Option<&Suppressed>) -> String {
    match (n, why) {
        (Some(n), _) => n.to_string(),
        (None, why) => crate::http::i18n::suppressed_text(
            why.copied().unwrap_or(Suppressed::Complementary),
            ctx.t.lang,
        )
        .to_owned(),
    }
}

/// The mentees blocked by any rule in one row: the sum when every rule's
/// count is shown; when some are hidden, «< 5» if the only non-zero count
/// is one below the threshold, else «скрыто».
fn blocked(
    ctx: &Ctx,
    rules: &BTreeMap<crate::matching::rules::Rule, Option<usize>>,
    suppressed: &BTreeMap<String, Suppressed>,
) -> String {
    let hidden: Vec<Suppressed> = rules
        .keys()
        .filter_map(|rule| suppressed.get(&format!("blocked_by_rule.{}", rule.code())))
        .copied()
        .collect();
    let shown: usize = rules.values().flatten().sum();
    match hidden.as_slice() {
        [] => shown.to_string(),
        [one] if shown == 0 => count(ctx, None, Some(one)),
        _ => count(ctx, None, Some(&Suppressed::Complementary)),
    }
}

fn period(t: &super::texts::Texts, p: &Programme) -> String {
    format!(
        "{} — {}",
        super::when(t, &crate::domain::parse::format_date(p.period.start)),
        super::when(t, &crate::domain::parse::format_date(p.period.end))
    )
}

/// `GET /ui/programmes[?after=]`.
pub async fn list(ctx: Ctx, req: HttpRequest) -> Result<HttpResponse, PageError> {
    ctx.require(Permission::ReadProgrammes)?;
    let q = query(&req);
    let store = ctx.state.store.as_ref();
    let page_request = PageRequest {
        limit: 20,
        after: q.text("after").map(str::to_owned),
    };
    let found = runs::programmes_page(
        store,
        ctx.scope(),
        &DocumentFilter::default(),
        &page_request,
    )
    .await?;
    let mut items = Vec::new();
    for stored in &found.items {
        let programme: Programme = serde_json::from_str(&stored.doc)
            .map_err(|e| PageError::Internal(format!("stored programme unreadable: {e}")))?;
        // A wider programme seen from a school has no readiness of its
        // own here: its runs show the school's part.
        let readiness = if ctx.may(Permission::ReadRuns) {
            runs::readiness(store, ctx.scope(), programme.id.as_str())
                .await
                .ok()
                .map(|counts| {
                    disclose(counts, |org| {
                        privacy::reads_sensitive_of(ctx.principal(), org)
                    })
                })
        } else {
            None
        };
        items.push(ProgrammeCard {
            id: programme.id.to_string(),
            name: programme.name.clone(),
            form: ctx.t.form(&programme.form),
            period: period(ctx.t, &programme),
            summary: readiness.map(|r| summary(&ctx, &r)).unwrap_or_default(),
        });
    }
    page(&ProgrammesPage {
        c: ctx.chrome(ctx.t.programmes_title),
        items,
        next: found.next,
    })
}

/// A line of the readiness table.
struct ReadinessRow {
    organization: String,
    category: String,
    eligible: String,
    matchable: String,
    blocked: String,
    no_place: String,
    consent: String,
    paired: String,
}

/// A line of the mentors' supply.
struct SupplyRow {
    organization: String,
    available: usize,
    free: u32,
    tutors: usize,
    tutor_free: u32,
    consent: usize,
    training: usize,
}

#[derive(Template)]
#[template(path = "programme.html")]
struct ProgrammePage {
    c: Chrome,
    id: String,
    name: String,
    form: &'static str,
    period: String,
    summary: Vec<String>,
    rows: Vec<ReadinessRow>,
    /// Why some counts read «< 5» or «скрыто», when some do.
    suppressed_note: Option<&'static str>,
    supply: Vec<SupplyRow>,
    latest: Option<String>,
    waiting: Vec<WaitingLine>,
    not_considered: Vec<WaitingLine>,
    runs: Vec<RunLine>,
    may_start: bool,
    may_dry_run: bool,
    may_read_pairs: bool,
    /// Group limits: only the objectives that can form groups are offered.
    grouped: bool,
}

/// `GET /ui/programmes/{id}`.
pub async fn show(ctx: Ctx, path: Path<String>) -> Result<HttpResponse, PageError> {
    ctx.require(Permission::ReadRuns)?;
    let programme_id = id(&path)?;
    let store = ctx.state.store.as_ref();
    let (programme, _) = runs::programme_access(store, ctx.scope(), programme_id.as_str()).await?;
    let readiness = runs::readiness(store, ctx.scope(), programme_id.as_str())
        .await
        .ok()
        .map(|counts| {
            disclose(counts, |org| {
                privacy::reads_sensitive_of(ctx.principal(), org)
            })
        });
    let t = ctx.t;
    let mut rows = Vec::new();
    let mut supply = Vec::new();
    let mut hidden_counts = false;
    if let Some(r) = &readiness {
        hidden_counts |= !r.totals.suppressed.is_empty();
        let names = ctx
            .organization_names(r.by_organization.iter().map(|o| o.organization_id.as_str()))
            .await?;
        let name_of = |id: &String| names.get(id).cloned().unwrap_or_else(|| id.clone());
        for o in &r.by_organization {
            let readable = privacy::reads_sensitive_of(ctx.principal(), &o.organization_id);
            for d in &o.mentees {
                let category = if ctx.is_analyst() {
                    continue;
                } else if d.category.is_sensitive() && !readable {
                    t.restricted.to_owned()
                } else {
                    t.category(&d.category).to_owned()
                };
                let cell = |n: Option<usize>, field: &str| count(&ctx, n, d.suppressed.get(field));
                hidden_counts |= !d.suppressed.is_empty();
                rows.push(ReadinessRow {
                    organization: name_of(&o.organization_id),
                    category,
                    eligible: cell(d.eligible, "eligible"),
                    matchable: cell(d.matched_now, "matched_now"),
                    blocked: blocked(&ctx, &d.blocked_by_rule, &d.suppressed),
                    no_place: cell(d.left_without_place, "left_without_place"),
                    consent: cell(d.waiting_for_consent, "waiting_for_consent"),
                    paired: cell(d.already_paired, "already_paired"),
                });
            }
            if let Some(s) = &o.mentors {
                supply.push(SupplyRow {
                    organization: name_of(&o.organization_id),
                    available: s.mentors_available,
                    free: s.free_places,
                    tutors: s.tutors_available,
                    tutor_free: s.tutor_free_places,
                    consent: s.waiting_for_consent,
                    training: s.waiting_for_training,
                });
            }
        }
    }
    let latest =
        runs::latest_done_run(store, ctx.scope(), programme_id.as_str(), Some(false), 50).await?;
    let (waiting, not_considered) = match &latest {
        Some(run) => waiting_lines(&ctx, &run.record.id).await?,
        None => (Vec::new(), Vec::new()),
    };
    let page_request = PageRequest {
        limit: 20,
        after: None,
    };
    let (recent, _) =
        runs::list_runs(store, ctx.scope(), programme_id.as_str(), &page_request).await?;
    page(&ProgrammePage {
        c: ctx.chrome(programme.name.clone()),
        id: programme.id.to_string(),
        name: programme.name.clone(),
        form: t.form(&programme.form),
        period: period(ctx.t, &programme),
        summary: readiness.map(|r| summary(&ctx, &r)).unwrap_or_default(),
        rows,
        suppressed_note: hidden_counts.then(|| crate::http::i18n::suppressed_note(t.lang)),
        supply,
        latest: latest.map(|r| r.record.id),
        waiting,
        not_considered,
        runs: recent.iter().map(|r| run_line(t, r)).collect(),
        may_start: ctx.may(Permission::StartRuns),
        may_dry_run: ctx.may(Permission::StartDryRuns),
        may_read_pairs: ctx.may(Permission::ReadPairs),
        grouped: programme.group.is_some(),
    })
}
