//! The result cache and the run history (DESIGN §5), behind one facade that
//! never stops a run.
//!
//! [`Cache`] (in `store`) owns the database connection. Every database
//! problem becomes at most one warning: a damaged file is moved aside and
//! replaced, anything else (locked, read-only, newer schema) turns the
//! cache off for this run. A cache problem never changes a verdict. Keys
//! are computed in [`prepare`]; results are stored only when their inputs
//! did not change while the gate ran ([`changes_since`]). The parts:
//! `store` (the handle), `entry` (stored results and their rows),
//! `manifest` (input file lists), `prepare` (keys for a run), `changes`
//! (the tree after a run), `key`, `db`, `history` and `transfer`. This
//! module uses `files` and `config`, never `run` or `plan`.

mod changes;
pub(crate) mod db;
mod entry;
pub(crate) mod history;
pub(crate) mod key;
mod manifest;
mod prepare;
mod store;
pub(crate) mod transfer;

pub(crate) use changes::{changes_since, inputs_changed, Changes};
pub(crate) use entry::{Entry, StoreItem, StoredExit, StoredMetric, StoredResult};
pub(crate) use prepare::{
    prepare, with_needs, GateKey, KeyCommandRun, Prepared, RanKeyCommand, Watchers,
};
pub(crate) use store::{Cache, CacheMode};

use crate::diag::UserError;
use std::path::Path;

/// Refuses a cache folder that holds files that would be inputs: every
/// listing leaves the cache folder out, so a gate would be keyed without
/// them and a cached pass would outlive their edits. A folder pqg made
/// (its `.gitignore` of `*` there) is not looked at: a tracked file forced
/// into it stops the keys instead ([`crate::files::list`]). Any other is
/// (two git processes): a tracked file refuses it, whatever its name, and
/// an untracked one unless pqg writes such a name there.
pub(crate) fn shares_no_inputs(root: &Path, cache_dir: &Path) -> Result<(), UserError> {
    if db::is_marked(cache_dir) {
        return Ok(());
    }
    let dir = crate::files::root::absolute(cache_dir);
    let inside = dir
        .strip_prefix(crate::files::root::absolute(root))
        .map(|d| format!("{}/", d.to_string_lossy()))
        .unwrap_or_default();
    // The first name under the cache folder: one of pqg's, or not.
    let own = |path: &str| {
        let entry = path.strip_prefix(&inside).unwrap_or(path);
        db::is_own_entry(entry.split('/').next().unwrap_or_default())
    };
    let Ok((tracked, untracked)) = crate::files::list::listed_under(root, cache_dir) else {
        return Ok(());
    };
    let theirs: Vec<&String> = tracked
        .iter()
        .chain(untracked.iter().filter(|p| !own(p)))
        .collect();
    if theirs.is_empty() {
        return Ok(());
    }
    let shown: Vec<String> = theirs
        .iter()
        .take(3)
        .map(|p| format!("`{}`", crate::sys::name::display(p)))
        .collect();
    let more = match theirs.len() {
        n if n > 3 => format!(" and {} more", n - 3),
        _ => String::new(),
    };
    Err(UserError::new(format!(
        "the cache folder `{}` holds files that are inputs ({}{more}): pqg leaves its cache folder out of every listing, so no gate would see them change",
        cache_dir.display(),
        shown.join(", ")
    ))
    .hint("give the cache a folder of its own (`cache_dir` or `PQG_CACHE_DIR`; the default is `.pqg`), or one git ignores"))
}
