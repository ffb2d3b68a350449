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
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// The folders of up to this many tracked files are watched before the
/// first gate starts; more, beside the first gates.
const AT_ONCE: usize = 256;

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

/// The gates that ran between two reads of the events (ns since the
/// epoch, on the precise clock): a change told of by the later read was
/// made while they ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Span {
    pub gates: Vec<GateIdx>,
    pub from: i64,
    pub to: i64,
}

/// What inotify told of a path.
#[derive(Debug)]
pub(super) enum Told {
    /// Events for the path itself came in these spans.
    Own(Vec<Span>),
    /// None did; a folder above it was taken away in these.
    Above(Vec<Span>),
}

/// The spans in which each path's events came (one per read that brought
/// some).
#[derive(Default, Clone)]
struct Seen {
    /// Any event for the path.
    any: Vec<Span>,
    /// Events that took the path away (for a folder: all under it).
    gone: Vec<Span>,
}

/// The inotify instance and what each of its watches watches.
struct Kernel {
    inotify: Inotify,
    /// Each watch's folder, relative to the root (`""` for the root).
    folders: HashMap<i32, String>,
    /// The paths whose events are kept (all when `None`).
    relevant: Option<Relevant>,
}

/// The tracked files and the folders above them, each sorted.
struct Relevant {
    paths: Vec<String>,
    folders: Vec<String>,
}

impl Relevant {
    fn contains(&self, path: &str) -> bool {
        let among = |list: &[String]| list.binary_search_by(|p| p.as_str().cmp(path)).is_ok();
        among(&self.paths) || among(&self.folders)
    }
}

#[derive(Default)]
pub(super) struct Touches {
    /// Set once the folders are watched (in the background, while the
    /// first gates may already run).
    kernel: Option<Kernel>,
    /// The watched gates running now.
    running: Vec<GateIdx>,
    /// The gates that ran since the last read, and when it was.
    since: Vec<GateIdx>,
    last_read: i64,
    seen: HashMap<String, Seen>,
    /// Paths told of before the watches were all in place, when no read
    /// had marked which gates ran: inotify cannot say whose they were.
    unsure: HashSet<String>,
    /// The queue overflowed or could not be read: events were lost.
    lost: bool,
    buffer: Vec<u8>,
}

impl Touches {
    /// Watches the folders holding `paths` (tracked files, relative to
    /// `root`) and every folder above them, and hands the watches to
    /// `touches` when all are in place: at once for a few files, else on a
    /// thread of its own (a watch costs some microseconds; the first gates
    /// need not wait for a thousand). Nothing when inotify is unavailable
    /// or the limit on watches is reached: the ctimes decide. Nor once
    /// `stop` is set (every gate ended before the watches were all in
    /// place: what they would tell of came when no read marked which gates
    /// ran, and the ctimes decide anyway); the watches taken so far are
    /// handed back then rather than finished beside the last look.
    /// `paths` gives how many there are, and them (sorted) when asked.
    pub(super) fn watch(
        touches: Arc<Mutex<Touches>>,
        root: std::path::PathBuf,
        (count, paths): (usize, impl FnOnce() -> Vec<String> + Send + 'static),
        stop: Arc<AtomicBool>,
    ) {
        let at_once = count <= AT_ONCE;
        let set_up = move || {
            if stop.load(Ordering::Relaxed) {
                crate::debug!("writes: inotify not set up: every gate ended first");
                return None;
            }
            let paths = paths();
            let folders: Vec<String> = folders_of(paths.iter().map(String::as_str))
                .into_iter()
                .map(str::to_owned)
                .collect();
            let mut kernel = Kernel::watch(&root, &folders, &stop)?;
            // Events for other paths (a gate's scratch files) are of no
            // use, and kept they would grow with the churn.
            kernel.relevant = Some(Relevant { paths, folders });
            if let Ok(mut touches) = touches.lock() {
                touches.attach(kernel);
            }
            Some(())
        };
        if at_once {
            set_up();
            return;
        }
        let spawned = std::thread::Builder::new()
            .name("pqg-inotify".into())
            .spawn(move || {
                set_up();
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
        self.last_read = crate::files::snapshot::now_ns();
    }

    /// Gate `gate` starts now: what came before is not its.
    pub(super) fn started(&mut self, gate: GateIdx) {
        self.read();
        if !self.running.contains(&gate) {
            self.running.push(gate);
            self.since.push(gate);
        }
    }

    /// Gate `gate` ended, its last attempt's process gone: what came
    /// before may be its, nothing after. Called once the runner took in
    /// the gate's end (not between attempts: a retry starts at once).
    pub(super) fn finished(&mut self, gate: GateIdx) {
        self.read();
        self.running.retain(|&g| g != gate);
        self.since.retain(|&g| g != gate);
    }

    /// The spans in which inotify told of `path` (a tracked file), in
    /// order; else, when it never did, those in which a folder above it
    /// was taken away (a folder moved and put back changes nothing below
    /// it, and the watch that followed it tells of nothing more). `None` when inotify cannot say: events were lost,
    /// came before the watches were ready, or none came. What it told of
    /// need not be all: a write through a hard link outside the watched
    /// folders, or through `mmap`, makes no event (the caller checks the
    /// change's ctime against the spans).
    pub(super) fn spans_for(&mut self, path: &str) -> Option<Told> {
        self.read();
        if self.lost || self.kernel.is_none() || self.unsure.contains(path) {
            return None;
        }
        if let Some(seen) = self.seen.get(path).filter(|s| !s.any.is_empty()) {
            return Some(Told::Own(seen.any.clone()));
        }
        let mut spans = Vec::new();
        let mut above = path;
        while let Some((folder, _)) = above.rsplit_once('/') {
            if self.unsure.contains(folder) {
                return None;
            }
            if let Some(seen) = self.seen.get(folder) {
                spans.extend(seen.gone.iter().cloned());
            }
            above = folder;
        }
        (!spans.is_empty()).then_some(Told::Above(spans))
    }

    /// Reads the events queued so far and lays them at the door of the
    /// gates that ran since the last read.
    fn read(&mut self) {
        let told = self.drain();
        let now = crate::files::snapshot::now_ns();
        let span = Span {
            gates: self.since.clone(),
            from: self.last_read,
            to: now,
        };
        for (path, gone) in told {
            let seen = self.seen.entry(path).or_default();
            // Kept even when no gate ran: a change then is no gate's,
            // not one inotify cannot speak for.
            if seen.any.last() != Some(&span) {
                seen.any.push(span.clone());
            }
            if gone && seen.gone.last() != Some(&span) {
                seen.gone.push(span.clone());
            }
        }
        self.since.clone_from(&self.running);
        self.last_read = now;
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
                let id = event.wd.get_watch_descriptor_id();
                let Some(folder) = kernel.folders.get(&id) else {
                    continue;
                };
                let path = match event.name {
                    None => folder.clone(),
                    Some(name) => {
                        use std::os::unix::ffi::OsStrExt;
                        let name = crate::sys::name::from_bytes(name.as_bytes().to_vec());
                        if folder.is_empty() {
                            name
                        } else {
                            format!("{folder}/{name}")
                        }
                    }
                };
                if kernel.relevant.as_ref().is_none_or(|r| r.contains(&path)) {
                    told.push((path, event.mask.intersects(gone())));
                }
                // The watch follows the folder wherever it went: what it
                // tells of from now on is not under this name.
                if event
                    .mask
                    .intersects(EventMask::MOVE_SELF | EventMask::DELETE_SELF)
                {
                    kernel.folders.remove(&id);
                }
            }
            if !any {
                break;
            }
        }
        told
    }
}

impl Kernel {
    fn watch(root: &std::path::Path, folders: &[String], stop: &AtomicBool) -> Option<Kernel> {
        let clock = std::time::Instant::now();
        let inotify = Inotify::init()
            .map_err(|e| crate::debug!("writes: inotify unavailable ({e}): ctimes only"))
            .ok()?;
        let mut watches = inotify.watches();
        let mut by_id = HashMap::with_capacity(folders.len());
        for folder in folders {
            if stop.load(Ordering::Relaxed) {
                crate::debug!(
                    "writes: inotify given up after {} of {} folders ({} ms): every gate ended first",
                    by_id.len(),
                    folders.len(),
                    clock.elapsed().as_millis()
                );
                return None;
            }
            let path = root.join(crate::sys::name::to_path(folder));
            match watches.add(&path, mask()) {
                Ok(wd) => {
                    by_id.insert(wd.get_watch_descriptor_id(), folder.clone());
                }
                // Gone from the work tree (a folder removed mid-refactor)
                // or not to be read: what is under it has no events, and
                // its ctimes decide.
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::NotFound
                            | std::io::ErrorKind::NotADirectory
                            | std::io::ErrorKind::PermissionDenied
                    ) => {}
                // The limit on watches, say: given up, the watches taken
                // so far handed back to the system with the instance.
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
            relevant: None,
        })
    }
}

/// The folders holding `paths` and every folder above them, `""` (the
/// root) included, sorted.
fn folders_of<'a>(paths: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut folders = vec![""];
    // Sorted paths come folder by folder: a folder just walked up from
    // has its own folders in already.
    let mut last = "";
    for path in paths {
        let Some((folder, _)) = path.rsplit_once('/') else {
            continue;
        };
        if folder == last {
            continue;
        }
        last = folder;
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
        t.attach(Kernel::watch(dir, &folders, &AtomicBool::new(false)).unwrap());
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
        let gates = |told: Option<Told>| match told {
            Some(Told::Own(spans)) => Some(spans.into_iter().map(|s| s.gates).collect::<Vec<_>>()),
            _ => None,
        };
        assert_eq!(gates(t.spans_for("a/x")), Some(vec![vec![h], vec![i]]));
        assert_eq!(gates(t.spans_for("y")), Some(vec![vec![]]));
        assert!(t.spans_for("z").is_none(), "never told of");
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
        let Some(Told::Above(spans)) = t.spans_for("a/b/x") else {
            panic!("told of the folder moved away");
        };
        assert_eq!(spans.len(), 1);
        assert_eq!(spans[0].gates, vec![g]);
        assert!(spans[0].from < spans[0].to);
    }

    #[test]
    fn what_came_before_the_watches_were_ready_is_left_to_the_ctimes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x"), "1").unwrap();
        let kernel = Kernel::watch(dir.path(), &[String::new()], &AtomicBool::new(false)).unwrap();
        let mut t = Touches::default();
        let g = GateIdx(0);
        t.started(g);
        std::fs::write(dir.path().join("x"), "2").unwrap();
        t.finished(g);
        // Ready only now: the write's event cannot be placed.
        t.attach(kernel);
        assert!(t.spans_for("x").is_none());
    }

    #[test]
    fn a_folder_gone_from_the_work_tree_leaves_the_others_watched() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x"), "1").unwrap();
        let folders = [String::new(), "old".to_owned()];
        let mut t = Touches::default();
        t.attach(
            Kernel::watch(dir.path(), &folders, &AtomicBool::new(false))
                .expect("the root is watched"),
        );
        let g = GateIdx(0);
        t.started(g);
        std::fs::write(dir.path().join("x"), "2").unwrap();
        t.finished(g);
        assert!(matches!(t.spans_for("x"), Some(Told::Own(_))));
        assert!(t.spans_for("old/f").is_none(), "left to the ctimes");
    }

    #[test]
    fn only_the_tracked_paths_and_their_folders_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("a")).unwrap();
        std::fs::write(dir.path().join("a/x"), "1").unwrap();
        let touches = Arc::new(Mutex::new(Touches::default()));
        Touches::watch(
            Arc::clone(&touches),
            dir.path().to_owned(),
            (1, || vec!["a/x".to_owned()]),
            Arc::new(AtomicBool::new(false)),
        );
        let mut t = touches.lock().unwrap();
        let g = GateIdx(0);
        t.started(g);
        std::fs::write(dir.path().join("a/x"), "2").unwrap();
        std::fs::write(dir.path().join("a/scratch"), "s").unwrap();
        t.finished(g);
        assert!(matches!(t.spans_for("a/x"), Some(Told::Own(_))));
        assert!(t.spans_for("a/scratch").is_none());
        assert!(!t.seen.contains_key("a/scratch"));
    }

    #[test]
    fn watches_still_being_set_up_when_every_gate_ended_are_given_up() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x"), "1").unwrap();
        assert!(Kernel::watch(dir.path(), &[String::new()], &AtomicBool::new(true)).is_none());
        // Set before the thread starts: nothing is asked of the paths.
        let touches = Arc::new(Mutex::new(Touches::default()));
        let stop = Arc::new(AtomicBool::new(true));
        let paths: Vec<String> = (0..=AT_ONCE).map(|i| format!("f{i}")).collect();
        let count = paths.len();
        let (tx, rx) = std::sync::mpsc::channel();
        Touches::watch(
            Arc::clone(&touches),
            dir.path().to_owned(),
            (count, move || {
                let _ = tx.send(());
                paths
            }),
            stop,
        );
        // The thread is done once the closure (never called) is dropped.
        assert!(rx.recv().is_err(), "the paths were asked for");
        let mut t = touches.lock().unwrap();
        assert!(t.kernel.is_none());
        assert!(t.spans_for("x").is_none(), "left to the ctimes");
    }

    #[test]
    fn folders_of_paths_include_every_folder_above() {
        assert_eq!(
            folders_of(["a/b/c.txt", "a/d.txt", "e.txt"].into_iter()),
            vec!["", "a", "a/b"]
        );
        assert_eq!(
            folders_of(["a/b/c", "a/b/d", "a/e", "a/f/g", "h/i", "j"].into_iter()),
            vec!["", "a", "a/b", "a/f", "h"]
        );
    }
}
