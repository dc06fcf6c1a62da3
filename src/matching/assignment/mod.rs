//! Optimal mentor ↔ mentee assignment.
//!
//! The problem: a `rows × cols` matrix of integer scores to **maximise**, where a cell may be
//! forbidden, and a capacity per column (a mentor takes up to `capacity[j]` mentees; capacity 1 is
//! the plain assignment problem). Rows may outnumber columns or the total capacity.
//!
//! Every solve is *coverage first*: the result always matches the maximum possible number of rows
//! (a maximum-cardinality b-matching over the allowed cells). Among those assignments the
//! [`Objective`] decides:
//! * [`Objective::Total`] maximises the sum of the chosen scores (exact optimum);
//! * [`Objective::Fair`] maximises the lowest chosen score, then the sum (exact, see [`fair`]);
//! * [`Objective::RankMaximal`] maximises the number of first choices, then of second choices,
//!   and so on, each mentee ranking by score (exact, see [`rank_maximal`]);
//! * [`Objective::Stable`] and [`Objective::StableMentor`] are not coverage first: they give
//!   the mentee- or mentor-optimal stable assignment, both sides ranking by score
//!   ([`crate::matching::stable`]).
//!
//! Pipeline: the allowed-cell graph is split into connected components ([`components`]);
//! identical columns are merged into one capacitated column ([`duplicates`]); each component is
//! then solved independently and in parallel (rayon) by the shortest-augmenting-path solver in
//! [`dense`] (Jonker–Volgenant for unit capacities, the same Dijkstra with capacitated columns
//! otherwise), or by its heap-based sparse twin in [`sparse`] when few of the component's cells
//! are allowed. A block is solved transposed when that spares the escapes: with unit
//! capacities and more rows than columns, and, for a complete block, with more rows than
//! places, each column then being a row repeated once per place (read in place, see
//! [`dense::Problem::row_owner`]). Results are merged in component order, so the answer does
//! not depend on the number of threads. [`solve_sparse`] offers the same solve for an edge list,
//! and [`matrix_csv`] reads the score-matrix CSV export and implements the `mentor-match solve`
//! command (a mostly forbidden matrix goes to [`solve_sparse`] as its allowed cells).
//!
//! Entry points: [`solve`] (dense [`ScoreMatrix`]), [`solve_sparse`] (edge list),
//! [`solve_command`] (CSV file → [`SolveReport`]).
//!
//! Guarantees: every chosen cell is allowed, no row is chosen twice and no column more than its
//! capacity; the number of matched rows is maximal, then the objective is exactly optimal; the
//! answer (pairs included, ties broken the same way) does not depend on the number of threads;
//! bad input is an [`AssignmentError`], never a panic, and no arithmetic overflows silently.
//!
//! Complexity: splitting into components is `O(cells · α)`; a component of `r` rows, `c`
//! columns and `E` allowed cells then costs `O(r² · c)` in the worst case with the dense solver
//! (plus an `O(E · √(r + c))` maximum matching when it has forbidden cells), or
//! `O(r · E log(r + c))` with the sparse one; [`Objective::Fair`] multiplies that by the
//! `O(log D)` probes of a binary search over the `D` distinct scores. Memory `O(cells)` for a
//! dense matrix, `O(rows + cols + E)` plus the components' blocks for an edge list.
//!
//! # Example
//!
//! ```rust
//! use mentor_match::matching::assignment::{Objective, ScoreMatrix, solve};
//!
//! # fn main() -> Result<(), mentor_match::matching::assignment::AssignmentError> {
//! // Two mentees, two mentors, one place each.
//! let matrix = ScoreMatrix::new(2, 2, vec![100, 50, 50, 1])?;
//! // The largest total keeps the diagonal (100 + 1)…
//! assert_eq!(solve(&matrix, &[1, 1], Objective::Total)?.pairs, [(0, 0), (1, 1)]);
//! // …while `Fair` first raises the lowest score: 50 + 50.
//! let fair = solve(&matrix, &[1, 1], Objective::Fair)?;
//! assert_eq!((fair.pairs, fair.total), (vec![(0, 1), (1, 0)], 100));
//! # Ok(())
//! # }
//! ```

pub mod cardinality;
pub mod components;
pub mod dense;
pub mod duplicates;
pub mod fair;
pub mod matrix_csv;
pub mod rank_maximal;
pub mod sparse;

use std::borrow::Cow;
use std::fmt;

use rayon::prelude::*;

pub use self::matrix_csv::{SolveCommandError, SolveReport, solve_command};
pub use self::sparse::{solve_compressed, solve_sparse};

/// Cell value that marks a forbidden pair in a [`ScoreMatrix`]. `i64::MIN` is therefore not a
/// usable score.
pub const FORBIDDEN: i64 = i64::MIN;

/// The integer type of a dense score cell. The solvers read cells only through this trait, so a
/// matrix is solved in the width it was built in: `i64` for [`ScoreMatrix`] (any score), `i32`
/// for the engine's scaled scores (`0..=1_000_000`), which halves the memory of region-wide
/// components of hundreds of millions of cells, where the matrix is nearly all the memory.
pub trait Cell: Copy + Ord + std::hash::Hash + Send + Sync + fmt::Debug + 'static {
    /// The value that marks a forbidden pair; never a usable score.
    const FORBIDDEN: Self;
    /// The score as `i64` (meaningless for [`Cell::FORBIDDEN`]: test for it first).
    fn score(self) -> i64;
    /// A score of this width, saturating at the type's range (callers only narrow scores known
    /// to fit, such as scaled scores); never [`Cell::FORBIDDEN`].
    fn from_score(score: i64) -> Self;
    /// The cells as `i64` with [`FORBIDDEN`] marking forbidden pairs, for the parts that work on
    /// `i64` only (preference tables): borrowed when they already are.
    fn widen(cells: &[Self]) -> Cow<'_, [i64]>;
}

impl Cell for i64 {
    const FORBIDDEN: Self = FORBIDDEN;
    #[inline(always)]
    fn score(self) -> i64 {
        self
    }
    fn from_score(score: i64) -> Self {
        score.max(i64::MIN + 1)
    }
    fn widen(cells: &[Self]) -> Cow<'_, [i64]> {
        Cow::Borrowed(cells)
    }
}

impl Cell for i32 {
    const FORBIDDEN: Self = i32::MIN;
    #[inline(always)]
    fn score(self) -> i64 {
        i64::from(self)
    }
    fn from_score(score: i64) -> Self {
        i32::try_from(score.max(i64::from(i32::MIN) + 1)).unwrap_or(i32::MAX)
    }
    fn widen(cells: &[Self]) -> Cow<'_, [i64]> {
        Cow::Owned(
            cells
                .iter()
                .map(|&c| {
                    if c == Self::FORBIDDEN {
                        FORBIDDEN
                    } else {
                        c.score()
                    }
                })
                .collect(),
        )
    }
}

/// A borrowed row-major matrix with the statistics the solvers need, computed in one pass.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DenseView<'a, S: Cell> {
    pub rows: usize,
    pub cols: usize,
    pub cells: &'a [S],
    /// Whether any cell is forbidden.
    pub any_forbidden: bool,
    /// Smallest and largest allowed score (`i64::MAX`, `i64::MIN` when there is none).
    pub min: i64,
    pub max: i64,
}

impl<'a, S: Cell> DenseView<'a, S> {
    /// Reads the statistics of `cells` (`rows × cols`, checked by the caller). `O(cells)`.
    pub(crate) fn new(rows: usize, cols: usize, cells: &'a [S]) -> Self {
        let (mut min, mut max, mut any_forbidden) = (i64::MAX, i64::MIN, false);
        for &c in cells {
            if c == S::FORBIDDEN {
                any_forbidden = true;
            } else {
                let s = c.score();
                min = min.min(s);
                max = max.max(s);
            }
        }
        Self {
            rows,
            cols,
            cells,
            any_forbidden,
            min,
            max,
        }
    }
}

/// A dense, row-major score matrix (rows = mentees, columns = mentors) with forbidden cells.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScoreMatrix {
    rows: usize,
    cols: usize,
    cells: Vec<i64>,
    /// Whether any cell is forbidden; computed once here (the matrix is immutable) so that
    /// every solve can skip a pass over the cells.
    any_forbidden: bool,
    /// Smallest and largest allowed score (`i64::MAX`, `i64::MIN` when there is none).
    min: i64,
    max: i64,
}

impl ScoreMatrix {
    /// Builds a matrix from row-major `cells`; a cell equal to [`FORBIDDEN`] is a forbidden pair.
    /// `O(cells)`.
    ///
    /// Returns [`AssignmentError::ShapeMismatch`] when `cells.len() != rows * cols`.
    ///
    /// ```rust
    /// use mentor_match::matching::assignment::{AssignmentError, FORBIDDEN, ScoreMatrix};
    ///
    /// let m = ScoreMatrix::new(2, 2, vec![5, FORBIDDEN, 3, 4]).expect("2 × 2 cells");
    /// assert_eq!((m.get(0, 0), m.get(0, 1)), (Some(5), None));
    /// assert_eq!(
    ///     ScoreMatrix::new(2, 2, vec![1, 2, 3]),
    ///     Err(AssignmentError::ShapeMismatch { expected: 4, actual: 3 })
    /// );
    /// ```
    pub fn new(rows: usize, cols: usize, cells: Vec<i64>) -> Result<Self, AssignmentError> {
        let expected = rows
            .checked_mul(cols)
            .ok_or(AssignmentError::ShapeMismatch {
                expected: usize::MAX,
                actual: cells.len(),
            })?;
        if cells.len() != expected {
            return Err(AssignmentError::ShapeMismatch {
                expected,
                actual: cells.len(),
            });
        }
        let DenseView {
            any_forbidden,
            min,
            max,
            ..
        } = DenseView::new(rows, cols, &cells);
        Ok(Self {
            rows,
            cols,
            cells,
            any_forbidden,
            min,
            max,
        })
    }

    /// Builds a matrix from row-major optional scores (`None` = forbidden). `O(cells)`.
    ///
    /// Returns [`AssignmentError::ShapeMismatch`] on a wrong length and
    /// [`AssignmentError::ReservedScore`] if a score equals [`FORBIDDEN`].
    ///
    /// ```rust
    /// use mentor_match::matching::assignment::{AssignmentError, FORBIDDEN, ScoreMatrix};
    ///
    /// let m = ScoreMatrix::from_options(1, 2, &[Some(7), None]).expect("1 × 2 cells");
    /// assert_eq!(m.cells(), [7, FORBIDDEN]);
    /// assert_eq!(
    ///     ScoreMatrix::from_options(1, 2, &[Some(7), Some(FORBIDDEN)]),
    ///     Err(AssignmentError::ReservedScore { row: 0, col: 1 })
    /// );
    /// ```
    pub fn from_options(
        rows: usize,
        cols: usize,
        cells: &[Option<i64>],
    ) -> Result<Self, AssignmentError> {
        let mut out = Vec::with_capacity(cells.len());
        for (k, c) in cells.iter().enumerate() {
            match c {
                None => out.push(FORBIDDEN),
                Some(FORBIDDEN) => {
                    let cols = cols.max(1);
                    return Err(AssignmentError::ReservedScore {
                        row: k / cols,
                        col: k % cols,
                    });
                }
                Some(s) => out.push(*s),
            }
        }
        Self::new(rows, cols, out)
    }

    /// Number of rows (mentees).
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns (mentors).
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// The score of a cell, `None` when forbidden. Panics if out of range, like slice indexing.
    pub fn get(&self, row: usize, col: usize) -> Option<i64> {
        let s = self.cells[row * self.cols + col];
        (s != FORBIDDEN).then_some(s)
    }

    /// The row-major cells, [`FORBIDDEN`] marking forbidden pairs.
    pub fn cells(&self) -> &[i64] {
        &self.cells
    }

    /// The matrix as the solvers read it (its statistics are already known).
    pub(crate) fn view(&self) -> DenseView<'_, i64> {
        DenseView {
            rows: self.rows,
            cols: self.cols,
            cells: &self.cells,
            any_forbidden: self.any_forbidden,
            min: self.min,
            max: self.max,
        }
    }
}

/// What to optimise once coverage (the number of matched rows) is maximal.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Objective {
    /// Maximise the total score.
    #[default]
    Total,
    /// Maximise the lowest chosen score, then the total score.
    Fair,
    /// As many mentees with their first choice as possible, then their
    /// second, and so on (see [`rank_maximal`]); coverage first.
    RankMaximal,
    /// The mentee-optimal stable assignment (mentees propose, see
    /// [`crate::matching::stable`]); stability before coverage.
    Stable,
    /// The mentor-optimal stable assignment (mentors propose).
    StableMentor,
}

impl Objective {
    /// Whether the objective is a stable assignment (which may match
    /// fewer mentees than the coverage-first objectives).
    pub fn is_stable(self) -> bool {
        matches!(self, Self::Stable | Self::StableMentor)
    }

    /// The objectives by name, as the API and the command line take them.
    pub const NAMES: [(&'static str, Self); 5] = [
        ("total", Self::Total),
        ("fair", Self::Fair),
        ("rank_maximal", Self::RankMaximal),
        ("stable", Self::Stable),
        ("stable_mentor", Self::StableMentor),
    ];

    /// The objective named `name`, if any.
    pub fn parse(name: &str) -> Option<Self> {
        Self::NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(_, o)| o)
    }

    /// Whether group limits can be searched with this objective (only
    /// `total` and `fair`).
    pub fn allows_groups(self) -> bool {
        matches!(self, Self::Total | Self::Fair)
    }
}

/// A solved assignment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assignment {
    /// Chosen `(row, col)` pairs, sorted by row; each row at most once, each column at most
    /// `capacity[col]` times, never a forbidden cell.
    pub pairs: Vec<(usize, usize)>,
    /// Sum of the chosen scores.
    pub total: i64,
    /// Number of matched rows (`pairs.len()`), the maximum possible.
    pub matched: usize,
}

/// Why a solve was rejected. The solver never panics; bad input comes back as one of these.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AssignmentError {
    /// The number of cells does not match `rows * cols`.
    ShapeMismatch {
        /// `rows * cols` (or `usize::MAX` when that overflows).
        expected: usize,
        /// The number of cells given.
        actual: usize,
    },
    /// `capacity.len()` differs from the number of columns.
    CapacityLength {
        /// The number of columns.
        expected: usize,
        /// The length of the capacity slice.
        actual: usize,
    },
    /// A score equals the reserved [`FORBIDDEN`] value where a real score was required.
    ReservedScore {
        /// Row of the offending cell.
        row: usize,
        /// Column of the offending cell.
        col: usize,
    },
    /// A sparse edge names a row or column outside the matrix.
    EdgeOutOfRange {
        /// Position of the edge in the input slice.
        index: usize,
    },
    /// A sparse edge list names the same pair twice.
    DuplicateEdge {
        /// Row of the repeated pair.
        row: usize,
        /// Column of the repeated pair.
        col: usize,
    },
    /// The scores span so large a range that even 128-bit potentials could overflow.
    ScoreRangeTooLarge,
    /// The optimal total does not fit in an `i64`.
    TotalOverflow,
    /// The matrix has `u32::MAX` or more rows + columns (indices are stored as `u32`).
    ProblemTooLarge,
    /// Group limits are searched for `total` and `fair` only.
    ObjectiveNotForGroups(Objective),
}

impl fmt::Display for AssignmentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ShapeMismatch { expected, actual } => {
                write!(f, "score matrix has {actual} cells, expected {expected}")
            }
            Self::CapacityLength { expected, actual } => {
                write!(
                    f,
                    "capacity has {actual} entries, expected one per column ({expected})"
                )
            }
            Self::ReservedScore { row, col } => write!(
                f,
                "score at row {row}, column {col} equals the reserved forbidden value i64::MIN"
            ),
            Self::EdgeOutOfRange { index } => write!(f, "edge #{index} is outside the matrix"),
            Self::DuplicateEdge { row, col } => {
                write!(f, "pair (row {row}, column {col}) is given twice")
            }
            Self::ScoreRangeTooLarge => {
                write!(f, "score range too large to solve without overflow")
            }
            Self::TotalOverflow => write!(f, "total score does not fit in a 64-bit integer"),
            Self::ProblemTooLarge => write!(f, "too many rows and columns (at most u32::MAX - 1)"),
            Self::ObjectiveNotForGroups(o) => {
                write!(f, "objective {o:?} is not available with group limits")
            }
        }
    }
}

impl std::error::Error for AssignmentError {}

/// Solves the assignment problem on a dense matrix; see the module documentation for the
/// objectives. `capacity[j]` is how many rows column `j` may take (0 disables the column).
///
/// Errors: [`AssignmentError::CapacityLength`], [`AssignmentError::ScoreRangeTooLarge`],
/// [`AssignmentError::TotalOverflow`], [`AssignmentError::ProblemTooLarge`] (4·10⁹ rows +
/// columns or more). Deterministic for any rayon thread count. Complexity: see the module
/// documentation (`O(rows² · cols)` worst case for one dense component).
///
/// # Example
///
/// Three mentees, two mentors: mentor 0 takes up to two, mentor 1 one, and mentee 2 may not
/// have mentor 1. Greedy would give mentee 0 its best (9) and leave a poor remainder; the
/// optimum matches everyone for 8 + 7 + 6 = 21.
///
/// ```rust
/// use mentor_match::matching::assignment::{Objective, ScoreMatrix, solve};
///
/// # fn main() -> Result<(), mentor_match::matching::assignment::AssignmentError> {
/// let matrix = ScoreMatrix::from_options(
///     3,
///     2,
///     &[
///         Some(9), Some(8), // mentee 0
///         Some(7), Some(1), // mentee 1
///         Some(6), None,    // mentee 2: mentor 1 forbidden
///     ],
/// )?;
/// let best = solve(&matrix, &[2, 1], Objective::Total)?;
/// assert_eq!(best.pairs, [(0, 1), (1, 0), (2, 0)]);
/// assert_eq!((best.total, best.matched), (21, 3));
///
/// // Coverage comes first: with one place each, one mentee must stay out, and the
/// // best pair of the two matched is taken (9 + 1 loses to 8 + 7 and to 8 + 6).
/// let tight = solve(&matrix, &[1, 1], Objective::Total)?;
/// assert_eq!((tight.pairs, tight.total), (vec![(0, 1), (1, 0)], 15));
/// # Ok(())
/// # }
/// ```
pub fn solve(
    matrix: &ScoreMatrix,
    capacity: &[u32],
    objective: Objective,
) -> Result<Assignment, AssignmentError> {
    if capacity.len() != matrix.cols {
        return Err(AssignmentError::CapacityLength {
            expected: matrix.cols,
            actual: capacity.len(),
        });
    }
    solve_view(matrix.view(), capacity, objective)
}

/// [`solve`] on borrowed row-major cells of any [`Cell`] width (`cells.len()` must be
/// `rows · cols`): the engine's dense components are solved in place, without an `i64` copy.
pub(crate) fn solve_cells<S: Cell>(
    rows: usize,
    cols: usize,
    cells: &[S],
    capacity: &[u32],
    objective: Objective,
) -> Result<Assignment, AssignmentError> {
    let expected = rows.saturating_mul(cols);
    if cells.len() != expected {
        return Err(AssignmentError::ShapeMismatch {
            expected,
            actual: cells.len(),
        });
    }
    if capacity.len() != cols {
        return Err(AssignmentError::CapacityLength {
            expected: cols,
            actual: capacity.len(),
        });
    }
    solve_view(DenseView::new(rows, cols, cells), capacity, objective)
}

/// Splits a checked view into components and solves them.
fn solve_view<S: Cell>(
    view: DenseView<'_, S>,
    capacity: &[u32],
    objective: Objective,
) -> Result<Assignment, AssignmentError> {
    if view.rows.saturating_add(view.cols) >= u32::MAX as usize {
        return Err(AssignmentError::ProblemTooLarge);
    }
    let blocks = components::split_dense(view, capacity);
    solve_blocks(&blocks, capacity, objective)
}

/// Narrows an index to `u32`, the width of the solvers' index arrays. Every entry point rejects
/// problems with `u32::MAX` or more rows plus columns ([`AssignmentError::ProblemTooLarge`]),
/// so indices always fit; the one unchecked cast lives here so that the cast lints can stay
/// enabled everywhere else.
#[inline(always)]
#[allow(clippy::cast_possible_truncation)]
pub(crate) const fn ix(i: usize) -> u32 {
    i as u32
}

/// Chosen `(row, col, score)` triples of one block, in original indices.
pub(crate) type Triples = Vec<(usize, usize, i64)>;

/// One connected component, as a dense sub-matrix over its own rows and columns.
#[derive(Debug)]
pub(crate) struct Block<'a, S: Cell = i64> {
    /// Original row index of each local row.
    pub row_ids: Vec<usize>,
    /// Original column index of each local column.
    pub col_ids: Vec<usize>,
    /// Row-major `row_ids.len() × col_ids.len()` scores, [`Cell::FORBIDDEN`] where not allowed.
    pub scores: Cow<'a, [S]>,
    /// No forbidden cell inside the block.
    pub complete: bool,
    /// Smallest allowed score in the block.
    pub min: i64,
    /// Largest allowed score in the block.
    pub max: i64,
}

/// Solves every block (in parallel) and merges the pairs in block order.
pub(crate) fn solve_blocks<S: Cell>(
    blocks: &[Block<'_, S>],
    capacity: &[u32],
    objective: Objective,
) -> Result<Assignment, AssignmentError> {
    let per_block: Vec<Triples> = match objective {
        Objective::Total => blocks
            .par_iter()
            .map(|b| solve_block(b, capacity))
            .collect::<Result<_, _>>()?,
        Objective::Fair => fair::solve_fair(blocks, capacity)?,
        Objective::RankMaximal | Objective::Stable | Objective::StableMentor => blocks
            .par_iter()
            .map(|b| solve_by_preferences(b, capacity, objective))
            .collect(),
    };
    let mut triples: Vec<(usize, usize, i64)> = per_block.into_iter().flatten().collect();
    triples.sort_unstable();
    // Partial sums may leave the i64 range even when the total does not.
    let total: i128 = triples.iter().map(|&(_, _, s)| i128::from(s)).sum();
    let total = i64::try_from(total).map_err(|_| AssignmentError::TotalOverflow)?;
    Ok(Assignment {
        matched: triples.len(),
        pairs: triples.into_iter().map(|(r, c, _)| (r, c)).collect(),
        total,
    })
}

/// Solves one block for an objective over preferences derived from its scores (see
/// [`crate::matching::stable::Preferences`]); original `(row, col, score)` triples.
fn solve_by_preferences<S: Cell>(
    block: &Block<'_, S>,
    capacity: &[u32],
    objective: Objective,
) -> Triples {
    use crate::matching::stable::{Preferences, Proposer, deferred_acceptance};
    let (nr, nc) = (block.row_ids.len(), block.col_ids.len());
    let caps = block_capacities(block, capacity);
    let prefs = Preferences::from_scores(nr, nc, &S::widen(&block.scores));
    let pairs = match objective {
        Objective::StableMentor => deferred_acceptance(&prefs, &caps, Proposer::Mentors),
        Objective::Stable => deferred_acceptance(&prefs, &caps, Proposer::Mentees),
        _ => rank_maximal::rank_maximal(&prefs, &caps),
    };
    pairs
        .into_iter()
        .map(|(r, c)| {
            (
                block.row_ids[r],
                block.col_ids[c],
                block.scores[r * nc + c].score(),
            )
        })
        .collect()
}

/// Capacities of a block's columns, capped at its number of rows: a column never takes more,
/// and the solvers allocate one slot per unit of capacity.
pub(crate) fn block_capacities<S: Cell>(block: &Block<'_, S>, capacity: &[u32]) -> Vec<u32> {
    let rows = u32::try_from(block.row_ids.len()).unwrap_or(u32::MAX);
    block
        .col_ids
        .iter()
        .map(|&j| capacity[j].min(rows))
        .collect()
}

/// Total-objective solve of one block; returns original `(row, col, score)` triples.
pub(crate) fn solve_block<S: Cell>(
    block: &Block<'_, S>,
    capacity: &[u32],
) -> Result<Triples, AssignmentError> {
    let nr = block.row_ids.len();
    let nc = block.col_ids.len();
    if nr == 0 || nc == 0 {
        return Ok(Vec::new());
    }
    let caps = block_capacities(block, capacity);
    let merged = if nr * nc <= COPY_MAX_CELLS {
        duplicates::merge_identical_columns(&block.scores, nr, nc, &caps)
    } else {
        None
    };
    let col_of_row = match merged {
        Some(merged) => {
            let sol = solve_local(block, &merged.scores, merged.cols, &merged.capacity)?;
            merged.spread(&sol, &caps)
        }
        None => solve_local(block, &block.scores, nc, &caps)?,
    };
    Ok(col_of_row
        .iter()
        .enumerate()
        .filter_map(|(r, c)| {
            c.map(|c| {
                let score = block.scores[r * nc + c].score();
                (block.row_ids[r], block.col_ids[c], score)
            })
        })
        .collect())
}

/// Runs the dense solver on `scores` (the block's rows × `nc` columns with capacities `caps`);
/// returns the local column of each row.
fn solve_local<S: Cell>(
    block: &Block<'_, S>,
    scores: &[S],
    nc: usize,
    caps: &[u32],
) -> Result<Vec<Option<usize>>, AssignmentError> {
    let nr = block.row_ids.len();
    let unit = caps.iter().all(|&c| c == 1);
    let places: u64 = caps.iter().map(|&c| u64::from(c)).sum();
    if nr * nc > COPY_MAX_CELLS {
        run_kernel(block, scores, nr, nc, caps)
    } else if unit && nr > nc {
        // Unit capacities are symmetric, and the solver is fastest with rows ≤ columns
        // (no escape needed when the block is complete), so solve the transpose.
        let t = transpose(scores, nr, nc);
        let ones = vec![1u32; nr];
        let sol = run_kernel(block, &t, nc, nr, &ones)?;
        Ok(columns_of_rows(&sol, |k| k, nr))
    } else if !unit && block.complete && nr as u64 > places {
        // More rows than places: seen from the rows, every row needs an escape, and each
        // search that ends in one explores far (3,500 rows × 1,000 columns of 3 places:
        // 1.6 s). Seen from the columns every place can be filled: the transpose, each column
        // a row repeated once per place (read in place, not copied) and the rows unit
        // columns, needs no escape (0.56 s).
        let t = transpose(scores, nr, nc);
        let owner: Vec<u32> = (0..nc)
            .flat_map(|j| std::iter::repeat_n(ix(j), caps[j] as usize))
            .collect();
        let ones = vec![1u32; nr];
        let sol = dense::solve_max(&dense::Problem {
            scores: &t,
            rows: owner.len(),
            cols: nr,
            capacity: &ones,
            complete: true,
            min: block.min,
            max: block.max,
            row_owner: &owner,
        })?;
        Ok(columns_of_rows(&sol, |k| owner[k] as usize, nr))
    } else {
        run_kernel(block, scores, nr, nc, caps)
    }
}

/// Inverts the solution of a transposed problem: `sol[k]` is the row taken by transposed row
/// `k`, which stands for column `col(k)`; returns the column of each of the `rows` rows.
fn columns_of_rows(
    sol: &[Option<usize>],
    col: impl Fn(usize) -> usize,
    rows: usize,
) -> Vec<Option<usize>> {
    let mut out = vec![None; rows];
    for (k, r) in sol.iter().enumerate() {
        if let Some(r) = *r {
            out[r] = Some(col(k));
        }
    }
    out
}

/// The `cols × rows` transpose of a row-major `rows × cols` matrix, copied in tiles so that
/// reads and writes both stay in cache.
fn transpose<S: Cell>(scores: &[S], rows: usize, cols: usize) -> Vec<S> {
    const TILE: usize = 32;
    let mut t = vec![S::FORBIDDEN; rows * cols];
    for r0 in (0..rows).step_by(TILE) {
        for c0 in (0..cols).step_by(TILE) {
            for r in r0..(r0 + TILE).min(rows) {
                for c in c0..(c0 + TILE).min(cols) {
                    t[c * rows + r] = scores[r * cols + c];
                }
            }
        }
    }
    t
}

/// Blocks with more cells than this are solved in place: neither transposed (unit capacities,
/// more rows than columns: solved as they are, with escapes) nor with identical columns merged
/// into a copy. Either copy would double the memory of region-wide components (64 Mi cells are
/// 256 MiB of `i32`), and at that size memory matters more than the speed the copy buys.
const COPY_MAX_CELLS: usize = 1 << 26;

/// Blocks with fewer cells than this always use the dense solver.
const SPARSE_MIN_CELLS: usize = 4096;
/// An incomplete unit-capacity block is solved in sparse form when at most
/// `1 / SPARSE_DENSITY_UNIT` of its cells are allowed. Measured on 2000 × 2000 random blocks:
/// at 10 % density dense 122 ms vs sparse 147 ms, at 2 % dense 98 ms vs sparse 51 ms.
const SPARSE_DENSITY_UNIT: usize = 20;
/// The same for capacitated blocks, where the dense solver has no row-reduction start:
/// 3000 × 1000 with capacity 2, at 30 % density dense 414 ms vs sparse 298 ms.
const SPARSE_DENSITY_CAPACITATED: usize = 3;

/// Picks the dense or the sparse solver for a (possibly transposed) block matrix.
fn run_kernel<S: Cell>(
    block: &Block<'_, S>,
    scores: &[S],
    rows: usize,
    cols: usize,
    caps: &[u32],
) -> Result<Vec<Option<usize>>, AssignmentError> {
    let cells = rows * cols;
    let div = if caps.iter().all(|&c| c == 1) {
        SPARSE_DENSITY_UNIT
    } else {
        SPARSE_DENSITY_CAPACITATED
    };
    if !block.complete && cells >= SPARSE_MIN_CELLS {
        let allowed = scores.iter().filter(|&&s| s != S::FORBIDDEN).count();
        if allowed.saturating_mul(div) <= cells {
            let csr = sparse::csr_from_dense(scores, rows, cols);
            return sparse::solve_csr(&sparse::CsrProblem {
                start: &csr.start,
                cols_idx: &csr.cols_idx,
                scores: &csr.scores,
                capacity: caps,
                min: block.min,
                max: block.max,
            });
        }
    }
    dense::solve_max(&dense::Problem {
        scores,
        rows,
        cols,
        capacity: caps,
        complete: block.complete,
        min: block.min,
        max: block.max,
        row_owner: &[],
    })
}

#[cfg(test)]
mod tests;
