//! The one place that decides flag > environment > config file > default.
//!
//! Every setting with more than one origin is resolved here, and an invalid
//! value from any origin is a user error that names the origin. Nothing here
//! runs a gate.

use crate::cli::{CheckArgs, ColorChoice, Format, ProgressChoice};
use crate::config::{self, Config, StageIdx};
use crate::diag::UserError;
use crate::plan::Filters;
use std::path::{Path, PathBuf};

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
    let format = match format {
        "json" => Format::Json,
        "table" => Format::Table,
        "sarif" => Format::Sarif,
        "jsonl" => Format::Jsonl,
        "junit" => Format::Junit,
        "markdown" => Format::Markdown,
        "github" => Format::Github,
        "prometheus" => Format::Prometheus,
        other => return Err(
            UserError::new(format!("unknown report format `{other}`")).hint(
                "the formats are: github, json, jsonl, junit, markdown, prometheus, sarif, table",
            ),
        ),
    };
    Ok((format, PathBuf::from(path)))
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
}
