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
const TOP: f64 = 40.0;

/// What the two axes of a chart measure, in words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Axes<'a> {
    /// The horizontal axis (what each bar stands for).
    pub x: &'a str,
    /// The vertical axis (what a bar's height counts).
    pub y: &'a str,
}

impl Axes<'static> {
    /// The axes of an indicator compared across organisations.
    pub fn share_by_organization(lang: Lang) -> Self {
        match lang {
            Lang::En => Axes {
                x: "Organisation",
                y: "Share",
            },
            Lang::Ru => Axes {
                x: "Организация",
                y: "Доля",
            },
        }
    }

    /// The axes of a histogram of pair scores.
    pub fn pairs_by_score(lang: Lang) -> Self {
        match lang {
            Lang::En => Axes {
                x: "Pair score",
                y: "Pairs",
            },
            Lang::Ru => Axes {
                x: "Оценка пары",
                y: "Число пар",
            },
        }
    }
}

/// The histogram of a run's pair scores, titled and labelled in `lang`.
pub fn score_histogram(run_id: &str, scores: &[f64], lang: Lang) -> String {
    let n = scores.len();
    let title = match lang {
        Lang::En => format!("Pair scores, run {run_id} ({n} pairs)"),
        Lang::Ru => format!(
            "Оценки пар, запуск {run_id} ({n} {})",
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

fn frame(title: &str, axes: Axes<'_>, body: &str) -> String {
    let plot_h = HEIGHT - TOP - BOTTOM;
    let (ax, ay) = (14.0, TOP + plot_h / 2.0);
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" \
         font-family=\"sans-serif\" font-size=\"12\">\n<title>{t}</title>\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{x}\" y=\"22\" font-size=\"15\" text-anchor=\"middle\">{t}</text>\n{body}\
         <text class=\"axis-x\" x=\"{xx}\" y=\"{xy}\" text-anchor=\"middle\" font-style=\"italic\">{axis_x}</text>\n\
         <text class=\"axis-y\" x=\"{ax}\" y=\"{ay}\" text-anchor=\"middle\" font-style=\"italic\" transform=\"rotate(-90 {ax} {ay})\">{axis_y}</text>\n</svg>\n",
        t = escape(title),
        x = WIDTH / 2.0,
        xx = LEFT + (WIDTH - LEFT - 48.0) / 2.0,
        xy = HEIGHT - 8.0,
        axis_x = escape(axes.x),
        axis_y = escape(axes.y),
    )
}

/// Bars of `values` (each with a label), on a scale from 0 to the largest
/// value (or to `max` when given, e.g. 1 for shares), with the axes named.
pub fn bar_chart(title: &str, axes: Axes<'_>, bars: &[(String, f64)], max: Option<f64>) -> String {
    let top = max
        .unwrap_or_else(|| bars.iter().map(|(_, v)| *v).fold(0.0, f64::max))
        .max(f64::EPSILON);
    // Room on the right for the last turned label.
    let plot_w = WIDTH - LEFT - 48.0;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let slot = plot_w / bars.len().max(1) as f64;
    let mut body = String::new();
    let _ = writeln!(
        body,
        "<line x1=\"{LEFT}\" y1=\"{y}\" x2=\"{x2}\" y2=\"{y}\" stroke=\"#444\"/>",
        y = TOP + plot_h,
        x2 = LEFT + plot_w
    );
    for tick in 0..=4 {
        let v = top * f64::from(tick) / 4.0;
        let y = TOP + plot_h - plot_h * f64::from(tick) / 4.0;
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
    for (i, (label, value)) in bars.iter().enumerate() {
        let h = plot_h * (value / top).clamp(0.0, 1.0);
        let x = LEFT + slot * i as f64 + slot * 0.15;
        let _ = writeln!(
            body,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"#3b7dd8\"><title>{}: {}</title></rect>",
            TOP + plot_h - h,
            slot * 0.7,
            escape(label),
            format_tick(*value)
        );
        // The value above its bar, so that small bars still read.
        let _ = writeln!(
            body,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            x + slot * 0.35,
            TOP + plot_h - h - 4.0,
            format_tick(*value)
        );
        if bars.len() <= 6 {
            // Few bars: the label lies flat under its bar, cut to fit.
            let fits = ((slot / 8.5) as usize).max(4);
            let _ = writeln!(
                body,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                x + slot * 0.35,
                TOP + plot_h + 16.0,
                escape(&shorten(label, fits))
            );
        } else {
            // Many bars: labels turn, hanging down to the right of their bar.
            let (lx, ly) = (x + slot * 0.2, TOP + plot_h + 12.0);
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
}
