//! A gate's `inputs` globs, compiled once and matched against the listed
//! paths.

/// A gate's `inputs` globs, compiled. A glob that starts with `!` excludes
/// what it matches (`["**", "!tests/fixtures/**"]`); with only exclusions,
/// every other file is an input.
#[derive(Debug, Clone)]
pub(crate) struct InputFilter {
    include: Option<globset::GlobSet>,
    exclude: Option<globset::GlobSet>,
}

impl InputFilter {
    /// All files (the default), or those matching any of `globs` and none
    /// of their `!` exclusions.
    pub(crate) fn new(globs: Option<&[String]>) -> Result<Self, globset::Error> {
        let Some(globs) = globs else {
            return Ok(InputFilter {
                include: None,
                exclude: None,
            });
        };
        let mut include = globset::GlobSetBuilder::new();
        let mut exclude = globset::GlobSetBuilder::new();
        let (mut includes, mut excludes) = (0, 0);
        for g in globs {
            let (builder, g) = match g.strip_prefix('!') {
                Some(rest) => {
                    excludes += 1;
                    (&mut exclude, rest)
                }
                None => {
                    includes += 1;
                    (&mut include, g.as_str())
                }
            };
            let g = g.trim_start_matches("./");
            builder.add(
                globset::GlobBuilder::new(g)
                    .literal_separator(true)
                    .build()?,
            );
        }
        Ok(InputFilter {
            include: if includes > 0 || excludes == 0 {
                Some(include.build()?)
            } else {
                None
            },
            exclude: (excludes > 0).then(|| exclude.build()).transpose()?,
        })
    }

    /// Whether `path` (relative, `/`-separated) is one of the gate's inputs.
    pub(crate) fn matches(&self, path: &str) -> bool {
        self.include.as_ref().is_none_or(|s| s.is_match(path))
            && !self.exclude.as_ref().is_some_and(|s| s.is_match(path))
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
}
