//! The terminal report (DESIGN §8): a table of Gate · Status · Result ·
//! Threshold · Time, the output tail of each failing gate, and one summary
//! line. Colour is decided once, in [`Printer`], and passed down.

use super::located::{self, Listing};
use super::{GateReport, MetricReport, Report};
use crate::fmt::{human_duration, number, plain_text, with_unit};
use crate::judge::{GateStatus, StageOutcome};
use comfy_table::{presets, Attribute, Cell, Color, ContentArrangement, Table};
use std::io::{self, Write};
use std::time::Duration;

/// How many lines of a failing gate's output the table report shows.
pub(crate) const TAIL_LINES: usize = 40;

/// Styling decisions for one stream, made once.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Printer {
    pub color: bool,
    /// Terminal width for wrapping the table, if it is a terminal.
    pub width: Option<u16>,
    /// Under GitHub Actions, on stdout: gate output must not pass for
    /// workflow commands ([`super::workflow`]).
    pub guard_workflow: bool,
}

#[derive(Clone, Copy)]
enum Tone {
    Good,
    Bad,
    Warn,
    Dim,
    Bold,
}

impl Printer {
    fn paint(&self, text: &str, tone: Tone) -> String {
        if !self.color {
            return text.to_owned();
        }
        let code = match tone {
            Tone::Good => "32",
            Tone::Bad => "31",
            Tone::Warn => "33",
            Tone::Dim => "2",
            Tone::Bold => "1",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }

    fn status_cell(&self, status: GateStatus, label: String) -> Cell {
        let cell = Cell::new(label);
        if !self.color {
            return cell;
        }
        match tone(status) {
            Tone::Good => cell.fg(Color::Green),
            Tone::Bad => cell.fg(Color::Red).add_attribute(Attribute::Bold),
            Tone::Warn => cell.fg(Color::Yellow),
            Tone::Dim => cell.add_attribute(Attribute::Dim),
            Tone::Bold => cell.add_attribute(Attribute::Bold),
        }
    }
}

fn tone(status: GateStatus) -> Tone {
    match status {
        GateStatus::Pass => Tone::Good,
        GateStatus::Fail | GateStatus::Error | GateStatus::Timeout | GateStatus::Blocked => {
            Tone::Bad
        }
        GateStatus::Warn => Tone::Warn,
        GateStatus::Cancelled | GateStatus::Skipped => Tone::Dim,
    }
}

fn threshold_text(m: &MetricReport) -> String {
    let bounds = crate::fmt::bounds(m.min, m.max, m.unit.as_deref());
    let regression = match (&m.max_regression, m.baseline) {
        (Some(allowed), Some(base)) => {
            Some(format!("≤ {allowed} worse than baseline {}", number(base)))
        }
        _ => None,
    };
    match (bounds, regression) {
        (Some(b), Some(r)) => format!("{b}, {r}"),
        (Some(b), None) => b,
        (None, Some(r)) => r,
        (None, None) => "—".to_owned(),
    }
}

/// A change as shown beside a value: ` (+1.3)`, ` (-0.25)`; nothing when the
/// value did not move.
pub(super) fn delta_text(delta: Option<f64>) -> String {
    match delta {
        Some(d) if d.abs() > 1e-12 => {
            let sign = if d > 0.0 { "+" } else { "-" };
            format!(" ({sign}{})", number(d.abs()))
        }
        _ => String::new(),
    }
}

fn metric_text(m: &MetricReport) -> String {
    let text = match (&m.value, &m.error) {
        (Some(v), _) => format!(
            "{} {}{}",
            m.name,
            with_unit(*v, m.unit.as_deref()),
            delta_text(m.delta)
        ),
        (None, Some(_)) => format!("{} unreadable", m.name),
        (None, None) if m.not_applicable() => format!("{} n/a", m.name),
        (None, None) => format!("{} —", m.name),
    };
    match m.new_code_text() {
        Some(counts) => format!("{text} ({counts})"),
        None => text,
    }
}

fn status_label(g: &GateReport) -> String {
    let mut label = g.status.as_str().to_owned();
    let mut flags = Vec::new();
    if g.cached {
        flags.push("cached");
    }
    if g.flaky {
        flags.push("flaky");
    }
    if !flags.is_empty() {
        label.push_str(&format!(" ({})", flags.join(", ")));
    }
    label
}

fn result_lines(g: &GateReport) -> (Vec<String>, Vec<String>) {
    let mut result = Vec::new();
    let mut threshold = Vec::new();
    if g.metrics.is_empty()
        || matches!(
            g.status,
            GateStatus::Skipped | GateStatus::Blocked | GateStatus::Cancelled
        )
    {
        let text = match (&g.reason, g.exit_code) {
            (Some(reason), _) => reason.clone(),
            (None, Some(code)) => format!("exit {code}"),
            (None, None) => "—".to_owned(),
        };
        result.push(text);
        threshold.push(if g.status == GateStatus::Skipped {
            "—".to_owned()
        } else {
            exit_codes_text(&g.exit_codes)
        });
        return (result, threshold);
    }
    if let Some(reason) = &g.reason {
        result.push(reason.clone());
        threshold.push(exit_codes_text(&g.exit_codes));
    }
    for m in &g.metrics {
        result.push(metric_text(m));
        threshold.push(threshold_text(m));
    }
    (result, threshold)
}

fn exit_codes_text(codes: &[i32]) -> String {
    let list: Vec<String> = codes.iter().map(i32::to_string).collect();
    format!("exit {}", list.join("|"))
}

/// The table, the failing gates' output tails and the summary line.
pub(crate) fn render_table(
    report: &Report,
    printer: &Printer,
    quiet: bool,
    out: &mut impl Write,
) -> io::Result<()> {
    if !quiet {
        let mut table = Table::new();
        table
            .load_preset(presets::UTF8_FULL_CONDENSED)
            .apply_modifier(comfy_table::modifiers::UTF8_ROUND_CORNERS)
            .set_header(["Gate", "Status", "Result", "Threshold", "Time"]);
        match printer.width {
            Some(w) => {
                table.set_content_arrangement(ContentArrangement::Dynamic);
                table.set_width(w);
            }
            None => {
                table.set_content_arrangement(ContentArrangement::Disabled);
            }
        }
        if !printer.color {
            table.force_no_tty();
        } else {
            table.enforce_styling();
        }
        for g in &report.gates {
            let (result, threshold) = result_lines(g);
            let name = match g.enforcement {
                Some(crate::plan::Enforcement::Warn) => format!("{} (warn only)", g.name),
                _ => g.name.clone(),
            };
            let time = match (g.duration_ms, g.status) {
                (Some(ms), _) => human_duration(Duration::from_millis(ms)),
                _ => "—".to_owned(),
            };
            table.add_row(vec![
                Cell::new(name),
                printer.status_cell(g.status, status_label(g)),
                Cell::new(result.join("\n")),
                Cell::new(threshold.join("\n")),
                Cell::new(time),
            ]);
        }
        writeln!(out, "{table}")?;
    }
    for g in &report.gates {
        let failing = matches!(
            g.status,
            GateStatus::Fail | GateStatus::Error | GateStatus::Timeout
        );
        // What a metric found where, under the output of a gate that
        // fails or warns.
        let listings: Vec<Listing<'_>> = if failing || g.status == GateStatus::Warn {
            g.metrics
                .iter()
                .filter_map(located::listing)
                .filter(|l| l.total() > 0)
                .collect()
        } else {
            Vec::new()
        };
        let output = g.output.as_deref().filter(|_| failing);
        if output.is_none() && listings.is_empty() {
            continue;
        }
        let header = format!("── {} · {} ──", g.name, g.status.as_str());
        writeln!(out)?;
        writeln!(out, "{}", printer.paint(&header, Tone::Bold))?;
        if let Some(reason) = &g.reason {
            writeln!(out, "{}", plain_text(reason))?;
        }
        for m in &g.metrics {
            if let Some(err) = &m.error {
                writeln!(out, "metric {}: {}", m.name, plain_text(err))?;
            } else if let (Some(false), Some(miss)) = (m.within, &m.miss) {
                writeln!(out, "metric {miss}")?;
            } else if m.within == Some(false) {
                writeln!(
                    out,
                    "metric {}: {} is outside {}",
                    m.name,
                    with_unit(m.value.unwrap_or(f64::NAN), m.unit.as_deref()),
                    threshold_text(m)
                )?;
            }
        }
        if let Some(output) = output {
            let lines: Vec<&str> = output.lines().collect();
            let skip = lines.len().saturating_sub(TAIL_LINES);
            if skip > 0 {
                writeln!(
                    out,
                    "{}",
                    printer.paint(
                        &format!(
                            "… {skip} earlier lines (the JSON report and --keep-logs have more)"
                        ),
                        Tone::Dim
                    )
                )?;
            }
            for line in &lines[skip..] {
                if printer.color {
                    writeln!(out, "{line}")?;
                } else {
                    writeln!(out, "{}", plain_text(line))?;
                }
            }
            if lines.is_empty() {
                writeln!(out, "{}", printer.paint("(no output)", Tone::Dim))?;
            }
        }
        for listing in &listings {
            let title = format!("{}: {}", listing.metric, listing.count_text());
            writeln!(out, "{}", printer.paint(&plain_text(&title), Tone::Bold))?;
            for line in listing.lines() {
                writeln!(out, "  {line}")?;
            }
        }
    }
    let notes: Vec<String> = report
        .notes()
        .map(|(gate, n)| format!("note: {gate}: {n}"))
        .collect();
    if !notes.is_empty() && !quiet {
        writeln!(out)?;
        for note in notes {
            writeln!(out, "{}", printer.paint(&note, Tone::Dim))?;
        }
    }
    if !quiet || report.outcome != StageOutcome::Passed {
        writeln!(out)?;
    }
    writeln!(out, "{}", summary_line(report, printer))
}

/// `staging: FAILED · 7/9 passed · 1 failed · 1 warning · score 86.4 (min 80) · 3 cached · 12.3 s`
pub(crate) fn summary_line(report: &Report, printer: &Printer) -> String {
    let c = &report.counts;
    let verdict = match report.outcome {
        StageOutcome::Passed => printer.paint("PASSED", Tone::Good),
        StageOutcome::Failed => printer.paint("FAILED", Tone::Bad),
        StageOutcome::Interrupted => printer.paint("INTERRUPTED", Tone::Warn),
    };
    let mut parts = vec![
        format!("{}: {verdict}", report.stage),
        format!("{}/{} passed", c.pass, c.active),
    ];
    let plural = |n: usize, one: &str, many: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {many}")
        }
    };
    for (n, one, many) in [
        (c.fail, "failed", "failed"),
        (c.warn, "warning", "warnings"),
        (c.error, "error", "errors"),
        (c.timeout, "timed out", "timed out"),
        (c.blocked, "blocked", "blocked"),
        (c.cancelled, "cancelled", "cancelled"),
        (c.skipped, "skipped", "skipped"),
        (c.flaky, "flaky", "flaky"),
    ] {
        if n > 0 {
            parts.push(plural(n, one, many));
        }
    }
    match (report.score, report.min_score) {
        (Some(s), Some(min)) => parts.push(format!("score {:.1} (min {})", s, number(min))),
        (Some(s), None) => parts.push(format!("score {s:.1}")),
        (None, _) => {}
    }
    if c.cached > 0 {
        parts.push(format!("{} cached", c.cached));
    }
    parts.push(human_duration(Duration::from_millis(report.duration_ms)));
    parts.join(" · ")
}
