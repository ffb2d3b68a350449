//! A builtin gate's options (DESIGN §9), checked: `rules`, `allow`,
//! `max_size` and `patterns`, each only on the builtin that takes it.
//!
//! The result is a [`Spec`] of `builtin_options`. This module never scans
//! a file; the checks are in `crate::builtin`.

use super::builtin_options::{
    parse_size, Kind, Matcher, Pattern, SecretRule, Spec, BUILTIN_SECRET_RULE_IDS,
};
use super::error::Bounds;
use super::raw::{RawGate, RawPattern, RawRule, Scalar};
use super::resolver::Resolver;
use crate::diag::UserError;
use std::ops::Range;
use toml::Spanned;

impl Resolver {
    /// Rejects builtin options on a gate that is not that builtin.
    pub(super) fn no_builtin_options(
        &self,
        raw: &RawGate,
        kind: Option<Kind>,
    ) -> Result<(), UserError> {
        use Kind::*;
        type Owners<'a> = (&'a str, Option<Range<usize>>, &'a [Kind]);
        let options: [Owners<'_>; 4] = [
            ("rules", raw.rules.as_ref().map(Spanned::span), &[Secrets]),
            (
                "allow",
                raw.allow.as_ref().map(Spanned::span),
                &[Secrets, Forbidden],
            ),
            (
                "max_size",
                raw.max_size.as_ref().map(Spanned::span),
                &[LargeFiles],
            ),
            (
                "patterns",
                raw.patterns.as_ref().map(Spanned::span),
                &[Forbidden],
            ),
        ];
        for (key, span, owners) in options {
            let Some(span) = span else { continue };
            if kind.is_some_and(|k| owners.contains(&k)) {
                continue;
            }
            let owners: Vec<String> = owners
                .iter()
                .map(|k| format!("builtin = \"{}\"", k.name()))
                .collect();
            return Err(self
                .err(
                    span,
                    format!("`{key}` is an option of {}", owners.join(" and ")),
                )
                .hint(match kind {
                    Some(k) => format!(
                        "`builtin = \"{}\"` does not take `{key}`; remove it",
                        k.name()
                    ),
                    None => format!("a gate with `run` does not take `{key}`; remove it"),
                }));
        }
        Ok(())
    }

    /// A builtin's options, checked.
    pub(super) fn builtin_spec(&self, kind: Kind, raw: &RawGate) -> Result<Spec, UserError> {
        self.no_builtin_options(raw, Some(kind))?;
        let mut spec = Spec::new(kind);
        if let Some(rules) = &raw.rules {
            for rule in rules.get_ref() {
                spec.rules
                    .push(self.secret_rule(rule.get_ref(), &spec.rules)?);
            }
        }
        if let Some(allow) = &raw.allow {
            for entry in allow.get_ref() {
                spec.allow.push(self.fingerprint(entry)?);
            }
        }
        if let Some(size) = &raw.max_size {
            spec.max_size = self.max_size(size)?;
        }
        if kind == Kind::Forbidden {
            let Some(patterns) = raw.patterns.as_ref().filter(|p| !p.get_ref().is_empty()) else {
                return Err(self
                    .err(raw.builtin.as_ref().map_or(0..0, Spanned::span), "`builtin = \"forbidden\"` needs `patterns`")
                    .hint("e.g. patterns = [{ pattern = \"console.log(\", message = \"remove debugging output\" }]"));
            };
            for (n, p) in patterns.get_ref().iter().enumerate() {
                spec.patterns.push(self.forbidden_pattern(p, n)?);
            }
        }
        Ok(spec)
    }

    /// An `allow` entry: a finding's fingerprint, 32 hex characters.
    fn fingerprint(&self, entry: &Spanned<String>) -> Result<String, UserError> {
        let fp = entry.get_ref().trim().to_ascii_lowercase();
        if fp.len() != 32 || !fp.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(self
                .err(
                    entry.span(),
                    format!("`{}` is not a finding fingerprint", entry.get_ref()),
                )
                .hint("copy the 32 hex characters shown as `[fingerprint …]` beside the finding"));
        }
        Ok(fp)
    }

    /// `max_size`: a number of bytes, or a size like `"500KB"`.
    fn max_size(&self, size: &Spanned<Scalar>) -> Result<u64, UserError> {
        let bytes = match size.get_ref() {
            Scalar::Int(n) if *n > 0 => Some(*n as u64),
            Scalar::Str(text) => parse_size(text),
            _ => None,
        };
        bytes.ok_or_else(|| {
            self.err(size.span(), "invalid `max_size`")
                .hint("write a number of bytes, or a size like \"500KB\" or \"2MiB\"")
        })
    }

    fn builtin_regex(
        &self,
        r: &Spanned<String>,
        what: &str,
    ) -> Result<regex::bytes::Regex, UserError> {
        regex::bytes::Regex::new(r.get_ref()).map_err(|e| self.regex_error(r, what, &e))
    }

    /// A rule added to `secrets`, its id unused by the built-in rules and by
    /// `earlier` added ones.
    fn secret_rule(&self, rule: &RawRule, earlier: &[SecretRule]) -> Result<SecretRule, UserError> {
        let id = rule.id.get_ref();
        let valid = !id.is_empty()
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !valid {
            return Err(self
                .err(rule.id.span(), format!("invalid rule id `{id}`"))
                .hint("rule ids use letters, digits, `-`, `_` and `.`"));
        }
        let taken =
            BUILTIN_SECRET_RULE_IDS.contains(&id.as_str()) || earlier.iter().any(|r| &r.id == id);
        if taken {
            return Err(self
                .err(rule.id.span(), format!("rule id `{id}` is already used"))
                .hint("give the added rule an id of its own"));
        }
        let regex = self.builtin_regex(&rule.regex, &format!("rule `{id}`"))?;
        let entropy = self.bounded(
            rule.entropy.as_ref(),
            "entropy",
            Bounds::Between(0.0, 8.0),
            "entropy is in bits per byte; random base64 is about 6, English text about 4",
        )?;
        Ok(SecretRule {
            id: id.clone(),
            description: rule.description.clone().unwrap_or_else(|| id.clone()),
            regex,
            keywords: rule
                .keywords
                .clone()
                .unwrap_or_default()
                .into_iter()
                .filter(|k| !k.is_empty())
                .collect(),
            entropy,
        })
    }

    /// The `n`th pattern of `forbidden`: text or a regex, and its message.
    fn forbidden_pattern(&self, p: &Spanned<RawPattern>, n: usize) -> Result<Pattern, UserError> {
        let raw = p.get_ref();
        let matcher = match (&raw.pattern, &raw.regex) {
            (Some(text), None) if !text.get_ref().is_empty() => {
                Matcher::Literal(text.get_ref().clone())
            }
            (None, Some(re)) => Matcher::Regex(self.builtin_regex(re, "`patterns`")?),
            _ => return Err(self
                .err(
                    p.span(),
                    "each pattern needs exactly one of `pattern` (text) or `regex`",
                )
                .hint(
                    "e.g. { pattern = \"console.log(\", message = \"remove debugging output\" }",
                )),
        };
        let id = raw
            .id
            .as_ref()
            .map_or_else(|| format!("forbidden-{}", n + 1), |i| i.get_ref().clone());
        let message = raw.message.clone().unwrap_or_else(|| match &matcher {
            Matcher::Literal(t) => format!("forbidden text `{t}`"),
            Matcher::Regex(r) => format!("forbidden pattern `{}`", r.as_str()),
        });
        Ok(Pattern {
            id,
            matcher,
            message,
        })
    }
}
