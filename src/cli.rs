//! The command line: clap types and nothing else.
//!
//! Flags are only parsed here; `settings` decides how they combine with
//! environment variables, the config file and defaults.

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const ENV_HELP: &str = "\
Environment:
  PQG_CONFIG     config file, like --config
  PQG_STAGE      stage, like --stage
  PQG_JOBS       parallel slots, like --jobs (0 = one per core)
  PQG_SKIP       gates to skip, comma-separated, like --skip
  PQG_CACHE_DIR  cache folder, like settings.cache_dir
  PQG_LOG        info or debug: like -v or -vv
  PQG_NO_ANNOTATIONS  1: no GitHub annotations, like --no-annotations
  PQG_CACHE_SIGNING_KEY  sign cache exports, refuse unsigned imports
  NO_COLOR       no colour unless --color always
  CI             no progress display

Exit codes: 0 stage passed · 1 stage failed · 2 usage or config error, nothing ran
            3 internal error · 128+N interrupted by signal N (INT, TERM, HUP, QUIT)";

/// Progressive quality gates: run the checks that guard each stage of a
/// ladder, in parallel, and exit with a verdict.
#[derive(Debug, Parser)]
#[command(name = "pqg", version, about, after_help = ENV_HELP, propagate_version = true)]
pub struct Cli {
    /// The config file [default: the nearest gates.toml from here upward]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// When to colour the output
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Log what pqg decides on stderr (-v: plan, cache hits and misses;
    /// -vv: also timings)
    #[arg(short = 'v', long = "verbose", global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Log lines as text or as one JSON object per line
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// The process's command line, parsed (clap prints help, or the usage
    /// error and exits 2). Its `-h` and `--help` name `PQG_NO_ANNOTATIONS`
    /// and its value (`no_annotations`) beside `--no-annotations`, as
    /// clap's `env` would, though `settings`, not clap, reads it;
    /// [`CommandFactory::command`] stays as declared, for the completions
    /// and the man page.
    pub fn parse_args(no_annotations: Option<&str>) -> Cli {
        let note = format!("[env: PQG_NO_ANNOTATIONS={}]", no_annotations.unwrap_or(""));
        let mut command = Cli::command().mut_subcommand("check", |check| {
            check.mut_arg("no_annotations", |arg| {
                arg.help(format!("{NO_ANNOTATIONS_HELP} {note}"))
                    .long_help(format!("{NO_ANNOTATIONS_HELP}\n\n{note}"))
            })
        });
        let mut matches = command.get_matches_mut();
        Cli::from_arg_matches_mut(&mut matches).unwrap_or_else(|e| e.format(&mut command).exit())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gates of a stage and judge them (with no gates.toml: the
    /// built-in default profile)
    Check(CheckArgs),
    /// Print a stage's effective profile: gates, enforcement, thresholds
    List(ListArgs),
    /// Check the config and print its warnings
    Validate,
    /// Why a gate would or would not be answered from the cache
    Explain(ExplainArgs),
    /// Recent runs, or one gate's recent results
    History(HistoryArgs),
    /// Per gate: runs, pass rate, flakiness, durations, cache hit rate
    Stats,
    /// Judge one run at every stage: which stage the code is ready for, and
    /// what blocks the next
    Ladder(LadderArgs),
    /// Save or show the committed metric baseline (gates.baseline.json)
    #[command(subcommand)]
    Baseline(BaselineCommand),
    /// Join shard reports (JSON, from --shard K/N runs) into one report,
    /// one verdict and its exit code
    Merge(MergeArgs),
    /// Install or remove a git hook that runs `pqg check`
    #[command(subcommand)]
    Hook(HookCommand),
    /// Inspect or clean the result cache
    #[command(subcommand)]
    Cache(CacheCommand),
    /// Write a commented gates.toml for the project here (Cargo, npm, pnpm,
    /// yarn, Python, Go; several in a monorepo)
    Init {
        /// Replace an existing gates.toml (kept as gates.toml.bak)
        #[arg(long)]
        force: bool,
    },
    /// Print a JSON Schema of gates.toml, for editors (Taplo, Even Better TOML)
    Schema,
    /// Print pqg's man page (roff), e.g. `pqg man > pqg.1`
    Man,
    /// Print a shell completion script
    Completions {
        /// The shell to complete for
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, PartialEq, Args)]
pub struct CheckArgs {
    /// The stage to check [default: settings.default_stage, else the lowest]
    #[arg(long, short = 's')]
    pub stage: Option<String>,

    /// Parallel slots; 0 = one per core
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,

    /// Run only these gates (and what they need)
    #[arg(long, value_delimiter = ',', value_name = "GATE,...")]
    pub only: Vec<String>,

    /// Do not run these gates
    #[arg(long, value_delimiter = ',', value_name = "GATE,...")]
    pub skip: Vec<String>,

    /// Stop at the first blocking failure and cancel running gates
    #[arg(long)]
    pub fail_fast: bool,

    /// Report format written to stdout
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// Also write a report to a file, as FORMAT=PATH (repeatable)
    #[arg(long, value_name = "FORMAT=PATH")]
    pub report: Vec<String>,

    /// Progress display on stderr (only ever on a terminal, never under CI)
    #[arg(long, value_enum, default_value_t = ProgressChoice::Auto)]
    pub progress: ProgressChoice,

    /// Print only failures and the summary line
    #[arg(long, short = 'q')]
    pub quiet: bool,

    /// Write every gate's full output under <cache_dir>/logs/<run id>/
    #[arg(long)]
    pub keep_logs: bool,

    /// Neither read nor write cached results
    #[arg(long)]
    pub no_cache: bool,

    /// Run shard K of N: a deterministic share of the stage's gates,
    /// balanced by history durations (a gate's needs travel with it)
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,

    /// Run only the gates whose inputs changed since the merge base with
    /// REF (work tree included); the changed files reach each gate through
    /// PQG_FILES, a path to a NUL-separated list
    #[arg(long, value_name = "REF")]
    pub changed_since: Option<String>,

    /// Where new code starts for `scope = "new"` metrics: lines added or
    /// modified since the merge base of REF and HEAD, work tree included
    /// (default: settings.new_code_since, the CI's target branch, the
    /// upstream, origin/HEAD, main or master)
    #[arg(long, value_name = "REF")]
    pub new_code_since: Option<String>,

    /// Under GitHub Actions (GITHUB_ACTIONS=true), do not print workflow
    /// annotations nor append the Markdown summary to $GITHUB_STEP_SUMMARY
    // PQG_NO_ANNOTATIONS is read by `settings`, not by clap; both helps
    // name it as clap's `env` would (`-h` through `Cli::parse_args`).
    #[arg(long, long_help = NO_ANNOTATIONS_LONG_HELP)]
    pub no_annotations: bool,

    /// Fail a gate that rewrites tracked files even when it says `writes =
    /// true` (the pre-push hook checks so: a fix is not what is pushed)
    #[arg(long)]
    pub forbid_writes: bool,
}

/// `--no-annotations`'s help. clap's `env` would add an `[env: …]` note to
/// `-h` (see `Cli::parse_args`) and to `--help` and the man page (here),
/// but not to the completions.
const NO_ANNOTATIONS_HELP: &str = "Under GitHub Actions (GITHUB_ACTIONS=true), do not print workflow annotations nor append the Markdown summary to $GITHUB_STEP_SUMMARY";
const NO_ANNOTATIONS_LONG_HELP: &str = "Under GitHub Actions (GITHUB_ACTIONS=true), do not print workflow annotations nor append the Markdown summary to $GITHUB_STEP_SUMMARY\n\n[env: PQG_NO_ANNOTATIONS=]";

impl Default for CheckArgs {
    /// What `pqg check` with no flags means: the hook checks with these.
    fn default() -> Self {
        CheckArgs {
            stage: None,
            jobs: None,
            only: Vec::new(),
            skip: Vec::new(),
            fail_fast: false,
            format: Format::Table,
            report: Vec::new(),
            progress: ProgressChoice::Auto,
            quiet: false,
            keep_logs: false,
            no_cache: false,
            shard: None,
            changed_since: None,
            new_code_since: None,
            no_annotations: false,
            forbid_writes: false,
        }
    }
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Only this gate's history
    pub gate: Option<String>,

    /// How many runs to show
    #[arg(short = 'n', long, default_value_t = 20)]
    pub count: usize,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The gate to explain
    pub gate: String,

    /// The stage to explain it at
    #[arg(long, short = 's')]
    pub stage: Option<String>,
}

#[derive(Debug, Args)]
pub struct LadderArgs {
    /// Parallel slots; 0 = one per core
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,

    /// Output format
    #[arg(long, value_enum, default_value_t = LadderFormat::Table)]
    pub format: LadderFormat,

    /// Progress display on stderr (only ever on a terminal, never under CI)
    #[arg(long, value_enum, default_value_t = ProgressChoice::Auto)]
    pub progress: ProgressChoice,

    /// Neither read nor write cached results
    #[arg(long)]
    pub no_cache: bool,

    /// Where new code starts for `scope = "new"` metrics (as for check)
    #[arg(long, value_name = "REF")]
    pub new_code_since: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LadderFormat {
    /// A gates × stages matrix and what blocks the next stage
    Table,
    /// The same as one JSON object
    Json,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The shards' JSON reports (`--report json=PATH` of each shard)
    #[arg(required = true, value_name = "REPORT.json")]
    pub reports: Vec<PathBuf>,

    /// Require this stage of every report
    #[arg(long, short = 's')]
    pub stage: Option<String>,

    /// Report format written to stdout
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// Also write a report to a file, as FORMAT=PATH (repeatable)
    #[arg(long, value_name = "FORMAT=PATH")]
    pub report: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HookKind {
    PrePush,
    PreCommit,
}

#[derive(Debug, Subcommand)]
pub enum HookCommand {
    /// Write the hook (honours core.hooksPath and linked worktrees)
    Install {
        /// Which hook
        #[arg(long, value_enum, default_value_t = HookKind::PrePush)]
        hook: HookKind,
        /// The stage the hook checks [default: settings.default_stage, else development]
        #[arg(long, short = 's')]
        stage: Option<String>,
        /// Replace a hook pqg did not write (it is kept as HOOK.pqg-backup)
        #[arg(long)]
        force: bool,
        /// pre-push: run only the gates whose inputs changed since what the
        /// remote has (--changed-since the remote's commit)
        #[arg(long)]
        changed_only: bool,
    },
    /// What an installed hook runs (not for use by hand)
    #[command(hide = true)]
    Run {
        #[arg(long, value_enum)]
        hook: HookKind,
        #[arg(long, short = 's')]
        stage: Option<String>,
        #[arg(long)]
        changed_only: bool,
    },
    /// Remove pqg's hook and restore the one it replaced, if any
    Uninstall {
        /// Which hook
        #[arg(long, value_enum, default_value_t = HookKind::PrePush)]
        hook: HookKind,
    },
}

#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Run the gates and write each metric's value to gates.baseline.json
    Save {
        /// The stage whose gates run [default: the highest, so every metric
        /// gets a value]
        #[arg(long, short = 's')]
        stage: Option<String>,
        /// Parallel slots; 0 = one per core
        #[arg(long, short = 'j', value_name = "N")]
        jobs: Option<usize>,
        /// Neither read nor write cached results
        #[arg(long)]
        no_cache: bool,
    },
    /// Print the baseline, with each metric's latest value
    Show,
}

#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// Entries, size and location of the cache
    Stats,
    /// Delete entries older than a duration
    Prune {
        /// Age, e.g. `30d`, `12h`
        #[arg(long, value_name = "DURATION", default_value = "30d")]
        older_than: String,
    },
    /// Delete every cached result (history is kept)
    Clear,
    /// Write every cached result to FILE (signed with
    /// PQG_CACHE_SIGNING_KEY when it is set)
    Export {
        /// The file to write
        file: PathBuf,
    },
    /// Add the results in FILE to the cache; never replaces a newer entry;
    /// with PQG_CACHE_SIGNING_KEY set, refuses unsigned or wrongly signed
    /// files
    Import {
        /// The file to read
        file: PathBuf,
        /// Refuse to import unless PQG_CACHE_SIGNING_KEY is set (not empty)
        /// and every entry is signed with it
        #[arg(long)]
        require_signature: bool,
    },
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// The stage to show [default: settings.default_stage, else the lowest]
    #[arg(long, short = 's')]
    pub stage: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProgressChoice {
    Auto,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// The terminal table
    Table,
    /// The JSON report (schema 1)
    Json,
    /// SARIF 2.1.0: the builtins' findings, for code scanning
    Sarif,
    /// One JSON event per line as gates start and finish, then the report
    Jsonl,
    /// JUnit XML: one test suite, one test case per gate
    Junit,
    /// Markdown, for $GITHUB_STEP_SUMMARY and pull-request comments
    Markdown,
    /// GitHub Actions workflow commands (::error, ::warning, ::notice)
    Github,
    /// Prometheus text exposition format (textfile collector, Pushgateway)
    Prometheus,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_args_default_is_a_bare_check() {
        let Command::Check(parsed) = Cli::parse_from(["pqg", "check"]).command else {
            panic!("not check");
        };
        assert_eq!(parsed, CheckArgs::default());
    }
}
