//! The subcommands, one file each, and the one `match` that picks one.
//!
//! A command reads what it needs through a [`Context`] (the folder it runs
//! in, the resolved settings, the config, loaded once on first use), does
//! its work through the modules below it (the check pipeline, the cache,
//! the reports) and gives back an [`Outcome`]. No command chooses an exit
//! code: `main` alone turns the outcome, or an error, into one.
//!
//! Everything a command prints on stdout goes through [`outln!`] or
//! [`to_stdout`]: a stdout that refuses it is an
//! [`OutputError`](crate::diag::OutputError) (a closed pipe ends the
//! command quietly, a full disk is exit 2), never a panic.

/// `println!` for a command's report: returns from the command with an
/// [`OutputError`](crate::diag::OutputError) when stdout refuses the line.
macro_rules! outln {
    () => {
        $crate::commands::write_line(format_args!(""))?
    };
    ($($arg:tt)*) => {
        $crate::commands::write_line(format_args!($($arg)*))?
    };
}

mod baseline;
mod cache;
mod check;
mod completions;
mod explain;
mod history;
mod hook;
mod hook_commit;
mod hook_push;
mod init;
mod inspect;
mod ladder;
mod list;
mod man;
mod merge;
mod schema;
mod stats;
mod validate;

pub(crate) use crate::outcome::Outcome;

use crate::cli::{Cli, Command, Format, ProgressChoice};
use crate::config::StageIdx;
use crate::config::{Config, ConfigWarning};
use crate::diag::{OutputError, UserError};
use crate::pipeline::{self, StageRequest, StageRun};
use crate::report::table::{render_table, Printer};
use crate::report::{self, render_json};
use crate::settings::{ConfigSettings, Settings};
use anyhow::Context as _;
use std::cell::OnceCell;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};

/// Runs the command `cli` asks for, with `settings` resolved from its
/// flags and the environment, and returns how it ended.
pub fn run(cli: &Cli, settings: Settings) -> anyhow::Result<Outcome> {
    let outcome = dispatch(cli, settings)?;
    // What is still buffered must reach stdout too; a reader that left
    // after the command ended (`check … | head`) changes nothing.
    match io::stdout().flush() {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => Err(OutputError::stdout(e).into()),
        _ => Ok(outcome),
    }
}

fn dispatch(cli: &Cli, settings: Settings) -> anyhow::Result<Outcome> {
    let ctx = Context::new(settings);
    match &cli.command {
        Command::Check(args) => check::run(&ctx, args),
        Command::List(args) => list::run(&ctx, args),
        Command::Validate => validate::run(&ctx),
        Command::Explain(args) => explain::run(&ctx, args),
        Command::History(args) => history::run(&ctx, args),
        Command::Stats => stats::run(&ctx),
        Command::Ladder(args) => ladder::run(&ctx, args),
        Command::Baseline(command) => baseline::run(&ctx, command),
        Command::Merge(args) => merge::run(&ctx, args),
        Command::Hook(command) => hook::run(&ctx, command),
        Command::Cache(command) => cache::run(&ctx, command),
        Command::Init { force } => init::run(&ctx, *force),
        Command::Schema => schema::run(&ctx),
        Command::Man => man::run(&ctx),
        Command::Completions { shell } => completions::run(&ctx, *shell),
    }
}

/// What every command may need besides its own arguments: the folder it
/// runs in, the settings resolved from flags and environment, and the
/// config with the settings it decides, loaded once on first use.
pub(crate) struct Context {
    settings: Settings,
    cwd: OnceCell<PathBuf>,
    config: OnceCell<(Config, ConfigSettings)>,
}

impl Context {
    /// A context with `settings`; no file is read yet.
    pub(crate) fn new(settings: Settings) -> Self {
        Context {
            settings,
            cwd: OnceCell::new(),
            config: OnceCell::new(),
        }
    }

    /// The settings that do not depend on the config.
    pub(crate) fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The folder pqg runs in.
    pub(crate) fn cwd(&self) -> anyhow::Result<&Path> {
        if let Some(cwd) = self.cwd.get() {
            return Ok(cwd);
        }
        let cwd = std::env::current_dir().map_err(|e| {
            let hint = if e.kind() == io::ErrorKind::NotFound {
                "the folder was deleted (or moved) after this shell entered it: `cd` into one that exists"
            } else {
                "`cd` into a folder you can read"
            };
            UserError::new(format!("cannot read the current folder: {e}")).hint(hint)
        })?;
        Ok(self.cwd.get_or_init(|| cwd))
    }

    /// The config file to load (`--config`, `PQG_CONFIG`, the nearest
    /// gates.toml upward), or `None` when there is none.
    pub(crate) fn config_file(&self) -> anyhow::Result<Option<PathBuf>> {
        Ok(self.settings.config_location(self.cwd()?)?)
    }

    /// The config; an error when there is none.
    pub(crate) fn config(&self) -> anyhow::Result<&Config> {
        self.load(None).map(|(config, _)| config)
    }

    /// The config, or the built-in default profile when there is none
    /// (DESIGN §9): for the commands that work without a gates.toml.
    pub(crate) fn config_or_default(&self) -> anyhow::Result<&Config> {
        self.load(Some(true)).map(|(config, _)| config)
    }

    /// [`Context::config_or_default`] without announcing the default
    /// profile: for the commands that run no gate (`pqg cache …`).
    pub(crate) fn config_or_default_quietly(&self) -> anyhow::Result<&Config> {
        self.load(Some(false)).map(|(config, _)| config)
    }

    /// The settings the config decides (stage, jobs, cache folder), for the
    /// config already loaded, else for the one [`Context::config`] loads.
    pub(crate) fn config_settings(&self) -> anyhow::Result<&ConfigSettings> {
        self.load(None).map(|(_, settings)| settings)
    }

    /// Loads the config once. `or_default`: `None` when a gates.toml is
    /// required, else whether the default profile standing in for a
    /// missing one is announced.
    fn load(&self, or_default: Option<bool>) -> anyhow::Result<&(Config, ConfigSettings)> {
        if let Some(loaded) = self.config.get() {
            return Ok(loaded);
        }
        let config = match self.config_file()? {
            Some(path) => Config::load(&path)?,
            None if or_default.is_some() => default_profile(self.cwd()?, or_default == Some(true))?,
            None => Config::load(&self.settings.config_path(self.cwd()?)?)?,
        };
        let settings = self.settings.for_config(&config);
        Ok(self.config.get_or_init(|| (config, settings)))
    }

    /// How to print on stdout: colour and width.
    pub(crate) fn stdout(&self) -> Printer {
        let terminal = io::stdout().is_terminal();
        Printer {
            color: self.settings.color(terminal),
            width: self.settings.terminal_width(terminal),
            guard_workflow: self.settings.github_actions,
        }
    }

    /// Whether to colour stderr.
    pub(crate) fn stderr_color(&self) -> bool {
        self.settings.color(io::stderr().is_terminal())
    }
}

/// The built-in default profile (DESIGN §9), rooted at the top of the git
/// work tree around `cwd` (or `cwd` itself outside git), announced in one
/// line on stderr when `announce`.
fn default_profile(cwd: &Path, announce: bool) -> anyhow::Result<Config> {
    let root = crate::git::work_tree_top(cwd).unwrap_or_else(|| cwd.to_path_buf());
    let config = Config::parse(
        &root.join(crate::config::CONFIG_FILE),
        crate::builtin::DEFAULT_PROFILE,
    )
    .map_err(|e| anyhow::anyhow!("internal: the default profile does not load: {e}"))?;
    if !announce {
        return Ok(config);
    }
    let names: Vec<&str> = config.gates.iter().map(|g| g.id.as_str()).collect();
    eprintln!(
        "pqg: no gates.toml found; running the built-in default profile ({}) · `pqg init` writes a gates.toml of your own",
        names.join(", ")
    );
    Ok(config)
}

/// Renders `report` in `format`. For `jsonl` this is the last line only:
/// the events before it are written live during the run. Under GitHub
/// Actions on stdout (`printer.guard_workflow`), gate output in it cannot
/// pass for a workflow command ([`report::workflow`]).
fn render(
    report: &report::Report,
    format: Format,
    printer: &Printer,
    quiet: bool,
    out: &mut impl Write,
) -> io::Result<()> {
    use report::workflow;
    if !printer.guard_workflow || matches!(format, Format::Github | Format::Prometheus) {
        return render_plain(report, format, printer, quiet, out);
    }
    let mut text = Vec::new();
    render_plain(report, format, printer, quiet, &mut text)?;
    let text = String::from_utf8_lossy(&text);
    let guarded = match format {
        Format::Json | Format::Jsonl | Format::Sarif => workflow::guard_json(&text),
        _ => workflow::guard_text(&text),
    };
    out.write_all(guarded.as_bytes())
}

fn render_plain(
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

/// Renders into the `--report` file `file` at `path` through `write`; a
/// file that refuses it (a full disk) is an [`OutputError`] naming it.
fn write_report_file(
    file: std::fs::File,
    path: &Path,
    write: impl FnOnce(&mut io::BufWriter<std::fs::File>) -> io::Result<()>,
) -> Result<(), OutputError> {
    let mut out = io::BufWriter::new(file);
    write(&mut out)
        .and_then(|()| out.flush())
        .map_err(|source| OutputError {
            target: format!("the report `{}`", path.display()),
            source,
        })
}

/// Creates a `--report` file and its folder.
fn create_report_file(path: &Path) -> anyhow::Result<std::fs::File> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating `{}` for the report", parent.display()))?;
    }
    std::fs::File::create(path)
        .with_context(|| format!("writing the report to `{}`", path.display()))
}

/// Writes one line of a command's output on stdout (see [`outln!`]).
pub(crate) fn write_line(args: std::fmt::Arguments<'_>) -> Result<(), OutputError> {
    let mut out = io::stdout().lock();
    out.write_fmt(args)
        .and_then(|()| out.write_all(b"\n"))
        .map_err(OutputError::stdout)
}

/// Writes a command's output on stdout through `write` and flushes it; a
/// stdout that refuses it is an [`OutputError`].
pub(crate) fn to_stdout(
    write: impl FnOnce(&mut io::StdoutLock<'static>) -> io::Result<()>,
) -> Result<(), OutputError> {
    let mut out = io::stdout().lock();
    write(&mut out)
        .and_then(|()| out.flush())
        .map_err(OutputError::stdout)
}

/// The report of a command that has its verdict already: a reader that
/// stopped reading (`pqg check | head`) does not change the exit code, any
/// other refusal is an [`OutputError`].
fn report_to_stdout(
    write: impl FnOnce(&mut io::StdoutLock<'static>) -> io::Result<()>,
) -> Result<(), OutputError> {
    match to_stdout(write) {
        Err(e) if e.is_closed_pipe() => Ok(()),
        other => other,
    }
}

/// Prints the config's warnings on stderr.
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

/// Runs every gate of `stage` (cached results reused), never stopping
/// early: the ladder and a baseline need each gate's result.
fn run_every_gate(
    ctx: &Context,
    stage: StageIdx,
    jobs: Option<usize>,
    no_cache: bool,
    progress: ProgressChoice,
    new_code_since: Option<&str>,
) -> anyhow::Result<StageRun> {
    let (config, resolved) = (ctx.config()?, ctx.config_settings()?);
    let stderr_is_terminal = io::stderr().is_terminal();
    let request = StageRequest {
        stage,
        jobs: resolved.jobs(jobs)?,
        cache_dir: resolved.cache_dir.clone(),
        filters: crate::plan::Filters::default(),
        fail_fast: false,
        no_cache,
        keep_logs: false,
        progress: ctx.settings.progress(progress, false, stderr_is_terminal),
        keep_going: true,
        forbid_writes: false,
        new_code_since: resolved.new_code_since(new_code_since),
    };
    pipeline::run_stage(config, &request, &mut |_| {})
}
