//! The exact group search measured two ways.
//!
//! `instances`: random school-sized components (5–10 mentors, 15–40
//! mentees, limits 2..4 and 3..5, seeded), solved for `total` and `fair`;
//! one JSON object per line with the instance and the result, for
//! `benches/groups_exact.py` to check against an integer program (CBC).
//!
//! `runs`: whole runs of the seeded synthetic region (`synth::generate`)
//! with every programme made a group programme; prints per-component
//! search times and how often the budget ran out.
//!
//! ```text
//! cargo run --release --example groups_exact -- instances 60 > target/groups_instances.jsonl
//! cargo run --release --example groups_exact -- runs 15 2000
//! ```

use std::io::{self, Write};
use std::time::{Duration, Instant};

use mentor_match::domain::GroupSize;
use mentor_match::matching::assignment::{FORBIDDEN, Objective};
use mentor_match::matching::groups::{GroupProblem, group_capacity, solve_groups};
use mentor_match::matching::synth::generate;
use mentor_match::matching::{RunInput, run};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

/// A component the size of a school's: scores 0..1 scaled by 10⁶, a third
/// of them forbidden, on some seeds coarse (many ties); a few members
/// already approved.
fn instance(seed: u64, size: GroupSize) -> (usize, usize, Vec<i64>, Vec<u32>, Vec<u32>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let cols = rng.random_range(5..=10);
    let rows = rng.random_range(15..=40);
    let coarse = rng.random_bool(0.4);
    let density = rng.random_range(0.45..0.9);
    let scores = (0..rows * cols)
        .map(|_| {
            if rng.random_bool(density) {
                let s: i64 = rng.random_range(0..=1_000_000);
                if coarse { s / 100_000 * 100_000 } else { s }
            } else {
                FORBIDDEN
            }
        })
        .collect();
    let held: Vec<u32> = (0..cols)
        .map(|_| {
            if rng.random_bool(0.15) {
                rng.random_range(1..=size.min)
            } else {
                0
            }
        })
        .collect();
    let room = held
        .iter()
        .map(|&h| {
            let spare = rng.random_range(1..=size.max + 1);
            group_capacity(spare, h, size)
        })
        .collect();
    (rows, cols, scores, room, held)
}

fn instances(seeds: u64) -> io::Result<()> {
    let mut out = io::stdout().lock();
    for (family, min, max) in [("2..4", 2, 4), ("3..5", 3, 5)] {
        let size = GroupSize::new(min, max);
        for seed in 0..seeds {
            let (rows, cols, scores, room, held) = instance(seed * 7919 + u64::from(min), size);
            let problem = GroupProblem {
                rows,
                cols,
                scores: &scores,
                room: &room,
                held: &held,
                size,
            };
            let mut results = serde_json::Map::new();
            for (name, objective) in [("total", Objective::Total), ("fair", Objective::Fair)] {
                let t = Instant::now();
                let s = solve_groups(&problem, objective, Duration::from_secs(60))
                    .map_err(|e| io::Error::other(e.to_string()))?;
                let low = s.pairs.iter().map(|&(r, c)| scores[r * cols + c]).min();
                results.insert(
                    name.into(),
                    json!({"matched": s.matched, "total": s.total, "min": low,
                        "optimal": s.optimal, "nodes": s.nodes,
                        "ms": t.elapsed().as_secs_f64() * 1000.0}),
                );
            }
            let cells: Vec<Option<i64>> = scores
                .iter()
                .map(|&s| (s != FORBIDDEN).then_some(s))
                .collect();
            let line = json!({"family": family, "seed": seed, "rows": rows, "cols": cols,
                "min": min, "max": max, "scores": cells, "room": room, "held": held,
                "rust": results});
            writeln!(out, "{line}")?;
        }
    }
    Ok(())
}

fn runs(schools: usize, budget_ms: u32) -> io::Result<()> {
    let data = generate(schools, 7);
    for (min, max) in [(2, 4), (3, 5)] {
        let mut times: Vec<f64> = Vec::new();
        let (mut components, mut optimal, mut hit, mut gap) = (0, 0, 0, 0);
        let started = Instant::now();
        let mut largest = (0, 0);
        for p in &data.programmes {
            let mut p = p.clone();
            p.group = Some(GroupSize {
                time_budget_ms: budget_ms,
                ..GroupSize::new(min, max)
            });
            let input = RunInput::new(&p, &data.organizations, &data.mentors, &data.mentees);
            let outcome = run(&input).map_err(|e| io::Error::other(e.to_string()))?;
            if let Some(g) = outcome.stats.groups {
                components += g.components;
                optimal += g.optimal_components;
                hit += g.budget_hit;
                gap += g.coverage_gap;
                for c in &g.per_component {
                    times.push(c.solve_ms);
                    if c.mentees * c.mentors > largest.0 * largest.1 {
                        largest = (c.mentees, c.mentors);
                    }
                }
            }
        }
        times.sort_by(f64::total_cmp);
        let pick = |q: f64| {
            times
                .get(((times.len() as f64 - 1.0) * q).round() as usize)
                .copied()
                .unwrap_or(0.0)
        };
        println!(
            "{schools} schools, limits {min}..{max}, budget {budget_ms} ms: {components} components \
             (largest {}×{}), {optimal} proven optimal, budget hit {hit}, coverage gap {gap}; \
             per component median {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.1} ms; \
             all programmes {:.1} s",
            largest.0,
            largest.1,
            pick(0.5),
            pick(0.9),
            pick(0.99),
            pick(1.0),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |k: usize, default: u64| {
        args.get(k)
            .and_then(|a| a.parse::<u64>().ok())
            .unwrap_or(default)
    };
    match args.first().map(String::as_str) {
        Some("instances") => instances(number(1, 60)),
        Some("runs") => runs(number(1, 15) as usize, number(2, 2000) as u32),
        _ => {
            eprintln!("usage: groups_exact instances [SEEDS] | runs [SCHOOLS] [BUDGET_MS]");
            Ok(())
        }
    }
}
