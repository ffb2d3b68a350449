//! The options of a built-in check (DESIGN §9), as the gate's table gives
//! them: which builtin, its added secret rules, allowed fingerprints, size
//! limit and forbidden patterns.
//!
//! These are plain values that config produces and `builtin` consumes; they
//! live here so that config never imports the checks. This module holds no
//! check: it never reads a file and never scans anything.

use regex::bytes::Regex;
use std::fmt::Write as _;

/// Version of the builtins' behaviour, in every builtin gate's cache key:
/// bump it when a rule or a check changes what it finds.
pub(crate) const BUILTIN_FORMAT: u32 = 1;

/// The default `max_size` of `large-files`: 1 MiB.
pub(crate) const DEFAULT_MAX_SIZE: u64 = 1 << 20;

/// The ids of the built-in `secrets` rules, which an added rule may not
/// reuse. The rules themselves are in `builtin::secrets`; a test there keeps
/// this list equal to them.
pub(crate) const BUILTIN_SECRET_RULE_IDS: [&str; 21] = [
    "aws-access-key-id",
    "aws-secret-access-key",
    "github-pat",
    "github-fine-grained-pat",
    "github-oauth",
    "github-app-token",
    "gitlab-token",
    "slack-bot-token",
    "slack-user-token",
    "slack-webhook-url",
    "stripe-key",
    "google-api-key",
    "twilio-api-key",
    "sendgrid-api-key",
    "npm-token",
    "pypi-token",
    "azure-storage-key",
    "private-key",
    "pgp-private-key",
    "jwt",
    "generic-password",
];

/// Which built-in check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Secrets,
    ConflictMarkers,
    LargeFiles,
    Forbidden,
    Syntax,
}

impl Kind {
    /// Every builtin, in the order the docs list them.
    pub const ALL: [Kind; 5] = [
        Kind::Secrets,
        Kind::ConflictMarkers,
        Kind::LargeFiles,
        Kind::Forbidden,
        Kind::Syntax,
    ];

    /// The name written in `builtin = "NAME"`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Secrets => "secrets",
            Kind::ConflictMarkers => "conflict-markers",
            Kind::LargeFiles => "large-files",
            Kind::Forbidden => "forbidden",
            Kind::Syntax => "syntax",
        }
    }

    /// The builtin called `name`, if there is one.
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// A one-line description, used when a gate has none.
    pub fn description(self) -> &'static str {
        match self {
            Kind::Secrets => "no credentials or private keys in the files",
            Kind::ConflictMarkers => "no merge conflict markers left in the files",
            Kind::LargeFiles => "no file larger than the size limit",
            Kind::Forbidden => "no forbidden patterns in the files",
            Kind::Syntax => "JSON, TOML and YAML files parse",
        }
    }
}

/// One way a credential can look.
#[derive(Debug, Clone)]
pub struct SecretRule {
    pub id: String,
    pub description: String,
    pub regex: Regex,
    /// Matched without regard to ASCII case. Empty: the regex runs on every
    /// file, which is cheap when it starts with a literal (the regex engine
    /// then searches for that literal first).
    pub keywords: Vec<String>,
    /// Minimum Shannon entropy, in bits per byte, of the secret.
    pub entropy: Option<f64>,
}

/// A pattern that `forbidden` reports, with the message shown for it.
#[derive(Debug, Clone)]
pub struct Pattern {
    pub id: String,
    pub matcher: Matcher,
    pub message: String,
}

/// What a forbidden pattern matches: plain text or a regex.
#[derive(Debug, Clone)]
pub enum Matcher {
    Literal(String),
    Regex(Regex),
}

impl Matcher {
    fn text(&self) -> String {
        match self {
            Matcher::Literal(s) => format!("literal:{s}"),
            Matcher::Regex(r) => format!("regex:{}", r.as_str()),
        }
    }
}

/// A builtin and its options, as the gate's table gives them.
#[derive(Debug, Clone)]
pub struct Spec {
    pub kind: Kind,
    /// `secrets`: rules added to the built-in ones.
    pub rules: Vec<SecretRule>,
    /// `secrets`, `forbidden`: fingerprints of allowed findings.
    pub allow: Vec<String>,
    /// `large-files`: the size limit in bytes.
    pub max_size: u64,
    /// `forbidden`: what is forbidden.
    pub patterns: Vec<Pattern>,
}

impl Spec {
    /// The builtin `kind` with default options.
    pub fn new(kind: Kind) -> Spec {
        Spec {
            kind,
            rules: Vec::new(),
            allow: Vec::new(),
            max_size: DEFAULT_MAX_SIZE,
            patterns: Vec::new(),
        }
    }

    /// Everything that decides what the builtin finds, as text for the cache
    /// key. The allow list is in it: allowing a finding must change the key.
    pub fn canonical(&self) -> String {
        let mut text = format!(
            "{}:format={BUILTIN_FORMAT}:pqg={}",
            self.kind.name(),
            env!("CARGO_PKG_VERSION")
        );
        match self.kind {
            Kind::Secrets => {
                for r in &self.rules {
                    let _ = write!(
                        text,
                        "|rule:{}:{}:{:?}:{:?}",
                        r.id,
                        r.regex.as_str(),
                        r.keywords,
                        r.entropy
                    );
                }
            }
            Kind::LargeFiles => {
                let _ = write!(text, "|max_size:{}", self.max_size);
            }
            Kind::Forbidden => {
                for p in &self.patterns {
                    let _ = write!(text, "|pattern:{}:{}:{}", p.id, p.matcher.text(), p.message);
                }
            }
            Kind::ConflictMarkers | Kind::Syntax => {}
        }
        let mut allow = self.allow.clone();
        allow.sort();
        for a in allow {
            let _ = write!(text, "|allow:{a}");
        }
        text
    }
}

impl PartialEq for Spec {
    fn eq(&self, other: &Spec) -> bool {
        self.canonical() == other.canonical()
    }
}

/// Parses a size: bytes as an integer, or `"500KB"`, `"1MiB"`, `"2 MB"`.
pub(crate) fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let digits = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let number: f64 = t[..digits].parse().ok()?;
    let factor: f64 = match t[digits..].trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kib" => 1024.0,
        "kb" => 1000.0,
        "m" | "mib" => 1024.0 * 1024.0,
        "mb" => 1e6,
        "g" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "gb" => 1e9,
        _ => return None,
    };
    let bytes = number * factor;
    (bytes.is_finite() && bytes >= 1.0).then_some(bytes as u64)
}
