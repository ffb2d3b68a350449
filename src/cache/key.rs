//! The cache key (DESIGN §5): a BLAKE3 hash of everything that can change a
//! gate's result, and nothing that cannot.
//!
//! In: a key-format version; the gate's command; `cwd`; `env` names and
//! values (unset and empty differ); `key_commands` outputs; metric sources;
//! the input files' paths and content hashes in path order. Out: stage,
//! thresholds, weight, description, the gate's name. Every field is tagged
//! and length-prefixed, so bytes cannot shift from one field to another
//! without changing the key. This module is pure.

use crate::config::{Command, Gate, MetricSource};
use serde::{Deserialize, Serialize};

/// Bump when the meaning of a stored result or of the key changes.
pub(crate) const KEY_FORMAT: u32 = 1;

/// What a `key_commands` entry printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct KeyCommandOutput {
    pub command: String,
    /// Exit code, or `None` when it could not run or was killed.
    pub exit_code: Option<i32>,
    pub output: String,
}

/// The parts a key is made of, kept so `pqg explain` can say which one
/// changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct KeyParts {
    pub format: u32,
    pub command: String,
    pub cwd: String,
    /// Name and value; `None` = unset.
    pub env: Vec<(String, Option<String>)>,
    pub key_commands: Vec<KeyCommandOutput>,
    pub metrics: Vec<String>,
    /// Hex of the input files' digest.
    pub inputs: String,
    pub input_count: usize,
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
                MetricSource::Lcov(f) => format!("lcov:{}", f.display()),
                MetricSource::Cobertura(f) => format!("cobertura:{}", f.display()),
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
            format!("{}={source}", m.name)
        })
        .collect()
}

impl KeyParts {
    /// Hashes the parts into a key.
    pub(crate) fn key(&self) -> CacheKey {
        let mut h = Fields(blake3::Hasher::new());
        h.u64(u64::from(self.format));
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
            match k.exit_code {
                None => h.field(b'x', b""),
                Some(code) => h.field(b'e', &code.to_le_bytes()),
            }
            h.field(b'o', k.output.as_bytes());
        }
        h.u64(self.metrics.len() as u64);
        for m in &self.metrics {
            h.field(b'm', m.as_bytes());
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
    use proptest::prelude::*;

    fn parts() -> KeyParts {
        KeyParts {
            format: KEY_FORMAT,
            command: "sh:cargo test".into(),
            cwd: ".".into(),
            env: vec![("RUSTFLAGS".into(), Some("-D warnings".into()))],
            key_commands: vec![KeyCommandOutput {
                command: "sh:rustc -V".into(),
                exit_code: Some(0),
                output: "rustc 1.95.0".into(),
            }],
            metrics: vec!["lines=regex:(\\d+)".into()],
            inputs: "00".repeat(32),
            input_count: 3,
        }
    }

    #[test]
    fn unset_and_empty_variables_differ() {
        let mut a = parts();
        a.env = vec![("X".into(), None)];
        let mut b = parts();
        b.env = vec![("X".into(), Some(String::new()))];
        assert_ne!(a.key(), b.key());
    }

    fn arb_parts() -> impl Strategy<Value = KeyParts> {
        (
            ".{0,12}",
            ".{0,6}",
            prop::collection::vec((".{0,6}", prop::option::of(".{0,6}")), 0..3),
            prop::collection::vec((".{0,6}", prop::option::of(any::<i32>()), ".{0,6}"), 0..3),
            prop::collection::vec(".{0,6}", 0..3),
            "[0-9a-f]{0,8}",
            0usize..5,
        )
            .prop_map(
                |(command, cwd, env, kc, metrics, inputs, input_count)| KeyParts {
                    format: KEY_FORMAT,
                    command,
                    cwd,
                    env,
                    key_commands: kc
                        .into_iter()
                        .map(|(command, exit_code, output)| KeyCommandOutput {
                            command,
                            exit_code,
                            output,
                        })
                        .collect(),
                    metrics,
                    inputs,
                    input_count,
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
        fn changing_one_component_changes_the_key(base in arb_parts(), which in 0usize..7, text in ".{1,6}") {
            let mut changed = base.clone();
            match which {
                0 => changed.command.push_str(&text),
                1 => changed.cwd.push_str(&text),
                2 => changed.env.push((text.clone(), None)),
                3 => changed.key_commands.push(KeyCommandOutput { command: text.clone(), exit_code: None, output: String::new() }),
                4 => changed.metrics.push(text.clone()),
                5 => changed.inputs.push_str(&text),
                _ => changed.input_count += 1,
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
        }
    }
}
