//! The shape of `gates.toml` as written, before any meaning is given to it.
//!
//! Every field the user can get wrong keeps its span (`toml::Spanned`) so
//! that checks made after parsing can still point at the line. Nothing here
//! knows about stages, defaults or validity beyond TOML types; that is
//! the resolver's job (`resolver.rs`).

use indexmap::IndexMap;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::fmt;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    pub stages: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub settings: Option<Spanned<RawSettings>>,
    #[serde(default)]
    pub gates: IndexMap<Spanned<String>, Spanned<RawGate>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSettings {
    pub default_stage: Option<Spanned<String>>,
    pub jobs: Option<Spanned<i64>>,
    pub cache_dir: Option<Spanned<String>>,
    pub timeout: Option<Spanned<String>>,
    pub min_score: Option<Spanned<RawStageMap>>,
    pub fail_fast: Option<Spanned<RawStageMap>>,
    pub redact: Option<Vec<String>>,
    pub history: Option<Spanned<i64>>,
    pub new_code_since: Option<Spanned<String>>,
}

/// A `run` value: a string goes through `sh -c`, an array is argv.
#[derive(Debug, Clone)]
pub(super) enum RawCommand {
    Shell(String),
    Argv(Vec<String>),
}

impl<'de> Deserialize<'de> for RawCommand {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawCommand;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a command string or an array of arguments")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawCommand, E> {
                Ok(RawCommand::Shell(v.to_owned()))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<RawCommand, A::Error> {
                let mut argv = Vec::new();
                while let Some(arg) = seq.next_element::<String>()? {
                    argv.push(arg);
                }
                Ok(RawCommand::Argv(argv))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGate {
    pub description: Option<String>,
    pub run: Option<Spanned<RawCommand>>,
    pub builtin: Option<Spanned<String>>,
    pub from: Option<Spanned<String>>,
    pub enforce_from: Option<Spanned<String>>,
    pub needs: Option<Vec<Spanned<String>>>,
    pub inputs: Option<Vec<Spanned<String>>>,
    pub env: Option<Vec<Spanned<String>>>,
    pub key_commands: Option<Vec<Spanned<RawCommand>>>,
    pub cache: Option<bool>,
    pub cache_ttl: Option<Spanned<String>>,
    pub cache_failures: Option<bool>,
    pub writes: Option<Spanned<bool>>,
    pub timeout: Option<Spanned<String>>,
    pub retries: Option<Spanned<i64>>,
    pub exit_codes: Option<Spanned<Vec<i64>>>,
    pub cwd: Option<Spanned<String>>,
    pub weight: Option<Spanned<f64>>,
    pub slots: Option<Spanned<i64>>,
    #[serde(default)]
    pub metrics: IndexMap<Spanned<String>, Spanned<RawMetric>>,
    // Options of built-in checks (DESIGN §9).
    pub rules: Option<Spanned<Vec<Spanned<RawRule>>>>,
    pub allow: Option<Spanned<Vec<Spanned<String>>>>,
    pub max_size: Option<Spanned<Scalar>>,
    pub patterns: Option<Spanned<Vec<Spanned<RawPattern>>>>,
}

/// A rule added to `builtin = "secrets"`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRule {
    pub id: Spanned<String>,
    pub description: Option<String>,
    pub regex: Spanned<String>,
    pub keywords: Option<Vec<String>>,
    pub entropy: Option<Spanned<f64>>,
}

/// A pattern of `builtin = "forbidden"`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPattern {
    pub id: Option<Spanned<String>>,
    pub pattern: Option<Spanned<String>>,
    pub regex: Option<Spanned<String>>,
    pub message: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMetric {
    pub regex: Option<Spanned<String>>,
    pub count: Option<Spanned<String>>,
    pub json: Option<Spanned<String>>,
    pub file: Option<Spanned<String>>,
    pub duration: Option<Spanned<bool>>,
    pub lcov: Option<Spanned<String>>,
    pub cobertura: Option<Spanned<String>>,
    pub junit: Option<Spanned<String>>,
    pub field: Option<Spanned<String>>,
    pub sarif: Option<Spanned<String>>,
    pub level: Option<Spanned<OneOrMany>>,
    pub severity: Option<Spanned<OneOrMany>>,
    pub file_size: Option<Spanned<String>>,
    pub min: Option<Spanned<RawStageMap>>,
    pub max: Option<Spanned<RawStageMap>>,
    pub max_regression: Option<Spanned<RawStageMap>>,
    pub better: Option<Spanned<String>>,
    pub unit: Option<String>,
    pub scope: Option<Spanned<String>>,
    pub rate: Option<Spanned<String>>,
}

/// A string, or an array of strings.
#[derive(Debug, Clone)]
pub(super) struct OneOrMany(pub Vec<String>);

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = OneOrMany;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or an array of strings")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<OneOrMany, E> {
                Ok(OneOrMany(vec![v.to_owned()]))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<OneOrMany, A::Error> {
                let mut all = Vec::new();
                while let Some(s) = seq.next_element::<String>()? {
                    all.push(s);
                }
                Ok(OneOrMany(all))
            }
        }
        d.deserialize_any(V)
    }
}

/// A scalar as written in TOML, typed later against what the key expects.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Scalar {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

impl Scalar {
    pub(super) fn kind(&self) -> &'static str {
        match self {
            Scalar::Bool(_) => "a boolean",
            Scalar::Int(_) => "an integer",
            Scalar::Float(_) => "a float",
            Scalar::Str(_) => "a string",
        }
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number, a boolean or a string")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
        i64::try_from(v)
            .map(Scalar::Int)
            .map_err(|_| E::custom("integer out of range"))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
        Ok(Scalar::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar::Str(v.to_owned()))
    }
}

/// A stage map as written (DESIGN §2): a plain value, or a table keyed by
/// stage names. Stage names are checked against the ladder later, when the
/// whole file (and so `stages`) is known.
#[derive(Debug, Clone)]
pub(super) enum RawStageMap {
    Plain(Scalar),
    ByStage(Vec<(Spanned<String>, Spanned<Scalar>)>),
}

impl<'de> Deserialize<'de> for RawStageMap {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawStageMap;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a value, or a table of stage = value")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<RawStageMap, E> {
                ScalarVisitor.visit_bool(v).map(RawStageMap::Plain)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawStageMap, E> {
                ScalarVisitor.visit_i64(v).map(RawStageMap::Plain)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawStageMap, E> {
                ScalarVisitor.visit_u64(v).map(RawStageMap::Plain)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawStageMap, E> {
                ScalarVisitor.visit_f64(v).map(RawStageMap::Plain)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawStageMap, E> {
                ScalarVisitor.visit_str(v).map(RawStageMap::Plain)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawStageMap, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    let value = map.next_value::<Spanned<Scalar>>()?;
                    entries.push((key, value));
                }
                Ok(RawStageMap::ByStage(entries))
            }
        }
        d.deserialize_any(V)
    }
}
