//! All of pqg's access to git: reading a repository's own files (HEAD and
//! refs, the index, commit objects) and, when those are not enough, running
//! git itself, always through [`command`], the one place a git process is
//! started.
//!
//! Each reader is for a question on a hot path (every run records HEAD; the
//! pre-push hook compares the index with HEAD) where a git process would
//! cost more than the answer. Whatever a reader does not fully understand is
//! an error or `None`, and the caller asks git.
//!
//! `git` stands beside `files` near the bottom of the module map: `files`
//! imports `git` (to list a work tree's files), and `git` imports neither
//! `files` nor anything above it. It never decides what a change means for
//! a gate; it only answers what git knows.

pub(crate) mod changed;
mod file_at;
pub(crate) mod index;
pub(crate) mod new_code;
pub(crate) mod objects;
mod spawn;

pub(crate) use file_at::file_at;
pub(crate) use spawn::{check_ignore, command, ls_files, ls_files_at, ls_ignored, system_config};
pub(crate) mod stash;
pub(crate) mod status;
pub(crate) mod submodule;
pub(crate) mod worktree;

use std::path::{Path, PathBuf};

/// A work tree's top folder, its repository's own folder and its common
/// folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Dirs {
    pub top: PathBuf,
    pub git_dir: PathBuf,
    pub common: PathBuf,
}

/// The commit and branch checked out in `root`, if it is a git work tree.
/// Read from the repository's files rather than by running git: it is on
/// every run's path, and a process costs more than these few reads.
pub(crate) fn head(root: &Path) -> (Option<String>, Option<String>) {
    dirs(root).map_or((None, None), |d| head_in(&d))
}

/// The commit and branch checked out, read from `dirs`.
pub(crate) fn head_in(dirs: &Dirs) -> (Option<String>, Option<String>) {
    let (git_dir, common) = (&dirs.git_dir, &dirs.common);
    let Ok(head) = std::fs::read_to_string(git_dir.join("HEAD")) else {
        return (None, None);
    };
    let head = head.trim();
    match head.strip_prefix("ref: ") {
        None => (Some(head.to_owned()).filter(|h| is_object_id(h)), None),
        Some(reference) => {
            let branch = reference
                .strip_prefix("refs/heads/")
                .unwrap_or(reference)
                .to_owned();
            match resolve_ref(git_dir, common, reference) {
                Some(commit) => (Some(commit), Some(branch)),
                // Another ref backend (reftable), or an unborn branch:
                // only git can tell.
                None => head_from_git(&dirs.top),
            }
        }
    }
}

/// HEAD's commit and branch as `git` reads them.
fn head_from_git(top: &Path) -> (Option<String>, Option<String>) {
    let ask = |args: &[&str]| {
        command(top)
            .args(args)
            .stderr(std::process::Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    let commit =
        ask(&["rev-parse", "--verify", "--quiet", "HEAD^{commit}"]).filter(|c| is_object_id(c));
    let branch = ask(&["symbolic-ref", "--quiet", "--short", "HEAD"]);
    (commit, branch)
}

/// Whether `git replace` swapped any object: git then reads the
/// replacement wherever the original is named, and so must anyone
/// comparing trees.
pub(crate) fn has_replacements(dirs: &Dirs) -> bool {
    if std::env::var_os("GIT_REPLACE_REF_BASE").is_some() {
        return true;
    }
    let loose = std::fs::read_dir(dirs.common.join("refs/replace"))
        .is_ok_and(|mut entries| entries.next().is_some());
    let packed = std::fs::read_to_string(dirs.common.join("packed-refs"))
        .is_ok_and(|text| text.contains(" refs/replace/"));
    loose || packed
}

/// The top of the git work tree holding `dir`: the nearest folder upward
/// with a `.git` (a folder, or a file in a linked worktree or submodule),
/// looked for from `dir` made absolute.
pub(crate) fn work_tree_top(dir: &Path) -> Option<PathBuf> {
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

pub(crate) fn is_object_id(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The git folders of the work tree holding `root`: its own (HEAD, index)
/// and the common one (objects, refs, config), which differ in a linked
/// worktree.
pub(crate) fn dirs(root: &Path) -> Option<Dirs> {
    let (top, git_dir) = find_git_dir(root)?;
    let common = std::fs::read_to_string(git_dir.join("commondir"))
        .ok()
        .map_or_else(|| git_dir.clone(), |c| git_dir.join(c.trim()));
    Some(Dirs {
        top,
        git_dir,
        common,
    })
}

/// The files outside the work tree that hold git's rules of what it
/// ignores, to watch for a change: the repository's config files, the
/// global and system ones, and the default global excludes file. `None`
/// when they cannot be told without running git: a config names
/// `core.excludesFile` (the file it names) or includes another config, or
/// the environment adds settings (`git -c`).
pub(crate) fn ignore_rule_files(dirs: &Dirs) -> Option<Vec<PathBuf>> {
    let env = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if env("GIT_CONFIG_PARAMETERS").is_some() || env("GIT_CONFIG_COUNT").is_some() {
        return None;
    }
    let home = env("HOME").map(PathBuf::from);
    let xdg = env("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| home.as_ref().map(|h| h.join(".config")));
    let mut configs = vec![
        dirs.common.join("config"),
        dirs.git_dir.join("config.worktree"),
    ];
    match env("GIT_CONFIG_GLOBAL") {
        Some(global) => configs.push(PathBuf::from(global)),
        None => {
            configs.extend(home.as_ref().map(|h| h.join(".gitconfig")));
            configs.extend(xdg.as_ref().map(|x| x.join("git/config")));
        }
    }
    if env("GIT_CONFIG_NOSYSTEM").is_none() {
        match env("GIT_CONFIG_SYSTEM") {
            Some(system) => configs.push(PathBuf::from(system)),
            None => configs.extend(system_files("gitconfig")),
        }
    }
    for config in &configs {
        // Unreadable or absent: git reads nothing there either.
        let Ok(text) = std::fs::read(config) else {
            continue;
        };
        let text = String::from_utf8_lossy(&text).to_ascii_lowercase();
        if text.contains("excludesfile") || text.contains("include") {
            return None;
        }
    }
    configs.extend(xdg.map(|x| x.join("git/ignore")));
    Some(configs)
}

/// A digest of the environment that decides which files git reads its
/// rules and settings from, how it reads them, and which git runs: a
/// listing made under another `HOME`, `XDG_CONFIG_HOME`, `PATH` or any
/// `GIT_*` variable (`GIT_CONFIG_*`, `GIT_ATTR_SOURCE`, `GIT_ATTR_NOSYSTEM`;
/// an IDE against a terminal, `sudo`, direnv) may not hold here.
pub(crate) fn config_env_digest() -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    let mut names: Vec<std::ffi::OsString> = std::env::vars_os()
        .map(|(name, _)| name)
        .filter(|name| name.as_encoded_bytes().starts_with(b"GIT_"))
        .collect();
    names.sort_unstable();
    names.dedup();
    let fixed = ["HOME", "XDG_CONFIG_HOME", "PATH"].map(std::ffi::OsString::from);
    for name in fixed.iter().chain(&names) {
        h.update(name.as_encoded_bytes());
        match std::env::var_os(name) {
            Some(v) => {
                h.update(&[1]);
                h.update(v.as_encoded_bytes());
            }
            None => {
                h.update(&[0]);
            }
        }
        h.update(&[0]);
    }
    *h.finalize().as_bytes()
}

/// Where the git on `PATH` may keep its system-wide file `name`
/// (`gitconfig`, `gitattributes`) without asking it (`git var`, a
/// process): `/etc` for a git installed under `/usr`, `PREFIX/etc` for one
/// under another prefix (`/usr/local`, Homebrew's, by the link or by where
/// it leads). Every place is given: reading one that git does not read
/// costs a cache hit at worst.
pub(crate) fn system_files(name: &str) -> Vec<PathBuf> {
    system_files_on(std::env::var_os("PATH").as_deref(), name)
}

/// [`system_files`] for the git found on `path` (a `PATH` value).
fn system_files_on(path: Option<&std::ffi::OsStr>, name: &str) -> Vec<PathBuf> {
    let mut places = vec![PathBuf::from("/etc").join(name)];
    let found = path.and_then(|path| {
        std::env::split_paths(path)
            .map(|dir| dir.join("git"))
            .find(|git| git.is_file())
    });
    if let Some(git) = found {
        let real = std::fs::canonicalize(&git).ok();
        for git in std::iter::once(git).chain(real) {
            // PREFIX/bin/git (or PREFIX/libexec/git-core/git).
            let prefix = git
                .ancestors()
                .skip(1)
                .find(|dir| {
                    dir.file_name()
                        .is_some_and(|n| n == "bin" || n == "libexec")
                })
                .and_then(Path::parent);
            if let Some(prefix) = prefix.filter(|p| *p != Path::new("/usr")) {
                places.push(prefix.join("etc").join(name));
            }
        }
    }
    places.sort();
    places.dedup();
    places
}

/// The nearest folder at or above `root` holding `.git`, and the git folder
/// that `.git` is or names.
fn find_git_dir(root: &Path) -> Option<(PathBuf, PathBuf)> {
    for dir in root.ancestors() {
        let dot_git = dir.join(".git");
        let meta = std::fs::metadata(&dot_git).ok();
        match meta {
            Some(m) if m.is_dir() => return Some((dir.to_path_buf(), dot_git)),
            Some(_) => {
                let text = std::fs::read_to_string(&dot_git).ok()?;
                let target = text.trim().strip_prefix("gitdir: ")?;
                return Some((dir.to_path_buf(), dir.join(target)));
            }
            None => continue,
        }
    }
    None
}

fn resolve_ref(git_dir: &Path, common: &Path, reference: &str) -> Option<String> {
    for base in [git_dir, common] {
        if let Ok(id) = std::fs::read_to_string(base.join(reference)) {
            let id = id.trim();
            return is_object_id(id).then(|| id.to_owned());
        }
    }
    let packed = std::fs::read_to_string(common.join("packed-refs")).ok()?;
    packed.lines().find_map(|line| {
        let (id, name) = line.split_once(' ')?;
        (name == reference && is_object_id(id)).then(|| id.to_owned())
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn system_files_are_looked_for_beside_the_git_on_path() {
        let dir = tempfile::tempdir().unwrap();
        let prefix = dir.path().join("opt");
        std::fs::create_dir_all(prefix.join("bin")).unwrap();
        std::fs::write(prefix.join("bin/git"), "").unwrap();
        let path = std::env::join_paths([dir.path().join("none"), prefix.join("bin")]).unwrap();
        let places = system_files_on(Some(&path), "gitattributes");
        assert!(
            places.contains(&PathBuf::from("/etc/gitattributes")),
            "{places:?}"
        );
        let beside = std::fs::canonicalize(&prefix)
            .unwrap()
            .join("etc/gitattributes");
        assert!(places.contains(&beside), "{places:?}");
        // No git on the path: the system's own place only.
        let none = system_files_on(Some(dir.path().as_os_str()), "gitconfig");
        assert_eq!(none, vec![PathBuf::from("/etc/gitconfig")]);
    }

    use super::*;

    #[test]
    fn head_is_read_from_the_repository_files() {
        let dir = tempfile::tempdir().unwrap();
        let git = |args: &[&str]| command(dir.path()).args(args).output().unwrap();
        git(&["init", "-q", "-b", "trunk"]);
        assert_eq!(
            head(dir.path()),
            (None, Some("trunk".to_owned())),
            "unborn branch"
        );
        git(&[
            "-c",
            "user.email=a@b",
            "-c",
            "user.name=n",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "x",
        ]);
        let sha = String::from_utf8(git(&["rev-parse", "HEAD"]).stdout)
            .unwrap()
            .trim()
            .to_owned();
        assert_eq!(
            head(dir.path()),
            (Some(sha.clone()), Some("trunk".to_owned()))
        );
        git(&["pack-refs", "--all"]);
        assert_eq!(
            head(dir.path()).0.as_deref(),
            Some(sha.as_str()),
            "packed refs"
        );
        git(&["checkout", "-q", "--detach"]);
        assert_eq!(head(dir.path()), (Some(sha.clone()), None), "detached");
        git(&["worktree", "add", "-q", "wt", "-b", "side"]);
        assert_eq!(
            head(&dir.path().join("wt")),
            (Some(sha), Some("side".to_owned())),
            "worktree"
        );
    }
}
