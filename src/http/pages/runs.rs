//! A run: its progress, coverage, the histogram of scores, the table of
//! proposals (filtered, sorted and paged on the server), who is left and
//! why; starting runs and approving the selected proposals at once.

use super::{Chrome, Ctx, FormData, PageError, ROOT, id, page, query, see_other, url_encode};
use crate::domain::MenteeProfile;
use crate::http::privacy;
use crate::http::views::runs::{RunView, UnmatchedReasonView};
use crate::service::auth::Permission;
use crate::service::runs::{self, RunDetail};
use actix_web::web::Path;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

/// Proposals per page unless asked otherwise.
const PAGE_SIZE: usize = 50;
/// A proposal below this score is shown as a problem.
pub const LOW_SCORE: f64 = 0.3;

/// A run in a list.
pub struct RunLine {
    pub id: String,
    pub created_at: String,
    pub status: &'static str,
    pub dry: bool,
    pub coverage: String,
}

/// A run in a list, in words.
pub fn run_line(t: &super::texts::Texts, r: &RunDetail) -> RunLine {
    RunLine {
        id: r.record.id.clone(),
        created_at: super::when(t, &r.record.created_at),
        status: t.run_status(&r.record.status),
        dry: r.record.dry_run,
        coverage: r
            .result
            .as_ref()
            .map(|res| {
                format!(
                    "{} {} {} {}",
                    t.covered, res.stats.mentees_matched, t.of_word, res.stats.mentees_eligible
                )
            })
            .unwrap_or_default(),
    }
}

/// A mentee left without a mentor, or not considered, and why.
pub struct WaitingLine {
    pub id: String,
    pub name: String,
    pub why: String,
}

/// Names of mentees the caller may read (none for analysts).
async fn mentee_index(
    ctx: &Ctx,
    ids: &[String],
) -> Result<HashMap<String, MenteeProfile>, PageError> {
    if ctx.is_analyst() || ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(runs::mentee_profiles(ctx.state.store.as_ref(), ids).await?)
}

/// The run as the caller may see it: masked, pseudonymous for analysts.
async fn run_view(ctx: &Ctx, detail: &RunDetail) -> Result<RunView, PageError> {
    let mut view = RunView::new(detail, ctx.t.lang)?;
    privacy::mask_run_for(&ctx.state, ctx.principal(), &mut view).await?;
    Ok(view)
}

fn unmatched_text(ctx: &Ctx, reason: &UnmatchedReasonView, text: &str) -> String {
    match reason {
        UnmatchedReasonView::Restricted(_) => ctx.t.restricted_reason.to_owned(),
        UnmatchedReasonView::Given(_) => text.to_owned(),
    }
}

fn waiting_from_view(
    ctx: &Ctx,
    view: &RunView,
    names: &HashMap<String, MenteeProfile>,
) -> (Vec<WaitingLine>, Vec<WaitingLine>) {
    let name = |id: &str| {
        names
            .get(id)
            .map_or_else(|| id.to_owned(), |m| m.person.full_name.clone())
    };
    let waiting = view
        .unmatched
        .iter()
        .flatten()
        .take(500)
        .map(|u| WaitingLine {
            id: u.mentee_id.clone(),
            name: name(&u.mentee_id),
            why: unmatched_text(ctx, &u.reason, &u.text),
        })
        .collect();
    let not_considered = view
        .ineligible
        .iter()
        .flatten()
        .take(500)
        .map(|i| WaitingLine {
            id: i.mentee_id.clone(),
            name: name(&i.mentee_id),
            why: i.text.clone(),
        })
        .collect();
    (waiting, not_considered)
}

/// Who a finished run left without a mentor and whom it did not consider,
/// with the reasons, named for callers who may read names.
pub async fn waiting_lines(
    ctx: &Ctx,
    run_id: &str,
) -> Result<(Vec<WaitingLine>, Vec<WaitingLine>), PageError> {
    let store = ctx.state.store.as_ref();
    let detail = runs::wait_for_run(store, ctx.scope(), run_id, Duration::ZERO, false).await?;
    let view = run_view(ctx, &detail).await?;
    let names = mentee_index(ctx, &detail.mentee_ids()).await?;
    Ok(waiting_from_view(ctx, &view, &names))
}

/// A row of the proposals table.
pub struct ProposalRow {
    pub id: String,
    pub mentor: String,
    pub mentees: String,
    pub form: &'static str,
    pub category: String,
    pub grade: String,
    pub score: String,
    pub score_value: f64,
    pub status: &'static str,
    pub status_code: String,
    pub problem: Option<&'static str>,
    pub decidable: bool,
    category_codes: Vec<String>,
    grades: Vec<u8>,
}

/// The filters, sorting and page of the proposals table, as asked.
#[derive(Default)]
pub struct TableQuery {
    pub form: String,
    pub category: String,
    pub grade: String,
    pub problems: bool,
    pub sort: String,
    pub page: usize,
    pub size: usize,
}

impl TableQuery {
    fn read(req: &HttpRequest) -> Self {
        let q = query(req);
        let text = |n: &str| q.text(n).unwrap_or_default().to_owned();
        Self {
            form: text("form"),
            category: text("category"),
            grade: text("grade"),
            problems: q.get("problems").is_some_and(|v| v == "1" || v == "on"),
            sort: text("sort"),
            page: q
                .get("page")
                .and_then(|p| p.parse().ok())
                .unwrap_or(1usize)
                .max(1),
            size: q
                .get("size")
                .and_then(|p| p.parse().ok())
                .unwrap_or(PAGE_SIZE)
                .clamp(10, 200),
        }
    }

    /// The link to page `n` with the same filters.
    fn link(&self, run_id: &str, n: usize) -> String {
        let mut parts = vec![format!("page={n}")];
        for (name, value) in [
            ("form", &self.form),
            ("category", &self.category),
            ("grade", &self.grade),
            ("sort", &self.sort),
        ] {
            if !value.is_empty() {
                parts.push(format!("{name}={}", url_encode(value)));
            }
        }
        if self.problems {
            parts.push("problems=1".into());
        }
        if self.size != PAGE_SIZE {
            parts.push(format!("size={}", self.size));
        }
        format!("{ROOT}/runs/{run_id}?{}", parts.join("&"))
    }

    fn keeps(&self, row: &ProposalRow, form_code: &str) -> bool {
        (self.form.is_empty() || self.form == form_code)
            && (self.category.is_empty() || row.category_codes.contains(&self.category))
            && (self.grade.is_empty()
                || self
                    .grade
                    .parse::<u8>()
                    .is_ok_and(|g| row.grades.contains(&g)))
            && (!self.problems || row.problem.is_some())
    }

    fn order(&self, rows: &mut [ProposalRow]) {
        match self.sort.as_str() {
            "score_asc" => rows.sort_by(|a, b| a.score_value.total_cmp(&b.score_value)),
            "mentor" => rows.sort_by(|a, b| a.mentor.cmp(&b.mentor)),
            "mentee" => rows.sort_by(|a, b| a.mentees.cmp(&b.mentees)),
            "grade" => rows.sort_by(|a, b| a.grades.first().cmp(&b.grades.first())),
            "status" => rows.sort_by(|a, b| a.status_code.cmp(&b.status_code)),
            _ => rows.sort_by(|a, b| b.score_value.total_cmp(&a.score_value)),
        }
    }
}

/// An option of a filter.
pub struct Choice {
    pub value: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "run.html")]
struct RunPage {
    c: Chrome,
    id: String,
    programme_id: String,
    programme_name: String,
    started: String,
    status_code: String,
    status: &'static str,
    progress: i64,
    dry: bool,
    coverage: String,
    matched: usize,
    eligible: usize,
    mean: String,
    min: String,
    total: String,
    histogram: String,
    named: bool,
    rows: Vec<ProposalRow>,
    filtered: usize,
    all: usize,
    page: usize,
    pages: usize,
    prev: Option<String>,
    next: Option<String>,
    q: TableQuery,
    form_code: String,
    form_label: &'static str,
    categories: Vec<Choice>,
    grades: Vec<Choice>,
    sorts: Vec<Choice>,
    decidable: bool,
    may_start: bool,
    waiting: Vec<WaitingLine>,
    not_considered: Vec<WaitingLine>,
}

/// `GET /ui/runs/{id}?form=&category=&grade=&problems=1&sort=&page=&size=`.
pub async fn show(
    ctx: Ctx,
    path: Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    ctx.require(Permission::ReadRuns)?;
    let run_id = id(&path)?;
    let store = ctx.state.store.as_ref();
    let t = ctx.t;
    let named = !ctx.is_analyst();
    let detail =
        runs::wait_for_run(store, ctx.scope(), run_id.as_str(), Duration::ZERO, named).await?;
    let (programme, _) =
        runs::programme_access(store, ctx.scope(), &detail.record.programme_id).await?;
    let view = run_view(&ctx, &detail).await?;
    let profiles = mentee_index(&ctx, &detail.mentee_ids()).await?;
    let q = TableQuery::read(&req);
    let form_code = programme.form.as_str().to_owned();
    let decidable = ctx.may(Permission::DecidePairs) && !detail.record.dry_run;

    let mut rows: Vec<ProposalRow> = Vec::new();
    for p in view.proposals.iter().flatten() {
        let mut category_codes = Vec::new();
        let mut category_words = BTreeSet::new();
        let mut grades = Vec::new();
        let mut missing = p.mentor_name.is_none() && named;
        for m in &p.mentee_ids {
            match profiles.get(m) {
                Some(profile) => {
                    let readable = !profile.category.is_sensitive()
                        || privacy::reads_sensitive_of(
                            ctx.principal(),
                            profile.person.organization_id.as_str(),
                        );
                    if readable {
                        category_codes.push(profile.category.as_str().to_owned());
                        category_words.insert(t.category(&profile.category).to_owned());
                    } else {
                        category_words.insert(t.restricted.to_owned());
                    }
                    grades.extend(profile.person.grade);
                }
                None => missing |= named,
            }
        }
        let mentees = match &p.mentee_names {
            Some(names) => names
                .iter()
                .zip(&p.mentee_ids)
                .map(|(n, id)| n.clone().unwrap_or_else(|| id.clone()))
                .collect::<Vec<_>>()
                .join(", "),
            None => p.mentee_ids.join(", "),
        };
        let status_code = serde_json::to_value(p.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let problem = if missing {
            Some(t.problem_missing)
        } else if p.score < LOW_SCORE {
            Some(t.problem_low)
        } else {
            None
        };
        grades.sort_unstable();
        grades.dedup();
        rows.push(ProposalRow {
            id: p.id.clone(),
            mentor: p.mentor_name.clone().unwrap_or_else(|| p.mentor_id.clone()),
            mentees,
            form: t.form(&programme.form),
            category: category_words.into_iter().collect::<Vec<_>>().join(", "),
            grade: grades
                .iter()
                .map(u8::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            score: format!("{:.3}", p.score),
            score_value: p.score,
            status: t.proposal_status(&status_code),
            decidable: decidable && status_code == "proposed",
            status_code,
            problem,
            category_codes,
            grades,
        });
    }
    let all = rows.len();
    let mut categories: Vec<Choice> = Vec::new();
    let mut grade_values: BTreeSet<u8> = BTreeSet::new();
    for row in &rows {
        for code in &row.category_codes {
            if !categories.iter().any(|c| &c.value == code) {
                let label = crate::domain::MenteeCategory::parse(code)
                    .map(|c| t.category(&c).to_owned())
                    .unwrap_or_else(|| code.clone());
                categories.push(Choice {
                    value: code.clone(),
                    label,
                });
            }
        }
        grade_values.extend(row.grades.iter().copied());
    }
    rows.retain(|r| q.keeps(r, &form_code));
    q.order(&mut rows);
    let filtered = rows.len();
    let pages = filtered.div_ceil(q.size).max(1);
    let page_no = q.page.min(pages);
    let rows: Vec<ProposalRow> = rows
        .into_iter()
        .skip((page_no - 1) * q.size)
        .take(q.size)
        .collect();

    let stats = detail.result.as_ref().map(|r| r.stats.clone());
    let (matched, eligible) = stats
        .as_ref()
        .map_or((0, 0), |s| (s.mentees_matched, s.mentees_eligible));
    let scores: Vec<f64> = detail.proposals.iter().flat_map(|p| p.scores()).collect();
    let histogram = if detail.record.status == "done" {
        crate::http::charts::score_histogram_of(
            &format!(
                "{} {}",
                t.run_of_lower,
                super::when(t, &detail.record.created_at)
            ),
            &scores,
            t.lang,
        )
    } else {
        String::new()
    };
    let (waiting, not_considered) = waiting_from_view(&ctx, &view, &profiles);
    let status_code = detail.record.status.clone();
    let mut c = ctx.chrome(format!("{} · {}", t.run_title, programme.name));
    c.refresh = matches!(status_code.as_str(), "queued" | "running");
    c.notice = notice(&ctx, &req);
    let sorts = [
        ("", t.sort_score_desc),
        ("score_asc", t.sort_score_asc),
        ("mentor", t.sort_mentor),
        ("mentee", t.sort_mentee),
        ("grade", t.sort_grade),
        ("status", t.sort_status),
    ]
    .into_iter()
    .map(|(value, label)| Choice {
        value: value.into(),
        label: label.into(),
    })
    .collect();
    page(&RunPage {
        c,
        id: run_id.to_string(),
        programme_id: programme.id.to_string(),
        programme_name: programme.name.clone(),
        started: super::when(t, &detail.record.created_at),
        status: t.run_status(&status_code),
        status_code,
        progress: detail.record.progress,
        dry: detail.record.dry_run,
        coverage: format!("{} {matched} {} {eligible}", t.covered, t.of_word),
        matched,
        eligible,
        mean: stats
            .as_ref()
            .map(|s| format!("{:.3}", s.mean_score))
            .unwrap_or_default(),
        min: stats
            .as_ref()
            .map(|s| format!("{:.3}", s.min_score))
            .unwrap_or_default(),
        total: stats
            .as_ref()
            .map(|s| format!("{:.3}", s.total_score))
            .unwrap_or_default(),
        histogram,
        named,
        rows,
        filtered,
        all,
        page: page_no,
        pages,
        prev: (page_no > 1).then(|| q.link(run_id.as_str(), page_no - 1)),
        next: (page_no < pages).then(|| q.link(run_id.as_str(), page_no + 1)),
        form_label: t.form(&programme.form),
        form_code,
        q,
        categories,
        grades: grade_values
            .into_iter()
            .map(|g| Choice {
                value: g.to_string(),
                label: g.to_string(),
            })
            .collect(),
        sorts,
        decidable,
        may_start: ctx.may(Permission::StartRuns),
        waiting,
        not_considered,
    })
}

/// The line a page shows after an action (`?done=`).
pub fn notice(ctx: &Ctx, req: &HttpRequest) -> Option<String> {
    let t = ctx.t;
    match query(req).get("done")? {
        "approved" => Some(t.done_approved.into()),
        "rejected" => Some(t.done_rejected.into()),
        "paired" => Some(t.done_paired.into()),
        "closed" => Some(t.done_closed.into()),
        "started" => Some(t.done_started.into()),
        "pinned" => Some(t.done_pinned.into()),
        "unpinned" => Some(t.done_unpinned.into()),
        _ => None,
    }
}

/// `POST /ui/programmes/{id}/runs` with `csrf` and `objective`: starts a
/// run (the same service call as the API's) and opens it.
pub async fn start(
    ctx: Ctx,
    path: Path<String>,
    form: FormData,
) -> Result<HttpResponse, PageError> {
    ctx.check_csrf(&form)?;
    ctx.require(Permission::StartRuns)?;
    let programme_id = id(&path)?;
    let objective = form
        .get("objective")
        .filter(|name| ["fair", "rank_maximal", "stable", "stable_mentor"].contains(name))
        .unwrap_or("total");
    let body = serde_json::json!({ "objective": objective });
    let detail = runs::start_run(
        ctx.state.store.as_ref(),
        ctx.scope(),
        &ctx.actor(),
        programme_id.as_str(),
        Some(&body),
    )
    .await?;
    tracing::info!(run_id = %detail.record.id, programme_id = %programme_id, key_id = %ctx.principal().key_id, "run queued from the pages");
    Ok(see_other(&format!(
        "{ROOT}/runs/{}?done=started",
        detail.record.id
    )))
}

/// One proposal's outcome in a bulk approval.
pub struct BulkLine {
    pub id: String,
    /// Who the pair is, in names ("mentor → mentee"), else the id.
    pub label: String,
    pub ok: bool,
    pub message: String,
}

#[derive(Template)]
#[template(path = "bulk.html")]
struct BulkPage {
    c: Chrome,
    run_id: String,
    approved: usize,
    failed: usize,
    lines: Vec<BulkLine>,
}

/// `POST /ui/runs/{id}/approve` with `csrf` and `proposal` (repeated):
/// approves each selected proposal as the API would, one by one, and
/// says which went through and why the others did not.
pub async fn approve_selected(
    ctx: Ctx,
    path: Path<String>,
    form: FormData,
) -> Result<HttpResponse, PageError> {
    ctx.check_csrf(&form)?;
    ctx.require(Permission::DecidePairs)?;
    let run_id = id(&path)?;
    let store = ctx.state.store.as_ref();
    // A run the caller cannot read is not there.
    runs::run_access(store, ctx.scope(), run_id.as_str()).await?;
    let mut lines = Vec::new();
    let mut records = Vec::new();
    for raw in form.all("proposal").into_iter().take(1000) {
        let Ok(proposal) = crate::domain::Id::parse(raw) else {
            continue;
        };
        // Only proposals of this run: a form cannot reach further.
        let outcome = match runs::proposal_access(store, ctx.scope(), proposal.as_str()).await {
            Ok((record, _)) if record.run_id != run_id.as_str() => Err(PageError::NotFound),
            Ok((record, _)) => {
                records.push(record);
                runs::approve_proposal(store, ctx.scope(), &ctx.actor(), proposal.as_str())
                    .await
                    .map_err(PageError::from)
            }
            Err(e) => Err(e.into()),
        };
        lines.push(BulkLine {
            id: proposal.to_string(),
            label: proposal.to_string(),
            ok: outcome.is_ok(),
            message: match outcome {
                Ok(_) => ctx.t.done_approved.to_owned(),
                Err(e) => e.message(ctx.t),
            },
        });
    }
    // The pairs by their people's names, for those who may read names.
    if !ctx.is_analyst() {
        let parsed: Vec<runs::StoredProposal> = records
            .iter()
            .filter_map(|r| runs::StoredProposal::parse(r).ok())
            .collect();
        if let Ok(names) = runs::person_names(store, &parsed).await {
            for line in &mut lines {
                let Some(r) = records.iter().find(|r| r.id == line.id) else {
                    continue;
                };
                let mentees: Vec<&str> = r
                    .mentee_ids
                    .iter()
                    .filter_map(|m| names.mentees.get(m).map(String::as_str))
                    .collect();
                if let Some(mentor) = names.mentors.get(&r.mentor_id)
                    && mentees.len() == r.mentee_ids.len()
                {
                    line.label = format!("{mentor} → {}", mentees.join(", "));
                }
            }
        }
    }
    let approved = lines.iter().filter(|l| l.ok).count();
    tracing::info!(run_id = %run_id, approved, key_id = %ctx.principal().key_id, "proposals approved in bulk from the pages");
    page(&BulkPage {
        c: ctx.chrome(ctx.t.bulk_result_title),
        run_id: run_id.to_string(),
        approved,
        failed: lines.len() - approved,
        lines,
    })
}
