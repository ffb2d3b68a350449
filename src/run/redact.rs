//! Secrets kept out of everything pqg shows or keeps (DESIGN §11): which
//! values are secret, and masking them, in a finished text or in a stream
//! before it is cut. Reads the process environment once per call; never
//! prints.

use aho_corasick::{AhoCorasick, MatchKind};

/// What a secret is replaced by.
pub(crate) const MASK: &str = "********";

/// Masks every occurrence of each secret value in `text`.
pub(crate) fn redact(text: &mut String, secrets: &[String]) {
    for secret in secrets {
        if text.contains(secret.as_str()) {
            *text = text.replace(secret.as_str(), MASK);
        }
    }
}

/// The values of environment variables that must never appear in output:
/// names containing TOKEN, SECRET, PASSWORD or KEY, and those listed in
/// `settings.redact` (DESIGN §11). Values shorter than 4 characters are too
/// common to mask.
pub(crate) fn secrets_from_env(extra_names: &[String]) -> Vec<String> {
    let mut values: Vec<String> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .filter(|(k, _)| {
            let upper = k.to_ascii_uppercase();
            ["TOKEN", "SECRET", "PASSWORD", "KEY"]
                .iter()
                .any(|w| upper.contains(w))
                || extra_names.iter().any(|n| n == k)
        })
        .map(|(_, v)| v)
        .filter(|v| v.len() >= 4)
        .collect();
    // Longest first, so that a secret containing another is masked whole.
    values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    values.dedup();
    values
}

/// Masks secrets in a byte stream that arrives in chunks of any size, so
/// that a secret split across two reads is masked whole and nothing after
/// it (a head/tail cut, a log file) ever sees a fragment of it.
///
/// It holds back at most the longest secret's length − 1 bytes: a match
/// starting before that many bytes from the end of what it has is final
/// (every secret that could start there is wholly in view), so the bytes
/// before it can go on.
pub(crate) struct StreamMasker {
    /// `None` when there is nothing to mask: bytes pass straight through.
    finder: Option<AhoCorasick>,
    hold: usize,
    pending: Vec<u8>,
}

impl StreamMasker {
    /// A masker for `secrets` (empty values are ignored).
    pub(crate) fn new(secrets: &[String]) -> StreamMasker {
        let secrets: Vec<&str> = secrets
            .iter()
            .map(String::as_str)
            .filter(|s| !s.is_empty())
            .collect();
        let hold = secrets.iter().map(|s| s.len()).max().unwrap_or(1) - 1;
        // Leftmost-longest: a secret that contains another is masked whole.
        let finder = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&secrets)
            .ok()
            .filter(|_| !secrets.is_empty());
        StreamMasker {
            finder,
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
        self.flush(safe, out);
    }

    /// Hands `out` the bytes held back, masked: the stream has ended.
    pub(crate) fn finish(&mut self, out: &mut impl FnMut(&[u8])) {
        if self.finder.is_some() {
            self.flush(self.pending.len(), out);
        }
    }

    /// Masks and hands on `pending` up to `safe` (and past it, to the end
    /// of a match that starts before it); keeps the rest.
    fn flush(&mut self, safe: usize, out: &mut impl FnMut(&[u8])) {
        let Some(finder) = &self.finder else {
            return;
        };
        let mut done = 0;
        for m in finder.find_iter(&self.pending) {
            if m.start() >= safe {
                break;
            }
            out(&self.pending[done..m.start()]);
            out(MASK.as_bytes());
            done = m.end();
        }
        let upto = safe.max(done);
        if done < upto {
            out(&self.pending[done..upto]);
        }
        self.pending.drain(..upto);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn redaction_masks_every_occurrence() {
        let mut text = "token=abcd1234 and again abcd1234".to_owned();
        redact(&mut text, &["abcd1234".to_owned()]);
        assert_eq!(text, "token=******** and again ********");
    }

    fn stream(secrets: &[String], chunks: &[&[u8]]) -> Vec<u8> {
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
        let secrets = ["abcdef".to_owned(), "bc".to_owned()];
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
            let whole = stream(&secrets, &[bytes]);
            prop_assert_eq!(stream(&secrets, &chunks), whole);
        }
    }
}
