//! The `pqg` binary: parse the command line, run, choose the exit code.
//!
//! The one place an exit code is chosen: from the command's
//! [`Outcome`](pqg::Outcome), or from its error
//! (`diag::print_and_code`), or 3 for a panic.

use pqg::cli::Cli;
use pqg::{Environment, Settings};
use std::process::ExitCode;

fn main() -> ExitCode {
    // No panic reaches a user as a backtrace: it becomes an internal error.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("internal error: {info}");
        eprintln!("this is a bug in pqg; please report it with the command you ran");
    }));
    let env = Environment::read();
    // clap exits 2 on bad usage
    let cli = Cli::parse_args(env.no_annotations.as_deref());
    let settings = Settings::resolve(&cli, env);
    pqg::log::init(
        settings.log_level,
        cli.log_format == pqg::cli::LogFormat::Json,
    );
    let result = std::panic::catch_unwind(|| pqg::run_command(&cli, settings));
    pqg::debug!("done");
    match result {
        Ok(Ok(outcome)) => ExitCode::from(outcome.exit_code()),
        Ok(Err(err)) => pqg::print_and_code(&err),
        Err(_) => ExitCode::from(3),
    }
}
