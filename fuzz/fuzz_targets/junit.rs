//! Any bytes: the JUnit parser returns counts or an error, never panics,
//! and its counts add up.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = pqg::parsers::junit::parse(data) {
        assert!(c.failures + c.errors + c.skipped <= c.tests);
        if let Ok(p) = c.pass_percent() {
            assert!((0.0..=100.0).contains(&p));
        }
    }
});
