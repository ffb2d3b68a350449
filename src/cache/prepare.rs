//! Keys for a run (DESIGN §5): one snapshot of the tree, the key commands
//! run once each, and per gate its key, the input files it covers and the
//! filter that chose them, or why it has none.
//!
//! [`prepare`] reads and refreshes the file-hash index through the
//! [`Cache`] and never fails: a gate whose inputs cannot be listed or read
//! simply gets no key, with the reason kept for logs and `explain`.

use super::key::{self, CacheKey, KeyCommandOutput, KeyParts};
use super::Cache;
use crate::config::{Command, Config, Gate};
use crate::files::filter::{self, IgnoredPlaces, InputFilter};
use crate::files::hash::{self, InputsDigest};
use crate::files::list;
use crate::files::root::absolute;
use crate::files::snapshot::{FileEntry, Snapshot};
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A gate's key, and the input files it covers.
#[derive(Debug, Clone)]
pub(crate) struct GateKey {
    pub key: CacheKey,
    pub parts: KeyParts,
    pub files: Arc<Vec<FileEntry>>,
    pub filter: Arc<InputFilter>,
}

/// Keys for a run: one per gate that runs and may be cached.
pub(crate) struct Prepared {
    pub keys: Vec<Option<GateKey>>,
    /// Why a gate has no key, for logs and `explain`.
    pub no_key: Vec<Option<String>>,
    pub snapshot: Option<Snapshot>,
    /// The config's folder, absolute.
    pub root: PathBuf,
}

/// A gate's input files, their digest and the filter that chose them.
type SelectedInputs = (InputsDigest, Arc<Vec<FileEntry>>, Arc<InputFilter>);

/// The key command outputs of a run, by command text.
type KeyCommandOutputs = HashMap<String, KeyCommandOutput>;

/// Runs a key command and captures what it printed.
pub(crate) type KeyCommandRunner<'a> = dyn Fn(&Command, &Path) -> KeyCommandOutput + Sync + 'a;

/// Computes the key of every gate in `wanted` (indices into the config's
/// gates), reading and refreshing the file-hash index.
pub(crate) fn prepare(
    config: &Config,
    wanted: &[usize],
    cache: &mut Cache,
    run_key_command: &KeyCommandRunner<'_>,
    cache_dir: &Path,
) -> Prepared {
    let n = config.gates.len();
    let mut prepared = Prepared {
        keys: vec![None; n],
        no_key: vec![None; n],
        snapshot: None,
        root: absolute(&config.root),
    };
    if wanted.is_empty() {
        return prepared;
    }
    let places: Vec<&str> = wanted
        .iter()
        .flat_map(|&i| filter::named_places(config.gates[i].inputs.as_deref()))
        .collect();
    let (snapshot, ignored) = match take_snapshot(&prepared.root, cache, cache_dir, &places) {
        Ok(snapshot) => snapshot,
        Err(why) => {
            for &i in wanted {
                prepared.no_key[i] = Some(why.clone());
            }
            return prepared;
        }
    };
    let outputs = run_key_commands(config, wanted, run_key_command, &prepared.root);
    let ignored = Arc::new(ignored);
    assign_keys(&mut prepared, config, wanted, &snapshot, &ignored, &outputs);
    crate::debug!(
        "cache: {} keys computed",
        prepared.keys.iter().flatten().count()
    );
    prepared.snapshot = Some(snapshot);
    prepared
}

/// Lists and hashes the files under `root` (and the ignored ones at the
/// ignored places among `places`) with the stored index, and saves the
/// index again when it changed; the error is why no gate gets a key.
fn take_snapshot(
    root: &Path,
    cache: &mut Cache,
    cache_dir: &Path,
    places: &[&str],
) -> Result<(Snapshot, IgnoredPlaces), String> {
    let abs_cache = absolute(cache_dir);
    crate::debug!("cache: snapshot of the files under {}", root.display());
    let root_key = root.to_string_lossy().into_owned();
    let listed = list::snapshot_tree(root, &abs_cache, places, || cache.load_index(&root_key));
    let (snapshot, index, ignored) =
        listed.map_err(|e| format!("cannot list input files: {e:#}"))?;
    crate::debug!(
        "cache: snapshot of {} files, {} hashed, {} unreadable",
        snapshot.files.len(),
        snapshot.hashed,
        snapshot.unreadable.len()
    );
    // A file edited in the last 2 s is hashed on every run whatever the
    // index says, so recording it again gains nothing: rewriting the whole
    // index for it would cost more than the hash.
    if snapshot.settled > 0 || index.records.len() != snapshot.files.len() {
        cache.save_index(&root_key, &snapshot.to_index());
        crate::debug!("cache: file index saved");
    }
    Ok((snapshot, ignored))
}

/// Runs the key commands of the `wanted` gates, in parallel; a command
/// repeated by neighbouring gates runs once.
fn run_key_commands(
    config: &Config,
    wanted: &[usize],
    run_key_command: &KeyCommandRunner<'_>,
    root: &Path,
) -> KeyCommandOutputs {
    let mut commands: Vec<&Command> = wanted
        .iter()
        .flat_map(|&i| config.gates[i].key_commands.iter())
        .collect();
    commands.dedup();
    commands
        .par_iter()
        .map(|c| (key::command_text(c), run_key_command(c, root)))
        .collect()
}

/// Gives each of the `wanted` gates its key, or the reason it has none.
/// Gates with the same globs share one digest.
fn assign_keys(
    prepared: &mut Prepared,
    config: &Config,
    wanted: &[usize],
    snapshot: &Snapshot,
    ignored: &Arc<IgnoredPlaces>,
    outputs: &KeyCommandOutputs,
) {
    let mut digests: HashMap<Option<Vec<String>>, Result<SelectedInputs, String>> = HashMap::new();
    for &i in wanted {
        let gate = &config.gates[i];
        let selected = digests
            .entry(gate.inputs.clone())
            .or_insert_with(|| select_inputs(gate, snapshot, ignored));
        match selected {
            Err(e) => prepared.no_key[i] = Some(e.clone()),
            Ok((digest, _, _)) if digest.unreadable > 0 => {
                prepared.no_key[i] =
                    Some(format!("{} input files cannot be read", digest.unreadable));
            }
            Ok((digest, files, filter)) => {
                let parts = key_parts(gate, digest, outputs);
                prepared.keys[i] = Some(GateKey {
                    key: parts.key(),
                    parts,
                    files: Arc::clone(files),
                    filter: Arc::clone(filter),
                });
            }
        }
    }
}

/// The files of `snapshot` that `gate`'s input globs choose, and their
/// digest; the snapshot's files under `ignored` are ignored ones.
fn select_inputs(
    gate: &Gate,
    snapshot: &Snapshot,
    ignored: &Arc<IgnoredPlaces>,
) -> Result<SelectedInputs, String> {
    let filter = InputFilter::new(gate.inputs.as_deref())
        .map_err(|e| format!("invalid input glob: {e}"))?
        .with_ignored(Arc::clone(ignored));
    let (digest, chosen) = hash::digest(snapshot, &filter);
    Ok((digest, Arc::new(chosen), Arc::new(filter)))
}

/// The key parts of `gate` given its inputs digest and key command outputs.
pub(crate) fn key_parts(
    gate: &Gate,
    digest: &InputsDigest,
    outputs: &HashMap<String, KeyCommandOutput>,
) -> KeyParts {
    KeyParts {
        format: key::KEY_FORMAT,
        command: key::command_text(&gate.command),
        cwd: gate.cwd.to_string_lossy().into_owned(),
        env: gate
            .env
            .iter()
            .map(|name| {
                (
                    name.clone(),
                    std::env::var_os(name).map(|v| v.to_string_lossy().into_owned()),
                )
            })
            .collect(),
        key_commands: gate
            .key_commands
            .iter()
            .map(|c| {
                outputs
                    .get(&key::command_text(c))
                    .cloned()
                    .unwrap_or_else(|| KeyCommandOutput {
                        command: key::command_text(c),
                        exit_code: None,
                        output: String::new(),
                    })
            })
            .collect(),
        metrics: key::metric_texts(gate),
        inputs: key::hex(&digest.digest),
        input_count: digest.count,
    }
}
