//! Any bytes: the Cobertura parser returns numbers or an error, never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = pqg::parsers::cobertura::parse(data) {
        assert!(c.hit <= c.found);
    }
});
