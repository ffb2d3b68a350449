//! `pqg completions SHELL`: a shell completion script, generated from the
//! command line's own definition (the files under completions/ are its
//! output).

use super::{to_stdout, Context, Outcome};
use crate::cli::Cli;
use clap::CommandFactory;
use std::io::Write;

/// `pqg completions SHELL`.
pub(super) fn run(_ctx: &Context, shell: clap_complete::Shell) -> anyhow::Result<Outcome> {
    // clap_complete panics when its writer fails: it writes into memory,
    // and the one write that can fail is ours.
    let mut script = Vec::new();
    write_completions(shell, &mut script);
    to_stdout(|out| out.write_all(&script))?;
    Ok(Outcome::Passed)
}

/// Writes the completion script for `shell`; also used to generate the
/// committed files under `completions/`.
pub(crate) fn write_completions(shell: clap_complete::Shell, out: &mut impl Write) {
    clap_complete::generate(shell, &mut Cli::command(), "pqg", out);
}
