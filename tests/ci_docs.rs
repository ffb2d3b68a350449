//! docs/ci stays true: the workflow files parse as YAML, and every pqg
//! command in them is one this pqg accepts (the same parser as the binary).

use clap::Parser;
use std::path::Path;

/// The shell commands of a workflow: the values of `run` (GitHub) and
/// `script` (GitLab) keys, wherever they are.
fn commands(y: &yaml_rust2::Yaml, out: &mut Vec<String>) {
    match y {
        yaml_rust2::Yaml::Array(a) => a.iter().for_each(|v| commands(v, out)),
        yaml_rust2::Yaml::Hash(h) => h.iter().for_each(|(k, v)| {
            let is_command = matches!(k.as_str(), Some("run" | "script"));
            match v {
                yaml_rust2::Yaml::String(s) if is_command => out.push(s.clone()),
                yaml_rust2::Yaml::Array(items) if is_command => items
                    .iter()
                    .filter_map(|i| i.as_str())
                    .for_each(|s| out.push(s.to_owned())),
                other => commands(other, out),
            }
        }),
        _ => {}
    }
}

#[test]
fn every_pqg_command_in_docs_ci_parses() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/ci");
    let mut checked = 0;
    // GitHub expressions hold spaces: `${{ matrix.shard }}` is one word.
    let expression = regex::Regex::new(r"\$\{\{[^}]*\}\}").unwrap();
    for file in ["github-actions.yml", "gitlab-ci.yml"] {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        let docs =
            yaml_rust2::YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        let mut all = Vec::new();
        docs.iter().for_each(|d| commands(d, &mut all));
        for s in all {
            // A conditional flag (`${{ cond && '--flag' || '' }}`) stands
            // for its flag; any other expression for a plain word.
            let s = expression.replace_all(&s, |c: &regex::Captures<'_>| {
                let inner = &c[0];
                match inner.find("'--") {
                    Some(at) => inner[at + 1..].split('\'').next().unwrap_or("").to_owned(),
                    None => "1".to_owned(),
                }
            });
            for line in s.lines() {
                // Commands after `do` in a loop, or at the start of a line.
                for cmd in line
                    .split(['|', ';', '&'])
                    .flat_map(|c| c.split(" do "))
                    .flat_map(|c| c.split(" then "))
                    .flat_map(|c| c.split(" else "))
                {
                    let cmd = cmd.trim();
                    if !cmd.starts_with("pqg ") {
                        continue;
                    }
                    let words: Vec<String> = cmd
                        .split_whitespace()
                        .map(|w| w.trim_matches('"').to_owned())
                        .collect();
                    let parsed = pqg::cli::Cli::try_parse_from(&words);
                    assert!(parsed.is_ok(), "{file}: `{cmd}`: {}", parsed.unwrap_err());
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 8, "only {checked} pqg commands found");
}
