//! The `large-files` builtin: a file larger than the limit is a finding.
//!
//! It looks at the size alone (binary files are what it is for) and never
//! reads a file's content nor follows a symlink.

use super::check::FileResult;
use super::finding::Finding;
use crate::files::root::Root;

/// The finding, if any, for `rel` against `max_size` bytes.
pub(super) fn check(root: &Root, rel: &str, max_size: u64) -> FileResult {
    match root.lstat(rel) {
        Ok((state, _)) if state.mode & libc::S_IFMT == libc::S_IFREG => {
            let mut found = Vec::new();
            if state.size > max_size {
                found.push(Finding {
                    file: rel.to_owned(),
                    line: None,
                    column: None,
                    rule: "large-file".to_owned(),
                    message: format!(
                        "{} is larger than the limit of {}",
                        human_bytes(state.size),
                        human_bytes(max_size)
                    ),
                    fingerprint: None,
                });
            }
            FileResult::Checked(found)
        }
        Ok((_, crate::files::root::Kind::Special)) => {
            FileResult::Note("not checked: not a regular file (a FIFO, socket or device)".into())
        }
        Ok(_) => FileResult::Nothing,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => FileResult::Nothing,
        Err(e) => FileResult::Note(format!("cannot read: {e}")),
    }
}

/// Bytes as people read them: `1.5 MiB`.
pub(crate) fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else if value.fract() == 0.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::builtin_options::parse_size;

    #[test]
    fn sizes_parse_in_the_units_people_write() {
        assert_eq!(parse_size("1MiB"), Some(1 << 20));
        assert_eq!(parse_size("500 KB"), Some(500_000));
        assert_eq!(parse_size("2048"), Some(2048));
        assert_eq!(parse_size("1.5k"), Some(1536));
        assert_eq!(parse_size("lots"), None);
        assert_eq!(parse_size("0"), None);
        assert_eq!(human_bytes(1 << 20), "1 MiB");
        assert_eq!(human_bytes(1536), "1.5 KiB");
    }
}
