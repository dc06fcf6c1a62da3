//! Criterion benchmarks of the exact rank-maximal assignment
//! (`matching::assignment::rank_maximal`) on random components, against
//! the previous implementation (`old_rank_maximal`, kept here only to
//! measure the ratio: dense vector costs, `O(V²)` Dijkstra, one augmentation
//! per Dijkstra, no initial flow).
//!
//! Before timing, both implementations are checked to give the same
//! signature `(matched, n₀, n₁, …)` on a range of seeded instances.
//! `RANK_MAXIMAL_CHECKS=n` checks `n` instances instead of 40;
//! `RANK_MAXIMAL_OLD_LARGE=1` also times the old one on the large shapes
//! (once each: about 40 s apiece).

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use mentor_match::matching::assignment::FORBIDDEN;
use mentor_match::matching::assignment::rank_maximal::rank_maximal;
use mentor_match::matching::stable::Preferences;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const SEED: u64 = 20261130;

/// A random component: `allowed` share of allowed cells, each mentee with
/// up to `wishes` random wishes (some forbidden or repeated, which
/// [`Preferences`] skips), every mentor with `cap` places. Scores are
/// uniform in 0..100, or with `popular` mostly the mentor's popularity, so
/// that mentees want the same few mentors and first choices collide.
fn component(
    seed: u64,
    (rows, cols): (usize, usize),
    allowed: f64,
    wishes: usize,
    cap: u32,
    popular: bool,
) -> (Preferences, Vec<u32>) {
    let mut rng = StdRng::seed_from_u64(SEED + seed);
    let popularity: Vec<i64> = (0..cols).map(|_| rng.random_range(0..80)).collect();
    let scores: Vec<i64> = (0..rows * cols)
        .map(|k| {
            if !rng.random_bool(allowed) {
                FORBIDDEN
            } else if popular {
                popularity[k % cols] + rng.random_range(0..20)
            } else {
                rng.random_range(0..100)
            }
        })
        .collect();
    let mentee_wishes: Vec<Vec<usize>> = (0..rows)
        .map(|_| {
            let n = rng.random_range(0..=wishes);
            (0..n).map(|_| rng.random_range(0..cols)).collect()
        })
        .collect();
    let prefs = Preferences::new(rows, cols, &scores, &mentee_wishes, &[]);
    (prefs, vec![cap; cols])
}

/// `(matched, n₀, n₁, …)`.
fn signature(prefs: &Preferences, pairs: &[(usize, usize)]) -> Vec<usize> {
    let mut s = vec![0; prefs.cols() + 1];
    for &(r, c) in pairs {
        s[0] += 1;
        s[1 + prefs.mentee_rank(r, c).expect("allowed")] += 1;
    }
    s
}

fn check_against_old() {
    let instances: u64 = std::env::var("RANK_MAXIMAL_CHECKS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(40);
    let mut checked = 0;
    for seed in 0..instances {
        let rows = 10 + (seed as usize * 7) % 60;
        let cols = 3 + (seed as usize * 5) % 20;
        let allowed = [0.2, 0.5, 0.9][seed as usize % 3];
        let cap = 1 + (seed as u32) % 4;
        let (prefs, caps) = component(100 + seed, (rows, cols), allowed, 5, cap, seed % 2 == 0);
        let (new, old) = (rank_maximal(&prefs, &caps), old_rank_maximal(&prefs, &caps));
        let mut used = vec![0u32; cols];
        for (i, &(r, c)) in new.iter().enumerate() {
            assert!(i == 0 || new[i - 1].0 < r, "one mentor per mentee, sorted");
            used[c] += 1;
            assert!(used[c] <= caps[c], "capacity");
        }
        assert_eq!(
            signature(&prefs, &new),
            signature(&prefs, &old),
            "seed {seed}: {rows}×{cols} cap {cap}"
        );
        checked += 1;
    }
    eprintln!("rank_maximal: same signature as the old implementation on {checked} instances");
}

fn once(name: &str, f: impl FnOnce() -> Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    let t = Instant::now();
    let pairs = f();
    eprintln!("{name}: {:.3} s (single run)", t.elapsed().as_secs_f64());
    pairs
}

fn bench(c: &mut Criterion) {
    check_against_old();
    // (name, instance, whether the old implementation is timed by default)
    let cases = [
        (
            "200x60_cap4_50pct",
            component(1, (200, 60), 0.5, 10, 4, false),
            true,
        ),
        (
            "200x60_cap3_50pct_popular",
            component(3, (200, 60), 0.5, 10, 3, true),
            true,
        ),
        (
            "1000x300_cap4_30pct",
            component(2, (1000, 300), 0.3, 10, 4, false),
            false,
        ),
        (
            "1000x300_cap3_30pct_popular",
            component(4, (1000, 300), 0.3, 10, 3, true),
            false,
        ),
        (
            "1000x300_cap3_90pct_popular",
            component(5, (1000, 300), 0.9, 10, 3, true),
            false,
        ),
    ];
    let old_large = std::env::var_os("RANK_MAXIMAL_OLD_LARGE").is_some();
    let mut g = c.benchmark_group("rank_maximal");
    g.sample_size(10);
    for (name, (prefs, caps), old_by_default) in &cases {
        // One timed run of each first, and the signatures compared.
        let new = once(&format!("new {name}"), || rank_maximal(prefs, caps));
        eprintln!("  signature {:?}…", &signature(prefs, &new)[..6]);
        if *old_by_default || old_large {
            let old = once(&format!("old {name}"), || old_rank_maximal(prefs, caps));
            assert_eq!(signature(prefs, &new), signature(prefs, &old), "{name}");
        }
        g.bench_function(format!("new_{name}"), |b| {
            b.iter(|| rank_maximal(black_box(prefs), caps))
        });
        if *old_by_default {
            g.bench_function(format!("old_{name}"), |b| {
                b.iter(|| old_rank_maximal(black_box(prefs), caps))
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

// ---- the previous implementation, verbatim but for its name ----

type Cost = Vec<i64>;

fn add(a: &[i64], b: &[i64]) -> Cost {
    a.iter().zip(b).map(|(x, y)| x + y).collect()
}

fn sub(a: &[i64], b: &[i64]) -> Cost {
    a.iter().zip(b).map(|(x, y)| x - y).collect()
}

fn old_rank_maximal(prefs: &Preferences, capacity: &[u32]) -> Vec<(usize, usize)> {
    let (rows, cols) = (prefs.rows(), prefs.cols());
    assert_eq!(capacity.len(), cols, "one capacity per mentor");
    let depth = (0..rows)
        .map(|r| prefs.mentee_list(r).len())
        .max()
        .unwrap_or(0)
        .max(1);
    let zero = vec![0i64; depth];
    let cost = |r: usize, c: usize| -> Cost {
        let mut v = zero.clone();
        if let Some(k) = prefs.mentee_rank(r, c).filter(|&k| k > 0) {
            v[0] += 1;
            v[k] -= 1;
        }
        v
    };
    // Nodes: rows 0..rows, columns rows..rows + cols.
    let n = rows + cols;
    let mut potential: Vec<Cost> = vec![zero.clone(); n];
    let mut mentor_of: Vec<Option<usize>> = vec![None; rows];
    let mut held: Vec<Vec<usize>> = vec![Vec::new(); cols];
    loop {
        // Dijkstra from every free mentee at once, on reduced costs.
        let mut dist: Vec<Option<Cost>> = vec![None; n];
        let mut from: Vec<usize> = vec![usize::MAX; n];
        let mut done = vec![false; n];
        for r in 0..rows {
            if mentor_of[r].is_none() {
                dist[r] = Some(zero.clone());
            }
        }
        let mut target: Option<(usize, Cost)> = None;
        loop {
            let mut best: Option<usize> = None;
            for v in 0..n {
                if let (false, Some(d)) = (done[v], &dist[v])
                    && best.is_none_or(|b| dist[b].as_ref().is_some_and(|db| d < db))
                {
                    best = Some(v);
                }
            }
            let Some(u) = best else { break };
            done[u] = true;
            let du = dist[u].clone().unwrap_or_else(|| zero.clone());
            if u >= rows {
                let c = u - rows;
                if (held[c].len() as u64) < u64::from(capacity[c]) {
                    // The first settled column with room is the nearest.
                    target = Some((c, du));
                    break;
                }
                for &r in &held[c] {
                    // Undo the pair (r, c): cost −(e₀ − e_k).
                    let reduced = add(&sub(&sub(&zero, &cost(r, c)), &potential[r]), &potential[u]);
                    relax(&mut dist, &mut from, &done, r, u, add(&du, &reduced));
                }
            } else {
                for &c in prefs.mentee_list(u) {
                    if mentor_of[u] == Some(c) {
                        continue;
                    }
                    let v = rows + c;
                    let reduced = add(&sub(&cost(u, c), &potential[v]), &potential[u]);
                    relax(&mut dist, &mut from, &done, v, u, add(&du, &reduced));
                }
            }
        }
        let Some((c, dt)) = target else { break };
        for v in 0..n {
            let step = match &dist[v] {
                Some(d) if done[v] && d < &dt => d.clone(),
                _ => dt.clone(),
            };
            potential[v] = add(&potential[v], &step);
        }
        // Augment along the path back to a free mentee.
        let mut col = c;
        loop {
            let r = from[rows + col];
            let previous = mentor_of[r];
            if let Some(p) = previous {
                held[p].retain(|&x| x != r);
            }
            mentor_of[r] = Some(col);
            held[col].push(r);
            match previous {
                Some(p) => col = p,
                None => break,
            }
        }
    }
    mentor_of
        .iter()
        .enumerate()
        .filter_map(|(r, c)| c.map(|c| (r, c)))
        .collect()
}

fn relax(
    dist: &mut [Option<Cost>],
    from: &mut [usize],
    done: &[bool],
    v: usize,
    u: usize,
    d: Cost,
) {
    if done[v] {
        return;
    }
    if dist[v].as_ref().is_none_or(|old| &d < old) {
        dist[v] = Some(d);
        from[v] = u;
    }
}
