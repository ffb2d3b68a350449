//! The report parsers against reports real tools wrote
//! (tests/fixtures/reports/README.md says which tool and command made each,
//! and how the expected numbers were computed independently).

use pqg::parsers::{cobertura, junit, lcov, sarif, LineCoverage};
use std::path::Path;

fn fixture(name: &str) -> std::io::BufReader<std::fs::File> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/reports")
        .join(name);
    std::io::BufReader::new(std::fs::File::open(path).unwrap())
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-3
}

#[test]
fn lcov_from_cargo_llvm_cov_and_coverage_py() {
    for (file, found, hit) in [
        ("lcov-cargo-llvm-cov.info", 37, 25),
        ("lcov-coveragepy.info", 19, 14),
        ("lcov-coveragepy-branch.info", 19, 14),
    ] {
        let c = lcov::parse(fixture(file)).unwrap();
        assert_eq!(c, LineCoverage { found, hit }, "{file}");
    }
    assert!(close(
        lcov::parse(fixture("lcov-cargo-llvm-cov.info"))
            .unwrap()
            .percent()
            .unwrap(),
        67.5676
    ));
}

#[test]
fn cobertura_from_cargo_llvm_cov_and_coverage_py() {
    for (file, found, hit) in [
        ("cobertura-cargo-llvm-cov.xml", 37, 25),
        ("cobertura-coveragepy.xml", 19, 14),
        ("cobertura-coveragepy-branch.xml", 19, 14),
    ] {
        let c = cobertura::parse(fixture(file)).unwrap();
        assert_eq!(c, LineCoverage { found, hit }, "{file}");
    }
}

#[test]
fn junit_from_pytest_and_nextest() {
    for (file, tests, failures, errors, skipped) in [
        ("junit-pytest.xml", 6, 1, 1, 1),
        ("junit-nextest.xml", 4, 1, 0, 0),
        ("junit-nextest-run-ignored-all.xml", 5, 1, 0, 0),
    ] {
        let c = junit::parse(fixture(file)).unwrap();
        assert_eq!(
            c,
            junit::TestCounts {
                tests,
                failures,
                errors,
                skipped
            },
            "{file}"
        );
    }
    // pytest: 3 passed of the 5 that ran.
    let pytest = junit::parse(fixture("junit-pytest.xml")).unwrap();
    assert!(close(pytest.pass_percent().unwrap(), 60.0));
}

#[test]
fn sarif_from_clippy_ruff_bandit_semgrep_and_checkov() {
    use sarif::{Filter, Level, Severity};
    let all = Filter::default();
    let levels = |l: Level| Filter {
        levels: vec![l],
        severities: vec![],
    };
    let severity = |s: Severity| Filter {
        levels: vec![],
        severities: vec![s],
    };
    let n = |file: &str, f: &Filter| sarif::count(fixture(file), f);
    assert_eq!(n("sarif-clippy.sarif", &all), Ok(3));
    assert_eq!(n("sarif-clippy.sarif", &levels(Level::Warning)), Ok(2));
    assert_eq!(n("sarif-clippy.sarif", &levels(Level::Error)), Ok(1));
    assert_eq!(n("sarif-ruff.sarif", &all), Ok(8));
    assert_eq!(n("sarif-ruff.sarif", &levels(Level::Error)), Ok(8));
    assert_eq!(n("sarif-bandit.sarif", &all), Ok(2));
    assert_eq!(n("sarif-bandit.sarif", &levels(Level::Note)), Ok(1));
    // semgrep: levels come from the rules' defaultConfiguration.
    assert_eq!(n("sarif-semgrep.sarif", &levels(Level::Error)), Ok(1));
    assert_eq!(n("sarif-semgrep.sarif", &levels(Level::Warning)), Ok(2));
    assert_eq!(n("sarif-semgrep.sarif", &levels(Level::Note)), Ok(2));
    // Scored: one result per band in each. Unscored results are banded by
    // level: semgrep's is a note (low), checkov's CKV_AWS_20 an error (high).
    for (file, critical, high, medium, low) in [
        ("sarif-semgrep.sarif", 1, 1, 1, 2),
        ("sarif-checkov.sarif", 1, 2, 1, 1),
    ] {
        assert_eq!(
            n(file, &severity(Severity::Critical)),
            Ok(critical),
            "{file}"
        );
        assert_eq!(n(file, &severity(Severity::High)), Ok(high), "{file}");
        assert_eq!(n(file, &severity(Severity::Medium)), Ok(medium), "{file}");
        assert_eq!(n(file, &severity(Severity::Low)), Ok(low), "{file}");
    }
    // checkov: results override their rules' level; 8.9 is high, at the edge.
    assert_eq!(n("sarif-checkov.sarif", &levels(Level::Error)), Ok(3));
    // No scores at all: a severity question cannot be answered.
    let err = n("sarif-ruff.sarif", &severity(Severity::High)).unwrap_err();
    assert!(err.contains("security-severity"), "{err}");
}
