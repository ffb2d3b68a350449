//! Cobertura XML (coverage.py, cargo-llvm-cov, JaCoCo converters, gcovr):
//! line coverage from the root's `lines-valid` / `lines-covered`, or, when a
//! tool leaves them out, from the `<line>` elements of each class (those
//! repeated under `<methods>` are not counted twice). The whole document is
//! read, so a truncated file is an error and not the root's numbers.

use super::LineCoverage;
use quick_xml::events::{BytesStart, Event};
use std::io::BufRead;

/// Reads a Cobertura report.
pub fn parse(input: impl BufRead) -> Result<LineCoverage, String> {
    let mut reader = quick_xml::Reader::from_reader(input);
    let mut buf = Vec::with_capacity(4096);
    let mut depth = 0usize;
    let mut root: Option<Option<LineCoverage>> = None;
    let mut counted = LineCoverage::default();
    // Inside <methods>: lines there repeat the class's own.
    let mut in_methods = 0usize;
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| format!("not valid XML at byte {}: {e}", reader.error_position()))?;
        match event {
            Event::Start(e) => {
                depth += 1;
                on_element(&e, depth, &mut root, &mut counted, in_methods)?;
                if e.local_name().as_ref() == "methods" {
                    in_methods += 1;
                }
            }
            Event::Empty(e) => on_element(&e, depth + 1, &mut root, &mut counted, in_methods)?,
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                if e.local_name().as_ref() == "methods" {
                    in_methods = in_methods.saturating_sub(1);
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
    match root {
        None => Err("not a Cobertura report: no <coverage> root element".to_owned()),
        Some(Some(totals)) => Ok(totals),
        Some(None) => Ok(counted),
    }
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

fn on_element(
    e: &BytesStart<'_>,
    depth: usize,
    root: &mut Option<Option<LineCoverage>>,
    counted: &mut LineCoverage,
    in_methods: usize,
) -> Result<(), String> {
    let name = e.local_name();
    if depth == 1 {
        if name.as_ref() != "coverage" {
            return Err(format!(
                "not a Cobertura report: the root element is <{}>",
                name.as_ref()
            ));
        }
        *root = Some(match (attr(e, "lines-valid")?, attr(e, "lines-covered")?) {
            (Some(found), Some(hit)) if hit <= found => Some(LineCoverage { found, hit }),
            (Some(_), Some(_)) => return Err("`lines-covered` is above `lines-valid`".to_owned()),
            _ => None,
        });
    } else if name.as_ref() == "line" && in_methods == 0 {
        let hits = match e.try_get_attribute("hits") {
            Ok(Some(a)) => a.value.trim().parse::<f64>().unwrap_or(0.0),
            _ => 0.0,
        };
        counted.found += 1;
        if hits > 0.0 {
            counted.hit += 1;
        }
    }
    Ok(())
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
