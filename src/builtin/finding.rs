//! What a builtin reports: a [`Finding`] at a place in a file, the
//! [`RuleInfo`] list SARIF names, and the fingerprint an `allow` entry
//! names.
//!
//! A finding is dropped here, never later, when its line holds
//! [`ALLOW_MARKER`] or its fingerprint is allowed. This module reads no
//! file and decides no status.

use super::lines::LineIndex;
use super::secrets::Scanner;
use super::{syntax, Kind, Spec};
use serde::{Deserialize, Serialize};

/// The marker that allows a finding on its line.
pub(crate) const ALLOW_MARKER: &[u8] = b"pqg:allow";

impl Spec {
    /// The rules this builtin can report, for SARIF's rule list.
    pub fn rules(&self) -> Vec<RuleInfo> {
        match self.kind {
            Kind::Secrets => Scanner::rule_infos(&self.rules),
            Kind::ConflictMarkers => vec![RuleInfo::new(
                "conflict-marker",
                "merge conflict marker left in a file",
            )],
            Kind::LargeFiles => vec![RuleInfo::new("large-file", "file larger than the limit")],
            Kind::Forbidden => self
                .patterns
                .iter()
                .map(|p| RuleInfo::new(&p.id, &p.message))
                .collect(),
            Kind::Syntax => syntax::RULES
                .iter()
                .map(|(id, d)| RuleInfo::new(id, d))
                .collect(),
        }
    }
}

/// A rule's id and one-line description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleInfo {
    pub id: String,
    pub description: String,
}

impl RuleInfo {
    /// A rule of this id and description.
    pub(super) fn new(id: &str, description: &str) -> RuleInfo {
        RuleInfo {
            id: id.to_owned(),
            description: description.to_owned(),
        }
    }
}

/// One thing a builtin found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Finding {
    /// Relative to the config's folder, with `/`.
    pub file: String,
    /// 1-based; absent when the finding is about the whole file.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub line: Option<u32>,
    /// 1-based, in characters.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub column: Option<u32>,
    pub rule: String,
    pub message: String,
    /// A hash of the rule and the matched text, never of the position: what
    /// an `allow` entry names.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub fingerprint: Option<String>,
}

impl Finding {
    /// `file:line:col`, or the file alone, for text: a name holding a
    /// control character (a newline would forge a finding line of its
    /// own), `"` or `\\` is quoted as git quotes it. A name that is not
    /// UTF-8 comes quoted already (see `check::tally`) and holds no control
    /// character; it stays as it is.
    pub(crate) fn location(&self) -> String {
        let pre_quoted = self.file.len() >= 2
            && self.file.starts_with('"')
            && self.file.ends_with('"')
            && !self.file.chars().any(char::is_control);
        let file = if pre_quoted {
            std::borrow::Cow::Borrowed(self.file.as_str())
        } else {
            crate::sys::name::display(&self.file)
        };
        match (self.line, self.column) {
            (Some(l), Some(c)) => format!("{file}:{l}:{c}"),
            (Some(l), None) => format!("{file}:{l}"),
            _ => file.into_owned(),
        }
    }
}

/// The fingerprint of a finding: a hash of the rule and the matched text.
pub(crate) fn fingerprint(rule: &str, matched: &[u8]) -> String {
    let mut h = blake3::Hasher::new();
    h.update(b"pqg-fingerprint-1\0");
    h.update(rule.as_bytes());
    h.update(b"\0");
    h.update(matched);
    h.finalize().to_hex()[..32].to_owned()
}

/// The secret as shown: its first 4 characters, then `…`.
pub(crate) fn mask(secret: &[u8]) -> String {
    let text = String::from_utf8_lossy(secret);
    let head: String = text.chars().take(4).collect();
    format!("{head}…")
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(haystack, needle).is_some()
}

/// The finding of `rule` at `span`, unless its line holds `pqg:allow` or
/// its fingerprint (of the rule and the matched text) is in `allow`.
pub(super) fn unless_allowed(
    lines: &mut LineIndex<'_>,
    allow: &[String],
    rel: &str,
    rule: &str,
    span: std::ops::Range<usize>,
    message: impl FnOnce() -> String,
) -> Option<Finding> {
    unless_allowed_at(lines, allow, rel, rule, span.start, span, message)
}

/// [`unless_allowed`], reporting the finding (and reading `pqg:allow`) at
/// byte `at` rather than where the matched text starts.
pub(super) fn unless_allowed_at(
    lines: &mut LineIndex<'_>,
    allow: &[String],
    rel: &str,
    rule: &str,
    at: usize,
    span: std::ops::Range<usize>,
    message: impl FnOnce() -> String,
) -> Option<Finding> {
    let (line, column, text) = lines.locate(at);
    if contains(text, ALLOW_MARKER) {
        return None;
    }
    let fp = fingerprint(rule, &lines.content()[span]);
    if allow.iter().any(|a| a == &fp) {
        return None;
    }
    Some(Finding {
        file: rel.to_owned(),
        line: Some(line),
        column: Some(column),
        rule: rule.to_owned(),
        message: message(),
        fingerprint: Some(fp),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_keep_four_characters() {
        assert_eq!(mask(b"ghp_abcdef"), "ghp_…");
        assert_eq!(mask("ééééé".as_bytes()), "éééé…");
    }

    #[test]
    fn fingerprints_depend_on_rule_and_secret_only() {
        assert_eq!(fingerprint("r", b"s"), fingerprint("r", b"s"));
        assert_ne!(fingerprint("r", b"s"), fingerprint("q", b"s"));
        assert_ne!(fingerprint("r", b"s"), fingerprint("r", b"t"));
    }
}
