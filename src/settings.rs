//! The one place that decides flag > environment > config file > default.
//!
//! Every setting with more than one origin is resolved here, and an invalid
//! value from any origin is a user error that names the origin. Every
//! environment variable pqg reads for itself (`PQG_*`, `CI`, `GITHUB_*`,
//! `NO_COLOR`, `COLUMNS`) is read here and nowhere else; the values reach
//! the rest of pqg as plain arguments. (A gate's own `env` and the values
//! `settings.redact` masks are a gate's inputs, not settings: they are read
//! where gates are keyed and run.) Nothing here runs a gate.

use crate::cli::{CheckArgs, ColorChoice, Format, ProgressChoice};
use crate::config::{self, Config, StageIdx};
use crate::diag::UserError;
use crate::plan::Filters;
use clap::ValueEnum;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The variable that holds the cache signing key; it never reaches a gate.
pub const SIGNING_KEY_VAR: &str = "PQG_CACHE_SIGNING_KEY";

/// Reads an environment variable; empty counts as unset.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment, empty values treated as unset.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The config file to load: `--config`, then `PQG_CONFIG`, then the nearest
/// `gates.toml` from `cwd` upward.
pub fn config_path(flag: Option<&Path>, env: Env<'_>, cwd: &Path) -> Result<PathBuf, UserError> {
    config_location(flag, env, cwd)?.ok_or_else(|| {
        UserError::new(format!(
            "no {} found in `{}` or any folder above it",
            config::CONFIG_FILE,
            cwd.display()
        ))
        .hint("run `pqg init` to write one, or pass --config FILE")
    })
}

/// The config file to load: `--config`, else `PQG_CONFIG`, else the nearest
/// `gates.toml` upward; `None` when there is none (and none was named).
pub fn config_location(
    flag: Option<&Path>,
    env: Env<'_>,
    cwd: &Path,
) -> Result<Option<PathBuf>, UserError> {
    let explicit = flag
        .map(Path::to_path_buf)
        .or_else(|| env("PQG_CONFIG").map(PathBuf::from));
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

/// The stage: `--stage`, then `PQG_STAGE`, then `settings.default_stage`,
/// then the lowest stage of the ladder.
pub fn stage(config: &Config, flag: Option<&str>, env: Env<'_>) -> Result<StageIdx, UserError> {
    if let Some(name) = flag {
        return config.stage(name).map_err(|e| UserError {
            message: format!("--stage: {}", e.message),
            ..e
        });
    }
    if let Some(name) = env("PQG_STAGE") {
        return config.stage(&name).map_err(|e| UserError {
            message: format!("PQG_STAGE: {}", e.message),
            ..e
        });
    }
    Ok(config
        .settings
        .default_stage
        .unwrap_or_else(|| config.ladder.lowest()))
}

/// Parallel slots: `--jobs`, then `PQG_JOBS`, then `settings.jobs`; 0 means
/// one per core.
pub fn jobs(config: &Config, flag: Option<usize>, env: Env<'_>) -> Result<usize, UserError> {
    let from_env = env("PQG_JOBS")
        .map(|v| {
            v.trim().parse::<usize>().map_err(|_| {
                UserError::new(format!("PQG_JOBS must be a whole number, found `{v}`"))
                    .hint("0 means one job per core")
            })
        })
        .transpose()?;
    let jobs = flag.or(from_env).or(config.settings.jobs).unwrap_or(0);
    Ok(if jobs == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        jobs
    })
}

/// The cache folder: `PQG_CACHE_DIR`, then `settings.cache_dir`, relative to
/// the config's folder.
pub fn cache_dir(config: &Config, env: Env<'_>) -> PathBuf {
    let dir = env("PQG_CACHE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| config.settings.cache_dir.clone());
    config.root.join(dir)
}

/// Whether to colour a stream: `--color`, then `NO_COLOR`, then whether it
/// is a terminal.
pub fn color(choice: ColorChoice, env: Env<'_>, is_terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => env("NO_COLOR").is_none() && is_terminal,
    }
}

/// Whether to draw progress: never under `CI`, `-q` or `--progress never`,
/// and only on a terminal.
pub fn progress(
    choice: ProgressChoice,
    quiet: bool,
    env: Env<'_>,
    stderr_is_terminal: bool,
) -> bool {
    choice == ProgressChoice::Auto && !quiet && env("CI").is_none() && stderr_is_terminal
}

/// The gates to skip named by `PQG_SKIP`.
pub fn env_skip(env: Env<'_>) -> Vec<String> {
    env("PQG_SKIP")
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// `--only`, `--skip` and `PQG_SKIP` together.
pub fn filters(args: &CheckArgs, env: Env<'_>) -> Filters {
    let clean = |v: &[String]| -> Vec<String> {
        v.iter()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    };
    Filters {
        only: clean(&args.only),
        skip: clean(&args.skip),
        env_skip: env_skip(env),
        changed: None,
        shard: None,
    }
}

/// `--shard K/N`: 1 ≤ K ≤ N.
pub fn shard(spec: &str) -> Result<(usize, usize), UserError> {
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
pub fn report_target(spec: &str) -> Result<(Format, PathBuf), UserError> {
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
pub fn format_names() -> Vec<String> {
    let mut names: Vec<String> = Format::value_variants()
        .iter()
        .filter_map(|f| f.to_possible_value())
        .map(|v| v.get_name().to_owned())
        .collect();
    names.sort();
    names
}

/// The stage an installed hook checks: `--stage` (which must name a stage
/// of the config, or at least be a valid name when there is none), else
/// `settings.default_stage`, else `development` when the ladder has it,
/// else its lowest stage; `development` without a config.
pub fn hook_stage(config: Option<&Config>, flag: Option<&str>) -> Result<String, UserError> {
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

/// Whether to leave GitHub annotations out: `--no-annotations`, else
/// `PQG_NO_ANNOTATIONS` (anything but empty, `0`, `false`, `no`, `off`, `n`
/// or `f`, in any case).
pub fn no_annotations(flag: bool, env: Env<'_>) -> bool {
    flag || env("PQG_NO_ANNOTATIONS").is_some_and(|v| {
        !["n", "no", "f", "false", "off", "0"].contains(&v.to_lowercase().as_str())
    })
}

/// Whether pqg runs under GitHub Actions (`GITHUB_ACTIONS=true`).
pub fn github_actions(env: Env<'_>) -> bool {
    env("GITHUB_ACTIONS").as_deref() == Some("true")
}

/// The file GitHub Actions shows as the step's summary
/// (`GITHUB_STEP_SUMMARY`), if set and not empty.
pub fn step_summary() -> Option<OsString> {
    std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty())
}

/// The width to draw tables at: on a terminal, `COLUMNS`, else 120; none
/// off a terminal.
pub fn terminal_width(env: Env<'_>, is_terminal: bool) -> Option<u16> {
    if !is_terminal {
        return None;
    }
    env("COLUMNS").and_then(|c| c.parse().ok()).or(Some(120))
}

/// The cache signing key (`PQG_CACHE_SIGNING_KEY`), if set and not empty.
/// (An empty value is what CI gives for a missing secret: `import
/// --require-signature` refuses to run without a real key.)
pub fn signing_key() -> Option<Vec<u8>> {
    std::env::var_os(SIGNING_KEY_VAR)
        .filter(|v| !v.is_empty())
        .map(|v| v.into_encoded_bytes())
}

/// The log level `PQG_LOG` asks for (`info`, `debug` or `trace`); `-v`
/// beats it.
pub fn log_level(verbose: u8, env: Env<'_>) -> crate::log::Level {
    use crate::log::Level;
    match verbose {
        0 => match env("PQG_LOG").as_deref() {
            Some("debug") | Some("trace") => Level::Debug,
            Some("info") => Level::Info,
            _ => Level::Off,
        },
        1 => Level::Info,
        _ => Level::Debug,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> Config {
        Config::parse(Path::new("gates.toml"), text).unwrap()
    }

    #[test]
    fn flag_beats_env_beats_file_beats_default() {
        let with_default =
            config("[settings]\ndefault_stage='staging'\njobs=3\n[gates.a]\nrun='true'\n");
        let env_dev = |n: &str| (n == "PQG_STAGE").then(|| "development".to_owned());
        let no_env = |_: &str| None;
        assert_eq!(
            stage(&with_default, Some("production"), &env_dev).unwrap(),
            StageIdx(3)
        );
        assert_eq!(stage(&with_default, None, &env_dev).unwrap(), StageIdx(1));
        assert_eq!(stage(&with_default, None, &no_env).unwrap(), StageIdx(2));
        let plain = config("[gates.a]\nrun='true'\n");
        assert_eq!(stage(&plain, None, &no_env).unwrap(), StageIdx(0));

        let env_jobs = |n: &str| (n == "PQG_JOBS").then(|| "5".to_owned());
        assert_eq!(jobs(&with_default, Some(2), &env_jobs).unwrap(), 2);
        assert_eq!(jobs(&with_default, None, &env_jobs).unwrap(), 5);
        assert_eq!(jobs(&with_default, None, &no_env).unwrap(), 3);
    }

    #[test]
    fn bad_env_values_name_their_origin() {
        let c = config("[gates.a]\nrun='true'\n");
        let env = |n: &str| (n == "PQG_JOBS").then(|| "many".to_owned());
        let err = jobs(&c, None, &env).unwrap_err();
        assert!(err.message.contains("PQG_JOBS"), "{}", err.message);
        let env = |n: &str| (n == "PQG_STAGE").then(|| "prod".to_owned());
        let err = stage(&c, None, &env).unwrap_err();
        assert!(
            err.message.starts_with("PQG_STAGE: unknown stage `prod`"),
            "{}",
            err.message
        );
    }

    #[test]
    fn no_color_and_ci_are_honoured() {
        let no_color = |n: &str| (n == "NO_COLOR").then(|| "1".to_owned());
        let ci = |n: &str| (n == "CI").then(|| "true".to_owned());
        let none = |_: &str| None;
        assert!(!color(ColorChoice::Auto, &no_color, true));
        assert!(color(ColorChoice::Always, &no_color, false));
        assert!(color(ColorChoice::Auto, &none, true));
        assert!(!progress(ProgressChoice::Auto, false, &ci, true));
        assert!(progress(ProgressChoice::Auto, false, &none, true));
        assert!(!progress(ProgressChoice::Auto, false, &none, false));
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
        let set =
            |v: &'static str| move |n: &str| (n == "PQG_NO_ANNOTATIONS").then(|| v.to_owned());
        assert!(no_annotations(true, &|_| None));
        assert!(!no_annotations(false, &|_| None));
        assert!(no_annotations(false, &set("1")));
        assert!(no_annotations(false, &set("yes")));
        assert!(!no_annotations(false, &set("0")));
        assert!(!no_annotations(false, &set("OFF")));
    }
}
