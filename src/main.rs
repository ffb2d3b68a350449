//! The `pqg` binary: parse the command line, run, choose the exit code.
//!
//! The one place an exit code is chosen: from the command's
//! [`Outcome`](pqg::Outcome), or from its error
//! (`diag::print_and_code`), or 3 for a panic.

use pqg::cli::Cli;
use pqg::{Environment, Settings};
use std::io::Write as _;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU8, Ordering};

/// The exit code of a panic that was std's `println!` failing, not a bug:
/// 0 for a reader that went away, 2 for a stdout that refused; `u8::MAX`
/// while no such panic happened.
static PRINT_FAILED: AtomicU8 = AtomicU8::new(u8::MAX);

fn main() -> ExitCode {
    // No panic reaches a user as a backtrace: it becomes an internal error.
    // Output goes through pqg's own writers, which turn a refused write
    // into an error; a `println!` left anywhere still must not call a
    // closed pipe or a full disk a bug in pqg. Nothing here may panic
    // again when stderr is what failed.
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        let mut stderr = std::io::stderr().lock();
        if let Some(why) = message.strip_prefix("failed printing to stdout: ") {
            if why.starts_with("Broken pipe") {
                PRINT_FAILED.store(0, Ordering::SeqCst);
            } else {
                PRINT_FAILED.store(2, Ordering::SeqCst);
                let _ = writeln!(stderr, "error: cannot write to stdout: {why}");
            }
            return;
        }
        if message.starts_with("failed printing to stderr: ") {
            PRINT_FAILED.store(2, Ordering::SeqCst);
            return;
        }
        let _ = writeln!(stderr, "internal error: {info}");
        let _ = writeln!(
            stderr,
            "this is a bug in pqg; please report it with the command you ran"
        );
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
        Err(_) => match PRINT_FAILED.load(Ordering::SeqCst) {
            u8::MAX => ExitCode::from(3),
            code => ExitCode::from(code),
        },
    }
}
