//! Built-in checks (DESIGN §9): native code, parallel over files, no
//! external tool.
//!
//! A builtin is given a list of files (the gate's inputs) and returns
//! [`Finding`]s and notes. It reads each file at most once, never follows a
//! symlink, never opens anything but a regular file (a FIFO cannot hang it),
//! skips binary files (a NUL byte in the first 8000 bytes, as git decides)
//! and files over [`MAX_SCAN_BYTES`], which get a note instead of being
//! loaded. Whether the findings fail the gate is the judge's business: they
//! become the `findings` metric.
//!
//! The parts: `check` (the parallel driver and the dispatch to each check),
//! `scan` (reading a file), `finding` and `outcome` (what is reported),
//! `lines` (offsets to lines and columns), and one module per check:
//! `secrets`, `conflicts`, `large_files`, `forbidden`, `syntax`.

mod check;
mod conflicts;
mod finding;
mod forbidden;
mod large_files;
mod lines;
mod outcome;
mod scan;
pub(crate) mod secrets;
mod syntax;

pub(crate) use crate::config::builtin_options::{Kind, Matcher, Pattern, Spec};
pub(crate) use check::{execute, execute_with, ContentScan, Prescanned};
pub(crate) use finding::{Finding, RuleInfo};
pub(crate) use outcome::{new_code_output, Outcome};

/// The profile `pqg check` runs when no gates.toml is found (DESIGN §9).
pub(crate) const DEFAULT_PROFILE: &str = r#"
[gates.secrets]
description = "no credentials or private keys in the files"
builtin = "secrets"

[gates.conflict-markers]
description = "no merge conflict markers left in the files"
builtin = "conflict-markers"

[gates.large-files]
description = "no file larger than 1 MiB"
builtin = "large-files"

[gates.syntax]
description = "JSON, TOML and YAML files parse"
builtin = "syntax"
"#;
