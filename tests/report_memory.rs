//! Large JSON and SARIF reports are read as a stream (issue 13, item 7):
//! a metric reading one costs about what a run reading none costs.
//!
//! Its own test binary, with one test, so that the peak resident size of
//! waited-for children (`RUSAGE_CHILDREN`) is pqg's own, as in
//! tests/memory.rs. A child starts with its parent's high-water mark, so
//! the test process stays small: reports are written through a buffer.

// These tests read the OS's usage counters; each unsafe block says why it
// holds.
#![allow(unsafe_code)]

mod common;

use common::{gate, TestRepo};

/// The peak resident size, in KiB, of the largest child waited for so far.
fn children_peak_kib() -> i64 {
    // SAFETY: rusage is plain integers, for which all-zero is valid.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is a valid, writable rusage for the call's length.
    let got = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    assert_eq!(got, 0);
    usage.ru_maxrss
}

/// Writes about `bytes` of a JSON report with a total at its end, and of a
/// SARIF log with one critical result per entry; gives the counts.
fn write_reports(dir: &std::path::Path, bytes: usize) -> (u64, u64) {
    use std::io::Write;
    let mut json = std::io::BufWriter::new(std::fs::File::create(dir.join("big.json")).unwrap());
    json.write_all(b"{\"items\":[").unwrap();
    let (mut n, mut size) = (0u64, 0);
    while size < bytes {
        let item = format!(
            "{}{{\"name\":\"item-{n:07}\",\"values\":[1,2,3,4.5],\"text\":\"lorem ipsum dolor sit amet consectetur\"}}",
            if n == 0 { "" } else { "," }
        );
        json.write_all(item.as_bytes()).unwrap();
        size += item.len();
        n += 1;
    }
    write!(json, "],\"summary\":{{\"total\":{n}}}}}").unwrap();
    json.flush().unwrap();
    let mut sarif = std::io::BufWriter::new(std::fs::File::create(dir.join("big.sarif")).unwrap());
    sarif
        .write_all(br#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"t","rules":[{"id":"R1","properties":{"security-severity":"9.1"}}]}},"results":["#)
        .unwrap();
    let (mut m, mut size) = (0u64, 0);
    while size < bytes {
        let result = format!(
            "{}{{\"ruleId\":\"R1\",\"level\":\"error\",\"message\":{{\"text\":\"finding {m:07}\"}},\"locations\":[{{\"physicalLocation\":{{\"artifactLocation\":{{\"uri\":\"src/a.py\"}},\"region\":{{\"startLine\":12}}}}}}]}}",
            if m == 0 { "" } else { "," }
        );
        sarif.write_all(result.as_bytes()).unwrap();
        size += result.len();
        m += 1;
    }
    sarif.write_all(b"]}]}").unwrap();
    sarif.flush().unwrap();
    (n, m)
}

#[test]
fn large_json_and_sarif_reports_are_read_as_a_stream() {
    // 16 MB each keeps the test quick on a debug build; the old readers
    // held the whole file (SARIF: at least its bytes, JSON: about ten times
    // them), far above the bound. A 100 MB report measures the same
    // (README, "Metrics").
    const BYTES: usize = 16_000_000;
    let repo = TestRepo::new().gates(
        r#"[gates.small]
run = "true"

[gates.json]
run = "touch big.json"
inputs = ["gates.toml"]
[gates.json.metrics.total]
json = "/summary/total"
file = "big.json"

[gates.sarif]
run = "touch big.sarif"
inputs = ["gates.toml"]
[gates.sarif.metrics.critical]
sarif = "big.sarif"
severity = "critical"
max = 0
"#,
    );
    let (items, results) = write_reports(repo.path(), BYTES);
    // Each run is measured as the largest so far: a run reading a report
    // that costs more than the one before it raises the mark.
    let run = |gate: &str| {
        let out = repo
            .pqg_std(["check", "--no-cache", "--only", gate])
            .output()
            .unwrap();
        assert!(out.status.code().is_some(), "{gate} did not exit");
        children_peak_kib()
    };
    let baseline = run("small");
    for gate in ["json", "sarif"] {
        let peak = run(gate);
        eprintln!("{gate}: peak {peak} KiB, a run reading no report {baseline} KiB");
        assert!(
            peak < baseline + 8 * 1024 && peak < 64 * 1024,
            "{gate}: peak resident size {peak} KiB for a {BYTES}-byte report (baseline {baseline} KiB)"
        );
    }
    let report = repo.check_json(&["--no-cache", "--only", "json", "--only", "sarif"]);
    assert_eq!(gate(&report, "json")["metrics"][0]["value"], items as f64);
    assert_eq!(
        gate(&report, "sarif")["metrics"][0]["value"],
        results as f64
    );
}
