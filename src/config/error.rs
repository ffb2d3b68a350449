//! How config errors are worded: serde's messages made friendly, and the
//! bounds a number must stay within.
//!
//! Every error of this module points at what the user wrote; the helpers
//! here only build the message and hint. They never decide whether a config
//! is valid beyond the check they are given.

use crate::diag::{did_you_mean, Source, UserError};
use std::fmt;

/// Turns a TOML or serde error into a user error with a hint.
pub(super) fn toml_error(source: &Source, err: &toml::de::Error) -> UserError {
    let message = err.message().trim().to_owned();
    let (message, hint) = explain_serde_message(&message);
    let mut user = UserError::new(message).maybe_hint(hint);
    if let Some(span) = err.span() {
        user = user.at(source, span);
    }
    user
}

fn explain_serde_message(message: &str) -> (String, Option<String>) {
    let quoted =
        |s: &str| -> Vec<String> { s.split('`').skip(1).step_by(2).map(str::to_owned).collect() };
    if let Some(rest) = message.strip_prefix("unknown field ") {
        let names = quoted(rest);
        if let Some((found, expected)) = names.split_first() {
            let hint = did_you_mean(found, expected.iter().map(String::as_str))
                .or_else(|| Some(format!("known keys here: {}", expected.join(", "))));
            return (format!("unknown key `{found}`"), hint);
        }
    }
    if message.starts_with("invalid type") {
        return (
            message.to_owned(),
            Some("check the type of this value".into()),
        );
    }
    if message.starts_with("missing field") {
        return (message.replace("missing field", "missing key"), None);
    }
    (
        message.to_owned(),
        Some("see gates.example.toml for the syntax of each key".to_owned()),
    )
}

/// What is wrong with a glob globset refused, and how to write it instead:
/// `(problem, hint)`.
pub(super) fn explain_glob_error(err: &globset::Error) -> (String, String) {
    use globset::ErrorKind;
    let literal = "to match the character itself, put it in brackets: `[[]`, `[{]`, `[}]`";
    match err.kind() {
        ErrorKind::UnclosedClass => (
            "a `[` class is never closed".to_owned(),
            format!("`[` opens a set of characters such as `[a-z]`: close it with `]`; {literal}"),
        ),
        ErrorKind::InvalidRange(lo, hi) => (
            format!("the range `{lo}-{hi}` goes backwards"),
            format!("a range goes from the lower character to the higher: `[{hi}-{lo}]`"),
        ),
        ErrorKind::UnopenedAlternates => (
            "a `}` closes no `{` group".to_owned(),
            format!("`{{a,b}}` matches either `a` or `b`; {literal}"),
        ),
        ErrorKind::UnclosedAlternates => (
            "a `{` group is never closed".to_owned(),
            format!("`{{a,b}}` matches either `a` or `b`: close it with `}}`; {literal}"),
        ),
        ErrorKind::DanglingEscape => (
            "it ends with a lone `\\`".to_owned(),
            "`\\` escapes the character after it: remove it, or write `\\\\` for a backslash"
                .to_owned(),
        ),
        other => (
            other.to_string(),
            "globs use `*` (within a folder), `**` (any folders), `?`, `[abc]` and `{a,b}`"
                .to_owned(),
        ),
    }
}

/// A number as written in gates.toml, that a [`Bounds`] can check.
pub(super) trait Number: Copy + PartialOrd + Default + fmt::Display {
    /// Whether the value is a real number (not NaN or infinite).
    fn is_finite(self) -> bool;
}

impl Number for i64 {
    fn is_finite(self) -> bool {
        true
    }
}

impl Number for f64 {
    fn is_finite(self) -> bool {
        f64::is_finite(self)
    }
}

impl Number for usize {
    fn is_finite(self) -> bool {
        true
    }
}

/// The bounds a number must stay within. It is the one range check of the
/// config, and words the error the same way wherever it is used.
#[derive(Debug, Clone, Copy)]
pub(super) enum Bounds<T> {
    /// From `lo` to `hi`, both included: "must be 0–100".
    Between(T, T),
    /// Zero or more: "must be 0 or more".
    NonNegative,
    /// From `lo` upward: "must be at least 1".
    AtLeast(T),
}

impl<T: Number> Bounds<T> {
    /// Whether `value` is within the bounds (never when NaN or infinite).
    pub(super) fn contains(self, value: T) -> bool {
        value.is_finite()
            && match self {
                Bounds::Between(lo, hi) => lo <= value && value <= hi,
                Bounds::NonNegative => value >= T::default(),
                Bounds::AtLeast(lo) => value >= lo,
            }
    }

    /// `value` if within the bounds, else what was expected and found:
    /// ``must be 0–100, found `120` ``.
    pub(super) fn check(self, value: T) -> Result<T, String> {
        if self.contains(value) {
            return Ok(value);
        }
        let expected = match self {
            Bounds::Between(lo, hi) => format!("{lo}–{hi}"),
            Bounds::NonNegative => "0 or more".to_owned(),
            Bounds::AtLeast(lo) => format!("at least {lo}"),
        };
        Err(format!("must be {expected}, found `{value}`"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_word_what_was_expected() {
        assert_eq!(
            Bounds::Between(0.0, 100.0).check(120.0).unwrap_err(),
            "must be 0–100, found `120`"
        );
        assert_eq!(
            Bounds::NonNegative.check(-1_i64).unwrap_err(),
            "must be 0 or more, found `-1`"
        );
        assert_eq!(
            Bounds::AtLeast(1_i64).check(0).unwrap_err(),
            "must be at least 1, found `0`"
        );
        assert_eq!(Bounds::Between(0_i64, 100).check(100), Ok(100));
    }

    #[test]
    fn bounds_reject_what_is_not_a_number() {
        assert!(!Bounds::NonNegative.contains(f64::INFINITY));
        assert!(!Bounds::NonNegative.contains(f64::NAN));
        assert!(!Bounds::Between(0.0, 8.0).contains(f64::NAN));
    }
}
