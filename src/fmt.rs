//! Numbers, units and durations as people read them: `85`, `78.2 %`,
//! `≥ 85 %`, `2m 05s`. Every message and report format writes numbers
//! through these, so one value reads the same everywhere.
//!
//! Text from a gate (its output, a captured value) is made safe to show
//! here too: [`plain_text`] keeps the words and drops what a terminal
//! would act on, for every format that is not a terminal.
//!
//! `fmt` is a leaf: it imports nothing from the crate and never prints.

use std::borrow::Cow;
use std::iter::Peekable;
use std::str::Chars;
use std::time::Duration;

/// `text` without terminal escape sequences and control characters, for
/// reports that are not a terminal (Markdown, JUnit, GitHub, SARIF, the
/// table without colour). A whole sequence goes, not only its ESC: CSI
/// (`ESC [ … final`, colours and cursor moves), OSC and the other string
/// sequences (`ESC ] … BEL` or `ESC \\`: titles, hyperlinks, clipboard
/// writes), charset switches (`ESC ( B`), and their C1 forms. Every other
/// control character goes too, except newline and tab: a carriage return
/// or a backspace would let one line pose as another.
pub(crate) fn plain_text(text: &str) -> Cow<'_, str> {
    if !text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' | '\t' => out.push(c),
            '\x1b' => skip_escape(&mut chars),
            // C1 CSI, then the string introducers DCS, SOS, OSC, PM, APC.
            '\u{9b}' => skip_csi(&mut chars),
            '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Skips what follows an ESC (ECMA-48 and the charset designations).
fn skip_escape(chars: &mut Peekable<Chars<'_>>) {
    let Some(&next) = chars.peek() else { return };
    match next {
        '[' => {
            chars.next();
            skip_csi(chars);
        }
        ']' | 'P' | 'X' | '^' | '_' => {
            chars.next();
            skip_string(chars);
        }
        // Intermediate bytes (charset `( B`, `# 8`, …), then one final.
        ' '..='/' => {
            while chars.next_if(|c| (' '..='/').contains(c)).is_some() {}
            chars.next_if(|c| ('0'..='~').contains(c));
        }
        // A two-character sequence (`ESC 7`, `ESC M`, `ESC =`, …).
        '0'..='~' => {
            chars.next();
        }
        _ => {}
    }
}

/// Skips a control sequence's parameters, intermediates and final byte.
fn skip_csi(chars: &mut Peekable<Chars<'_>>) {
    while chars.next_if(|c| ('0'..='?').contains(c)).is_some() {}
    while chars.next_if(|c| (' '..='/').contains(c)).is_some() {}
    chars.next_if(|c| ('@'..='~').contains(c));
}

/// Skips a control string up to its terminator (BEL, `ESC \\` or C1 ST).
/// Any other control character ends it too and is handled as itself: an
/// unterminated sequence never swallows the lines after it.
fn skip_string(chars: &mut Peekable<Chars<'_>>) {
    while let Some(&c) = chars.peek() {
        match c {
            '\x07' | '\u{9c}' => {
                chars.next();
                return;
            }
            '\x1b' => {
                chars.next();
                chars.next_if_eq(&'\\');
                return;
            }
            c if c.is_control() => return,
            _ => {
                chars.next();
            }
        }
    }
}

/// `0.4 s`, `12.3 s`, `2m 05s`.
pub(crate) fn human_duration(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 60.0 {
        format!("{secs:.1} s")
    } else {
        let total = d.as_secs();
        if total < 3600 {
            format!("{}m {:02}s", total / 60, total % 60)
        } else {
            format!("{}h {:02}m", total / 3600, (total % 3600) / 60)
        }
    }
}

/// A configured limit as written, without rounding it into something
/// else: `500 ms`, `1 s`, `1.5 s`, `1m 30s`.
pub(crate) fn limit_duration(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else if d < Duration::from_secs(60) {
        let secs = d.as_secs_f64();
        if d.subsec_millis() == 0 {
            format!("{secs:.0} s")
        } else {
            format!("{} s", number(secs))
        }
    } else {
        human_duration(d)
    }
}

/// A metric value as people read it: `85`, `78.2`, `0.05`.
pub(crate) fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.2}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s == "0" || s == "-0" {
            format!("{v:.2e}")
        } else {
            s.to_owned()
        }
    }
}

/// A threshold as people read it: `≥ 85 %`, `≤ 0`, `60–90 %`; `None`
/// when there is no bound.
pub(crate) fn bounds(min: Option<f64>, max: Option<f64>, unit: Option<&str>) -> Option<String> {
    match (min, max) {
        (Some(lo), Some(hi)) => Some(format!("{}–{}", number(lo), with_unit(hi, unit))),
        (Some(lo), None) => Some(format!("≥ {}", with_unit(lo, unit))),
        (None, Some(hi)) => Some(format!("≤ {}", with_unit(hi, unit))),
        (None, None) => None,
    }
}

/// `78.2 %` or `3` or `1.2 s`.
pub(crate) fn with_unit(v: f64, unit: Option<&str>) -> String {
    match unit {
        Some(u) if !u.is_empty() => format!("{} {u}", number(v)),
        _ => number(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_naturally() {
        assert_eq!(number(85.0), "85");
        assert_eq!(number(78.25), "78.25");
        assert_eq!(number(78.2), "78.2");
        assert_eq!(number(0.0001), "1.00e-4");
        assert_eq!(with_unit(78.2, Some("%")), "78.2 %");
    }

    #[test]
    fn plain_text_drops_whole_escape_sequences_and_controls() {
        assert_eq!(
            plain_text("\x1b[31m-    let x\x1b(B\x1b[m plain \x1b]0;title\x07end"),
            "-    let x plain end"
        );
        assert_eq!(plain_text("\x1b[1;38;5;196mred\x1b[0m"), "red");
        assert_eq!(
            plain_text("\x1b]8;;https://x.test\x1b\\link\x1b]8;;\x1b\\"),
            "link"
        );
        assert_eq!(plain_text("a\u{9b}2Kb\x1b7c\x1b#8d"), "abcd");
        assert_eq!(plain_text("ok\r\x08\x00fake\tx\n"), "okfake\tx\n");
        // An unterminated OSC ends at the line's end; the next line stays.
        assert_eq!(plain_text("a\x1b]0;title\nnext"), "a\nnext");
        assert!(matches!(plain_text("no escapes"), Cow::Borrowed(_)));
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_duration(Duration::from_millis(12_340)), "12.3 s");
        assert_eq!(human_duration(Duration::from_secs(125)), "2m 05s");
        assert_eq!(human_duration(Duration::from_secs(3 * 3600 + 60)), "3h 01m");
    }

    #[test]
    fn limits_read_as_written() {
        assert_eq!(limit_duration(Duration::from_millis(500)), "500 ms");
        assert_eq!(limit_duration(Duration::from_secs(1)), "1 s");
        assert_eq!(limit_duration(Duration::from_millis(1500)), "1.5 s");
        assert_eq!(limit_duration(Duration::from_secs(90)), "1m 30s");
    }
}
