//! Secrets kept out of captured output: which values are secret, and masking
//! them. Reads the process environment once per call; never prints.

/// Masks every occurrence of each secret value in `text`.
pub(crate) fn redact(text: &mut String, secrets: &[String]) {
    for secret in secrets {
        if text.contains(secret.as_str()) {
            *text = text.replace(secret.as_str(), "********");
        }
    }
}

/// The values of environment variables that must never appear in output:
/// names containing TOKEN, SECRET, PASSWORD or KEY, and those listed in
/// `settings.redact` (DESIGN §11). Values shorter than 4 characters are too
/// common to mask.
pub(crate) fn secrets_from_env(extra_names: &[String]) -> Vec<String> {
    let mut values: Vec<String> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .filter(|(k, _)| {
            let upper = k.to_ascii_uppercase();
            ["TOKEN", "SECRET", "PASSWORD", "KEY"]
                .iter()
                .any(|w| upper.contains(w))
                || extra_names.iter().any(|n| n == k)
        })
        .map(|(_, v)| v)
        .filter(|v| v.len() >= 4)
        .collect();
    // Longest first, so that a secret containing another is masked whole.
    values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    values.dedup();
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_masks_every_occurrence() {
        let mut text = "token=abcd1234 and again abcd1234".to_owned();
        redact(&mut text, &["abcd1234".to_owned()]);
        assert_eq!(text, "token=******** and again ********");
    }
}
