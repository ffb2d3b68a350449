//! What `explain`, `history`, `stats` and `cache` share: they look into
//! the cache database and the history `check` writes, and none of them
//! creates one where there is none.

use crate::cache::{self, Cache};
use crate::config::Config;
use crate::diag::{did_you_mean, UserError};
use crate::fmt::human_duration;
use comfy_table::{presets, Table};
use std::path::Path;
use std::time::Duration;

pub(super) fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED)
        .apply_modifier(comfy_table::modifiers::UTF8_ROUND_CORNERS)
        .set_header(header.to_vec());
    t
}

/// `2026-11-24 01:02:03 UTC` from nanoseconds since the epoch.
pub(super) fn utc(ns: i64) -> String {
    let secs = ns.div_euclid(1_000_000_000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

pub(super) fn ago(ns: i64) -> String {
    let d = crate::files::snapshot::now_ns().saturating_sub(ns);
    if d < 0 {
        return "in the future".to_owned();
    }
    format!("{} ago", human_duration(Duration::from_nanos(d as u64)))
}

pub(super) fn open_existing(dir: &Path) -> Result<Cache, String> {
    Cache::open_existing(dir).ok_or_else(|| {
        format!(
            "no cache database at `{}` yet: run `pqg check` first",
            cache::db::path_in(dir).display()
        )
    })
}

pub(super) fn print_warnings(cache: &mut Cache) {
    for w in cache.take_warnings() {
        eprintln!("warning: {w}");
    }
}

pub(super) fn known_gate(config: &Config, name: &str) -> Result<usize, UserError> {
    config
        .gates
        .iter()
        .position(|g| g.id.as_str() == name)
        .ok_or_else(|| {
            UserError::new(format!("unknown gate `{name}`")).hint(
                did_you_mean(name, config.gates.iter().map(|g| g.id.as_str()))
                    .unwrap_or_else(|| "`pqg list` shows the gates".to_owned()),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(
            utc(1_795_481_916 * 1_000_000_000),
            "2026-11-24 00:58:36 UTC"
        );
        assert_eq!(utc(951_782_400 * 1_000_000_000), "2000-02-29 00:00:00 UTC");
    }
}
