//! The shape of the crate, held as a test (issue 11, STYLE.md "Layout").
//!
//! Data flows one way: each top-level module may import only modules of a
//! lower layer. These tests read the sources, so a new import that points
//! back up, a new `unsafe` outside `sys`, a git process started outside
//! `git`, or a setting read from the environment outside `settings` fails
//! here with the file and line, instead of surfacing later as a knot.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// Every top-level module and its layer, lowest first. A module may import
/// only modules of a strictly lower layer.
const LAYERS: &[&[&str]] = &[
    &["sys", "fmt", "diag", "log", "outcome", "baseline"],
    &["parsers", "git", "cli"],
    &["files"],
    &["config"],
    &["settings"],
    &["plan", "builtin", "schema"],
    &["cache", "schema"],
    &["run"],
    &["judge"],
    &["report"],
    &["pipeline"],
    &["commands"],
];

/// Modules that sit outside the layers: the crate root and the binary.
const ROOTS: &[&str] = &["lib", "main"];

fn layer_of() -> BTreeMap<&'static str, usize> {
    LAYERS
        .iter()
        .enumerate()
        .flat_map(|(i, names)| names.iter().map(move |n| (*n, i)))
        .collect()
}

/// Every `.rs` file under `src/`, with the top-level module it belongs to.
fn sources() -> Vec<(String, PathBuf)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(&src).sort_by_file_name() {
        let entry = entry.expect("src/ is readable");
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "rs") {
            let rel = path.strip_prefix(&src).expect("under src");
            let first = rel.components().next().expect("a component");
            let name = first.as_os_str().to_string_lossy();
            let module = name.strip_suffix(".rs").unwrap_or(&name).to_owned();
            out.push((module, path.to_path_buf()));
        }
    }
    out
}

/// Lines of code with line comments and doc comments cut away.
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().filter_map(|(i, line)| {
        let code = match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        };
        (!code.trim().is_empty()).then_some((i + 1, code))
    })
}

/// The top-level modules a line names through `crate::`, including those in
/// a `use crate::{a, b::c}` group.
fn crate_modules(line: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0usize;
            let mut start = 0usize;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        found.push(group[start..i].to_owned());
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        found.push(group[start..i].to_owned());
                        start = i + 1;
                    }
                    _ => {}
                }
            }
        } else {
            found.push(rest.to_owned());
        }
    }
    found
        .into_iter()
        .filter_map(|item| {
            let name: String = item
                .trim()
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            (!name.is_empty() && name != "self").then_some(name)
        })
        .collect()
}

#[test]
fn imports_point_only_down_the_layers() {
    let layers = layer_of();
    let mut wrong = Vec::new();
    for (module, path) in sources() {
        if ROOTS.contains(&module.as_str()) {
            continue;
        }
        let Some(&own) = layers.get(module.as_str()) else {
            wrong.push(format!(
                "{}: module `{module}` has no layer in tests/architecture.rs",
                path.display()
            ));
            continue;
        };
        let text = fs::read_to_string(&path).expect("source is readable");
        for (line_no, code) in code_lines(&text) {
            for target in crate_modules(code) {
                // Macros exported at the crate root (`crate::debug!`) live in `log`.
                let target = match target.as_str() {
                    "debug" | "info" | "warn" | "trace" => "log".to_owned(),
                    _ => target,
                };
                if target == module {
                    continue;
                }
                match layers.get(target.as_str()) {
                    Some(&layer) if layer < own => {}
                    Some(_) => wrong.push(format!(
                        "{}:{line_no}: `{module}` imports `{target}`, which is not below it",
                        path.display()
                    )),
                    None => wrong.push(format!(
                        "{}:{line_no}: `{module}` imports `{target}`, which has no layer",
                        path.display()
                    )),
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the data's direction:\n{}",
        wrong.join("\n")
    );
}

/// Every line of `src/` outside `allowed` (paths relative to `src/`) that
/// contains `needle` in code.
fn occurrences(needle: &str, allowed: &[&str]) -> Vec<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    for (_, path) in sources() {
        let rel = path.strip_prefix(&src).expect("under src");
        let rel_text = rel.to_string_lossy();
        if allowed.iter().any(|a| rel_text.starts_with(a)) {
            continue;
        }
        let text = fs::read_to_string(&path).expect("source is readable");
        for (line_no, code) in code_lines(&text) {
            if code.contains(needle) {
                found.push(format!("src/{rel_text}:{line_no}: {}", code.trim()));
            }
        }
    }
    found
}

#[test]
fn unsafe_code_lives_only_in_sys() {
    let found = occurrences("unsafe", &["sys/"]);
    assert!(
        found.is_empty(),
        "`unsafe` outside src/sys/:\n{}",
        found.join("\n")
    );
}

#[test]
fn only_git_spawn_starts_git() {
    let found = occurrences("Command::new(\"git\")", &["git/spawn.rs"]);
    assert!(
        found.is_empty(),
        "git started outside src/git/spawn.rs:\n{}",
        found.join("\n")
    );
}

#[test]
fn settings_alone_reads_pqgs_environment() {
    let mut found = Vec::new();
    for needle in ["env::var(", "env::var_os(", "env = \""] {
        found.extend(
            occurrences(needle, &["settings.rs"])
                .into_iter()
                .filter(|line| {
                    [
                        "\"PQG_",
                        "\"CI\"",
                        "\"GITHUB_",
                        "\"NO_COLOR\"",
                        "\"COLUMNS\"",
                        "env = \"",
                    ]
                    .iter()
                    .any(|name| line.contains(name))
                }),
        );
    }
    assert!(
        found.is_empty(),
        "settings read outside src/settings.rs:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_parser_of_imports_sees_groups_and_paths() {
    assert_eq!(
        crate_modules("use crate::{cache::{self, Cache}, plan};"),
        ["cache", "plan"]
    );
    assert_eq!(crate_modules("let x = crate::fmt::number(1.0);"), ["fmt"]);
    assert_eq!(crate_modules("use crate::config::Config;"), ["config"]);
    assert!(crate_modules("use std::fs;").is_empty());
}

/// The test suite starts git and pqg only through `common::isolate` (or
/// the differential world's own), so a developer's global git config (a
/// `core.hooksPath`, say) never meets a test, and a test never meets it.
#[test]
fn tests_start_git_and_pqg_isolated() {
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut found = Vec::new();
    for entry in walkdir::WalkDir::new(&tests) {
        let entry = entry.expect("tests/ is readable");
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "rs") || path.ends_with("architecture.rs") {
            continue;
        }
        let text = fs::read_to_string(path).expect("test source is readable");
        for (i, line) in text.lines().enumerate() {
            let starts = line.contains("Command::new(\"git\")")
                || (line.contains("Command::new(") && line.contains("pqg_path()"))
                || line.contains("cargo_bin(\"pqg\")");
            // The spawn must be isolated on this line or within the next few.
            let window: String = text.lines().skip(i).take(4).collect();
            if starts && !window.contains("isolate(") {
                found.push(format!("{}:{}: {}", path.display(), i + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "git or pqg started without isolate():\n{}",
        found.join("\n")
    );
}
