//! Secrets kept out of everything pqg shows or keeps (DESIGN §11): which
//! values are secret, and masking them, in a finished text or in a stream
//! before it is cut. Reads the process environment once per call; never
//! prints.
//!
//! Every match of every secret is masked, overlapping ones as one: the
//! union of the matches is replaced, so two secrets sharing a part never
//! leave half of one in clear. A secret is bytes: a value that is not
//! UTF-8 is masked in the byte stream, and in text in its lossy form.

use crate::fmt::plain_text;
use aho_corasick::{AhoCorasick, MatchKind};
use std::borrow::Cow;
use std::ops::Range;

/// What a secret is replaced by.
pub(crate) const MASK: &str = "********";

/// A secret value, as bytes: an environment value need not be UTF-8.
pub(crate) type Secret = Vec<u8>;

/// A run of overlapping or touching matches the stream masker may hold
/// back at most; past it (only a pathological chain of overlapping
/// secrets gets there) the run is masked as far as it is in view.
const MAX_RUN: usize = 1 << 20;

/// Masks every occurrence of each secret value in `text`.
///
/// Escape sequences and control characters inside a secret hide it from a
/// plain search, and every report that strips them (`fmt::plain_text`)
/// would join it up again: when the stripped text shows a secret, `text`
/// becomes the stripped text, masked. Whatever a report strips afterwards,
/// no secret comes back.
pub(crate) fn redact(text: &mut String, secrets: &[Secret]) {
    if let Some(redactor) = Redactor::new(secrets) {
        redactor.redact(text);
    }
}

/// [`redact`] for many texts: the secrets' finder is built once.
pub(crate) struct Redactor(AhoCorasick);

impl Redactor {
    /// A redactor of `secrets`; `None` when there is nothing to mask.
    pub(crate) fn new(secrets: &[Secret]) -> Option<Redactor> {
        let forms: Vec<Vec<u8>> = secrets
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| String::from_utf8_lossy(s).into_owned().into_bytes())
            .collect();
        overlapping_finder(&forms).map(Redactor)
    }

    /// Whether masking would change `text`.
    pub(crate) fn holds(&self, text: &str) -> bool {
        let mut masked = text.to_owned();
        self.redact(&mut masked);
        masked != text
    }

    /// Masks `text` as [`redact`] does.
    pub(crate) fn redact(&self, text: &mut String) {
        if let Some(masked) = masked_bytes(&self.0, text.as_bytes()) {
            *text = String::from_utf8_lossy(&masked).into_owned();
        }
        if let Some(plain) = stripped_if_hiding(&self.0, text) {
            *text = plain;
        }
    }
}

/// `text` stripped of escapes and control characters (`fmt::plain_text`)
/// and masked, when stripping makes a secret whole; `None` when it does
/// not. For text already masked in the stream (a kept log's line).
pub(crate) fn revealed_by_stripping(text: &str, secrets: &[Secret]) -> Option<String> {
    let forms: Vec<Vec<u8>> = secrets
        .iter()
        .map(|s| String::from_utf8_lossy(s).into_owned().into_bytes())
        .collect();
    stripped_if_hiding(&overlapping_finder(&forms)?, text)
}

fn stripped_if_hiding(finder: &AhoCorasick, text: &str) -> Option<String> {
    let Cow::Owned(plain) = plain_text(text) else {
        return None;
    };
    let masked = masked_bytes(finder, plain.as_bytes())?;
    Some(String::from_utf8_lossy(&masked).into_owned())
}

/// A finder reporting every match, overlapping ones included; `None` when
/// there is nothing to find.
fn overlapping_finder(patterns: &[Vec<u8>]) -> Option<AhoCorasick> {
    let patterns: Vec<&[u8]> = patterns
        .iter()
        .map(Vec::as_slice)
        .filter(|p| !p.is_empty())
        .collect();
    if patterns.is_empty() {
        return None;
    }
    AhoCorasick::builder()
        .match_kind(MatchKind::Standard)
        .build(&patterns)
        .ok()
}

/// The union of every match in `haystack`, as sorted, disjoint ranges:
/// overlapping and touching matches are one range.
fn match_union(finder: &AhoCorasick, haystack: &[u8]) -> Vec<Range<usize>> {
    let mut ranges: Vec<Range<usize>> = finder
        .find_overlapping_iter(haystack)
        .map(|m| m.start()..m.end())
        .collect();
    ranges.sort_by_key(|r| r.start);
    let mut union: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match union.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => union.push(r),
        }
    }
    union
}

/// `haystack` with each range of [`match_union`] replaced by [`MASK`];
/// `None` when nothing matched.
fn masked_bytes(finder: &AhoCorasick, haystack: &[u8]) -> Option<Vec<u8>> {
    let union = match_union(finder, haystack);
    if union.is_empty() {
        return None;
    }
    let mut out = Vec::with_capacity(haystack.len());
    let mut done = 0;
    for r in union {
        out.extend_from_slice(&haystack[done..r.start]);
        out.extend_from_slice(MASK.as_bytes());
        done = r.end;
    }
    out.extend_from_slice(&haystack[done..]);
    Some(out)
}

/// The values of environment variables that must never appear in output:
/// names containing TOKEN, SECRET, PASSWORD or KEY, and those listed in
/// `settings.redact` (DESIGN §11). Values shorter than 4 bytes are too
/// common to mask. A value that is not UTF-8 is a secret all the same.
pub(crate) fn secrets_from_env(extra_names: &[String]) -> Vec<Secret> {
    use std::os::unix::ffi::OsStringExt;
    let mut values: Vec<Secret> = std::env::vars_os()
        .filter(|(k, _)| {
            let name = k.to_string_lossy();
            let upper = name.to_ascii_uppercase();
            ["TOKEN", "SECRET", "PASSWORD", "KEY"]
                .iter()
                .any(|w| upper.contains(w))
                || extra_names.iter().any(|n| *n == name)
        })
        .map(|(_, v)| v.into_vec())
        .filter(|v| v.len() >= 4)
        .collect();
    values.sort();
    values.dedup();
    values
}

/// Masks secrets in a byte stream that arrives in chunks of any size, so
/// that a secret split across two reads is masked whole and nothing after
/// it (a head/tail cut, a log file) ever sees a fragment of it.
///
/// It holds back at most the longest secret's length − 1 bytes, plus a run
/// of overlapping matches still open: a run that ends before that many
/// bytes from the end of what it has is final (every secret that could
/// start in it is wholly in view), so it and the bytes before it can go on.
pub(crate) struct StreamMasker {
    /// `None` when there is nothing to mask: bytes pass straight through.
    finder: Option<AhoCorasick>,
    hold: usize,
    pending: Vec<u8>,
}

impl StreamMasker {
    /// A masker for `secrets` (empty values are ignored).
    pub(crate) fn new(secrets: &[Secret]) -> StreamMasker {
        let hold = secrets.iter().map(Vec::len).max().unwrap_or(1).max(1) - 1;
        StreamMasker {
            finder: overlapping_finder(secrets),
            hold,
            pending: Vec::new(),
        }
    }

    /// Takes in `bytes` and hands `out` what can go on, masked.
    pub(crate) fn push(&mut self, bytes: &[u8], out: &mut impl FnMut(&[u8])) {
        if self.finder.is_none() {
            out(bytes);
            return;
        }
        self.pending.extend_from_slice(bytes);
        let safe = self.pending.len().saturating_sub(self.hold);
        self.flush(safe, false, out);
    }

    /// Hands `out` the bytes held back, masked: the stream has ended.
    pub(crate) fn finish(&mut self, out: &mut impl FnMut(&[u8])) {
        if self.finder.is_some() {
            self.flush(self.pending.len(), true, out);
        }
    }

    /// Masks and hands on `pending` up to `safe`; a run of matches that
    /// starts before `safe` but reaches it may still grow (a match starting
    /// at its end or inside it may not be wholly in view), so it waits
    /// until the stream `ended` (or it is [`MAX_RUN`] long); keeps the rest.
    fn flush(&mut self, safe: usize, ended: bool, out: &mut impl FnMut(&[u8])) {
        let Some(finder) = &self.finder else {
            return;
        };
        let mut done = 0;
        let mut upto = None;
        for r in match_union(finder, &self.pending) {
            if r.start >= safe {
                break;
            }
            if !ended && r.end >= safe && r.len() < MAX_RUN {
                upto = Some(r.start);
                break;
            }
            out(&self.pending[done..r.start]);
            out(MASK.as_bytes());
            done = r.end;
        }
        let upto = upto.unwrap_or(safe.max(done));
        if done < upto {
            out(&self.pending[done..upto]);
        }
        self.pending.drain(..upto.max(done));
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn redaction_masks_every_occurrence() {
        let mut text = "token=abcd1234 and again abcd1234".to_owned();
        redact(&mut text, &[b"abcd1234".to_vec()]);
        assert_eq!(text, "token=******** and again ********");
    }

    #[test]
    fn overlapping_secrets_are_masked_as_their_union() {
        let secrets = [b"1234ABCDwxyz".to_vec(), b"ABCDwxyzEFGH5678".to_vec()];
        let mut text = "v=1234ABCDwxyzEFGH5678 end".to_owned();
        redact(&mut text, &secrets);
        assert_eq!(text, "v=******** end");
        assert_eq!(
            stream(&secrets, &[b"v=1234ABCD", b"wxyzEF", b"GH5678 end"]),
            b"v=******** end"
        );
    }

    #[test]
    fn a_secret_split_by_escapes_is_masked_in_the_stripped_text() {
        let secrets = [b"ghp_ABCDEFGHIJKLMN".to_vec()];
        for split in ["\x1b[0m", "\x1b]0;x\x07", "\x01", "\x08"] {
            let mut text = format!("ok\ntok=ghp_ABCDEFG{split}HIJKLMN\n");
            redact(&mut text, &secrets);
            assert_eq!(text, "ok\ntok=********\n", "split by {split:?}");
        }
        let mut coloured = "\x1b[31mred\x1b[0m".to_owned();
        redact(&mut coloured, &secrets);
        assert_eq!(
            coloured, "\x1b[31mred\x1b[0m",
            "colours stay when nothing hides"
        );
    }

    #[test]
    fn a_secret_that_is_not_utf8_is_masked_in_bytes_and_lossy_text() {
        let secrets = [b"s3cr3t\xe9value99".to_vec()];
        assert_eq!(
            stream(&secrets, &[b"v=s3cr3t\xe9val", b"ue99\n"]),
            b"v=********\n"
        );
        let mut text = "v=s3cr3t\u{fffd}value99".to_owned();
        redact(&mut text, &secrets);
        assert_eq!(text, "v=********");
    }

    fn stream(secrets: &[Secret], chunks: &[&[u8]]) -> Vec<u8> {
        let mut masker = StreamMasker::new(secrets);
        let mut got = Vec::new();
        for c in chunks {
            masker.push(c, &mut |b| got.extend_from_slice(b));
        }
        masker.finish(&mut |b| got.extend_from_slice(b));
        got
    }

    #[test]
    fn a_secret_split_across_chunks_is_masked_whole() {
        let secrets = [b"abcdef".to_vec(), b"bc".to_vec()];
        assert_eq!(
            stream(&secrets, &[b"xab", b"cd", b"ef", b"y"]),
            b"x********y"
        );
        assert_eq!(stream(&secrets, &[b"xab", b"cz"]), b"xa********z");
        assert_eq!(stream(&[], &[b"plain", b" text"]), b"plain text");
    }

    proptest! {
        /// However the stream is cut into chunks, the masked stream is the
        /// whole text masked at once, and no secret survives.
        #[test]
        fn chunking_never_changes_the_masked_stream(
            text in "[abc]{0,60}",
            secrets in prop::collection::vec("[abc]{1,5}", 1..4),
            cuts in prop::collection::vec(0usize..60, 0..6),
        ) {
            let bytes = text.as_bytes();
            let mut cuts: Vec<usize> = cuts.into_iter().filter(|&c| c <= bytes.len()).collect();
            cuts.sort_unstable();
            let mut chunks = Vec::new();
            let mut at = 0;
            for c in cuts {
                chunks.push(&bytes[at..c]);
                at = c;
            }
            chunks.push(&bytes[at..]);
            let secrets: Vec<Secret> = secrets.into_iter().map(String::into_bytes).collect();
            let whole = stream(&secrets, &[bytes]);
            prop_assert_eq!(stream(&secrets, &chunks), whole);
        }
    }
}
