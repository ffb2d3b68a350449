//! The `syntax` builtin: JSON, TOML and YAML files parse.
//!
//! A parse error becomes a finding at the parser's line and column. Files
//! that are JSON with comments by convention (`tsconfig.json`, VS Code and
//! dev container settings) are read as such, and a YAML file that fails to
//! parse but holds `{{` is taken for a template (Helm, Jinja) and gets a
//! note instead.

use super::Finding;

/// The rules this builtin reports, for SARIF.
pub(super) const RULES: [(&str, &str); 3] = [
    ("syntax-json", "JSON file does not parse"),
    ("syntax-toml", "TOML file does not parse"),
    ("syntax-yaml", "YAML file does not parse"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Format {
    Json,
    /// JSON with comments and trailing commas.
    Jsonc,
    Toml,
    Yaml,
}

impl Format {
    /// The format of a file, by its name.
    pub(super) fn of(rel: &str) -> Option<Format> {
        let name = rel.rsplit('/').next().unwrap_or(rel);
        let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
        match ext.as_str() {
            "json" if is_jsonc(rel, name) => Some(Format::Jsonc),
            "json" => Some(Format::Json),
            "jsonc" => Some(Format::Jsonc),
            "toml" => Some(Format::Toml),
            "yaml" | "yml" => Some(Format::Yaml),
            _ => None,
        }
    }

    fn rule(self) -> &'static str {
        match self {
            Format::Json | Format::Jsonc => "syntax-json",
            Format::Toml => "syntax-toml",
            Format::Yaml => "syntax-yaml",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Format::Json | Format::Jsonc => "JSON",
            Format::Toml => "TOML",
            Format::Yaml => "YAML",
        }
    }
}

fn is_jsonc(rel: &str, name: &str) -> bool {
    (name.starts_with("tsconfig") || name.starts_with("jsconfig"))
        || name == "devcontainer.json"
        || name == ".devcontainer.json"
        || rel.starts_with(".vscode/")
        || rel.contains("/.vscode/")
        || name.starts_with(".eslintrc")
        || name == "settings.json" && rel.contains(".vscode")
}

/// Checks one file: `None` when it is not a checked format or parses,
/// `Some(Ok(finding))` for a parse error, `Some(Err(note))` when it cannot
/// be judged.
pub(super) fn check(rel: &str, content: &[u8]) -> Option<Result<Finding, String>> {
    let format = Format::of(rel)?;
    let content = content.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(content);
    let finding = |line: usize, column: usize, message: String| Finding {
        file: rel.to_owned(),
        line: Some(line.max(1) as u32),
        column: Some(column.max(1) as u32),
        rule: format.rule().to_owned(),
        message: format!("{} does not parse: {message}", format.name()),
        fingerprint: None,
    };
    let text = match std::str::from_utf8(content) {
        Ok(t) => t,
        Err(e) => {
            let (line, column) = position(content, e.valid_up_to());
            return Some(Ok(finding(
                line,
                column,
                "the file is not UTF-8".to_owned(),
            )));
        }
    };
    match format {
        Format::Json => serde_json::from_str::<serde::de::IgnoredAny>(text)
            .err()
            .map(|e| Ok(finding(e.line(), e.column(), json_message(&e)))),
        Format::Jsonc => {
            let plain = strip_jsonc(text);
            serde_json::from_str::<serde::de::IgnoredAny>(&plain)
                .err()
                .map(|e| Ok(finding(e.line(), e.column(), json_message(&e))))
        }
        Format::Toml => toml::from_str::<toml::Table>(text).err().map(|e| {
            let (line, column) = e
                .span()
                .map_or((1, 1), |s| position(text.as_bytes(), s.start));
            Ok(finding(line, column, e.message().trim().to_owned()))
        }),
        Format::Yaml => match yaml_rust2::YamlLoader::load_from_str(text) {
            Ok(_) => None,
            Err(_) if text.contains("{{") => Some(Err(
                "not checked: YAML that does not parse but holds `{{` is taken for a template"
                    .to_owned(),
            )),
            Err(e) => Some(Ok(finding(
                e.marker().line(),
                e.marker().col() + 1,
                e.info().to_owned(),
            ))),
        },
    }
}

fn json_message(e: &serde_json::Error) -> String {
    // serde_json appends " at line L column C"; the location is shown apart.
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

/// 1-based line and column (in characters) of byte `offset`.
fn position(content: &[u8], offset: usize) -> (usize, usize) {
    let offset = offset.min(content.len());
    let before = &content[..offset];
    let line = 1 + memchr::memchr_iter(b'\n', before).count();
    let start = memchr::memrchr(b'\n', before).map_or(0, |p| p + 1);
    let column = 1 + before[start..]
        .iter()
        .filter(|&&b| b & 0xC0 != 0x80)
        .count();
    (line, column)
}

/// JSON with comments to plain JSON: comments become spaces (so positions
/// stay the same) and trailing commas are dropped the same way.
fn strip_jsonc(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = bytes.to_vec();
    let mut i = 0;
    let mut in_string = false;
    while i < bytes.len() {
        let b = bytes[i];
        if in_string {
            if b == b'\\' {
                i += 2;
                continue;
            }
            if b == b'"' {
                in_string = false;
            }
            i += 1;
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    out[i] = b' ';
                    i += 1;
                }
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let end = text[i + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |e| i + 2 + e + 2);
                for (j, slot) in out.iter_mut().enumerate().take(end).skip(i) {
                    if bytes[j] != b'\n' {
                        *slot = b' ';
                    }
                }
                i = end;
                continue;
            }
            b',' => {
                // Only a comma before `}` or `]`, comments between allowed.
                if matches!(bytes.get(skip_blank(bytes, i + 1)), Some(b'}' | b']')) {
                    out[i] = b' ';
                }
            }
            _ => {}
        }
        i += 1;
    }
    // Only whole ASCII bytes were replaced by spaces, so this stays UTF-8.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// The first offset from `i` that is neither whitespace nor a comment.
fn skip_blank(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() {
        if bytes[i].is_ascii_whitespace() {
            i += 1;
        } else if bytes[i..].starts_with(b"//") {
            i += memchr::memchr(b'\n', &bytes[i..]).unwrap_or(bytes.len() - i);
        } else if bytes[i..].starts_with(b"/*") {
            i += memchr::memmem::find(&bytes[i + 2..], b"*/").map_or(bytes.len() - i, |e| e + 4);
        } else {
            break;
        }
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(rel: &str, text: &str) -> Option<(u32, u32, String)> {
        check(rel, text.as_bytes()).map(|r| {
            let f = r.expect("a finding");
            (f.line.unwrap(), f.column.unwrap(), f.message)
        })
    }

    #[test]
    fn valid_files_have_no_findings() {
        assert_eq!(err("a.json", "{\"a\": [1, 2]}"), None);
        assert_eq!(err("a.toml", "a = 1\n[b]\nc = \"d\"\n"), None);
        assert_eq!(err("a.yaml", "a: 1\nb:\n  - c\n---\nd: e\n"), None);
        assert_eq!(err("README.md", "{{{ not checked"), None);
    }

    #[test]
    fn parse_errors_point_at_the_line_and_column() {
        let (line, col, msg) = err("a.json", "{\n  \"a\": 1,\n  \"b\": ]\n}").unwrap();
        assert_eq!((line, col), (3, 8), "{msg}");
        let (line, col, _) = err("x/a.toml", "a = 1\nb = = 2\n").unwrap();
        assert_eq!((line, col), (2, 5));
        let (line, _, _) = err("a.yml", "a: 1\nb: [1, 2\nc: 3\n").unwrap();
        assert!(line >= 2);
    }

    #[test]
    fn jsonc_files_allow_comments_and_trailing_commas() {
        let text = "{\n  // comment\n  \"a\": 1, /* more */\n  \"b\": [1,],\n}\n";
        assert_eq!(err("tsconfig.json", text), None);
        assert!(err("data.json", text).is_some());
        let (line, _, _) = err("tsconfig.json", "{\n // c\n \"a\": }\n").unwrap();
        assert_eq!(line, 3);
        assert_eq!(
            err(".vscode/settings.json", "{\"url\": \"http://x//y\",}"),
            None
        );
    }

    #[test]
    fn non_utf8_and_templates() {
        let f = check("a.toml", b"a = \"\xff\"\n").unwrap().unwrap();
        assert!(f.message.contains("not UTF-8"));
        assert!(check("chart/templates/d.yaml", b"a: {{ .Values.x }\n")
            .unwrap()
            .is_err());
    }
}
