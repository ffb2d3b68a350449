//! Numbers, units and durations as people read them: `85`, `78.2 %`,
//! `≥ 85 %`, `2m 05s`. Every message and report format writes numbers
//! through these, so one value reads the same everywhere.
//!
//! `fmt` is a leaf: it imports nothing from the crate and never prints.

use std::time::Duration;

/// `0.4 s`, `12.3 s`, `2m 05s`.
pub(crate) fn human_duration(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 60.0 {
        format!("{secs:.1} s")
    } else {
        let total = d.as_secs();
        if total < 3600 {
            format!("{}m {:02}s", total / 60, total % 60)
        } else {
            format!("{}h {:02}m", total / 3600, (total % 3600) / 60)
        }
    }
}

/// A metric value as people read it: `85`, `78.2`, `0.05`.
pub(crate) fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.2}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s == "0" || s == "-0" {
            format!("{v:.2e}")
        } else {
            s.to_owned()
        }
    }
}

/// A threshold as people read it: `≥ 85 %`, `≤ 0`, `60–90 %`; `None`
/// when there is no bound.
pub(crate) fn bounds(min: Option<f64>, max: Option<f64>, unit: Option<&str>) -> Option<String> {
    match (min, max) {
        (Some(lo), Some(hi)) => Some(format!("{}–{}", number(lo), with_unit(hi, unit))),
        (Some(lo), None) => Some(format!("≥ {}", with_unit(lo, unit))),
        (None, Some(hi)) => Some(format!("≤ {}", with_unit(hi, unit))),
        (None, None) => None,
    }
}

/// `78.2 %` or `3` or `1.2 s`.
pub(crate) fn with_unit(v: f64, unit: Option<&str>) -> String {
    match unit {
        Some(u) if !u.is_empty() => format!("{} {u}", number(v)),
        _ => number(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_naturally() {
        assert_eq!(number(85.0), "85");
        assert_eq!(number(78.25), "78.25");
        assert_eq!(number(78.2), "78.2");
        assert_eq!(number(0.0001), "1.00e-4");
        assert_eq!(with_unit(78.2, Some("%")), "78.2 %");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_duration(Duration::from_millis(12_340)), "12.3 s");
        assert_eq!(human_duration(Duration::from_secs(125)), "2m 05s");
        assert_eq!(human_duration(Duration::from_secs(3 * 3600 + 60)), "3h 01m");
    }
}
