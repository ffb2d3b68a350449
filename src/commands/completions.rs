//! `pqg completions SHELL`: a shell completion script, generated from the
//! command line's own definition (the files under completions/ are its
//! output).

use super::{Context, Outcome};
use crate::cli::Cli;
use clap::CommandFactory;
use std::io::{self, Write};

/// `pqg completions SHELL`.
pub(super) fn run(_ctx: &Context, shell: clap_complete::Shell) -> anyhow::Result<Outcome> {
    let mut out = io::stdout().lock();
    write_completions(shell, &mut out);
    Ok(Outcome::Passed)
}

/// Writes the completion script for `shell`; also used to generate the
/// committed files under `completions/`.
pub(crate) fn write_completions(shell: clap_complete::Shell, out: &mut impl Write) {
    clap_complete::generate(shell, &mut Cli::command(), "pqg", out);
}
