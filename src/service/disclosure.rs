//! Small counts of pupils of a sensitive category (special needs, a
//! prevention register), hidden from callers who may not read the
//! category, so that no child can be pointed at from a count.
//!
//! A count the caller may not read is hidden when it is 1 to
//! [`THRESHOLD`]` − 1` (shown as «< 5»); 0 is shown. Where a table also
//! shows the sum of some cells, one hidden cell could be recovered by
//! subtracting the visible ones from the sum, so more cells are hidden as
//! a complement (the smallest non-zero count the caller may not read, or
//! else the sum itself) until every small hidden count could still be at
//! least two different values for a reader who knows every visible cell,
//! every sum and these rules. Pure: cells and sums in, verdicts out.

use serde::Serialize;
use utoipa::ToSchema;

/// Counts of pupils of a sensitive category below this are hidden from
/// callers who may not read the category (roles and scopes: admins and the
/// curator of the pupils' own organisation read them exactly).
pub const THRESHOLD: u64 = 5;

/// Why a count is hidden from the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Suppressed {
    /// A count of pupils of a sensitive category between 1 and 4: shown
    /// as «< 5».
    BelowThreshold,
    /// A count hidden so that a count below the threshold cannot be
    /// recovered by subtraction from a total; it may be of any size.
    Complementary,
}

/// What a count below the threshold reads as.
pub const BELOW_THRESHOLD: &str = "< 5";

/// What the caller may know of a count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// The caller may read it: never hidden.
    Exact,
    /// Pupils of a sensitive category the caller may not read: hidden
    /// when below the threshold, and may be hidden as a complement.
    Sensitive,
    /// A count the caller may not read that includes such pupils among
    /// others (a total): hidden only as a complement.
    Mixed,
}

/// One count of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cell {
    /// The count.
    pub value: u64,
    /// What the caller may know of it.
    pub reading: Reading,
}

impl Cell {
    /// A count the caller reads exactly.
    pub fn exact(value: u64) -> Self {
        Self {
            value,
            reading: Reading::Exact,
        }
    }

    /// A count of `value` read as `reading`.
    pub fn new(value: u64, reading: Reading) -> Self {
        Self { value, reading }
    }
}

/// `cells[total] = Σ cells[parts]`, exactly (a reader may subtract).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sum {
    /// The index of the total.
    pub total: usize,
    /// The indices of its parts.
    pub parts: Vec<usize>,
}

/// Whether a count is hidden when a caller who may not read it sees it:
/// between 1 and `THRESHOLD − 1`.
pub fn below_threshold(value: u64) -> bool {
    (1..THRESHOLD).contains(&value)
}

/// Which cells to hide, and why: every [`Reading::Sensitive`] cell below
/// the threshold, then complements until no such cell is pinned down by
/// the sums (see [`bounds`]). A complement is, in a sum with an exposed
/// cell, the smallest non-zero part the caller may not read, else the
/// total. `None` for a cell shown as it is. Termination: each round hides
/// one more cell or stops. O(rounds × (cells + Σ parts)).
pub fn suppress(cells: &[Cell], sums: &[Sum]) -> Vec<Option<Suppressed>> {
    let mut hidden: Vec<Option<Suppressed>> = cells
        .iter()
        .map(|c| {
            (c.reading == Reading::Sensitive && below_threshold(c.value))
                .then_some(Suppressed::BelowThreshold)
        })
        .collect();
    // The sums each cell takes part in, as total or part.
    let mut sums_of: Vec<Vec<usize>> = vec![Vec::new(); cells.len()];
    for (k, s) in sums.iter().enumerate() {
        for &j in std::iter::once(&s.total).chain(&s.parts) {
            if sums_of[j].last() != Some(&k) {
                sums_of[j].push(k);
            }
        }
    }
    let hideable = |j: usize, hidden: &[Option<Suppressed>]| {
        hidden[j].is_none() && cells[j].reading != Reading::Exact && cells[j].value > 0
    };
    // The smallest non-zero part the caller may not read in these sums,
    // else their first such total.
    let complement = |among: &mut dyn Iterator<Item = &Sum>, hidden: &[Option<Suppressed>]| {
        let among: Vec<&Sum> = among.collect();
        among
            .iter()
            .flat_map(|s| s.parts.iter().copied())
            .filter(|&j| hideable(j, hidden))
            .min_by_key(|&j| (cells[j].value, j))
            .or_else(|| among.iter().map(|s| s.total).find(|&j| hideable(j, hidden)))
    };
    loop {
        let known = bounds(cells, sums, &hidden);
        let exposed: Vec<usize> = (0..cells.len())
            .filter(|&i| hidden[i] == Some(Suppressed::BelowThreshold) && known[i].0 == known[i].1)
            .collect();
        if exposed.is_empty() {
            return hidden;
        }
        // One complement per exposed cell whose sums got none this round;
        // the next round checks again.
        let mut touched = vec![false; sums.len()];
        let mut added = false;
        for &i in &exposed {
            if sums_of[i].iter().any(|&k| touched[k]) {
                continue;
            }
            let direct = complement(&mut sums_of[i].iter().map(|&k| &sums[k]), &hidden);
            // Pinned down through a chain of sums: widen to every sum
            // with a hidden cell.
            let chosen = direct.or_else(|| {
                complement(
                    &mut sums.iter().filter(|s| {
                        std::iter::once(&s.total)
                            .chain(&s.parts)
                            .any(|&j| hidden[j].is_some())
                    }),
                    &hidden,
                )
            });
            if let Some(j) = chosen {
                hidden[j] = Some(Suppressed::Complementary);
                for &k in &sums_of[j] {
                    touched[k] = true;
                }
                added = true;
            }
        }
        // Everything else they are summed with is read exactly: nothing
        // left to hide that would help.
        if !added {
            return hidden;
        }
    }
}

/// No upper bound.
const UNBOUNDED: u64 = u64::MAX;

/// What a reader can know of each cell from the visible ones, the sums
/// and the rules: `[low, high]` (`u64::MAX` for no upper bound). A visible
/// cell is its value; a cell hidden below the threshold is 1..4; a
/// complement is at least 1 (zeros are never hidden); the sums then narrow
/// them until nothing changes. Each pass is O(cells + Σ parts).
pub fn bounds(cells: &[Cell], sums: &[Sum], hidden: &[Option<Suppressed>]) -> Vec<(u64, u64)> {
    let mut known: Vec<(u64, u64)> = cells
        .iter()
        .zip(hidden)
        .map(|(c, h)| match h {
            None => (c.value, c.value),
            Some(Suppressed::BelowThreshold) => (1, THRESHOLD - 1),
            Some(Suppressed::Complementary) => (1, UNBOUNDED),
        })
        .collect();
    let narrow = |b: &mut (u64, u64), low: u64, high: u64| {
        let narrowed = (b.0.max(low), b.1.min(high));
        let changed = narrowed != *b;
        *b = narrowed;
        changed
    };
    // Each pass only narrows whole-number bounds, so it settles; the cap
    // only guards against a fault.
    for _ in 0..(2 * cells.len() + 4) {
        let mut changed = false;
        for s in sums {
            // Σ of the parts' lows, and of their finite highs with the
            // number of unbounded ones.
            let low: u128 = s.parts.iter().map(|&p| u128::from(known[p].0)).sum();
            let (high, unbounded) = s.parts.iter().fold((0u128, 0usize), |(h, n), &p| {
                if known[p].1 == UNBOUNDED {
                    (h, n + 1)
                } else {
                    (h + u128::from(known[p].1), n)
                }
            });
            let clamp = |v: u128| u64::try_from(v).unwrap_or(UNBOUNDED);
            let total_high = if unbounded > 0 {
                UNBOUNDED
            } else {
                clamp(high)
            };
            changed |= narrow(&mut known[s.total], clamp(low), total_high);
            let (t_low, t_high) = known[s.total];
            for &p in &s.parts {
                let (p_low, p_high) = known[p];
                let others_low = low - u128::from(p_low);
                let others_unbounded = unbounded - usize::from(p_high == UNBOUNDED);
                let low_bound = if others_unbounded > 0 {
                    0
                } else {
                    let others_high = high
                        - if p_high == UNBOUNDED {
                            0
                        } else {
                            u128::from(p_high)
                        };
                    clamp(u128::from(t_low).saturating_sub(others_high))
                };
                let high_bound = if t_high == UNBOUNDED {
                    UNBOUNDED
                } else {
                    clamp(u128::from(t_high).saturating_sub(others_low))
                };
                changed |= narrow(&mut known[p], low_bound, high_bound);
            }
        }
        if !changed {
            break;
        }
    }
    known
}

#[cfg(test)]
mod tests {
    use super::*;
    use Reading::*;

    fn sum(total: usize, parts: &[usize]) -> Sum {
        Sum {
            total,
            parts: parts.to_vec(),
        }
    }

    /// Every hidden cell below the threshold can be at least two values.
    fn protected(cells: &[Cell], sums: &[Sum], hidden: &[Option<Suppressed>]) -> bool {
        let known = bounds(cells, sums, hidden);
        hidden
            .iter()
            .zip(&known)
            .all(|(h, (low, high))| *h != Some(Suppressed::BelowThreshold) || low < high)
    }

    #[test]
    fn zero_and_counts_from_five_are_shown_one_to_four_hidden() {
        let cells: Vec<Cell> = [0, 1, 4, 5, 30]
            .iter()
            .map(|&v| Cell::new(v, Sensitive))
            .collect();
        let hidden = suppress(&cells, &[]);
        let below = Some(Suppressed::BelowThreshold);
        assert_eq!(hidden, [None, below, below, None, None]);
        assert_eq!(suppress(&[Cell::exact(1)], &[]), [None]);
        assert_eq!(suppress(&[Cell::new(2, Mixed)], &[]), [None]);
    }

    #[test]
    fn one_pupil_with_special_needs_among_many_hides_the_total_it_is_summed_in() {
        // A municipality: school A has one pupil with special needs, B and
        // C none; the other categories are visible; the total counts all.
        // 0 A special needs, 1 B special needs, 2 C special needs,
        // 3..6 other categories, 6 the total.
        let cells = [
            Cell::new(1, Sensitive),
            Cell::new(0, Sensitive),
            Cell::new(0, Sensitive),
            Cell::exact(14),
            Cell::exact(22),
            Cell::exact(9),
            Cell::new(46, Mixed),
        ];
        let sums = [sum(6, &[0, 1, 2, 3, 4, 5])];
        let hidden = suppress(&cells, &sums);
        assert_eq!(hidden[0], Some(Suppressed::BelowThreshold));
        assert_eq!(hidden[1..6], [None; 5], "zeros and other categories stay");
        assert_eq!(hidden[6], Some(Suppressed::Complementary));
        assert!(protected(&cells, &sums, &hidden));
        // Without hiding the total, 46 − 14 − 22 − 9 gives the one pupil.
        let mut naive = hidden.clone();
        naive[6] = None;
        assert!(!protected(&cells, &sums, &naive));
    }

    #[test]
    fn the_next_smallest_count_is_hidden_before_the_total() {
        // Pupils with special needs per school, and their total.
        let cells = [
            Cell::new(1, Sensitive),
            Cell::new(12, Sensitive),
            Cell::new(7, Sensitive),
            Cell::new(0, Sensitive),
            Cell::new(20, Sensitive),
        ];
        let sums = [sum(4, &[0, 1, 2, 3])];
        let hidden = suppress(&cells, &sums);
        assert_eq!(
            hidden,
            [
                Some(Suppressed::BelowThreshold),
                None,
                Some(Suppressed::Complementary),
                None,
                None
            ]
        );
        let known = bounds(&cells, &sums, &hidden);
        assert_eq!(known[0], (1, 4));
        assert!(protected(&cells, &sums, &hidden));
    }

    #[test]
    fn two_ones_that_sum_to_two_are_not_left_to_each_other() {
        // 1 + 1 = 2 with both hidden still gives each: a third is hidden.
        let cells = [
            Cell::new(1, Sensitive),
            Cell::new(1, Sensitive),
            Cell::new(9, Sensitive),
            Cell::new(11, Sensitive),
        ];
        let sums = [sum(3, &[0, 1, 2])];
        let hidden = suppress(&cells, &sums);
        assert_eq!(hidden[2], Some(Suppressed::Complementary));
        assert!(protected(&cells, &sums, &hidden));
    }

    #[test]
    fn a_total_below_the_threshold_is_hidden_with_its_part() {
        // One school, one pupil, the municipality total also 1: both hidden
        // and each could be 1..4.
        let cells = [
            Cell::new(1, Sensitive),
            Cell::new(0, Sensitive),
            Cell::new(1, Sensitive),
        ];
        let sums = [sum(2, &[0, 1])];
        let hidden = suppress(&cells, &sums);
        assert_eq!(
            hidden,
            [
                Some(Suppressed::BelowThreshold),
                None,
                Some(Suppressed::BelowThreshold)
            ]
        );
        assert!(protected(&cells, &sums, &hidden));
    }

    #[test]
    fn rows_and_columns_both_protect_a_cell() {
        // A row: eligible = matched + left; a column: total matched.
        // 0 eligible(1), 1 matched(1), 2 left(0), 3 other matched (6),
        // 4 total matched (7).
        let cells = [
            Cell::new(1, Sensitive),
            Cell::new(1, Sensitive),
            Cell::new(0, Sensitive),
            Cell::exact(6),
            Cell::new(7, Mixed),
        ];
        let sums = [sum(0, &[1, 2]), sum(4, &[1, 3])];
        let hidden = suppress(&cells, &sums);
        assert_eq!(hidden[4], Some(Suppressed::Complementary));
        assert!(protected(&cells, &sums, &hidden));
    }

    #[test]
    fn what_a_caller_reads_exactly_is_never_hidden() {
        let cells = [Cell::exact(1), Cell::exact(3), Cell::exact(4)];
        let sums = [sum(2, &[0, 1])];
        assert_eq!(suppress(&cells, &sums), [None; 3]);
    }

    /// Brute force on small tables: after suppression, enumerating every
    /// value the hidden cells could take (consistent with the sums, the
    /// visible cells and the rules) leaves each cell below the threshold
    /// at least two values.
    #[test]
    fn no_hidden_small_count_is_recoverable_in_random_tables() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(16);
        let mut checked = 0;
        for _ in 0..200 {
            // Two rows of three sensitive cells, their row totals and a
            // grand total of the rows with one visible cell more.
            let mut cells: Vec<Cell> = (0..6)
                .map(|_| Cell::new(rng.random_range(0..8), Sensitive))
                .collect();
            let visible = rng.random_range(0..10);
            cells.push(Cell::exact(visible));
            let r0 = cells[0].value + cells[1].value + cells[2].value;
            let r1 = cells[3].value + cells[4].value + cells[5].value;
            cells.push(Cell::new(r0, Sensitive));
            cells.push(Cell::new(r1, Sensitive));
            cells.push(Cell::new(r0 + r1 + visible, Mixed));
            let sums = [sum(7, &[0, 1, 2]), sum(8, &[3, 4, 5]), sum(9, &[7, 8, 6])];
            let hidden = suppress(&cells, &sums);
            let free: Vec<usize> = (0..6).filter(|&i| hidden[i].is_some()).collect();
            if free.len() > 5 {
                continue;
            }
            checked += 1;
            // Every value of the hidden cells among the six within 0..=11;
            // the totals follow from them.
            let fits_rule = |i: usize, v: u64| match hidden[i] {
                None => v == cells[i].value,
                Some(Suppressed::BelowThreshold) => below_threshold(v),
                Some(Suppressed::Complementary) => v >= 1,
            };
            let mut seen: Vec<std::collections::BTreeSet<u64>> = vec![Default::default(); 10];
            let mut values: Vec<u64> = cells.iter().map(|c| c.value).collect();
            for code in 0..12u64.pow(free.len() as u32) {
                let mut c = code;
                for &i in &free {
                    values[i] = c % 12;
                    c /= 12;
                }
                values[7] = values[0] + values[1] + values[2];
                values[8] = values[3] + values[4] + values[5];
                values[9] = values[7] + values[8] + values[6];
                if (0..10).all(|i| fits_rule(i, values[i])) {
                    for i in 0..10 {
                        seen[i].insert(values[i]);
                    }
                }
            }
            for i in 0..10 {
                assert!(seen[i].contains(&cells[i].value), "the truth fits");
                if hidden[i] == Some(Suppressed::BelowThreshold) {
                    assert!(
                        seen[i].len() >= 2,
                        "cell {i} of {cells:?} recoverable with {hidden:?}: {:?}",
                        seen[i]
                    );
                }
            }
        }
        assert!(checked > 100, "{checked}");
    }

    /// A regional readiness: 400 schools, 9 categories, 9 counts each,
    /// every school with a few pupils with special needs.
    #[test]
    fn a_large_table_is_protected_quickly() {
        let mut cells = Vec::new();
        let mut sums = Vec::new();
        let mut columns: Vec<Vec<usize>> = vec![Vec::new(); 9];
        for school in 0..400u64 {
            for category in 0..9u64 {
                let reading = if category < 2 { Sensitive } else { Exact };
                let first = cells.len();
                for field in 0..9u64 {
                    let v = if field == 0 {
                        0
                    } else {
                        (school * 7 + category * 3 + field) % 6
                    };
                    cells.push(Cell::new(v, reading));
                    columns[field as usize].push(first + field as usize);
                }
                let total: u64 = cells[first + 1..first + 9].iter().map(|c| c.value).sum();
                cells[first].value = total;
                sums.push(sum(first, &(first + 1..first + 9).collect::<Vec<_>>()));
            }
        }
        for column in &columns {
            let total = column.iter().map(|&i| cells[i].value).sum();
            cells.push(Cell::new(total, Mixed));
            sums.push(sum(cells.len() - 1, column));
        }
        let started = std::time::Instant::now();
        let hidden = suppress(&cells, &sums);
        assert!(protected(&cells, &sums, &hidden));
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "{:?}",
            started.elapsed()
        );
    }
}
