//! Debug logging on stderr, for `PQG_LOG=debug`: what pqg decides and how
//! long each step took. Off by default; checking costs one atomic load.

use std::sync::OnceLock;
use std::time::Instant;

static ENABLED: OnceLock<bool> = OnceLock::new();
static START: OnceLock<Instant> = OnceLock::new();

/// Whether debug logging is on (`PQG_LOG=debug` or `trace`).
pub fn enabled() -> bool {
    *ENABLED.get_or_init(|| {
        START.get_or_init(Instant::now);
        matches!(
            std::env::var("PQG_LOG").as_deref(),
            Ok("debug") | Ok("trace")
        )
    })
}

/// Milliseconds since logging was first asked about (about process start).
pub fn elapsed_ms() -> f64 {
    START.get_or_init(Instant::now).elapsed().as_secs_f64() * 1000.0
}

/// `debug!("cache: {} hits", n)` prints `[pqg 12.3ms] cache: 4 hits` when
/// logging is on.
#[macro_export]
macro_rules! debug {
    ($($arg:tt)*) => {
        if $crate::log::enabled() {
            eprintln!("[pqg {:7.1}ms] {}", $crate::log::elapsed_ms(), format!($($arg)*));
        }
    };
}
