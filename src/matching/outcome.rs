//! What a run returns: proposals, unmatched and ineligible mentees,
//! statistics, and the score matrix (per component) with its CSV export.

use super::assignment::{Cell, Objective};
use super::explain::{BreakdownItem, GroupReason, Lang};
use super::score::{FORBIDDEN, format_scaled};
use super::unmatched::{Ineligible, Unmatched};
use crate::domain::{Form, Id, Weights};
use serde::{Deserialize, Serialize, Serializer};
use std::collections::HashMap;
use std::io::{self, Write};

/// One member's line in a group proposal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberBreakdown {
    /// The mentee.
    pub mentee_id: Id,
    /// The pair's score 0..1 (6 decimals).
    pub score: f64,
    /// The pair's breakdown.
    pub breakdown: Vec<BreakdownItem>,
}

/// A proposed pair, or a group (one mentor, several mentees).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Proposal {
    /// The mentor.
    pub mentor_id: Id,
    /// The mentee(s).
    pub mentee_ids: Vec<Id>,
    /// Score 0..1 (rounded to 6 decimals); a group's is its members' mean.
    pub score: f64,
    /// Criterion breakdown; contributions sum to `score` (±1e-6). For a
    /// group, the mean over its members.
    pub breakdown: Vec<BreakdownItem>,
    /// Per-member breakdowns (groups only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<MemberBreakdown>,
    /// Group cohesion 0..1 (groups only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cohesion: Option<f64>,
    /// Why the group was formed (groups only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_reason: Option<GroupReason>,
    /// Kept as the curator pinned it, not chosen by the run.
    pub pinned: bool,
    /// The scoring details in one sentence.
    pub summary: String,
    /// Stability evidence: mentors its mentee(s) rank above the one
    /// proposed who would also rather have them (blocking pairs, see
    /// [`crate::matching::stable`]); empty when the proposal is stable.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub preferred_partners: Vec<PreferredPartner>,
}

/// A mentor a mentee ranks above its proposed one and who would also
/// rather have that mentee: together they block the assignment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreferredPartner {
    /// The mentee (one of the proposal's).
    pub mentee_id: Id,
    /// The mentor both would rather have together.
    pub mentor_id: Id,
}

impl Proposal {
    /// Renders every text of a stored proposal again in `lang`, from the
    /// facts it keeps (a run is stored once and read in either language).
    pub fn localize(&mut self, lang: Lang) {
        for item in &mut self.breakdown {
            item.detail = item.fact.render(lang);
        }
        for member in &mut self.members {
            for item in &mut member.breakdown {
                item.detail = item.fact.render(lang);
            }
        }
        if let Some(reason) = &mut self.group_reason {
            reason.text = reason.render(lang);
        }
        self.summary = super::explain::summary(&self.breakdown);
    }
}

/// Milliseconds spent in each phase.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Timings {
    /// Eligibility, mentor rules, feature encoding.
    pub encode_ms: f64,
    /// Pair rules and connected components.
    pub decompose_ms: f64,
    /// Scoring the allowed pairs.
    pub score_ms: f64,
    /// Solving the components (with group repair).
    pub solve_ms: f64,
    /// Breakdowns, texts, reasons, statistics.
    pub explain_ms: f64,
}

/// Run statistics.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Stats {
    /// Mentees the run considered (not pinned).
    pub mentees_eligible: usize,
    /// Eligible mentees that got a mentor.
    pub mentees_matched: usize,
    /// Mentees kept in pinned pairs.
    pub mentees_pinned: usize,
    /// Distinct mentors in proposals (pinned included).
    pub mentors_used: usize,
    /// Mentors with capacity that pass the mentor-side rules.
    pub mentors_available: usize,
    /// Sum of pair scores over all proposed pairs (pinned included).
    pub total_score: f64,
    /// Mean pair score.
    pub mean_score: f64,
    /// Lowest pair score.
    pub min_score: f64,
    /// Pairs (mentee, mentor) who would both rather be together than with
    /// whom the run gave them, whatever the objective; 0 for `stable`.
    /// Both sides rank by score (see [`crate::matching::stable`]).
    #[serde(default)]
    pub blocking_pairs: usize,
    /// Mean group cohesion (group programmes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean_cohesion: Option<f64>,
    /// Allowed pairs scored.
    pub pairs_scored: u64,
    /// Connected components solved.
    pub components: usize,
    /// Largest component (mentees × mentors).
    pub largest_component: (usize, usize),
    /// Time per phase.
    pub timings: Timings,
    /// How the groups were formed (group programmes only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<GroupStats>,
}

/// What the exact group search proved, over all components of a group
/// programme. Scores are 0..1 per pair, as elsewhere.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GroupStats {
    /// Components searched.
    #[serde(default)]
    pub components: usize,
    /// Components whose grouping is proven optimal.
    #[serde(default)]
    pub optimal_components: usize,
    /// Components where the time budget ran out.
    #[serde(default)]
    pub budget_hit: usize,
    /// Σ (proven bound on matched − matched): mentees a better grouping
    /// might still match; 0 when every component is optimal.
    #[serde(default)]
    pub coverage_gap: usize,
    /// Σ (proven bound on the total − total), in score units.
    #[serde(default)]
    pub score_gap: f64,
    /// The search budget per component, in milliseconds.
    #[serde(default)]
    pub time_budget_ms: u32,
    /// Per component, in the order of `score_tables`.
    #[serde(default)]
    pub per_component: Vec<GroupComponentStats>,
}

/// The exact group search on one component.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GroupComponentStats {
    /// Mentees in the component.
    #[serde(default)]
    pub mentees: usize,
    /// Mentors in the component.
    #[serde(default)]
    pub mentors: usize,
    /// Mentees matched.
    #[serde(default)]
    pub matched: usize,
    /// Proven upper bound on the mentees any valid grouping matches.
    #[serde(default)]
    pub matched_bound: usize,
    /// Total score of the grouping.
    #[serde(default)]
    pub total_score: f64,
    /// Proven upper bound on the optimum's total score.
    #[serde(default)]
    pub score_bound: f64,
    /// Proven optimal.
    #[serde(default)]
    pub optimal: bool,
    /// The time budget ran out.
    #[serde(default)]
    pub budget_hit: bool,
    /// Relaxations solved.
    #[serde(default)]
    pub nodes: u64,
    /// Search time in milliseconds.
    #[serde(default)]
    pub solve_ms: f64,
}

/// A forbidden cell of [`Cells::Dense`].
pub const DENSE_FORBIDDEN: i32 = <i32 as Cell>::FORBIDDEN;

/// A component's scaled scores (score × 1,000,000), in one of two forms
/// with the same meaning: every cell row-major (dense components), or
/// only the allowed cells row by row (sparse components, see
/// `engine/scoring.rs` for when). Indices are local to the component.
#[derive(Debug, Clone, PartialEq)]
pub enum Cells {
    /// Row-major rows × columns, [`DENSE_FORBIDDEN`] where a rule forbids.
    /// Scaled scores lie in `0..=1_000_000`, so four bytes a cell are
    /// enough: a region-wide component is hundreds of millions of cells.
    Dense(Vec<i32>),
    /// Compressed rows: row `r`'s allowed columns are
    /// `cols[start[r]..start[r + 1]]` (ascending), with `scores` alongside.
    Sparse {
        /// Row offsets (rows + 1 entries).
        start: Vec<usize>,
        /// Column of each allowed cell, ascending within a row.
        cols: Vec<u32>,
        /// Scaled score of each allowed cell.
        scores: Vec<i64>,
    },
}

impl Cells {
    /// The scaled score of `(row, col)` in a table of `width` columns,
    /// `None` when forbidden or out of range. `O(1)` dense, `O(log d)`
    /// sparse for `d` allowed cells in the row.
    pub fn get(&self, row: usize, col: usize, width: usize) -> Option<i64> {
        match self {
            Self::Dense(cells) => {
                if col >= width {
                    return None;
                }
                let c = *cells.get(row * width + col)?;
                (c != DENSE_FORBIDDEN).then_some(i64::from(c))
            }
            Self::Sparse {
                start,
                cols,
                scores,
            } => {
                let (a, b) = (*start.get(row)?, *start.get(row + 1)?);
                let col = u32::try_from(col).ok()?;
                let k = cols[a..b].binary_search(&col).ok()?;
                Some(scores[a + k])
            }
        }
    }

    /// Row `row`'s allowed cells `(column, scaled score)`, columns
    /// ascending, in a table of `width` columns.
    pub fn row(&self, row: usize, width: usize) -> Box<dyn Iterator<Item = (usize, i64)> + '_> {
        match self {
            Self::Dense(cells) => Box::new(
                cells[row * width..(row + 1) * width]
                    .iter()
                    .enumerate()
                    .filter(|&(_, &s)| s != DENSE_FORBIDDEN)
                    .map(|(c, &s)| (c, i64::from(s))),
            ),
            Self::Sparse {
                start,
                cols,
                scores,
            } => {
                let (a, b) = (start[row], start[row + 1]);
                Box::new(
                    cols[a..b]
                        .iter()
                        .zip(&scores[a..b])
                        .map(|(&c, &s)| (c as usize, s)),
                )
            }
        }
    }

    /// The number of allowed cells.
    pub fn allowed(&self) -> usize {
        match self {
            Self::Dense(cells) => cells.iter().filter(|&&s| s != DENSE_FORBIDDEN).count(),
            Self::Sparse { scores, .. } => scores.len(),
        }
    }

    /// Every cell row-major, [`FORBIDDEN`] where forbidden (for solvers
    /// that need the dense form). `O(rows · width)`.
    pub fn to_dense(&self, rows: usize, width: usize) -> Vec<i64> {
        match self {
            Self::Dense(cells) => <i32 as Cell>::widen(cells).into_owned(),
            Self::Sparse { .. } => {
                let mut out = vec![FORBIDDEN; rows * width];
                for r in 0..rows {
                    for (c, s) in self.row(r, width) {
                        out[r * width + c] = s;
                    }
                }
                out
            }
        }
    }
}

/// Tables of at most this many cells serialize their `scores` as the
/// dense row-major list of options; larger sparse ones as `allowed`
/// `[row, column, score]` triples, so that serializing never costs
/// `rows × columns` for a huge sparse component.
pub const DENSE_JSON_MAX_CELLS: usize = 1 << 20;

/// The score matrix of one connected component of the allowed-pair graph.
/// Pairs in different components are all forbidden.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoreTable {
    /// Column ids.
    pub mentor_ids: Vec<Id>,
    /// Row ids.
    pub mentee_ids: Vec<Id>,
    /// Scaled scores (score × 1,000,000), dense or sparse.
    pub cells: Cells,
}

/// Serialized as `mentor_ids`, `mentee_ids` and either `scores` (row-major,
/// `null` = forbidden) when the table has at most [`DENSE_JSON_MAX_CELLS`]
/// cells or is stored dense, or `allowed` (`[row, column, score]` of the
/// allowed cells) for a larger sparse table.
impl Serialize for ScoreTable {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let (rows, width) = (self.mentee_ids.len(), self.mentor_ids.len());
        let mut st = s.serialize_struct("ScoreTable", 3)?;
        st.serialize_field("mentor_ids", &self.mentor_ids)?;
        st.serialize_field("mentee_ids", &self.mentee_ids)?;
        let dense = matches!(self.cells, Cells::Dense(_))
            || rows.saturating_mul(width) <= DENSE_JSON_MAX_CELLS;
        if dense {
            st.serialize_field("scores", &DenseCells(self))?;
        } else {
            st.serialize_field("allowed", &AllowedCells(self))?;
        }
        st.end()
    }
}

/// Every cell of a table as an option, streamed.
struct DenseCells<'a>(&'a ScoreTable);

impl Serialize for DenseCells<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let t = self.0;
        let (rows, width) = (t.mentee_ids.len(), t.mentor_ids.len());
        s.collect_seq((0..rows).flat_map(|r| (0..width).map(move |c| t.get(r, c))))
    }
}

/// The allowed cells of a table as `[row, column, score]`, streamed.
struct AllowedCells<'a>(&'a ScoreTable);

impl Serialize for AllowedCells<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let t = self.0;
        let width = t.mentor_ids.len();
        s.collect_seq(
            (0..t.mentee_ids.len())
                .flat_map(|r| t.cells.row(r, width).map(move |(c, v)| (r, c, v))),
        )
    }
}

impl ScoreTable {
    /// The scaled score of `(row, col)`, `None` when forbidden.
    pub fn get(&self, row: usize, col: usize) -> Option<i64> {
        self.cells.get(row, col, self.mentor_ids.len())
    }
}

/// Everything a run produces.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    /// The programme.
    pub programme_id: Id,
    /// Its form.
    pub form: Form,
    /// The objective used.
    pub objective: Objective,
    /// The weights used.
    pub weights: Weights,
    /// The language of the texts.
    pub lang: Lang,
    /// Proposals, pinned first, then by mentor id.
    pub proposals: Vec<Proposal>,
    /// Eligible mentees left without a mentor.
    pub unmatched: Vec<Unmatched>,
    /// Mentees not considered, with the reason.
    pub ineligible: Vec<Ineligible>,
    /// Statistics.
    pub stats: Stats,
    /// Every mentor column of the run's score matrix (available mentors).
    pub matrix_mentor_ids: Vec<Id>,
    /// Places each of those mentors had in the run (capacity minus pairs
    /// already approved, at most the group size).
    pub matrix_mentor_places: Vec<u32>,
    /// Every mentee row of the run's score matrix (eligible mentees).
    pub matrix_mentee_ids: Vec<Id>,
    /// The non-empty part of the matrix, one table per component.
    pub score_tables: Vec<ScoreTable>,
}

/// Writes the run's whole score matrix as CSV: a header `mentee_id` then
/// the mentor ids, one row per eligible mentee with its id first, each
/// allowed score with exactly 6 decimals, an empty cell where forbidden.
/// A mentor's column appears once per place the run could give (so a
/// mentor with 3 places has 3 identical columns, and a mentor with none
/// is left out): solved as a plain assignment, coverage first, the matrix
/// has the run's own optimum.
/// Ids hold no commas or quotes (see `domain::Id`), so no quoting is
/// needed. `O(rows · cols)` output.
pub fn write_scores_csv(outcome: &Outcome, out: &mut impl Write) -> io::Result<()> {
    let col_of: HashMap<&Id, usize> = outcome
        .matrix_mentor_ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id, i))
        .collect();
    let mut row_of: HashMap<&Id, (usize, usize)> = HashMap::new();
    for (t, table) in outcome.score_tables.iter().enumerate() {
        for (r, id) in table.mentee_ids.iter().enumerate() {
            row_of.insert(id, (t, r));
        }
    }
    let places = |col: usize| outcome.matrix_mentor_places.get(col).copied().unwrap_or(1);
    write!(out, "mentee_id")?;
    for (col, id) in outcome.matrix_mentor_ids.iter().enumerate() {
        for _ in 0..places(col) {
            write!(out, ",{id}")?;
        }
    }
    writeln!(out)?;
    let mut cells: Vec<String> = vec![String::new(); outcome.matrix_mentor_ids.len()];
    for id in &outcome.matrix_mentee_ids {
        cells.iter_mut().for_each(String::clear);
        if let Some(&(t, r)) = row_of.get(id) {
            let table = &outcome.score_tables[t];
            for (c, s) in table.cells.row(r, table.mentor_ids.len()) {
                if let Some(&col) = col_of.get(&table.mentor_ids[c]) {
                    cells[col] = format_scaled(s);
                }
            }
        }
        write!(out, "{id}")?;
        for (col, cell) in cells.iter().enumerate() {
            for _ in 0..places(col) {
                write!(out, ",{cell}")?;
            }
        }
        writeln!(out)?;
    }
    Ok(())
}
