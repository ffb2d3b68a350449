//! The one place that decides flag > environment > config file > default.
//!
//! Every environment variable pqg reads for itself (`PQG_*`, `CI`,
//! `GITHUB_*`, `NO_COLOR`, `COLUMNS`) is read here, once, into an
//! [`Environment`], and nowhere else. [`Settings`] joins it with the global
//! flags at start; [`ConfigSettings`] adds the config file's `[settings]`
//! when the config is loaded. Commands read plain values from them, or ask
//! them to combine a flag of their own (`--stage`, `--jobs`, `--progress`);
//! an invalid value from any origin is a user error that names the origin.
//! (A gate's own `env` and the values `settings.redact` masks are a gate's
//! inputs, not settings: they are read where gates are keyed and run.)
//! Nothing here runs a gate.

use crate::cli::{CheckArgs, Cli, ColorChoice, Format, ProgressChoice};
use crate::config::{self, Config, StageIdx};
use crate::diag::UserError;
use crate::git::new_code::Reference;
use crate::log::Level;
use clap::ValueEnum;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The variable that holds the cache signing key; it never reaches a gate.
pub(crate) const SIGNING_KEY_VAR: &str = "PQG_CACHE_SIGNING_KEY";

/// What pqg's own environment variables say, read once; an empty value
/// counts as unset. (No `Debug`: it holds the signing key.)
#[derive(Clone, Default)]
pub struct Environment {
    /// `PQG_CONFIG`.
    pub config: Option<PathBuf>,
    /// `PQG_STAGE`, a stage name not yet checked.
    pub stage: Option<String>,
    /// `PQG_JOBS`, as written.
    pub jobs: Option<String>,
    /// `PQG_SKIP`, as written.
    pub skip: Option<String>,
    /// `PQG_CACHE_DIR`.
    pub cache_dir: Option<PathBuf>,
    /// `PQG_LOG`.
    pub log: Option<String>,
    /// `PQG_NO_ANNOTATIONS`, as written.
    pub no_annotations: Option<String>,
    /// `PQG_CACHE_SIGNING_KEY`, its bytes.
    pub signing_key: Option<Vec<u8>>,
    /// `NO_COLOR` is set.
    pub no_color: bool,
    /// `CI` is set.
    pub ci: bool,
    /// `GITHUB_ACTIONS`.
    pub github_actions: Option<String>,
    /// `GITHUB_STEP_SUMMARY`.
    pub step_summary: Option<OsString>,
    /// `COLUMNS`, as written.
    pub columns: Option<String>,
    /// `GITHUB_BASE_REF`: a pull request's target branch.
    pub github_base_ref: Option<String>,
    /// `CI_MERGE_REQUEST_TARGET_BRANCH_NAME`: GitLab's merge request target.
    pub gitlab_target_branch: Option<String>,
}

impl Environment {
    /// The process's environment.
    pub fn read() -> Self {
        let os = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        Environment {
            signing_key: os(SIGNING_KEY_VAR).map(OsString::into_encoded_bytes),
            step_summary: os("GITHUB_STEP_SUMMARY"),
            ..Environment::from_lookup(&|name| std::env::var(name).ok())
        }
    }

    /// The environment `lookup` describes (a test's, say).
    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Self {
        let var = |name: &str| lookup(name).filter(|v| !v.is_empty());
        Environment {
            config: var("PQG_CONFIG").map(PathBuf::from),
            stage: var("PQG_STAGE"),
            jobs: var("PQG_JOBS"),
            skip: var("PQG_SKIP"),
            cache_dir: var("PQG_CACHE_DIR").map(PathBuf::from),
            log: var("PQG_LOG"),
            no_annotations: var("PQG_NO_ANNOTATIONS"),
            signing_key: var(SIGNING_KEY_VAR).map(String::into_bytes),
            no_color: var("NO_COLOR").is_some(),
            ci: var("CI").is_some(),
            github_actions: var("GITHUB_ACTIONS"),
            step_summary: var("GITHUB_STEP_SUMMARY").map(OsString::from),
            columns: var("COLUMNS"),
            github_base_ref: var("GITHUB_BASE_REF"),
            gitlab_target_branch: var("CI_MERGE_REQUEST_TARGET_BRANCH_NAME"),
        }
    }
}

/// The settings that do not depend on the config: the global flags and the
/// environment, resolved once at start. (No `Debug`: it holds the signing
/// key.)
#[derive(Clone)]
pub struct Settings {
    env: Environment,
    config_flag: Option<PathBuf>,
    color: ColorChoice,
    /// How much to log: `-v`, else `PQG_LOG`.
    pub log_level: Level,
    /// pqg runs under GitHub Actions (`GITHUB_ACTIONS=true`).
    pub github_actions: bool,
    /// The file GitHub Actions shows as the step's summary
    /// (`GITHUB_STEP_SUMMARY`).
    pub step_summary: Option<OsString>,
    /// The cache signing key (`PQG_CACHE_SIGNING_KEY`). (An empty value is
    /// what CI gives for a missing secret: `import --require-signature`
    /// refuses to run without a real key.)
    pub signing_key: Option<Vec<u8>>,
    /// The gates `PQG_SKIP` names.
    pub env_skip: Vec<String>,
}

/// The gates named on the command line and in `PQG_SKIP`; the plan turns
/// them into its filters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GateNames {
    /// `--only`: these gates and what they need.
    pub only: Vec<String>,
    /// `--skip`: these gates.
    pub skip: Vec<String>,
    /// `PQG_SKIP`: these gates (the escape hatch for one hook run).
    pub env_skip: Vec<String>,
}

impl Settings {
    /// The settings for the global flags of `cli` in `env`.
    pub fn resolve(cli: &Cli, env: Environment) -> Self {
        Settings {
            config_flag: cli.config.clone(),
            color: cli.color,
            log_level: log_level(cli.verbose, env.log.as_deref()),
            github_actions: env.github_actions.as_deref() == Some("true"),
            step_summary: env.step_summary.clone(),
            signing_key: env.signing_key.clone(),
            env_skip: env_skip(env.skip.as_deref()),
            env,
        }
    }

    /// `--config` as given, if it was.
    pub fn config_flag(&self) -> Option<&Path> {
        self.config_flag.as_deref()
    }

    /// The config file to load: `--config`, then `PQG_CONFIG`, then the
    /// nearest `gates.toml` from `cwd` upward.
    pub fn config_path(&self, cwd: &Path) -> Result<PathBuf, UserError> {
        self.config_location(cwd)?.ok_or_else(|| {
            UserError::new(format!(
                "no {} found in `{}` or any folder above it",
                config::CONFIG_FILE,
                cwd.display()
            ))
            .hint("run `pqg init` to write one, or pass --config FILE")
        })
    }

    /// The config file to load: `--config`, else `PQG_CONFIG`, else the
    /// nearest `gates.toml` upward; `None` when there is none (and none was
    /// named).
    pub fn config_location(&self, cwd: &Path) -> Result<Option<PathBuf>, UserError> {
        let flag = self.config_flag();
        let explicit = flag
            .map(Path::to_path_buf)
            .or_else(|| self.env.config.clone());
        if let Some(path) = &explicit {
            if !path.is_file() {
                let origin = if flag.is_some() {
                    "--config"
                } else {
                    "PQG_CONFIG"
                };
                return Err(UserError::new(format!(
                    "{origin} names `{}`, which is not a file",
                    path.display()
                ))
                .hint("give the path of a gates.toml"));
            }
        }
        Ok(config::discover(explicit.as_deref(), cwd))
    }

    /// Whether to colour a stream: `--color`, then `NO_COLOR`, then whether
    /// it is a terminal.
    pub fn color(&self, is_terminal: bool) -> bool {
        match self.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => !self.env.no_color && is_terminal,
        }
    }

    /// Whether to draw progress: never under `CI`, `-q` or `--progress
    /// never`, and only on a terminal.
    pub fn progress(&self, choice: ProgressChoice, quiet: bool, stderr_is_terminal: bool) -> bool {
        choice == ProgressChoice::Auto && !quiet && !self.env.ci && stderr_is_terminal
    }

    /// The width to draw tables at: on a terminal, `COLUMNS`, else 120;
    /// none off a terminal.
    pub fn terminal_width(&self, is_terminal: bool) -> Option<u16> {
        if !is_terminal {
            return None;
        }
        let columns = self.env.columns.as_deref();
        columns.and_then(|c| c.parse().ok()).or(Some(120))
    }

    /// Whether to leave GitHub annotations out: `--no-annotations`, else
    /// `PQG_NO_ANNOTATIONS` (anything but `0`, `false`, `no`, `off`, `n` or
    /// `f`, in any case).
    pub fn no_annotations(&self, flag: bool) -> bool {
        flag || self.env.no_annotations.as_deref().is_some_and(|v| {
            !["n", "no", "f", "false", "off", "0"].contains(&v.to_lowercase().as_str())
        })
    }

    /// `--only`, `--skip` and `PQG_SKIP` together, blanks dropped.
    pub fn gate_names(&self, args: &CheckArgs) -> GateNames {
        let clean = |v: &[String]| -> Vec<String> {
            v.iter()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        };
        GateNames {
            only: clean(&args.only),
            skip: clean(&args.skip),
            env_skip: self.env_skip.clone(),
        }
    }

    /// The settings that depend on `config`: the environment against its
    /// `[settings]`.
    pub fn for_config(&self, config: &Config) -> ConfigSettings {
        let stage = match &self.env.stage {
            Some(name) => config.stage(name).map_err(|e| UserError {
                message: format!("PQG_STAGE: {}", e.message),
                ..e
            }),
            None => Ok(config
                .settings
                .default_stage
                .unwrap_or_else(|| config.ladder.lowest())),
        };
        let env_jobs = self
            .env
            .jobs
            .as_ref()
            .map(|v| {
                v.trim().parse::<usize>().map_err(|_| {
                    UserError::new(format!("PQG_JOBS must be a whole number, found `{v}`"))
                        .hint("0 means one job per core")
                })
            })
            .transpose();
        let dir = self
            .env
            .cache_dir
            .clone()
            .unwrap_or_else(|| config.settings.cache_dir.clone());
        let target = self
            .env
            .github_base_ref
            .clone()
            .or_else(|| self.env.gitlab_target_branch.clone());
        ConfigSettings {
            cache_dir: config.root.join(dir),
            stage,
            jobs: env_jobs.map(|env| env.or(config.settings.jobs)),
            new_code_since: match (target, &config.settings.new_code_since) {
                (Some(branch), _) => Reference::Target(branch),
                (None, Some(name)) => Reference::Setting(name.clone()),
                (None, None) => Reference::Default,
            },
        }
    }
}

/// The settings that depend on the config, resolved once it is loaded.
#[derive(Debug, Clone)]
pub struct ConfigSettings {
    /// The cache folder: `PQG_CACHE_DIR`, then `settings.cache_dir`,
    /// relative to the config's folder.
    pub cache_dir: PathBuf,
    /// `PQG_STAGE`, then `settings.default_stage`, then the lowest stage.
    stage: Result<StageIdx, UserError>,
    /// `PQG_JOBS`, then `settings.jobs`.
    jobs: Result<Option<usize>, UserError>,
    /// `GITHUB_BASE_REF` or `CI_MERGE_REQUEST_TARGET_BRANCH_NAME`, then
    /// `settings.new_code_since`, then the default.
    new_code_since: Reference,
}

impl ConfigSettings {
    /// The stage: `--stage` (`flag`, a name in `config`), then `PQG_STAGE`,
    /// then `settings.default_stage`, then the lowest stage of the ladder.
    pub fn stage(&self, config: &Config, flag: Option<&str>) -> Result<StageIdx, UserError> {
        match flag {
            Some(name) => config.stage(name).map_err(|e| UserError {
                message: format!("--stage: {}", e.message),
                ..e
            }),
            None => self.stage.clone(),
        }
    }

    /// Where new code starts (`scope = "new"`): `--new-code-since`
    /// (`flag`), then the CI's target branch (`GITHUB_BASE_REF`,
    /// `CI_MERGE_REQUEST_TARGET_BRANCH_NAME`), then
    /// `settings.new_code_since`, then the branch's upstream, `origin/HEAD`,
    /// `main` or `master`.
    pub(crate) fn new_code_since(&self, flag: Option<&str>) -> Reference {
        match flag {
            Some(name) => Reference::Named(name.to_owned()),
            None => self.new_code_since.clone(),
        }
    }

    /// Parallel slots: `--jobs` (`flag`), then `PQG_JOBS`, then
    /// `settings.jobs`; 0 means one per core. A `PQG_JOBS` that is not a
    /// number is an error even beside `--jobs`.
    pub fn jobs(&self, flag: Option<usize>) -> Result<usize, UserError> {
        let jobs = flag.or(self.jobs.clone()?).unwrap_or(0);
        Ok(if jobs == 0 {
            std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
        } else {
            jobs
        })
    }
}

/// The gates to skip named by `PQG_SKIP`.
fn env_skip(value: Option<&str>) -> Vec<String> {
    value
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// The log level: `-v` (`verbose`), else `PQG_LOG` (`info`, `debug` or
/// `trace`).
fn log_level(verbose: u8, env: Option<&str>) -> Level {
    match verbose {
        0 => match env {
            Some("debug" | "trace") => Level::Debug,
            Some("info") => Level::Info,
            _ => Level::Off,
        },
        1 => Level::Info,
        _ => Level::Debug,
    }
}

/// `--shard K/N`: 1 ≤ K ≤ N.
pub(crate) fn shard(spec: &str) -> Result<(usize, usize), UserError> {
    let hint = "write --shard K/N with 1 ≤ K ≤ N, e.g. --shard 2/3";
    let (k, n) = spec
        .split_once('/')
        .and_then(|(k, n)| {
            Some((
                k.trim().parse::<usize>().ok()?,
                n.trim().parse::<usize>().ok()?,
            ))
        })
        .ok_or_else(|| UserError::new(format!("--shard `{spec}` is not K/N")).hint(hint))?;
    if n == 0 || k == 0 || k > n || n > 1000 {
        return Err(UserError::new(format!("--shard `{spec}`: no such shard")).hint(hint));
    }
    Ok((k, n))
}

/// A `--report FORMAT=PATH` request.
pub(crate) fn report_target(spec: &str) -> Result<(Format, PathBuf), UserError> {
    let hint = "write --report FORMAT=PATH, e.g. --report json=pqg.json";
    let Some((format, path)) = spec.split_once('=') else {
        return Err(UserError::new(format!("--report `{spec}` has no `=`")).hint(hint));
    };
    if path.is_empty() {
        return Err(UserError::new(format!("--report `{spec}` has no path")).hint(hint));
    }
    let Ok(format) = Format::from_str(format, false) else {
        return Err(UserError::new(format!("unknown report format `{format}`"))
            .hint(format!("the formats are: {}", format_names().join(", "))));
    };
    Ok((format, PathBuf::from(path)))
}

/// The report formats' names, in alphabetical order.
pub(crate) fn format_names() -> Vec<String> {
    let mut names: Vec<String> = Format::value_variants()
        .iter()
        .filter_map(clap::ValueEnum::to_possible_value)
        .map(|v| v.get_name().to_owned())
        .collect();
    names.sort();
    names
}

/// The stage an installed hook checks: `--stage` (which must name a stage
/// of the config, or at least be a valid name when there is none), else
/// `settings.default_stage`, else `development` when the ladder has it,
/// else its lowest stage; `development` without a config.
pub(crate) fn hook_stage(config: Option<&Config>, flag: Option<&str>) -> Result<String, UserError> {
    let default = match config {
        Some(c) => {
            if let Some(s) = flag {
                c.stage(s)?;
            }
            c.settings
                .default_stage
                .map(|s| c.ladder.name(s).to_string())
                .or_else(|| {
                    c.ladder
                        .find("development")
                        .map(|_| "development".to_owned())
                })
                .unwrap_or_else(|| c.ladder.name(c.ladder.lowest()).to_string())
        }
        None => {
            if let Some(s) = flag {
                if !config::StageName::is_valid(s) {
                    return Err(UserError::new(format!("invalid stage name `{s}`"))
                        .hint("stage names use lowercase letters, digits and `-`"));
                }
            }
            "development".to_owned()
        }
    };
    Ok(flag.map_or(default, str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn config(text: &str) -> Config {
        Config::parse(Path::new("gates.toml"), text).unwrap()
    }

    /// The settings for `args` (after `pqg`) with only the variable `name`
    /// set to `value`.
    fn settings(args: &[&str], name: &'static str, value: &'static str) -> Settings {
        let cli = Cli::try_parse_from(["pqg"].iter().chain(args)).unwrap();
        let env = Environment::from_lookup(&|n| (n == name).then(|| value.to_owned()));
        Settings::resolve(&cli, env)
    }

    fn plain() -> Settings {
        settings(&["check"], "", "")
    }

    #[test]
    fn flag_beats_env_beats_file_beats_default() {
        let with_default =
            config("[settings]\ndefault_stage='staging'\njobs=3\n[gates.a]\nrun='true'\n");
        let env_dev = settings(&["check"], "PQG_STAGE", "development").for_config(&with_default);
        let no_env = plain().for_config(&with_default);
        assert_eq!(
            env_dev.stage(&with_default, Some("production")).unwrap(),
            StageIdx(3)
        );
        assert_eq!(env_dev.stage(&with_default, None).unwrap(), StageIdx(1));
        assert_eq!(no_env.stage(&with_default, None).unwrap(), StageIdx(2));
        let bare = config("[gates.a]\nrun='true'\n");
        let bare_settings = plain().for_config(&bare);
        assert_eq!(bare_settings.stage(&bare, None).unwrap(), StageIdx(0));

        let env_jobs = settings(&["check"], "PQG_JOBS", "5").for_config(&with_default);
        assert_eq!(env_jobs.jobs(Some(2)).unwrap(), 2);
        assert_eq!(env_jobs.jobs(None).unwrap(), 5);
        assert_eq!(no_env.jobs(None).unwrap(), 3);

        let with_dir = config("[settings]\ncache_dir='c'\n[gates.a]\nrun='true'\n");
        let env_dir = settings(&["check"], "PQG_CACHE_DIR", "e").for_config(&with_dir);
        assert_eq!(env_dir.cache_dir, with_dir.root.join("e"));
        assert_eq!(
            plain().for_config(&with_dir).cache_dir,
            with_dir.root.join("c")
        );
        assert_eq!(
            plain().for_config(&bare).cache_dir,
            bare.root.join(".pqg"),
            "default"
        );

        let env_config = settings(&["check"], "PQG_CONFIG", "/nonexistent/env.toml");
        let flag_config = settings(
            &["--config", "/nonexistent/flag.toml", "check"],
            "PQG_CONFIG",
            "/nonexistent/env.toml",
        );
        let cwd = Path::new("/");
        let err = env_config.config_location(cwd).unwrap_err().message;
        assert!(
            err.starts_with("PQG_CONFIG names `/nonexistent/env.toml`"),
            "{err}"
        );
        let err = flag_config.config_location(cwd).unwrap_err().message;
        assert!(
            err.starts_with("--config names `/nonexistent/flag.toml`"),
            "{err}"
        );

        assert_eq!(
            settings(&["-v", "check"], "PQG_LOG", "debug").log_level,
            Level::Info
        );
        assert_eq!(
            settings(&["check"], "PQG_LOG", "debug").log_level,
            Level::Debug
        );
        assert_eq!(
            settings(&["check"], "PQG_LOG", "info").log_level,
            Level::Info
        );
        assert_eq!(plain().log_level, Level::Off);
    }

    #[test]
    fn bad_env_values_name_their_origin() {
        let c = config("[gates.a]\nrun='true'\n");
        let jobs = settings(&["check"], "PQG_JOBS", "many").for_config(&c);
        let err = jobs.jobs(None).unwrap_err();
        assert!(err.message.contains("PQG_JOBS"), "{}", err.message);
        assert!(jobs.jobs(Some(2)).is_err(), "even beside --jobs");
        let stage = settings(&["check"], "PQG_STAGE", "prod").for_config(&c);
        let err = stage.stage(&c, None).unwrap_err();
        assert!(
            err.message.starts_with("PQG_STAGE: unknown stage `prod`"),
            "{}",
            err.message
        );
        let err = stage.stage(&c, Some("prod")).unwrap_err();
        assert!(err.message.starts_with("--stage: "), "{}", err.message);
    }

    #[test]
    fn no_color_and_ci_are_honoured() {
        let no_color = settings(&["check"], "NO_COLOR", "1");
        let always = settings(&["--color", "always", "check"], "NO_COLOR", "1");
        let ci = settings(&["check"], "CI", "true");
        assert!(!no_color.color(true));
        assert!(always.color(false));
        assert!(plain().color(true));
        assert!(!ci.progress(ProgressChoice::Auto, false, true));
        assert!(plain().progress(ProgressChoice::Auto, false, true));
        assert!(!plain().progress(ProgressChoice::Auto, false, false));
        assert!(!plain().progress(ProgressChoice::Auto, true, true), "-q");
    }

    #[test]
    fn columns_set_the_width_on_a_terminal_only() {
        let columns = settings(&["check"], "COLUMNS", "80");
        assert_eq!(columns.terminal_width(true), Some(80));
        assert_eq!(columns.terminal_width(false), None);
        assert_eq!(plain().terminal_width(true), Some(120));
    }

    #[test]
    fn github_settings_and_skips_come_from_the_environment() {
        assert!(settings(&["check"], "GITHUB_ACTIONS", "true").github_actions);
        assert!(!settings(&["check"], "GITHUB_ACTIONS", "1").github_actions);
        let summary = settings(&["check"], "GITHUB_STEP_SUMMARY", "/s");
        assert_eq!(summary.step_summary, Some(OsString::from("/s")));
        assert_eq!(
            settings(&["check"], "PQG_SKIP", " a, ,b ").env_skip,
            vec!["a", "b"]
        );
        let key = settings(&["check"], SIGNING_KEY_VAR, "k");
        assert_eq!(key.signing_key.as_deref(), Some(&b"k"[..]));
        assert_eq!(settings(&["check"], SIGNING_KEY_VAR, "").signing_key, None);
    }

    #[test]
    fn the_formats_are_listed_once() {
        assert_eq!(
            format_names().join(", "),
            "github, json, jsonl, junit, markdown, prometheus, sarif, table"
        );
        let err = report_target("xml=out.xml").unwrap_err();
        assert!(err.message.contains("unknown report format `xml`"));
        assert_eq!(report_target("jsonl=a").unwrap().0, Format::Jsonl);
    }

    #[test]
    fn no_annotations_reads_like_a_flag() {
        let set = |v: &'static str| settings(&["check"], "PQG_NO_ANNOTATIONS", v);
        assert!(plain().no_annotations(true));
        assert!(!plain().no_annotations(false));
        assert!(set("1").no_annotations(false));
        assert!(set("yes").no_annotations(false));
        assert!(!set("0").no_annotations(false));
        assert!(!set("OFF").no_annotations(false));
        assert!(!set("").no_annotations(false));
    }
}
