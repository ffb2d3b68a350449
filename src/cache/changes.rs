//! What changed in the tree while the gates ran, so a result whose inputs
//! moved under it is not stored (DESIGN §5).
//!
//! Checked once after a run for every gate: the paths that changed since
//! the snapshot, and a fresh listing for new files. This module only reads
//! the tree; it never writes the cache.

use super::prepare::{GateKey, Prepared};
use crate::files::list;
use crate::files::root::{absolute, Root};
use crate::sys::name;
use std::path::Path;

/// What changed in the tree since the snapshot, checked once after a run
/// for every gate: the paths that changed, and a fresh listing for new
/// files.
pub(crate) struct Changes {
    pub changed: std::collections::HashSet<String>,
    /// Listed now, exists, and not in the snapshot.
    pub appeared: Vec<String>,
}

/// Looks at the tree again after a run.
pub(crate) fn changes_since(prepared: &Prepared, cache_dir: &Path) -> Option<Changes> {
    let snapshot = prepared.snapshot.as_ref()?;
    let places: Vec<&str> = prepared
        .keys
        .iter()
        .flatten()
        .flat_map(|k| k.filter.places())
        .collect();
    let listed_now = list::list_files(&prepared.root, &absolute(cache_dir), &places).ok()?;
    let mut before = snapshot.files.iter().map(|f| f.path.as_str()).peekable();
    let mut appeared = Vec::new();
    // Both sorted. git lists tracked files deleted from the work tree, so a
    // listed path only counts as new if it exists.
    for path in listed_now {
        while before.next_if(|p| *p < path.as_str()).is_some() {}
        if before.next_if(|p| *p == path.as_str()).is_none()
            && std::fs::symlink_metadata(prepared.root.join(name::to_path(&path)))
                .is_ok_and(|m| !m.is_dir())
        {
            appeared.push(path);
        }
    }
    Some(Changes {
        changed: snapshot.changed_since(&Root::open(&prepared.root).ok()?),
        appeared,
    })
}

/// Whether the inputs of a key changed since the snapshot: a file edited,
/// removed, or a new file matching the gate's globs.
pub(crate) fn inputs_changed(key: &GateKey, changes: &Changes) -> bool {
    changes.appeared.iter().any(|p| key.filter.matches(p))
        || (!changes.changed.is_empty()
            && key.files.iter().any(|f| changes.changed.contains(&f.path)))
}
