//! User-facing errors: what the user wrote wrong, where, and how to fix it.
//!
//! A [`UserError`] always means "nothing ran" and exit code 2. It carries the
//! source text and a byte span so that it can be rendered the way compilers
//! do: `file:line:col`, the line, a caret under the offending part, a hint.
//! This module never decides anything about gates; it only explains.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A source file held for error rendering.
#[derive(Debug, Clone)]
pub struct Source {
    pub path: PathBuf,
    pub text: Arc<str>,
}

impl Source {
    pub fn new(path: &Path, text: &str) -> Self {
        Source {
            path: path.to_path_buf(),
            text: Arc::from(text),
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = self.text[line_start..offset].chars().count() + 1;
        (line, col)
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// A place in a source file that an error points at.
#[derive(Debug, Clone)]
pub struct Location {
    pub source: Source,
    pub span: Range<usize>,
}

/// An error in what the user wrote or asked for. Exit code 2, nothing ran.
#[derive(Debug, Clone)]
pub struct UserError {
    pub message: String,
    pub at: Option<Location>,
    pub hint: Option<String>,
}

impl UserError {
    pub fn new(message: impl Into<String>) -> Self {
        UserError {
            message: message.into(),
            at: None,
            hint: None,
        }
    }

    pub fn at(mut self, source: &Source, span: Range<usize>) -> Self {
        self.at = Some(Location {
            source: source.clone(),
            span,
        });
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn maybe_hint(mut self, hint: Option<String>) -> Self {
        if hint.is_some() {
            self.hint = hint;
        }
        self
    }

    /// `file:line:col` of the error, if it points into a file.
    pub fn position(&self) -> Option<String> {
        self.at.as_ref().map(|loc| {
            let (line, col) = loc.source.line_col(loc.span.start);
            format!("{}:{line}:{col}", loc.source.path.display())
        })
    }
}

impl std::error::Error for UserError {}

impl fmt::Display for UserError {
    /// Renders like a compiler diagnostic:
    ///
    /// ```text
    /// error: unknown stage `stagin`
    ///   --> gates.toml:12:9
    ///    |
    /// 12 | min = { stagin = 75 }
    ///    |         ^^^^^^
    ///    = hint: did you mean `staging`?
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.render(f, "error")
    }
}

impl UserError {
    /// Renders as a diagnostic with `label` (`error`, `warning`) in front.
    pub fn render(&self, f: &mut impl fmt::Write, label: &str) -> fmt::Result {
        writeln!(f, "{label}: {}", self.message)?;
        if let Some(loc) = &self.at {
            let text = &loc.source.text;
            let start = floor_char_boundary(text, loc.span.start.min(text.len()));
            let (line_no, col) = loc.source.line_col(start);
            let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
            let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
            let line = text[line_start..line_end].trim_end_matches('\r');
            let end = floor_char_boundary(text, loc.span.end.clamp(start, line_end));
            let width = text[start..end].chars().count().max(1);
            let gutter = line_no.to_string().len();
            let pad = " ".repeat(gutter);
            writeln!(f, "{pad}--> {}:{line_no}:{col}", loc.source.path.display())?;
            writeln!(f, "{pad} |")?;
            writeln!(f, "{line_no} | {}", line.replace('\t', " "))?;
            writeln!(f, "{pad} | {}{}", " ".repeat(col - 1), "^".repeat(width))?;
        }
        if let Some(hint) = &self.hint {
            let pad = match &self.at {
                Some(loc) => " ".repeat(loc.source.line_col(loc.span.start).0.to_string().len()),
                None => String::new(),
            };
            writeln!(f, "{pad} = hint: {hint}")?;
        }
        Ok(())
    }
}

/// The closest of `candidates` to `found`, if it is close enough to be a
/// plausible typo.
pub(crate) fn did_you_mean<'a, I>(found: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(found, c), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| format!("did you mean `{c}`?"))
}

/// Output pqg could not write: stdout, or a `--report` file, refused it
/// (a reader that closed the pipe, a full disk, `/dev/full`). Not a bug in
/// pqg and not a gate outcome: [`print_and_code`] ends quietly for a
/// closed pipe and with exit 2 and a message for the rest.
#[derive(Debug)]
pub(crate) struct OutputError {
    /// Where the output went: `stdout`, or a report file's path.
    pub(crate) target: String,
    pub(crate) source: std::io::Error,
}

impl OutputError {
    /// A write to stdout that failed.
    pub(crate) fn stdout(source: std::io::Error) -> Self {
        OutputError {
            target: "stdout".to_owned(),
            source,
        }
    }

    /// Whether the reader went away (`pqg … | head`): nobody is left to
    /// tell, and nothing went wrong.
    pub(crate) fn is_closed_pipe(&self) -> bool {
        self.source.kind() == std::io::ErrorKind::BrokenPipe
    }
}

impl fmt::Display for OutputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot write to {}: {}", self.target, self.source)
    }
}

impl std::error::Error for OutputError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Prints an error from `commands::run` on stderr and returns the exit code it
/// deserves: 2 for a user error or output that cannot be written (nothing
/// at all when stdout's reader went away: exit 0, as the reader chose to
/// stop), 3 for an internal one. Nothing here panics when stderr itself
/// cannot be written.
pub fn print_and_code(err: &anyhow::Error) -> std::process::ExitCode {
    use std::io::Write as _;
    let mut stderr = std::io::stderr().lock();
    if let Some(output) = err.chain().find_map(|e| e.downcast_ref::<OutputError>()) {
        if output.is_closed_pipe() {
            return std::process::ExitCode::SUCCESS;
        }
        let _ = writeln!(stderr, "error: {output}");
        return std::process::ExitCode::from(2);
    }
    if let Some(user) = err.downcast_ref::<UserError>() {
        let _ = write!(stderr, "{user}");
        std::process::ExitCode::from(2)
    } else {
        let _ = writeln!(stderr, "internal error: {err:#}");
        let _ = writeln!(
            stderr,
            "this is a bug in pqg; please report it with the command you ran"
        );
        std::process::ExitCode::from(3)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_position_line_caret_and_hint() {
        let src = Source::new(Path::new("gates.toml"), "[gates.a]\nfom = \"x\"\n");
        let err = UserError::new("unknown key `fom`")
            .at(&src, 10..13)
            .hint("did you mean `from`?");
        assert_eq!(err.position().as_deref(), Some("gates.toml:2:1"));
        let text = err.to_string();
        assert_eq!(
            text,
            "error: unknown key `fom`\n --> gates.toml:2:1\n  |\n2 | fom = \"x\"\n  | ^^^\n  = hint: did you mean `from`?\n"
        );
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let src = Source::new(Path::new("g.toml"), "a = \"é\" x");
        assert_eq!(src.line_col(9), (1, 9));
    }

    #[test]
    fn suggests_only_close_names() {
        assert_eq!(
            did_you_mean("stagin", ["entry", "staging"]).as_deref(),
            Some("did you mean `staging`?")
        );
        assert_eq!(did_you_mean("zzz", ["entry", "staging"]), None);
    }
}
