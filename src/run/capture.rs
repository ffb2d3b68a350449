//! Bounded capture of a gate's output, and the line scan that feeds
//! output metrics.
//!
//! A gate may print gigabytes; pqg keeps the first 8 KiB and the last 56 KiB
//! (DESIGN §6) and scans lines as they stream, so memory stays bounded
//! whatever the gate does. Secrets are masked in the stream before the
//! probes, the kept log or the cut see it (DESIGN §11). Nothing here
//! interprets a value as good or bad.

use super::redact::{revealed_by_stripping, Secret, StreamMasker};
use regex::Regex;
use std::io::Write;

pub(crate) const HEAD_BYTES: usize = 8 * 1024;
pub(crate) const TAIL_BYTES: usize = 56 * 1024;
/// Lines longer than this are scanned by their first `MAX_LINE` bytes only.
pub(crate) const MAX_LINE: usize = 64 * 1024;

/// What a gate printed, as kept.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Output {
    /// The kept text, lossily decoded, with a line saying how much was left
    /// out in the middle when anything was.
    pub text: String,
    /// Everything the gate printed, in bytes.
    pub total_bytes: u64,
    /// Bytes left out of `text`.
    pub omitted_bytes: u64,
}

/// One output-reading metric to follow while the output streams.
#[derive(Debug, Clone)]
pub(crate) enum LineProbe {
    /// Keep the first group (or the whole match) of the last match.
    LastMatch(Regex),
    /// Count the lines matching.
    CountLines(Regex),
}

/// The result of one probe over the whole output.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ProbeResult {
    LastMatch(Option<String>),
    Count(u64),
}

struct LineScanner {
    probes: Vec<(LineProbe, ProbeResult)>,
    partial: Vec<u8>,
    partial_truncated: bool,
}

impl LineScanner {
    fn new(probes: Vec<LineProbe>) -> Self {
        let probes = probes
            .into_iter()
            .map(|p| {
                let init = match p {
                    LineProbe::LastMatch(_) => ProbeResult::LastMatch(None),
                    LineProbe::CountLines(_) => ProbeResult::Count(0),
                };
                (p, init)
            })
            .collect();
        LineScanner {
            probes,
            partial: Vec::new(),
            partial_truncated: false,
        }
    }

    fn feed(&mut self, mut bytes: &[u8]) {
        if self.probes.is_empty() {
            return;
        }
        while let Some(nl) = memchr(b'\n', bytes) {
            self.push_partial(&bytes[..nl]);
            self.finish_line();
            bytes = &bytes[nl + 1..];
        }
        self.push_partial(bytes);
    }

    fn push_partial(&mut self, bytes: &[u8]) {
        let room = MAX_LINE.saturating_sub(self.partial.len());
        if bytes.len() > room {
            self.partial_truncated = true;
        }
        self.partial
            .extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    fn finish_line(&mut self) {
        let raw = std::mem::take(&mut self.partial);
        self.partial_truncated = false;
        let line = String::from_utf8_lossy(&raw);
        let line = line.strip_suffix('\r').unwrap_or(&line);
        for (probe, result) in &mut self.probes {
            match (probe, result) {
                (LineProbe::LastMatch(re), ProbeResult::LastMatch(last)) => {
                    if let Some(caps) = re.captures_iter(line).last() {
                        let m = caps
                            .get(1)
                            .or_else(|| caps.get(0))
                            .map(|m| m.as_str().to_owned());
                        *last = m;
                    }
                }
                (LineProbe::CountLines(re), ProbeResult::Count(n)) => {
                    if re.is_match(line) {
                        *n += 1;
                    }
                }
                _ => unreachable!("probe and result are created together"),
            }
        }
        self.partial = raw;
        self.partial.clear();
    }

    fn finish(mut self) -> Vec<ProbeResult> {
        if !self.partial.is_empty() || self.partial_truncated {
            self.finish_line();
        }
        self.probes.into_iter().map(|(_, r)| r).collect()
    }
}

fn memchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    haystack.iter().position(|&b| b == needle)
}

/// Head-and-tail capture of a byte stream, masked before any cut.
pub(crate) struct Capture {
    masker: StreamMasker,
    sink: Sink,
    /// Everything the gate printed, in bytes, before masking.
    total: u64,
}

/// Where the masked stream goes: the line probes, the kept log, and the
/// head and tail kept for the report.
struct Sink {
    head: Vec<u8>,
    tail: Vec<u8>,
    /// Bytes of the masked stream.
    masked: u64,
    scanner: LineScanner,
    log: Option<KeptLog>,
}

/// The kept log (`--keep-logs`), written line by line once there are
/// secrets: a line whose escape sequences or control characters split a
/// secret (the stream masker cannot see it whole) is written stripped and
/// masked, as the reports show it, since `cat` or `less -R` would join it
/// up again. Other lines are written as the gate printed them (masked).
struct KeptLog {
    out: Box<dyn Write + Send>,
    secrets: Vec<Secret>,
    /// The line being gathered, at most [`MAX_LINE`] bytes.
    line: Vec<u8>,
}

impl KeptLog {
    fn write(&mut self, mut bytes: &[u8]) -> std::io::Result<()> {
        if self.secrets.is_empty() {
            return self.out.write_all(bytes);
        }
        while let Some(nl) = memchr(b'\n', bytes) {
            self.line.extend_from_slice(&bytes[..=nl]);
            self.write_line()?;
            bytes = &bytes[nl + 1..];
        }
        self.line.extend_from_slice(bytes);
        if self.line.len() > MAX_LINE {
            // A line this long is written as it is: the log's memory stays
            // bounded.
            self.out.write_all(&self.line)?;
            self.line.clear();
        }
        Ok(())
    }

    fn write_line(&mut self) -> std::io::Result<()> {
        let controls = self
            .line
            .iter()
            .any(|&b| (b < 0x20 && b != b'\n' && b != b'\t') || b == 0x7f || b == 0xc2);
        let revealed = controls
            .then(|| revealed_by_stripping(&String::from_utf8_lossy(&self.line), &self.secrets))
            .flatten();
        match revealed {
            Some(masked) => self.out.write_all(masked.as_bytes())?,
            None => self.out.write_all(&self.line)?,
        }
        self.line.clear();
        Ok(())
    }

    fn finish(&mut self) -> std::io::Result<()> {
        self.write_line()?;
        self.out.flush()
    }
}

impl Capture {
    pub(crate) fn new(probes: Vec<LineProbe>, log: Option<Box<dyn Write + Send>>) -> Self {
        Capture {
            masker: StreamMasker::new(&[]),
            sink: Sink {
                head: Vec::with_capacity(HEAD_BYTES),
                tail: Vec::new(),
                masked: 0,
                scanner: LineScanner::new(probes),
                log: log.map(|out| KeptLog {
                    out,
                    secrets: Vec::new(),
                    line: Vec::new(),
                }),
            },
            total: 0,
        }
    }

    /// The same capture, masking `secrets` in the stream before the probes,
    /// the log and the head/tail cut see it (DESIGN §11): no fragment of a
    /// secret survives a cut.
    pub(crate) fn masking(mut self, secrets: &[Secret]) -> Self {
        self.masker = StreamMasker::new(secrets);
        if let Some(log) = &mut self.sink.log {
            log.secrets = secrets.to_vec();
        }
        self
    }

    pub(crate) fn push(&mut self, bytes: &[u8]) {
        self.total += bytes.len() as u64;
        let sink = &mut self.sink;
        self.masker.push(bytes, &mut |b| sink.push(b));
    }

    /// The kept output and the probes' results.
    pub(crate) fn finish(mut self) -> (Output, Vec<ProbeResult>) {
        let sink = &mut self.sink;
        self.masker.finish(&mut |b| sink.push(b));
        let mut sink = self.sink;
        if let Some(log) = &mut sink.log {
            let _ = log.finish();
        }
        if sink.tail.len() > TAIL_BYTES {
            sink.tail.drain(..sink.tail.len() - TAIL_BYTES);
        }
        let kept = (sink.head.len() + sink.tail.len()) as u64;
        let omitted = sink.masked - kept;
        let mut text = String::from_utf8_lossy(&sink.head).into_owned();
        if omitted > 0 {
            if !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(&format!("… {omitted} bytes omitted …\n"));
        }
        text.push_str(&String::from_utf8_lossy(&sink.tail));
        (
            Output {
                text,
                total_bytes: self.total,
                omitted_bytes: omitted,
            },
            sink.scanner.finish(),
        )
    }
}

impl Sink {
    fn push(&mut self, mut bytes: &[u8]) {
        self.masked += bytes.len() as u64;
        self.scanner.feed(bytes);
        if let Some(log) = &mut self.log {
            if log.write(bytes).is_err() {
                // A full disk must not fail the gate; the log is a convenience.
                self.log = None;
            }
        }
        if self.head.len() < HEAD_BYTES {
            let n = bytes.len().min(HEAD_BYTES - self.head.len());
            self.head.extend_from_slice(&bytes[..n]);
            bytes = &bytes[n..];
        }
        if bytes.len() >= TAIL_BYTES {
            self.tail.clear();
            self.tail
                .extend_from_slice(&bytes[bytes.len() - TAIL_BYTES..]);
        } else {
            self.tail.extend_from_slice(bytes);
            // Trim in batches so that the copy is amortised.
            if self.tail.len() > 2 * TAIL_BYTES {
                self.tail.drain(..self.tail.len() - TAIL_BYTES);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_output_is_kept_whole() {
        let mut c = Capture::new(vec![], None);
        c.push(b"hello\n");
        c.push(b"world\n");
        let (out, _) = c.finish();
        assert_eq!(out.text, "hello\nworld\n");
        assert_eq!(out.omitted_bytes, 0);
    }

    #[test]
    fn large_output_keeps_head_and_tail_and_says_what_was_left_out() {
        let mut c = Capture::new(vec![], None);
        let line = b"0123456789abcdef\n";
        for _ in 0..100_000 {
            c.push(line);
        }
        let (out, _) = c.finish();
        assert_eq!(out.total_bytes, 1_700_000);
        assert_eq!(
            out.omitted_bytes,
            1_700_000 - (HEAD_BYTES + TAIL_BYTES) as u64
        );
        assert!(out
            .text
            .contains(&format!("… {} bytes omitted …", out.omitted_bytes)));
        assert!(out.text.starts_with("0123456789abcdef\n"));
        assert!(out.text.ends_with("0123456789abcdef\n"));
    }

    #[test]
    fn invalid_utf8_is_replaced_not_fatal() {
        let mut c = Capture::new(vec![LineProbe::CountLines(Regex::new("x").unwrap())], None);
        c.push(&[0xff, 0xfe, b'x', b'\n']);
        let (out, probes) = c.finish();
        assert!(out.text.contains('\u{fffd}'));
        assert_eq!(probes, [ProbeResult::Count(1)]);
    }

    #[test]
    fn probes_see_lines_split_across_chunks() {
        let mut c = Capture::new(
            vec![
                LineProbe::LastMatch(Regex::new(r"coverage: (\d+\.\d+)%").unwrap()),
                LineProbe::CountLines(Regex::new("^warning").unwrap()),
            ],
            None,
        );
        c.push(b"warning: a\ncoverage: 1");
        c.push(b"2.5%\nwarning: b\r\ncoverage: 80.0%\nwarn");
        c.push(b"ing: c");
        let (_, probes) = c.finish();
        assert_eq!(
            probes,
            [
                ProbeResult::LastMatch(Some("80.0".into())),
                ProbeResult::Count(3)
            ]
        );
    }

    #[test]
    fn very_long_lines_are_bounded() {
        let mut c = Capture::new(vec![LineProbe::CountLines(Regex::new("^a").unwrap())], None);
        let chunk = vec![b'a'; 1 << 20];
        for _ in 0..8 {
            c.push(&chunk);
        }
        c.push(b"\n");
        let (out, probes) = c.finish();
        assert_eq!(probes, [ProbeResult::Count(1)]);
        assert!(out.text.len() < HEAD_BYTES + TAIL_BYTES + 100);
    }

    #[test]
    fn a_secret_across_the_head_cut_leaves_no_fragment() {
        let secret = "s3cr3t-t0ken-value".to_owned(); // pqg:allow (a test value)
        let mut c = Capture::new(vec![], None).masking(&[secret.clone().into_bytes()]);
        // The secret starts 5 bytes before the head cut, and arrives in
        // two reads split at the cut.
        let mut stream = vec![b'.'; HEAD_BYTES - 5];
        stream.extend_from_slice(secret.as_bytes());
        stream.extend(std::iter::repeat_n(b'x', 2 * TAIL_BYTES));
        stream.extend_from_slice(secret.as_bytes());
        stream.extend_from_slice(b"\n");
        c.push(&stream[..HEAD_BYTES]);
        c.push(&stream[HEAD_BYTES..]);
        let (out, _) = c.finish();
        assert!(
            !out.text.contains("s3cr"),
            "{}",
            &out.text[HEAD_BYTES - 10..HEAD_BYTES + 10]
        );
        assert!(!out.text.contains("alue"));
        assert!(out.text.ends_with("********\n"));
        assert_eq!(out.total_bytes, stream.len() as u64);
    }
}
