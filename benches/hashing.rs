//! Cold hashing throughput: list, stat and hash a generated tree with an
//! empty stat index, the work of pqg's first run on a repository.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use pqg::api::{snapshot_tree, StatIndex};
use std::io::Write;

fn tree() -> (tempfile::TempDir, u64) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut total = 0u64;
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for i in 0..2000u64 {
        // xorshift: deterministic sizes around 5 KB, like the hyperfine tree.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let size = 16 + (seed % 10_000) as usize;
        let folder = dir.path().join(format!("d{:02}", i % 40));
        std::fs::create_dir_all(&folder).expect("folder");
        let mut f = std::fs::File::create(folder.join(format!("f{i:05}.txt"))).expect("file");
        f.write_all(&vec![(i % 251) as u8; size]).expect("write");
        total += size as u64;
    }
    (dir, total)
}

fn cold_hashing(c: &mut Criterion) {
    let (dir, bytes) = tree();
    let exclude = dir.path().join(".pqg");
    let mut group = c.benchmark_group("inputs");
    group.throughput(Throughput::Bytes(bytes));
    group.bench_function("cold snapshot of 2,000 files (~10 MB)", |b| {
        b.iter(|| {
            snapshot_tree(dir.path(), &exclude, &[], StatIndex::default, None, None)
                .expect("snapshot")
        });
    });
    group.finish();
}

criterion_group!(benches, cold_hashing);
criterion_main!(benches);
