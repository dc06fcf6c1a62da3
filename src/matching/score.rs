//! Soft criteria and the parallel scoring kernel.
//!
//! Each criterion gives a value in 0..1 (see [`criterion_values`]); a pair
//! scores `Σ weight · value` over criteria with a non-zero weight (criteria
//! with weight 0 are skipped in the hot loop), with the weights normalised
//! to sum 1 ([`weight_array`]): weights are relative importances, so a
//! score is a weighted mean in 0..1 and scaling every weight by the same
//! number gives the same scores and the same proposals. The kernel folds the weights
//! into per-run tables and per-row constants, so the score it computes is
//! *the* score: [`pair_score`] runs the kernel on one cell, and breakdown
//! contributions `weight × value` sum to it within 1e-9 (before rounding).
//! The solver works on integers `(score · SCORE_SCALE + 0.5)` truncated
//! (scores are never negative), so a score printed with 6 decimals
//! re-solves to the very same total.
//!
//! The kernel ([`score_block`]) scores a block of mentees × mentors row by
//! row in parallel (rayon); each cell is a pure function of the two
//! records, so the result does not depend on the number of threads. It
//! uses the hardware popcount instruction when the CPU has one (detected at
//! run time; same results). Cost per pair: four AND + popcount over `words`
//! words, two table look-ups, at most seven multiply-adds and, when the
//! `wishes` weight is set, a scan of the mentee's few wish cells;
//! `O(rows · cols · words)` in total.

use super::assignment::Cell;
use super::features::{
    Features, GAP_CLAMP, MenteeScalars, MentorScalars, NO_MENTOR, UNKNOWN_POS, WishCell, wish_value,
};
use crate::domain::{Criterion, Weights};
use rayon::prelude::*;

/// Number of soft criteria ([`Criterion::ALL`]).
pub const CRITERIA: usize = Criterion::ALL.len();

/// Integer scores handed to the solver are `score × SCORE_SCALE`, rounded.
pub const SCORE_SCALE: f64 = 1_000_000.0;
/// The integer score of a forbidden cell in dense score buffers.
pub const FORBIDDEN: i64 = i64::MIN;

/// The integer (solver) score of a floating score `s >= 0`.
#[inline(always)]
pub fn to_scaled(s: f64) -> i64 {
    // Truncation after +0.5 is round-half-up for s >= 0 and compiles to one
    // instruction, unlike `f64::round` on baseline x86-64.
    (s * SCORE_SCALE + 0.5) as i64
}

/// A scaled score back as a float with 6 decimals.
pub fn from_scaled(s: i64) -> f64 {
    s as f64 / SCORE_SCALE
}

/// Writes a scaled score with exactly 6 decimals (exact, no float rounding).
pub fn format_scaled(s: i64) -> String {
    let sign = if s < 0 { "-" } else { "" };
    let a = s.unsigned_abs();
    format!("{sign}{}.{:06}", a / 1_000_000, a % 1_000_000)
}

/// Weights normalised to sum 1 ([`Weights::normalised`]) as an array in
/// the order of [`Criterion::ALL`]: the weights scoring and breakdowns use.
pub fn weight_array(w: &Weights) -> [f64; CRITERIA] {
    let w = w.normalised();
    let mut out = [0.0; CRITERIA];
    for (slot, c) in out.iter_mut().zip(Criterion::ALL) {
        *slot = w.get(*c);
    }
    out
}

#[inline(always)]
fn shared<const W: usize>(a: &[u64], b: &[u64]) -> u32 {
    let mut n = 0;
    for k in 0..W {
        n += (a[k] & b[k]).count_ones();
    }
    n
}

/// Values of every criterion for one pair (see [`criterion_values`]).
#[inline(always)]
fn values_w<const W: usize>(
    f: &Features,
    er: &[u64],
    mr: &[u64],
    es: &MenteeScalars,
    ms: &MentorScalars,
    on: &[bool; CRITERIA],
) -> [f64; CRITERIA] {
    let mut v = [0.0; CRITERIA];
    if on[0] {
        v[0] = f64::from(shared::<W>(&er[..W], &mr[..W])) * es.inv_subjects;
    }
    if on[1] {
        v[1] = f64::from(shared::<W>(&er[W..2 * W], &mr[W..2 * W])) * es.inv_requests;
    }
    if on[2] {
        let common = shared::<W>(&er[2 * W..3 * W], &mr[2 * W..3 * W]);
        let union = (es.n_interests + ms.n_interests - common).min(255);
        v[2] = f64::from(common) * f.recip[union as usize];
    }
    if on[3] {
        let slots = shared::<W>(&er[3 * W..4 * W], &mr[3 * W..4 * W]).min(es.availability_target);
        v[3] = f64::from(slots) * es.inv_availability;
    }
    if on[4] && es.class_teacher != NO_MENTOR && es.class_teacher == ms.index {
        v[4] = 1.0;
    }
    if on[5] {
        v[5] = ms.experience;
    }
    if on[6] {
        v[6] = if es.pos == UNKNOWN_POS || ms.pos == UNKNOWN_POS {
            0.5
        } else {
            let g = (i64::from(es.pos) - i64::from(ms.pos))
                .clamp(-i64::from(GAP_CLAMP), i64::from(GAP_CLAMP));
            f.age_curve[(g + i64::from(GAP_CLAMP)) as usize]
        };
    }
    if on[7] {
        v[7] = ms.load;
    }
    if on[8] {
        v[8] = wish_of(&f.wish_cells, es, ms.index);
    }
    v
}

/// The `wishes` value of a mentee and an encoded mentor: a scan of the
/// mentee's few wish cells (both sides' wishes naming the pair), 0 when
/// neither named the other.
#[inline(always)]
fn wish_of(cells: &[WishCell], es: &MenteeScalars, mentor: u32) -> f64 {
    let start = es.wish_start as usize;
    cells[start..start + es.wish_len as usize]
        .iter()
        .find(|c| c.mentor == mentor)
        .map_or(0.0, |c| wish_value(c.mentee_rank, c.mentor_rank))
}

/// Dispatches on the record width.
macro_rules! with_words {
    ($words:expr, $w:ident => $body:expr) => {
        match $words {
            1 => {
                const $w: usize = 1;
                $body
            }
            2 => {
                const $w: usize = 2;
                $body
            }
            4 => {
                const $w: usize = 4;
                $body
            }
            8 => {
                const $w: usize = 8;
                $body
            }
            16 => {
                const $w: usize = 16;
                $body
            }
            32 => {
                const $w: usize = 32;
                $body
            }
            _ => {
                const $w: usize = 64;
                $body
            }
        }
    };
}

/// Values of every criterion for encoded mentee `mentee` and mentor
/// `mentor`, in the order of [`Criterion::ALL`]:
///
/// - `subjects`: share of the mentee's subjects the mentor has;
/// - `requests`: share of the mentee's requests covered by competencies;
/// - `interests`: Jaccard overlap of the two interest sets;
/// - `availability`: shared slots / `min(3, mentee's slots)`, capped at 1;
/// - `class_teacher`: 1 if the mentor is the pupil's class teacher;
/// - `experience`: see [`super::features::experience_value`];
/// - `age_gap`: closeness to the form's ideal gap (0.5 when unknown), see
///   [`super::features::gap_value`];
/// - `load`: the mentor's spare capacity share;
/// - `wishes`: both sides' wishes for the pair, see
///   [`super::features::wish_value`].
///
/// The kernel uses the same formulas with the weights folded in.
pub fn criterion_values(f: &Features, mentee: usize, mentor: usize) -> [f64; CRITERIA] {
    let st = f.stride();
    let er = &f.mentee_bits[mentee * st..(mentee + 1) * st];
    let mr = &f.mentor_bits[mentor * st..(mentor + 1) * st];
    with_words!(f.words, W => values_w::<W>(f, er, mr, &f.mentees[mentee], &f.mentors[mentor], &[true; CRITERIA]))
}

/// The scaled score of one pair: the kernel itself on one cell, so it is
/// bit-for-bit the score the solver saw.
pub fn pair_score(f: &Features, weights: &[f64; CRITERIA], mentee: usize, mentor: usize) -> i64 {
    let local = Local::new(f, weights, &[mentor as u32]);
    let st = f.stride();
    let er = &f.mentee_bits[mentee * st..(mentee + 1) * st];
    let mut cell = [0i64];
    with_words!(f.words, W => row_generic::<W, i64>(&local, er, &f.mentees[mentee], None, &mut cell));
    cell[0]
}

/// Per-run constants of the kernel: weights folded into look-up tables.
struct Local<'a> {
    on: [bool; CRITERIA],
    /// The block's mentor records, gathered contiguously.
    bits: Vec<u64>,
    scalars: Vec<MentorScalars>,
    /// `w_experience · experience + w_load · load` per block mentor.
    constant: Vec<f64>,
    /// `w_interests / n` for a union of n interests (0 for n = 0).
    interests: [f64; 256],
    /// `w_age_gap · curve[gap + GAP_CLAMP]`; 512 entries so a mask is the bound.
    gap: [f64; 512],
    gap_unknown: f64,
    class_teacher: f64,
    weights: &'a [f64; CRITERIA],
    /// Every mentee's wish cells (see [`Features::wish_cells`]).
    wish_cells: &'a [WishCell],
}

impl<'a> Local<'a> {
    fn new(f: &'a Features, weights: &'a [f64; CRITERIA], mentors: &[u32]) -> Self {
        let on = weights.map(|w| w > 0.0);
        let st = f.stride();
        let mut bits = Vec::with_capacity(mentors.len() * st);
        for &m in mentors {
            bits.extend_from_slice(&f.mentor_bits[m as usize * st..(m as usize + 1) * st]);
        }
        let scalars: Vec<MentorScalars> = mentors.iter().map(|&m| f.mentors[m as usize]).collect();
        let constant = scalars
            .iter()
            .map(|ms| {
                let mut c = 0.0;
                if on[5] {
                    c += weights[5] * ms.experience;
                }
                if on[7] {
                    c += weights[7] * ms.load;
                }
                c
            })
            .collect();
        let mut interests = [0.0; 256];
        for (slot, r) in interests.iter_mut().zip(&f.recip) {
            *slot = weights[2] * r;
        }
        let mut gap = [0.0; 512];
        for (slot, v) in gap.iter_mut().zip(&f.age_curve) {
            *slot = weights[6] * v;
        }
        Local {
            on,
            bits,
            scalars,
            constant,
            interests,
            gap,
            gap_unknown: weights[6] * 0.5,
            class_teacher: weights[4],
            weights,
            wish_cells: &f.wish_cells,
        }
    }
}

/// A mentee's per-row constants.
struct Row {
    subjects: f64,
    requests: f64,
    availability: f64,
    target: u32,
    n_interests: u32,
    class_teacher: u32,
    pos: i32,
    wish_start: u32,
    wish_len: u32,
}

impl Row {
    fn new(es: &MenteeScalars, w: &[f64; CRITERIA]) -> Self {
        Row {
            subjects: w[0] * es.inv_subjects,
            requests: w[1] * es.inv_requests,
            availability: w[3] * es.inv_availability,
            target: es.availability_target,
            n_interests: es.n_interests,
            class_teacher: es.class_teacher,
            pos: es.pos,
            wish_start: es.wish_start,
            wish_len: es.wish_len,
        }
    }
}

/// The score of one pair: the mentor's constant part (experience, load),
/// then subjects, requests, interests, availability, class teacher and age
/// gap, then wishes, each only when its weight is non-zero. Mathematically `Σ w · v`
/// with the values of [`criterion_values`].
#[inline(always)]
fn score_w<const W: usize>(l: &Local<'_>, er: &[u64], row: &Row, mr: &[u64], c: usize) -> f64 {
    let ms = &l.scalars[c];
    let mut s = l.constant[c];
    if l.on[0] {
        s += f64::from(shared::<W>(&er[..W], &mr[..W])) * row.subjects;
    }
    if l.on[1] {
        s += f64::from(shared::<W>(&er[W..2 * W], &mr[W..2 * W])) * row.requests;
    }
    if l.on[2] {
        let common = shared::<W>(&er[2 * W..3 * W], &mr[2 * W..3 * W]);
        let union = (row.n_interests + ms.n_interests - common).min(255);
        s += f64::from(common) * l.interests[union as usize];
    }
    if l.on[3] {
        let slots = shared::<W>(&er[3 * W..4 * W], &mr[3 * W..4 * W]).min(row.target);
        s += f64::from(slots) * row.availability;
    }
    if l.on[4] && row.class_teacher == ms.index {
        s += l.class_teacher;
    }
    if l.on[6] {
        s += if row.pos == UNKNOWN_POS || ms.pos == UNKNOWN_POS {
            l.gap_unknown
        } else {
            let g = row.pos.saturating_sub(ms.pos).clamp(-GAP_CLAMP, GAP_CLAMP) + GAP_CLAMP;
            l.gap[g as usize & 511]
        };
    }
    if l.on[8] && row.wish_len > 0 {
        let start = row.wish_start as usize;
        if let Some(cell) = l.wish_cells[start..start + row.wish_len as usize]
            .iter()
            .find(|c| c.mentor == ms.index)
        {
            s += l.weights[8] * wish_value(cell.mentee_rank, cell.mentor_rank);
        }
    }
    s
}

/// Scores one row; `allowed` is the row's bit set, if any.
#[inline(always)]
fn row_generic<const W: usize, C: Cell>(
    l: &Local<'_>,
    er: &[u64],
    es: &MenteeScalars,
    allowed: Option<&[u64]>,
    cells: &mut [C],
) -> u64 {
    let row = Row::new(es, l.weights);
    let mut scored = 0u64;
    for (c, (cell, mr)) in cells.iter_mut().zip(l.bits.chunks_exact(4 * W)).enumerate() {
        if let Some(bits) = allowed
            && bits[c / 64] & (1 << (c % 64)) == 0
        {
            *cell = C::FORBIDDEN;
            continue;
        }
        *cell = C::from_score(to_scaled(score_w::<W>(l, er, &row, mr, c)));
        scored += 1;
    }
    scored
}

/// [`row_generic`] compiled with the hardware popcount instruction.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "popcnt")]
fn row_popcnt<const W: usize, C: Cell>(
    l: &Local<'_>,
    er: &[u64],
    es: &MenteeScalars,
    allowed: Option<&[u64]>,
    cells: &mut [C],
) -> u64 {
    row_generic::<W, C>(l, er, es, allowed, cells)
}

/// Scores one row, with hardware popcount when the CPU has it (the same
/// results either way: only the instruction differs).
fn score_row<const W: usize, C: Cell>(
    l: &Local<'_>,
    er: &[u64],
    es: &MenteeScalars,
    allowed: Option<&[u64]>,
    cells: &mut [C],
) -> u64 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("popcnt") {
        // SAFETY: the CPU supports `popcnt`, the only feature enabled.
        return unsafe { row_popcnt::<W, C>(l, er, es, allowed, cells) };
    }
    row_generic::<W, C>(l, er, es, allowed, cells)
}

/// Scores `mentees × mentors` (encoded indices) into `out` (row-major, one
/// row per mentee) in parallel, in the cell width of `out` (`i64`, or
/// `i32` as the engine keeps them: scaled scores are at most 1,000,000).
/// Cells whose bit in `allowed` (one bit set per row, `ceil(cols / 64)`
/// words each) is clear get [`Cell::FORBIDDEN`] ([`FORBIDDEN`] in `i64`)
/// and are not scored; `None` scores every cell. Returns the number of
/// cells scored.
///
/// # Panics
/// When `out.len() != mentees.len() * mentors.len()` or `allowed` is too short.
pub fn score_block<C: Cell>(
    f: &Features,
    weights: &[f64; CRITERIA],
    mentees: &[u32],
    mentors: &[u32],
    allowed: Option<&[u64]>,
    out: &mut [C],
) -> u64 {
    let cols = mentors.len();
    assert_eq!(out.len(), mentees.len() * cols, "score buffer size");
    if cols == 0 || mentees.is_empty() {
        return 0;
    }
    let st = f.stride();
    let row_words = cols.div_ceil(64);
    let local = Local::new(f, weights, mentors);
    with_words!(f.words, W => {
        out.par_chunks_mut(cols)
            .with_min_len(4)
            .enumerate()
            .map(|(row, cells)| {
                let e = mentees[row] as usize;
                let er = &f.mentee_bits[e * st..(e + 1) * st];
                let bits = allowed.map(|a| &a[row * row_words..(row + 1) * row_words]);
                score_row::<W, C>(&local, er, &f.mentees[e], bits, cells)
            })
            .sum()
    })
}

/// Scores only the allowed cells of `mentees × mentors` (encoded indices;
/// `allowed` as in [`score_block`], required here) into compressed rows:
/// `(start, cols, scores)` with row `r`'s allowed columns ascending in
/// `cols[start[r]..start[r + 1]]`. Each score is bit-for-bit the one
/// [`score_block`] gives the cell. Rows in parallel; `O(rows · cols / 64 +
/// E)` time and `O(rows + E)` memory for `E` allowed cells.
///
/// # Panics
/// When `allowed` is shorter than `mentees.len() · ceil(mentors.len() / 64)`.
pub fn score_block_sparse(
    f: &Features,
    weights: &[f64; CRITERIA],
    mentees: &[u32],
    mentors: &[u32],
    allowed: &[u64],
) -> (Vec<usize>, Vec<u32>, Vec<i64>) {
    let cols = mentors.len();
    let row_words = cols.div_ceil(64);
    assert!(allowed.len() >= mentees.len() * row_words, "allowed bits");
    let st = f.stride();
    let local = Local::new(f, weights, mentors);
    let rows: Vec<(Vec<u32>, Vec<i64>)> = with_words!(f.words, W => {
        mentees
            .par_iter()
            .with_min_len(4)
            .enumerate()
            .map(|(row, &e)| {
                let e = e as usize;
                let er = &f.mentee_bits[e * st..(e + 1) * st];
                let bits = &allowed[row * row_words..(row + 1) * row_words];
                let r = Row::new(&f.mentees[e], local.weights);
                let (mut cs, mut ss) = (Vec::new(), Vec::new());
                for (w, &word) in bits.iter().enumerate() {
                    let mut word = word;
                    while word != 0 {
                        let c = w * 64 + word.trailing_zeros() as usize;
                        word &= word - 1;
                        if c >= cols {
                            break;
                        }
                        let mr = &local.bits[c * 4 * W..(c + 1) * 4 * W];
                        cs.push(super::assignment::ix(c));
                        ss.push(to_scaled(score_w::<W>(&local, er, &r, mr, c)));
                    }
                }
                (cs, ss)
            })
            .collect()
    });
    let total: usize = rows.iter().map(|(c, _)| c.len()).sum();
    let mut start = Vec::with_capacity(mentees.len() + 1);
    let (mut cols_out, mut scores) = (Vec::with_capacity(total), Vec::with_capacity(total));
    for (cs, ss) in rows {
        start.push(cols_out.len());
        cols_out.extend(cs);
        scores.extend(ss);
    }
    start.push(cols_out.len());
    (start, cols_out, scores)
}
