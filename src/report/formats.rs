//! The machine formats other tools read (DESIGN §8): JUnit XML for CI test
//! panels, Markdown for `$GITHUB_STEP_SUMMARY` and pull-request comments,
//! GitHub workflow commands for annotations, and the Prometheus text
//! exposition format for a node_exporter textfile collector or a
//! Pushgateway. Each is a function of the [`Report`] alone.

use super::located::{self, Item, Listing};
use super::{GateReport, MetricReport, Report};
use crate::fmt::{human_duration, number, plain_text, with_unit};
use crate::judge::{GateStatus, StageOutcome};
use crate::plan::Enforcement;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::time::Duration;

fn seconds(g: &GateReport) -> f64 {
    g.duration_ms.map_or(0.0, |ms| ms as f64 / 1000.0)
}

/// What a failed or errored gate says about itself: its reason, its metric
/// misses and errors.
fn why(g: &GateReport) -> String {
    let mut parts: Vec<String> = g.reason.iter().cloned().collect();
    for m in &g.metrics {
        if let Some(e) = &m.error {
            parts.push(format!("{}: {e}", m.name));
        } else if let Some(miss) = &m.miss {
            parts.push(miss.clone());
        }
    }
    if parts.is_empty() {
        parts.push(g.status.as_str().to_owned());
    }
    parts.join("; ")
}

// ----- JUnit ---------------------------------------------------------------

/// Text without terminal escape sequences and control characters
/// ([`plain_text`]: tools print colours even into pipes), and without the
/// two non-characters XML 1.0 forbids besides.
fn printable(text: &str) -> String {
    plain_text(text)
        .chars()
        .filter(|&c| c != '\u{FFFE}' && c != '\u{FFFF}')
        .collect()
}

/// Text as XML 1.0 allows it: printable and escaped.
fn xml(text: &str) -> String {
    quick_xml::escape::escape(printable(text).as_str()).into_owned()
}

/// One test suite per run, one test case per gate. A gate that fails the
/// stage is a failure (fail, blocked) or an error (error, timeout); a gate
/// that did not run is skipped; a warning passes with its reason in
/// `system-out`.
pub(crate) fn render_junit(report: &Report, out: &mut impl Write) -> io::Result<()> {
    let c = &report.counts;
    let failures = c.fail + c.blocked;
    let errors = c.error + c.timeout;
    let skipped = c.skipped + c.cancelled;
    let time = report.duration_ms as f64 / 1000.0;
    let mut s = String::new();
    s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        s,
        "<testsuites name=\"pqg\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"{time:.3}\">",
        c.total
    );
    let _ = writeln!(
        s,
        "  <testsuite name=\"pqg {}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\" time=\"{time:.3}\">",
        xml(&report.stage),
        c.total
    );
    s.push_str("    <properties>\n");
    let mut property = |name: &str, value: String| {
        let _ = writeln!(
            s,
            "      <property name=\"{name}\" value=\"{}\"/>",
            xml(&value)
        );
    };
    property("stage", report.stage.clone());
    property("outcome", format!("{:?}", report.outcome).to_lowercase());
    if let Some(score) = report.score {
        property("score", number(score));
    }
    property("pqg_version", report.pqg_version.clone());
    property("run_id", report.run_id.clone());
    s.push_str("    </properties>\n");
    for g in &report.gates {
        let _ = write!(
            s,
            "    <testcase name=\"{}\" classname=\"pqg.{}\" time=\"{:.3}\"",
            xml(&g.name),
            xml(&report.stage),
            seconds(g)
        );
        let output = g.output.as_deref().unwrap_or("");
        let body = match g.status {
            GateStatus::Pass if output.is_empty() => None,
            GateStatus::Pass | GateStatus::Warn => {
                let note = match (&g.status, &g.reason) {
                    (GateStatus::Warn, _) => {
                        format!("warning (not enforced at this stage): {}\n", why(g))
                    }
                    _ => String::new(),
                };
                Some(format!(
                    "      <system-out>{}</system-out>\n",
                    xml(&(note + output))
                ))
            }
            GateStatus::Fail | GateStatus::Blocked => Some(format!(
                "      <failure type=\"{}\" message=\"{}\">{}</failure>\n",
                g.status.as_str(),
                xml(&why(g)),
                xml(output)
            )),
            GateStatus::Error | GateStatus::Timeout => Some(format!(
                "      <error type=\"{}\" message=\"{}\">{}</error>\n",
                g.status.as_str(),
                xml(&why(g)),
                xml(output)
            )),
            GateStatus::Skipped | GateStatus::Cancelled => Some(format!(
                "      <skipped message=\"{}\"/>\n",
                xml(g.reason.as_deref().unwrap_or(g.status.as_str()))
            )),
        };
        match body {
            None => s.push_str("/>\n"),
            Some(body) => {
                s.push_str(">\n");
                s.push_str(&body);
                s.push_str("    </testcase>\n");
            }
        }
    }
    s.push_str("  </testsuite>\n</testsuites>\n");
    out.write_all(s.as_bytes())
}

// ----- Markdown ------------------------------------------------------------

fn cell(text: &str) -> String {
    printable(text).replace('|', "\\|").replace('\n', "<br>")
}

fn status_icon(status: GateStatus) -> &'static str {
    match status {
        GateStatus::Pass => "✅",
        GateStatus::Fail | GateStatus::Error | GateStatus::Timeout | GateStatus::Blocked => "❌",
        GateStatus::Warn => "⚠️",
        GateStatus::Cancelled | GateStatus::Skipped => "⏭️",
    }
}

fn metric_cell(m: &MetricReport) -> String {
    let text = match (m.value, &m.error) {
        (Some(v), _) => format!(
            "{} {}{}",
            m.name,
            with_unit(v, m.unit.as_deref()),
            super::table::delta_text(m.delta)
        ),
        (None, Some(e)) => format!("{} unreadable: {e}", m.name),
        (None, None) if m.not_applicable() => format!("{} n/a", m.name),
        (None, None) => format!("{} —", m.name),
    };
    match m.new_code_text() {
        Some(counts) => format!("{text} ({counts})"),
        None => text,
    }
}

/// A summary for `$GITHUB_STEP_SUMMARY` or a pull-request comment: the
/// verdict, a table, and the output tail of each failing gate folded away.
pub(crate) fn render_markdown(report: &Report, out: &mut impl Write) -> io::Result<()> {
    let mut s = String::new();
    let verdict = match report.outcome {
        StageOutcome::Passed => "✅ passed",
        StageOutcome::Failed => "❌ failed",
        StageOutcome::Interrupted => "⚠️ interrupted",
    };
    let _ = writeln!(s, "### pqg · {}: {verdict}\n", report.stage);
    let summary = super::table::summary_line(
        report,
        &super::table::Printer {
            color: false,
            width: None,
            guard_workflow: false,
        },
    );
    let _ = writeln!(s, "{summary}\n");
    s.push_str("| Gate | Status | Result | Time |\n|---|---|---|---|\n");
    for g in &report.gates {
        let mut status = format!("{} {}", status_icon(g.status), g.status.as_str());
        if g.cached {
            status.push_str(" (cached)");
        }
        if g.flaky {
            status.push_str(" (flaky)");
        }
        let mut result: Vec<String> = g.metrics.iter().map(metric_cell).collect();
        if result.is_empty() || !matches!(g.status, GateStatus::Pass | GateStatus::Warn) {
            if let Some(r) = &g.reason {
                result.insert(0, r.clone());
            }
        }
        if result.is_empty() {
            result.push(g.exit_code.map_or("—".to_owned(), |c| format!("exit {c}")));
        }
        let time = g.duration_ms.map_or("—".to_owned(), |ms| {
            human_duration(Duration::from_millis(ms))
        });
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} |",
            cell(&g.name),
            status,
            cell(&result.join("\n")),
            time
        );
    }
    for g in &report.gates {
        if !g.status.fails_stage() && g.status != GateStatus::Warn {
            continue;
        }
        let output = g.output.as_deref().unwrap_or("").trim_end();
        let tail: Vec<&str> = output.lines().rev().take(40).collect();
        let _ = writeln!(
            s,
            "\n<details><summary><b>{}</b> · {} · {}</summary>\n",
            xml(&g.name),
            g.status.as_str(),
            xml(&why(g))
        );
        let listings: Vec<Listing<'_>> = g
            .metrics
            .iter()
            .filter_map(located::listing)
            .filter(|l| l.total() > 0)
            .collect();
        // A gate that printed nothing but found something shows what.
        if !tail.is_empty() || listings.is_empty() {
            s.push_str("```text\n");
            for line in tail.into_iter().rev() {
                let _ = writeln!(s, "{}", printable(line).replace("```", "` ` `"));
            }
            s.push_str("```\n\n");
        }
        for listing in &listings {
            markdown_listing(&mut s, listing);
        }
        s.push_str("</details>\n");
    }
    let notes: Vec<String> = report
        .notes()
        .map(|(gate, n)| format!("- **{}**: {}", cell(gate), cell(n)))
        .collect();
    if !notes.is_empty() {
        s.push_str("\n**Notes**\n\n");
        s.push_str(&notes.join("\n"));
        s.push('\n');
    }
    out.write_all(s.as_bytes())
}

/// A metric's listing: a bold title, then one bullet per item shown.
fn markdown_listing(s: &mut String, listing: &Listing<'_>) {
    let _ = writeln!(
        s,
        "**{}**: {}\n",
        md_inline(listing.metric),
        listing.count_text()
    );
    let shown: Vec<&Item<'_>> = listing.items.iter().take(located::SHOWN).collect();
    for item in &shown {
        let mut line = format!("- {}", md_code(&item.location()));
        if let Some(rule) = item.rule {
            let _ = write!(line, " {}", md_code(&located::one_line(rule)));
        }
        if !item.message.is_empty() {
            let _ = write!(line, " {}", md_inline(item.message));
        }
        let _ = writeln!(s, "{line}");
    }
    // The lines after the items: "… and N more", the unlocated count.
    for rest in listing.lines().iter().skip(shown.len()) {
        let _ = writeln!(s, "- {}", md_inline(rest));
    }
    s.push('\n');
}

/// `text` as a Markdown code span: fenced by more backticks than it holds
/// in a row, so nothing in it ends the span.
fn md_code(text: &str) -> String {
    let text = located::one_line(text);
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// What Markdown acts on inside a line: HTML, entities, links and images
/// (by their brackets), emphasis, strike-through, tables, the escape.
const MARKDOWN_ACTIVE: &str = "\\<>&[]*_~|";

/// `text` (from a report file) as inline Markdown on one line: its code
/// spans kept, as tools write `` `name` ``; whatever else Markdown acts on
/// escaped, so no HTML, link, image, emphasis or stray backtick takes
/// effect.
fn md_inline(text: &str) -> String {
    let chars: Vec<char> = located::one_line(text).chars().collect();
    let run_at = |i: usize| chars[i..].iter().take_while(|&&c| c == '`').count();
    let mut out = String::with_capacity(chars.len() + 8);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '`' {
            let n = run_at(i);
            // The span closes at the next run of exactly as many.
            let mut j = i + n;
            let mut close = None;
            while j < chars.len() {
                if chars[j] == '`' {
                    let m = run_at(j);
                    if m == n {
                        close = Some(j);
                        break;
                    }
                    j += m;
                } else {
                    j += 1;
                }
            }
            match close {
                Some(j) => {
                    out.extend(&chars[i..j + n]);
                    i = j + n;
                }
                None => {
                    out.push_str(&"\\`".repeat(n));
                    i += n;
                }
            }
            continue;
        }
        if MARKDOWN_ACTIVE.contains(c) {
            out.push('\\');
        }
        out.push(c);
        i += 1;
    }
    out
}

// ----- GitHub workflow commands --------------------------------------------

fn gh_data(text: &str) -> String {
    plain_text(text)
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn gh_property(text: &str) -> String {
    gh_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// The properties of the annotations marking `item`: `file=…,line=…`,
/// one per line range; none when it names no file in the project.
fn annotation_places(item: &Item<'_>) -> Vec<String> {
    let Some(path) = item.path else {
        return Vec::new();
    };
    let file = format!("file={}", gh_property(path));
    if item.lines.is_empty() {
        return vec![file];
    }
    item.lines
        .iter()
        .map(|&(start, end)| {
            let mut props = format!("{file},line={start}");
            if end > start {
                let _ = write!(props, ",endLine={end}");
            } else if let Some(col) = item.column {
                let _ = write!(props, ",col={col}");
            }
            props
        })
        .collect()
}

/// `::error` / `::warning` / `::notice` workflow commands: one per gate that
/// fails the stage or warns, one per builtin finding (at its file and
/// line), one per place a metric found something (at most
/// [`located::ANNOTATED`] a run, and a note saying how many more), one
/// per note.
pub(crate) fn render_github(report: &Report, out: &mut impl Write) -> io::Result<()> {
    let mut s = String::new();
    // Annotations left for what metrics found where, across the run.
    let mut budget = located::ANNOTATED;
    // What was annotated: a finding two metrics count (one scoped, one
    // not; two levels) is marked once.
    let mut annotated: std::collections::HashSet<(Vec<String>, Option<&str>, &str)> =
        std::collections::HashSet::new();
    for g in &report.gates {
        let level = match g.status {
            s if s.fails_stage() && g.enforcement == Some(Enforcement::Block) => Some("error"),
            GateStatus::Warn => Some("warning"),
            s if s.fails_stage() => Some("warning"),
            _ => None,
        };
        if let Some(level) = level {
            let _ = writeln!(
                s,
                "::{level} title={}::{}",
                gh_property(&format!("pqg {} ({})", g.name, report.stage)),
                gh_data(&format!("{}: {}", g.status.as_str(), why(g)))
            );
            for f in g.findings.iter().flatten() {
                let mut props = format!("file={}", gh_property(&f.file));
                if let Some(line) = f.line {
                    let _ = write!(props, ",line={line}");
                }
                if let Some(col) = f.column {
                    let _ = write!(props, ",col={col}");
                }
                let _ = write!(
                    props,
                    ",title={}",
                    gh_property(&format!("{}/{}", g.name, f.rule))
                );
                let _ = writeln!(s, "::{level} {props}::{}", gh_data(&f.message));
            }
            let mut left_out = 0u64;
            for listing in g.metrics.iter().filter_map(located::listing) {
                left_out += listing.more;
                for item in &listing.items {
                    let places = annotation_places(item);
                    if places.is_empty() {
                        // No place in the project: the gate's own
                        // annotation and the other reports count it.
                        continue;
                    }
                    if !annotated.insert((places.clone(), item.rule, item.message)) {
                        continue;
                    }
                    if budget == 0 {
                        left_out += 1;
                        continue;
                    }
                    let title = match item.rule {
                        Some(rule) => format!("{}/{}: {rule}", g.name, listing.metric),
                        None => format!("{}/{}", g.name, listing.metric),
                    };
                    for props in places.iter().take(budget) {
                        let _ = writeln!(
                            s,
                            "::{level} {props},title={}::{}",
                            gh_property(&title),
                            gh_data(&located::one_line(item.message))
                        );
                    }
                    budget = budget.saturating_sub(places.len());
                }
            }
            if left_out > 0 {
                let _ = writeln!(
                    s,
                    "::notice title={}::{}",
                    gh_property(&format!("pqg {}", g.name)),
                    gh_data(&format!(
                        "{left_out} more results are not annotated (at most {} a run); the SARIF report (--format sarif) lists every one that names a place in the project",
                        located::ANNOTATED
                    ))
                );
            }
        }
        for n in &g.notes {
            let _ = writeln!(
                s,
                "::notice title={}::{}",
                gh_property(&format!("pqg {}", g.name)),
                gh_data(n)
            );
        }
    }
    out.write_all(s.as_bytes())
}

// ----- Prometheus ----------------------------------------------------------

fn label(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The Prometheus text exposition format: per gate its status (a state set,
/// one series per status), duration, cached flag and metric values; per
/// stage its verdict, score, cache hits and run time.
pub(crate) fn render_prometheus(report: &Report, out: &mut impl Write) -> io::Result<()> {
    let stage = label(&report.stage);
    let mut s = String::new();
    let mut family = |name: &str, help: &str| {
        let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} gauge");
    };
    family(
        "pqg_gate_status",
        "1 for the status the gate ended in at this stage, 0 for the others.",
    );
    let mut lines = String::new();
    for g in &report.gates {
        for st in [
            GateStatus::Pass,
            GateStatus::Fail,
            GateStatus::Warn,
            GateStatus::Error,
            GateStatus::Timeout,
            GateStatus::Blocked,
            GateStatus::Cancelled,
            GateStatus::Skipped,
        ] {
            let _ = writeln!(
                lines,
                "pqg_gate_status{{gate=\"{}\",stage=\"{stage}\",status=\"{}\"}} {}",
                label(&g.name),
                st.as_str(),
                u8::from(g.status == st)
            );
        }
    }
    s.push_str(&lines);
    let per_gate =
        |s: &mut String, name: &str, help: &str, value: &dyn Fn(&GateReport) -> Option<f64>| {
            let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} gauge");
            for g in &report.gates {
                if let Some(v) = value(g) {
                    let _ = writeln!(
                        s,
                        "{name}{{gate=\"{}\",stage=\"{stage}\"}} {v}",
                        label(&g.name)
                    );
                }
            }
        };
    per_gate(
        &mut s,
        "pqg_gate_duration_seconds",
        "Wall-clock seconds of the gate's last attempt.",
        &|g| g.duration_ms.map(|ms| ms as f64 / 1000.0),
    );
    per_gate(
        &mut s,
        "pqg_gate_cached",
        "1 when the result came from the cache.",
        &|g| (g.status != GateStatus::Skipped).then_some(f64::from(u8::from(g.cached))),
    );
    let _ = writeln!(
        s,
        "# HELP pqg_gate_metric A gate's metric value.\n# TYPE pqg_gate_metric gauge"
    );
    for g in &report.gates {
        for m in &g.metrics {
            if let Some(v) = m.value {
                let _ = writeln!(
                    s,
                    "pqg_gate_metric{{gate=\"{}\",stage=\"{stage}\",metric=\"{}\"}} {v}",
                    label(&g.name),
                    label(&m.name)
                );
            }
        }
    }
    let stage_value = |s: &mut String, name: &str, help: &str, value: Option<f64>| {
        if let Some(v) = value {
            let _ = writeln!(
                s,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name}{{stage=\"{stage}\"}} {v}"
            );
        }
    };
    stage_value(
        &mut s,
        "pqg_stage_passed",
        "1 when the stage passed.",
        Some(f64::from(u8::from(report.outcome == StageOutcome::Passed))),
    );
    stage_value(
        &mut s,
        "pqg_stage_score",
        "The stage's score, percent.",
        report.score,
    );
    stage_value(
        &mut s,
        "pqg_stage_cache_hits",
        "Gates answered from the cache.",
        Some(report.counts.cached as f64),
    );
    stage_value(
        &mut s,
        "pqg_stage_gates",
        "Gates active at the stage.",
        Some(report.counts.active as f64),
    );
    stage_value(
        &mut s,
        "pqg_run_duration_seconds",
        "Wall-clock seconds of the run.",
        Some(report.duration_ms as f64 / 1000.0),
    );
    out.write_all(s.as_bytes())
}
