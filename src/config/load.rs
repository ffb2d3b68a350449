//! Finding `gates.toml` and reading it into a [`Config`].
//!
//! This is the entry of the module: it reads the file, parses it into the
//! raw shape and hands that to the resolver. It never checks a key itself.

use super::error::toml_error;
use super::raw::RawConfig;
use super::resolver::Resolver;
use super::Config;
use crate::diag::{Source, UserError};
use std::path::{Path, PathBuf};

/// The config file name searched for from the current folder upward.
pub(crate) const CONFIG_FILE: &str = "gates.toml";

impl Config {
    /// Reads and checks the config at `path`.
    pub fn load(path: &Path) -> Result<Config, UserError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            UserError::new(format!("cannot read `{}`: {e}", path.display()))
                .hint("pass an existing file with --config, or run `pqg init`")
        })?;
        Config::parse(path, &text)
    }

    /// Checks config `text` as if read from `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Config, UserError> {
        let source = Source::new(path, text);
        let raw: RawConfig = toml::from_str(text).map_err(|e| toml_error(&source, &e))?;
        let root = path
            .parent()
            .map(Path::to_path_buf)
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| PathBuf::from("."));
        Resolver::new(source).resolve(raw, path, root)
    }
}

/// Finds the config: `explicit` (from `--config` or `PQG_CONFIG`) if given,
/// else the nearest `gates.toml` from `start` upward.
pub(crate) fn discover(explicit: Option<&Path>, start: &Path) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    start
        .ancestors()
        .map(|dir| dir.join(CONFIG_FILE))
        .find(|candidate| candidate.is_file())
}
