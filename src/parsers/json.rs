//! The value an RFC 6901 JSON pointer names in a JSON document, read as a
//! stream: only the path to it is followed, everything beside it is
//! skipped as it goes by (serde's `IgnoredAny`), so a report of any size
//! costs the reader's buffer and the key being compared, never the
//! document (DESIGN §3, `json = "/a/b"` with `file`).
//!
//! The answer is what `serde_json::Value::pointer` would give on the whole
//! document, except that an array or object there comes back empty: its
//! contents are skipped, not kept. A key written twice counts as the last,
//! as serde_json's own maps do.

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize as _;
use serde_json::Value;
use std::fmt;
use std::io::Read;

/// The value `pointer` names in the JSON document `input` (see the module
/// notes), `None` when it names nothing; an error when the document is not
/// JSON or has anything but white space after it.
pub fn at_pointer(input: impl Read, pointer: &str) -> Result<Option<Value>, serde_json::Error> {
    let tokens = tokens(pointer);
    // serde_json reads a byte at a time: through a BufReader that is a
    // copy from its buffer, not a call into the reader.
    let input = std::io::BufReader::with_capacity(super::READ_BUFFER, input);
    let mut de = serde_json::Deserializer::from_reader(input);
    let found = match &tokens {
        Some(tokens) => Walk { path: tokens }.deserialize(&mut de)?,
        // A pointer that does not start with `/` names nothing; the
        // document must still be JSON.
        None => {
            IgnoredAny::deserialize(&mut de)?;
            None
        }
    };
    de.end()?;
    Ok(found)
}

/// The pointer's reference tokens, unescaped (`~1` is `/`, `~0` is `~`);
/// `None` when it is not a pointer (not empty and not starting with `/`).
fn tokens(pointer: &str) -> Option<Vec<String>> {
    if pointer.is_empty() {
        return Some(Vec::new());
    }
    let rest = pointer.strip_prefix('/')?;
    Some(
        rest.split('/')
            .map(|t| t.replace("~1", "/").replace("~0", "~"))
            .collect(),
    )
}

/// An array index as RFC 6901 writes one: digits, no leading zero.
fn index(token: &str) -> Option<usize> {
    if token.starts_with('+') || (token.starts_with('0') && token.len() != 1) {
        return None;
    }
    token.parse().ok()
}

/// Follows `path` into the value being read.
struct Walk<'p> {
    path: &'p [String],
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = Option<Value>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(self.path.is_empty().then_some(Value::Bool(v)))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(self.path.is_empty().then(|| Value::from(v)))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(self.path.is_empty().then(|| Value::from(v)))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(self.path.is_empty().then(|| Value::from(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(self.path.is_empty().then(|| Value::String(v.to_owned())))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(self.path.is_empty().then_some(Value::String(v)))
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(self.path.is_empty().then_some(Value::Null))
    }

    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(self.path.is_empty().then_some(Value::Null))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let wanted = match self.path.split_first() {
            None => {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                return Ok(Some(Value::Array(Vec::new())));
            }
            Some((first, rest)) => index(first).map(|i| (i, rest)),
        };
        let mut found = None;
        let mut i = 0usize;
        loop {
            match wanted {
                Some((want, rest)) if want == i => {
                    match seq.next_element_seed(Walk { path: rest })? {
                        Some(value) => found = value,
                        None => break,
                    }
                }
                _ => {
                    if seq.next_element::<IgnoredAny>()?.is_none() {
                        break;
                    }
                }
            }
            i += 1;
        }
        Ok(found)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let Some((first, rest)) = self.path.split_first() else {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            return Ok(Some(Value::Object(serde_json::Map::new())));
        };
        let mut found = None;
        while let Some(matches) = map.next_key_seed(Key(first))? {
            if matches {
                // The last of a key written twice counts.
                found = map.next_value_seed(Walk { path: rest })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

/// Reads a key and says whether it is `self.0`, keeping no copy.
struct Key<'t>(&'t str);

impl<'de> DeserializeSeed<'de> for Key<'_> {
    type Value = bool;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E>(self, v: &str) -> Result<bool, E> {
        Ok(v == self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{"a":{"b":[10,{"c":2.5},"x"],"t":true,"n":null,"s":"7%",
        "k/y":1,"t~l":2,"dup":1,"dup":3,"o":{"z":[1,2]}},"":4}"#;

    fn at(pointer: &str) -> Option<Value> {
        at_pointer(DOC.as_bytes(), pointer).unwrap()
    }

    #[test]
    fn agrees_with_serde_json_pointer() {
        let whole: Value = serde_json::from_str(DOC).unwrap();
        for pointer in [
            "/a/b/0", "/a/b/1/c", "/a/b/2", "/a/t", "/a/n", "/a/s", "/a/k~1y", "/a/t~0l", "/a/dup",
            "/", "/a/b/3", "/a/b/01", "/a/b/+1", "/a/x", "/a/b/0/q", "a", "/a/o/z/1",
        ] {
            assert_eq!(at(pointer).as_ref(), whole.pointer(pointer), "{pointer}");
        }
    }

    #[test]
    fn containers_come_back_empty() {
        assert_eq!(at("/a/o"), Some(Value::Object(serde_json::Map::new())));
        assert_eq!(at("/a/o/z"), Some(Value::Array(Vec::new())));
        assert_eq!(at(""), Some(Value::Object(serde_json::Map::new())));
    }

    #[test]
    fn a_document_that_is_not_json_is_an_error() {
        assert!(at_pointer(&br#"{"a": 1"#[..], "/a").unwrap_err().is_eof());
        assert!(at_pointer(&br#"{"a": 1} x"#[..], "/a").is_err());
        assert!(at_pointer(&b"nope"[..], "/a").is_err());
    }
}
