//! Facts about the machine pqg runs on, read from the C library.

/// This machine's host name; `None` when it cannot be read or is not UTF-8.
pub(crate) fn host_name() -> Option<String> {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for writes of its full length, and
    // gethostname writes at most that many bytes into it.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return None;
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    std::str::from_utf8(&buf[..end]).ok().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_host_has_a_name() {
        assert!(super::host_name().is_some_and(|n| !n.is_empty()));
    }
}
