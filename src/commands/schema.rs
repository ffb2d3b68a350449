//! `pqg schema`: a JSON Schema of gates.toml, for editors.

use super::{to_stdout, Context, Outcome};
use std::io::Write;

/// `pqg schema`.
pub(super) fn run(_ctx: &Context) -> anyhow::Result<Outcome> {
    to_stdout(|out| {
        serde_json::to_writer_pretty(&mut *out, &crate::schema::schema())?;
        writeln!(out)
    })?;
    Ok(Outcome::Passed)
}
