//! Small SVG charts (no JavaScript): a histogram of scores and a bar chart
//! across organisations. Text is escaped; sizes are fixed so the pictures
//! render the same everywhere.

use std::fmt::Write;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 360.0;
const LEFT: f64 = 56.0;
const BOTTOM: f64 = 64.0;
const TOP: f64 = 40.0;

/// Escapes text for SVG.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn frame(title: &str, body: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" \
         font-family=\"sans-serif\" font-size=\"12\">\n<title>{t}</title>\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{x}\" y=\"22\" font-size=\"15\" text-anchor=\"middle\">{t}</text>\n{body}</svg>\n",
        t = escape(title),
        x = WIDTH / 2.0
    )
}

/// Bars of `values` (each with a label), on a scale from 0 to the largest
/// value (or to `max` when given, e.g. 1 for shares).
pub fn bar_chart(title: &str, bars: &[(String, f64)], max: Option<f64>) -> String {
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
    frame(title, &body)
}

/// A histogram of `values` in 0..1 over `bins` equal bins.
pub fn histogram(title: &str, values: &[f64], bins: usize) -> String {
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
    bar_chart(title, &bars, None)
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
        let svg = histogram("Scores <run>", &[0.1, 0.15, 0.9, 1.0], 10);
        assert_eq!(svg.matches("<rect x=").count(), 10);
        assert!(svg.contains("Scores &lt;run&gt;"));
        assert!(!svg.contains("<script"));
        assert!(svg.contains("0.10–0.20: 2"));
    }
}
