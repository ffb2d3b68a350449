//! Any bytes: the SARIF counter returns a count or an error, never panics,
//! and a filtered count never exceeds the unfiltered one.
#![no_main]
use libfuzzer_sys::fuzz_target;
use pqg::parsers::sarif::{count, Filter, Level, Severity};

fuzz_target!(|data: &[u8]| {
    let all = count(data, &Filter::default());
    let errors = count(
        data,
        &Filter {
            levels: vec![Level::Error],
            severities: vec![],
        },
    );
    let critical = count(
        data,
        &Filter {
            levels: vec![],
            severities: vec![Severity::Critical],
        },
    );
    if let (Ok(all), Ok(errors)) = (&all, &errors) {
        assert!(errors <= all);
    }
    if let (Ok(all), Ok(critical)) = (&all, &critical) {
        assert!(critical <= all);
    }
});
