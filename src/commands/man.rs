//! `pqg man`: pqg's man page, in roff, rendered from the command line's
//! own definition.

use super::{ignore_broken_pipe, Context, Outcome};
use crate::cli::Cli;
use clap::CommandFactory;
use std::io;

/// `pqg man`.
pub(super) fn run(_ctx: &Context) -> anyhow::Result<Outcome> {
    let mut out = io::stdout().lock();
    ignore_broken_pipe(clap_mangen::Man::new(Cli::command()).render(&mut out))?;
    Ok(Outcome::Passed)
}
