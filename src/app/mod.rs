//! The commands, wired from config to exit code.
//!
//! Each command follows the one direction of data: config → plan → run →
//! judge → report. This module chooses which pieces run and where their
//! output goes; the exit code itself is chosen in `main`.

mod changed;
mod hook;
mod init;
mod inspect;
mod ladder;

use crate::cache::{self, history, inputs, Cache, CacheMode};
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
    if let Command::Merge(args) = &cli.command {
        return merge(args, &cli);
    }
    if let Command::Schema = cli.command {
        let mut out = io::stdout().lock();
        serde_json::to_writer_pretty(&mut out, &crate::schema::schema())?;
        writeln!(out)?;
        return Ok(0);
    }
    if let Command::Man = cli.command {
        use clap::CommandFactory;
        let mut out = io::stdout().lock();
        ignore_broken_pipe(clap_mangen::Man::new(Cli::command()).render(&mut out))?;
        return Ok(0);
    }
    let env = settings::process_env;
    let cwd = std::env::current_dir().context("reading the current folder")?;
    if let Command::Init { force } = cli.command {
        let path = cli
            .config
            .clone()
            .unwrap_or_else(|| cwd.join(crate::config::CONFIG_FILE));
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| cwd.clone(), std::path::Path::to_path_buf);
        return init::init(&dir, &path, force);
    }
    if let Command::Hook(
        command @ (crate::cli::HookCommand::Install { .. }
        | crate::cli::HookCommand::Uninstall { .. }),
    ) = &cli.command
    {
        let path = settings::config_location(cli.config.as_deref(), &env, &cwd)?;
        let config = path.as_deref().map(Config::load).transpose()?;
        let stage = match &config {
            Some(c) => {
                if let crate::cli::HookCommand::Install { stage: Some(s), .. } = command {
                    c.stage(s)?;
                }
                let default = c
                    .settings
                    .default_stage
                    .map(|s| c.ladder.name(s).to_string())
                    .or_else(|| {
                        c.ladder
                            .find("development")
                            .map(|_| "development".to_owned())
                    })
                    .unwrap_or_else(|| c.ladder.name(c.ladder.lowest()).to_string());
                default
            }
            None => {
                if let crate::cli::HookCommand::Install { stage: Some(s), .. } = command {
                    if !crate::config::StageName::is_valid(s) {
                        return Err(UserError::new(format!("invalid stage name `{s}`"))
                            .hint("stage names use lowercase letters, digits and `-`")
                            .into());
                    }
                }
                "development".to_owned()
            }
        };
        return hook::hook(&cwd, path.as_deref(), &stage, command);
    }
    let config = match settings::config_location(cli.config.as_deref(), &env, &cwd)? {
        Some(path) => Config::load(&path)?,
        None if cli.command.runs_without_config() => default_profile(&cwd)?,
        None => {
            settings::config_path(cli.config.as_deref(), &env, &cwd)?;
            unreachable!("config_path fails when config_location finds nothing")
        }
    };
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
        Command::Explain(args) => inspect::explain(&config, args),
        Command::History(args) => inspect::history(&config, args),
        Command::Stats => inspect::stats(&config),
        Command::Cache(command) => inspect::cache(&config, command),
        Command::Ladder(args) => ladder::ladder(&config, args, &stdout_printer),
        Command::Hook(crate::cli::HookCommand::Run {
            hook,
            stage,
            changed_only,
        }) => {
            print_warnings(&config, stderr_color);
            hook_run(
                &config,
                *hook,
                stage.as_deref(),
                *changed_only,
                &stdout_printer,
            )
        }
        Command::Baseline(command) => ladder::baseline(&config, command),
        Command::Completions { .. }
        | Command::Init { .. }
        | Command::Hook(crate::cli::HookCommand::Install { .. })
        | Command::Hook(crate::cli::HookCommand::Uninstall { .. })
        | Command::Schema
        | Command::Merge(_)
        | Command::Man => {
            unreachable!("handled before loading the config")
        }
    }
}

/// The built-in default profile (DESIGN §9), rooted at the top of the git
/// work tree around `cwd` (or `cwd` itself outside git), announced in one
/// line on stderr.
fn default_profile(cwd: &std::path::Path) -> anyhow::Result<Config> {
    let root = inputs::work_tree_top(cwd).unwrap_or_else(|| cwd.to_path_buf());
    let config = Config::parse(
        &root.join(crate::config::CONFIG_FILE),
        crate::builtin::DEFAULT_PROFILE,
    )
    .map_err(|e| anyhow::anyhow!("internal: the default profile does not load: {e}"))?;
    let names: Vec<&str> = config.gates.iter().map(|g| g.id.as_str()).collect();
    eprintln!(
        "pqg: no gates.toml found; running the built-in default profile ({}) · `pqg init` writes a gates.toml of your own",
        names.join(", ")
    );
    Ok(config)
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
    checked(config, args, printer).map(|(code, _)| code)
}

/// `pqg check`, also giving back the snapshot of the input files the run
/// took, if it still holds (see [`StageRun::snapshot`]): the pre-push hook
/// compares it with git's index.
fn checked(
    config: &Config,
    args: &CheckArgs,
    printer: &Printer,
) -> anyhow::Result<(u8, Option<cache::inputs::Snapshot>)> {
    let env = settings::process_env;
    let stage = settings::stage(config, args.stage.as_deref(), &env)?;
    let reports = args
        .report
        .iter()
        .map(|spec| settings::report_target(spec))
        .collect::<Result<Vec<_>, UserError>>()?;
    let mut filters = settings::filters(args, &env);
    if let Some(reference) = &args.changed_since {
        match changed::changed_since(&config.root, reference)? {
            changed::Changed::Files(files) => {
                crate::debug!("--changed-since {reference}: {} files changed", files.len());
                filters.changed = Some(files);
            }
            changed::Changed::Everything(why) => eprintln!("pqg: {why}"),
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
    let request = StageRequest {
        stage,
        jobs: settings::jobs(config, args.jobs, &env)?,
        filters,
        fail_fast: args.fail_fast,
        no_cache: args.no_cache,
        keep_logs: args.keep_logs,
        progress: settings::progress(args.progress, args.quiet, &env, io::stderr().is_terminal()),
        keep_going: false,
    };
    // Report files are created before the run: a path that cannot be
    // written fails now, not after the gates ran; jsonl files fill live.
    let mut files = Vec::new();
    for (format, path) in &reports {
        files.push((*format, create_report_file(path)?));
    }
    let mut live: Vec<Box<dyn Write>> = Vec::new();
    if args.format == Format::Jsonl {
        live.push(Box::new(io::stdout()));
    }
    for (format, file) in &files {
        if *format == Format::Jsonl {
            live.push(Box::new(
                file.try_clone().context("opening a jsonl report")?,
            ));
        }
    }
    let ran = run_stage(config, &request, &mut |event| {
        for sink in live.iter_mut() {
            let _ = writeln!(sink, "{event}");
            let _ = sink.flush();
        }
    })?;
    let plain = Printer {
        color: false,
        width: None,
    };
    for ((format, path), (_, file)) in reports.iter().zip(files) {
        let mut out = io::BufWriter::new(file);
        render(&ran.report, *format, &plain, false, &mut out)
            .and_then(|()| out.flush())
            .with_context(|| format!("writing the report to `{}`", path.display()))?;
    }
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let written = render(&ran.report, args.format, printer, args.quiet, &mut out);
    ignore_broken_pipe(written.and_then(|()| out.flush())).context("writing the report")?;
    drop(out);
    if !args.no_annotations && env("GITHUB_ACTIONS").as_deref() == Some("true") {
        github_actions(&ran.report, args.format)?;
    }
    Ok((ran.verdict.exit_code(), ran.snapshot))
}

/// What an installed hook runs: git's refs read (pre-push), a note on
/// uncommitted changes found beside the check, then `pqg check`.
fn hook_run(
    config: &Config,
    kind: crate::cli::HookKind,
    stage: Option<&str>,
    changed_only: bool,
    printer: &Printer,
) -> anyhow::Result<u8> {
    use crate::cli::HookKind;
    use clap::Parser;
    let mut argv: Vec<String> = vec!["pqg".into(), "check".into()];
    if let Some(s) = stage {
        argv.extend(["--stage".into(), s.to_owned()]);
    }
    let mut note = None;
    if kind == HookKind::PrePush {
        let pushed = if io::stdin().is_terminal() {
            hook::Pushed {
                pushing: true,
                since: None,
            }
        } else {
            let mut text = String::new();
            let _ = io::Read::read_to_string(&mut io::stdin(), &mut text);
            hook::parse_pushed(&text)
        };
        if !pushed.pushing {
            return Ok(0);
        }
        if let Some(since) = pushed
            .since
            .filter(|s| changed_only && hook::has_commit(&config.root, s))
        {
            argv.extend(["--changed-since".into(), since]);
        }
        let root = config.root.clone();
        note = Some(std::thread::spawn(move || hook::uncommitted_early(&root)));
    }
    let (verb, flag) = match kind {
        HookKind::PrePush => ("push", "git push --no-verify"),
        HookKind::PreCommit => ("commit", "git commit --no-verify"),
    };
    let shown = stage.map_or_else(
        || {
            let env = settings::process_env;
            settings::stage(config, None, &env)
                .map(|s| config.ladder.name(s).to_string())
                .unwrap_or_default()
        },
        str::to_owned,
    );
    eprintln!("pqg: checking stage {shown} before the {verb} (skip once: {flag})");
    let Command::Check(args) = Cli::try_parse_from(&argv)
        .map_err(|e| anyhow::anyhow!("internal: the hook's check does not parse: {e}"))?
        .command
    else {
        anyhow::bail!("internal: the hook's command is not check");
    };
    let ran = checked(config, &args, printer);
    // Joined even when the check failed: its git child must not outlive pqg.
    let early = note.map(|n| n.join());
    let (code, snapshot) = ran?;
    let dirty = early.map(|early| match early {
        Ok(early) => hook::uncommitted_after(early, snapshot.as_ref(), &config.root),
        Err(_) => hook::uncommitted(&config.root, false),
    });
    if dirty.is_some_and(|d| d.is_none()) {
        eprintln!("pqg: git could not say whether the work tree has uncommitted changes");
    }
    if dirty == Some(Some(true)) {
        eprintln!(
            "pqg: the work tree has uncommitted changes; what was checked is the work tree, not only what is pushed"
        );
    }
    Ok(code)
}

/// `pqg merge`: shard reports into one verdict. Needs no config: the
/// reports carry everything.
fn merge(args: &crate::cli::MergeArgs, cli: &Cli) -> anyhow::Result<u8> {
    let env = settings::process_env;
    let mut files = Vec::new();
    let mut reports = Vec::new();
    for path in &args.reports {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| UserError::new(format!("cannot read `{name}`: {e}")))?;
        reports.push(report::merge::parse(&name, &text).map_err(|e| {
            UserError::new(e.to_string())
                .hint("merge the JSON reports of `pqg check --shard K/N --report json=PATH`")
        })?);
        files.push(name);
    }
    let merged = report::merge::merge(&files, reports, args.stage.as_deref()).map_err(|e| {
        let hint = match e {
            report::merge::MergeError::Missing(_) | report::merge::MergeError::Twice { .. } => {
                "every shard must deal from the same history: restore the same cache folder in each, or run the shards without one"
            }
            _ => "merge the reports of one run of one config at one stage",
        };
        UserError::new(e.to_string()).hint(hint)
    })?;
    let targets = args
        .report
        .iter()
        .map(|spec| settings::report_target(spec))
        .collect::<Result<Vec<_>, UserError>>()?;
    let plain = Printer {
        color: false,
        width: None,
    };
    for (format, path) in &targets {
        let mut out = io::BufWriter::new(create_report_file(path)?);
        render(&merged, *format, &plain, false, &mut out)
            .and_then(|()| out.flush())
            .with_context(|| format!("writing the report to `{}`", path.display()))?;
    }
    let printer = Printer {
        color: settings::color(cli.color, &env, io::stdout().is_terminal()),
        width: terminal_width(io::stdout().is_terminal()),
    };
    let mut out = io::stdout().lock();
    ignore_broken_pipe(
        render(&merged, args.format, &printer, false, &mut out).and_then(|()| out.flush()),
    )?;
    Ok(merged.exit_code)
}

/// Under GitHub Actions: workflow annotations on stdout (unless stdout is
/// already that format), and the Markdown summary appended to the step
/// summary file.
fn github_actions(report: &report::Report, format: Format) -> anyhow::Result<()> {
    if format != Format::Github {
        let mut out = io::stdout().lock();
        ignore_broken_pipe(
            report::formats::render_github(report, &mut out).and_then(|()| out.flush()),
        )?;
    }
    if let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(&path)
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

/// What to run: a stage, and how.
pub(crate) struct StageRequest {
    pub stage: crate::config::StageIdx,
    pub jobs: usize,
    pub filters: plan::Filters,
    pub fail_fast: bool,
    pub no_cache: bool,
    pub keep_logs: bool,
    pub progress: bool,
    /// Never stop early, whatever `fail_fast` says: every gate's result is
    /// wanted (the ladder, baselines).
    pub keep_going: bool,
}

/// What running a stage produced.
pub(crate) struct StageRun {
    pub result: run::RunResult,
    pub verdict: judge::Verdict,
    pub report: report::Report,
    pub baseline: crate::baseline::BaselineState,
    /// The input files as the run saw them, when it took a snapshot and it
    /// still holds: no gate ran, or the look at the tree after the run
    /// (made to decide what to store) found no file changed. A gate may
    /// rewrite files: a formatter, a lock file.
    pub snapshot: Option<cache::inputs::Snapshot>,
}

/// Runs a stage: plan, cache, run, store, judge, report, history. Prints
/// nothing but warnings.
pub(crate) fn run_stage(
    config: &Config,
    request: &StageRequest,
    live: &mut dyn FnMut(serde_json::Value),
) -> anyhow::Result<StageRun> {
    let env = settings::process_env;
    let stage = request.stage;
    let cache_dir = settings::cache_dir(config, &env);
    let run_id = run_id();
    let started_ns = inputs::now_ns();
    let baseline = crate::baseline::load(&config.root);
    let mode = if request.no_cache {
        CacheMode::Off
    } else {
        CacheMode::On
    };
    let mut cache = Cache::open(&cache_dir, mode);
    crate::debug!("cache opened: {}", cache.is_available());
    let predicted_by_name = history::predicted(&mut cache);
    crate::debug!("history: {} predictions", predicted_by_name.len());
    let mut filters = request.filters.clone();
    if let Some(shard) = filters.shard.as_mut() {
        // Balanced by history: every shard must see the same history (the
        // same restored cache folder) to deal the same shares.
        shard.weights = config
            .gates
            .iter()
            .map(|g| {
                predicted_by_name
                    .get(g.id.as_str())
                    .map(|d| d.as_secs_f64())
            })
            .collect();
    }
    let mut plan = plan::build(config, stage, &filters, request.fail_fast)?;
    if request.keep_going {
        plan.fail_fast = false;
    }
    crate::debug!(
        "config loaded; stage {}, {} gates run",
        config.ladder.name(stage),
        plan.running().count()
    );
    let wanted: Vec<usize> = if cache.reads() {
        (0..plan.gates.len())
            .filter(|&i| cache::cacheable(config, &plan, i))
            .collect()
    } else {
        Vec::new()
    };
    let prepared = cache::prepare(config, &wanted, &mut cache, &key_command, &cache_dir);
    let (cached, twins) = reuse_plan(config, &prepared, &wanted, &mut cache, started_ns);
    if crate::log::enabled_at(crate::log::Level::Info) {
        log_decisions(config, &plan, &prepared, &cached, &twins, &cache);
    }
    crate::debug!(
        "cache: {} hits, {} twins",
        cached.iter().flatten().count(),
        twins.iter().flatten().count()
    );
    let predicted = plan
        .gates
        .iter()
        .map(|g| predicted_by_name.get(g.id.as_str()).copied())
        .collect();

    // --changed-since: each gate gets its share of the changed files, and
    // builtins check only those; such runs are not stored, since a gate may
    // have looked at the list instead of every input (reading stays safe: a
    // stored result came from a full run of the same inputs).
    let lists = request
        .filters
        .changed
        .as_ref()
        .and_then(|_| lists_dir(&cache_dir, &run_id));
    let changed_lists = match &request.filters.changed {
        Some(changed) => write_changed_lists(config, &plan, changed, lists.as_ref()),
        None => vec![None; plan.gates.len()],
    };
    let mut builtin_files = builtin_files(config, &prepared, &cached);
    if let Some(changed) = &request.filters.changed {
        for (i, gate) in config.gates.iter().enumerate() {
            if let crate::config::Command::Builtin(_) = gate.command {
                let filter = inputs::InputFilter::new(gate.inputs.as_deref()).ok();
                builtin_files[i] = Some(std::sync::Arc::new(
                    changed
                        .iter()
                        .filter(|p| filter.as_ref().is_some_and(|f| f.matches(p)))
                        .cloned()
                        .collect(),
                ));
            }
        }
    }
    let opts = RunOptions {
        jobs: request.jobs,
        stage: config.ladder.name(stage).to_string(),
        run_id: run_id.clone(),
        logs_dir: request
            .keep_logs
            .then(|| cache_dir.join("logs").join(&run_id)),
        secrets: run::secrets_from_env(&config.settings.redact),
        default_timeout: config.settings.timeout,
        gates: gate_jobs(predicted, cached, twins, builtin_files, changed_lists),
        fail_fast: plan.fail_fast,
        handle_signals: true,
        cache_dir: cache_dir.clone(),
    };
    let mut progress = request
        .progress
        .then(|| Progress::new(plan.running().count()));
    let assess = |i: usize, e: &run::Execution| judge::assess(config, &plan, i, e, &baseline);
    let clock = std::time::Instant::now();
    let result = run::execute(config, &plan, &opts, &assess, &mut |event| {
        if let Some(p) = progress.as_mut() {
            p.on_event(&event);
        }
        live(live_event(config, &plan, &opts, &baseline, &event, clock));
    })?;
    if let Some(p) = progress {
        p.finish();
    }
    crate::debug!("run finished");
    let mut changes = None;
    if result.interrupted.is_none() && request.filters.changed.is_none() {
        changes = store_results(config, &prepared, &result, &mut cache, &cache_dir);
        crate::debug!("results stored");
    }
    drop(lists);
    let verdict = judge::judge(config, &plan, &result, &baseline);
    crate::debug!("judged");
    let fresh: Vec<&str> = plan
        .gates
        .iter()
        .enumerate()
        .filter(|(i, _)| result.executions[*i].is_some() && !result.reused[*i])
        .map(|(_, g)| g.id.as_str())
        .collect();
    let recent = history::recent(&mut cache, &fresh);
    crate::debug!("history: {} gates' recent results read", recent.len());
    let report = report::build(config, &plan, &result, &verdict, &run_id, &recent);
    crate::debug!("report built");
    let (commit, branch) = crate::git::head(&config.root);
    crate::debug!("git head read");
    history::record(
        &mut cache,
        &history_record(&report, started_ns, commit, branch),
        config.settings.history,
    );
    crate::debug!("history recorded");
    for warning in cache.take_warnings() {
        eprintln!("warning: {warning}");
    }
    Ok(StageRun {
        result,
        verdict,
        report,
        baseline,
        snapshot: prepared.snapshot.filter(|_| match changes {
            _ if fresh.is_empty() => true,
            Some(c) if c.changed.is_empty() => true,
            Some(_) => {
                crate::debug!("files changed while the gates ran: the snapshot no longer holds");
                false
            }
            None => {
                crate::debug!(
                    "gates ran and nothing was stored: the snapshot is not known to hold"
                );
                false
            }
        }),
    })
}

/// `-v`: what the plan and the cache decided for each gate, and why.
fn log_decisions(
    config: &Config,
    plan: &plan::Plan,
    prepared: &cache::Prepared,
    cached: &[Option<run::Execution>],
    twins: &[Option<usize>],
    cache: &Cache,
) {
    crate::info!(
        "plan: stage {}, {} of {} gates run{}",
        config.ladder.name(plan.stage),
        plan.running().count(),
        plan.gates.len(),
        if plan.fail_fast { ", fail-fast" } else { "" }
    );
    for (i, p) in plan.gates.iter().enumerate() {
        let gate = &config.gates[p.index];
        let decision = match &p.activity {
            plan::Activity::Skip(reason) => {
                format!("skipped ({})", reason.describe(&config.ladder))
            }
            plan::Activity::Run(enforcement) => {
                let cache_part = if !gate.cache {
                    "cache off for this gate".to_owned()
                } else if !cache.reads() {
                    "cache off (--no-cache or unavailable)".to_owned()
                } else if cached[i].is_some() {
                    let key = prepared.keys[i]
                        .as_ref()
                        .map_or(String::new(), |k| k.key.hex()[..12].to_owned());
                    format!("cache hit ({key})")
                } else if let Some(j) = twins[i] {
                    format!("same key as `{}`: runs once", config.gates[j].id)
                } else if let Some(why) = &prepared.no_key[i] {
                    format!("not cacheable: {why}")
                } else if let Some(k) = &prepared.keys[i] {
                    format!(
                        "cache miss: nothing stored for key {} ({} inputs); `pqg explain {}` says what changed",
                        &k.key.hex()[..12],
                        k.parts.input_count,
                        gate.id
                    )
                } else {
                    "cache miss".to_owned()
                };
                let enforcement = match enforcement {
                    plan::Enforcement::Block => "blocking",
                    plan::Enforcement::Warn => "warning only",
                };
                format!("runs ({enforcement}); {cache_part}")
            }
        };
        crate::info!("gate {}: {decision}", gate.id);
    }
}

/// The folder of a run's `PQG_FILES` lists, removed when dropped (after
/// the run, on every path out of it).
struct ListsDir(PathBuf);

impl Drop for ListsDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh private folder for the lists: under the cache folder, else a
/// new one made by mkdtemp (never an existing, guessable path in /tmp).
fn lists_dir(cache_dir: &std::path::Path, run_id: &str) -> Option<ListsDir> {
    let dir = inputs::absolute(&cache_dir.join("files").join(run_id));
    if std::fs::create_dir_all(dir.parent()?).is_ok() && std::fs::create_dir(&dir).is_ok() {
        return Some(ListsDir(dir));
    }
    let template = std::env::temp_dir().join("pqg-files-XXXXXX");
    let mut bytes = std::ffi::CString::new(template.to_str()?)
        .ok()?
        .into_bytes_with_nul();
    // SAFETY: `bytes` is a writable NUL-terminated template; mkdtemp fills
    // in the Xs and creates the folder with mode 0700.
    let made = unsafe { libc::mkdtemp(bytes.as_mut_ptr().cast()) };
    if made.is_null() {
        return None;
    }
    bytes.pop();
    Some(ListsDir(PathBuf::from(String::from_utf8(bytes).ok()?)))
}

/// Writes, for each gate that runs, the changed files among its inputs that
/// still exist (a deleted file decides which gates run, but is no file to
/// hand a tool) as a NUL-separated list, and returns the paths (for
/// `PQG_FILES`).
fn write_changed_lists(
    config: &Config,
    plan: &plan::Plan,
    changed: &[String],
    dir: Option<&ListsDir>,
) -> Vec<Option<PathBuf>> {
    let Some(dir) = dir else {
        return vec![None; plan.gates.len()];
    };
    let existing: Vec<&String> = changed
        .iter()
        .filter(|f| std::fs::symlink_metadata(config.root.join(f)).is_ok())
        .collect();
    plan.gates
        .iter()
        .map(|p| {
            if !p.runs() {
                return None;
            }
            let gate = &config.gates[p.index];
            let filter = inputs::InputFilter::new(gate.inputs.as_deref()).ok()?;
            let mut list = Vec::new();
            for f in existing.iter().filter(|f| filter.matches(f)) {
                list.extend_from_slice(f.as_bytes());
                list.push(0);
            }
            let path = dir.0.join(format!("{}.files", gate.id));
            std::fs::write(&path, list).ok()?;
            Some(path)
        })
        .collect()
}

/// Per plan gate, what the runner is told of it beforehand.
fn gate_jobs(
    predicted: Vec<Option<std::time::Duration>>,
    cached: Vec<Option<run::Execution>>,
    twins: Vec<Option<usize>>,
    builtin_files: Vec<Option<std::sync::Arc<Vec<String>>>>,
    files_lists: Vec<Option<std::path::PathBuf>>,
) -> Vec<run::GateJob> {
    let reuse = cached
        .into_iter()
        .zip(twins)
        .map(|(cached, twin)| match (cached, twin) {
            (Some(execution), _) => run::Reuse::Cached(execution),
            (None, Some(j)) => run::Reuse::SameKeyAs(plan::GateIdx(j)),
            (None, None) => run::Reuse::Nothing,
        });
    predicted
        .into_iter()
        .zip(reuse)
        .zip(builtin_files.into_iter().zip(files_lists))
        .map(
            |((predicted, reuse), (builtin_files, files_list))| run::GateJob {
                predicted,
                reuse,
                builtin_files,
                files_list,
            },
        )
        .collect()
}

/// A run event as one JSON object, for `--format jsonl`.
fn live_event(
    config: &Config,
    plan: &plan::Plan,
    opts: &RunOptions,
    baseline: &crate::baseline::BaselineState,
    event: &run::RunEvent<'_>,
    clock: std::time::Instant,
) -> serde_json::Value {
    use serde_json::json;
    let time_ms = clock.elapsed().as_millis() as u64;
    match event {
        run::RunEvent::Started { gate, id } => json!({
            "event": "start", "gate": id.as_str(), "time_ms": time_ms,
            "cached": opts.gates[*gate].is_cached(),
        }),
        run::RunEvent::Retrying { id, attempt, .. } => json!({
            "event": "retry", "gate": id.as_str(), "attempt": attempt, "time_ms": time_ms,
        }),
        run::RunEvent::Finished {
            gate,
            id,
            execution,
        } => {
            let status = plan.gates[*gate].enforcement().map(|enforcement| {
                judge::judge_execution(
                    &config.gates[plan.gates[*gate].index],
                    plan.stage,
                    enforcement,
                    execution,
                    baseline,
                )
                .status
            });
            json!({
                "event": "finish", "gate": id.as_str(), "time_ms": time_ms,
                "status": status.map(|s| s.as_str()),
                "cached": opts.gates[*gate].is_cached(),
                "duration_ms": execution.duration.as_millis() as u64,
                "exit_code": match execution.end { run::ExecEnd::Exited(c) => Some(c), _ => None },
            })
        }
        run::RunEvent::Stopping { reason } => json!({
            "event": "stopping", "time_ms": time_ms,
            "reason": match reason {
                run::StopReason::FailFast => "fail-fast".to_owned(),
                run::StopReason::Signal(s) => format!("signal {s}"),
            },
        }),
    }
}

/// The input files the cache listed for each builtin gate, so that a
/// builtin does not list the tree again.
fn builtin_files(
    config: &Config,
    prepared: &cache::Prepared,
    cached: &[Option<run::Execution>],
) -> Vec<Option<std::sync::Arc<Vec<String>>>> {
    config
        .gates
        .iter()
        .zip(&prepared.keys)
        .zip(cached)
        .map(|((gate, key), cached)| {
            // A cached result needs no file list: on a warm run, that is
            // every builtin, and 20,000 paths copied for nothing each.
            let key = key.as_ref().filter(|_| cached.is_none())?;
            matches!(gate.command, crate::config::Command::Builtin(_))
                .then(|| std::sync::Arc::new(key.files.iter().map(|f| f.path.clone()).collect()))
        })
        .collect()
}

/// How long a `key_commands` entry may take.
const KEY_COMMAND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

fn key_command(
    command: &crate::config::Command,
    dir: &std::path::Path,
) -> cache::key::KeyCommandOutput {
    let (exit_code, output) = run::capture_command(command, dir, KEY_COMMAND_TIMEOUT);
    cache::key::KeyCommandOutput {
        command: cache::key::command_text(command),
        exit_code,
        output,
    }
}

/// Cached results per gate, and which gates share a key with an earlier one
/// (those run once: DESIGN §6).
fn reuse_plan(
    config: &Config,
    prepared: &cache::Prepared,
    wanted: &[usize],
    cache: &mut Cache,
    now_ns: i64,
) -> (Vec<Option<run::Execution>>, Vec<Option<usize>>) {
    let n = config.gates.len();
    let mut cached = vec![None; n];
    let mut twins = vec![None; n];
    let mut first_with_key: std::collections::HashMap<cache::key::CacheKey, usize> =
        std::collections::HashMap::new();
    for &i in wanted {
        let Some(key) = &prepared.keys[i] else {
            continue;
        };
        let gate = &config.gates[i];
        if let Some(entry) = cache.lookup(&key.key, gate.cache_ttl, now_ns) {
            cached[i] = Some(run::Execution::from_stored(&entry.result));
            continue;
        }
        match first_with_key.get(&key.key) {
            Some(&j) => twins[i] = Some(j),
            None => {
                first_with_key.insert(key.key, i);
            }
        }
    }
    (cached, twins)
}

/// Stores the results worth keeping: those that ran (not reused), ended in
/// an exit, passed or `cache_failures` is set, and whose inputs did not
/// change while they ran (DESIGN §5).
fn store_results(
    config: &Config,
    prepared: &cache::Prepared,
    result: &run::RunResult,
    cache: &mut Cache,
    cache_dir: &std::path::Path,
) -> Option<cache::Changes> {
    let mut candidates = Vec::new();
    for (i, execution) in result.executions.iter().enumerate() {
        let (Some(execution), Some(key)) = (execution, &prepared.keys[i]) else {
            continue;
        };
        if result.reused[i] {
            continue;
        }
        let gate = &config.gates[i];
        let Some(stored) = execution.to_stored() else {
            continue;
        };
        let clean = matches!(execution.end, run::ExecEnd::Exited(code) if gate.exit_codes.contains(&code))
            && execution.metrics.iter().all(Result::is_ok);
        if clean || gate.cache_failures {
            candidates.push((i, key, stored));
        }
    }
    if candidates.is_empty() {
        return None;
    }
    // Inputs are checked again now that the gates have finished: a file
    // edited, removed or added while a gate ran means its result describes
    // no state of the tree, so it is not stored.
    let changes = cache::changes_since(prepared, cache_dir)?;
    let now = inputs::now_ns();
    let items: Vec<cache::StoreItem<'_>> = candidates
        .into_iter()
        .filter(|(_, key, _)| !cache::inputs_changed(key, &changes))
        .map(|(i, key, stored)| cache::StoreItem {
            key: key.key,
            gate: config.gates[i].id.as_str(),
            parts: &key.parts,
            files: &key.files,
            result: stored,
        })
        .collect();
    cache.store(&items, now);
    Some(changes)
}

fn history_record(
    report: &report::Report,
    started_ns: i64,
    commit: Option<String>,
    branch: Option<String>,
) -> history::RunRecord {
    history::RunRecord {
        run_id: report.run_id.clone(),
        time_ns: started_ns,
        stage: report.stage.clone(),
        outcome: format!("{:?}", report.outcome).to_lowercase(),
        score: report.score,
        min_score: report.min_score,
        commit,
        branch,
        host: history::host_name(),
        pqg_version: report.pqg_version.clone(),
        duration_ms: report.duration_ms,
        gates: report
            .gates
            .iter()
            .map(|g| history::GateRecord {
                gate: g.name.clone(),
                status: g.status.as_str().to_owned(),
                cached: g.cached,
                flaky: g.flaky,
                attempts: g.attempts,
                duration_ms: g.duration_ms,
                metrics: g
                    .metrics
                    .iter()
                    .map(|m| (m.name.clone(), m.value))
                    .collect(),
            })
            .collect(),
    }
}

/// Renders `report` in `format`. For `jsonl` this is the last line only:
/// the events before it are written live during the run.
fn render(
    report: &report::Report,
    format: Format,
    printer: &Printer,
    quiet: bool,
    out: &mut impl Write,
) -> io::Result<()> {
    use report::formats;
    match format {
        Format::Table => render_table(report, printer, quiet, out),
        Format::Json => render_json(report, out),
        Format::Jsonl => {
            serde_json::to_writer(
                &mut *out,
                &serde_json::json!({"event": "report", "report": report}),
            )?;
            writeln!(out)
        }
        Format::Sarif => report::sarif::render(report, out),
        Format::Junit => formats::render_junit(report, out),
        Format::Markdown => formats::render_markdown(report, out),
        Format::Github => formats::render_github(report, out),
        Format::Prometheus => formats::render_prometheus(report, out),
    }
}

fn create_report_file(path: &PathBuf) -> anyhow::Result<std::fs::File> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating `{}` for the report", parent.display()))?;
    }
    std::fs::File::create(path)
        .with_context(|| format!("writing the report to `{}`", path.display()))
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
                let bound = report::bounds(t.min, t.max, m.unit.as_deref())
                    .unwrap_or_else(|| "measured only".to_owned());
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
