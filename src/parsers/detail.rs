//! What a metric reads besides its number: the places a report names, so
//! that every report can show them, the cache can keep them, and a metric
//! judged on part of the project can judge them again without running its
//! gate.
//!
//! A [`MetricDetail`] has one field per kind of report that names places;
//! a source fills the one it reads and leaves the others `None`. Paths are
//! relative to the project root (the config's folder, as every path in
//! `gates.toml`), with `/`; a place outside it has no path.
//!
//! What is kept is bounded whatever the size of the report: at most
//! [`KEPT`] items a metric whole, with a count of those left out, and for
//! every located result a [`Place`] of a few bytes (file, lines, column,
//! tool, rule, level; no message), so that results past the first [`KEPT`]
//! can still be listed, annotated and merged with their rule and place.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How many located items a metric keeps for its reports.
pub const KEPT: usize = 5_000;

/// How many characters of a message are kept.
pub const MESSAGE_CHARS: usize = 1_000;

/// What a metric read besides its number.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MetricDetail {
    /// The results a SARIF metric counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub findings: Option<Findings>,
    /// A `scope = "new"` coverage metric: each report file's instrumented
    /// and missed lines, and the project paths its name may mean. Kept as
    /// one string ([`lines_text`]), in memory too: a cache hit reads the
    /// report's files back, and judging new code decodes the numbers of
    /// the files that changed only ([`CoverageLines::files`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<CoverageLines>,
}

/// A coverage report's files in [`lines_text`]'s form, checked whole when
/// made, read a file at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoverageLines {
    text: String,
}

impl CoverageLines {
    /// The files' string form.
    pub fn new(files: &[super::FileLines]) -> CoverageLines {
        CoverageLines {
            text: lines_text::encode(files),
        }
    }

    /// `text` when it is [`lines_text`]'s form whole (checked without
    /// keeping anything), else `None`.
    pub fn from_text(text: String) -> Option<CoverageLines> {
        let mut files = lines_text::Files::new(&text);
        files.by_ref().for_each(drop);
        if files.damaged {
            return None;
        }
        Some(CoverageLines { text })
    }

    /// Each file: its name, the project paths it may mean and, when asked,
    /// its numbers.
    pub fn files(&self) -> lines_text::Files<'_> {
        lines_text::Files::new(&self.text)
    }

    /// The string form itself: what the files are, whole.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Every file, decoded.
    pub fn decoded(&self) -> Vec<super::FileLines> {
        lines_text::decode(&self.text).unwrap_or_default()
    }
}

impl Serialize for CoverageLines {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for CoverageLines {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(lines_text::Either)
    }
}

/// A coverage report's files as one string, file after file:
/// `LEN:PATH` (`LEN` its length in bytes), the count of its places and
/// each place (`=` for the path itself, else `LEN:PLACE`), then the count
/// of its lines and each line, then the count of its missed lines and each
/// one, every number followed by `,` and every line number written as its
/// distance from the one before (both lists are sorted). A file of the
/// LCOV benchmark takes 30 bytes instead of 90.
pub mod lines_text {
    use super::super::FileLines;
    use super::CoverageLines;
    use serde::de::{self, SeqAccess, Visitor};

    /// The string form.
    pub fn encode(files: &[FileLines]) -> String {
        let mut out = String::with_capacity(files.len() * 32);
        // Numbers written by `itoa`: `write!` cost more than the parse
        // these lines came from.
        let mut digits = itoa::Buffer::new();
        let mut number = |out: &mut String, n: usize, end: char| {
            out.push_str(digits.format(n));
            out.push(end);
        };
        for f in files {
            number(&mut out, f.path.len(), ':');
            out.push_str(&f.path);
            number(&mut out, f.places.len(), ',');
            for place in &f.places {
                if *place == f.path {
                    out.push('=');
                } else {
                    number(&mut out, place.len(), ':');
                    out.push_str(place);
                }
            }
            for list in [&f.lines, &f.missed] {
                number(&mut out, list.len(), ',');
                let mut last = 0u32;
                for &n in list {
                    number(&mut out, n.wrapping_sub(last) as usize, ',');
                    last = n;
                }
            }
        }
        out
    }

    /// Reads [`encode`]'s form back; `None` when it is not that.
    pub fn decode(text: &str) -> Option<Vec<FileLines>> {
        let mut r = Reader { text, at: 0 };
        let mut files = Vec::new();
        while r.at < text.len() {
            let path = r.string()?;
            let count = r.number(b',')?;
            let mut places = Vec::with_capacity(count.min(16) as usize);
            for _ in 0..count {
                if r.text.as_bytes().get(r.at) == Some(&b'=') {
                    r.at += 1;
                    places.push(path.to_owned());
                } else {
                    places.push(r.string()?.to_owned());
                }
            }
            let lines = r.numbers()?;
            let missed = r.numbers()?;
            files.push(FileLines {
                path: path.to_owned(),
                places,
                lines,
                missed,
            });
        }
        Some(files)
    }

    struct Reader<'a> {
        text: &'a str,
        at: usize,
    }

    impl<'a> Reader<'a> {
        /// Digits up to `end`, which is passed.
        fn number(&mut self, end: u8) -> Option<u32> {
            let bytes = self.text.as_bytes();
            let mut n: u32 = 0;
            let start = self.at;
            while let Some(&b) = bytes.get(self.at) {
                self.at += 1;
                if b == end && self.at - 1 > start {
                    return Some(n);
                }
                if !b.is_ascii_digit() {
                    return None;
                }
                n = n.checked_mul(10)?.checked_add(u32::from(b - b'0'))?;
            }
            None
        }

        /// `LEN:TEXT`.
        fn string(&mut self) -> Option<&'a str> {
            let len = self.number(b':')? as usize;
            let s = self.text.get(self.at..self.at.checked_add(len)?)?;
            self.at += len;
            Some(s)
        }

        /// A count, then that many distances, passed: as [`Reader::numbers`]
        /// reads them, without keeping them.
        fn skip_numbers(&mut self) -> Option<()> {
            let count = self.number(b',')? as usize;
            let mut last = 0u32;
            for _ in 0..count {
                last = last.checked_add(self.number(b',')?)?;
            }
            Some(())
        }

        /// A count, then that many distances.
        fn numbers(&mut self) -> Option<Vec<u32>> {
            let count = self.number(b',')? as usize;
            // Each takes two bytes at least: a lie cannot allocate much.
            if count > (self.text.len() - self.at) / 2 {
                return None;
            }
            let mut list = Vec::with_capacity(count);
            let mut last = 0u32;
            for _ in 0..count {
                last = last.checked_add(self.number(b',')?)?;
                list.push(last);
            }
            Some(list)
        }
    }

    /// One file of the string form: its name and places read, its numbers
    /// left as text until asked for.
    pub struct FileRef<'a> {
        pub path: &'a str,
        places: &'a str,
        places_count: u32,
        numbers: &'a str,
    }

    impl<'a> FileRef<'a> {
        /// The project paths its name may mean, most likely first.
        pub fn places(&self) -> impl Iterator<Item = &'a str> + use<'a> {
            let mut r = Reader {
                text: self.places,
                at: 0,
            };
            let path = self.path;
            (0..self.places_count).map_while(move |_| {
                if r.text.as_bytes().get(r.at) == Some(&b'=') {
                    r.at += 1;
                    Some(path)
                } else {
                    r.string()
                }
            })
        }

        /// Its instrumented and missed lines.
        pub fn numbers(&self) -> Option<(Vec<u32>, Vec<u32>)> {
            let mut r = Reader {
                text: self.numbers,
                at: 0,
            };
            let lines = r.numbers()?;
            let missed = r.numbers()?;
            Some((lines, missed))
        }
    }

    /// The files of the string form, in order; `damaged` once a file
    /// could not be read (none after it is given).
    pub struct Files<'a> {
        r: Reader<'a>,
        pub damaged: bool,
    }

    impl<'a> Files<'a> {
        pub fn new(text: &'a str) -> Files<'a> {
            Files {
                r: Reader { text, at: 0 },
                damaged: false,
            }
        }

        fn read(&mut self) -> Option<FileRef<'a>> {
            let r = &mut self.r;
            let path = r.string()?;
            let places_count = r.number(b',')?;
            let start = r.at;
            for _ in 0..places_count {
                if r.text.as_bytes().get(r.at) == Some(&b'=') {
                    r.at += 1;
                } else {
                    r.string()?;
                }
            }
            let places = r.text.get(start..r.at)?;
            let start = r.at;
            r.skip_numbers()?;
            r.skip_numbers()?;
            Some(FileRef {
                path,
                places,
                places_count,
                numbers: r.text.get(start..r.at)?,
            })
        }
    }

    impl<'a> Iterator for Files<'a> {
        type Item = FileRef<'a>;

        fn next(&mut self) -> Option<FileRef<'a>> {
            if self.damaged || self.r.at >= self.r.text.len() {
                return None;
            }
            let file = self.read();
            self.damaged = file.is_none();
            file
        }
    }

    /// Reads the string form, or the list of objects older entries hold.
    pub(super) struct Either;

    impl<'de> Visitor<'de> for Either {
        type Value = CoverageLines;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a coverage report's files")
        }

        fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
            self.visit_string(text.to_owned())
        }

        fn visit_string<E: de::Error>(self, text: String) -> Result<Self::Value, E> {
            CoverageLines::from_text(text)
                .ok_or_else(|| E::custom("a coverage report's files, damaged"))
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut files = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 16));
            while let Some(f) = seq.next_element::<FileLines>()? {
                files.push(f);
            }
            Ok(CoverageLines::new(&files))
        }
    }
}

/// The results a SARIF metric counted, with their places.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Findings {
    /// The tools that wrote the counted results, each once, with the rules
    /// they name.
    pub tools: Vec<Tool>,
    /// The first [`KEPT`] counted results, in the log's order.
    pub items: Vec<Finding>,
    /// Counted results past the first [`KEPT`].
    pub omitted: u64,
    /// Counted results that name no place in the project: no location, a
    /// URI that is not a file, or a file outside the project.
    pub unlocated: u64,
    /// Every counted result that names a place in the project, kept or
    /// not: per file, a [`Place`] each, in the log's order. A few bytes a
    /// result, so a metric judged on some lines can count, list and
    /// annotate every result, not only the kept ones. The JSON report
    /// writes only those past the items.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub lines: BTreeMap<String, Vec<Place>>,
}

/// Where one located result is, without its message: a few bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "PlaceRow", into = "PlaceRow")]
pub struct Place {
    /// The line its region starts on; 0 when it names the file only.
    pub line: u32,
    /// The last line of its region (`endLine`), at least `line`.
    pub end_line: u32,
    /// 1-based; 0 when the log gives none.
    pub column: u32,
    /// Its tool, an index into [`Findings::tools`].
    pub tool: u32,
    /// Its rule: 1 + an index into that tool's `rules`; 0 for none.
    pub rule: u32,
    /// 0 `none`, 1 `note`, 2 `warning`, 3 `error`.
    pub level: u8,
    /// Whether it is also one of [`Findings::items`], whole.
    pub kept: bool,
}

/// How a [`Place`] is written: an array, not an object, to stay small.
type PlaceRow = (u32, u32, u32, u32, u32, u8, bool);

impl From<PlaceRow> for Place {
    fn from((line, end_line, column, tool, rule, level, kept): PlaceRow) -> Place {
        Place {
            line,
            end_line: end_line.max(line),
            column,
            tool,
            rule,
            level,
            kept,
        }
    }
}

impl From<Place> for PlaceRow {
    fn from(p: Place) -> PlaceRow {
        (
            p.line, p.end_line, p.column, p.tool, p.rule, p.level, p.kept,
        )
    }
}

impl Place {
    /// Its level's name, as SARIF writes it.
    pub fn level_name(&self) -> &'static str {
        match self.level {
            0 => "none",
            1 => "note",
            3 => "error",
            _ => "warning",
        }
    }

    /// The code of a SARIF level's name (`warning` for any other).
    pub fn level_code(name: &str) -> u8 {
        match name {
            "none" => 0,
            "note" => 1,
            "error" => 3,
            _ => 2,
        }
    }
}

impl Findings {
    /// How many results were counted.
    pub fn total(&self) -> u64 {
        self.items.len() as u64 + self.omitted
    }

    /// Every located result: its file, first and last line (0, 0 for the
    /// whole file). A scoped metric counts a result as new when its file
    /// has a changed line in `first..=last` (any changed line for 0).
    pub fn located(&self) -> impl Iterator<Item = (&str, u32, u32)> + '_ {
        self.lines.iter().flat_map(|(path, places)| {
            places
                .iter()
                .map(move |p| (path.as_str(), p.line, p.end_line.max(p.line)))
        })
    }

    /// Keeps only the results `keep(path, first line, last line)` accepts
    /// (the unlocated ones are never kept, only counted in `unlocated`):
    /// the items, the places, and `omitted` so that [`Findings::total`] is
    /// what is left.
    pub fn retain_located(&mut self, mut keep: impl FnMut(&str, u32, u32) -> bool) {
        self.items.retain(|f| match &f.path {
            Some(path) => {
                let line = f.line.unwrap_or(0);
                keep(path, line, f.end_line.unwrap_or(line).max(line))
            }
            None => false,
        });
        let mut left = 0u64;
        for (path, places) in &mut self.lines {
            places.retain(|p| keep(path, p.line, p.end_line.max(p.line)));
            left += places.len() as u64;
        }
        self.lines.retain(|_, places| !places.is_empty());
        self.omitted = left.saturating_sub(self.items.len() as u64);
    }

    /// The located results that are not among the items, with their file.
    pub fn not_kept(&self) -> impl Iterator<Item = (&str, &Place)> + '_ {
        self.lines.iter().flat_map(|(path, places)| {
            places
                .iter()
                .filter(|p| !p.kept)
                .map(move |p| (path.as_str(), p))
        })
    }

    /// The rule a [`Place`] names, if any.
    pub fn rule_of(&self, place: &Place) -> Option<&Rule> {
        let tool = self.tools.get(place.tool as usize)?;
        tool.rules.get((place.rule as usize).checked_sub(1)?)
    }
}

/// The tool that wrote a SARIF run (`tool.driver`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub information_uri: Option<String>,
    /// The rules the counted results name, in the order first named.
    #[serde(default)]
    pub rules: Vec<Rule>,
}

/// A rule of a tool, as its log describes it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    pub id: String,
    /// Its `shortDescription`, else its `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help_uri: Option<String>,
    /// What code scanning reads of the rule, as the log wrote it:
    /// `name`, `shortDescription`, `fullDescription`, `help`, `helpUri`,
    /// `defaultConfiguration`, `properties` (each at most
    /// [`FRAGMENT_BYTES`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sarif: Option<serde_json::Map<String, serde_json::Value>>,
}

/// The largest part of a rule or result kept as the log wrote it, in
/// bytes of JSON; a larger one is left out.
pub const FRAGMENT_BYTES: usize = 8_192;

/// One counted SARIF result.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Its tool, an index into [`Findings::tools`].
    pub tool: usize,
    /// Its rule id, when it names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// `error`, `warning`, `note` or `none`: its own level, else its
    /// rule's, else `warning`.
    pub level: String,
    /// Its message text (at most [`MESSAGE_CHARS`] characters).
    pub message: String,
    /// Its first location's URI as the log wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// The file that URI names, relative to the project root; `None` when
    /// it names no file in the project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// 1-based.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// 1-based.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// The last line of its region, when the log says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_line: Option<u32>,
    /// What code scanning reads of the result, as the log wrote it:
    /// `region`, `partialFingerprints`, `fingerprints`, `properties` (each
    /// at most [`FRAGMENT_BYTES`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sarif: Option<serde_json::Map<String, serde_json::Value>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(line: u32, end_line: u32, kept: bool) -> Place {
        Place {
            line,
            end_line,
            column: 1,
            tool: 0,
            rule: 1,
            level: 3,
            kept,
        }
    }

    /// Two results kept whole (lines 1 and 5-9) and two past them (line 7
    /// and the whole file), as a scoped metric finds them.
    fn found() -> Findings {
        let item = |line: u32, end: u32| Finding {
            rule: Some("R".into()),
            level: "error".into(),
            message: format!("at {line}"),
            path: Some("a.py".into()),
            line: Some(line),
            end_line: Some(end),
            ..Finding::default()
        };
        Findings {
            tools: vec![Tool {
                name: "t".into(),
                rules: vec![Rule {
                    id: "R".into(),
                    ..Rule::default()
                }],
                ..Tool::default()
            }],
            items: vec![item(1, 1), item(5, 9)],
            omitted: 2,
            unlocated: 1,
            lines: [(
                "a.py".to_owned(),
                vec![
                    place(1, 1, true),
                    place(5, 9, true),
                    place(7, 7, false),
                    place(0, 0, false),
                ],
            )]
            .into(),
        }
    }

    #[test]
    fn a_result_whose_region_spans_a_line_is_on_it() {
        let mut found = found();
        let changed = 8;
        found.retain_located(|_, first, last| first == 0 || (first..=last).contains(&changed));
        // The item at 5-9 spans line 8; of those past the items, the whole
        // file counts, line 7 does not.
        assert_eq!(found.items.len(), 1);
        assert_eq!(found.items[0].message, "at 5");
        assert_eq!(found.omitted, 1);
        assert_eq!(found.total(), 2);
        let past: Vec<u32> = found.not_kept().map(|(_, p)| p.line).collect();
        assert_eq!(past, [0]);
        assert_eq!(
            found.located().collect::<Vec<_>>(),
            [("a.py", 5, 9), ("a.py", 0, 0)]
        );
    }

    #[test]
    fn results_past_the_items_keep_their_rule_and_are_reported() {
        let mut found = found();
        found.retain_located(|_, first, _| first == 7);
        assert!(found.items.is_empty());
        assert_eq!(found.omitted, 1);
        let report = found;
        let (path, p) = report.not_kept().next().unwrap();
        assert_eq!((path, p.line), ("a.py", 7));
        assert_eq!(report.rule_of(p).map(|r| r.id.as_str()), Some("R"));
        assert_eq!(p.level_name(), "error");
        // Written as a row, read back the same.
        let json = serde_json::to_string(&report).unwrap();
        assert!(
            json.contains(r#""lines":{"a.py":[[7,7,1,0,1,3,false]]}"#),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<Findings>(&json).unwrap(), report);
    }

    #[test]
    fn coverage_lines_round_trip_as_one_string_and_older_entries_still_read() {
        use super::super::FileLines;
        let files = vec![
            FileLines {
                path: "src/a.py".into(),
                places: vec!["src/a.py".into()],
                lines: vec![2, 5, 9, 4_000_000_000],
                missed: vec![5, 4_000_000_000],
            },
            FileLines {
                path: "/abs/ü, é:1,=.py".into(),
                places: vec!["ü, é:1,=.py".into(), "lib/ü, é:1,=.py".into()],
                lines: vec![1],
                missed: vec![],
            },
            FileLines {
                path: String::new(),
                places: vec![],
                lines: vec![],
                missed: vec![],
            },
        ];
        let detail = MetricDetail {
            findings: None,
            coverage: Some(CoverageLines::new(&files)),
        };
        let json = serde_json::to_string(&detail).unwrap();
        assert!(json.contains(r#""coverage":"8:src/a.py1,=4,2,3,4,3999999991,2,5,3999999995,"#));
        assert_eq!(serde_json::from_str::<MetricDetail>(&json).unwrap(), detail);
        // As entries written before held it: an object per file.
        let older = serde_json::json!({ "coverage": files }).to_string();
        assert_eq!(
            serde_json::from_str::<MetricDetail>(&older).unwrap(),
            detail
        );
        let none = serde_json::to_string(&MetricDetail::default()).unwrap();
        assert_eq!(none, "{}");
        assert_eq!(
            serde_json::from_str::<MetricDetail>(r#"{"coverage":null}"#).unwrap(),
            MetricDetail::default()
        );
        // Damaged: never a panic, never a wrong list.
        let text = lines_text::encode(&files);
        for cut in 0..text.len() {
            if let Some(back) = text.get(..cut).and_then(lines_text::decode) {
                assert!(back.len() < files.len(), "cut at {cut}");
            }
            if let Some(back) = text
                .get(..cut)
                .and_then(|t| CoverageLines::from_text(t.to_owned()))
            {
                assert!(back.decoded().len() < files.len(), "cut at {cut}");
            }
        }
        for damaged in ["x", "8:src/a.py", "99:a", "1:a1,", "1:a0,1,", "1:a0,2,1,"] {
            assert!(lines_text::decode(damaged).is_none(), "{damaged}");
            assert!(CoverageLines::from_text(damaged.to_owned()).is_none());
        }
        // Read a file at a time, as judging new code does: the same files.
        let lines = CoverageLines::from_text(text).unwrap();
        assert_eq!(lines.decoded(), files);
        let read: Vec<FileLines> = lines
            .files()
            .map(|f| {
                let (lines, missed) = f.numbers().unwrap();
                FileLines {
                    path: f.path.to_owned(),
                    places: f.places().map(str::to_owned).collect(),
                    lines,
                    missed,
                }
            })
            .collect();
        assert_eq!(read, files);
    }
}
