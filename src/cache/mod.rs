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
