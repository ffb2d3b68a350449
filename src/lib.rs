//! pqg: progressive quality gates.
//!
//! Data flows one way: config → plan → run → judge → report → exit code
//! (DESIGN §1). Each module imports only the ones below it; README's
//! "Architecture" lists them in that order and `tests/architecture.rs` holds
//! the crate to it.
//!
//! The library exists for the binary, the benchmarks and the fuzz targets:
//! it exports what they drive and nothing else, so a `pub` item nobody uses
//! surfaces as dead code instead of hiding behind `pub mod`.

// Outside tests an unwrap is a panic waiting for a user (STYLE.md); tests
// may state their assumptions with it (clippy.toml).
#![warn(clippy::unwrap_used)]

mod baseline;
mod builtin;
mod cache;
pub mod cli;
mod commands;
mod config;
mod diag;
mod files;
mod fmt;
mod git;
mod judge;
#[doc(hidden)]
pub mod log;
mod outcome;
pub mod parsers;
mod pipeline;
mod plan;
mod report;
mod run;
mod schema;
mod settings;
mod sys;

pub use commands::run as run_command;
pub use diag::print_and_code;
pub use outcome::Outcome;
pub use settings::{Environment, Settings};

/// What the benchmarks and fuzz targets drive directly, below the commands.
pub mod api {
    pub use crate::config::Config;
    pub use crate::files::snapshot::{FileEntry, Mode, Snapshot};
    pub use crate::files::{hash::ContentTap, index::StatIndex, list::snapshot_tree};
    pub use crate::files::{list::UntrackedUpdate, untracked::UntrackedCache};
    pub use crate::plan::{build as build_plan, Filters};

    /// The input part of each key, as a run computes it: the files of
    /// `snapshot` each glob set selects, digested; `None` for a glob set
    /// that does not compile.
    pub fn input_digests(snapshot: &Snapshot, globs: &[Vec<String>]) -> Vec<Option<[u8; 32]>> {
        globs
            .iter()
            .map(|g| {
                let filter = crate::files::filter::InputFilter::new(Some(g)).ok()?;
                Some(crate::files::hash::digest(snapshot, &filter).0.digest)
            })
            .collect()
    }
}
