//! `pqg man`: pqg's man page, in roff, rendered from the command line's
//! own definition.

use super::{to_stdout, Context, Outcome};
use crate::cli::Cli;
use clap::CommandFactory;

/// `pqg man`.
pub(super) fn run(_ctx: &Context) -> anyhow::Result<Outcome> {
    to_stdout(|out| clap_mangen::Man::new(Cli::command()).render(out))?;
    Ok(Outcome::Passed)
}
