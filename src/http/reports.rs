//! `/api/v1/reports/indicators`: the monitoring indicators as JSON, CSV,
//! XLSX and an SVG bar chart.

use super::AppState;
use super::extract::{Caller, QueryParams};
use super::problem::{ApiError, Problem};
use super::runs::language;
use super::views::files::{CsvDialect, CsvText, SvgImage, Xlsx};
use super::views::reports::{
    FormIndicators, GrowthView, IndicatorId, IndicatorView, IndicatorsReport,
    OrganizationIndicators, ReportLinks, title,
};
use crate::domain::{FieldError, Form, Organization};
use crate::matching::explain::Lang;
use crate::service::auth::{Permission, Principal};
use crate::service::disclosure::Suppressed;
use crate::service::reports::{self, Data, Disclosed, Disclosure, INDICATORS};
use crate::service::targets::Plans;
use actix_web::http::header;
use actix_web::web::Data as WebData;
use actix_web::{HttpRequest, HttpResponse, get};
use time::{Date, Month};

/// A parsed report request: the organisation, its path and the period.
pub(crate) struct Request {
    pub(crate) organization: Organization,
    pub(crate) path: String,
    pub(crate) period: String,
    pub(crate) from: Date,
    pub(crate) to: Date,
    pub(crate) lang: Lang,
    /// The planned values of the subtree for the period.
    pub(crate) plans: Plans,
    /// Who asks: decides which counts of pupils of a sensitive category
    /// are hidden.
    pub(crate) principal: Principal,
}

fn period_bounds(raw: &str) -> Option<(Date, Date)> {
    let (year, month) = raw.split_once('-')?;
    let year: i32 = year.parse().ok()?;
    let month = Month::try_from(month.parse::<u8>().ok()?).ok()?;
    let from = Date::from_calendar_date(year, month, 1).ok()?;
    let to = Date::from_calendar_date(year, month, month.length(year)).ok()?;
    Some((from, to))
}

pub(crate) async fn read_request(
    state: &AppState,
    caller: &Caller,
    req: &HttpRequest,
    extra: &[&str],
) -> Result<(Request, QueryParams), ApiError> {
    let principal = caller.require(Permission::ReadReports)?;
    let mut allowed = vec!["organization_id", "period", "lang"];
    allowed.extend_from_slice(extra);
    let query = QueryParams::parse(req, &allowed)?;
    let lang = language(req, &query)?;
    let mut errors = Vec::new();
    let organization_id = query.get("organization_id").map(str::to_owned);
    if organization_id.is_none() {
        errors.push(FieldError::new("organization_id", "is required"));
    }
    let bounds = match query.get("period") {
        None => {
            errors.push(FieldError::new("period", "is required (YYYY-MM)"));
            None
        }
        Some(raw) => {
            let b = period_bounds(raw);
            if b.is_none() {
                errors.push(FieldError::new("period", "must be a month YYYY-MM"));
            }
            b
        }
    };
    let (Some(organization_id), Some((from, to))) = (organization_id, bounds) else {
        return Err(ApiError::Invalid(errors));
    };
    let node = state
        .store
        .organization_nodes(&principal.scope)
        .await?
        .into_iter()
        .find(|n| n.id == organization_id)
        .ok_or(ApiError::NotFound)?;
    let stored = state
        .store
        .get_organization(&principal.scope, &organization_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let organization: Organization =
        serde_json::from_str(&stored.doc).map_err(|e| ApiError::Internal(e.to_string()))?;
    let period = query.get("period").unwrap_or_default().to_owned();
    let plans = Plans::for_month(state.store.targets_under(&node.path).await?, &period);
    Ok((
        Request {
            organization,
            path: node.path,
            period,
            from,
            to,
            lang,
            plans,
            principal: principal.clone(),
        },
        query,
    ))
}

pub(crate) async fn load(state: &AppState, path: &str) -> Result<Data, ApiError> {
    let raw = state.store.report_data(path).await?;
    let parse =
        |e: serde_json::Error| ApiError::Internal(format!("stored document unreadable: {e}"));
    let mut organizations = Vec::new();
    for (node, doc) in &raw.organizations {
        organizations.push((serde_json::from_str(doc).map_err(parse)?, node.path.clone()));
    }
    let mentors = raw
        .mentors
        .iter()
        .map(|d| serde_json::from_str(d))
        .collect::<Result<_, _>>()
        .map_err(parse)?;
    let mentees = raw
        .mentees
        .iter()
        .map(|d| serde_json::from_str(d))
        .collect::<Result<_, _>>()
        .map_err(parse)?;
    let pairs = raw
        .pairs
        .into_iter()
        .filter_map(|(p, form)| Form::parse(&form).map(|f| (p, f)))
        .collect();
    Ok(Data {
        organizations,
        mentors,
        mentees,
        pairs,
        feedback: raw.feedback,
    })
}

/// The indicators of the whole, of each child organisation (in the order
/// of [`children`]) and of each form (in the order of [`Form::ALL`]), with
/// what the caller may not read hidden.
pub(crate) fn disclosed(r: &Request, data: &Data) -> Disclosure {
    let paths: Vec<&str> = children(r, data).map(|(_, p)| p.as_str()).collect();
    reports::disclose(data, &r.path, &paths, Form::ALL, r.from, r.to, |org| {
        super::privacy::reads_sensitive_of(&r.principal, org)
    })
}

/// The report as JSON: the whole subtree, each child organisation, each form.
pub(crate) fn report(r: &Request, data: &Data) -> Result<IndicatorsReport, ApiError> {
    let base = format!(
        "/api/v1/reports/indicators?organization_id={}&period={}",
        r.organization.id, r.period
    );
    let file = |extension: &str| {
        format!("{base}&lang={}", lang_code(r.lang))
            .replace("indicators?", &format!("indicators.{extension}?"))
    };
    let Disclosure {
        whole,
        children: by_child,
        forms,
    } = disclosed(r, data);
    Ok(IndicatorsReport {
        organization_id: r.organization.id.to_string(),
        period: r.period.clone(),
        as_of: crate::domain::parse::format_date(r.to),
        indicators: IndicatorView::all(whole, r.lang, |id| {
            r.plans.of(r.organization.id.as_str(), id)
        })?,
        by_organization: children(r, data)
            .zip(by_child)
            .map(|((o, _), list)| {
                Ok(OrganizationIndicators {
                    organization_id: o.id.to_string(),
                    name: o.name.clone(),
                    indicators: IndicatorView::all(list, r.lang, |id| {
                        r.plans.of(o.id.as_str(), id)
                    })?,
                })
            })
            .collect::<Result<_, ApiError>>()?,
        by_form: Form::ALL
            .iter()
            .zip(forms)
            .map(|(f, list)| {
                Ok(FormIndicators {
                    form: *f,
                    indicators: IndicatorView::all(list, r.lang, |_| None)?,
                })
            })
            .collect::<Result<_, ApiError>>()?,
        growth: reports::growth(data, &r.path)
            .into_iter()
            .map(GrowthView::from)
            .collect(),
        links: ReportLinks {
            csv: file("csv"),
            xlsx: file("xlsx"),
            svg: INDICATORS
                .iter()
                .map(|(id, _, _)| {
                    (
                        (*id).to_owned(),
                        format!("{base}&indicator={id}").replace("indicators?", "indicators.svg?"),
                    )
                })
                .collect(),
        },
    })
}

/// The child organisations of the report's organisation, with their paths.
fn children<'a>(
    r: &'a Request,
    data: &'a Data,
) -> impl Iterator<Item = (&'a Organization, &'a String)> + 'a {
    data.organizations
        .iter()
        .filter(|(o, _)| {
            o.parent_id
                .as_ref()
                .is_some_and(|p| *p == r.organization.id)
        })
        .map(|(o, p)| (o, p))
}

fn lang_code(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "en",
        Lang::Ru => "ru",
    }
}

/// The monitoring indicators of an organisation and everything under it,
/// on the last day of `period` (YYYY-MM): each with numerator,
/// denominator and share, for the whole, for each child organisation and
/// for each form, and the mean growth per question and form. `Accept:
/// text/csv` gives a spreadsheet; `lang=ru` Russian titles.
#[utoipa::path(
    tag = "reports",
    params(("organization_id" = String, Query), ("period" = String, Query, description = "YYYY-MM"), ("lang" = Option<String>, Query)),
    responses(
        (status = 200, description = "The indicators", content(
            (IndicatorsReport = "application/json"),
            (CsvText = "text/csv"),
        )),
        (status = 404, description = "No such organisation in your scope", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A missing or bad organisation, period or language", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/reports/indicators")]
pub async fn indicators(
    state: WebData<AppState>,
    caller: Caller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (r, _) = read_request(&state, &caller, &req, &[]).await?;
    let data = load(&state, &r.path).await?;
    let wants_csv = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/csv"));
    if wants_csv {
        return csv_response(&r, &data);
    }
    Ok(HttpResponse::Ok().json(report(&r, &data)?))
}

/// The words of an indicator with no data (denominator 0) in `lang`.
fn no_data(lang: Lang) -> &'static str {
    match lang {
        Lang::Ru => crate::domain::columns::NO_DATA_RU,
        Lang::En => "no data",
    }
}

/// Column of the percent in [`rows`]: the share in per cent rounded to
/// 0.1, or the words for no data; the plan and the gap follow it.
const PERCENT: usize = 7;

/// What a spreadsheet shows for a count: the number, or what stands for
/// it when it is hidden from the caller («< 5», «скрыто»).
fn count_cell(n: Option<u64>, why: Option<&Suppressed>, lang: Lang) -> String {
    match (n, why) {
        (Some(n), _) => n.to_string(),
        (None, why) => {
            super::i18n::suppressed_text(why.copied().unwrap_or(Suppressed::Complementary), lang)
                .to_owned()
        }
    }
}

/// One row per scope and indicator; a count hidden from the caller, and
/// the share, per cent and gap that would give it, read «< 5» or «скрыто».
fn rows(r: &Request, data: &Data) -> Vec<[String; 10]> {
    let mut out = Vec::new();
    let mut push = |scope: String, form: String, list: Vec<Disclosed>, org: Option<&str>| {
        for i in list {
            let id = i.exact.id;
            let plan = org.and_then(|o| r.plans.of(o, id));
            let hidden = i.hidden().map(|h| super::i18n::suppressed_text(h, r.lang));
            let gap = plan.map(|p| match hidden {
                Some(text) => text.to_owned(),
                None => crate::service::targets::gap(i.percent(), Some(p))
                    .map_or_else(|| no_data(r.lang).to_owned(), |g| format!("{g:.1}")),
            });
            out.push([
                scope.clone(),
                form.clone(),
                id.to_owned(),
                title(id, r.lang).to_owned(),
                count_cell(i.numerator, i.suppressed.get("numerator"), r.lang),
                count_cell(i.denominator, i.suppressed.get("denominator"), r.lang),
                match hidden {
                    Some(text) => text.to_owned(),
                    None => i.share().map(|s| format!("{s:.4}")).unwrap_or_default(),
                },
                match hidden {
                    Some(text) => text.to_owned(),
                    None => i
                        .percent()
                        .map_or_else(|| no_data(r.lang).to_owned(), |p| format!("{p:.1}")),
                },
                plan.map(|p| format!("{p:.1}")).unwrap_or_default(),
                gap.unwrap_or_default(),
            ]);
        }
    };
    let Disclosure {
        whole,
        children: by_child,
        forms,
    } = disclosed(r, data);
    push(
        r.organization.name.clone(),
        String::new(),
        whole,
        Some(r.organization.id.as_str()),
    );
    for ((o, _), list) in children(r, data).zip(by_child) {
        push(o.name.clone(), String::new(), list, Some(o.id.as_str()));
    }
    for (f, list) in Form::ALL.iter().zip(forms) {
        push(
            r.organization.name.clone(),
            f.as_str().to_owned(),
            list,
            None,
        );
    }
    out
}

/// The indicator id of the growth rows in the CSV.
const GROWTH_ID: &str = "growth";

/// What the growth rows and the growth sheet call the mean growth, in `lang`.
fn growth_title(lang: Lang) -> &'static str {
    match lang {
        Lang::Ru => "Средний прирост (выход − вход)",
        Lang::En => "Mean growth (exit − entry)",
    }
}

/// The growth of the whole subtree in the columns of [`rows`], so that the
/// CSV stays one table a spreadsheet can filter by indicator id: one row
/// per form and question, the question after the title, the pairs counted
/// as the denominator and the mean where the share goes (`Numerator /
/// Denominator` would be a sum of growths nobody reads, so it is left
/// empty, as are the percent, plan and gap, which a mean does not have).
/// Without a pair answered at both stages one row says "no data" where the
/// indicators say it, so that no reader takes the silence for zero growth.
fn growth_rows(r: &Request, data: &Data) -> Vec<[String; 10]> {
    let growth = reports::growth(data, &r.path);
    if growth.is_empty() {
        return vec![[
            r.organization.name.clone(),
            String::new(),
            GROWTH_ID.to_owned(),
            growth_title(r.lang).to_owned(),
            String::new(),
            "0".to_owned(),
            String::new(),
            no_data(r.lang).to_owned(),
            String::new(),
            String::new(),
        ]];
    }
    growth
        .into_iter()
        .map(|g| {
            [
                r.organization.name.clone(),
                g.form.as_str().to_owned(),
                GROWTH_ID.to_owned(),
                format!("{}: {}", growth_title(r.lang), g.question),
                String::new(),
                g.pairs.to_string(),
                format!("{:.4}", g.mean),
                String::new(),
                String::new(),
                String::new(),
            ]
        })
        .collect()
}

/// The headings of the growth sheet of the workbook, as in the JSON.
fn growth_headings(lang: Lang) -> [&'static str; 4] {
    match lang {
        Lang::Ru => [
            crate::domain::columns::heading::FORM,
            "Вопрос",
            "Число пар",
            growth_title(lang),
        ],
        Lang::En => ["Form", "Question", "Pairs", growth_title(lang)],
    }
}

fn headings(lang: Lang) -> [&'static str; 10] {
    match lang {
        Lang::Ru => crate::domain::columns::INDICATOR_HEADINGS_RU,
        Lang::En => [
            "Organisation",
            "Form",
            "Indicator id",
            "Indicator",
            "Numerator",
            "Denominator",
            "Share",
            "Percent",
            "Plan",
            "Gap",
        ],
    }
}

pub(crate) fn csv_response(r: &Request, data: &Data) -> Result<HttpResponse, ApiError> {
    csv_in_dialect(r, data, CsvDialect::Plain)
}

/// The indicators as CSV of `dialect` (the share with a decimal comma in
/// `excel-ru`).
fn csv_in_dialect(r: &Request, data: &Data, dialect: CsvDialect) -> Result<HttpResponse, ApiError> {
    let mut writer = dialect.writer();
    let io = |e: csv::Error| ApiError::Internal(e.to_string());
    writer.write_record(headings(r.lang)).map_err(io)?;
    for mut row in rows(r, data).into_iter().chain(growth_rows(r, data)) {
        row[6] = dialect.decimal(&row[6]);
        for cell in &mut row[PERCENT..] {
            *cell = dialect.decimal(cell);
        }
        writer
            .write_record(super::csv_cells::record(row.iter().map(String::as_str)))
            .map_err(io)?;
    }
    let body = writer
        .into_inner()
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"indicators-{}-{}.csv\"",
                r.organization.id, r.period
            ),
        ))
        .body(body))
}

/// The indicators as CSV (same as `Accept: text/csv`); `?dialect=excel-ru`
/// for what Russian Excel opens as it is (a byte-order mark, `;`, decimal
/// commas). One table: a row per scope and indicator, then the mean growth
/// per form and question as rows with the indicator id `growth`, the
/// question after the title, the pairs as the denominator and the mean
/// (exit − entry) as the share; one `growth` row with 0 pairs says "no
/// data" while no pair has answers at both stages.
#[utoipa::path(
    tag = "reports",
    params(("organization_id" = String, Query), ("period" = String, Query), ("lang" = Option<String>, Query),
           ("dialect" = Option<CsvDialect>, Query, description = "`plain` (default) or `excel-ru` (BOM, `;`, decimal commas)")),
    responses((status = 200, description = "CSV", body = CsvText, content_type = "text/csv")),
    security(("bearer" = []))
)]
#[get("/reports/indicators.csv")]
pub async fn indicators_csv(
    state: WebData<AppState>,
    caller: Caller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (r, query) = read_request(&state, &caller, &req, &["dialect"]).await?;
    let dialect = query
        .vocabulary_serde::<CsvDialect>("dialect")?
        .unwrap_or_default();
    let data = load(&state, &r.path).await?;
    csv_in_dialect(&r, &data, dialect)
}

/// The indicators as an Excel workbook: the sheet «Показатели»
/// (`Indicators`) with the rows of the CSV except the growth, and the sheet
/// «Рост» (`Growth`) with the mean growth per form and question as in the
/// JSON, or "no data" while no pair has answers at both stages.
#[utoipa::path(
    tag = "reports",
    params(("organization_id" = String, Query), ("period" = String, Query), ("lang" = Option<String>, Query)),
    responses((status = 200, description = "XLSX", body = Xlsx, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")),
    security(("bearer" = []))
)]
#[get("/reports/indicators.xlsx")]
pub async fn indicators_xlsx(
    state: WebData<AppState>,
    caller: Caller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    xlsx_response(&state, &caller, &req).await
}

/// The indicators as an Excel workbook, for `caller` (the API and the
/// pages answer with this).
pub(crate) async fn xlsx_response(
    state: &AppState,
    caller: &Caller,
    req: &HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (r, _) = read_request(state, caller, req, &[]).await?;
    let data = load(state, &r.path).await?;
    let xl = |e: rust_xlsxwriter::XlsxError| ApiError::Internal(e.to_string());
    let mut book = rust_xlsxwriter::Workbook::new();
    indicators_sheet(&mut book, &r, &data).map_err(xl)?;
    growth_sheet(&mut book, &r, &data).map_err(xl)?;
    let bytes = book.save_to_buffer().map_err(xl)?;
    Ok(HttpResponse::Ok()
        .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"indicators-{}-{}.xlsx\"",
                r.organization.id, r.period
            ),
        ))
        .body(bytes))
}

/// The first sheet of the workbook: the rows of the CSV without the
/// growth, counts as numbers and per cents as percentage cells.
fn indicators_sheet(
    book: &mut rust_xlsxwriter::Workbook,
    r: &Request,
    data: &Data,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    let sheet = book.add_worksheet();
    sheet.set_name(match r.lang {
        Lang::Ru => "Показатели",
        Lang::En => "Indicators",
    })?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let percent = rust_xlsxwriter::Format::new().set_num_format("0.0%");
    for (c, h) in headings(r.lang).iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (i, row) in rows(r, data).iter().enumerate() {
        let line = (i + 1) as u32;
        for (c, cell) in row.iter().enumerate() {
            match (c, cell.parse::<f64>()) {
                (4..=6, Ok(n)) => sheet.write_number(line, c as u16, n)?,
                // A percent cell holds the fraction, shown as per cent.
                (PERCENT.., Ok(n)) => {
                    sheet.write_number_with_format(line, c as u16, n / 100.0, &percent)?
                }
                _ => sheet.write_string(line, c as u16, cell.as_str())?,
            };
        }
    }
    sheet.autofit();
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

/// The second sheet of the workbook: the growth of the whole subtree in
/// the shape of the JSON (form, question, pairs, mean), on a sheet of its
/// own because its columns are not the indicators'. Without a pair
/// answered at both stages its one row says "no data" instead of a mean.
fn growth_sheet(
    book: &mut rust_xlsxwriter::Workbook,
    r: &Request,
    data: &Data,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    let sheet = book.add_worksheet();
    sheet.set_name(match r.lang {
        Lang::Ru => "Рост",
        Lang::En => "Growth",
    })?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    // A sign on every mean, so that a fall reads as clearly as a rise.
    let signed = rust_xlsxwriter::Format::new().set_num_format("+0.00;-0.00;0.00");
    for (c, h) in growth_headings(r.lang).iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    let growth = reports::growth(data, &r.path);
    if growth.is_empty() {
        sheet.write_number(1, 2, 0.0)?;
        sheet.write_string(1, 3, no_data(r.lang))?;
    }
    for (i, g) in growth.iter().enumerate() {
        let line = (i + 1) as u32;
        sheet.write_string(line, 0, g.form.as_str())?;
        sheet.write_string(line, 1, g.question.as_str())?;
        sheet.write_number(line, 2, g.pairs as f64)?;
        sheet.write_number_with_format(line, 3, g.mean, &signed)?;
    }
    sheet.autofit();
    sheet.set_freeze_panes(1, 0)?;
    Ok(())
}

/// One indicator's share across the child organisations, as an SVG bar chart.
#[utoipa::path(
    tag = "reports",
    params(("organization_id" = String, Query), ("period" = String, Query), ("indicator" = Option<IndicatorId>, Query, description = "Which indicator (default `teachers_mentoring`)"), ("lang" = Option<String>, Query)),
    responses(
        (status = 200, description = "SVG", body = SvgImage, content_type = "image/svg+xml"),
        (status = 422, description = "An unknown indicator, or a bad organisation, period or language", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []))
)]
#[get("/reports/indicators.svg")]
pub async fn indicators_svg(
    state: WebData<AppState>,
    caller: Caller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    svg_response(&state, &caller, &req).await
}

/// One indicator across the child organisations as SVG, for `caller`
/// (the API and the pages answer with this).
pub(crate) async fn svg_response(
    state: &AppState,
    caller: &Caller,
    req: &HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (r, query) = read_request(state, caller, req, &["indicator"]).await?;
    let indicator = query.get("indicator").unwrap_or("teachers_mentoring");
    let index = INDICATORS
        .iter()
        .position(|(id, _, _)| *id == indicator)
        .ok_or_else(|| {
            ApiError::Invalid(vec![FieldError::new("indicator", "unknown indicator")])
        })?;
    let data = load(state, &r.path).await?;
    // An organisation whose denominator is zero has no share: drawn as
    // "no data", never as a zero bar; a share hidden from the caller has
    // no bar either and reads «< 5» or «скрыто».
    let bar = |name: &str, d: &Disclosed| {
        (
            name.to_owned(),
            d.share().unwrap_or(f64::NAN),
            d.hidden().map(|h| super::i18n::suppressed_text(h, r.lang)),
        )
    };
    let seen = disclosed(&r, &data);
    let mut bars: Vec<(String, f64, Option<&str>)> = children(&r, &data)
        .zip(&seen.children)
        .map(|((o, _), list)| bar(&o.name, &list[index]))
        .collect();
    if bars.is_empty() {
        bars.push(bar(&r.organization.name, &seen.whole[index]));
    }
    let svg = crate::http::charts::bar_chart_marked(
        &format!("{} — {}", title(indicator, r.lang), r.period),
        crate::http::charts::Axes::share_by_organization(r.lang),
        &bars,
        Some(1.0),
    );
    Ok(HttpResponse::Ok().content_type("image/svg+xml").body(svg))
}
