//! What a metric found where, as the text reports list it under its gate:
//! one [`Item`] a line, `path:line:col  rule  message` (or
//! `path:12-14, 30  message` for a set of lines), at most [`SHOWN`] of them
//! and `… and N more`, then how many name no place in the project.
//!
//! A [`Listing`] is built from a [`MetricReport`] by [`listing`], the one
//! place that knows which metric fields hold places; the table, Markdown
//! and GitHub formats only render listings. Text from a report file is
//! shown on one line without control characters, whatever the format.

use super::MetricReport;
use crate::fmt::plain_text;

/// How many items a text report lists per metric.
pub(crate) const SHOWN: usize = 20;

/// How many annotations mark metric items in a run: GitHub shows at most
/// 50 a job, and drops the rest without a word.
pub(crate) const ANNOTATED: usize = 50;

/// The message of a result past the first [`crate::parsers::detail::KEPT`]
/// whose rule has no description: only its place and rule were kept.
pub(crate) const NOT_KEPT: &str = "(message not kept)";

/// How many results past the kept ones a listing shows: what a text
/// report lists and what annotations mark, at most.
const PAST_KEPT: usize = if SHOWN > ANNOTATED { SHOWN } else { ANNOTATED };

/// One place a metric names.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Item<'a> {
    /// Relative to the project root; `None` when it names no file in it.
    pub path: Option<&'a str>,
    /// What the report wrote when `path` is `None` (a URI outside the
    /// project), shown instead.
    pub written: Option<&'a str>,
    /// Line ranges, first to last, inclusive; empty for the whole file.
    pub lines: Vec<(u32, u32)>,
    /// With a single line only.
    pub column: Option<u32>,
    pub rule: Option<&'a str>,
    pub message: &'a str,
}

/// The items one metric lists.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Listing<'a> {
    pub metric: &'a str,
    /// What the items are, in the plural: `findings`, `uncovered lines`.
    pub what: &'static str,
    pub items: Vec<Item<'a>>,
    /// Items the metric counted but did not keep.
    pub more: u64,
    /// Of all it counted, how many name no place in the project.
    pub unlocated: u64,
}

/// The places `m` names, if its source names any: the uncovered changed
/// lines of a scoped coverage metric, or a SARIF metric's findings (on new
/// code only, for a scoped one): the kept results whole, then a few of
/// those past them, with their rule and place (their rule's description,
/// or [`NOT_KEPT`], as message).
pub(crate) fn listing(m: &MetricReport) -> Option<Listing<'_>> {
    if let Some(uncovered) = m
        .new_code
        .as_ref()
        .filter(|n| n.instrumented.is_some() && !n.uncovered.is_empty())
        .map(|n| &n.uncovered)
    {
        return Some(Listing {
            metric: &m.name,
            what: "files with uncovered changed lines",
            items: uncovered
                .iter()
                .map(|u| Item {
                    path: Some(&u.path),
                    written: None,
                    lines: u.ranges.clone(),
                    column: None,
                    rule: None,
                    message: "changed lines not covered",
                })
                .collect(),
            more: 0,
            unlocated: 0,
        });
    }
    let found = m.findings.as_ref()?;
    let mut items: Vec<Item<'_>> = found
        .items
        .iter()
        .map(|f| Item {
            path: f.path.as_deref(),
            written: f.uri.as_deref(),
            lines: match (f.line, f.end_line) {
                (Some(start), Some(end)) if end > start => vec![(start, end)],
                (Some(line), _) => vec![(line, line)],
                (None, _) => Vec::new(),
            },
            column: f.column,
            rule: f.rule.as_deref(),
            message: &f.message,
        })
        .collect();
    let mut more = found.omitted;
    for (path, place) in found.not_kept().take(PAST_KEPT) {
        let rule = found.rule_of(place);
        items.push(Item {
            path: Some(path),
            written: None,
            lines: match place.line {
                0 => Vec::new(),
                line => vec![(line, place.end_line.max(line))],
            },
            column: (place.column > 0).then_some(place.column),
            rule: rule.map(|r| r.id.as_str()),
            message: rule
                .and_then(|r| r.description.as_deref())
                .filter(|d| !d.is_empty())
                .unwrap_or(NOT_KEPT),
        });
        more = more.saturating_sub(1);
    }
    Some(Listing {
        metric: &m.name,
        what: "findings",
        items,
        more,
        unlocated: found.unlocated,
    })
}

/// `text` on one line, as a report shows text from a report file: no
/// control character, newlines and tabs as spaces.
pub(crate) fn one_line(text: &str) -> String {
    plain_text(text).replace(['\n', '\t'], " ")
}

impl Item<'_> {
    /// `path:line:col`, `path:12-14, 30`, `path`, or `(no location)`; what
    /// the report wrote, marked so, when it names no file in the project.
    pub(crate) fn location(&self) -> String {
        match (self.path, self.written) {
            (Some(path), _) => self.at(&crate::sys::name::display(path)),
            (None, Some(written)) => {
                format!("{} (outside the project)", self.at(&one_line(written)))
            }
            (None, None) => "(no location)".to_owned(),
        }
    }

    /// `file` with this item's lines and column.
    fn at(&self, file: &str) -> String {
        let file = file.to_owned();
        let lines: Vec<String> = self
            .lines
            .iter()
            .map(|&(a, b)| {
                if a == b {
                    a.to_string()
                } else {
                    format!("{a}-{b}")
                }
            })
            .collect();
        match (lines.as_slice(), self.column) {
            ([], _) => file,
            ([line], Some(col)) if self.lines[0].0 == self.lines[0].1 => {
                format!("{file}:{line}:{col}")
            }
            _ => format!("{file}:{}", lines.join(", ")),
        }
    }

    /// The item as a text report lists it: `location  rule  message`.
    pub(crate) fn text(&self) -> String {
        let mut parts = vec![self.location()];
        parts.extend(self.rule.map(one_line));
        if !self.message.is_empty() {
            parts.push(one_line(self.message));
        }
        parts.join("  ")
    }
}

impl Listing<'_> {
    /// The lines a text report shows: the first [`SHOWN`] items, then
    /// `… and N more`, then how many name no place. Each line is plain
    /// text without its indent.
    pub(crate) fn lines(&self) -> Vec<String> {
        let mut out: Vec<String> = self.items.iter().take(SHOWN).map(Item::text).collect();
        let more = (self.items.len().saturating_sub(SHOWN) as u64) + self.more;
        if more > 0 {
            out.push(format!("… and {more} more"));
        }
        if self.unlocated > 0 {
            out.push(format!(
                "{} of the {} name no place in the project",
                self.unlocated, self.what
            ));
        }
        out
    }

    /// How many items the metric counted.
    pub(crate) fn total(&self) -> u64 {
        self.items.len() as u64 + self.more
    }

    /// How many of what, in words: `3 findings`, `1 finding`, `1 file with
    /// uncovered changed lines`.
    pub(crate) fn count_text(&self) -> String {
        let total = self.total();
        let what = if total == 1 {
            match self.what.split_once(' ') {
                Some((noun, rest)) => format!("{} {rest}", noun.trim_end_matches('s')),
                None => self.what.trim_end_matches('s').to_owned(),
            }
        } else {
            self.what.to_owned()
        };
        format!("{total} {what}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item<'a>(path: &'a str, lines: Vec<(u32, u32)>, column: Option<u32>) -> Item<'a> {
        Item {
            path: Some(path),
            written: None,
            lines,
            column,
            rule: Some("F401"),
            message: "`os`\timported\nbut unused\x1b[31m",
        }
    }

    #[test]
    fn items_read_as_path_lines_rule_message() {
        assert_eq!(
            item("src/a.py", vec![(3, 3)], Some(8)).text(),
            "src/a.py:3:8  F401  `os` imported but unused"
        );
        assert_eq!(
            item("src/a.py", vec![(12, 14), (30, 30)], None).location(),
            "src/a.py:12-14, 30"
        );
        assert_eq!(
            item("src/a.py", vec![(12, 14)], Some(2)).location(),
            "src/a.py:12-14"
        );
        assert_eq!(item("a\nb.py", vec![], None).location(), "\"a\\nb.py\"");
        let nowhere = Item {
            path: None,
            written: None,
            lines: vec![],
            column: None,
            rule: None,
            message: "m",
        };
        assert_eq!(nowhere.text(), "(no location)  m");
        let outside = Item {
            written: Some("file:///etc/passwd"),
            lines: vec![(1, 1)],
            ..nowhere
        };
        assert_eq!(
            outside.text(),
            "file:///etc/passwd:1 (outside the project)  m"
        );
    }

    #[test]
    fn results_past_the_kept_ones_are_listed_with_their_rule_and_place() {
        use crate::parsers::detail::{Findings, Place, Rule, Tool};
        // What a scoped metric leaves when none of the kept results and
        // two past them are on changed lines.
        let found = Findings {
            tools: vec![Tool {
                name: "t".into(),
                rules: vec![
                    Rule {
                        id: "R1".into(),
                        ..Rule::default()
                    },
                    Rule {
                        id: "R2".into(),
                        description: Some("rule two".into()),
                        ..Rule::default()
                    },
                ],
                ..Tool::default()
            }],
            items: Vec::new(),
            omitted: 2,
            unlocated: 0,
            lines: [(
                "a.py".to_owned(),
                vec![
                    Place {
                        line: 3,
                        end_line: 3,
                        column: 4,
                        rule: 1,
                        ..Place::default()
                    },
                    Place {
                        line: 5,
                        end_line: 7,
                        rule: 2,
                        ..Place::default()
                    },
                ],
            )]
            .into(),
        };
        let mut metric: MetricReport =
            serde_json::from_value(serde_json::json!({"name": "new", "better": "lower"})).unwrap();
        metric.findings = Some(super::super::ReportFindings::new(found));
        let listing = listing(&metric).unwrap();
        assert_eq!(
            listing.lines(),
            ["a.py:3:4  R1  (message not kept)", "a.py:5-7  R2  rule two"]
        );
        assert_eq!(listing.total(), 2);
    }

    #[test]
    fn listings_show_twenty_and_say_how_many_more() {
        let items: Vec<Item<'_>> = (1..=25).map(|n| item("a.py", vec![(n, n)], None)).collect();
        let listing = Listing {
            metric: "findings",
            what: "findings",
            items,
            more: 5,
            unlocated: 2,
        };
        let lines = listing.lines();
        assert_eq!(lines.len(), SHOWN + 2);
        assert_eq!(lines[SHOWN], "… and 10 more");
        assert_eq!(
            lines[SHOWN + 1],
            "2 of the findings name no place in the project"
        );
        assert_eq!(listing.total(), 30);
        assert_eq!(listing.count_text(), "30 findings");
    }

    #[test]
    fn one_of_a_kind_is_said_in_the_singular() {
        let one = |what| Listing {
            metric: "m",
            what,
            items: vec![item("a.py", vec![(1, 2)], None)],
            more: 0,
            unlocated: 0,
        };
        assert_eq!(one("findings").count_text(), "1 finding");
        assert_eq!(
            one("files with uncovered changed lines").count_text(),
            "1 file with uncovered changed lines"
        );
    }
}
