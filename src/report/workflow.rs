//! Gate output shown on stdout under GitHub Actions cannot issue workflow
//! commands (DESIGN §11). The runner reads every line of a step's output:
//! one that starts with `::` (after blanks) is a command, and so is a
//! `##[name]` anywhere in a line (the legacy form); a carriage return
//! starts a line as well as a newline does. A gate printing
//! `::stop-commands::x` would silence pqg's own annotations after it, one
//! printing `::error file=…::` would forge one.
//!
//! The report text is guarded after rendering, so no format has to think
//! about it: a line that would be a command gets a zero-width space in
//! front (invisible, and not a blank the runner skips), and `##[` gets one
//! inside. JSON is guarded without changing a value: `##[` is written
//! `#\u0023[`, which reads back as the same text. pqg's own annotations
//! (`--format github`) are never passed through here.

use crate::fmt::plain_text;
use std::borrow::Cow;

/// What breaks a workflow command without showing: U+200B, which is not
/// white space for the runner's trim.
const BREAK: char = '\u{200B}';

/// `text` (a rendered report in a text format) with no line the runner
/// would read as a workflow command.
pub(crate) fn guard_text(text: &str) -> Cow<'_, str> {
    if !text.contains("::") && !text.contains("##[") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for segment in text.split_inclusive(['\n', '\r']) {
        let shown = plain_text(segment);
        if shown.trim_start().starts_with("::") {
            out.push(BREAK);
        }
        out.push_str(&segment.replace("##[", "##\u{200B}["));
    }
    Cow::Owned(out)
}

/// `json` (a JSON document or JSON lines) with no legacy `##[` command in
/// it, and the same value: JSON strings cannot start a line, so `##[` is
/// all there is to guard.
pub(crate) fn guard_json(json: &str) -> Cow<'_, str> {
    if json.contains("##[") {
        Cow::Owned(json.replace("##[", "#\\u0023["))
    } else {
        Cow::Borrowed(json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_that_would_be_commands_are_broken() {
        let text = "ok\n::stop-commands::x\n  ::error file=a::forged\nx\r::warning::y\n";
        let guarded = guard_text(text);
        for line in guarded.split(['\n', '\r']) {
            assert!(!line.trim_start().starts_with("::"), "{line:?}");
        }
        assert_eq!(guarded.replace(BREAK, ""), text);
        assert_eq!(guard_text("a ##[error]b"), "a ##\u{200B}[error]b");
        assert_eq!(
            guard_text("\x1b[31m::error::x"),
            "\u{200B}\x1b[31m::error::x"
        );
        assert!(matches!(guard_text("a: b"), Cow::Borrowed(_)));
    }

    #[test]
    fn json_keeps_its_value() {
        let json = serde_json::json!({"output": "a ##[error]b\n::error::c"}).to_string();
        let guarded = guard_json(&json);
        assert!(!guarded.contains("##["));
        let back: serde_json::Value = serde_json::from_str(&guarded).unwrap();
        assert_eq!(back["output"], "a ##[error]b\n::error::c");
    }
}
