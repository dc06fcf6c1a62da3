//! Seeded criterion benches: the scoring kernel on 10,000 × 2,000 pairs
//! with every criterion on, a municipality (15 schools) end to end, and a
//! region (200 schools) end to end.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mentor_match::matching::engine::encode_for;
use mentor_match::matching::score::{score_block, weight_array};
use mentor_match::matching::synth::generate;
use mentor_match::matching::{RunInput, run};
use std::hint::black_box;
use std::time::Duration;

fn scoring(c: &mut Criterion) {
    let data = generate(100, 1);
    let programme = &data.programmes[1];
    let mentees = &data.mentees[..10_000];
    let mentors = &data.mentors[..2_000];
    let features = encode_for(programme, mentors, mentees);
    let weights = weight_array(&programme.weights);
    assert!(weights.iter().all(|w| *w > 0.0), "every criterion on");
    let rows: Vec<u32> = (0..mentees.len() as u32).collect();
    let cols: Vec<u32> = (0..mentors.len() as u32).collect();
    let mut out = vec![0i64; rows.len() * cols.len()];
    let mut group = c.benchmark_group("scoring");
    group.throughput(Throughput::Elements((rows.len() * cols.len()) as u64));
    group.sample_size(20);
    group.bench_function("10000x2000_all_criteria", |b| {
        b.iter(|| score_block(&features, &weights, &rows, &cols, None, black_box(&mut out)))
    });
    group.finish();
}

fn end_to_end(c: &mut Criterion, name: &str, schools: usize) {
    let data = generate(schools, 7);
    let mut group = c.benchmark_group("end_to_end");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function(name, |b| {
        b.iter(|| {
            for p in &data.programmes {
                let input = RunInput::new(p, &data.organizations, &data.mentors, &data.mentees);
                black_box(run(&input).map(|o| o.stats.mentees_matched).unwrap_or(0));
            }
        })
    });
    group.finish();
}

fn municipality(c: &mut Criterion) {
    end_to_end(c, "municipality_15_schools_all_programmes", 15);
}

fn region(c: &mut Criterion) {
    end_to_end(c, "region_200_schools_all_programmes", 200);
}

criterion_group!(benches, scoring, municipality, region);
criterion_main!(benches);
