//! A gate's `inputs` globs, compiled once and matched against the listed
//! paths, and the ignored places they name (DESIGN §3).
//!
//! A pattern's *place* is its fixed part (before its first glob character)
//! cut back to whole path components: `.env` for `.env`, `build` for
//! `build/**`, `.venv/lib` for `.venv/lib/*/site-packages/**`, nothing for
//! `**/*.py`. When git ignores a place, the ignored files there are listed
//! too ([`super::list`]), and they match only patterns whose own place is
//! ignored: naming an ignored place makes it count, while `**/*.py` never
//! sweeps an ignored `.venv`.

use std::sync::Arc;

/// A gate's `inputs` globs, compiled. A glob that starts with `!` excludes
/// what it matches (`["**", "!tests/fixtures/**"]`); with only exclusions,
/// every other file is an input.
#[derive(Debug, Clone)]
pub(crate) struct InputFilter {
    include: Option<globset::GlobSet>,
    exclude: Option<globset::GlobSet>,
    /// The place each include glob names, in the order of `include`;
    /// empty when it names none.
    places: Vec<String>,
    /// The include globs that name a place ([`placed_globs`]).
    placed: Vec<String>,
    /// The ignored places of the listing this filter is matched against.
    ignored: Arc<IgnoredPlaces>,
}

/// The places, named by some gate's inputs, that git ignores: every file
/// listed at or under one of them is an ignored file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IgnoredPlaces {
    /// Sorted; none under another.
    places: Vec<String>,
}

impl IgnoredPlaces {
    /// These places (none needs to be under another).
    pub(crate) fn new(mut places: Vec<String>) -> IgnoredPlaces {
        // Shortest first, so that a place is kept only if no kept one
        // holds it (sorted order alone would put `a-b` between `a` and `a/b`).
        places.sort_by_key(String::len);
        let mut top: Vec<String> = Vec::with_capacity(places.len());
        for p in places {
            if !top.iter().any(|t| is_under(&p, t)) {
                top.push(p);
            }
        }
        top.sort_unstable();
        IgnoredPlaces { places: top }
    }

    /// Whether there are none.
    pub(crate) fn is_empty(&self) -> bool {
        self.places.is_empty()
    }

    /// Whether `path` is at or under one of the places.
    pub(crate) fn holds(&self, path: &str) -> bool {
        self.places.iter().any(|p| is_under(path, p))
    }

    /// The places, sorted.
    #[cfg(test)]
    pub(crate) fn places(&self) -> &[String] {
        &self.places
    }
}

/// The indices of the paths of the sorted list `len` long (`path(i)`
/// gives the i-th) that are at or under one of `places`, in order: found
/// by binary search, one range per place, so the cost follows what the
/// places hold and not the list's length.
pub(crate) fn under_places<'p>(
    len: usize,
    path: impl Fn(usize) -> &'p str,
    places: &[String],
) -> Vec<std::ops::Range<usize>> {
    let first_not_below = |bound: &str| {
        let (mut lo, mut hi) = (0, len);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if path(mid) < bound {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    };
    let mut ranges = Vec::with_capacity(places.len() * 2);
    for place in places {
        // The place itself, then what is under `place/`: `place-x` and
        // `place.txt` sort between the two (`-` and `.` come before `/`).
        let at = first_not_below(place);
        if at < len && path(at) == place {
            ranges.push(at..at + 1);
        }
        let inside = format!("{place}/");
        let end = format!("{place}0");
        let (from, to) = (first_not_below(&inside), first_not_below(&end));
        if from < to {
            ranges.push(from..to);
        }
    }
    ranges.sort_unstable_by_key(|r| (r.start, r.end));
    let mut merged: Vec<std::ops::Range<usize>> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    merged
}

/// Whether `path` is `place` or inside it.
pub(crate) fn is_under(path: &str, place: &str) -> bool {
    path.strip_prefix(place)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// The place a glob names: its fixed part cut back to whole components
/// (the whole glob when it has no glob character); empty for none, and for
/// a glob that leaves the folder (`/…`, `..`).
pub(crate) fn place_of(glob: &str) -> &str {
    let glob = glob.trim_start_matches("./");
    let place = match glob.find(['*', '?', '[', '{', '\\']) {
        None => glob.trim_end_matches('/'),
        Some(at) => glob[..at].rfind('/').map_or("", |slash| &glob[..slash]),
    };
    if place.starts_with('/') || place.split('/').any(|c| c == ".." || c == ".") {
        return "";
    }
    place
}

/// The include globs among `globs` that name a place (see [`place_of`]):
/// what the listing follows into the ignored ones.
pub(crate) fn placed_globs(globs: Option<&[String]>) -> impl Iterator<Item = &str> {
    globs
        .into_iter()
        .flatten()
        .filter(|g| !g.starts_with('!') && !place_of(g).is_empty())
        .map(String::as_str)
}

/// Why a gate with these include `globs` and this `cwd` cannot be keyed
/// exactly, or `None`: an include glob whose fixed part goes through a
/// symlink (the listing never follows one, so the files behind it count as
/// none, and a change there is seen by no key), or a `cwd` that is or goes
/// through one (retargeting it changes what the gate reads). Paths are
/// looked up under `root`, one `lstat` per component of each fixed part.
pub(crate) fn through_symlink(
    root: &std::path::Path,
    globs: Option<&[String]>,
    cwd: &std::path::Path,
) -> Option<String> {
    for glob in globs.into_iter().flatten().filter(|g| !g.starts_with('!')) {
        let place = place_of(glob);
        let exact = !glob.contains(['*', '?', '[', '{', '\\']);
        let mut parts: Vec<&str> = place.split('/').filter(|c| !c.is_empty()).collect();
        if exact {
            // The path itself is the input: a symlink there is hashed as one.
            parts.pop();
        }
        if let Some((link, kind)) = first_symlink(root, &parts) {
            return Some(format!(
                "input `{glob}` goes through the {kind} `{link}`: pqg does not follow it, so no key sees the files behind it"
            ));
        }
    }
    let parts: Vec<&str> = cwd
        .to_str()
        .unwrap_or_default()
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    first_symlink(root, &parts).map(|(link, kind)| {
        format!(
            "its `cwd` `{}` goes through the {kind} `{link}`: retargeting it would change what the gate reads, and no key sees that",
            cwd.display()
        )
    })
}

/// The first of the paths `parts[..1]`, `parts[..2]`, … (under `root`)
/// that is a symlink, and what it is: "folder symlink" or "symlink".
fn first_symlink(root: &std::path::Path, parts: &[&str]) -> Option<(String, &'static str)> {
    (1..=parts.len()).find_map(|n| {
        let rel = parts[..n].join("/");
        let path = root.join(&rel);
        let link = std::fs::symlink_metadata(&path)
            .ok()?
            .file_type()
            .is_symlink();
        link.then(|| {
            let to_folder = std::fs::metadata(&path).is_ok_and(|m| m.is_dir());
            (
                rel,
                if to_folder {
                    "folder symlink"
                } else {
                    "symlink"
                },
            )
        })
    })
}

/// For a glob with no glob character (`lib`, `lib/`), the glob of what is
/// under the place it names (`lib/**`).
fn under_name(glob: &str) -> Option<String> {
    let name = glob.trim_end_matches('/');
    (!name.is_empty() && !name.contains(['*', '?', '[', '{', '\\']))
        .then(|| format!("{}/**", globset::escape(name)))
}

impl InputFilter {
    /// All files (the default), or those matching any of `globs` and none
    /// of their `!` exclusions.
    pub(crate) fn new(globs: Option<&[String]>) -> Result<Self, globset::Error> {
        let Some(globs) = globs else {
            return Ok(InputFilter {
                include: None,
                exclude: None,
                places: Vec::new(),
                placed: Vec::new(),
                ignored: Arc::default(),
            });
        };
        let mut include = globset::GlobSetBuilder::new();
        let mut exclude = globset::GlobSetBuilder::new();
        let mut places = Vec::new();
        let (mut includes, mut excludes) = (0, 0);
        for g in globs {
            let excluding = g.starts_with('!');
            let (builder, g) = match g.strip_prefix('!') {
                Some(rest) => {
                    excludes += 1;
                    (&mut exclude, rest)
                }
                None => {
                    includes += 1;
                    places.push(place_of(g).to_owned());
                    (&mut include, g.as_str())
                }
            };
            let g = g.trim_start_matches("./");
            builder.add(
                globset::GlobBuilder::new(g)
                    .literal_separator(true)
                    .build()?,
            );
            // A name with no glob character takes in what is under it too:
            // `lib` names a submodule (or a folder) as `lib/**` does.
            if let Some(under) = under_name(g) {
                builder.add(
                    globset::GlobBuilder::new(&under)
                        .literal_separator(true)
                        .build()?,
                );
                if !excluding {
                    places.push(place_of(g).to_owned());
                }
            }
        }
        Ok(InputFilter {
            include: if includes > 0 || excludes == 0 {
                Some(include.build()?)
            } else {
                None
            },
            exclude: (excludes > 0).then(|| exclude.build()).transpose()?,
            placed: placed_globs(Some(globs)).map(str::to_owned).collect(),
            places,
            ignored: Arc::default(),
        })
    }

    /// This filter, matched against a listing whose ignored files are those
    /// under `ignored`.
    pub(crate) fn with_ignored(mut self, ignored: Arc<IgnoredPlaces>) -> InputFilter {
        self.ignored = ignored;
        self
    }

    /// The places the include globs name (none for `**/*.py` or the
    /// default): where ignored files may count.
    pub(crate) fn places(&self) -> impl Iterator<Item = &str> {
        self.places
            .iter()
            .map(String::as_str)
            .filter(|p| !p.is_empty())
    }

    /// The include globs that name a place: what a listing follows into
    /// the ignored ones ([`super::list`]).
    pub(crate) fn placed_globs(&self) -> impl Iterator<Item = &str> {
        self.placed.iter().map(String::as_str)
    }

    /// The places every input lies at or under, when the filter has any:
    /// each include glob names one ([`place_of`]), since whatever a glob
    /// matches starts with its fixed part. `None` for the default (all
    /// files), an exclusions-only filter, or an include glob with no fixed
    /// folder (`**/*.py`, `*.rs`): then any path may match.
    pub(crate) fn bounds(&self) -> Option<&[String]> {
        let bounded = self.include.is_some()
            && !self.places.is_empty()
            && self.places.iter().all(|p| !p.is_empty());
        bounded.then_some(self.places.as_slice())
    }

    /// Whether `path` (relative, `/`-separated) is one of the gate's inputs.
    /// A path under one of the ignored places the filter was given is an
    /// ignored file, and matches as [`matches_ignored`](Self::matches_ignored).
    pub(crate) fn matches(&self, path: &str) -> bool {
        if !self.ignored.is_empty() && self.ignored.holds(path) {
            return self.matches_ignored(path, &self.ignored);
        }
        self.include.as_ref().is_none_or(|s| s.is_match(path))
            && !self.exclude.as_ref().is_some_and(|s| s.is_match(path))
    }

    /// Whether the ignored file `path`, listed because it is under one of
    /// `ignored`, is one of the gate's inputs: only a glob whose own place
    /// is ignored reaches it.
    pub(crate) fn matches_ignored(&self, path: &str, ignored: &IgnoredPlaces) -> bool {
        let Some(include) = &self.include else {
            return false;
        };
        include.matches(path).into_iter().any(|i| {
            self.places
                .get(i)
                .is_some_and(|p| !p.is_empty() && ignored.holds(p))
        }) && !self.exclude.as_ref().is_some_and(|s| s.is_match(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_globs_include_and_exclude() {
        let globs = |g: &[&str]| {
            InputFilter::new(Some(&g.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())).unwrap()
        };
        let f = globs(&["src/**", "!src/gen/**"]);
        assert!(f.matches("src/a.rs"));
        assert!(!f.matches("src/gen/b.rs"));
        assert!(!f.matches("README.md"));
        let only_excluding = globs(&["!tests/fixtures/**"]);
        assert!(only_excluding.matches("src/a.rs"));
        assert!(!only_excluding.matches("tests/fixtures/x"));
        assert!(!globs(&[]).matches("a"), "an empty list selects nothing");
        let named = globs(&["lib", "!lib/docs", "src/"]);
        assert!(named.matches("lib") && named.matches("lib/") && named.matches("lib/x/y"));
        assert!(!named.matches("lib/docs/a") && !named.matches("libx"));
        assert!(named.matches("src/a.rs"));
        assert!(InputFilter::new(None).unwrap().matches("a"));
    }

    #[test]
    fn globs_do_not_cross_folders_with_a_single_star() {
        let f = InputFilter::new(Some(&["*.rs".to_owned(), "src/**".to_owned()])).unwrap();
        assert!(f.matches("main.rs"));
        assert!(!f.matches("tests/a.rs"));
        assert!(f.matches("src/x/y.txt"));
        let all = InputFilter::new(None).unwrap();
        assert!(all.matches("anything"));
        let deep = InputFilter::new(Some(&["**/*.rs".to_owned()])).unwrap();
        assert!(deep.matches("a.rs") && deep.matches("a/b/c.rs"));
    }

    #[test]
    fn a_glob_names_the_place_of_its_fixed_part() {
        assert_eq!(place_of(".env"), ".env");
        assert_eq!(place_of("./build/out.txt"), "build/out.txt");
        assert_eq!(place_of("build/**"), "build");
        assert_eq!(place_of("build/"), "build");
        assert_eq!(
            place_of(".venv/lib/*/site-packages/*.dist-info/*"),
            ".venv/lib"
        );
        assert_eq!(place_of("src/foo*.rs"), "src");
        assert_eq!(place_of("**/*.py"), "");
        assert_eq!(place_of(".env*"), "");
        assert_eq!(place_of("../lib/**"), "");
        assert_eq!(place_of("/abs/**"), "");
    }

    #[test]
    fn ignored_files_match_only_globs_that_name_their_place() {
        let globs = |g: &[&str]| {
            InputFilter::new(Some(&g.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())).unwrap()
        };
        let ignored = Arc::new(IgnoredPlaces::new(vec![
            ".venv".into(),
            ".venv/lib".into(),
            ".env".into(),
            ".env-b/c".into(),
            "build".into(),
        ]));
        assert_eq!(ignored.places(), [".env", ".env-b/c", ".venv", "build"]);
        let named =
            globs(&[".env", "build/**", "!build/tmp/**"]).with_ignored(Arc::clone(&ignored));
        assert!(named.matches(".env"));
        assert!(named.matches("build/out.txt"));
        assert!(!named.matches("build/tmp/x"), "exclusions still apply");
        assert!(!named.matches(".env.local"));
        let sweeping = globs(&["**/*.py", "**"]).with_ignored(Arc::clone(&ignored));
        assert!(sweeping.matches("src/a.py"));
        assert!(
            !sweeping.matches(".venv/lib/a.py"),
            "**/*.py never sweeps .venv"
        );
        assert!(!sweeping.matches("build/x.py"));
        let default = InputFilter::new(None)
            .unwrap()
            .with_ignored(Arc::clone(&ignored));
        assert!(default.matches("src/a.py") && !default.matches(".env"));
        let inner = globs(&[".venv/lib/*/site-packages/*.dist-info/*"]).with_ignored(ignored);
        assert!(inner.matches(".venv/lib/py3/site-packages/a-1.dist-info/METADATA"));
        assert!(!inner.matches(".venv/lib/py3/site-packages/a/__init__.py"));
    }
}
