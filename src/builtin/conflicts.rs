//! The `conflict-markers` builtin: merge conflict markers left in a file.
//!
//! `<<<<<<<` and `>>>>>>>` count anywhere at the start of a line; `=======`
//! and `|||||||` only after an opening marker, so a Markdown heading
//! underline is not a conflict. It only reads the content it is given.

use super::finding::Finding;

/// Adds a finding to `found` for each conflict marker line of `content`.
pub(super) fn scan(rel: &str, content: &[u8], found: &mut Vec<Finding>) {
    let mut opened = false;
    let mut start = 0;
    let mut line = 0u32;
    while start < content.len() {
        let end = memchr::memchr(b'\n', &content[start..]).map_or(content.len(), |e| start + e);
        line += 1;
        let text = &content[start..end];
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        if let Some(what) = marker_kind(text, &mut opened) {
            found.push(Finding {
                file: rel.to_owned(),
                line: Some(line),
                column: Some(1),
                rule: "conflict-marker".to_owned(),
                message: format!("merge conflict marker: {what}"),
                fingerprint: None,
            });
        }
        start = end + 1;
    }
}

/// Which marker the line `text` is, if any; `opened` says whether a
/// conflict has started, and is set by a start marker.
fn marker_kind(text: &[u8], opened: &mut bool) -> Option<&'static str> {
    let first = *text.first()?;
    if !matches!(first, b'<' | b'>' | b'=' | b'|') {
        return None;
    }
    let marker = |m: &[u8]| text.starts_with(m) && (text.len() == 7 || text[7] == b' ');
    if marker(b"<<<<<<<") {
        *opened = true;
        Some("start of a conflict (<<<<<<<)")
    } else if marker(b">>>>>>>") {
        Some("end of a conflict (>>>>>>>)")
    } else if *opened && text == b"=======" {
        Some("conflict separator (=======)")
    } else if *opened && marker(b"|||||||") {
        Some("conflict base (|||||||)")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflict_separators_count_only_inside_a_conflict() {
        let mut found = Vec::new();
        scan("a.md", b"Title\n=======\n", &mut found);
        assert!(found.is_empty());
        scan(
            "a.rs",
            b"x\n<<<<<<< HEAD\na\n=======\nb\n>>>>>>> branch\n",
            &mut found,
        );
        let lines: Vec<_> = found.iter().map(|f| f.line.unwrap()).collect();
        assert_eq!(lines, vec![2, 4, 6]);
    }
}
