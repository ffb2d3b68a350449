//! File names as the operating system gives them (bytes) and as pqg holds
//! them (strings), and back.
//!
//! A name that is valid UTF-8 is held as it is. Each byte of a name that is
//! not part of valid UTF-8 is held as a NUL followed by the character whose
//! code point is that byte (`caf\xe9` → `caf\0é`): no real file name holds
//! a NUL, so the escaping is reversible and keeps distinct names distinct,
//! and globs still see the rest of the name (`*.txt` matches). [`to_bytes`]
//! turns it back for the OS; [`display`] shows it as git does with
//! `core.quotePath` (`"caf\351.txt"`).

use std::borrow::Cow;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// The escape that marks a byte that is not part of valid UTF-8.
const ESCAPE: char = '\0';

/// A file name (or relative path) as pqg holds it, from the OS's bytes.
pub(crate) fn from_bytes(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => escape(e.as_bytes()),
    }
}

fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 8);
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for &b in chunk.invalid() {
            out.push(ESCAPE);
            out.push(char::from(b));
        }
    }
    out
}

/// Whether `c` stands for a byte after [`ESCAPE`].
fn is_byte(c: char) -> bool {
    (0x80..=0xff).contains(&u32::from(c))
}

/// Whether `name` holds bytes that are not UTF-8 (escaped).
pub(crate) fn is_escaped(name: &str) -> bool {
    name.as_bytes().contains(&0)
}

/// The OS's bytes of a name held by pqg.
pub(crate) fn to_bytes(name: &str) -> Cow<'_, [u8]> {
    if !is_escaped(name) {
        return Cow::Borrowed(name.as_bytes());
    }
    let mut out = Vec::with_capacity(name.len());
    let mut chars = name.chars().peekable();
    let mut buf = [0; 4];
    while let Some(c) = chars.next() {
        // Only escape() writes a NUL, always before a byte of 0x80 or more;
        // any other NUL stays, and the OS refuses it.
        match (c, chars.peek()) {
            (ESCAPE, Some(&b)) if is_byte(b) => {
                out.push(u32::from(b) as u8);
                chars.next();
            }
            (c, _) => out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes()),
        }
    }
    Cow::Owned(out)
}

/// A name held by pqg as a path the OS understands.
pub(crate) fn to_path(name: &str) -> Cow<'_, Path> {
    match to_bytes(name) {
        Cow::Borrowed(b) => Cow::Borrowed(Path::new(OsStr::from_bytes(b))),
        Cow::Owned(b) => Cow::Owned(Path::new(OsStr::from_bytes(&b)).to_path_buf()),
    }
}

/// Whether [`display`] quotes `name`: it is not UTF-8, or it holds a
/// control character (a newline would let a name pose as a line of its
/// own), a `"` or a `\`, as git's `core.quotePath` decides.
pub(crate) fn needs_quoting(name: &str) -> bool {
    is_escaped(name)
        || name
            .chars()
            .any(|c| c.is_control() || c == '"' || c == '\\')
}

/// A name for people: as it is when it is plain UTF-8, else quoted as git
/// does (`"caf\351.txt"`, `"a\nb.txt"`: the name in double quotes, each
/// byte that is not UTF-8 in octal, `"`, `\` and control characters
/// escaped).
pub(crate) fn display(name: &str) -> Cow<'_, str> {
    if !needs_quoting(name) {
        return Cow::Borrowed(name);
    }
    let mut out = String::with_capacity(name.len() + 8);
    out.push('"');
    let mut chars = name.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            (ESCAPE, Some(&b)) if is_byte(b) => {
                out.push_str(&format!("\\{:03o}", u32::from(b)));
                chars.next();
            }
            ('"', _) => out.push_str("\\\""),
            ('\\', _) => out.push_str("\\\\"),
            ('\t', _) => out.push_str("\\t"),
            ('\n', _) => out.push_str("\\n"),
            (c, _) if c.is_control() => out.push_str(&format!("\\{:03o}", u32::from(c))),
            (c, _) => out.push(c),
        }
    }
    out.push('"');
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_are_not_utf8_round_trip_and_stay_distinct() {
        let utf8 = "caf\u{e9}.txt".to_owned();
        assert_eq!(from_bytes(utf8.clone().into_bytes()), utf8);
        assert_eq!(display(&utf8), utf8);
        assert_eq!(to_bytes(&utf8).as_ref(), utf8.as_bytes());

        let latin1 = b"caf\xe9.txt".to_vec();
        let held = from_bytes(latin1.clone());
        assert_ne!(held, utf8, "distinct from the UTF-8 name");
        assert!(is_escaped(&held));
        assert_eq!(to_bytes(&held).as_ref(), latin1.as_slice());
        assert_eq!(display(&held), "\"caf\\351.txt\"");
        assert_eq!(to_path(&held).as_os_str().as_bytes(), latin1.as_slice());

        // Bytes that look like an escaped form stay themselves.
        let tricky = b"a\xc3\"\\b".to_vec();
        let held = from_bytes(tricky.clone());
        assert_eq!(to_bytes(&held).as_ref(), tricky.as_slice());
        assert_eq!(display(&held), "\"a\\303\\\"\\\\b\"");
        assert_eq!(to_bytes("a\0b").as_ref(), b"a\0b", "a stray NUL stays");
        assert_eq!(display("x\nforged.txt:1:1"), "\"x\\nforged.txt:1:1\"");
        assert_eq!(display("a\rb\x1b"), "\"a\\015b\\033\"");
        assert_eq!(display("say \"hi\".txt"), "\"say \\\"hi\\\".txt\"");
        let mut all: Vec<u8> = (1..=255).collect();
        all.retain(|&b| b != b'/');
        assert_eq!(to_bytes(&from_bytes(all.clone())).as_ref(), all.as_slice());
    }
}
