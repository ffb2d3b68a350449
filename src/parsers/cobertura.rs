//! Cobertura XML (coverage.py, cargo-llvm-cov, JaCoCo converters, gcovr):
//! line coverage from the root's `lines-valid` / `lines-covered`, or, when a
//! tool leaves them out, from the `<line>` elements of each class (those
//! repeated under `<methods>` are not counted twice). Branches likewise:
//! the root's `branches-valid` / `branches-covered`, else the `(hit/total)`
//! of each branch line's `condition-coverage`. The whole document is read,
//! so a truncated file is an error and not the root's numbers.
//!
//! A file's lines (for new-code coverage) are its classes' `<line>`
//! elements: instrumented, and hit when `hits` is above 0, as diff-cover
//! counts them (a partly taken branch line with hits is covered).

use super::{CoverageReport, FileLines, LineCoverage};
use indexmap::IndexMap;
use quick_xml::events::{BytesStart, Event};
use std::io::BufRead;

/// Reads a Cobertura report's line totals.
pub fn parse(input: impl BufRead) -> Result<LineCoverage, String> {
    read(input, false).map(|r| r.lines)
}

/// What the walk through the document keeps.
#[derive(Default)]
struct State {
    per_file: bool,
    root: Option<Option<LineCoverage>>,
    root_branches: Option<LineCoverage>,
    counted: LineCoverage,
    counted_branches: LineCoverage,
    /// Inside <methods>: lines there repeat the class's own.
    in_methods: usize,
    /// The class being read, by its `filename`.
    class: Option<String>,
    files: IndexMap<String, Vec<(u32, bool)>>,
    in_source: bool,
    source: String,
    sources: Vec<String>,
}

/// Reads a Cobertura report: totals, and each file's lines when
/// `per_file`.
pub fn read(input: impl BufRead, per_file: bool) -> Result<CoverageReport, String> {
    let mut reader = quick_xml::Reader::from_reader(input);
    let mut buf = Vec::with_capacity(4096);
    let mut depth = 0usize;
    let mut state = State {
        per_file,
        ..State::default()
    };
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| format!("not valid XML at byte {}: {e}", reader.error_position()))?;
        match event {
            Event::Start(e) => {
                depth += 1;
                state.on_element(&e, depth)?;
                match e.local_name().as_ref() {
                    "methods" => state.in_methods += 1,
                    "class" if per_file => state.class = Some(filename(&e)?),
                    "source" => state.in_source = true,
                    _ => {}
                }
            }
            Event::Empty(e) => state.on_element(&e, depth + 1)?,
            Event::Text(t) if state.in_source && per_file => {
                state.source.push_str(&t.xml10_content());
            }
            Event::GeneralRef(r) if state.in_source && per_file => {
                let text = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => match r.xml10_content().as_ref() {
                        "amp" => "&".to_owned(),
                        "lt" => "<".to_owned(),
                        "gt" => ">".to_owned(),
                        "quot" => "\"".to_owned(),
                        "apos" => "'".to_owned(),
                        other => format!("&{other};"),
                    },
                };
                state.source.push_str(&text);
            }
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                match e.local_name().as_ref() {
                    "methods" => state.in_methods = state.in_methods.saturating_sub(1),
                    "class" => state.class = None,
                    "source" => {
                        state.in_source = false;
                        let text = std::mem::take(&mut state.source);
                        if !text.trim().is_empty() {
                            state.sources.push(text.trim().to_owned());
                        }
                    }
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if depth != 0 {
        return Err("the report ends inside an element: truncated?".to_owned());
    }
    let lines = match state.root {
        None => return Err("not a Cobertura report: no <coverage> root element".to_owned()),
        Some(Some(totals)) => totals,
        Some(None) => state.counted,
    };
    let branches = state
        .root_branches
        .or((state.counted_branches.found > 0).then_some(state.counted_branches));
    Ok(CoverageReport {
        lines,
        branches,
        sources: state.sources,
        files: state
            .files
            .into_iter()
            .map(|(path, hits)| FileLines::from_hits(path, hits))
            .collect(),
    })
}

fn attr(e: &BytesStart<'_>, name: &str) -> Result<Option<u64>, String> {
    match e.try_get_attribute(name) {
        Ok(Some(a)) => super::count(a.value.as_bytes())
            .map(Some)
            .ok_or_else(|| format!("`{name}` is not a number: `{}`", a.value)),
        Ok(None) => Ok(None),
        Err(err) => Err(format!("bad attributes: {err}")),
    }
}

fn text_attr(e: &BytesStart<'_>, name: &str) -> Result<Option<String>, String> {
    match e.try_get_attribute(name) {
        Ok(Some(a)) => a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map(|v| Some(v.into_owned()))
            .map_err(|err| format!("bad `{name}`: {err}")),
        Ok(None) => Ok(None),
        Err(err) => Err(format!("bad attributes: {err}")),
    }
}

fn filename(e: &BytesStart<'_>) -> Result<String, String> {
    Ok(text_attr(e, "filename")?.unwrap_or_default())
}

/// `(1/2)` of a `condition-coverage="50% (1/2)"`.
fn condition(text: &str) -> Option<(u64, u64)> {
    let inner = text.split_once('(')?.1.split_once(')')?.0;
    let (hit, total) = inner.split_once('/')?;
    Some((hit.trim().parse().ok()?, total.trim().parse().ok()?))
}

impl State {
    fn on_element(&mut self, e: &BytesStart<'_>, depth: usize) -> Result<(), String> {
        let name = e.local_name();
        if depth == 1 {
            if name.as_ref() != "coverage" {
                return Err(format!(
                    "not a Cobertura report: the root element is <{}>",
                    name.as_ref()
                ));
            }
            self.root = Some(match (attr(e, "lines-valid")?, attr(e, "lines-covered")?) {
                (Some(found), Some(hit)) if hit <= found => Some(LineCoverage { found, hit }),
                (Some(_), Some(_)) => {
                    return Err("`lines-covered` is above `lines-valid`".to_owned())
                }
                _ => None,
            });
            self.root_branches = match (attr(e, "branches-valid")?, attr(e, "branches-covered")?) {
                (Some(found), Some(hit)) if hit <= found => Some(LineCoverage { found, hit }),
                (Some(_), Some(_)) => {
                    return Err("`branches-covered` is above `branches-valid`".to_owned())
                }
                _ => None,
            };
        } else if name.as_ref() == "line" && self.in_methods == 0 {
            let hits = match e.try_get_attribute("hits") {
                Ok(Some(a)) => a.value.trim().parse::<f64>().unwrap_or(0.0),
                _ => 0.0,
            };
            self.counted.found += 1;
            if hits > 0.0 {
                self.counted.hit += 1;
            }
            if let Some((hit, total)) = text_attr(e, "condition-coverage")?
                .as_deref()
                .and_then(condition)
                .filter(|(h, t)| h <= t)
            {
                self.counted_branches.found += total;
                self.counted_branches.hit += hit;
            }
            if let (true, Some(class)) = (self.per_file, &self.class) {
                let number = attr(e, "number")?
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or("a <line> without a `number`")?;
                self.files
                    .entry(class.clone())
                    .or_default()
                    .push((number, hits > 0.0));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_totals_or_counted_lines() {
        let with_totals = r#"<?xml version="1.0"?><coverage lines-valid="4" lines-covered="3"><packages/></coverage>"#;
        assert_eq!(
            parse(with_totals.as_bytes()),
            Ok(LineCoverage { found: 4, hit: 3 })
        );
        let counted = r#"<coverage><packages><package><classes><class>
            <methods><method><lines><line number="1" hits="1"/></lines></method></methods>
            <lines><line number="1" hits="1"/><line number="2" hits="0"/></lines>
            </class></classes></package></packages></coverage>"#;
        assert_eq!(
            parse(counted.as_bytes()),
            Ok(LineCoverage { found: 2, hit: 1 })
        );
    }

    #[test]
    fn per_file_lines_sources_and_branches() {
        let doc = r#"<coverage lines-valid="4" lines-covered="2" branches-valid="4" branches-covered="1">
            <sources><source>/work/proj</source><source> src </source></sources>
            <packages><package><classes>
            <class filename="pkg/a.py"><methods><method><lines><line number="9" hits="0"/></lines></method></methods>
              <lines><line number="2" hits="1" branch="true" condition-coverage="50% (1/2)"/><line number="1" hits="0"/></lines></class>
            <class filename="pkg/a.py"><lines><line number="1" hits="3"/></lines></class>
            <class filename="b &amp; c.py"><lines><line number="4" hits="0"/></lines></class>
            </classes></package></packages></coverage>"#;
        let r = read(doc.as_bytes(), true).unwrap();
        assert_eq!(r.lines, LineCoverage { found: 4, hit: 2 });
        assert_eq!(r.branches, Some(LineCoverage { found: 4, hit: 1 }));
        assert_eq!(r.sources, vec!["/work/proj", "src"]);
        assert_eq!(r.files.len(), 2);
        assert_eq!(r.files[0].path, "pkg/a.py");
        assert_eq!(r.files[0].lines, vec![1, 2]);
        assert!(r.files[0].missed.is_empty());
        assert_eq!(r.files[1].path, "b & c.py");
        assert_eq!(r.files[1].missed, vec![4]);
        // No root branch totals: counted from condition-coverage.
        let counted = r#"<coverage><packages><package><classes><class filename="a">
            <lines><line number="1" hits="1" branch="true" condition-coverage="25% (1/4)"/></lines>
            </class></classes></package></packages></coverage>"#;
        let r = read(counted.as_bytes(), false).unwrap();
        assert_eq!(r.branches, Some(LineCoverage { found: 4, hit: 1 }));
        assert!(r.files.is_empty());
    }

    #[test]
    fn truncated_or_foreign_xml_is_an_error() {
        let cut = r#"<coverage lines-valid="4" lines-covered="3"><packages><package>"#;
        assert!(parse(cut.as_bytes()).unwrap_err().contains("truncated"));
        assert!(parse("<testsuites/>".as_bytes())
            .unwrap_err()
            .contains("root element is <testsuites>"));
        assert!(parse("not xml <".as_bytes()).is_err());
        assert!(parse("".as_bytes()).unwrap_err().contains("no <coverage>"));
        assert!(parse(r#"<coverage lines-valid="x"/>"#.as_bytes()).is_err());
    }
}
