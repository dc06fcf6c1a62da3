//! Criterion benchmarks of the assignment solver on the shapes of
//! `/work/shared/bench/compare.py` (seeded, values not bit-identical to the NumPy ones).

use criterion::{Criterion, criterion_group, criterion_main};
use mentor_match::matching::assignment::{FORBIDDEN, Objective, ScoreMatrix, solve, solve_sparse};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use std::hint::black_box;

const SEED: u64 = 20261125;

fn uniform(seed: u64, rows: usize, cols: usize, hi: i64) -> ScoreMatrix {
    let mut rng = StdRng::seed_from_u64(SEED + seed);
    let cells = (0..rows * cols).map(|_| rng.random_range(0..hi)).collect();
    ScoreMatrix::new(rows, cols, cells).expect("shape")
}

// The rounded value is in 0..=100, so the float-to-integer cast cannot truncate.
#[allow(clippy::cast_possible_truncation)]
fn tiespop(n: usize) -> ScoreMatrix {
    let mut rng = StdRng::seed_from_u64(SEED + 6);
    let pop: Vec<f64> = (0..n).map(|_| rng.random()).collect();
    let cells = (0..n * n)
        .map(|k| (100.0 * (0.6 * pop[k % n] + 0.4 * rng.random::<f64>())).round() as i64)
        .collect();
    ScoreMatrix::new(n, n, cells).expect("shape")
}

fn block(seed: u64, schools: usize, per: usize) -> ScoreMatrix {
    let mut rng = StdRng::seed_from_u64(SEED + seed);
    let n = schools * per;
    let mut rs: Vec<usize> = (0..n).map(|k| k / per).collect();
    let mut cs = rs.clone();
    rs.shuffle(&mut rng);
    cs.shuffle(&mut rng);
    let cells = (0..n * n)
        .map(|k| {
            let s = rng.random_range(0..10_000);
            if rs[k / n] == cs[k % n] { s } else { FORBIDDEN }
        })
        .collect();
    ScoreMatrix::new(n, n, cells).expect("shape")
}

fn repeat_columns(m: &ScoreMatrix, times: usize) -> ScoreMatrix {
    let cols = m.cols() * times;
    let cells = (0..m.rows() * cols)
        .map(|k| m.cells()[(k / cols) * m.cols() + (k % cols) / times])
        .collect();
    ScoreMatrix::new(m.rows(), cols, cells).expect("shape")
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("assignment");
    g.sample_size(10);
    let unit = |m: &ScoreMatrix| vec![1u32; m.cols()];
    let cases = [
        ("dense_n2000", uniform(2, 2000, 2000, 10_000)),
        ("rect_1000x3000", uniform(3, 1000, 3000, 10_000)),
        ("ties_n2000", uniform(5, 2000, 2000, 101)),
        ("tiespop_n2000", tiespop(2000)),
        ("block20x100", block(7, 20, 100)),
        ("block10x200", block(8, 10, 200)),
    ];
    for (name, m) in &cases {
        let caps = unit(m);
        g.bench_function(*name, |b| {
            b.iter(|| solve(black_box(m), &caps, Objective::Total))
        });
    }
    let base = uniform(4, 2000, 500, 10_000);
    let repeated = repeat_columns(&base, 4);
    let caps = unit(&repeated);
    g.bench_function("cap4_repeated_columns", |b| {
        b.iter(|| solve(black_box(&repeated), &caps, Objective::Total))
    });
    let caps4 = vec![4u32; 500];
    g.bench_function("cap4_capacity_api", |b| {
        b.iter(|| solve(black_box(&base), &caps4, Objective::Total))
    });
    let (_, blk) = &cases[4];
    let edges: Vec<(usize, usize, i64)> = (0..blk.rows())
        .flat_map(|r| (0..blk.cols()).filter_map(move |c| blk.get(r, c).map(|s| (r, c, s))))
        .collect();
    let ones = unit(blk);
    g.bench_function("block20x100_sparse", |b| {
        b.iter(|| {
            solve_sparse(
                blk.rows(),
                blk.cols(),
                black_box(&edges),
                &ones,
                Objective::Total,
            )
        })
    });
    let mut rng = StdRng::seed_from_u64(SEED + 9);
    let sparse_cells = (0..2000 * 2000)
        .map(|_| {
            if rng.random_bool(0.02) {
                rng.random_range(0..10_000)
            } else {
                FORBIDDEN
            }
        })
        .collect();
    let sparse2 = ScoreMatrix::new(2000, 2000, sparse_cells).expect("shape");
    let ones2 = unit(&sparse2);
    g.bench_function("random_2pct_n2000", |b| {
        b.iter(|| solve(black_box(&sparse2), &ones2, Objective::Total))
    });
    g.bench_function("block20x100_fair", |b| {
        b.iter(|| solve(black_box(blk), &ones, Objective::Fair))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
