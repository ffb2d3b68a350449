//! Any text: the config loader returns a config or a user error with a
//! position inside the text, never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match pqg::api::Config::parse(std::path::Path::new("gates.toml"), text) {
        Ok(config) => {
            // Every stage lists without panicking.
            for (stage, _) in config.ladder.iter() {
                let _ = pqg::api::build_plan(&config, stage, &pqg::api::Filters::default(), false);
            }
        }
        Err(e) => {
            let mut rendered = String::new();
            let _ = e.render(&mut rendered, "error");
            assert!(!rendered.is_empty());
        }
    }
});
