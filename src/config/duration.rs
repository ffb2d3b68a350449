//! Durations as written in gates.toml: `"90s"`, `"15m"`, `"1h30m"`.
//!
//! Parsing only; this module never reads a clock.

use super::resolver::Resolver;
use crate::diag::UserError;
use std::time::Duration;
use toml::Spanned;

const DURATION_HINT: &str = "write a duration like `90s`, `15m`, `2h` or `1h30m`";

/// Parses a duration such as `"90s"`, `"15m"`, `"2h"`, `"1h30m"` or
/// `"500ms"`.
pub(crate) fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if digits == 0 {
            return None;
        }
        let number: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let seconds = match &rest[..unit_len] {
            "ms" => number / 1000.0,
            "s" => number,
            "m" => number * 60.0,
            "h" => number * 3600.0,
            "d" => number * 86400.0,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total += Duration::try_from_secs_f64(seconds).ok()?;
    }
    Some(total)
}

impl Resolver {
    /// A non-zero duration if one is given, or an error at the text.
    pub(super) fn duration(
        &self,
        text: Option<&Spanned<String>>,
    ) -> Result<Option<Duration>, UserError> {
        let Some(text) = text else {
            return Ok(None);
        };
        match parse_duration(text.get_ref()) {
            Some(d) if !d.is_zero() => Ok(Some(d)),
            _ => Err(self
                .err(
                    text.span(),
                    format!("invalid duration `{}`", text.get_ref()),
                )
                .hint(DURATION_HINT)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("15m"), Some(Duration::from_secs(900)));
        assert_eq!(parse_duration("2h"), Some(Duration::from_secs(7200)));
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5s"), Some(Duration::from_millis(1500)));
        for bad in ["", "s", "10", "10x", "ten minutes", "-5s", "1e999h"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }
}
