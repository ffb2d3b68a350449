//! Keys on a warm run: 40 gates' input globs matched against a 20,000-path
//! snapshot and their inputs digested (issue 14 item 2: ≤ 10 ms). The tree
//! is the hyperfine one's shape: `dNN/sNN/fNNNNN.txt`, 40 top folders.

use criterion::{criterion_group, criterion_main, Criterion};
use pqg::api::{input_digests, FileEntry, Mode, Snapshot};

fn snapshot() -> Snapshot {
    let mut files: Vec<FileEntry> = (0..20_000u32)
        .map(|i| FileEntry {
            path: format!("d{:02}/s{:02}/f{i:05}.txt", i % 40, (i / 40) % 25),
            mode: Mode::File,
            hash: [(i % 251) as u8; 32],
        })
        .collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let mut snapshot = Snapshot::default();
    snapshot.files = files.into();
    snapshot
}

fn keys(c: &mut Criterion) {
    let snapshot = snapshot();
    let mut group = c.benchmark_group("keys");
    // One folder per gate, as in benches/hyperfine.sh's `overhead` group.
    let folders: Vec<Vec<String>> = (0..40).map(|i| vec![format!("d{i:02}/**")]).collect();
    group.bench_function("40 folder globs on 20,000 paths", |b| {
        b.iter(|| input_digests(&snapshot, &folders));
    });
    // Globs with a fixed folder, a wildcard and an exclusion.
    let mixed: Vec<Vec<String>> = (0..40)
        .map(|i| {
            vec![
                format!("d{i:02}/s0*/*.txt"),
                format!("d{:02}/**", (i + 1) % 40),
                format!("!d{:02}/s1*/**", (i + 1) % 40),
            ]
        })
        .collect();
    group.bench_function("40 mixed glob sets on 20,000 paths", |b| {
        b.iter(|| input_digests(&snapshot, &mixed));
    });
    // No fixed folder: every path is matched (the floor this cannot lower).
    let anywhere: Vec<Vec<String>> = (0..40).map(|i| vec![format!("**/f*{i:02}.txt")]).collect();
    group.bench_function("40 folder-less globs on 20,000 paths", |b| {
        b.iter(|| input_digests(&snapshot, &anywhere));
    });
    group.finish();
}

criterion_group!(benches, keys);
criterion_main!(benches);
