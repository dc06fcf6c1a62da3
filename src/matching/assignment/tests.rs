//! Tests of the assignment module: brute force and `pathfinding::kuhn_munkres` references,
//! known answers, and the CSV command.

use pathfinding::kuhn_munkres::kuhn_munkres;
use pathfinding::matrix::Matrix;
use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::matrix_csv::{format_scaled, parse_score_csv};
use super::*;

/// Best `(matched, key…)` found by exhaustive search.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Brute {
    matched: usize,
    /// Lowest chosen score (`i64::MAX` when nothing is matched).
    min: i64,
    total: i128,
}

fn brute_force(m: &ScoreMatrix, caps: &[u32], objective: Objective) -> Brute {
    fn rec(
        m: &ScoreMatrix,
        row: usize,
        left: &mut Vec<u32>,
        cur: Brute,
        objective: Objective,
        best: &mut Brute,
    ) {
        if row == m.rows() {
            let key = |b: &Brute| match objective {
                Objective::Fair => (b.matched, b.min, b.total),
                _ => (b.matched, 0, b.total),
            };
            if key(&cur) > key(best) {
                *best = cur;
            }
            return;
        }
        rec(m, row + 1, left, cur, objective, best);
        for c in 0..m.cols() {
            if let Some(s) = m.get(row, c)
                && left[c] > 0
            {
                left[c] -= 1;
                let next = Brute {
                    matched: cur.matched + 1,
                    min: cur.min.min(s),
                    total: cur.total + i128::from(s),
                };
                rec(m, row + 1, left, next, objective, best);
                left[c] += 1;
            }
        }
    }
    let start = Brute {
        matched: 0,
        min: i64::MAX,
        total: 0,
    };
    let mut best = start;
    rec(m, 0, &mut caps.to_vec(), start, objective, &mut best);
    best
}

/// Checks the structural guarantees and returns the recomputed `(matched, min, total)`.
fn validate(m: &ScoreMatrix, caps: &[u32], a: &Assignment) -> Brute {
    let mut used = vec![0u32; m.cols()];
    let mut row_seen = vec![false; m.rows()];
    let mut total = 0i128;
    let mut min = i64::MAX;
    for &(r, c) in &a.pairs {
        assert!(!row_seen[r], "row {r} matched twice");
        row_seen[r] = true;
        let s = m.get(r, c).expect("a forbidden cell was chosen");
        used[c] += 1;
        assert!(used[c] <= caps[c], "column {c} over capacity");
        total += i128::from(s);
        min = min.min(s);
    }
    assert_eq!(a.matched, a.pairs.len());
    assert_eq!(i128::from(a.total), total);
    assert!(
        a.pairs.windows(2).all(|w| w[0].0 < w[1].0),
        "pairs not sorted"
    );
    Brute {
        matched: a.matched,
        min,
        total,
    }
}

/// Independent reference for larger sizes: slot-expanded, big-M weighted `kuhn_munkres`.
fn reference_km(m: &ScoreMatrix, caps: &[u32]) -> (usize, i128) {
    let mut slots = Vec::new();
    for (c, &k) in caps.iter().enumerate() {
        for _ in 0..k {
            slots.push(c);
        }
    }
    let (rows, cols) = (m.rows(), slots.len());
    if rows == 0 || cols == 0 {
        return (0, 0);
    }
    let allowed: Vec<i64> = m
        .cells()
        .iter()
        .copied()
        .filter(|&s| s != FORBIDDEN)
        .collect();
    if allowed.is_empty() {
        return (0, 0);
    }
    let smin = i128::from(*allowed.iter().min().unwrap());
    let smax = i128::from(*allowed.iter().max().unwrap());
    let n = rows.min(cols) as i128;
    let big = (n + 1) * (smax - smin + 1) + 1;
    let weight = |r: usize, s: usize| match m.get(r, slots[s]) {
        Some(v) => big + i128::from(v) - smin,
        None => 0,
    };
    let w = if rows <= cols {
        Matrix::from_fn(rows, cols, |(r, s)| weight(r, s))
    } else {
        Matrix::from_fn(cols, rows, |(s, r)| weight(r, s))
    };
    let (value, _) = kuhn_munkres(&w);
    let matched = value / big;
    let rest = value - matched * big;
    (usize::try_from(matched).unwrap(), rest + matched * smin)
}

/// Runs the sparse kernel directly (the public entry points only use it on larger blocks) and
/// checks its structural guarantees; returns `(matched, total)`.
fn solve_with_sparse_kernel(m: &ScoreMatrix, caps: &[u32]) -> (usize, i128) {
    let csr = sparse::csr_from_dense(m.cells(), m.rows(), m.cols());
    let allowed: Vec<i64> = csr.scores.clone();
    let sol = sparse::solve_csr(&sparse::CsrProblem {
        start: &csr.start,
        cols_idx: &csr.cols_idx,
        scores: &csr.scores,
        capacity: caps,
        min: allowed.iter().copied().min().unwrap_or(0),
        max: allowed.iter().copied().max().unwrap_or(0),
    })
    .unwrap();
    assert_eq!(sol.len(), m.rows());
    let mut used = vec![0u32; m.cols()];
    let (mut matched, mut total) = (0, 0i128);
    for (r, c) in sol.iter().enumerate() {
        if let Some(c) = *c {
            let s = m.get(r, c).expect("sparse kernel chose a forbidden cell");
            used[c] += 1;
            assert!(used[c] <= caps[c], "sparse kernel overfilled column {c}");
            matched += 1;
            total += i128::from(s);
        }
    }
    (matched, total)
}

fn matrix_strategy(max_score: i64) -> impl Strategy<Value = (ScoreMatrix, Vec<u32>)> {
    (0usize..=6, 0usize..=6).prop_flat_map(move |(r, c)| {
        (
            prop::collection::vec(
                prop_oneof![1 => Just(None), 3 => (-max_score..=max_score).prop_map(Some)],
                r * c,
            ),
            prop::collection::vec(0u32..=3, c),
        )
            .prop_map(move |(cells, caps)| (ScoreMatrix::from_options(r, c, &cells).unwrap(), caps))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn total_objective_matches_brute_force((m, caps) in matrix_strategy(4)) {
        let a = solve(&m, &caps, Objective::Total).unwrap();
        let got = validate(&m, &caps, &a);
        let want = brute_force(&m, &caps, Objective::Total);
        prop_assert_eq!((got.matched, got.total), (want.matched, want.total));
    }

    #[test]
    fn total_objective_matches_brute_force_on_wide_scores((m, caps) in matrix_strategy(1000)) {
        let a = solve(&m, &caps, Objective::Total).unwrap();
        let got = validate(&m, &caps, &a);
        let want = brute_force(&m, &caps, Objective::Total);
        prop_assert_eq!((got.matched, got.total), (want.matched, want.total));
    }

    #[test]
    fn sparse_kernel_matches_brute_force((m, caps) in matrix_strategy(4)) {
        let want = brute_force(&m, &caps, Objective::Total);
        prop_assert_eq!(solve_with_sparse_kernel(&m, &caps), (want.matched, want.total));
    }

    #[test]
    fn fair_objective_matches_brute_force((m, caps) in matrix_strategy(4)) {
        let a = solve(&m, &caps, Objective::Fair).unwrap();
        let got = validate(&m, &caps, &a);
        let want = brute_force(&m, &caps, Objective::Fair);
        prop_assert_eq!(got, want);
    }

    #[test]
    fn sparse_and_dense_entry_points_agree((m, caps) in matrix_strategy(20)) {
        let mut edges = Vec::new();
        for r in 0..m.rows() {
            for c in 0..m.cols() {
                if let Some(s) = m.get(r, c) {
                    edges.push((r, c, s));
                }
            }
        }
        for objective in [Objective::Total, Objective::Fair] {
            let dense = solve(&m, &caps, objective).unwrap();
            let sparse = solve_sparse(m.rows(), m.cols(), &edges, &caps, objective).unwrap();
            prop_assert_eq!(dense, sparse);
        }
    }

    #[test]
    fn huge_scores_are_solved_exactly_or_rejected(
        (m, caps) in matrix_strategy(3),
        scale in prop_oneof![Just(1i64 << 40), Just(1i64 << 60), Just(i64::MAX / 4)],
    ) {
        let cells: Vec<i64> = m
            .cells()
            .iter()
            .map(|&s| if s == FORBIDDEN { s } else { s * scale })
            .collect();
        let m = ScoreMatrix::new(m.rows(), m.cols(), cells).unwrap();
        let want = brute_force(&m, &caps, Objective::Total);
        match solve(&m, &caps, Objective::Total) {
            Ok(a) => {
                let got = validate(&m, &caps, &a);
                prop_assert_eq!((got.matched, got.total), (want.matched, want.total));
            }
            Err(AssignmentError::TotalOverflow) => {
                prop_assert!(want.total > i128::from(i64::MAX) || want.total < i128::from(i64::MIN));
            }
            Err(e) => prop_assert!(false, "unexpected error {e}"),
        }
    }
}

fn random_matrix(rng: &mut StdRng, rows: usize, cols: usize, hi: i64, forbid: f64) -> ScoreMatrix {
    let cells = (0..rows * cols)
        .map(|_| {
            if rng.random_bool(forbid) {
                FORBIDDEN
            } else {
                rng.random_range(0..=hi)
            }
        })
        .collect();
    ScoreMatrix::new(rows, cols, cells).unwrap()
}

#[test]
fn medium_square_matrices_match_kuhn_munkres() {
    let mut rng = StdRng::seed_from_u64(7);
    for (n, hi) in [
        (30, 1000),
        (47, 3),
        (64, 0),
        (80, 10_000),
        (80, 2),
        (55, 100),
    ] {
        let m = random_matrix(&mut rng, n, n, hi, 0.0);
        let w = Matrix::from_fn(n, n, |(r, c)| m.get(r, c).unwrap());
        let (want, _) = kuhn_munkres(&w);
        let a = solve(&m, &vec![1; n], Objective::Total).unwrap();
        validate(&m, &vec![1; n], &a);
        assert_eq!(a.total, want, "n={n} hi={hi}");
        assert_eq!(a.matched, n);
    }
}

#[test]
fn medium_rectangular_forbidden_and_capacitated_matrices_match_the_reference() {
    let mut rng = StdRng::seed_from_u64(11);
    for &(rows, cols, hi, forbid, maxcap) in &[
        (40, 70, 100, 0.0, 1),
        (70, 40, 100, 0.0, 1),
        (60, 60, 5, 0.5, 1),
        (60, 30, 1000, 0.3, 1),
        (60, 20, 50, 0.0, 3),
        (60, 20, 4, 0.6, 4),
        (30, 40, 1000, 0.85, 2),
    ] {
        let m = random_matrix(&mut rng, rows, cols, hi, forbid);
        let caps: Vec<u32> = (0..cols).map(|_| rng.random_range(0..=maxcap)).collect();
        let a = solve(&m, &caps, Objective::Total).unwrap();
        let got = validate(&m, &caps, &a);
        let (matched, total) = reference_km(&m, &caps);
        assert_eq!((got.matched, got.total), (matched, total), "{rows}x{cols}");
        assert_eq!(
            solve_with_sparse_kernel(&m, &caps),
            (matched, total),
            "sparse {rows}x{cols}"
        );
    }
}

fn duplicated_columns_strategy() -> impl Strategy<Value = (ScoreMatrix, Vec<u32>)> {
    // A few distinct columns, each repeated up to three times in a random order, so that
    // identical columns (merged into one capacitated column) are the common case.
    (1usize..=5, 1usize..=3).prop_flat_map(|(rows, distinct)| {
        (
            prop::collection::vec(
                prop_oneof![1 => Just(None), 3 => (-3i64..=3).prop_map(Some)],
                rows * distinct,
            ),
            prop::collection::vec(0usize..distinct, 1..=6),
            prop::collection::vec(0u32..=2, 6),
        )
            .prop_map(move |(base, pick, caps)| {
                let cols = pick.len();
                let cells: Vec<Option<i64>> = (0..rows * cols)
                    .map(|k| base[(k / cols) * distinct + pick[k % cols]])
                    .collect();
                (
                    ScoreMatrix::from_options(rows, cols, &cells).unwrap(),
                    caps[..cols].to_vec(),
                )
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn identical_columns_match_brute_force((m, caps) in duplicated_columns_strategy()) {
        for objective in [Objective::Total, Objective::Fair] {
            let a = solve(&m, &caps, objective).unwrap();
            let got = validate(&m, &caps, &a);
            let want = brute_force(&m, &caps, objective);
            match objective {
                Objective::Total => {
                    prop_assert_eq!((got.matched, got.total), (want.matched, want.total));
                }
                _ => prop_assert_eq!(got, want),
            }
        }
    }
}

#[test]
fn identical_columns_share_rows_within_their_own_capacities() {
    // Columns 0, 2 and 3 are identical with capacities 1, 0 and 2: three rows fit.
    let m = ScoreMatrix::new(4, 4, vec![5, 1, 5, 5, 6, 1, 6, 6, 7, 1, 7, 7, 8, 9, 8, 8]).unwrap();
    let caps = [1, 1, 0, 2];
    let a = solve(&m, &caps, Objective::Total).unwrap();
    validate(&m, &caps, &a);
    assert_eq!(a.pairs, vec![(0, 0), (1, 3), (2, 3), (3, 1)]);
    assert_eq!(a.total, 5 + 6 + 7 + 9);
}

#[test]
fn capacitated_repeated_columns_match_the_reference() {
    let mut rng = StdRng::seed_from_u64(3);
    let (rows, mentors, cap) = (48, 12, 4);
    let m = random_matrix(&mut rng, rows, mentors, 10_000, 0.2);
    let expanded = ScoreMatrix::new(
        rows,
        mentors * cap,
        (0..rows)
            .flat_map(|r| (0..mentors * cap).map(move |c| (r, c / cap)))
            .map(|(r, c)| m.cells()[r * mentors + c])
            .collect(),
    )
    .unwrap();
    let caps = vec![ix(cap); mentors];
    let a = solve(&m, &caps, Objective::Total).unwrap();
    let b = solve(&expanded, &vec![1; mentors * cap], Objective::Total).unwrap();
    let got = validate(&m, &caps, &a);
    validate(&expanded, &vec![1; mentors * cap], &b);
    assert_eq!((got.matched, got.total), reference_km(&m, &caps));
    assert_eq!((a.matched, a.total), (b.matched, b.total));
}

#[test]
fn capacity_api_equals_the_repeated_column_expansion() {
    let mut rng = StdRng::seed_from_u64(3);
    let (rows, mentors, cap) = (120, 30, 4);
    let m = random_matrix(&mut rng, rows, mentors, 10_000, 0.0);
    let expanded = ScoreMatrix::new(
        rows,
        mentors * cap,
        (0..rows)
            .flat_map(|r| (0..mentors * cap).map(move |c| (r, c / cap)))
            .map(|(r, c)| m.get(r, c).unwrap())
            .collect(),
    )
    .unwrap();
    let a = solve(&m, &vec![ix(cap); mentors], Objective::Total).unwrap();
    let b = solve(&expanded, &vec![1; mentors * cap], Objective::Total).unwrap();
    validate(&m, &vec![ix(cap); mentors], &a);
    assert_eq!((a.matched, a.total), (b.matched, b.total));
}

#[test]
fn large_sparse_blocks_are_routed_to_the_sparse_kernel_and_stay_optimal() {
    // 100 × 100 at 3 % density (one component with high probability) and a capacitated
    // 120 × 40 at 25 %: both above the size and below the density thresholds.
    let mut rng = StdRng::seed_from_u64(17);
    for &(rows, cols, forbid, maxcap) in &[(100, 100, 0.97, 1), (120, 40, 0.75, 3)] {
        let m = random_matrix(&mut rng, rows, cols, 1000, forbid);
        let caps: Vec<u32> = (0..cols).map(|_| rng.random_range(1..=maxcap)).collect();
        let a = solve(&m, &caps, Objective::Total).unwrap();
        let got = validate(&m, &caps, &a);
        assert_eq!((got.matched, got.total), reference_km(&m, &caps));
    }
}

#[test]
fn coverage_comes_before_the_total_score() {
    // Row 0 can only take column 0; taking column 0 for row 1 (score 100) would leave row 0
    // unmatched, so coverage wins over the higher total.
    let m = ScoreMatrix::from_options(2, 2, &[Some(1), None, Some(100), Some(2)]).unwrap();
    let a = solve(&m, &[1, 1], Objective::Total).unwrap();
    assert_eq!(a.pairs, vec![(0, 0), (1, 1)]);
    assert_eq!((a.matched, a.total), (2, 3));
}

#[test]
fn competing_rows_keep_the_better_one_when_only_one_fits() {
    let m = ScoreMatrix::from_options(2, 1, &[Some(1), Some(10)]).unwrap();
    let a = solve(&m, &[1], Objective::Total).unwrap();
    assert_eq!(a.pairs, vec![(1, 0)]);
    assert_eq!(a.total, 10);
}

#[test]
fn fair_objective_raises_the_lowest_pair_before_the_total() {
    // Total prefers (0,0)+(1,1) = 10 + 1; fair prefers (0,1)+(1,0) = 5 + 5.
    let m = ScoreMatrix::new(2, 2, vec![10, 5, 5, 1]).unwrap();
    let total = solve(&m, &[1, 1], Objective::Total).unwrap();
    assert_eq!(
        (total.total, total.pairs.clone()),
        (11, vec![(0, 0), (1, 1)])
    );
    let fair = solve(&m, &[1, 1], Objective::Fair).unwrap();
    assert_eq!((fair.total, fair.pairs), (10, vec![(0, 1), (1, 0)]));
}

#[test]
fn fair_objective_uses_the_global_minimum_not_each_components_own() {
    // Component A's best minimum is 1; component B could keep a minimum of 9 but gets a
    // higher total by using its 5 (still above the global minimum 1).
    let f = FORBIDDEN;
    let m = ScoreMatrix::new(
        3,
        3,
        vec![
            1, f, f, //
            f, 9, 20, //
            f, 5, 9,
        ],
    )
    .unwrap();
    let a = solve(&m, &[1, 1, 1], Objective::Fair).unwrap();
    assert_eq!(a.pairs, vec![(0, 0), (1, 2), (2, 1)]);
    assert_eq!(a.total, 26);
}

#[test]
fn degenerate_inputs_give_empty_assignments() {
    let empty = Assignment {
        pairs: vec![],
        total: 0,
        matched: 0,
    };
    for (rows, cols) in [(0, 0), (0, 5), (5, 0)] {
        let m = ScoreMatrix::new(rows, cols, vec![]).unwrap();
        for objective in [Objective::Total, Objective::Fair] {
            assert_eq!(solve(&m, &vec![1; cols], objective), Ok(empty.clone()));
        }
    }
    let all_forbidden = ScoreMatrix::new(3, 2, vec![FORBIDDEN; 6]).unwrap();
    assert_eq!(
        solve(&all_forbidden, &[1, 1], Objective::Fair),
        Ok(empty.clone())
    );
    let m = ScoreMatrix::new(2, 2, vec![1, 2, 3, 4]).unwrap();
    assert_eq!(solve(&m, &[0, 0], Objective::Total), Ok(empty.clone()));
    assert_eq!(
        solve_sparse(3, 3, &[], &[1, 1, 1], Objective::Total),
        Ok(empty)
    );
    // Huge capacities are capped at the number of rows, not allocated.
    let m = ScoreMatrix::new(3, 2, vec![1, 2, 3, 4, 5, 6]).unwrap();
    for objective in [Objective::Total, Objective::Fair] {
        let a = solve(&m, &[u32::MAX, u32::MAX], objective).unwrap();
        assert_eq!((a.matched, a.total), (3, 2 + 4 + 6));
    }
}

#[test]
fn bad_inputs_are_reported_not_panicked() {
    assert!(matches!(
        ScoreMatrix::new(2, 2, vec![1]),
        Err(AssignmentError::ShapeMismatch {
            expected: 4,
            actual: 1
        })
    ));
    let m = ScoreMatrix::new(1, 2, vec![1, 2]).unwrap();
    assert!(matches!(
        solve(&m, &[1], Objective::Total),
        Err(AssignmentError::CapacityLength { .. })
    ));
    assert_eq!(
        solve_sparse(2, 2, &[(0, 0, 1), (0, 0, 2)], &[1, 1], Objective::Total),
        Err(AssignmentError::DuplicateEdge { row: 0, col: 0 })
    );
    assert_eq!(
        solve_sparse(2, 2, &[(2, 0, 1)], &[1, 1], Objective::Total),
        Err(AssignmentError::EdgeOutOfRange { index: 0 })
    );
    assert!(ScoreMatrix::from_options(1, 1, &[Some(i64::MIN)]).is_err());
}

#[test]
fn extreme_scores_never_panic() {
    let (hi, lo) = (i64::MAX, i64::MIN + 1);
    let m = ScoreMatrix::new(1, 2, vec![hi, lo]).unwrap();
    assert_eq!(solve(&m, &[1, 1], Objective::Total).unwrap().total, hi);
    let m = ScoreMatrix::new(2, 2, vec![hi, lo, lo, hi]).unwrap();
    assert_eq!(
        solve(&m, &[1, 1], Objective::Total),
        Err(AssignmentError::TotalOverflow)
    );
    let m = ScoreMatrix::new(2, 3, vec![hi, lo, FORBIDDEN, lo, hi, 0]).unwrap();
    for objective in [Objective::Total, Objective::Fair] {
        let r = solve(&m, &[1, 1, 1], objective);
        assert!(
            matches!(r, Ok(_) | Err(AssignmentError::TotalOverflow)),
            "{r:?}"
        );
    }
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let mut rng = StdRng::seed_from_u64(5);
    let (schools, per) = (8, 12);
    let n = schools * per;
    let row_school: Vec<usize> = (0..n).map(|_| rng.random_range(0..schools)).collect();
    let col_school: Vec<usize> = (0..n).map(|_| rng.random_range(0..schools)).collect();
    let cells = (0..n * n)
        .map(|k| {
            if row_school[k / n] == col_school[k % n] {
                rng.random_range(0..5)
            } else {
                FORBIDDEN
            }
        })
        .collect();
    let m = ScoreMatrix::new(n, n, cells).unwrap();
    let caps: Vec<u32> = (0..n).map(|_| rng.random_range(0..3)).collect();
    let run = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                (
                    solve(&m, &caps, Objective::Total).unwrap(),
                    solve(&m, &caps, Objective::Fair).unwrap(),
                )
            })
    };
    assert_eq!(run(1), run(4));
}

#[test]
fn csv_with_decimals_is_scaled_to_integers() {
    let csv = parse_score_csv("mentee,m1,m2\na,0.5,0.8125\nb,1,\n").unwrap();
    assert_eq!(csv.scale, 4);
    assert_eq!(csv.matrix.cells(), &[5000, 8125, 10000, FORBIDDEN]);
    assert_eq!(csv.row_ids, vec!["a", "b"]);
    assert_eq!(csv.col_ids, vec!["m1", "m2"]);
    assert_eq!(format_scaled(18125, 4), "1.8125");
    assert_eq!(format_scaled(-5, 3), "-0.005");
}

#[test]
fn csv_errors_name_the_line_and_column() {
    let e = parse_score_csv("mentee,m1,m2\na,1,2\nb,1,x\n").unwrap_err();
    assert_eq!((e.line, e.column), (3, 3));
    let e = parse_score_csv("mentee,m1,m2\na,1\n").unwrap_err();
    assert_eq!(e.line, 2);
    let e = parse_score_csv("mentee,m1\na,0.1234567891\n").unwrap_err();
    assert_eq!((e.line, e.column), (2, 2));
    let e = parse_score_csv("mentee,m1\n\"a,1\n").unwrap_err();
    assert_eq!(e.line, 2);
    assert!(parse_score_csv("").is_err());
    let e = parse_score_csv("mentee,m1,m2\na,9223372036854775807,0.5\n").unwrap_err();
    assert_eq!((e.line, e.column), (2, 2));
}

#[test]
fn solve_command_reports_decimal_totals_and_id_pairs() {
    let path = std::env::temp_dir().join(format!("mm-solve-test-{}.csv", std::process::id()));
    std::fs::write(&path, "mentee,\"x, y\",m2\na,0.5,0.25\nb,0.75,\nc,,\n").unwrap();
    let report = solve_command(&path, 3).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(report.total_exact, "1.00");
    assert_eq!(report.matched, 2);
    assert_eq!(
        report.pairs,
        vec![
            ("a".to_string(), "m2".to_string()),
            ("b".to_string(), "x, y".to_string())
        ]
    );
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["total"].as_f64(), Some(1.0));
    assert_eq!(json["pairs"][0][1], "m2");
}

/// Complete matrices with more rows than places and some column of several places: the case
/// solved as the transpose with each column repeated once per place.
fn more_rows_than_places_strategy() -> impl Strategy<Value = (ScoreMatrix, Vec<u32>)> {
    // Complete blocks with at least one column of two places and one to
    // three rows more than places: the path that solves from the columns'
    // side. At most 3 columns and 9 rows keep the brute force small.
    (1usize..=3)
        .prop_flat_map(|c| prop::collection::vec(1u32..=2, c))
        .prop_flat_map(|mut caps| {
            caps[0] = 2;
            let places: usize = caps.iter().map(|&k| k as usize).sum();
            ((places + 1)..=(places + 3), Just(caps))
        })
        .prop_flat_map(|(r, caps)| {
            let c = caps.len();
            prop::collection::vec(-6i64..=6, r * c)
                .prop_map(move |cells| (ScoreMatrix::new(r, c, cells).unwrap(), caps.clone()))
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn more_rows_than_places_match_brute_force((m, caps) in more_rows_than_places_strategy()) {
        let a = solve(&m, &caps, Objective::Total).unwrap();
        let got = validate(&m, &caps, &a);
        let want = brute_force(&m, &caps, Objective::Total);
        prop_assert_eq!((got.matched, got.total), (want.matched, want.total));
    }
}

#[test]
fn mostly_forbidden_csv_is_solved_from_its_allowed_cells_with_the_dense_answer() {
    for seed in 0..6u64 {
        let mut rng = StdRng::seed_from_u64(seed);
        let (rows, cols) = (60 + 10 * seed as usize, 80);
        let m = random_matrix(&mut rng, rows, cols, 50, 0.9);
        let mut text = String::from("mentee");
        for c in 0..cols {
            text.push_str(&format!(",m{c}"));
        }
        text.push('\n');
        for r in 0..rows {
            text.push_str(&format!("e{r}"));
            for c in 0..cols {
                match m.get(r, c) {
                    Some(s) => text.push_str(&format!(",{s}")),
                    None => text.push(','),
                }
            }
            text.push('\n');
        }
        let path =
            std::env::temp_dir().join(format!("solve-sparse-{}-{seed}.csv", std::process::id()));
        std::fs::write(&path, &text).unwrap();
        let report = solve_command(&path, 1);
        std::fs::remove_file(&path).unwrap();
        let report = report.unwrap();
        let want = solve(&m, &vec![1u32; cols], Objective::Total).unwrap();
        assert_eq!(report.matched, want.matched);
        assert_eq!(report.total_exact, want.total.to_string());
    }
}
