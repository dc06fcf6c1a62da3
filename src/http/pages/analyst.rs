//! For analysts (and curators): the weights with their history, a dry run
//! with other weights compared side by side, sensitivity, outcomes, and
//! the monitoring indicators with their charts and downloads. Analysts
//! see people only as pseudonyms, and no sensitive category.

use super::texts::Texts;
use super::{Chrome, Ctx, FormData, PageError, ROOT, id, page, query, see_other, url_encode, when};
use crate::domain::{Criterion, Weights};
use crate::http::privacy;
use crate::http::reports;
use crate::service::auth::Permission;
use crate::service::runs;
use crate::service::statistics;
use actix_web::web::Path;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use std::time::Duration;

/// A criterion and its weight, for the form and the tables: as given,
/// and as its share of the sum (what scoring uses).
struct WeightLine {
    code: &'static str,
    label: &'static str,
    value: String,
    share: String,
}

/// A normalised weight in per cent, or "not computed" for weight 0.
fn weight_share(t: &Texts, share: f64) -> String {
    if share > 0.0 {
        format!("{:.1} %", share * 100.0)
    } else {
        t.not_computed.to_owned()
    }
}

fn weight_lines(ctx: &Ctx, w: &Weights) -> Vec<WeightLine> {
    let shares = w.normalised();
    Criterion::ALL
        .iter()
        .map(|c| WeightLine {
            code: c.as_str(),
            label: ctx.t.criterion(c),
            value: format!("{:.2}", w.get(*c)),
            share: weight_share(ctx.t, shares.get(*c)),
        })
        .collect()
}

/// One version of the weights.
struct VersionLine {
    version: i64,
    changed_at: String,
    changed_by: String,
    reason: String,
    weights: String,
}

#[derive(Template)]
#[template(path = "weights.html")]
struct WeightsPage {
    c: Chrome,
    programme_id: String,
    programme_name: String,
    current: Vec<WeightLine>,
    history: Vec<VersionLine>,
    may_dry_run: bool,
}

/// `GET /ui/programmes/{id}/weights`.
pub async fn weights(ctx: Ctx, path: Path<String>) -> Result<HttpResponse, PageError> {
    ctx.require(Permission::ReadRuns)?;
    let programme_id = id(&path)?;
    let store = ctx.state.store.as_ref();
    let programme = runs::programme_in_scope(store, ctx.scope(), programme_id.as_str()).await?;
    let history = runs::weight_history(store, ctx.scope(), programme_id.as_str()).await?;
    let t = ctx.t;
    let history = history
        .iter()
        .rev()
        .map(|v| VersionLine {
            version: v.version,
            changed_at: when(t, &v.changed_at),
            changed_by: v.changed_by.clone(),
            reason: v.reason.clone().unwrap_or_else(|| t.no_reason.to_owned()),
            weights: Criterion::ALL
                .iter()
                .map(|c| {
                    format!(
                        "{} {:.2} ({})",
                        t.criterion(c),
                        v.weights.get(*c),
                        weight_share(t, v.weights_normalised.get(*c))
                    )
                })
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect();
    page(&WeightsPage {
        c: ctx.chrome(format!("{} · {}", t.weights_title, programme.name)),
        programme_id: programme.id.to_string(),
        programme_name: programme.name.clone(),
        current: weight_lines(&ctx, &programme.weights),
        history,
        may_dry_run: ctx.may(Permission::StartDryRuns),
    })
}

/// `POST /ui/programmes/{id}/dry-run` with `csrf`, `objective` and a
/// weight per criterion (named by its code): starts a dry run and opens
/// its comparison with the last run.
pub async fn dry_run(
    ctx: Ctx,
    path: Path<String>,
    form: FormData,
) -> Result<HttpResponse, PageError> {
    ctx.check_csrf(&form)?;
    ctx.require(Permission::StartDryRuns)?;
    let programme_id = id(&path)?;
    let store = ctx.state.store.as_ref();
    let mut weights = serde_json::Map::new();
    for c in Criterion::ALL {
        if let Some(raw) = form.text(c.as_str()) {
            let value: f64 = raw.replace(',', ".").parse().map_err(|_| {
                PageError::Invalid(format!("weights.{}: must be a number", c.as_str()))
            })?;
            weights.insert(c.as_str().to_owned(), value.into());
        }
    }
    let objective = match form.get("objective") {
        Some("fair") => "fair",
        _ => "total",
    };
    let body = serde_json::json!({"weights": weights, "objective": objective, "dry_run": true});
    let baseline =
        runs::latest_done_run(store, ctx.scope(), programme_id.as_str(), Some(false), 50).await?;
    let started = runs::start_run(
        store,
        ctx.scope(),
        &ctx.actor(),
        programme_id.as_str(),
        Some(&body),
    )
    .await?;
    tracing::info!(run_id = %started.record.id, programme_id = %programme_id, key_id = %ctx.principal().key_id, "dry run queued from the pages");
    Ok(match baseline {
        Some(base) => see_other(&format!(
            "{ROOT}/compare?a={}&b={}",
            base.record.id, started.record.id
        )),
        None => see_other(&format!("{ROOT}/runs/{}", started.record.id)),
    })
}

/// A figure in the comparison.
struct Compared {
    label: &'static str,
    a: String,
    b: String,
    change: String,
}

/// A criterion in the comparison.
struct ComparedLine {
    label: &'static str,
    weight_a: String,
    weight_b: String,
    mean_a: String,
    mean_b: String,
    contribution_a: String,
    contribution_b: String,
    change: String,
}

#[derive(Template)]
#[template(path = "compare.html")]
struct ComparePage {
    c: Chrome,
    a: String,
    b: String,
    a_label: String,
    b_label: String,
    a_dry: bool,
    b_dry: bool,
    programme_id: String,
    programme_name: String,
    ready: bool,
    figures: Vec<Compared>,
    criteria: Vec<ComparedLine>,
    kept: usize,
    added: Vec<String>,
    dropped: Vec<String>,
    causes: Option<Causes>,
}

/// The compare's split of the changes by cause, as the page shows it.
struct Causes {
    note: Option<&'static str>,
    lines: Vec<CauseLine>,
    data_changes: Vec<String>,
}

/// One figure: its change from the settings, from the data, and the bridge.
struct CauseLine {
    label: &'static str,
    bridge: String,
    settings: String,
    data: String,
}

fn signed(x: f64) -> String {
    format!("{x:+.3}")
}

/// A criterion's mean value with the pairs it is over; "not computed"
/// for a criterion with weight 0, a dash when no pair was proposed.
fn mean_value(t: &Texts, computed: bool, mean: Option<f64>, n: usize) -> String {
    match (computed, mean) {
        (false, _) => t.not_computed.to_owned(),
        (true, Some(m)) => format!("{m:.2} (n = {n})"),
        (true, None) => "—".to_owned(),
    }
}

/// The split of a comparison by cause, in words; an explanation when the
/// runs keep no inputs to split with.
fn causes(t: &Texts, attribution: Option<&runs::Attribution>) -> Causes {
    let Some(x) = attribution else {
        return Causes {
            note: Some(t.no_attribution),
            lines: Vec::new(),
            data_changes: Vec::new(),
        };
    };
    let (s, d) = (&x.from_settings, &x.from_inputs);
    let whole = |n: i64| format!("{n:+}");
    let lines = vec![
        CauseLine {
            label: t.considered,
            bridge: x.bridge.eligible.to_string(),
            settings: whole(s.eligible),
            data: whole(d.eligible),
        },
        CauseLine {
            label: t.matched,
            bridge: x.bridge.matched.to_string(),
            settings: whole(s.matched),
            data: whole(d.matched),
        },
        CauseLine {
            label: t.total_score,
            bridge: format!("{:.3}", x.bridge.total_score),
            settings: signed(s.total_score),
            data: signed(d.total_score),
        },
        CauseLine {
            label: t.mean_score,
            bridge: format!("{:.3}", x.bridge.mean_score),
            settings: signed(s.mean_score),
            data: signed(d.mean_score),
        },
        CauseLine {
            label: t.min_score,
            bridge: format!("{:.3}", x.bridge.min_score),
            settings: signed(s.min_score),
            data: signed(d.min_score),
        },
        CauseLine {
            label: t.pairs_added,
            bridge: String::new(),
            settings: s.pairs_added.to_string(),
            data: d.pairs_added.to_string(),
        },
        CauseLine {
            label: t.pairs_dropped,
            bridge: String::new(),
            settings: s.pairs_dropped.to_string(),
            data: d.pairs_dropped.to_string(),
        },
    ];
    let c = &x.input_changes;
    let data_changes = [
        (c.mentees_added, t.ch_mentees_added),
        (c.mentees_removed, t.ch_mentees_removed),
        (c.mentees_changed, t.ch_mentees_changed),
        (c.mentors_added, t.ch_mentors_added),
        (c.mentors_removed, t.ch_mentors_removed),
        (c.mentors_changed, t.ch_mentors_changed),
        (c.pairs_approved, t.ch_pairs_approved),
        (c.pairs_closed, t.ch_pairs_closed),
        (c.mentees_completed, t.ch_completed),
        (c.pairs_excluded, t.ch_excluded),
        (c.pins_changed, t.ch_pins),
        (c.wishes_changed, t.ch_wishes),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .chain(c.programme_changed.then(|| t.ch_programme.to_owned()))
    .collect();
    let note = if x.same_inputs {
        Some(t.same_data)
    } else if x.same_settings {
        Some(t.same_settings)
    } else {
        None
    };
    Causes {
        note,
        lines,
        data_changes,
    }
}

/// `GET /ui/compare?a=&b=`: two runs of one programme side by side; waits
/// (refreshing itself) until both are done.
pub async fn compare(ctx: Ctx, req: HttpRequest) -> Result<HttpResponse, PageError> {
    ctx.require(Permission::ReadRuns)?;
    let q = query(&req);
    let a = id(q.text("a").unwrap_or_default())?;
    let b = id(q.text("b").unwrap_or_default())?;
    let store = ctx.state.store.as_ref();
    let t = ctx.t;
    let ra = runs::wait_for_run(store, ctx.scope(), a.as_str(), Duration::ZERO, false).await?;
    let rb = runs::wait_for_run(store, ctx.scope(), b.as_str(), Duration::ZERO, false).await?;
    let ready = ra.record.status == "done" && rb.record.status == "done";
    let (programme, _) =
        runs::programme_access(store, ctx.scope(), &ra.record.programme_id).await?;
    let label = |r: &runs::RunDetail| format!("{} {}", t.run_of, when(t, &r.record.created_at));
    let mut c = ctx.chrome(format!("{} · {}", t.compare_title, programme.name));
    let mut page_data = ComparePage {
        c: c.clone(),
        a: a.to_string(),
        b: b.to_string(),
        a_label: label(&ra),
        b_label: label(&rb),
        a_dry: ra.record.dry_run,
        b_dry: rb.record.dry_run,
        programme_id: programme.id.to_string(),
        programme_name: programme.name.clone(),
        ready,
        figures: Vec::new(),
        criteria: Vec::new(),
        kept: 0,
        added: Vec::new(),
        dropped: Vec::new(),
        causes: None,
    };
    if !ready {
        let failed = ra.record.status == "failed" || rb.record.status == "failed";
        c.refresh = !failed;
        page_data.c = c;
        return page(&page_data);
    }
    let mut cmp = runs::compare_runs(store, ctx.scope(), a.as_str(), b.as_str()).await?;
    privacy::mask_comparison_for(&ctx.state, ctx.principal(), &mut cmp).await?;
    let count = |x: usize, y: usize| Compared {
        label: "",
        a: x.to_string(),
        b: y.to_string(),
        change: format!("{:+}", y as i64 - x as i64),
    };
    let figure = |label, v: &crate::service::runs::ComparedChange| Compared {
        label,
        a: format!("{:.3}", v.a),
        b: format!("{:.3}", v.b),
        change: signed(v.change),
    };
    page_data.figures = vec![
        Compared {
            label: t.considered,
            ..count(cmp.coverage.eligible.a, cmp.coverage.eligible.b)
        },
        Compared {
            label: t.matched,
            ..count(cmp.coverage.matched.a, cmp.coverage.matched.b)
        },
        figure(t.total_score, &cmp.total_score),
        figure(t.mean_score, &cmp.mean_score),
        figure(t.min_score, &cmp.min_score),
    ];
    page_data.criteria = cmp
        .criteria
        .iter()
        .map(|k| ComparedLine {
            label: t.criterion(&k.criterion),
            weight_a: format!(
                "{:.2} ({})",
                k.weight.a,
                weight_share(t, k.weight_normalised.a)
            ),
            weight_b: format!(
                "{:.2} ({})",
                k.weight.b,
                weight_share(t, k.weight_normalised.b)
            ),
            mean_a: mean_value(t, k.computed.a, k.mean_value.a, k.pairs.a),
            mean_b: mean_value(t, k.computed.b, k.mean_value.b, k.pairs.b),
            contribution_a: format!("{:.3}", k.total_contribution.a),
            contribution_b: format!("{:.3}", k.total_contribution.b),
            change: signed(k.total_contribution.change),
        })
        .collect();
    page_data.causes = Some(causes(t, cmp.attribution.as_ref()));
    page_data.kept = cmp.pairs_kept.len();
    let pair =
        |p: &crate::service::runs::ComparedPair| format!("{} → {}", p.mentor_id, p.mentee_id);
    page_data.added = cmp.pairs_added.iter().take(300).map(pair).collect();
    page_data.dropped = cmp.pairs_dropped.iter().take(300).map(pair).collect();
    page(&page_data)
}

/// A criterion's sensitivity.
struct SensitivityLine {
    label: &'static str,
    weight: String,
    computed: bool,
    minus: String,
    minus_coverage: String,
    minus_min: String,
    plus: String,
    plus_coverage: String,
    plus_min: String,
}

#[derive(Template)]
#[template(path = "sensitivity.html")]
struct SensitivityPage {
    c: Chrome,
    programme_id: String,
    programme_name: String,
    pairs: usize,
    eligible: usize,
    mean: String,
    min: String,
    lines: Vec<SensitivityLine>,
}

fn score_or_dash(x: Option<f64>) -> String {
    x.map_or("—".into(), |v| format!("{v:.3}"))
}

/// `GET /ui/programmes/{id}/sensitivity`.
pub async fn sensitivity(ctx: Ctx, path: Path<String>) -> Result<HttpResponse, PageError> {
    ctx.require(Permission::ReadRuns)?;
    let programme_id = id(&path)?;
    let store = ctx.state.store.as_ref();
    let (programme, _) = runs::programme_access(store, ctx.scope(), programme_id.as_str()).await?;
    let s = runs::sensitivity(store, ctx.scope(), programme_id.as_str()).await?;
    let t = ctx.t;
    let changed = |m: &runs::SensitivityMove| format!("{} / {}", m.pairs_changed, s.baseline.pairs);
    let coverage = |m: &runs::SensitivityMove| format!("{:+}", m.coverage_change);
    let lowest = |m: &runs::SensitivityMove| m.min_score_change.map_or("—".into(), signed);
    page(&SensitivityPage {
        c: ctx.chrome(format!("{} · {}", t.sensitivity_title, programme.name)),
        programme_id: programme_id.to_string(),
        programme_name: programme.name.clone(),
        pairs: s.baseline.pairs,
        eligible: s.baseline.mentees_eligible,
        mean: format!("{:.3}", s.baseline.mean_score),
        min: score_or_dash(s.baseline.min_score),
        lines: s
            .criteria
            .iter()
            .map(|k| {
                let weight = format!("{:.2} ({})", k.weight, weight_share(t, k.weight_normalised));
                match &k.moves {
                    Some(m) => SensitivityLine {
                        label: t.criterion(&k.criterion),
                        weight,
                        computed: true,
                        minus: changed(&m.minus_25),
                        minus_coverage: coverage(&m.minus_25),
                        minus_min: lowest(&m.minus_25),
                        plus: changed(&m.plus_25),
                        plus_coverage: coverage(&m.plus_25),
                        plus_min: lowest(&m.plus_25),
                    },
                    None => SensitivityLine {
                        label: t.criterion(&k.criterion),
                        weight,
                        computed: false,
                        minus: String::new(),
                        minus_coverage: String::new(),
                        minus_min: String::new(),
                        plus: String::new(),
                        plus_coverage: String::new(),
                        plus_min: String::new(),
                    },
                }
            })
            .collect(),
    })
}

/// A version's outcomes.
struct OutcomeLine {
    version: String,
    spearman: String,
    with_growth: usize,
    early_low: String,
    early_rest: String,
}

#[derive(Template)]
#[template(path = "outcomes.html")]
struct OutcomesPage {
    c: Chrome,
    programme_id: String,
    programme_name: String,
    finished: usize,
    ended_early: usize,
    min_pairs: usize,
    lines: Vec<OutcomeLine>,
}

fn percent(x: Option<f64>) -> String {
    x.map_or("—".into(), |v| format!("{:.0} %", v * 100.0))
}

/// The words of a statistic's note.
fn note_text(t: &Texts, note: Option<&str>) -> &'static str {
    match note {
        Some(statistics::NO_SPREAD) => t.no_spread,
        _ => t.too_few_pairs,
    }
}

/// "ρ (95 % интервал lo…hi), n = …", or why there is none.
fn correlation_text(t: &Texts, c: &statistics::Correlation) -> String {
    match (c.value, c.ci95_low, c.ci95_high) {
        (Some(r), Some(lo), Some(hi)) => {
            format!("{r:.2} ({} {lo:.2}…{hi:.2}), n = {}", t.interval_95, c.n)
        }
        (Some(r), _, _) => format!("{r:.2}, n = {}", c.n),
        _ => format!("{} (n = {})", note_text(t, c.note.as_deref()), c.n),
    }
}

/// "count / n = share (95 % интервал lo…hi)", or why there is none.
fn share_text(t: &Texts, s: &statistics::Share) -> String {
    match (s.value, s.ci95_low, s.ci95_high) {
        (Some(v), Some(lo), Some(hi)) => format!(
            "{} / {} = {:.0} % ({} {:.0}…{:.0} %)",
            s.count,
            s.n,
            v * 100.0,
            t.interval_95,
            lo * 100.0,
            hi * 100.0
        ),
        _ => format!("{} / {}: {}", s.count, s.n, note_text(t, s.note.as_deref())),
    }
}

/// `GET /ui/programmes/{id}/outcomes`.
pub async fn outcomes(ctx: Ctx, path: Path<String>) -> Result<HttpResponse, PageError> {
    ctx.require(Permission::ReadRuns)?;
    let programme_id = id(&path)?;
    let store = ctx.state.store.as_ref();
    let (programme, _) = runs::programme_access(store, ctx.scope(), programme_id.as_str()).await?;
    let o = runs::outcomes(store, ctx.scope(), programme_id.as_str()).await?;
    let t = ctx.t;
    page(&OutcomesPage {
        c: ctx.chrome(format!("{} · {}", t.outcomes_title, programme.name)),
        programme_id: programme_id.to_string(),
        programme_name: programme.name.clone(),
        finished: o.pairs_finished,
        ended_early: o.pairs_ended_early,
        min_pairs: o.min_finished_pairs,
        lines: o
            .profiles
            .iter()
            .map(|p| OutcomeLine {
                version: p
                    .version
                    .map_or_else(|| t.current_word.to_owned(), |v| v.to_string()),
                spearman: correlation_text(t, &p.spearman_score_growth),
                with_growth: p.pairs_with_growth,
                early_low: share_text(t, &p.early_end_share_lowest_quarter),
                early_rest: share_text(t, &p.early_end_share_others),
            })
            .collect(),
    })
}

/// An indicator's line.
struct IndicatorLine {
    id: String,
    title: String,
    /// The counts, or what stands for them when hidden («< 5»).
    numerator: String,
    denominator: String,
    share: String,
    /// Whether there is anyone to count (a chart is drawn).
    charted: bool,
    /// Whether a count is hidden from the caller.
    hidden: bool,
}

/// An organisation to choose.
struct OrgChoice {
    id: String,
    name: String,
    selected: bool,
}

/// An organisation's indicators.
struct OrgIndicators {
    name: String,
    lines: Vec<IndicatorLine>,
}

#[derive(Template)]
#[template(path = "indicators.html")]
struct IndicatorsPage {
    c: Chrome,
    organizations: Vec<OrgChoice>,
    period: String,
    as_of: String,
    lines: Vec<IndicatorLine>,
    children: Vec<OrgIndicators>,
    /// Indicators without a chart: nobody to count this month.
    uncharted: Vec<String>,
    /// Why some counts read «< 5» or «скрыто», when some do.
    suppressed_note: Option<&'static str>,
    base: String,
}

fn indicator_lines(
    views: &[crate::http::views::reports::IndicatorView],
    lang: crate::matching::Lang,
) -> Vec<IndicatorLine> {
    use crate::service::disclosure::Suppressed;
    let mark = |why: Option<&Suppressed>| {
        crate::http::i18n::suppressed_text(why.copied().unwrap_or(Suppressed::Complementary), lang)
            .to_owned()
    };
    views
        .iter()
        .map(|v| IndicatorLine {
            id: serde_json::to_value(v.id)
                .ok()
                .and_then(|x| x.as_str().map(str::to_owned))
                .unwrap_or_default(),
            title: v.title.clone(),
            numerator: v
                .numerator
                .map_or_else(|| mark(v.suppressed.get("numerator")), |n| n.to_string()),
            denominator: v
                .denominator
                .map_or_else(|| mark(v.suppressed.get("denominator")), |n| n.to_string()),
            share: match v.suppressed.values().min() {
                Some(why) => mark(Some(why)),
                None => percent(v.share),
            },
            charted: v.denominator != Some(0),
            hidden: !v.suppressed.is_empty(),
        })
        .collect()
}

/// `GET /ui/indicators?organization_id=&period=YYYY-MM`: the indicators
/// of any organisation in scope for a month, as tables with charts and
/// downloads (the same report as the API's).
pub async fn indicators(ctx: Ctx, req: HttpRequest) -> Result<HttpResponse, PageError> {
    ctx.require(Permission::ReadReports)?;
    let q = query(&req);
    let nodes = ctx.state.store.organization_nodes(ctx.scope()).await?;
    let (Some(organization_id), Some(period)) = (q.text("organization_id"), q.text("period"))
    else {
        // Fill in the caller's own organisation and this month, then read.
        let own = match ctx.scope() {
            crate::store::Scope::Under {
                organization_id, ..
            } => Some(organization_id.clone()),
            crate::store::Scope::All => nodes
                .iter()
                .find(|n| n.parent_id.is_none())
                .map(|n| n.id.clone()),
        };
        let today = time::OffsetDateTime::now_utc().date();
        let month = format!("{:04}-{:02}", today.year(), u8::from(today.month()));
        return Ok(see_other(&format!(
            "{ROOT}/indicators?organization_id={}&period={month}",
            url_encode(&own.unwrap_or_default())
        )));
    };
    let (organization_id, period) = (organization_id.to_owned(), period.to_owned());
    let caller = ctx.caller();
    let (mut r, _) = reports::read_request(&ctx.state, &caller, &req, &[]).await?;
    r.lang = ctx.t.lang;
    let data = reports::load(&ctx.state, &r.path).await?;
    let report = reports::report(&r, &data)?;
    let names = ctx
        .organization_names(nodes.iter().map(|n| n.id.as_str()))
        .await?;
    let lang = ctx.t.html_lang;
    let base = format!(
        "organization_id={}&period={}&lang={lang}",
        url_encode(&organization_id),
        url_encode(&period)
    );
    let lines = indicator_lines(&report.indicators, ctx.t.lang);
    let uncharted = lines
        .iter()
        .filter(|l| l.id != "growth" && !l.charted)
        .map(|l| l.title.clone())
        .collect();
    let children: Vec<OrgIndicators> = report
        .by_organization
        .iter()
        .map(|o| OrgIndicators {
            name: o.name.clone(),
            lines: indicator_lines(&o.indicators, ctx.t.lang),
        })
        .collect();
    let hidden = lines
        .iter()
        .chain(children.iter().flat_map(|o| &o.lines))
        .any(|l| l.hidden);
    page(&IndicatorsPage {
        c: ctx.chrome(ctx.t.indicators_title),
        organizations: nodes
            .iter()
            .map(|n| OrgChoice {
                selected: n.id == organization_id,
                name: names.get(&n.id).cloned().unwrap_or_else(|| n.id.clone()),
                id: n.id.clone(),
            })
            .collect(),
        period,
        as_of: when(ctx.t, &report.as_of),
        lines,
        uncharted,
        children,
        suppressed_note: hidden.then(|| crate::http::i18n::suppressed_note(ctx.t.lang)),
        base,
    })
}

/// `GET /ui/indicators.csv?organization_id=&period=&lang=`.
pub async fn indicators_csv(ctx: Ctx, req: HttpRequest) -> Result<HttpResponse, PageError> {
    let caller = ctx.caller();
    let (r, _) = reports::read_request(&ctx.state, &caller, &req, &[]).await?;
    let data = reports::load(&ctx.state, &r.path).await?;
    Ok(reports::csv_response(&r, &data)?)
}

/// `GET /ui/indicators.xlsx?organization_id=&period=&lang=`.
pub async fn indicators_xlsx(ctx: Ctx, req: HttpRequest) -> Result<HttpResponse, PageError> {
    Ok(reports::xlsx_response(&ctx.state, &ctx.caller(), &req).await?)
}

/// `GET /ui/indicators.svg?organization_id=&period=&indicator=&lang=`.
pub async fn indicators_svg(ctx: Ctx, req: HttpRequest) -> Result<HttpResponse, PageError> {
    Ok(reports::svg_response(&ctx.state, &ctx.caller(), &req).await?)
}
