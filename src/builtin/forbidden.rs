//! The `forbidden` builtin: patterns a project bans (literals and regexes),
//! each a finding with the pattern's own id and message.
//!
//! Literals are matched together in one Aho-Corasick pass, regexes one by
//! one; every match is reported, in file order, unless allowed. It only
//! reads the content it is given.

use super::finding::{unless_allowed, Finding};
use super::lines::LineIndex;
use super::{Matcher, Pattern, Spec};
use regex::bytes::Regex;

/// The patterns of a `forbidden` gate, ready to match.
pub(super) struct Forbidden<'s> {
    literals: Option<aho_corasick::AhoCorasick>,
    /// Per literal of the automaton: its index in `patterns`.
    literal_ids: Vec<usize>,
    regexes: Vec<(usize, &'s Regex)>,
    patterns: &'s [Pattern],
    allow: &'s [String],
}

impl<'s> Forbidden<'s> {
    /// Builds the matchers of `spec`'s patterns.
    pub(super) fn new(spec: &'s Spec) -> Forbidden<'s> {
        let mut literal_ids = Vec::new();
        let mut literal_texts = Vec::new();
        let mut regexes = Vec::new();
        for (i, p) in spec.patterns.iter().enumerate() {
            match &p.matcher {
                Matcher::Literal(s) => {
                    literal_ids.push(i);
                    literal_texts.push(s.as_str());
                }
                Matcher::Regex(r) => regexes.push((i, r)),
            }
        }
        let literals = (!literal_texts.is_empty()).then(|| {
            aho_corasick::AhoCorasick::builder()
                .match_kind(aho_corasick::MatchKind::Standard)
                .build(&literal_texts)
                .expect("literal patterns build")
        });
        Forbidden {
            literals,
            literal_ids,
            regexes,
            patterns: &spec.patterns,
            allow: &spec.allow,
        }
    }

    /// Adds a finding to `found` for each match in `content`.
    pub(super) fn scan(&self, rel: &str, content: &[u8], found: &mut Vec<Finding>) {
        let mut hits: Vec<(usize, usize, usize)> = Vec::new();
        if let Some(ac) = &self.literals {
            for m in ac.find_overlapping_iter(content) {
                hits.push((self.literal_ids[m.pattern().as_usize()], m.start(), m.end()));
            }
        }
        for (i, re) in &self.regexes {
            for m in re.find_iter(content) {
                hits.push((*i, m.start(), m.end()));
            }
        }
        hits.sort_by_key(|&(i, start, _)| (start, i));
        let mut lines = LineIndex::new(content);
        for (i, start, end) in hits {
            let p = &self.patterns[i];
            found.extend(unless_allowed(
                &mut lines,
                self.allow,
                rel,
                &p.id,
                start..end,
                || p.message.clone(),
            ));
        }
    }
}
