//! Keys for a run (DESIGN §5): one snapshot of the tree, the key commands
//! run once each (concurrently with each other and with the snapshot), and
//! per gate its key, the input files it covers and the filter that chose
//! them, or why it has none.
//!
//! [`prepare`] reads and refreshes the file-hash index through the
//! [`Cache`] and never fails: a gate whose inputs cannot be listed or read,
//! whose key command did not finish, or that needs a gate without a key,
//! simply gets no key, with the reason kept for logs and `explain`.

use super::key::{self, CacheKey, KeyCommandDigest, KeyParts};
use super::Cache;
use crate::config::{Command, Config, Gate};
use crate::files::filter::{self, IgnoredPlaces, InputFilter};
use crate::files::hash::{self, ContentTap, InputsDigest};
use crate::files::list::{self, UntrackedUpdate};
use crate::files::root::absolute;
use crate::files::snapshot::{InputFiles, Snapshot, Stated};
use std::collections::HashMap;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A gate's key, and the input files it covers.
#[derive(Debug, Clone)]
pub(crate) struct GateKey {
    pub key: CacheKey,
    pub parts: KeyParts,
    pub files: InputFiles,
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
    /// The key commands this run ran, once per command line and folder, in
    /// the order gates list them.
    pub key_commands: Vec<RanKeyCommand>,
    /// How long the snapshot of the tree took, and the key commands (run
    /// at the same time, so the longer of the two is what the run waited).
    pub snapshot_time: Duration,
    pub key_commands_time: Duration,
    /// When the last key command ended (ns since the epoch), when some
    /// ran: a tracked file changed before then was not changed by a gate.
    pub key_commands_ended_ns: Option<i64>,
}

impl Prepared {
    /// No key for any gate of `config`, nothing known of the tree.
    pub(crate) fn none(config: &Config) -> Prepared {
        let n = config.gates.len();
        Prepared {
            keys: vec![None; n],
            no_key: vec![None; n],
            snapshot: None,
            root: absolute(&config.root),
            key_commands: Vec::new(),
            snapshot_time: Duration::ZERO,
            key_commands_time: Duration::ZERO,
            key_commands_ended_ns: None,
        }
    }
}

/// What running one key command gave.
#[derive(Debug, Clone)]
pub(crate) struct KeyCommandRun {
    /// Its exit code, or why it has none (killed, timed out, not started):
    /// then the gates that list it get no key.
    pub exit: Result<i32, String>,
    /// The BLAKE3 hash of everything it printed, streamed whole.
    pub digest: [u8; 32],
    /// How many bytes it printed.
    pub bytes: u64,
    /// What it printed, bounded (head and tail): for display only, never
    /// part of the key.
    pub output: String,
}

/// A key command as this run ran it.
#[derive(Debug, Clone)]
pub(crate) struct RanKeyCommand {
    /// Its canonical text ([`key::command_text`]).
    pub command: String,
    /// As the config writes it, for messages.
    pub shown: String,
    /// The `cwd` of the gates that list it, as written; it runs there.
    pub cwd: PathBuf,
    pub run: KeyCommandRun,
    pub duration: Duration,
}

/// What looks on as the snapshot is taken: the bytes of each file hashed
/// (`tap`), and the moment every file is stat'ed, before the others are
/// hashed (`stated`, told whether the snapshot keeps the listing's
/// stamps).
#[derive(Clone, Copy)]
pub(crate) struct Watchers<'t> {
    pub tap: Option<&'t dyn ContentTap>,
    pub stated: &'t dyn Fn(&[&Stated], bool),
}

impl Watchers<'_> {
    /// Nothing looks on.
    pub(crate) const NONE: Watchers<'static> = Watchers {
        tap: None,
        stated: &unwatched,
    };
}

fn unwatched(_: &[&Stated], _: bool) {}

/// A gate's input files, their digest and the filter that chose them.
type SelectedInputs = (InputsDigest, InputFiles, Arc<InputFilter>);

/// Runs a key command in a folder, within a time limit, and captures what
/// it printed.
pub(crate) type KeyCommandRunner<'a> =
    dyn Fn(&Command, &Path, Duration) -> KeyCommandRun + Sync + 'a;

/// How long a key command may run when none of the gates that list it
/// has a `timeout` (nor `settings.timeout`).
pub(crate) const KEY_COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// A key command to run: the command, its folder (a gate's `cwd`) and its
/// time limit.
type KeyCommandJob<'c> = (&'c Command, &'c Path, Duration);

/// Computes the key of every gate in `wanted` (indices into the config's
/// gates) at `stage`, reading and refreshing the file-hash index. The
/// gates they need are keyed too (their keys are part of their
/// dependents'), whether or not they are wanted. The bytes of each file
/// hashed pass through `watchers.tap`, when there is one;
/// `watchers.stated` is called once every file is stat'ed, before the
/// files are hashed (not at all when the files cannot be listed).
pub(crate) fn prepare(
    config: &Config,
    wanted: &[usize],
    stage: &str,
    cache: &mut Cache,
    run_key_command: &KeyCommandRunner<'_>,
    cache_dir: &Path,
    watchers: Watchers<'_>,
) -> Prepared {
    let mut prepared = Prepared::none(config);
    if wanted.is_empty() {
        return prepared;
    }
    let keyed = with_needs(config, wanted);
    let commands = key_commands_of(config, &keyed);
    let root = prepared.root.clone();
    let globs: Vec<&str> = keyed
        .iter()
        .flat_map(|&i| filter::placed_globs(config.gates[i].inputs.as_deref()))
        .collect();
    // The key commands wait on other programs; the snapshot reads the
    // tree: they overlap.
    let (snapshot, ran) = std::thread::scope(|scope| {
        let running = scope.spawn(|| run_key_commands(&commands, run_key_command, &root));
        let started = Instant::now();
        let snapshot = take_snapshot(&root, cache, cache_dir, &globs, watchers);
        prepared.snapshot_time = started.elapsed();
        let ran = match running.join() {
            Ok(ran) => ran,
            Err(panic) => std::panic::resume_unwind(panic),
        };
        (snapshot, ran)
    });
    prepared.key_commands_time = ran.1;
    if !ran.0.is_empty() {
        prepared.key_commands_ended_ns = Some(crate::files::snapshot::now_ns());
    }
    prepared.key_commands = ran.0;
    log_key_commands(&prepared);
    let (snapshot, ignored) = match snapshot {
        Ok(listed) => listed,
        Err(why) => {
            for &i in wanted {
                prepared.no_key[i] = Some(why.clone());
            }
            return prepared;
        }
    };
    let ignored = Arc::new(ignored);
    let mut keyer = Keyer::new(config, stage, &snapshot, &ignored, &prepared.key_commands);
    let keys: Vec<(usize, Result<GateKey, String>)> =
        wanted.iter().map(|&i| (i, keyer.key(i))).collect();
    for (i, key) in keys {
        match key {
            Ok(key) => prepared.keys[i] = Some(key),
            Err(why) => prepared.no_key[i] = Some(why),
        }
    }
    crate::debug!(
        "cache: {} keys computed",
        prepared.keys.iter().flatten().count()
    );
    prepared.snapshot = Some(snapshot);
    prepared
}

/// `wanted` and every gate they need, transitively, in config order.
pub(crate) fn with_needs(config: &Config, wanted: &[usize]) -> Vec<usize> {
    let mut keyed = vec![false; config.gates.len()];
    let mut todo: Vec<usize> = wanted.to_vec();
    while let Some(i) = todo.pop() {
        if std::mem::replace(&mut keyed[i], true) {
            continue;
        }
        for need in &config.gates[i].needs {
            todo.extend(config.gates.iter().position(|g| &g.id == need));
        }
    }
    (0..keyed.len()).filter(|&i| keyed[i]).collect()
}

/// The key commands of `gates`, each command line once per folder it runs
/// in (the gate's `cwd`), in the order the gates list them. Each may run
/// as long as the longest `timeout` of the gates that list it (a gate's
/// own, else `settings.timeout`, else [`KEY_COMMAND_TIMEOUT`]).
fn key_commands_of<'c>(config: &'c Config, gates: &[usize]) -> Vec<KeyCommandJob<'c>> {
    let mut seen: HashMap<(String, &Path), usize> = HashMap::new();
    let mut commands: Vec<KeyCommandJob<'c>> = Vec::new();
    for &i in gates {
        let gate = &config.gates[i];
        let limit = gate
            .timeout
            .or(config.settings.timeout)
            .unwrap_or(KEY_COMMAND_TIMEOUT);
        for c in &gate.key_commands {
            match seen.entry((key::command_text(c), gate.cwd.as_path())) {
                std::collections::hash_map::Entry::Occupied(at) => {
                    let known = &mut commands[*at.get()].2;
                    *known = (*known).max(limit);
                }
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(commands.len());
                    commands.push((c, gate.cwd.as_path(), limit));
                }
            }
        }
    }
    commands
}

/// Runs `commands`, each on a thread of its own (they mostly wait on the
/// programs they start), each in its gate's `cwd` under `root`; gives back
/// what each did and how long they took together.
fn run_key_commands(
    commands: &[KeyCommandJob<'_>],
    run_key_command: &KeyCommandRunner<'_>,
    root: &Path,
) -> (Vec<RanKeyCommand>, Duration) {
    let started = Instant::now();
    let ran = std::thread::scope(|scope| {
        let running: Vec<_> = commands
            .iter()
            .map(|&(command, cwd, limit)| {
                scope.spawn(move || {
                    let started = Instant::now();
                    let run = run_key_command(command, &root.join(cwd), limit);
                    RanKeyCommand {
                        command: key::command_text(command),
                        shown: command.to_string(),
                        cwd: cwd.to_path_buf(),
                        run,
                        duration: started.elapsed(),
                    }
                })
            })
            .collect();
        running
            .into_iter()
            .map(|r| match r.join() {
                Ok(ran) => ran,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    });
    (ran, started.elapsed())
}

/// `-v`: each key command's time and how it ended.
fn log_key_commands(prepared: &Prepared) {
    for k in &prepared.key_commands {
        let end = match &k.run.exit {
            Ok(code) => format!("exit {code}, {} bytes hashed", k.run.bytes),
            Err(why) => why.clone(),
        };
        crate::info!(
            "key command `{}` (in {}): {} ms, {end}",
            k.shown,
            k.cwd.display(),
            k.duration.as_millis()
        );
    }
    if !prepared.key_commands.is_empty() {
        crate::debug!(
            "cache: key commands took {} ms, the snapshot {} ms, side by side",
            prepared.key_commands_time.as_millis(),
            prepared.snapshot_time.as_millis()
        );
    }
}

/// Lists and hashes the files under `root` (and the ignored ones at the
/// ignored places the include `globs` name) with the stored index, and saves the
/// index again when it changed; the error is why no gate gets a key.
fn take_snapshot(
    root: &Path,
    cache: &mut Cache,
    cache_dir: &Path,
    globs: &[&str],
    watchers: Watchers<'_>,
) -> Result<(Snapshot, IgnoredPlaces), String> {
    let abs_cache = absolute(cache_dir);
    crate::debug!("cache: snapshot of the files under {}", root.display());
    let root_key = root.to_string_lossy().into_owned();
    let untracked = cache.load_untracked(&root_key);
    let listed = list::snapshot_tree_with(
        root,
        &abs_cache,
        globs,
        || cache.load_index(&root_key),
        untracked,
        watchers.tap,
        watchers.stated,
    );
    let (snapshot, index, ignored, untracked) =
        listed.map_err(|e| format!("cannot list input files: {e:#}"))?;
    match &untracked {
        UntrackedUpdate::Save(record) => {
            cache.save_untracked(&root_key, Some(record));
            crate::debug!(
                "cache: untracked cache saved: {} folders and .gitignore files, {} untracked files",
                record.stats.len(),
                record.untracked.len()
            );
        }
        UntrackedUpdate::Forget => cache.save_untracked(&root_key, None),
        UntrackedUpdate::Kept | UntrackedUpdate::Off => {}
    }
    // A signal cut the hashing short: what was not hashed must not be
    // recorded, and the run stops anyway.
    if crate::sys::stop::requested().is_some() {
        return Err("pqg was interrupted while hashing the inputs".to_owned());
    }
    crate::debug!(
        "cache: snapshot of {} files, {} hashed, {} unreadable",
        snapshot.files.len(),
        snapshot.hashed,
        snapshot.unreadable.len()
    );
    // A file edited in the last 2 s is hashed on every run whatever the
    // index says, so recording it again gains nothing: rewriting the whole
    // index for it would cost more than the hash.
    if snapshot.settled > 0 || index.len() != snapshot.files.len() {
        cache.save_index(&root_key, snapshot.to_index());
        crate::debug!("cache: file index handed to its writer; the run goes on");
    }
    crate::files::drop_aside(index);
    Ok((snapshot, ignored))
}

/// Gives gates their keys, each once, a gate's needs before it.
struct Keyer<'a> {
    config: &'a Config,
    stage: &'a str,
    snapshot: &'a Snapshot,
    /// The ignored places the snapshot listed, for the gates that name them.
    ignored: &'a Arc<IgnoredPlaces>,
    ran: HashMap<(&'a str, &'a Path), &'a RanKeyCommand>,
    /// Gates with the same globs share one digest.
    selected: HashMap<Option<Vec<String>>, Result<SelectedInputs, String>>,
    keys: Vec<Option<Result<GateKey, String>>>,
    visiting: Vec<bool>,
}

impl<'a> Keyer<'a> {
    fn new(
        config: &'a Config,
        stage: &'a str,
        snapshot: &'a Snapshot,
        ignored: &'a Arc<IgnoredPlaces>,
        ran: &'a [RanKeyCommand],
    ) -> Self {
        let n = config.gates.len();
        Keyer {
            config,
            stage,
            snapshot,
            ignored,
            ran: ran
                .iter()
                .map(|k| ((k.command.as_str(), k.cwd.as_path()), k))
                .collect(),
            selected: HashMap::new(),
            keys: vec![None; n],
            visiting: vec![false; n],
        }
    }

    /// Gate `i`'s key, or why it has none.
    fn key(&mut self, i: usize) -> Result<GateKey, String> {
        if let Some(done) = &self.keys[i] {
            return done.clone();
        }
        if self.visiting[i] {
            // The config refuses cycles; this only keeps a bug finite.
            return Err("its `needs` form a cycle".to_owned());
        }
        self.visiting[i] = true;
        let key = self.compute(i);
        self.visiting[i] = false;
        self.keys[i] = Some(key.clone());
        key
    }

    fn compute(&mut self, i: usize) -> Result<GateKey, String> {
        let config = self.config;
        let gate = &config.gates[i];
        let mut needs = Vec::with_capacity(gate.needs.len());
        for need in &gate.needs {
            let j = config
                .gates
                .iter()
                .position(|g| &g.id == need)
                .ok_or_else(|| format!("needs unknown gate `{need}`"))?;
            let key = self
                .key(j)
                .map_err(|why| format!("needs `{need}`, which has no key: {why}"))?;
            needs.push((need.to_string(), key.key.hex()));
        }
        let root = absolute(&config.root);
        if let Some(why) = filter::through_symlink(&root, gate.inputs.as_deref(), &gate.cwd) {
            return Err(why);
        }
        let (snapshot, ignored) = (self.snapshot, self.ignored);
        let (digest, files, filter) = self
            .selected
            .entry(gate.inputs.clone())
            .or_insert_with(|| select_inputs(gate, snapshot, ignored))
            .clone()?;
        if digest.unreadable > 0 {
            return Err(format!("{} input files cannot be read", digest.unreadable));
        }
        let key_commands = self.key_command_digests(gate)?;
        let mut parts = key_parts(gate, self.stage, &digest, key_commands, needs);
        parts.metrics.extend(metric_file_sizes(gate, &config.root));
        Ok(GateKey {
            key: parts.key(),
            parts,
            files,
            filter,
        })
    }

    /// The digests of `gate`'s key commands as they ran in its `cwd`, or
    /// why one has none.
    fn key_command_digests(&self, gate: &Gate) -> Result<Vec<KeyCommandDigest>, String> {
        gate.key_commands
            .iter()
            .map(|c| {
                let text = key::command_text(c);
                let ran = *self
                    .ran
                    .get(&(text.as_str(), gate.cwd.as_path()))
                    .ok_or_else(|| format!("key command `{c}` did not run"))?;
                match &ran.run.exit {
                    Ok(code) => Ok(KeyCommandDigest {
                        command: ran.command.clone(),
                        exit_code: *code,
                        digest: key::hex(&ran.run.digest),
                    }),
                    Err(why) => Err(format!("key command `{c}` {why}")),
                }
            })
            .collect()
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
    Ok((digest, chosen, Arc::new(filter)))
}

/// The size now of each file a `file_size` metric of `gate` measures, as
/// key texts: the gate may only read that file (a bundle built elsewhere),
/// so its size belongs in the key like an input's bytes.
fn metric_file_sizes(gate: &Gate, root: &Path) -> Vec<String> {
    gate.metrics
        .iter()
        .filter_map(|m| match &m.source {
            crate::config::MetricSource::FileSize(file) => Some((m, file)),
            _ => None,
        })
        .map(|(m, file)| {
            let size = std::fs::metadata(root.join(&gate.cwd).join(file)).map_or_else(
                |e| format!("unreadable ({:?})", e.kind()),
                |md| md.len().to_string(),
            );
            format!("{}=file_size:{}:{size}", m.name, file.display())
        })
        .collect()
}

/// The key parts of `gate` at `stage` given its inputs digest, its key
/// commands' digests and its needs' keys. What pqg hands the gate is in:
/// its name always, the stage where the gate reads it.
pub(crate) fn key_parts(
    gate: &Gate,
    stage: &str,
    digest: &InputsDigest,
    key_commands: Vec<KeyCommandDigest>,
    needs: Vec<(String, String)>,
) -> KeyParts {
    KeyParts {
        format: key::KEY_FORMAT,
        gate: gate.id.to_string(),
        stage: key::reads_stage(gate).then(|| stage.to_owned()),
        command: key::command_text(&gate.command),
        cwd: gate.cwd.to_string_lossy().into_owned(),
        env: gate
            .env
            .iter()
            // pqg sets these for the gate; the parts above hold them.
            .filter(|name| *name != key::STAGE_VAR && *name != key::GATE_VAR)
            .map(|name| {
                (
                    name.clone(),
                    std::env::var_os(name).map(|v| key::value_digest(v.as_bytes())),
                )
            })
            .collect(),
        key_commands,
        metrics: key::metric_texts(gate),
        needs,
        inputs: key::hex(&digest.digest),
        input_count: digest.count,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn gates(text: &str) -> Config {
        Config::parse(Path::new("gates.toml"), text).expect("config parses")
    }

    fn digest() -> InputsDigest {
        InputsDigest {
            digest: [7; 32],
            count: 2,
            unreadable: 0,
        }
    }

    proptest! {
        /// The stage is in the key of a gate that reads it, and never in
        /// the key of one that does not.
        #[test]
        fn the_stage_keys_only_the_gates_that_read_it(a in "[a-z]{1,8}", b in "[a-z]{1,8}") {
            let config = gates(
                "[gates.reads]\nrun = 'test \"$PQG_STAGE\" = x'\n\
                 [gates.listed]\nrun = './check.sh'\nenv = ['PQG_STAGE']\n\
                 [gates.plain]\nrun = './check.sh'\n",
            );
            let key = |i: usize, stage: &str| {
                key_parts(&config.gates[i], stage, &digest(), Vec::new(), Vec::new()).key()
            };
            prop_assert_eq!(a == b, key(0, &a) == key(0, &b));
            prop_assert_eq!(a == b, key(1, &a) == key(1, &b));
            prop_assert_eq!(key(2, &a), key(2, &b));
        }
    }

    #[test]
    fn two_gates_with_one_command_have_different_keys() {
        let config = gates("[gates.a]\nrun = 'true'\n[gates.b]\nrun = 'true'\n");
        let key =
            |i: usize| key_parts(&config.gates[i], "dev", &digest(), Vec::new(), Vec::new()).key();
        assert_ne!(key(0), key(1));
    }

    #[test]
    fn a_needed_gate_is_keyed_with_its_needs_and_a_cycle_stays_finite() {
        let config = gates(
            "[gates.a]\nrun = 'true'\n[gates.b]\nrun = 'true'\nneeds = ['a']\n\
             [gates.c]\nrun = 'true'\nneeds = ['b']\n[gates.d]\nrun = 'true'\n",
        );
        assert_eq!(with_needs(&config, &[2]), [0, 1, 2]);
        assert_eq!(with_needs(&config, &[3, 1]), [0, 1, 3]);
    }
}
