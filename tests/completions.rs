//! The completion scripts committed under completions/ are what the binary
//! generates: a new flag without regenerated completions fails here.
//! Regenerate with `PQG_BLESS=1 cargo test --test completions`.

mod common;

use std::path::Path;
use std::process::Command;

const SHELLS: [(&str, &str); 5] = [
    ("bash", "pqg.bash"),
    ("zsh", "_pqg"),
    ("fish", "pqg.fish"),
    ("powershell", "_pqg.ps1"),
    ("elvish", "pqg.elv"),
];

#[test]
fn committed_completions_are_current() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
    let bless = std::env::var_os("PQG_BLESS").is_some();
    for (shell, file) in SHELLS {
        let mut cmd = Command::new(common::pqg_path());
        let out = common::isolate(&mut cmd)
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success(), "pqg completions {shell} failed");
        let path = dir.join(file);
        if bless {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &out.stdout).unwrap();
            continue;
        }
        let committed = std::fs::read(&path).unwrap_or_default();
        assert!(
            committed == out.stdout,
            "completions/{file} is stale: run `PQG_BLESS=1 cargo test --test completions`"
        );
    }
}
