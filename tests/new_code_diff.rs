//! New code taken in two parts (issue 15, performance): the merge base
//! against git's index (`git diff --cached`), and against the work tree
//! only where pqg's own stat data say a file may differ from its index
//! entry. Each case here is one where the index and the work tree disagree
//! in a way stat data could hide or a rename could split; in each, the
//! lines pqg counts as new must be the lines `git diff -U0 -M <base>`
//! against the whole work tree adds, plus the untracked files, with the
//! cache on (a miss, then a hit: the snapshot's stat data) and off (the
//! write watch's). Each would fail if the work tree's part were dropped.

mod common;

use common::{git_command, json, TestRepo};
use std::collections::BTreeMap;
use std::path::Path;

/// Every line of every file the report names is instrumented and missed,
/// so the uncovered ranges pqg reports are exactly its new lines.
const LINES: usize = 20;

/// New lines by file: inclusive ranges, sorted.
type NewLines = BTreeMap<String, Vec<(u64, u64)>>;

fn numbered(prefix: &str, n: usize) -> String {
    (1..=n).map(|i| format!("{prefix} {i:02}\n")).collect()
}

/// A repository whose `main` holds `files` (path, content) and a coverage
/// gate reading an LCOV report that instruments lines 1 to [`LINES`] of
/// each of `report` (and hits none); checked out on `feature`. Every file
/// is [`settle`]d before it is added, so that git's index vouches for it by
/// its stat data alone: only what a case changes may differ.
fn repo(files: &[(&str, String)], report: &[&str]) -> TestRepo {
    let mut repo = TestRepo::new()
        .gates(&common::new_code_gate("0"))
        .file(".gitignore", "cov/\nout/\n.pqg/\n");
    for (path, content) in files {
        repo = repo.file(path, content);
    }
    repo.write("cov/lcov.info", &common::lcov_report(report, LINES, |_| 0));
    for path in ["gates.toml", ".gitignore"]
        .into_iter()
        .chain(files.iter().map(|(p, _)| *p))
    {
        settle(&repo, path, 120);
    }
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "-m", "base"]);
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo
}

/// The new lines pqg counted in one `pqg check ARGS` run.
fn pqg_lines(repo: &TestRepo, args: &[&str]) -> NewLines {
    let mut all = vec!["check", "--format", "json", "--new-code-since", "main"];
    all.extend_from_slice(args);
    let out = repo
        .pqg(&all)
        .env_remove("GITHUB_BASE_REF")
        .env_remove("CI_MERGE_REQUEST_TARGET_BRANCH_NAME")
        .output()
        .expect("run pqg");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "pqg failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json(&out.stdout);
    let metric = &report["gates"][0]["metrics"][0];
    let mut lines = NewLines::new();
    for file in metric["new_code"]["uncovered"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let ranges = file["ranges"]
            .as_array()
            .expect("ranges")
            .iter()
            .map(|r| (r[0].as_u64().expect("start"), r[1].as_u64().expect("end")))
            .collect();
        lines.insert(file["path"].as_str().expect("path").to_owned(), ranges);
    }
    lines
}

/// What git says is new, for the files of the report: the lines `git diff
/// -U0 -M main` against the work tree adds, and every line of an untracked
/// file (all those the report instruments).
fn git_lines(repo: &TestRepo, report: &[&str]) -> NewLines {
    let run = |args: &[&str]| {
        // No optional locks: git must not write back the index it
        // refreshed, which would settle what the case left racily clean.
        let out = git_command(repo.path())
            .args(["--no-optional-locks", "-c", "core.quotepath=off"])
            .args(args)
            .output()
            .expect("run git");
        assert!(out.status.success(), "git {args:?}");
        String::from_utf8(out.stdout).expect("utf-8")
    };
    let mut lines = NewLines::new();
    let diff = run(&[
        "diff",
        "-U0",
        "-M",
        "--no-color",
        "--src-prefix=a/",
        "--dst-prefix=b/",
        "main",
    ]);
    let mut current: Option<String> = None;
    for line in diff.lines() {
        if line.starts_with("diff --git ") {
            current = None;
        } else if let Some(name) = line.strip_prefix("+++ ") {
            let name = unquote(name.strip_suffix('\t').unwrap_or(name));
            current = name.strip_prefix("b/").map(str::to_owned);
        } else if let (Some(path), Some(hunk)) = (&current, line.strip_prefix("@@ ")) {
            let plus = hunk.split(' ').find(|p| p.starts_with('+')).expect("+c,d");
            let (start, count) = match plus[1..].split_once(',') {
                Some((s, c)) => (s.parse::<u64>().unwrap(), c.parse::<u64>().unwrap()),
                None => (plus[1..].parse::<u64>().unwrap(), 1),
            };
            if count > 0 {
                lines
                    .entry(path.clone())
                    .or_default()
                    .push((start, start + count - 1));
            }
        }
    }
    for path in run(&["ls-files", "--others", "--exclude-standard", "-z"]).split('\0') {
        if !path.is_empty() {
            lines.insert(path.to_owned(), vec![(1, LINES as u64)]);
        }
    }
    lines.retain(|path, _| report.contains(&path.as_str()));
    for ranges in lines.values_mut() {
        for r in ranges.iter_mut() {
            r.1 = r.1.min(LINES as u64);
        }
        ranges.retain(|r| r.0 <= r.1);
        ranges.sort_unstable();
        let mut merged: Vec<(u64, u64)> = Vec::new();
        for &(a, b) in ranges.iter() {
            match merged.last_mut() {
                Some(last) if a <= last.1 + 1 => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        *ranges = merged;
    }
    lines.retain(|_, r| !r.is_empty());
    lines
}

/// A name as git's headers write it: C-quoted when it holds a control
/// character, a quote or a backslash.
fn unquote(name: &str) -> String {
    let Some(inner) = name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) else {
        return name.to_owned();
    };
    let (mut out, mut bytes) = (Vec::new(), inner.bytes());
    while let Some(b) = bytes.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        match bytes.next() {
            Some(b't') => out.push(b'\t'),
            Some(b'n') => out.push(b'\n'),
            Some(d @ b'0'..=b'3') => {
                let rest: Vec<u8> = bytes.by_ref().take(2).collect();
                out.push(rest.iter().fold(d - b'0', |n, r| n * 8 + (r - b'0')));
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    String::from_utf8(out).expect("utf-8 name")
}

/// pqg's new lines equal git's and `expected`, on a cache miss, a cache
/// hit and with the cache off.
fn agree(repo: &TestRepo, report: &[&str], expected: &[(&str, &[(u64, u64)])]) {
    let expected: NewLines = expected
        .iter()
        .map(|(p, r)| ((*p).to_owned(), r.to_vec()))
        .collect();
    assert_eq!(git_lines(repo, report), expected, "what git says");
    for (run, args) in [
        ("a cache miss", &[][..]),
        ("a cache hit", &[][..]),
        ("--no-cache", &["--no-cache"][..]),
    ] {
        assert_eq!(pqg_lines(repo, args), expected, "{run}");
    }
}

/// Sets `path`'s mtime `age` seconds back: git's index, written after,
/// holds an entry for it that is not racily clean (git trusts its stat
/// data).
fn settle(repo: &TestRepo, path: &str, age: u64) {
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(age);
    set_mtime(&repo.path().join(path), old);
}

/// Writes `path`, settles it (in another second than the fixture's files,
/// or git, comparing whole seconds, may take a same-size edit for the
/// file it had) and stages it.
fn stage(repo: &TestRepo, path: &str, content: &str) {
    repo.write(path, content);
    settle(repo, path, 60);
    repo.git(&["add", "--", path]);
}

fn set_mtime(path: &Path, to: std::time::SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .expect("open")
        .set_modified(to)
        .expect("set mtime");
}

#[test]
fn a_file_edited_after_git_add_with_the_same_size_and_mtime_counts_as_edited() {
    let repo = repo(&[("src/r.py", numbered("r line", 10))], &["src/r.py"]);
    let path = repo.path().join("src/r.py");
    // Staged: line 2 changed. Then, in the work tree, line 2 back and line
    // 3 changed instead: the same size, and the mtime set back to the
    // staged file's. Only the ctime (and git's racy rule) tell.
    let staged = numbered("r line", 10).replace("r line 02", "R line 02");
    repo.write("src/r.py", &staged);
    repo.git(&["add", "src/r.py"]);
    let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
    let edited = numbered("r line", 10).replace("r line 03", "R line 03");
    assert_eq!(edited.len(), staged.len());
    repo.write("src/r.py", &edited);
    set_mtime(&path, mtime);
    agree(&repo, &["src/r.py"], &[("src/r.py", &[(3, 3)])]);
}

#[test]
fn a_settled_index_entry_whose_file_changed_counts_as_changed() {
    // The same, with the index written well after the staged file (its
    // entry is not racily clean) and the edit made in a later second than
    // `git add`: only the ctime tells. (Within the same second git itself
    // takes the file for its entry, and reads it for both diffs.)
    let repo = repo(&[("src/r.py", numbered("r line", 10))], &["src/r.py"]);
    let path = repo.path().join("src/r.py");
    let staged = numbered("r line", 10).replace("r line 02", "R line 02");
    repo.write("src/r.py", &staged);
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
    set_mtime(&path, old);
    repo.git(&["add", "src/r.py"]);
    let added = std::os::unix::fs::MetadataExt::ctime(&std::fs::metadata(&path).unwrap());
    common::wait_for(std::time::Duration::from_secs(5), "the next second", || {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
        now.is_ok_and(|n| n.as_secs() as i64 > added)
    });
    let edited = numbered("r line", 10).replace("r line 03", "R line 03");
    repo.write("src/r.py", &edited);
    set_mtime(&path, old);
    agree(&repo, &["src/r.py"], &[("src/r.py", &[(3, 3)])]);
}

#[test]
fn a_file_staged_then_reverted_in_the_work_tree_has_no_new_line() {
    let repo = repo(
        &[
            ("src/a.py", numbered("a line", 10)),
            ("src/b.py", numbered("b line", 10)),
        ],
        &["src/a.py", "src/b.py"],
    );
    stage(
        &repo,
        "src/a.py",
        &numbered("a line", 10).replace("a line 04", "A line 04"),
    );
    repo.write("src/a.py", &numbered("a line", 10));
    // A file that really changed, staged, beside it.
    stage(
        &repo,
        "src/b.py",
        &numbered("b line", 10).replace("b line 07", "B line 07"),
    );
    agree(&repo, &["src/a.py", "src/b.py"], &[("src/b.py", &[(7, 7)])]);
}

#[test]
fn a_staged_rename_edited_in_the_work_tree_is_followed() {
    let repo = repo(
        &[("src/old.py", numbered("moved line", 12))],
        &["src/old.py", "src/new.py"],
    );
    repo.git(&["mv", "src/old.py", "src/new.py"]);
    repo.write(
        "src/new.py",
        &numbered("moved line", 12).replace("moved line 05", "edited line 05"),
    );
    agree(
        &repo,
        &["src/old.py", "src/new.py"],
        &[("src/new.py", &[(5, 5)])],
    );
}

#[test]
fn a_copy_staged_and_its_original_deleted_in_the_work_tree_is_a_rename() {
    // Staged: a new file, the old one's copy with line 5 edited. Deleted
    // from the work tree, not staged: the old file. Against the work tree
    // the two pair as a rename: only line 5 is new. Against the index the
    // new file is new whole.
    let repo = repo(
        &[("src/old.py", numbered("moved line", 12))],
        &["src/old.py", "src/new.py"],
    );
    stage(
        &repo,
        "src/new.py",
        &numbered("moved line", 12).replace("moved line 05", "edited line 05"),
    );
    std::fs::remove_file(repo.path().join("src/old.py")).unwrap();
    agree(
        &repo,
        &["src/old.py", "src/new.py"],
        &[("src/new.py", &[(5, 5)])],
    );
}

#[test]
fn an_intent_to_add_file_is_new_whole() {
    let repo = repo(&[("src/a.py", numbered("a line", 5))], &["src/c.py"]);
    repo.write("src/c.py", &numbered("c line", 6));
    repo.git(&["add", "-N", "src/c.py"]);
    agree(&repo, &["src/c.py"], &[("src/c.py", &[(1, 6)])]);
}

#[test]
fn a_staged_file_deleted_in_the_work_tree_has_no_new_line() {
    let repo = repo(
        &[
            ("src/d.py", numbered("d line", 10)),
            ("src/e.py", numbered("e line", 10)),
        ],
        &["src/d.py", "src/e.py", "src/f.py"],
    );
    // Modified and staged, then deleted from the work tree.
    stage(
        &repo,
        "src/d.py",
        &numbered("d line", 10).replace("d line 01", "D line 01"),
    );
    std::fs::remove_file(repo.path().join("src/d.py")).unwrap();
    // Added and staged, then deleted from the work tree.
    stage(&repo, "src/f.py", &numbered("f line", 4));
    std::fs::remove_file(repo.path().join("src/f.py")).unwrap();
    // Edited, not staged, beside them.
    repo.write(
        "src/e.py",
        &numbered("e line", 10).replace("e line 09", "E line 09"),
    );
    agree(
        &repo,
        &["src/d.py", "src/e.py", "src/f.py"],
        &[("src/e.py", &[(9, 9)])],
    );
}

#[test]
fn an_untracked_file_in_an_untracked_folder_is_new_whole() {
    let repo = repo(
        &[("src/a.py", numbered("a line", 8))],
        &["src/a.py", "fresh/deep/g.py", "fresh/ignored.log"],
    );
    repo.write("fresh/deep/g.py", &numbered("g line", 3));
    repo.write(".gitignore", "cov/\nout/\n.pqg/\n*.log\n");
    repo.write("fresh/ignored.log", &numbered("log line", 3));
    // An unstaged edit beside them: the work tree's part of the diff.
    repo.write(
        "src/a.py",
        &numbered("a line", 8).replace("a line 08", "A line 08"),
    );
    agree(
        &repo,
        &["src/a.py", "fresh/deep/g.py", "fresh/ignored.log"],
        &[("fresh/deep/g.py", &[(1, 20)]), ("src/a.py", &[(8, 8)])],
    );
}

#[test]
fn paths_with_spaces_and_unicode_are_diffed_where_they_are() {
    let repo = repo(
        &[
            ("dir with space/ünï cödé.py", numbered("u line", 10)),
            ("dir with space/à renommer.py", numbered("r line", 10)),
            ("tab\there.py", numbered("t line", 10)),
        ],
        &[
            "dir with space/ünï cödé.py",
            "dir with space/à renommer.py",
            "dir with space/renommé.py",
            "tab\there.py",
        ],
    );
    // Not staged.
    repo.write(
        "dir with space/ünï cödé.py",
        &numbered("u line", 10).replace("u line 06", "U line 06"),
    );
    repo.write(
        "tab\there.py",
        &numbered("t line", 10).replace("t line 02", "T line 02"),
    );
    // A staged rename, then edited in the work tree.
    repo.git(&[
        "mv",
        "dir with space/à renommer.py",
        "dir with space/renommé.py",
    ]);
    repo.write(
        "dir with space/renommé.py",
        &numbered("r line", 10).replace("r line 10", "R line 10"),
    );
    agree(
        &repo,
        &[
            "dir with space/ünï cödé.py",
            "dir with space/à renommer.py",
            "dir with space/renommé.py",
            "tab\there.py",
        ],
        &[
            ("dir with space/renommé.py", &[(10, 10)]),
            ("dir with space/ünï cödé.py", &[(6, 6)]),
            ("tab\there.py", &[(2, 2)]),
        ],
    );
}

#[test]
fn a_folder_replaced_by_a_symbolic_link_to_the_same_files_is_gone() {
    // `src/` moved to `real/` and a link put in its place: `src/x.py` is
    // reached through it with the same stat data, but git counts it
    // deleted, so it pairs with a staged copy as a rename (only the copy's
    // edited line is new); `real/x.py` is untracked.
    let repo = repo(
        &[("src/x.py", numbered("x line", 12))],
        &["src/x.py", "real/x.py", "lib/x.py"],
    );
    stage(
        &repo,
        "lib/x.py",
        &numbered("x line", 12).replace("x line 03", "X line 03"),
    );
    std::fs::rename(repo.path().join("src"), repo.path().join("real")).unwrap();
    std::os::unix::fs::symlink("real", repo.path().join("src")).unwrap();
    agree(
        &repo,
        &["src/x.py", "real/x.py", "lib/x.py"],
        &[("lib/x.py", &[(3, 3)]), ("real/x.py", &[(1, 20)])],
    );
}

#[test]
fn an_edit_in_place_beside_a_staged_rename_leaves_the_rename_to_the_index() {
    // The work tree's part looks at the edited file alone (no rename can
    // pair it otherwise); the staged rename's lines come from the index.
    let repo = repo(
        &[
            ("src/old.py", numbered("moved line", 12)),
            ("src/kept.py", numbered("kept line", 8)),
        ],
        &["src/old.py", "src/new.py", "src/kept.py"],
    );
    repo.git(&["mv", "src/old.py", "src/new.py"]);
    stage(
        &repo,
        "src/new.py",
        &numbered("moved line", 12).replace("moved line 11", "edited line 11"),
    );
    repo.write(
        "src/kept.py",
        &numbered("kept line", 8).replace("kept line 02", "KEPT line 02"),
    );
    agree(
        &repo,
        &["src/old.py", "src/new.py", "src/kept.py"],
        &[("src/kept.py", &[(2, 2)]), ("src/new.py", &[(11, 11)])],
    );
}

#[test]
fn many_files_edited_in_the_work_tree_are_diffed_whole() {
    // More paths than the work tree's part takes (git matches each entry
    // against each path): the whole diff, with the same lines.
    let files: Vec<(String, String)> = (0..40)
        .map(|i| (format!("src/m{i:02}.py"), numbered("m line", 6)))
        .collect();
    let names: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
    let borrowed: Vec<(&str, String)> =
        files.iter().map(|(p, c)| (p.as_str(), c.clone())).collect();
    let repo = repo(&borrowed, &names);
    for (i, name) in names.iter().enumerate() {
        let line = i % 6 + 1;
        let text = numbered("m line", 6).replace(&format!("m line {line:02}"), "M edited");
        repo.write(name, &text);
    }
    let expected: Vec<(&str, [(u64, u64); 1])> = names
        .iter()
        .enumerate()
        .map(|(i, name)| (*name, [((i % 6 + 1) as u64, (i % 6 + 1) as u64)]))
        .collect();
    let expected: Vec<(&str, &[(u64, u64)])> = expected.iter().map(|(p, r)| (*p, &r[..])).collect();
    agree(&repo, &names, &expected);
}

#[test]
fn files_committed_in_the_index_own_second_are_hashed_not_diffed() {
    // Committed (`git commit -a`) in the second the index is written:
    // racily clean, so stat data cannot vouch for them; their content can.
    // One of them is then edited in the work tree, the same size.
    let files: Vec<(String, String)> = (0..40)
        .map(|i| (format!("src/c{i:02}.py"), numbered("c line", 6)))
        .collect();
    let names: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
    let borrowed: Vec<(&str, String)> =
        files.iter().map(|(p, c)| (p.as_str(), c.clone())).collect();
    let repo = repo(&borrowed, &names);
    for name in &names {
        repo.write(
            name,
            &numbered("c line", 6).replace("c line 03", "C line 03"),
        );
    }
    repo.git(&["commit", "-q", "-a", "-m", "every file"]);
    repo.write(
        "src/c07.py",
        &numbered("c line", 6)
            .replace("c line 03", "C line 03")
            .replace("c line 05", "C line 05"),
    );
    let mut expected: Vec<(&str, &[(u64, u64)])> =
        names.iter().map(|n| (*n, &[(3u64, 3u64)][..])).collect();
    expected[7].1 = &[(3, 3), (5, 5)];
    agree(&repo, &names, &expected);
}
