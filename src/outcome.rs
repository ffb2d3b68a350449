//! How a command ended, and the exit code that says so (DESIGN §4).
//!
//! Every command gives back an [`Outcome`]; `main` alone turns it into the
//! process's exit code, and the reports record the same number through
//! [`Outcome::exit_code`]. An error is not an outcome: `main` maps it
//! through `diag::print_and_code` (2 usage or config, 3 internal). This
//! module imports nothing of pqg's and must never print.

/// How a command ended. For commands that only do their work (list, init,
/// schema, …) that is [`Outcome::Passed`]; a stage's verdict maps onto it
/// through `judge::StageOutcome::ending`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The command did its work; the stage passed. Exit 0.
    Passed,
    /// The stage failed. Exit 1.
    Failed,
    /// The run stopped on a signal (SIGINT, SIGTERM, SIGHUP, SIGQUIT). Exit 128 + signal:
    /// 130 or 143.
    Interrupted {
        /// The signal's number.
        signal: i32,
    },
}

impl Outcome {
    /// The exit code this outcome deserves: 0, 1, or 128 + the signal.
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Passed => 0,
            Outcome::Failed => 1,
            Outcome::Interrupted { signal } => u8::try_from(128 + signal).unwrap_or(130),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_designs() {
        assert_eq!(Outcome::Passed.exit_code(), 0);
        assert_eq!(Outcome::Failed.exit_code(), 1);
        assert_eq!(Outcome::Interrupted { signal: 2 }.exit_code(), 130);
        assert_eq!(Outcome::Interrupted { signal: 15 }.exit_code(), 143);
    }
}
