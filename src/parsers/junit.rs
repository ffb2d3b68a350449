//! JUnit XML (pytest, cargo-nextest, Maven Surefire, Jest, Go's
//! gotestsum, …): counts of test cases by outcome.
//!
//! The counts are taken from the `<testcase>` elements themselves, not from
//! the suites' attributes, which tools fill in differently (pytest leaves
//! the root's out, others count skipped cases as tests or not). A case with
//! a `<failure>` failed, with an `<error>` errored, with a `<skipped>` was
//! skipped; any other case passed.

use quick_xml::events::Event;
use std::io::BufRead;

/// Test cases by outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TestCounts {
    pub tests: u64,
    pub failures: u64,
    pub errors: u64,
    pub skipped: u64,
}

impl TestCounts {
    pub fn passed(&self) -> u64 {
        self.tests - self.failures - self.errors - self.skipped
    }

    /// Percent of the tests that ran (not skipped) and passed; an error when
    /// none ran.
    pub fn pass_percent(&self) -> Result<f64, String> {
        let ran = self.tests - self.skipped;
        if ran == 0 {
            return Err(
                "no test ran (the report holds no test case that was not skipped)".to_owned(),
            );
        }
        Ok(100.0 * self.passed() as f64 / ran as f64)
    }

    pub fn add(&mut self, other: TestCounts) {
        self.tests += other.tests;
        self.failures += other.failures;
        self.errors += other.errors;
        self.skipped += other.skipped;
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Case {
    Passed,
    Skipped,
    Errored,
    Failed,
}

/// Reads one JUnit report.
pub fn parse(input: impl BufRead) -> Result<TestCounts, String> {
    let mut reader = quick_xml::Reader::from_reader(input);
    let mut buf = Vec::with_capacity(4096);
    let mut counts = TestCounts::default();
    let mut depth = 0usize;
    let mut seen_root = false;
    // The open test case and its depth.
    let mut case: Option<(usize, Case)> = None;
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| format!("not valid XML at byte {}: {e}", reader.error_position()))?;
        let (name, opens) = match &event {
            Event::Start(e) => (Some(e.local_name().as_ref().to_owned()), true),
            Event::Empty(e) => (Some(e.local_name().as_ref().to_owned()), false),
            Event::End(_) => {
                if let Some((d, outcome)) = case {
                    if d == depth {
                        tally(&mut counts, outcome);
                        case = None;
                    }
                }
                depth = depth.saturating_sub(1);
                (None, false)
            }
            Event::Eof => break,
            _ => (None, false),
        };
        if let Some(name) = name {
            let level = depth + 1;
            if level == 1 {
                if name != "testsuites" && name != "testsuite" {
                    return Err(format!("not a JUnit report: the root element is <{name}>"));
                }
                seen_root = true;
            }
            match name.as_str() {
                "testcase" if case.is_none() => {
                    if opens {
                        case = Some((level, Case::Passed));
                    } else {
                        tally(&mut counts, Case::Passed);
                    }
                }
                "failure" | "error" | "skipped" => {
                    if let Some((d, outcome)) = case.as_mut() {
                        if level == *d + 1 {
                            let this = match name.as_str() {
                                "failure" => Case::Failed,
                                "error" => Case::Errored,
                                _ => Case::Skipped,
                            };
                            // A failure outranks an error outranks a skip.
                            if rank(this) > rank(*outcome) {
                                *outcome = this;
                            }
                        }
                    }
                }
                _ => {}
            }
            if opens {
                depth += 1;
            }
        }
        buf.clear();
    }
    if depth != 0 {
        return Err("the report ends inside an element: truncated?".to_owned());
    }
    if !seen_root {
        return Err("not a JUnit report: no <testsuites> or <testsuite> root element".to_owned());
    }
    Ok(counts)
}

fn rank(c: Case) -> u8 {
    match c {
        Case::Passed => 0,
        Case::Skipped => 1,
        Case::Errored => 2,
        Case::Failed => 3,
    }
}

fn tally(counts: &mut TestCounts, outcome: Case) {
    counts.tests += 1;
    match outcome {
        Case::Passed => {}
        Case::Skipped => counts.skipped += 1,
        Case::Errored => counts.errors += 1,
        Case::Failed => counts.failures += 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases_are_counted_by_outcome() {
        let xml = r#"<testsuites><testsuite name="s">
            <testcase name="a"/>
            <testcase name="b"><failure message="x">trace</failure><system-out>log</system-out></testcase>
            <testcase name="c"><error/></testcase>
            <testcase name="d"><skipped/></testcase>
            <testcase name="e"><system-err>&lt;failure&gt;</system-err></testcase>
        </testsuite></testsuites>"#;
        let c = parse(xml.as_bytes()).unwrap();
        assert_eq!(
            c,
            TestCounts {
                tests: 5,
                failures: 1,
                errors: 1,
                skipped: 1
            }
        );
        assert_eq!(c.passed(), 2);
        assert!((c.pass_percent().unwrap() - 50.0).abs() < 1e-9);
    }

    #[test]
    fn truncated_foreign_and_empty_reports() {
        assert!(parse("<testsuites><testsuite><testcase>".as_bytes())
            .unwrap_err()
            .contains("truncated"));
        assert!(parse("<coverage/>".as_bytes())
            .unwrap_err()
            .contains("not a JUnit report"));
        assert!(parse("".as_bytes())
            .unwrap_err()
            .contains("no <testsuites>"));
        let none_ran =
            parse("<testsuite><testcase><skipped/></testcase></testsuite>".as_bytes()).unwrap();
        assert!(none_ran.pass_percent().unwrap_err().contains("no test ran"));
    }
}
