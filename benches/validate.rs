//! Loading and checking gates.example.toml through the library: the work
//! `pqg validate` does once the process is up.

use criterion::{criterion_group, criterion_main, Criterion};
use std::path::Path;

fn load_example(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("gates.example.toml");
    let text = std::fs::read_to_string(&path).expect("gates.example.toml exists");
    c.bench_function("config: parse and check gates.example.toml", |b| {
        b.iter(|| pqg::api::Config::parse(&path, std::hint::black_box(&text)).expect("valid"));
    });
}

criterion_group!(benches, load_example);
criterion_main!(benches);
