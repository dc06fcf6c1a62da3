//! Seeded criterion benches of the exact group search: school-sized
//! components (limits 2..4 and 3..5, plain and tie-heavy scores) and the
//! group programmes of a synthetic municipality (15 schools) end to end.

use criterion::{Criterion, criterion_group, criterion_main};
use mentor_match::domain::GroupSize;
use mentor_match::matching::assignment::{FORBIDDEN, Objective};
use mentor_match::matching::groups::{GroupProblem, group_capacity, solve_groups};
use mentor_match::matching::synth::generate;
use mentor_match::matching::{RunInput, run};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::hint::black_box;
use std::time::Duration;

/// Components of 8 mentors and 30 mentees; `ties` rounds scores to tenths.
fn components(size: GroupSize, ties: bool) -> Vec<(Vec<i64>, Vec<u32>)> {
    let mut rng = StdRng::seed_from_u64(42);
    (0..20)
        .map(|_| {
            let scores = (0..30 * 8)
                .map(|_| {
                    if rng.random_bool(0.7) {
                        let s: i64 = rng.random_range(0..=1_000_000);
                        if ties { s / 100_000 * 100_000 } else { s }
                    } else {
                        FORBIDDEN
                    }
                })
                .collect();
            let room = (0..8)
                .map(|_| group_capacity(rng.random_range(1..=size.max + 1), 0, size))
                .collect();
            (scores, room)
        })
        .collect()
}

fn school_components(c: &mut Criterion) {
    let mut group = c.benchmark_group("groups_school");
    let held = [0u32; 8];
    for (name, min, max, ties) in [
        ("2..4", 2, 4, false),
        ("3..5", 3, 5, false),
        ("3..5_ties", 3, 5, true),
    ] {
        let size = GroupSize::new(min, max);
        let cases = components(size, ties);
        for (objective, label) in [(Objective::Total, "total"), (Objective::Fair, "fair")] {
            group.bench_function(format!("20x_30x8_{name}_{label}"), |b| {
                b.iter(|| {
                    for (scores, room) in &cases {
                        let problem = GroupProblem {
                            rows: 30,
                            cols: 8,
                            scores,
                            room,
                            held: &held,
                            size,
                        };
                        let s = solve_groups(&problem, objective, Duration::from_secs(60));
                        black_box(s.map(|s| s.matched).unwrap_or(0));
                    }
                })
            });
        }
    }
    group.finish();
}

fn municipality(c: &mut Criterion) {
    let data = generate(15, 7);
    let programmes: Vec<_> = data
        .programmes
        .iter()
        .map(|p| {
            let mut p = p.clone();
            p.group = Some(GroupSize::new(3, 5));
            p
        })
        .collect();
    let mut group = c.benchmark_group("groups_end_to_end");
    group.sample_size(10);
    group.bench_function("municipality_15_schools_groups_3..5", |b| {
        b.iter(|| {
            for p in &programmes {
                let input = RunInput::new(p, &data.organizations, &data.mentors, &data.mentees);
                black_box(run(&input).map(|o| o.stats.mentees_matched).unwrap_or(0));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, school_components, municipality);
criterion_main!(benches);
