//! `pqg validate`: load the config, print its warnings and a one-line
//! summary. A config that does not load is an error, as everywhere.

use super::{render_warning, Context, Outcome};

/// `pqg validate`.
pub(super) fn run(ctx: &Context) -> anyhow::Result<Outcome> {
    let config = ctx.config()?;
    let color = ctx.stderr_color();
    for warning in &config.warnings {
        eprint!("{}", render_warning(config, warning, color));
    }
    let stages: Vec<&str> = config.ladder.names().collect();
    println!(
        "{}: ok · {} gates · stages {} · {} warning{}",
        config.path.display(),
        config.gates.len(),
        stages.join(" → "),
        config.warnings.len(),
        if config.warnings.len() == 1 { "" } else { "s" }
    );
    Ok(Outcome::Passed)
}
