//! Throughput of the report parsers on generated large reports (issue 4:
//! LCOV and JUnit at least 200 MB/s, SARIF at least 100 MB/s). The reports
//! are built in memory so that the figure is the parser's, not the disk's.
//!
//!     cargo bench --bench parsers

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use pqg::parsers::{json, junit, lcov, sarif};
use std::fmt::Write;

/// An LCOV tracefile shaped like cargo-llvm-cov's: records of DA lines with
/// function and branch data around them.
fn lcov_report(target: usize) -> Vec<u8> {
    let mut s = String::with_capacity(target + 4096);
    let mut file = 0;
    while s.len() < target {
        file += 1;
        let _ = writeln!(s, "SF:/home/dev/project/src/module_{file}/file_{file}.rs");
        for f in 0..8 {
            let _ = writeln!(
                s,
                "FN:{},_RNvCs4fqI2P2rA04_7project6module{file}fn{f}",
                f * 20 + 1
            );
            let _ = writeln!(
                s,
                "FNDA:{},_RNvCs4fqI2P2rA04_7project6module{file}fn{f}",
                f * 3
            );
        }
        let _ = writeln!(s, "FNF:8\nFNH:7");
        for line in 1..=200 {
            let _ = writeln!(s, "DA:{line},{}", (line * 7 + file) % 5);
        }
        for b in 0..10 {
            let _ = writeln!(s, "BRDA:{},0,{b},{}", b * 10 + 3, b % 3);
        }
        let _ = writeln!(s, "BRF:10\nBRH:7\nLF:200\nLH:160\nend_of_record");
    }
    s.into_bytes()
}

/// The newcode benchmark's tracefile (benches/hyperfine.sh): 20,000 files
/// of three `DA` lines each.
fn newcode_report() -> Vec<u8> {
    let mut s = String::new();
    for i in 0..20_000 {
        let _ = writeln!(s, "SF:d{:02}/s{:02}/f{i:05}.py", i % 40, (i / 40) % 25);
        for n in [2, 5, 9] {
            let _ = writeln!(s, "DA:{n},{}", (i + n) % 3);
        }
        s.push_str("end_of_record\n");
    }
    s.into_bytes()
}

/// A JUnit report like cargo-nextest's or Surefire's: suites of cases, some
/// failing with a message and a trace, captured output on many.
fn junit_report(target: usize) -> Vec<u8> {
    let mut s = String::with_capacity(target + 4096);
    s.push_str(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"all\" tests=\"0\">\n",
    );
    let mut suite = 0;
    while s.len() < target {
        suite += 1;
        let _ = writeln!(s, "  <testsuite name=\"crate::module_{suite}\" tests=\"50\" failures=\"1\" errors=\"0\" skipped=\"1\" time=\"1.5\">");
        for case in 0..50 {
            let _ = write!(s, "    <testcase name=\"tests::case_{case}_does_the_thing\" classname=\"crate::module_{suite}\" time=\"0.0{case}\"");
            match case {
                7 => {
                    let _ = writeln!(s, ">\n      <failure message=\"assertion failed: left == right\" type=\"panic\">thread 'tests::case_7' panicked at src/lib.rs:42:9:\nassertion `left == right` failed\n  left: 1\n right: 2</failure>\n    </testcase>");
                }
                9 => {
                    let _ = writeln!(s, ">\n      <skipped/>\n    </testcase>");
                }
                c if c % 3 == 0 => {
                    let _ = writeln!(s, ">\n      <system-out>running case {c}: setup done; 12 assertions passed; teardown ok &amp; clean</system-out>\n    </testcase>");
                }
                _ => {
                    let _ = writeln!(s, "/>");
                }
            }
        }
        s.push_str("  </testsuite>\n");
    }
    s.push_str("</testsuites>\n");
    s.into_bytes()
}

/// A SARIF log like a scanner's: rules with security-severity and results
/// with locations and messages.
fn sarif_report(target: usize) -> Vec<u8> {
    let mut s = String::with_capacity(target + 4096);
    s.push_str(r#"{"$schema":"https://json.schemastore.org/sarif-2.1.0.json","version":"2.1.0","runs":[{"tool":{"driver":{"name":"scanner","rules":["#);
    for r in 0..50 {
        if r > 0 {
            s.push(',');
        }
        let _ = write!(
            s,
            r#"{{"id":"R{r}","shortDescription":{{"text":"rule {r}"}},"defaultConfiguration":{{"level":"warning"}},"properties":{{"security-severity":"{}.{}","tags":["security"]}}}}"#,
            r % 10,
            r % 7
        );
    }
    s.push_str(r#"]}},"results":["#);
    let mut i = 0;
    while s.len() < target {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(
            s,
            r#"{{"ruleId":"R{}","ruleIndex":{},"level":"{}","message":{{"text":"Possible issue number {i} found in this function call"}},"locations":[{{"physicalLocation":{{"artifactLocation":{{"uri":"src/module_{}/file.py"}},"region":{{"startLine":{},"startColumn":5,"endLine":{},"endColumn":40}}}}}}],"partialFingerprints":{{"primaryLocationLineHash":"{:016x}"}}}}"#,
            i % 50,
            i % 50,
            ["error", "warning", "note"][i % 3],
            i % 300,
            i % 400 + 1,
            i % 400 + 1,
            i * 7919
        );
        i += 1;
    }
    s.push_str("]}]}\n");
    s.into_bytes()
}

fn parsers(c: &mut Criterion) {
    const SIZE: usize = 64 << 20;
    let mut group = c.benchmark_group("parsers");
    group.sample_size(10);

    let report = lcov_report(SIZE);
    group.throughput(Throughput::Bytes(report.len() as u64));
    group.bench_function("lcov", |b| {
        b.iter(|| lcov::parse(&report[..]).expect("valid lcov"));
    });

    // A `scope = "new"` reading: every file's lines kept, in the shape of
    // the newcode benchmark's report (20,000 files of three DA lines,
    // 100,000 lines), then those lines put in their stored form.
    let small = newcode_report();
    group.throughput(Throughput::Bytes(small.len() as u64));
    group.bench_function("lcov per file", |b| {
        b.iter(|| lcov::read(&small[..], true).expect("valid lcov"));
    });
    let mut files = lcov::read(&small[..], true).expect("valid lcov").files;
    for f in &mut files {
        f.places = vec![f.path.clone()];
    }
    group.bench_function("coverage lines stored", |b| {
        b.iter(|| pqg::parsers::detail::CoverageLines::new(&files));
    });

    let report = junit_report(SIZE);
    group.throughput(Throughput::Bytes(report.len() as u64));
    group.bench_function("junit", |b| {
        b.iter(|| junit::parse(&report[..]).expect("valid junit"));
    });

    let report = sarif_report(SIZE);
    group.throughput(Throughput::Bytes(report.len() as u64));
    let filter = sarif::Filter {
        levels: vec![],
        severities: vec![sarif::Severity::High, sarif::Severity::Critical],
    };
    group.bench_function("sarif", |b| {
        b.iter(|| sarif::count(&report[..], &filter).expect("valid sarif"));
    });
    // The same count with every counted result located and the first
    // 5,000 kept whole, as a `sarif` metric reads it.
    let places = sarif::Places {
        dir: std::path::Path::new("/project"),
        root: std::path::Path::new("/project"),
    };
    group.bench_function("sarif located", |b| {
        b.iter(|| sarif::read(&report[..], &filter, places).expect("valid sarif"));
    });

    // A pointer into a large JSON document: the SARIF log's last run.
    group.bench_function("json pointer", |b| {
        b.iter(|| {
            json::at_pointer(&report[..], "/runs/0/tool/driver/name")
                .expect("valid json")
                .expect("found")
        });
    });
    group.finish();
}

criterion_group!(benches, parsers);
criterion_main!(benches);
