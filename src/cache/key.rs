//! The cache key (DESIGN §5): a BLAKE3 hash of everything that can change a
//! gate's result, and nothing that cannot.
//!
//! In: a key-format version; what pqg hands the gate (its name, as
//! `PQG_GATE`; the stage, as `PQG_STAGE`, only when the gate lists it in
//! `env` or its command names it); the gate's command; `cwd`; `env` names
//! and the digests of their values (unset and empty differ); each
//! `key_commands` entry's exit code and the digest of its whole output;
//! metric sources; the keys of the gates it `needs`; the input files' paths
//! and content hashes in path order. Out: the stage of a gate that does not
//! read it, thresholds, weight, description. Every field is tagged and
//! length-prefixed, so bytes cannot shift from one field to another without
//! changing the key. The parts keep digests, never values (DESIGN §11), so
//! that a stored entry holds no secret yet `pqg explain` can still say
//! which variable or command changed. This module is pure.

use crate::config::{Command, Gate, MetricSource, Rate, Scope};
use serde::{Deserialize, Serialize};

/// Bump when the meaning of a stored result or of the key changes.
///
/// 2: the gate's name, the stage where it is read and the needs' keys are
/// in the key; key commands are hashed whole; `env` values and key command
/// outputs are kept as digests.
/// 3: output is masked before it is cut, and metric messages are masked;
/// results of format 2 may quote a secret.
/// 4: a SARIF metric's result holds the results it counted, located;
/// results of format 3 have none to report.
pub(crate) const KEY_FORMAT: u32 = 4;

/// The variable through which pqg hands a gate its stage.
pub(crate) const STAGE_VAR: &str = "PQG_STAGE";
/// The variable through which pqg hands a gate its name.
pub(crate) const GATE_VAR: &str = "PQG_GATE";

/// A `key_commands` entry as it enters the key: its command, its exit code
/// and the digest of everything it printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct KeyCommandDigest {
    pub command: String,
    pub exit_code: i32,
    /// Hex of the BLAKE3 hash of its whole output (stdout and stderr, as
    /// they came).
    pub digest: String,
}

/// The parts a key is made of, kept so `pqg explain` can say which one
/// changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct KeyParts {
    pub format: u32,
    /// The gate's name, handed to it as `PQG_GATE`.
    pub gate: String,
    /// The stage handed to it as `PQG_STAGE`, when the gate reads it
    /// ([`reads_stage`]); `None` when it does not.
    pub stage: Option<String>,
    pub command: String,
    pub cwd: String,
    /// Name and digest of the value ([`value_digest`]); `None` = unset.
    pub env: Vec<(String, Option<String>)>,
    pub key_commands: Vec<KeyCommandDigest>,
    pub metrics: Vec<String>,
    /// Name and key (hex) of each gate it `needs`, in `needs` order; a
    /// need's key holds its own needs' keys.
    pub needs: Vec<(String, String)>,
    /// Hex of the input files' digest.
    pub inputs: String,
    pub input_count: usize,
}

/// Whether pqg hands `gate` the stage: it lists `PQG_STAGE` in `env`, or
/// its command names it. A script that reads it without either must list
/// it in `env`.
pub(crate) fn reads_stage(gate: &Gate) -> bool {
    gate.env.iter().any(|name| name == STAGE_VAR)
        || match &gate.command {
            Command::Shell(s) => s.contains(STAGE_VAR),
            Command::Argv(argv) => argv.iter().any(|a| a.contains(STAGE_VAR)),
            Command::Builtin(_) => false,
        }
}

/// The digest an `env` value is kept as: hex of a BLAKE3 hash of its bytes,
/// in a context of its own.
pub(crate) fn value_digest(value: &[u8]) -> String {
    let mut h = blake3::Hasher::new_derive_key("pqg 2 env value");
    h.update(value);
    hex(h.finalize().as_bytes())
}

/// A cache key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct CacheKey(pub [u8; 32]);

impl CacheKey {
    pub(crate) fn hex(&self) -> String {
        hex(&self.0)
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The canonical text of a gate's command: the shell form and the argv form
/// of the same words are different commands.
pub(crate) fn command_text(command: &Command) -> String {
    match command {
        Command::Shell(s) => format!("sh:{s}"),
        Command::Argv(argv) => format!(
            "argv:{}",
            serde_json::to_string(argv).expect("strings serialise")
        ),
        Command::Builtin(spec) => format!("builtin:{}", spec.canonical()),
    }
}

/// The canonical text of each metric: its name and source, not thresholds.
/// What a rate adds to a coverage source's text: nothing for lines, so
/// the keys written before `rate` existed still match.
fn rate_text(rate: Rate) -> &'static str {
    match rate {
        Rate::Lines => "",
        Rate::Branches => ":rate=branches",
    }
}

pub(crate) fn metric_texts(gate: &Gate) -> Vec<String> {
    gate.metrics
        .iter()
        .map(|m| {
            let source = match &m.source {
                MetricSource::Regex(re) => format!("regex:{}", re.as_str()),
                MetricSource::Count(re) => format!("count:{}", re.as_str()),
                MetricSource::Json { pointer, file } => format!(
                    "json:{pointer}:{}",
                    file.as_ref()
                        .map_or(String::new(), |f| format!("file:{}", f.display()))
                ),
                MetricSource::Duration => "duration".to_owned(),
                MetricSource::Findings => "findings".to_owned(),
                MetricSource::Lcov { file, rate } => {
                    format!("lcov:{}{}", file.display(), rate_text(*rate))
                }
                MetricSource::Cobertura { file, rate } => {
                    format!("cobertura:{}{}", file.display(), rate_text(*rate))
                }
                MetricSource::Junit { pattern, field } => {
                    format!("junit:{pattern}:{}", field.name())
                }
                MetricSource::Sarif { file, filter } => {
                    format!(
                        "sarif:{}:{:?}:{:?}",
                        file.display(),
                        filter.levels,
                        filter.severities
                    )
                }
                MetricSource::FileSize(f) => format!("file_size:{}", f.display()),
            };
            // A scoped metric stores what its scope is judged from (each
            // file's lines, located results), which a whole-report one
            // does not: the scope is part of what is measured. Whole-report
            // texts are unchanged, so existing entries stay valid.
            match m.scope {
                Scope::All => format!("{}={source}", m.name),
                Scope::New => format!("{}={source}:scope=new", m.name),
            }
        })
        .collect()
}

impl KeyParts {
    /// Hashes the parts into a key.
    pub(crate) fn key(&self) -> CacheKey {
        let mut h = Fields(blake3::Hasher::new());
        h.u64(u64::from(self.format));
        h.field(b'g', self.gate.as_bytes());
        match &self.stage {
            None => h.field(b'-', b""),
            Some(stage) => h.field(b's', stage.as_bytes()),
        }
        h.field(b'c', self.command.as_bytes());
        h.field(b'w', self.cwd.as_bytes());
        h.u64(self.env.len() as u64);
        for (name, value) in &self.env {
            h.field(b'n', name.as_bytes());
            match value {
                None => h.field(b'u', b""),
                Some(v) => h.field(b'v', v.as_bytes()),
            }
        }
        h.u64(self.key_commands.len() as u64);
        for k in &self.key_commands {
            h.field(b'k', k.command.as_bytes());
            h.field(b'e', &k.exit_code.to_le_bytes());
            h.field(b'o', k.digest.as_bytes());
        }
        h.u64(self.metrics.len() as u64);
        for m in &self.metrics {
            h.field(b'm', m.as_bytes());
        }
        h.u64(self.needs.len() as u64);
        for (name, key) in &self.needs {
            h.field(b'N', name.as_bytes());
            h.field(b'K', key.as_bytes());
        }
        h.field(b'i', self.inputs.as_bytes());
        h.u64(self.input_count as u64);
        CacheKey(*h.0.finalize().as_bytes())
    }
}

struct Fields(blake3::Hasher);

impl Fields {
    fn u64(&mut self, v: u64) {
        self.0.update(&v.to_le_bytes());
    }
    fn field(&mut self, tag: u8, bytes: &[u8]) {
        self.0.update(&[tag]);
        self.u64(bytes.len() as u64);
        self.0.update(bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use proptest::prelude::*;
    use std::path::Path;

    fn parts() -> KeyParts {
        KeyParts {
            format: KEY_FORMAT,
            gate: "test".into(),
            stage: None,
            command: "sh:cargo test".into(),
            cwd: ".".into(),
            env: vec![("RUSTFLAGS".into(), Some(value_digest(b"-D warnings")))],
            key_commands: vec![KeyCommandDigest {
                command: "sh:rustc -V".into(),
                exit_code: 0,
                digest: "ab".repeat(32),
            }],
            metrics: vec!["lines=regex:(\\d+)".into()],
            needs: vec![("build".into(), "cd".repeat(32))],
            inputs: "00".repeat(32),
            input_count: 3,
        }
    }

    #[test]
    fn unset_and_empty_variables_differ() {
        let mut a = parts();
        a.env = vec![("X".into(), None)];
        let mut b = parts();
        b.env = vec![("X".into(), Some(value_digest(b"")))];
        assert_ne!(a.key(), b.key());
    }

    #[test]
    fn values_are_kept_as_digests() {
        let d = value_digest(b"hunter2");
        assert_eq!(d.len(), 64);
        assert!(!d.contains("hunter2"));
        assert_ne!(d, value_digest(b"hunter3"));
    }

    #[test]
    fn a_gate_reads_the_stage_when_it_lists_it_or_its_command_names_it() {
        let config = Config::parse(
            Path::new("gates.toml"),
            r#"
[gates.listed]
run = "./check.sh"
env = ["PQG_STAGE"]
[gates.shell]
run = 'test "$PQG_STAGE" != production'
[gates.argv]
run = ["sh", "-c", "echo $PQG_STAGE"]
[gates.plain]
run = "./check.sh"
env = ["STAGE"]
"#,
        )
        .unwrap();
        let reads: Vec<bool> = config.gates.iter().map(reads_stage).collect();
        assert_eq!(reads, [true, true, true, false]);
    }

    fn arb_parts() -> impl Strategy<Value = KeyParts> {
        (
            (".{0,6}", prop::option::of(".{0,6}"), ".{0,12}", ".{0,6}"),
            prop::collection::vec((".{0,6}", prop::option::of("[0-9a-f]{0,6}")), 0..3),
            prop::collection::vec((".{0,6}", any::<i32>(), "[0-9a-f]{0,6}"), 0..3),
            prop::collection::vec(".{0,6}", 0..3),
            prop::collection::vec((".{0,6}", "[0-9a-f]{0,6}"), 0..3),
            "[0-9a-f]{0,8}",
            0usize..5,
        )
            .prop_map(
                |((gate, stage, command, cwd), env, kc, metrics, needs, inputs, input_count)| {
                    KeyParts {
                        format: KEY_FORMAT,
                        gate,
                        stage,
                        command,
                        cwd,
                        env,
                        key_commands: kc
                            .into_iter()
                            .map(|(command, exit_code, digest)| KeyCommandDigest {
                                command,
                                exit_code,
                                digest,
                            })
                            .collect(),
                        metrics,
                        needs,
                        inputs,
                        input_count,
                    }
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// The key is a function of the parts: equal parts, equal keys;
        /// different parts (in any single component, or with bytes shifted
        /// between fields), different keys.
        #[test]
        fn keys_differ_exactly_when_parts_differ(a in arb_parts(), b in arb_parts()) {
            prop_assert_eq!(a == b, a.key() == b.key());
        }

        #[test]
        fn changing_one_component_changes_the_key(base in arb_parts(), which in 0usize..14, text in ".{1,6}", code in any::<i32>()) {
            let mut changed = base.clone();
            match which {
                0 => changed.gate.push_str(&text),
                // The stage, where the gate reads it: set, changed, or no
                // longer read.
                1 => changed.stage = match &base.stage {
                    None => Some(text.clone()),
                    Some(s) => Some(format!("{s}{text}")),
                },
                2 => changed.stage = match &base.stage {
                    None => Some(String::new()),
                    Some(_) => None,
                },
                3 => changed.command.push_str(&text),
                4 => changed.cwd.push_str(&text),
                5 => changed.env.push((text.clone(), None)),
                6 => changed.key_commands.push(KeyCommandDigest { command: text.clone(), exit_code: code, digest: String::new() }),
                7 => changed.metrics.push(text.clone()),
                8 => changed.needs.push((text.clone(), String::new())),
                9 => changed.inputs.push_str(&text),
                10 => changed.input_count += 1,
                // A key command's output digest, or its exit code alone.
                11 => {
                    changed.key_commands.push(KeyCommandDigest { command: "c".into(), exit_code: 0, digest: "00".into() });
                    let mut other = changed.clone();
                    if let Some(k) = other.key_commands.last_mut() {
                        k.digest.push_str(&text);
                    }
                    prop_assert_ne!(other.key(), changed.key());
                    if let Some(k) = other.key_commands.last_mut() {
                        k.digest = "00".into();
                        k.exit_code = 1;
                    }
                    prop_assert_ne!(other.key(), changed.key());
                }
                // A need's key.
                12 => {
                    changed.needs.push(("n".into(), "00".into()));
                    let mut other = changed.clone();
                    if let Some(n) = other.needs.last_mut() {
                        n.1.push_str(&text);
                    }
                    prop_assert_ne!(other.key(), changed.key());
                }
                // An env value's digest.
                _ => {
                    changed.env.push(("V".into(), Some(value_digest(b""))));
                    let mut other = changed.clone();
                    if let Some(v) = other.env.last_mut() {
                        v.1 = Some(value_digest(text.as_bytes()));
                    }
                    prop_assert_ne!(other.key(), changed.key());
                }
            }
            prop_assert_ne!(base.key(), changed.key());
        }

        #[test]
        fn shifting_bytes_between_fields_changes_the_key(a in ".{0,8}", b in ".{0,8}", c in ".{1,8}") {
            let mut left = parts();
            left.command = format!("{a}{c}");
            left.cwd = b.clone();
            let mut right = parts();
            right.command = a.clone();
            right.cwd = format!("{c}{b}");
            prop_assert_ne!(left.key(), right.key());
            let mut left = parts();
            left.gate = format!("{a}{c}");
            left.stage = Some(b.clone());
            let mut right = parts();
            right.gate = a.clone();
            right.stage = Some(format!("{c}{b}"));
            prop_assert_ne!(left.key(), right.key());
        }
    }
}
