//! A gate printing 1 GB: pqg keeps its memory bounded.
//!
//! Its own test binary, with one test, so that the peak resident size of
//! waited-for children (`RUSAGE_CHILDREN`) is pqg's own: pqg waits for its
//! gates itself, and git's setup processes are tiny.

// These tests drive the OS directly (signals, file times, usage); each
// unsafe block says why it holds.
#![allow(unsafe_code)]

mod common;

use common::{json, TestRepo};

#[test]
fn a_gate_printing_one_gigabyte_leaves_pqg_under_64_mib() {
    let repo = TestRepo::new().gates("[gates.flood]\nrun = 'head -c 1000000000 /dev/zero'\n");
    let out = repo
        .pqg_std(["check", "--format", "json", "--no-cache"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let report = json(&out.stdout);
    assert_eq!(report["gates"][0]["output_bytes"], 1_000_000_000u64);
    assert!(report["gates"][0]["output_omitted_bytes"].as_u64().unwrap() > 900_000_000);
    // SAFETY: rusage is plain integers, for which all-zero is valid.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is a valid, writable rusage for the call's length.
    let got = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    assert_eq!(got, 0);
    let peak_kib = usage.ru_maxrss;
    eprintln!("pqg peak resident size: {peak_kib} KiB");
    assert!(peak_kib < 64 * 1024, "peak resident size {peak_kib} KiB");
}
