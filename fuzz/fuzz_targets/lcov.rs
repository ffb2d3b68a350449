//! Any bytes: the LCOV parser returns numbers or an error, never panics,
//! and never reports more lines hit than found.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = pqg::parsers::lcov::parse(data) {
        assert!(c.hit <= c.found);
        if let Ok(p) = c.percent() {
            assert!((0.0..=100.0).contains(&p));
        }
    }
});
