//! `pqg validate`: load the config, print its warnings and a one-line
//! summary. A config that does not load is an error, as everywhere.
//!
//! Beyond what loading checks, validate lists the files (one `git ls-files`)
//! to warn about an `inputs` pattern that matches none of them: a typo there
//! makes a gate's cache key blind to what it reads. `pqg check` never pays
//! for this listing twice; only validate does it.

use super::{render_warning, Context, Outcome};
use crate::config::{Config, ConfigWarning};
use crate::files::filter::InputFilter;
use crate::files::list::list_files;
use crate::files::root::absolute;
use std::path::Path;

/// `pqg validate`.
pub(super) fn run(ctx: &Context) -> anyhow::Result<Outcome> {
    let config = ctx.config()?;
    let mut warnings = config.warnings.clone();
    let cache_dir = &ctx.config_settings()?.cache_dir;
    if let Err(shared) = crate::cache::shares_no_inputs(&config.root, cache_dir) {
        warnings.push(ConfigWarning {
            message: match &shared.hint {
                Some(hint) => format!("{}; {hint}", shared.message),
                None => shared.message,
            },
            span: None,
        });
    }
    warnings.extend(unmatched_inputs(config, cache_dir));
    warnings.extend(symlinked_places(config));
    let color = ctx.stderr_color();
    for warning in &warnings {
        eprint!("{}", render_warning(config, warning, color));
    }
    let stages: Vec<&str> = config.ladder.names().collect();
    outln!(
        "{}: ok · {} gates · stages {} · {} warning{}",
        config.path.display(),
        config.gates.len(),
        stages.join(" → "),
        warnings.len(),
        if warnings.len() == 1 { "" } else { "s" }
    );
    Ok(Outcome::Passed)
}

/// A warning for each gate whose inputs or `cwd` go through a symlink: its
/// result cannot be keyed exactly, so it is never cached.
fn symlinked_places(config: &Config) -> Vec<ConfigWarning> {
    let root = absolute(&config.root);
    config
        .gates
        .iter()
        .filter_map(|gate| {
            let why =
                crate::files::filter::through_symlink(&root, gate.inputs.as_deref(), &gate.cwd)?;
            Some(ConfigWarning {
                message: format!("gate `{}`: {why}; its result is never cached", gate.id),
                span: None,
            })
        })
        .collect()
}

/// A warning at each `inputs` pattern (not a `!` exclusion) that matches no
/// file pqg would list. A pattern whose fixed part names a place git
/// ignores (DESIGN §3) is looked up on disk there before it is warned about.
fn unmatched_inputs(config: &Config, cache_dir: &Path) -> Vec<ConfigWarning> {
    if config.gates.iter().all(|g| g.inputs.is_none()) {
        return Vec::new();
    }
    let root = absolute(&config.root);
    let globs: Vec<&str> = config
        .gates
        .iter()
        .flat_map(|g| crate::files::filter::placed_globs(g.inputs.as_deref()))
        .collect();
    let files = match list_files(&root, &absolute(cache_dir), &globs) {
        Ok(files) => files,
        Err(e) => {
            return vec![ConfigWarning {
                message: format!("cannot list the files to check `inputs` against: {e:#}"),
                span: None,
            }]
        }
    };
    let mut warnings = Vec::new();
    for gate in &config.gates {
        let globs = gate.inputs.iter().flatten();
        for (glob, span) in globs.zip(&gate.input_spans) {
            if glob.starts_with('!') {
                continue;
            }
            let Ok(filter) = InputFilter::new(Some(std::slice::from_ref(glob))) else {
                continue;
            };
            if files.iter().any(|f| filter.matches(f)) || names_an_ignored_place(&root, glob) {
                continue;
            }
            warnings.push(ConfigWarning {
                message: format!(
                    "gate `{}`: input `{glob}` matches no file: a typo? (fine for a file that may appear later)",
                    gate.id
                ),
                span: Some(span.clone()),
            });
        }
    }
    warnings
}

/// Whether `glob` starts with a fixed folder or file name and matches a file
/// on disk from there: a place the git listing leaves out (ignored), that
/// naming it makes count (DESIGN §3). A pattern that starts with a glob
/// character is not looked up: the listing is all it can match.
fn names_an_ignored_place(root: &Path, glob: &str) -> bool {
    let glob = glob.trim_start_matches("./");
    let fixed = glob
        .split('/')
        .next()
        .is_some_and(|first| !first.is_empty() && !first.contains(['*', '?', '[', '{']));
    fixed && crate::parsers::expand(root, glob).is_ok_and(|found| !found.is_empty())
}
