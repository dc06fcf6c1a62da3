//! Score-matrix CSV (the export of `GET /api/v1/runs/{id}/scores`) and the `solve` command.
//!
//! Format: a header row — a label cell (e.g. `mentee`) then one mentor id per column — then one
//! row per mentee: its id, then one cell per mentor. An empty cell is a forbidden pair. Cells
//! are integers or decimals (`0.8125`); fields may be double-quoted (`""` escapes a quote).
//!
//! Decimals: when any cell has a fraction, every score is scaled by `10^k` (`k` = the largest
//! number of decimals, at most 9) to an exact integer, solved, and the total is reported back
//! as a decimal. Parsing is `O(size of the file)`; every malformed input is reported as a
//! [`CsvError`] naming the 1-based line and column, never a panic.

use std::fmt;
use std::path::Path;
use std::time::Instant;

use serde::Serialize;

use super::{
    Assignment, AssignmentError, Cell, DenseView, FORBIDDEN, Objective, ScoreMatrix, solve,
    solve_sparse, solve_view,
};

/// Largest number of decimals accepted in a cell.
pub const MAX_DECIMALS: u32 = 9;

/// A parsed score-matrix CSV.
#[derive(Clone, Debug)]
pub struct ScoreCsv {
    /// The scores as integers: the CSV values times `10^scale`.
    pub matrix: ScoreMatrix,
    /// Mentee id of each row.
    pub row_ids: Vec<String>,
    /// Mentor id of each column.
    pub col_ids: Vec<String>,
    /// Number of decimals the scores were scaled by (0 when every cell is an integer).
    pub scale: u32,
}

/// A CSV syntax or value error at a 1-based line and column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvError {
    /// 1-based line number in the file.
    pub line: usize,
    /// 1-based CSV column (the id column is 1).
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

impl std::error::Error for CsvError {}

/// Splits one CSV line into fields (RFC 4180 quoting, no embedded newlines).
fn split_fields(line: &str, line_no: usize) -> Result<Vec<&str>, CsvError> {
    let mut out = Vec::new();
    let bytes = line.as_bytes();
    let mut pos = 0;
    loop {
        if bytes.get(pos) == Some(&b'"') {
            // Quoted field: find the closing quote (doubled quotes are escapes).
            let begin = pos + 1;
            let mut k = begin;
            loop {
                match bytes.get(k) {
                    None => {
                        return Err(CsvError {
                            line: line_no,
                            column: out.len() + 1,
                            message: "unterminated quoted field".into(),
                        });
                    }
                    Some(b'"') if bytes.get(k + 1) == Some(&b'"') => k += 2,
                    Some(b'"') => break,
                    Some(_) => k += 1,
                }
            }
            out.push(&line[begin..k]);
            pos = k + 1;
            match bytes.get(pos) {
                None => return Ok(out),
                Some(b',') => pos += 1,
                Some(_) => {
                    return Err(CsvError {
                        line: line_no,
                        column: out.len(),
                        message: "unexpected text after a closing quote".into(),
                    });
                }
            }
        } else {
            match line[pos..].find(',') {
                Some(off) => {
                    out.push(&line[pos..pos + off]);
                    pos += off + 1;
                }
                None => {
                    out.push(&line[pos..]);
                    return Ok(out);
                }
            }
        }
    }
}

/// Unescapes doubled quotes in an id.
fn unquote(field: &str) -> String {
    field.trim().replace("\"\"", "\"")
}

/// Parses a decimal cell into `(mantissa, decimals)`; `None` when the cell is empty.
fn parse_cell(field: &str) -> Result<Option<(i64, u32)>, String> {
    let t = field.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let b = t.as_bytes();
    let (neg, digits) = match b[0] {
        b'-' => (true, &b[1..]),
        b'+' => (false, &b[1..]),
        _ => (false, b),
    };
    let mut mant: i128 = 0;
    let mut decimals = 0u32;
    let (mut seen_dot, mut any_digit) = (false, false);
    for &c in digits {
        match c {
            b'0'..=b'9' => {
                any_digit = true;
                mant = mant * 10 + i128::from(c - b'0');
                if mant > i128::from(i64::MAX) {
                    return Err(format!("score {t:?} is out of range"));
                }
                if seen_dot {
                    decimals += 1;
                    if decimals > MAX_DECIMALS {
                        return Err(format!("score {t:?} has more than {MAX_DECIMALS} decimals"));
                    }
                }
            }
            b'.' if !seen_dot => seen_dot = true,
            _ => return Err(format!("{t:?} is not a number")),
        }
    }
    if !any_digit {
        return Err(format!("{t:?} is not a number"));
    }
    let v = if neg { -mant } else { mant };
    let v = i64::try_from(v).map_err(|_| format!("score {t:?} is out of range"))?;
    Ok(Some((v, decimals)))
}

/// Parses the score-matrix CSV text. Blank lines are ignored. `O(size of the text)`.
///
/// ```rust
/// use mentor_match::matching::assignment::FORBIDDEN;
/// use mentor_match::matching::assignment::matrix_csv::parse_score_csv;
///
/// let csv = parse_score_csv("mentee,m1,m2\ne1,0.5,\ne2,0.25,1\n").expect("valid CSV");
/// assert_eq!(csv.row_ids, ["e1", "e2"]);
/// assert_eq!(csv.col_ids, ["m1", "m2"]);
/// // Decimals are scaled to exact integers: 2 decimals → ×100.
/// assert_eq!(csv.scale, 2);
/// assert_eq!(csv.matrix.cells(), [50, FORBIDDEN, 25, 100]);
/// ```
pub fn parse_score_csv(text: &str) -> Result<ScoreCsv, CsvError> {
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(k, l)| (k + 1, l.strip_suffix('\r').unwrap_or(l)))
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((hline, header)) = lines.next() else {
        return Err(CsvError {
            line: 1,
            column: 1,
            message: "empty file: a header row is required".into(),
        });
    };
    let hfields = split_fields(header, hline)?;
    let col_ids: Vec<String> = hfields[1..].iter().map(|f| unquote(f)).collect();
    let cols = col_ids.len();
    let mut row_ids = Vec::new();
    let mut raw: Vec<Option<(i64, u32)>> = Vec::new();
    let mut line_of_row = Vec::new();
    let mut scale = 0u32;
    for (line_no, line) in lines {
        let fields = split_fields(line, line_no)?;
        if fields.len() != cols + 1 {
            return Err(CsvError {
                line: line_no,
                column: fields.len().min(cols + 1) + 1,
                message: format!(
                    "expected {} fields (id + {cols} scores), found {}",
                    cols + 1,
                    fields.len()
                ),
            });
        }
        row_ids.push(unquote(fields[0]));
        line_of_row.push(line_no);
        for (k, f) in fields[1..].iter().enumerate() {
            let cell = parse_cell(f).map_err(|message| CsvError {
                line: line_no,
                column: k + 2,
                message,
            })?;
            if let Some((_, d)) = cell {
                scale = scale.max(d);
            }
            raw.push(cell);
        }
    }
    let mut cells = Vec::with_capacity(raw.len());
    for (idx, cell) in raw.into_iter().enumerate() {
        let v = match cell {
            None => FORBIDDEN,
            Some((m, d)) => {
                let scaled = 10i64
                    .checked_pow(scale - d)
                    .and_then(|p| m.checked_mul(p))
                    .filter(|&v| v != FORBIDDEN);
                scaled.ok_or_else(|| CsvError {
                    line: line_of_row[idx / cols.max(1)],
                    column: idx % cols.max(1) + 2,
                    message: format!("score is out of range once scaled by 10^{scale}"),
                })?
            }
        };
        cells.push(v);
    }
    let matrix = ScoreMatrix::new(row_ids.len(), cols, cells).map_err(|e| CsvError {
        line: hline,
        column: 1,
        message: e.to_string(),
    })?;
    Ok(ScoreCsv {
        matrix,
        row_ids,
        col_ids,
        scale,
    })
}

/// Writes `value / 10^scale` as an exact decimal string.
pub fn format_scaled(value: i64, scale: u32) -> String {
    if scale == 0 {
        return value.to_string();
    }
    let digits = value.unsigned_abs().to_string();
    let width = scale as usize + 1;
    let padded = format!("{digits:0>width$}");
    let (int, frac) = padded.split_at(padded.len() - scale as usize);
    format!("{}{int}.{frac}", if value < 0 { "-" } else { "" })
}

/// Output of the `solve` command (printed as JSON by `mentor-match solve`).
#[derive(Clone, Debug, Serialize)]
pub struct SolveReport {
    /// Sum of the chosen scores, an integer when the CSV had only integers, else the nearest
    /// JSON number to the exact decimal (see `total_exact`).
    pub total: serde_json::Number,
    /// The exact total as a decimal string.
    pub total_exact: String,
    /// Number of matched mentees (the maximum possible).
    pub matched: usize,
    /// Median solve time over the repeats in milliseconds (CSV parsing excluded).
    pub solve_ms: f64,
    /// Chosen `[mentee_id, mentor_id]` pairs, in row order.
    pub pairs: Vec<(String, String)>,
}

/// Why the `solve` command failed.
#[derive(Debug)]
pub enum SolveCommandError {
    /// The file could not be read.
    Io(std::io::Error),
    /// The CSV is malformed.
    Csv(CsvError),
    /// The solver rejected the matrix.
    Assignment(AssignmentError),
}

impl fmt::Display for SolveCommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io(e) => write!(f, "cannot read the matrix: {e}"),
            Self::Csv(e) => write!(f, "bad score CSV: {e}"),
            Self::Assignment(e) => write!(f, "cannot solve: {e}"),
        }
    }
}

impl std::error::Error for SolveCommandError {}

/// The allowed cells of a mostly forbidden matrix (at least [`SPARSE_INPUT_MIN_CELLS`] cells, at
/// most a quarter allowed) as `(row, col, score)` edges; `None` for a denser one.
fn allowed_edges(matrix: &ScoreMatrix) -> Option<Vec<(usize, usize, i64)>> {
    let (rows, cols) = (matrix.rows(), matrix.cols());
    let cells = matrix.cells();
    let allowed = cells.iter().filter(|&&s| s != FORBIDDEN).count();
    if rows * cols < SPARSE_INPUT_MIN_CELLS || allowed.saturating_mul(4) > rows * cols {
        return None;
    }
    let mut edges = Vec::with_capacity(allowed);
    for (k, &s) in cells.iter().enumerate() {
        if s != FORBIDDEN {
            edges.push((k / cols, k % cols, s));
        }
    }
    Some(edges)
}

/// Matrices with fewer cells are always solved dense by the `solve` command.
pub const SPARSE_INPUT_MIN_CELLS: usize = 4096;

/// The cells as `i32` when every allowed score fits (forbidden cells stay forbidden).
fn narrow_cells(matrix: &ScoreMatrix) -> Option<Vec<i32>> {
    let fits = |s: i64| s > i64::from(i32::MIN) && s <= i64::from(i32::MAX);
    if matrix.min <= matrix.max && !(fits(matrix.min) && fits(matrix.max)) {
        return None;
    }
    Some(
        matrix
            .cells
            .iter()
            .map(|&c| {
                if c == FORBIDDEN {
                    i32::FORBIDDEN
                } else {
                    i32::from_score(c)
                }
            })
            .collect(),
    )
}

/// `mentor-match solve MATRIX.csv [--repeat N]`: reads the CSV, solves it `repeat` times
/// (at least once) with [`Objective::Total`] and unit capacities (coverage first), and reports
/// the assignment with the median solve time. A mostly forbidden matrix is handed to the solver
/// as its allowed cells ([`solve_sparse`]), as sparse solvers take it, so the solve never reads
/// the forbidden ones; the answer is the same as [`solve`] on the dense matrix.
///
/// ```rust
/// use mentor_match::matching::assignment::solve_command;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let path = std::env::temp_dir().join(format!("solve-doc-{}.csv", std::process::id()));
/// std::fs::write(&path, "mentee,anna,boris\npetya,0.9,0.8\nvera,0.7,\n")?;
/// let report = solve_command(&path, 1);
/// std::fs::remove_file(&path)?;
/// let report = report?;
/// // Vera can only have Anna, so Petya takes Boris: 0.8 + 0.7.
/// assert_eq!(report.total_exact, "1.5");
/// assert_eq!(report.pairs, [("petya".into(), "boris".into()), ("vera".into(), "anna".into())]);
/// # Ok(())
/// # }
/// ```
pub fn solve_command(path: &Path, repeat: usize) -> Result<SolveReport, SolveCommandError> {
    let text = std::fs::read_to_string(path).map_err(SolveCommandError::Io)?;
    let csv = parse_score_csv(&text).map_err(SolveCommandError::Csv)?;
    let capacity = vec![1u32; csv.matrix.cols()];
    let edges = allowed_edges(&csv.matrix);
    // Scores that fit in four bytes are solved in four-byte cells, as the engine's are: half
    // the memory traffic in the searches. Narrowed once, like the parsing, outside the timing;
    // a matrix solved from its allowed cells needs no copy.
    let narrow = edges.is_none().then(|| narrow_cells(&csv.matrix)).flatten();
    let narrow_view = narrow
        .as_deref()
        .map(|cells| DenseView::new(csv.matrix.rows, csv.matrix.cols, cells));
    let run = || -> Result<(Assignment, f64), SolveCommandError> {
        let t = Instant::now();
        let a = match (&edges, narrow_view) {
            (None, Some(view)) => solve_view(view, &capacity, Objective::Total),
            (Some(edges), _) => solve_sparse(
                csv.matrix.rows(),
                csv.matrix.cols(),
                edges,
                &capacity,
                Objective::Total,
            ),
            (None, None) => solve(&csv.matrix, &capacity, Objective::Total),
        }
        .map_err(SolveCommandError::Assignment)?;
        Ok((a, t.elapsed().as_secs_f64() * 1000.0))
    };
    let (a, first) = run()?;
    let mut times = vec![first];
    for _ in 1..repeat {
        times.push(run()?.1);
    }
    times.sort_by(f64::total_cmp);
    let solve_ms = times[times.len() / 2];
    let total_exact = format_scaled(a.total, csv.scale);
    let total = if csv.scale == 0 {
        serde_json::Number::from(a.total)
    } else {
        total_exact
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .unwrap_or_else(|| serde_json::Number::from(0))
    };
    let pairs = a
        .pairs
        .iter()
        .map(|&(r, c)| (csv.row_ids[r].clone(), csv.col_ids[c].clone()))
        .collect();
    Ok(SolveReport {
        total,
        total_exact,
        matched: a.matched,
        solve_ms,
        pairs,
    })
}
