//! Small SVG charts (no JavaScript): a histogram of scores and a bar chart
//! across organisations, with their titles and axis names in English or
//! Russian. Text is escaped; sizes are fixed so the pictures render the
//! same everywhere.

use crate::matching::Lang;
use std::fmt::Write;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 384.0;
const LEFT: f64 = 64.0;
/// Room under the plot for the bar labels and the name of the x axis.
const BOTTOM: f64 = 88.0;
/// Room above the plot for a title of one line; each further line of a
/// long title takes [`TITLE_LINE`] more.
const TOP: f64 = 40.0;
/// The height of a line of the title.
const TITLE_LINE: f64 = 18.0;
/// The title's font size, and the most characters a line of it holds
/// (a Cyrillic letter at 15 px is about 9 px wide; the box is 640 wide).
const TITLE_SIZE: f64 = 15.0;
const TITLE_CHARS: usize = 64;
/// A long title wraps onto at most this many lines (the last is cut).
const TITLE_LINES: usize = 3;

/// What the two axes of a chart measure, in words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Axes<'a> {
    /// The horizontal axis (what each bar stands for).
    pub x: &'a str,
    /// The vertical axis (what a bar's height counts).
    pub y: &'a str,
    /// What stands instead of a bar whose value is unknown (not a
    /// number: e.g. a share of nobody).
    pub no_data: &'a str,
}

impl Axes<'static> {
    /// The axes of an indicator compared across organisations.
    pub fn share_by_organization(lang: Lang) -> Self {
        match lang {
            Lang::En => Axes {
                x: "Organisation",
                y: "Share",
                no_data: "no data",
            },
            Lang::Ru => Axes {
                x: "Организация",
                y: "Доля",
                no_data: "нет данных",
            },
        }
    }

    /// The axes of a histogram of pair scores.
    pub fn pairs_by_score(lang: Lang) -> Self {
        match lang {
            Lang::En => Axes {
                x: "Pair score",
                y: "Pairs",
                no_data: "no data",
            },
            Lang::Ru => Axes {
                x: "Оценка пары",
                y: "Число пар",
                no_data: "нет данных",
            },
        }
    }
}

/// The histogram of a run's pair scores, titled and labelled in `lang`.
pub fn score_histogram(run_id: &str, scores: &[f64], lang: Lang) -> String {
    let run = match lang {
        Lang::En => format!("run {run_id}"),
        Lang::Ru => format!("запуск {run_id}"),
    };
    score_histogram_of(&run, scores, lang)
}

/// The histogram of a run's pair scores, the run named by `run` in words
/// (e.g. "подбор от 30.11.2026 14:05").
pub fn score_histogram_of(run: &str, scores: &[f64], lang: Lang) -> String {
    let n = scores.len();
    let title = match lang {
        Lang::En => format!("Pair scores, {run} ({n} pairs)"),
        Lang::Ru => format!(
            "Оценки пар, {run} ({n} {})",
            russian_plural(n, ["пара", "пары", "пар"])
        ),
    };
    histogram(&title, Axes::pairs_by_score(lang), scores, 10)
}

/// The Russian form of a counted noun: for 1 (21, 31 …), for 2–4 (22 …)
/// and for the rest (5–20, 25 …).
fn russian_plural(n: usize, forms: [&str; 3]) -> &str {
    match (n % 100, n % 10) {
        (11..=14, _) => forms[2],
        (_, 1) => forms[0],
        (_, 2..=4) => forms[1],
        _ => forms[2],
    }
}

/// Escapes text for SVG.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A title cut into lines at spaces, each at most [`TITLE_CHARS`]
/// characters (a longer word is cut), at most [`TITLE_LINES`] lines (the
/// last ends with "…" when the title goes on).
fn title_lines(title: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in title.split_whitespace() {
        let fits =
            line.is_empty() || line.chars().count() + 1 + word.chars().count() <= TITLE_CHARS;
        if !fits {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    let cut = lines.len() > TITLE_LINES;
    lines.truncate(TITLE_LINES);
    let last = lines.len() - 1;
    for (i, l) in lines.iter_mut().enumerate() {
        if l.chars().count() > TITLE_CHARS || (cut && i == last) {
            *l = shorten(&format!("{l}\u{2026}"), TITLE_CHARS);
        }
    }
    lines
}

/// Where the plot starts for a title of `lines` lines.
fn top_for(lines: usize) -> f64 {
    TOP + TITLE_LINE * lines.saturating_sub(1) as f64
}

fn frame(title: &str, axes: Axes<'_>, body: &str) -> String {
    let lines = title_lines(title);
    let top = top_for(lines.len());
    let plot_h = HEIGHT - top - BOTTOM;
    let (ax, ay) = (14.0, top + plot_h / 2.0);
    let x = WIDTH / 2.0;
    let heading: String = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            format!(
                "<tspan x=\"{x}\" dy=\"{}\">{}</tspan>",
                if i == 0 { 0.0 } else { TITLE_LINE },
                escape(l)
            )
        })
        .collect();
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" \
         font-family=\"sans-serif\" font-size=\"12\">\n<title>{t}</title>\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text class=\"title\" x=\"{x}\" y=\"22\" font-size=\"{TITLE_SIZE}\" text-anchor=\"middle\">{heading}</text>\n{body}\
         <text class=\"axis-x\" x=\"{xx}\" y=\"{xy}\" text-anchor=\"middle\" font-style=\"italic\">{axis_x}</text>\n\
         <text class=\"axis-y\" x=\"{ax}\" y=\"{ay}\" text-anchor=\"middle\" font-style=\"italic\" transform=\"rotate(-90 {ax} {ay})\">{axis_y}</text>\n</svg>\n",
        t = escape(title),
        xx = LEFT + (WIDTH - LEFT - 48.0) / 2.0,
        xy = HEIGHT - 8.0,
        axis_x = escape(axes.x),
        axis_y = escape(axes.y),
    )
}

/// Bars of `values` (each with a label), on a scale from 0 to the largest
/// value (or to `max` when given, e.g. 1 for shares), with the axes named.
/// Counts get whole ticks. A value that is not a number (a share of
/// nobody) has no bar: [`Axes::no_data`] stands in its place.
pub fn bar_chart(title: &str, axes: Axes<'_>, bars: &[(String, f64)], max: Option<f64>) -> String {
    let bars: Vec<(String, f64, Option<&str>)> =
        bars.iter().map(|(l, v)| (l.clone(), *v, None)).collect();
    bar_chart_marked(title, axes, &bars, max)
}

/// [`bar_chart`] where a bar without a value may say why instead of
/// [`Axes::no_data`]: a count hidden from the caller draws no bar and
/// reads its mark («< 5»).
pub fn bar_chart_marked(
    title: &str,
    axes: Axes<'_>,
    bars: &[(String, f64, Option<&str>)],
    max: Option<f64>,
) -> String {
    let top = max
        .unwrap_or_else(|| {
            let largest = bars
                .iter()
                .map(|(_, v, _)| *v)
                .filter(|v| v.is_finite())
                .fold(0.0, f64::max);
            let counts = bars
                .iter()
                .all(|(_, v, _)| !v.is_finite() || v.fract() == 0.0);
            if counts {
                // Whole ticks: the top rounds up to a multiple of 4.
                ((largest / 4.0).ceil() * 4.0).max(4.0)
            } else {
                largest
            }
        })
        .max(f64::EPSILON);
    // Room on the right for the last turned label.
    let plot_w = WIDTH - LEFT - 48.0;
    let top_y = top_for(title_lines(title).len());
    let plot_h = HEIGHT - top_y - BOTTOM;
    let slot = plot_w / bars.len().max(1) as f64;
    let mut body = String::new();
    let _ = writeln!(
        body,
        "<line x1=\"{LEFT}\" y1=\"{y}\" x2=\"{x2}\" y2=\"{y}\" stroke=\"#444\"/>",
        y = top_y + plot_h,
        x2 = LEFT + plot_w
    );
    for tick in 0..=4 {
        let v = top * f64::from(tick) / 4.0;
        let y = top_y + plot_h - plot_h * f64::from(tick) / 4.0;
        let _ = writeln!(
            body,
            "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            LEFT - 6.0,
            y + 4.0,
            format_tick(v)
        );
        let _ = writeln!(
            body,
            "<line x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/>",
            LEFT + plot_w
        );
    }
    for (i, (label, value, mark)) in bars.iter().enumerate() {
        let x = LEFT + slot * i as f64 + slot * 0.15;
        if value.is_finite() {
            let h = plot_h * (value / top).clamp(0.0, 1.0);
            let _ = writeln!(
                body,
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"#3b7dd8\"><title>{}: {}</title></rect>",
                top_y + plot_h - h,
                slot * 0.7,
                escape(label),
                format_tick(*value)
            );
            // The value above its bar, so that small bars still read.
            let _ = writeln!(
                body,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                x + slot * 0.35,
                top_y + plot_h - h - 4.0,
                format_tick(*value)
            );
        } else {
            // No bar rather than a bar of zero: there is nothing to count,
            // or it is hidden.
            let (class, text) = match mark {
                Some(m) => ("suppressed", *m),
                None => ("no-data", axes.no_data),
            };
            let _ = writeln!(
                body,
                "<text class=\"{class}\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#666\" font-style=\"italic\">{}<title>{}: {}</title></text>",
                x + slot * 0.35,
                top_y + plot_h - 6.0,
                escape(text),
                escape(label),
                escape(text)
            );
        }
        if bars.len() <= 6 {
            // Few bars: the label lies flat under its bar, cut to fit.
            let fits = ((slot / 8.5) as usize).max(4);
            let _ = writeln!(
                body,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                x + slot * 0.35,
                top_y + plot_h + 16.0,
                escape(&shorten(label, fits))
            );
        } else {
            // Many bars: labels turn, hanging down to the right of their bar.
            let (lx, ly) = (x + slot * 0.2, top_y + plot_h + 12.0);
            let _ = writeln!(
                body,
                "<text x=\"{lx:.1}\" y=\"{ly:.1}\" text-anchor=\"start\" transform=\"rotate(30 {lx:.1} {ly:.1})\">{}</text>",
                escape(&shorten(label, 14))
            );
        }
    }
    frame(title, axes, &body)
}

/// A histogram of `values` in 0..1 over `bins` equal bins.
pub fn histogram(title: &str, axes: Axes<'_>, values: &[f64], bins: usize) -> String {
    let bins = bins.max(1);
    let mut counts = vec![0.0; bins];
    for v in values {
        let i = ((v.clamp(0.0, 1.0) * bins as f64) as usize).min(bins - 1);
        counts[i] += 1.0;
    }
    let bars: Vec<(String, f64)> = counts
        .iter()
        .enumerate()
        .map(|(i, c)| {
            (
                format!(
                    "{:.2}–{:.2}",
                    i as f64 / bins as f64,
                    (i + 1) as f64 / bins as f64
                ),
                *c,
            )
        })
        .collect();
    bar_chart(title, axes, &bars, None)
}

fn format_tick(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

fn shorten(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        label.to_owned()
    } else {
        label.chars().take(max - 1).collect::<String>() + "…"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_histogram_has_one_bar_per_bin_and_escapes_text() {
        let axes = Axes {
            x: "score",
            y: "pairs",
            no_data: "no data",
        };
        let svg = histogram("Scores <run>", axes, &[0.1, 0.15, 0.9, 1.0], 10);
        assert_eq!(svg.matches("<rect x=").count(), 10);
        assert!(svg.contains("Scores &lt;run&gt;"));
        assert!(!svg.contains("<script"));
        assert!(svg.contains("0.10–0.20: 2"));
        assert!(svg.contains(">score</text>") && svg.contains(">pairs</text>"));
    }

    #[test]
    fn the_score_histogram_speaks_the_language_asked_for() {
        let scores = [0.2, 0.4, 0.9];
        let en = score_histogram("r-1", &scores, Lang::En);
        assert!(en.contains("Pair scores, run r-1 (3 pairs)"));
        assert!(en.contains(">Pair score</text>") && en.contains(">Pairs</text>"));
        let ru = score_histogram("r-1", &scores, Lang::Ru);
        assert!(ru.contains("Оценки пар, запуск r-1 (3 пары)"), "{ru}");
        assert!(ru.contains(">Оценка пары</text>") && ru.contains(">Число пар</text>"));
        assert!(!ru.contains("Pair"));
        assert!(score_histogram("r", &[0.5; 21], Lang::Ru).contains("(21 пара)"));
        assert!(score_histogram("r", &[0.5; 11], Lang::Ru).contains("(11 пар)"));
    }

    #[test]
    fn a_bar_chart_names_its_axes() {
        let svg = bar_chart(
            "Доля",
            Axes::share_by_organization(Lang::Ru),
            &[("Школа №7".into(), 0.5)],
            Some(1.0),
        );
        assert!(svg.contains(">Организация</text>") && svg.contains(">Доля</text>"));
        assert!(svg.contains("Школа №7"));
    }

    #[test]
    fn a_long_title_wraps_inside_the_box() {
        let title =
            "Доля педагогов, наставляющих учеников, состоящих на профилактическом учёте — 2026-11";
        let svg = bar_chart(
            title,
            Axes::share_by_organization(Lang::Ru),
            &[("Школа".into(), 0.5)],
            Some(1.0),
        );
        assert_eq!(svg.matches("<tspan").count(), 2, "{svg}");
        assert!(svg.contains(&format!("<title>{title}</title>")));
        for line in title_lines(title) {
            assert!(line.chars().count() <= TITLE_CHARS);
        }
        let long = "слово ".repeat(100);
        let lines = title_lines(&long);
        assert_eq!(lines.len(), TITLE_LINES);
        assert!(lines[TITLE_LINES - 1].ends_with('…'));
        assert_eq!(title_lines("Коротко"), vec!["Коротко".to_owned()]);
    }

    #[test]
    fn counts_get_whole_ticks_and_unknown_values_no_bar() {
        let svg = histogram("h", Axes::pairs_by_score(Lang::En), &[0.45; 21], 10);
        assert!(svg.contains(">24</text>") && !svg.contains("5.25"), "{svg}");
        let svg = bar_chart(
            "Доля",
            Axes::share_by_organization(Lang::Ru),
            &[("Школа №1".into(), f64::NAN), ("Школа №2".into(), 0.5)],
            Some(1.0),
        );
        assert_eq!(svg.matches("<rect x=").count(), 1);
        assert!(
            svg.contains(">нет данных<") && !svg.contains("NaN"),
            "{svg}"
        );
    }
}
