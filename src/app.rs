//! The commands, wired from config to exit code.
//!
//! Each command follows the one direction of data: config → plan → run →
//! judge → report. This module chooses which pieces run and where their
//! output goes; the exit code itself is chosen in `main`.

use crate::cli::{CheckArgs, Cli, Command, Format, ListArgs};
use crate::config::{Config, ConfigWarning};
use crate::diag::UserError;
use crate::report::progress::Progress;
use crate::report::table::{render_table, Printer};
use crate::report::{self, render_json};
use crate::run::{self, RunOptions};
use crate::{judge, plan, settings};
use anyhow::Context;
use comfy_table::{presets, Table};
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

/// Runs the command `cli` asks for and returns the exit code it earned.
pub fn run(cli: Cli) -> anyhow::Result<u8> {
    if let Command::Completions { shell } = cli.command {
        let mut out = io::stdout().lock();
        write_completions(shell, &mut out);
        return Ok(0);
    }
    let env = settings::process_env;
    let cwd = std::env::current_dir().context("reading the current folder")?;
    let path = settings::config_path(cli.config.as_deref(), &env, &cwd)?;
    let config = Config::load(&path)?;
    let stdout_printer = Printer {
        color: settings::color(cli.color, &env, io::stdout().is_terminal()),
        width: terminal_width(io::stdout().is_terminal()),
    };
    let stderr_color = settings::color(cli.color, &env, io::stderr().is_terminal());
    match &cli.command {
        Command::Check(args) => {
            print_warnings(&config, stderr_color);
            check(&config, args, &stdout_printer)
        }
        Command::List(args) => list(&config, args),
        Command::Validate => validate(&config, stderr_color),
        Command::Completions { .. } => unreachable!("handled before loading the config"),
    }
}

/// Writes the completion script for `shell`; also used to generate the
/// committed files under `completions/`.
pub fn write_completions(shell: clap_complete::Shell, out: &mut impl Write) {
    use clap::CommandFactory;
    clap_complete::generate(shell, &mut Cli::command(), "pqg", out);
}

fn terminal_width(is_terminal: bool) -> Option<u16> {
    if !is_terminal {
        return None;
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .or(Some(120))
}

fn check(config: &Config, args: &CheckArgs, printer: &Printer) -> anyhow::Result<u8> {
    let env = settings::process_env;
    let stage = settings::stage(config, args.stage.as_deref(), &env)?;
    let jobs = settings::jobs(config, args.jobs, &env)?;
    let filters = settings::filters(args, &env);
    let plan = plan::build(config, stage, &filters, args.fail_fast)?;
    let reports = args
        .report
        .iter()
        .map(|spec| settings::report_target(spec))
        .collect::<Result<Vec<_>, UserError>>()?;
    let cache_dir = settings::cache_dir(config, &env);
    let run_id = run_id();
    let opts = RunOptions {
        jobs,
        stage: config.ladder.name(stage).to_string(),
        run_id: run_id.clone(),
        logs_dir: args.keep_logs.then(|| cache_dir.join("logs").join(&run_id)),
        secrets: run::secrets_from_env(&config.settings.redact),
        default_timeout: config.settings.timeout,
        predicted: vec![None; plan.gates.len()],
        fail_fast: plan.fail_fast,
        handle_signals: true,
    };
    let show_progress =
        settings::progress(args.progress, args.quiet, &env, io::stderr().is_terminal());
    let mut progress = show_progress.then(|| Progress::new(plan.running().count()));
    let assess = |i: usize, e: &run::Execution| judge::assess(config, &plan, i, e);
    let result = run::execute(config, &plan, &opts, &assess, &mut |event| {
        if let Some(p) = progress.as_mut() {
            p.on_event(&event);
        }
    })?;
    if let Some(p) = progress {
        p.finish();
    }
    let verdict = judge::judge(config, &plan, &result);
    let report = report::build(config, &plan, &result, &verdict, &run_id);

    for (format, path) in &reports {
        write_report_file(&report, *format, path)?;
    }
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let written = match args.format {
        Format::Table => render_table(&report, printer, args.quiet, &mut out),
        Format::Json => render_json(&report, &mut out),
    };
    ignore_broken_pipe(written.and_then(|()| out.flush())).context("writing the report")?;
    Ok(verdict.exit_code())
}

fn write_report_file(
    report: &report::Report,
    format: Format,
    path: &PathBuf,
) -> anyhow::Result<()> {
    let mut buf = Vec::new();
    match format {
        Format::Json => render_json(report, &mut buf)?,
        Format::Table => render_table(
            report,
            &Printer {
                color: false,
                width: None,
            },
            false,
            &mut buf,
        )?,
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating `{}` for the report", parent.display()))?;
    }
    std::fs::write(path, buf).with_context(|| format!("writing the report to `{}`", path.display()))
}

fn ignore_broken_pipe(result: io::Result<()>) -> io::Result<()> {
    match result {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// A run id unique enough to name a log folder: seconds since the epoch and
/// the process id.
fn run_id() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!("{secs}-{}", std::process::id())
}

fn print_warnings(config: &Config, color: bool) {
    for warning in &config.warnings {
        eprint!("{}", render_warning(config, warning, color));
    }
}

fn render_warning(config: &Config, warning: &ConfigWarning, color: bool) -> String {
    let mut diag = UserError::new(warning.message.clone());
    if let Some(span) = &warning.span {
        diag = diag.at(&config.source, span.clone());
    }
    let mut text = String::new();
    let label = if color {
        "\x1b[33mwarning\x1b[0m"
    } else {
        "warning"
    };
    let _ = diag.render(&mut text, label);
    text
}

fn validate(config: &Config, color: bool) -> anyhow::Result<u8> {
    for warning in &config.warnings {
        eprint!("{}", render_warning(config, warning, color));
    }
    let stages: Vec<&str> = config.ladder.names().collect();
    println!(
        "{}: ok · {} gates · stages {} · {} warning{}",
        config.path.display(),
        config.gates.len(),
        stages.join(" → "),
        config.warnings.len(),
        if config.warnings.len() == 1 { "" } else { "s" }
    );
    Ok(0)
}

fn list(config: &Config, args: &ListArgs) -> anyhow::Result<u8> {
    let env = settings::process_env;
    let stage = settings::stage(config, args.stage.as_deref(), &env)?;
    let plan = plan::build(config, stage, &plan::Filters::default(), false)?;
    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_FULL_CONDENSED)
        .apply_modifier(comfy_table::modifiers::UTF8_ROUND_CORNERS)
        .set_header(["Gate", "At this stage", "Runs", "Thresholds", "Needs"]);
    for planned in &plan.gates {
        let gate = &config.gates[planned.index];
        let at = match &planned.activity {
            plan::Activity::Run(plan::Enforcement::Block) => "blocking".to_owned(),
            plan::Activity::Run(plan::Enforcement::Warn) => format!(
                "warning (blocks from {})",
                config.ladder.name(gate.enforce_from)
            ),
            plan::Activity::Skip(_) => {
                format!("not active (from {})", config.ladder.name(gate.from))
            }
        };
        let mut thresholds: Vec<String> = gate
            .metrics
            .iter()
            .map(|m| {
                let t = judge::threshold(m, stage);
                let unit = m.unit.as_deref();
                let bound = match (t.min, t.max) {
                    (Some(lo), Some(hi)) => {
                        format!("{}–{}", report::number(lo), report::with_unit(hi, unit))
                    }
                    (Some(lo), None) => format!("≥ {}", report::with_unit(lo, unit)),
                    (None, Some(hi)) => format!("≤ {}", report::with_unit(hi, unit)),
                    (None, None) => "measured only".to_owned(),
                };
                format!("{} {bound}", m.name)
            })
            .collect();
        if gate.exit_codes != [0] {
            let codes: Vec<String> = gate.exit_codes.iter().map(i32::to_string).collect();
            thresholds.insert(0, format!("exit {}", codes.join("|")));
        }
        let mut runs = gate.command.to_string();
        if let Some(t) = gate.timeout.or(config.settings.timeout) {
            runs.push_str(&format!("\n(timeout {})", report::human_duration(t)));
        }
        table.add_row(vec![
            gate.id.to_string(),
            at,
            runs,
            if thresholds.is_empty() {
                "exit 0".to_owned()
            } else {
                thresholds.join("\n")
            },
            gate.needs
                .iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        ]);
    }
    println!("{table}");
    let mut facts = vec![format!("stage {}", config.ladder.name(stage))];
    facts.push(match plan.min_score {
        Some(m) => format!("min score {}", report::number(m)),
        None => "no min score".to_owned(),
    });
    facts.push(format!(
        "fail-fast {}",
        if plan.fail_fast { "on" } else { "off" }
    ));
    println!("{}", facts.join(" · "));
    Ok(0)
}
