//! Which gates ran when the kernel told of a change in a watched folder.
//!
//! The write watch finds what changed by comparing stat data, and knew
//! when only from ctimes. Linux stamps those from a clock that moves by
//! ticks (4 ms here), so a write in a gate's first tick could not be told
//! from one its neighbour made in its last: with `-j1`, the gate that ran
//! before a writer was sometimes blamed. Here inotify's events on the
//! folders that hold tracked files are read at every watched gate's start
//! and end: an event read then came while the gates running since the
//! read before it ran, and the kernel queues a process's events before it
//! exits. No clock is involved.
//!
//! What inotify cannot vouch for (its queue overflowed, a path it never
//! told of, inotify unavailable) is left to the ctimes.

use crate::plan::GateIdx;
use inotify::{EventMask, Inotify, WatchMask};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

/// Up to this many folders are watched before the first gate starts.
const AT_ONCE: usize = 64;

/// The events that change what a path holds or whether it is there.
fn mask() -> WatchMask {
    WatchMask::MODIFY
        | WatchMask::ATTRIB
        | WatchMask::CREATE
        | WatchMask::DELETE
        | WatchMask::MOVED_FROM
        | WatchMask::MOVED_TO
        | WatchMask::DELETE_SELF
        | WatchMask::MOVE_SELF
        | WatchMask::DONT_FOLLOW
        | WatchMask::ONLYDIR
        | WatchMask::EXCL_UNLINK
}

/// The events after which nothing under a folder is where it was.
fn gone() -> EventMask {
    EventMask::DELETE | EventMask::MOVED_FROM | EventMask::DELETE_SELF | EventMask::MOVE_SELF
}

/// The gates that ran when each path's events came: one set per read
/// that brought some (the same set once).
#[derive(Default, Clone)]
struct Seen {
    /// Any event for the path.
    any: Vec<Vec<GateIdx>>,
    /// Events that took the path away (for a folder: all under it), if
    /// one came.
    gone: Option<Vec<Vec<GateIdx>>>,
}

/// The inotify instance and what each of its watches watches.
struct Kernel {
    inotify: Inotify,
    /// Each watch's folder, relative to the root (`""` for the root).
    folders: HashMap<i32, String>,
}

#[derive(Default)]
pub(super) struct Touches {
    /// Set once the folders are watched (in the background, while the
    /// first gates may already run).
    kernel: Option<Kernel>,
    /// The watched gates running now.
    running: Vec<GateIdx>,
    /// The gates that ran since the last read.
    since: Vec<GateIdx>,
    seen: HashMap<String, Seen>,
    /// Paths told of before the watches were all in place, when no read
    /// had marked which gates ran: inotify cannot say whose they were.
    unsure: HashSet<String>,
    /// The queue overflowed or could not be read: events were lost.
    lost: bool,
    buffer: Vec<u8>,
}

impl Touches {
    /// Watches `folders` (relative to `root`, `""` for `root` itself) and
    /// hands the watches to `touches` when all are in place: at once for
    /// a few folders, else on a thread of its own (a watch costs some
    /// microseconds; the first gates need not wait for a thousand).
    /// Nothing when inotify is unavailable or a folder cannot be watched
    /// (the limit on watches reached, say): the ctimes decide.
    pub(super) fn watch(
        touches: Arc<Mutex<Touches>>,
        root: std::path::PathBuf,
        folders: Vec<String>,
    ) {
        if folders.len() <= AT_ONCE {
            if let Some(kernel) = Kernel::watch(&root, &folders) {
                if let Ok(mut touches) = touches.lock() {
                    touches.attach(kernel);
                }
            }
            return;
        }
        let spawned = std::thread::Builder::new()
            .name("pqg-inotify".into())
            .spawn(move || {
                if let Some(kernel) = Kernel::watch(&root, &folders) {
                    if let Ok(mut touches) = touches.lock() {
                        touches.attach(kernel);
                    }
                }
            });
        if let Err(e) = spawned {
            crate::debug!("writes: no thread to set up inotify ({e}): ctimes only");
        }
    }

    /// Takes the watches in: what they told of so far came when no read
    /// marked which gates ran.
    fn attach(&mut self, kernel: Kernel) {
        self.kernel = Some(kernel);
        self.buffer = vec![0; 64 * 1024];
        for (path, _) in self.drain() {
            self.unsure.insert(path);
        }
    }

    /// Gate `gate` starts now: what came before is not its.
    pub(super) fn started(&mut self, gate: GateIdx) {
        self.read();
        if !self.running.contains(&gate) {
            self.running.push(gate);
            self.since.push(gate);
        }
    }

    /// Gate `gate` ended (its process is gone): what came before may be
    /// its, nothing after.
    pub(super) fn finished(&mut self, gate: GateIdx) {
        self.read();
        self.running.retain(|&g| g != gate);
        self.since.retain(|&g| g != gate);
    }

    /// For `path` (a tracked file) and the folders above it, the gates
    /// that ran when each change came (a set per change, in order; an
    /// empty set: no gate ran then); `None` when inotify cannot say:
    /// events were lost, came before the watches were ready, or none came.
    pub(super) fn gates_for(&mut self, path: &str) -> Option<Vec<Vec<GateIdx>>> {
        self.read();
        if self.lost || self.kernel.is_none() {
            return None;
        }
        let mut sets = Vec::new();
        let mut told = false;
        if self.unsure.contains(path) {
            return None;
        }
        if let Some(seen) = self.seen.get(path) {
            told = true;
            sets.extend(seen.any.iter().cloned());
        }
        let mut above = path;
        while let Some((folder, _)) = above.rsplit_once('/') {
            if self.unsure.contains(folder) {
                return None;
            }
            if let Some(gone) = self.seen.get(folder).and_then(|s| s.gone.as_ref()) {
                told = true;
                sets.extend(gone.iter().cloned());
            }
            above = folder;
        }
        told.then_some(sets)
    }

    /// Reads the events queued so far and lays them at the door of the
    /// gates that ran since the last read.
    fn read(&mut self) {
        for (path, gone) in self.drain() {
            let seen = self.seen.entry(path).or_default();
            // Kept even when no gate ran: a change then is no gate's,
            // not one inotify cannot speak for.
            if seen.any.last() != Some(&self.since) {
                seen.any.push(self.since.clone());
            }
            if gone {
                let sets = seen.gone.get_or_insert_with(Vec::new);
                if sets.last() != Some(&self.since) {
                    sets.push(self.since.clone());
                }
            }
        }
        self.since.clone_from(&self.running);
    }

    /// The events queued so far: each path told of, and whether the event
    /// took it away.
    fn drain(&mut self) -> Vec<(String, bool)> {
        let mut told = Vec::new();
        let Some(kernel) = self.kernel.as_mut() else {
            return told;
        };
        loop {
            let events = match kernel.inotify.read_events(&mut self.buffer) {
                Ok(events) => events,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) => {
                    crate::debug!("writes: inotify read failed ({e}): ctimes only");
                    self.lost = true;
                    break;
                }
            };
            let before = told.len();
            let mut any = false;
            for event in events {
                any = true;
                if event.mask.contains(EventMask::Q_OVERFLOW) {
                    crate::debug!("writes: inotify's queue overflowed: ctimes only");
                    self.lost = true;
                    continue;
                }
                if event.mask.contains(EventMask::IGNORED) {
                    continue;
                }
                let Some(folder) = kernel.folders.get(&event.wd.get_watch_descriptor_id()) else {
                    continue;
                };
                let path = match event.name {
                    None => folder.clone(),
                    Some(name) if folder.is_empty() => name.to_string_lossy().into_owned(),
                    Some(name) => format!("{folder}/{}", name.to_string_lossy()),
                };
                told.push((path, event.mask.intersects(gone())));
            }
            if !any && told.len() == before {
                break;
            }
        }
        told
    }
}

impl Kernel {
    fn watch(root: &std::path::Path, folders: &[String]) -> Option<Kernel> {
        let clock = std::time::Instant::now();
        let inotify = Inotify::init()
            .map_err(|e| crate::debug!("writes: inotify unavailable ({e}): ctimes only"))
            .ok()?;
        let mut watches = inotify.watches();
        let mut by_id = HashMap::with_capacity(folders.len());
        for folder in folders {
            let path = root.join(crate::sys::name::to_path(folder));
            match watches.add(&path, mask()) {
                Ok(wd) => {
                    by_id.insert(wd.get_watch_descriptor_id(), folder.clone());
                }
                Err(e) => {
                    crate::debug!("writes: cannot watch {} ({e}): ctimes only", path.display());
                    return None;
                }
            }
        }
        crate::debug!(
            "writes: inotify watches {} folders ({} ms)",
            by_id.len(),
            clock.elapsed().as_millis()
        );
        Some(Kernel {
            inotify,
            folders: by_id,
        })
    }
}

/// The folders holding `paths` and every folder above them, `""` (the
/// root) included, sorted.
pub(super) fn folders_of<'a>(paths: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut folders = vec![""];
    for path in paths {
        let mut at = path;
        while let Some((folder, _)) = at.rsplit_once('/') {
            folders.push(folder);
            at = folder;
        }
    }
    folders.sort_unstable();
    folders.dedup();
    folders
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Watches `folders` now, as the background thread would.
    fn touches(dir: &std::path::Path, folders: &[&str]) -> Touches {
        let folders: Vec<String> = folders.iter().map(ToString::to_string).collect();
        let mut t = Touches::default();
        t.attach(Kernel::watch(dir, &folders).unwrap());
        t
    }

    #[test]
    fn a_change_is_laid_at_the_gates_running_between_the_reads_around_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("a")).unwrap();
        std::fs::write(dir.path().join("a/x"), "1").unwrap();
        std::fs::write(dir.path().join("y"), "1").unwrap();
        let mut t = touches(dir.path(), &["", "a"]);
        let (h, i) = (GateIdx(0), GateIdx(1));
        t.started(h);
        std::fs::write(dir.path().join("a/x"), "2").unwrap();
        t.finished(h);
        t.started(i);
        std::fs::write(dir.path().join("a/x"), "3").unwrap();
        t.finished(i);
        std::fs::write(dir.path().join("y"), "2").unwrap(); // no gate ran
        assert_eq!(t.gates_for("a/x"), Some(vec![vec![h], vec![i]]));
        assert_eq!(t.gates_for("y"), Some(vec![vec![]]));
        assert_eq!(t.gates_for("z"), None, "never told of");
    }

    #[test]
    fn a_folder_moved_away_speaks_for_the_files_under_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
        std::fs::write(dir.path().join("a/b/x"), "1").unwrap();
        let folders = folders_of(["a/b/x"].into_iter());
        let mut t = touches(dir.path(), &folders);
        let g = GateIdx(3);
        t.started(g);
        std::fs::rename(dir.path().join("a"), dir.path().join("c")).unwrap();
        t.finished(g);
        assert_eq!(t.gates_for("a/b/x"), Some(vec![vec![g]]));
    }

    #[test]
    fn what_came_before_the_watches_were_ready_is_left_to_the_ctimes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x"), "1").unwrap();
        let kernel = Kernel::watch(dir.path(), &[String::new()]).unwrap();
        let mut t = Touches::default();
        let g = GateIdx(0);
        t.started(g);
        std::fs::write(dir.path().join("x"), "2").unwrap();
        t.finished(g);
        // Ready only now: the write's event cannot be placed.
        t.attach(kernel);
        assert_eq!(t.gates_for("x"), None);
    }

    #[test]
    fn folders_of_paths_include_every_folder_above() {
        assert_eq!(
            folders_of(["a/b/c.txt", "a/d.txt", "e.txt"].into_iter()),
            vec!["", "a", "a/b"]
        );
    }
}
