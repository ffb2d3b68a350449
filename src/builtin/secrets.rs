//! The `secrets` rule set: credential formats and private keys.
//!
//! Each rule is a regex whose `secret` group (or the whole match) is the
//! credential, a list of keywords that must appear in a file before the
//! regex is tried, and an optional entropy floor for rules whose shape alone
//! says little (`password = "..."`). The keywords make the common case — a
//! file with no credential-looking text — one Aho-Corasick pass.

use super::finding::{mask, unless_allowed_at, Finding, RuleInfo};
use super::lines::LineIndex;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::bytes::Regex;
use std::sync::OnceLock;

pub(crate) use crate::config::builtin_options::SecretRule;

/// A rule as written: id, description, keywords, regex, entropy floor.
type RuleRow = (
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static str,
    Option<f64>,
);

const RULES: &[RuleRow] = &[
    (
        "aws-access-key-id",
        "AWS access key ID",
        &["akia", "asia", "abia", "acca", "a3t"],
        r"\b(?P<secret>(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16})\b",
        None,
    ),
    (
        "aws-secret-access-key",
        "AWS secret access key",
        &["aws"],
        r#"(?i)aws[a-z0-9_.\-]{0,20}(?:secret|private)[a-z0-9_.\-]{0,20}['"]?\s*(?:[:=]|=>)\s*['"]?(?P<secret>[A-Za-z0-9/+]{40})(?:['"\s;,]|$)"#,
        Some(3.5),
    ),
    (
        "github-pat",
        "GitHub personal access token (classic)",
        &["ghp_"],
        r"\b(?P<secret>ghp_[A-Za-z0-9]{36})\b",
        None,
    ),
    (
        "github-fine-grained-pat",
        "GitHub fine-grained personal access token",
        &["github_pat_"],
        r"\b(?P<secret>github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})\b",
        None,
    ),
    (
        "github-oauth",
        "GitHub OAuth access token",
        &["gho_"],
        r"\b(?P<secret>gho_[A-Za-z0-9]{36})\b",
        None,
    ),
    (
        "github-app-token",
        "GitHub App user-to-server, server-to-server or refresh token",
        &["ghu_", "ghs_", "ghr_"],
        r"\b(?P<secret>(?:ghu|ghs)_[A-Za-z0-9]{36}|ghr_[A-Za-z0-9]{36,76})\b",
        None,
    ),
    (
        "gitlab-token",
        "GitLab access token (personal, deploy, runner, trigger, CI job, feed)",
        &[
            "glpat-", "gldt-", "glrt-", "glptt-", "glcbt-", "glft-", "glsoat-",
        ],
        r"\b(?P<secret>(?:glpat|gldt|glrt|glptt|glcbt|glft|glsoat)-[A-Za-z0-9_\-]{20,64})(?:[^A-Za-z0-9_\-]|$)",
        None,
    ),
    (
        "slack-bot-token",
        "Slack bot token",
        &["xoxb-"],
        r"\b(?P<secret>xoxb-[0-9]{10,13}-[0-9]{10,13}-[A-Za-z0-9]{24,34})\b",
        None,
    ),
    (
        "slack-user-token",
        "Slack user token",
        &["xoxp-"],
        r"\b(?P<secret>xoxp-[0-9]{10,13}-[0-9]{10,13}-[0-9]{10,13}-[A-Za-z0-9]{28,34})\b",
        None,
    ),
    (
        "slack-webhook-url",
        "Slack incoming webhook URL",
        &["hooks.slack.com"],
        r"(?P<secret>https://hooks\.slack\.com/(?:services|workflows)/T[A-Z0-9]{8,12}/B[A-Z0-9]{8,12}/[A-Za-z0-9]{24})\b",
        None,
    ),
    (
        "stripe-key",
        "Stripe secret or restricted key",
        &["sk_live_", "sk_test_", "rk_live_", "rk_test_"],
        r"\b(?P<secret>(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{24,99})\b",
        None,
    ),
    (
        "google-api-key",
        "Google API key",
        &["aiza"],
        r"\b(?P<secret>AIza[0-9A-Za-z_\-]{35})(?:[^0-9A-Za-z_\-]|$)",
        None,
    ),
    (
        "twilio-api-key",
        "Twilio API key",
        &[],
        r"\b(?P<secret>SK[0-9a-f]{32})\b",
        Some(3.0),
    ),
    (
        "sendgrid-api-key",
        "SendGrid API key",
        &["sg."],
        r"\b(?P<secret>SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43})(?:[^A-Za-z0-9_\-]|$)",
        None,
    ),
    (
        "npm-token",
        "npm access token",
        &["npm_"],
        r"\b(?P<secret>npm_[A-Za-z0-9]{36})\b",
        None,
    ),
    (
        "pypi-token",
        "PyPI upload token",
        &["pypi-ageichlwas5vcmc"],
        r"\b(?P<secret>pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{50,})",
        None,
    ),
    (
        "azure-storage-key",
        "Azure storage account key",
        &["accountkey"],
        r"(?i)accountkey\s*[=:]\s*['\x22]?(?P<secret>[A-Za-z0-9+/]{86}==)",
        None,
    ),
    (
        "private-key",
        "private key block (RSA, EC, DSA, OpenSSH, PGP, PKCS#8)",
        &["private key"],
        r"-----BEGIN (?:(?:RSA|EC|DSA|OPENSSH|ENCRYPTED) )?PRIVATE KEY(?: BLOCK)?-----\r?\n(?:[A-Za-z\-]+: [^\n]*\r?\n)*\s*(?P<secret>[A-Za-z0-9+/=]{40,})",
        None,
    ),
    (
        "pgp-private-key",
        "PGP private key block",
        &["pgp private key"],
        r"-----BEGIN PGP PRIVATE KEY BLOCK-----\r?\n(?:[A-Za-z\-]+: [^\n]*\r?\n)*\s*(?P<secret>[A-Za-z0-9+/=]{40,})",
        None,
    ),
    (
        "jwt",
        "JSON Web Token",
        &["eyj"],
        r"\b(?P<secret>eyJ[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{16,})",
        None,
    ),
    (
        "generic-password",
        "password, secret or API key assigned a literal value",
        &[
            "password", "passwd", "pwd", "secret", "api_key", "apikey", "api-key", "token",
        ],
        r#"(?i)(?:password|passwd|pwd|secret|api[_\-]?key|token)[a-z0-9_\-]{0,20}['"]?\s*(?::=|=>|[:=])\s*['"](?P<secret>[^'"\s$<>{}]{8,100})['"]"#,
        // 3 bits per byte: the most 8 distinct characters can have, so the
        // shortest values the regex admits can still be reported.
        Some(3.0),
    ),
];

/// The built-in rules, compiled once per process.
pub(crate) fn builtin_rules() -> &'static [SecretRule] {
    static RULE_SET: OnceLock<Vec<SecretRule>> = OnceLock::new();
    RULE_SET.get_or_init(|| {
        RULES
            .iter()
            .map(|&(id, description, keywords, regex, entropy)| SecretRule {
                id: id.to_owned(),
                description: description.to_owned(),
                regex: Regex::new(regex).expect("built-in secret rules compile (tested)"),
                keywords: keywords.iter().map(|k| (*k).to_owned()).collect(),
                entropy,
            })
            .collect()
    })
}

/// A set of rules ready to scan with: the keyword automaton and which rules
/// each keyword triggers.
pub(crate) struct Scanner {
    pub rules: Vec<SecretRule>,
    keywords: Option<AhoCorasick>,
    /// The same keywords, matched case-sensitively in a lowercased copy of
    /// a file: whether any of them is there at all. Leftmost matching with
    /// exact case gets SIMD literal search (Teddy), which the overlapping,
    /// case-folding automaton above cannot use; most files hold no keyword
    /// and are done after this pass, about twice as fast (issue 14's cold
    /// secrets run).
    any_keyword: Option<AhoCorasick>,
    /// Per keyword pattern: the rules it triggers.
    triggers: Vec<Vec<usize>>,
    /// Rules without keywords: tried on every file.
    always: Vec<usize>,
}

impl Scanner {
    pub(crate) fn new(extra: &[SecretRule]) -> Scanner {
        let rules: Vec<SecretRule> = builtin_rules().iter().chain(extra).cloned().collect();
        let mut patterns = Vec::new();
        let mut triggers: Vec<Vec<usize>> = Vec::new();
        let mut always = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            if rule.keywords.is_empty() {
                always.push(i);
            }
            for k in &rule.keywords {
                let k = k.to_ascii_lowercase();
                match patterns.iter().position(|p| *p == k) {
                    Some(at) => triggers[at].push(i),
                    None => {
                        patterns.push(k);
                        triggers.push(vec![i]);
                    }
                }
            }
        }
        let keywords = (!patterns.is_empty()).then(|| {
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .build(&patterns)
                .expect("keywords are plain strings")
        });
        let any_keyword = (!patterns.is_empty()).then(|| {
            AhoCorasickBuilder::new()
                .match_kind(MatchKind::LeftmostFirst)
                .build(&patterns)
                .expect("keywords are plain strings")
        });
        Scanner {
            rules,
            keywords,
            any_keyword,
            triggers,
            always,
        }
    }

    /// The rules worth trying on `content`, in rule order.
    pub(crate) fn triggered(&self, content: &[u8]) -> Vec<usize> {
        let mut on = vec![false; self.rules.len()];
        for &i in &self.always {
            on[i] = true;
        }
        // The keywords are lowercase: in a lowercased copy they match
        // exactly where the case-folding automaton finds them.
        let present = |gate: &AhoCorasick| gate.is_match(&content.to_ascii_lowercase());
        if let Some(ac) = self
            .keywords
            .as_ref()
            .filter(|_| self.any_keyword.as_ref().is_none_or(present))
        {
            let mut seen = vec![false; self.triggers.len()];
            let mut left = self.triggers.len();
            for m in ac.find_overlapping_iter(content) {
                let p = m.pattern().as_usize();
                if !seen[p] {
                    seen[p] = true;
                    for &r in &self.triggers[p] {
                        on[r] = true;
                    }
                    left -= 1;
                    if left == 0 {
                        break;
                    }
                }
            }
        }
        (0..self.rules.len()).filter(|&i| on[i]).collect()
    }
}

impl Scanner {
    /// The rules of this set (built in, then `extra`), for SARIF.
    pub(super) fn rule_infos(extra: &[SecretRule]) -> Vec<RuleInfo> {
        builtin_rules()
            .iter()
            .chain(extra)
            .map(|r| RuleInfo::new(&r.id, &r.description))
            .collect()
    }

    /// Adds a finding to `found` for each credential in `content`, one per
    /// secret, unless allowed.
    pub(super) fn scan(
        &self,
        allow: &[String],
        rel: &str,
        content: &[u8],
        found: &mut Vec<Finding>,
    ) {
        let triggered = self.triggered(content);
        if triggered.is_empty() {
            return;
        }
        // (secret start, rule, secret end, where the finding is reported)
        let mut hits: Vec<(usize, usize, usize, usize)> = Vec::new();
        for r in triggered {
            let rule = &self.rules[r];
            for caps in rule.regex.captures_iter(content) {
                let Some(m) = caps
                    .name("secret")
                    .or_else(|| caps.get(1))
                    .or_else(|| caps.get(0))
                else {
                    continue;
                };
                let secret = m.as_bytes();
                if is_placeholder(secret) {
                    continue;
                }
                if rule.entropy.is_some_and(|floor| entropy(secret) < floor) {
                    continue;
                }
                // A match that begins on an earlier line than its secret (a
                // private key's `-----BEGIN` line, then the key's body) is
                // reported where it begins: the line a reader looks for, as
                // gitleaks does. The fingerprint stays the secret's.
                let whole = caps.get(0).map_or(m.start(), |w| w.start());
                let at = if content[whole..m.start()].contains(&b'\n') {
                    whole
                } else {
                    m.start()
                };
                hits.push((m.start(), r, m.end(), at));
            }
        }
        hits.sort_unstable();
        // One finding per secret: a value two rules match is reported by the
        // more specific (earlier) rule, whatever lies between them in order.
        let mut seen = std::collections::HashSet::new();
        hits.retain(|&(start, _, end, _)| seen.insert((start, end)));
        let mut lines = LineIndex::new(content);
        for (start, r, end, at) in hits {
            let rule = &self.rules[r];
            found.extend(unless_allowed_at(
                &mut lines,
                allow,
                rel,
                &rule.id,
                at,
                start..end,
                || format!("{}: {}", rule.description, mask(&content[start..end])),
            ));
        }
    }
}

/// Shannon entropy of `bytes`, in bits per byte.
pub(crate) fn entropy(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[b as usize] += 1;
    }
    let n = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// Whether a matched value is a documentation placeholder rather than a
/// credential: `AKIAIOSFODNN7EXAMPLE`, `xxxxxxxx`, `your-token-here`.
pub(crate) fn is_placeholder(secret: &[u8]) -> bool {
    let lower = String::from_utf8_lossy(secret).to_ascii_lowercase();
    const WORDS: &[&str] = &[
        "example",
        "placeholder",
        "xxxxxx",
        "your_",
        "your-",
        "yourtoken",
        "changeme",
        "change_me",
        "dummy",
        "redacted",
        "sample",
        "notreal",
        "not_real",
        "0000000000",
        "1234567890",
        "abcdefgh",
    ];
    if WORDS.iter().any(|w| lower.contains(w)) {
        return true;
    }
    let mut distinct = [false; 256];
    for &b in secret {
        distinct[b as usize] = true;
    }
    distinct.iter().filter(|&&d| d).count() <= 3
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The rules `triggered` should pick for `content`, found the slow and
    /// obvious way: each keyword looked for in a lowercased copy.
    fn triggered_by_hand(scanner: &Scanner, content: &[u8]) -> Vec<usize> {
        let low = content.to_ascii_lowercase();
        (0..scanner.rules.len())
            .filter(|&i| {
                let rule = &scanner.rules[i];
                rule.keywords.is_empty()
                    || rule.keywords.iter().any(|k| {
                        let k = k.to_ascii_lowercase().into_bytes();
                        low.windows(k.len()).any(|w| w == k.as_slice())
                    })
            })
            .collect()
    }

    proptest! {
        /// The keyword pre-check (any keyword at all, in a lowercased copy)
        /// never drops a rule the case-folding automaton triggers: text
        /// made of keyword pieces in any case, overlapping, split, or
        /// beside non-ASCII bytes, triggers the same rules either way.
        #[test]
        fn the_keyword_precheck_keeps_every_triggered_rule(
            pieces in proptest::collection::vec(
                prop_oneof![
                    Just("ghp_".to_owned()),
                    Just("AWS".to_owned()),
                    Just("PassWord".to_owned()),
                    Just("pgp private key".to_owned()),
                    Just("sk_live_".to_owned()),
                    Just("xoxb-".to_owned()),
                    Just("tok".to_owned()),
                    Just("EN".to_owned()),
                    Just("\u{e9}".to_owned()),
                    "[a-zA-Z_ .-]{0,6}",
                ],
                0..12,
            ),
            flip in proptest::collection::vec(any::<bool>(), 0..64),
        ) {
            let scanner = Scanner::new(&[]);
            let mut text = pieces.concat().into_bytes();
            for (b, up) in text.iter_mut().zip(&flip) {
                if *up {
                    b.make_ascii_uppercase();
                }
            }
            prop_assert_eq!(scanner.triggered(&text), triggered_by_hand(&scanner, &text));
        }
    }

    #[test]
    fn every_builtin_rule_compiles_and_has_keywords() {
        for rule in builtin_rules() {
            // A two-letter keyword would match in most files; the regex's own
            // literal prefix (`SK`, case-sensitive) is a better prefilter.
            let exempt = rule.id == "twilio-api-key";
            assert_eq!(rule.keywords.is_empty(), exempt, "{} keywords", rule.id);
            assert!(
                rule.regex.capture_names().flatten().any(|n| n == "secret"),
                "{} has no secret group",
                rule.id
            );
        }
    }

    #[test]
    fn config_knows_the_id_of_every_builtin_rule() {
        let ids: Vec<&str> = builtin_rules().iter().map(|r| r.id.as_str()).collect();
        assert_eq!(
            ids,
            crate::config::builtin_options::BUILTIN_SECRET_RULE_IDS,
            "keep config's list of rule ids equal to RULES"
        );
    }

    #[test]
    fn entropy_of_uniform_and_repeated_text() {
        assert_eq!(entropy(b"aaaa"), 0.0);
        assert!((entropy(b"abcd") - 2.0).abs() < 1e-9);
    }

    #[test]
    fn placeholders_are_recognised() {
        assert!(is_placeholder(b"AKIAIOSFODNN7EXAMPLE"));
        assert!(is_placeholder(b"xxxxxxxxxxxxxxxx"));
        assert!(!is_placeholder(b"AKIAZ7Q2M4N6P3R5T7V9"));
    }

    #[test]
    fn keywords_trigger_only_their_rules() {
        let scanner = Scanner::new(&[]);
        let ids = |text: &[u8]| -> Vec<String> {
            scanner
                .triggered(text)
                .into_iter()
                .map(|i| scanner.rules[i].id.clone())
                .collect()
        };
        // Rules without keywords (their regex has a literal prefix) are
        // always tried.
        assert_eq!(ids(b"nothing to see"), vec!["twilio-api-key"]);
        assert_eq!(
            ids(b"token ghp_"),
            vec!["github-pat", "twilio-api-key", "generic-password"]
        );
        assert!(ids(b"GHP_ AccountKey").contains(&"azure-storage-key".to_owned()));
    }
}
