//! `pqg schema`: a JSON Schema of gates.toml, for editors.

use super::{Context, Outcome};
use std::io::{self, Write};

/// `pqg schema`.
pub(super) fn run(_ctx: &Context) -> anyhow::Result<Outcome> {
    let mut out = io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &crate::schema::schema())?;
    writeln!(out)?;
    Ok(Outcome::Passed)
}
