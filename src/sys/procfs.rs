//! What `/proc` says about other processes (Linux): whose child a process
//! is, its group, whether it is a zombie, and its environment. Elsewhere
//! these functions find nothing, and pqg cannot find processes that left
//! its gates (see `run::strays`).

use crate::sys::process::Pid;

/// One process as `/proc/<pid>/stat` describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ProcStat {
    pub pid: Pid,
    pub parent: Pid,
    pub group: Pid,
    /// It has exited and waits to be reaped.
    pub zombie: bool,
}

/// The processes whose parent is `parent`, as far as `/proc` can be read;
/// empty where there is no `/proc`.
pub(crate) fn children_of(parent: Pid) -> Vec<ProcStat> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<Pid>().ok())
        .filter_map(stat)
        .filter(|s| s.parent == parent)
        .collect()
}

/// `/proc/<pid>/stat`, if the process is still there: one read into a
/// buffer on the stack (a search reads one per process on the machine).
pub(crate) fn stat(pid: Pid) -> Option<ProcStat> {
    use std::io::Read;
    let mut file = std::fs::File::open(format!("/proc/{pid}/stat")).ok()?;
    // The text is about 300 bytes; the command name in it at most 64.
    let mut buf = [0u8; 1024];
    let mut len = 0;
    while len < buf.len() {
        match file.read(&mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    parse_stat(pid, &buf[..len])
}

/// The fields after the command name (which may hold spaces and
/// parentheses, so the text is cut at the last `)`): state, parent, group.
fn parse_stat(pid: Pid, text: &[u8]) -> Option<ProcStat> {
    let close = text.iter().rposition(|&b| b == b')')?;
    let rest = std::str::from_utf8(text.get(close + 1..)?).ok()?;
    let mut fields = rest.split_ascii_whitespace();
    let state = fields.next()?;
    let parent = fields.next()?.parse().ok()?;
    let group = fields.next()?.parse().ok()?;
    Some(ProcStat {
        pid,
        parent,
        group,
        zombie: state == "Z" || state == "X",
    })
}

/// Whether the environment `pid` started with holds an entry
/// (`NAME=value`) that `wanted` accepts. False when it cannot be read: a
/// zombie, a process of another user.
pub(crate) fn environ_any(pid: Pid, wanted: impl FnMut(&[u8]) -> bool) -> bool {
    std::fs::read(format!("/proc/{pid}/environ"))
        .is_ok_and(|env| env.split(|&b| b == 0).any(wanted))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_name_with_spaces_and_parentheses_is_skipped() {
        let s = parse_stat(42, b"42 (a) b (c) Z 7 42 42 0 -1").unwrap();
        assert_eq!(
            s,
            ProcStat {
                pid: 42,
                parent: 7,
                group: 42,
                zombie: true
            }
        );
        assert!(parse_stat(1, b"1 (x").is_none());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn our_own_environment_is_readable() {
        let me = crate::sys::process::own_pid();
        assert!(stat(me).is_some_and(|s| !s.zombie));
        assert!(environ_any(me, |e| e.starts_with(b"PATH=")));
    }
}
