//! `pqg check`: run a stage's gates through the pipeline, write the
//! reports, and say whether the stage passed. `hook run` checks through
//! here too.

use super::{
    create_report_file, print_warnings, render, report_to_stdout, write_report_file, Context,
    Outcome,
};
use crate::cli::{CheckArgs, Format};
use crate::config::{Config, StageIdx};
use crate::diag::UserError;
use crate::files::snapshot::Snapshot;
use crate::git::changed::{self, Changed};
use crate::pipeline::{self, StageRequest};
use crate::report::{self, table::Printer};
use crate::{plan, settings};
use anyhow::Context as _;
use std::ffi::OsStr;
use std::io::{self, IsTerminal, Write};

/// `pqg check`.
pub(super) fn run(ctx: &Context, args: &CheckArgs) -> anyhow::Result<Outcome> {
    let config = ctx.config_or_default()?;
    print_warnings(config, ctx.stderr_color());
    check(ctx, config, args).map(|(outcome, snapshot)| {
        // Freed beside the exit, not before it.
        crate::files::drop_aside(snapshot);
        outcome
    })
}

/// Checks a stage as `args` asks, also giving back the snapshot of the
/// input files the run took, if it still holds (see
/// [`pipeline::StageRun::snapshot`]): the pre-push hook compares it with
/// git's index.
pub(super) fn check(
    ctx: &Context,
    config: &Config,
    args: &CheckArgs,
) -> anyhow::Result<(Outcome, Option<Snapshot>)> {
    super::hook_commit::warn_leftovers(ctx, config);
    let stage = ctx
        .config_settings()?
        .stage(config, args.stage.as_deref())?;
    let reports = args
        .report
        .iter()
        .map(|spec| settings::report_target(spec))
        .collect::<Result<Vec<_>, UserError>>()?;
    let request = request(ctx, config, stage, args)?;
    // Report files are created before the run: a path that cannot be
    // written fails now, not after the gates ran; jsonl files fill live.
    let mut files = Vec::new();
    for (format, path) in &reports {
        files.push((*format, create_report_file(path)?));
    }
    let mut live: Vec<(Box<dyn Write>, bool)> = Vec::new();
    if args.format == Format::Jsonl {
        live.push((Box::new(io::stdout()), ctx.settings().github_actions));
    }
    for (format, file) in &files {
        if *format == Format::Jsonl {
            live.push((
                Box::new(file.try_clone().context("opening a jsonl report")?),
                false,
            ));
        }
    }
    let ran = pipeline::run_stage(config, &request, &mut |event| {
        for (sink, guard) in &mut live {
            let line = event.to_string();
            let line = if *guard {
                report::workflow::guard_json(&line)
            } else {
                line.into()
            };
            let _ = writeln!(sink, "{line}");
            let _ = sink.flush();
        }
    })?;
    let plain = Printer {
        color: false,
        width: None,
        guard_workflow: false,
    };
    for ((format, path), (_, file)) in reports.iter().zip(files) {
        write_report_file(file, path, |out| {
            render(&ran.report, *format, &plain, false, out)
        })?;
    }
    let printer = ctx.stdout();
    report_to_stdout(|out| render(&ran.report, args.format, &printer, args.quiet, out))?;
    let settings = ctx.settings();
    if !settings.no_annotations(args.no_annotations) && settings.github_actions {
        github_actions(&ran.report, args.format, settings.step_summary.as_deref())?;
    }
    Ok((ran.verdict.ending(), ran.snapshot))
}

/// How to run `stage`, from the flags, the environment and the
/// config; `--changed-since` asks git here.
fn request(
    ctx: &Context,
    config: &Config,
    stage: StageIdx,
    args: &CheckArgs,
) -> anyhow::Result<StageRequest> {
    let names = ctx.settings().gate_names(args);
    let mut filters = crate::plan::Filters {
        only: names.only,
        skip: names.skip,
        env_skip: names.env_skip,
        changed: None,
        redefined: Vec::new(),
        blind: plan::BlindSpots::default(),
        shard: None,
    };
    if let Some(reference) = &args.changed_since {
        match changed::changed_since(&config.root, reference)? {
            Changed::Files { files, base, blind } => {
                crate::debug!("--changed-since {reference}: {} files changed", files.len());
                filters.changed = Some(files);
                filters.blind = plan::BlindSpots {
                    submodules: blind.submodules,
                    ignored: blind.ignored,
                    links: blind.links,
                    flagged: blind.flagged,
                };
                filters.redefined = redefined_since(config, reference, &base);
            }
            Changed::Everything(why) => eprintln!("pqg: {why}"),
        }
    }
    if let Some(spec) = &args.shard {
        let (index, count) = settings::shard(spec)?;
        filters.shard = Some(plan::Shard {
            index,
            count,
            weights: Vec::new(),
        });
    }
    let resolved = ctx.config_settings()?;
    let stderr_is_terminal = io::stderr().is_terminal();
    Ok(StageRequest {
        stage,
        jobs: resolved.jobs(args.jobs)?,
        cache_dir: resolved.cache_dir.clone(),
        filters,
        fail_fast: args.fail_fast,
        no_cache: args.no_cache,
        keep_logs: args.keep_logs,
        progress: (ctx.settings()).progress(args.progress, args.quiet, stderr_is_terminal),
        keep_going: false,
        forbid_writes: args.forbid_writes,
        new_code_since: resolved.new_code_since(args.new_code_since.as_deref()),
    })
}

/// `--changed-since`: the gates whose definition changed since the merge
/// base `base` of REF and HEAD, or that are new: the config file there is
/// compared with the one loaded (see [`plan::redefined`]). Without a
/// gates.toml now (the default profile) and none there, nothing changed.
fn redefined_since(config: &Config, reference: &str, base: &str) -> Vec<String> {
    let before = match config.path.file_name().and_then(OsStr::to_str) {
        None => Err("the config's file name is not UTF-8".to_owned()),
        Some(name) => crate::git::file_at(&config.root, base, name).and_then(|found| {
            found
                .map(|bytes| {
                    String::from_utf8(bytes).map_err(|_| "the config there is not UTF-8".to_owned())
                })
                .transpose()
        }),
    };
    let text = &config.source.text;
    let found = match before {
        Ok(None) if !config.path.is_file() => plan::redefined(text, Some(text)),
        Ok(before) => plan::redefined(text, before.as_deref()),
        Err(why) => plan::Redefined::Every(why),
    };
    match found {
        plan::Redefined::Gates(gates) => {
            crate::debug!(
                "--changed-since {reference}: {} gates defined anew: {}",
                gates.len(),
                gates.join(", ")
            );
            gates
        }
        plan::Redefined::Every(why) => {
            eprintln!("pqg: --changed-since {reference}: {why}: every gate runs");
            config.gates.iter().map(|g| g.id.to_string()).collect()
        }
    }
}

/// Under GitHub Actions: workflow annotations after the table on stdout
/// (unless stdout is already that format), and the Markdown summary
/// appended to the step summary file (`step_summary`). Beside a machine
/// format on stdout (`--format json > report.json`) the annotations go to
/// stderr, which the runner reads for commands too: they must not turn
/// the report into something its reader cannot parse.
fn github_actions(
    report: &report::Report,
    format: Format,
    step_summary: Option<&OsStr>,
) -> anyhow::Result<()> {
    match format {
        Format::Github => {}
        Format::Table => {
            report_to_stdout(|out| report::formats::render_github(report, out))?;
        }
        _ => {
            let mut err = io::stderr().lock();
            // Like any other message on stderr: one that cannot be
            // written is dropped.
            let _ = report::formats::render_github(report, &mut err).and_then(|()| err.flush());
        }
    }
    if let Some(path) = step_summary {
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)
            .with_context(|| {
                format!(
                    "appending to $GITHUB_STEP_SUMMARY ({})",
                    path.to_string_lossy()
                )
            })?;
        report::formats::render_markdown(report, &mut file)?;
    }
    Ok(())
}
