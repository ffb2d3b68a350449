//! Logging on stderr: what pqg decides (`-v`: the plan, cache hits and
//! misses with their reasons) and how long each step took (`-vv`). Also
//! `PQG_LOG=info|debug` (read by `settings`), and `--log-format
//! json` for machines (one object per line). Off by default, and until
//! `init`; checking costs one atomic load. Reads no environment.

use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::OnceLock;
use std::time::Instant;

/// A log level; higher is chattier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Off = 0,
    Info = 1,
    Debug = 2,
}

static LEVEL: AtomicU8 = AtomicU8::new(Level::Off as u8);
static JSON: AtomicBool = AtomicBool::new(false);
static START: OnceLock<Instant> = OnceLock::new();

/// Starts logging at `level`, as text or as JSON lines.
pub fn init(level: Level, json: bool) {
    START.get_or_init(Instant::now);
    JSON.store(json, Ordering::Relaxed);
    LEVEL.store(level as u8, Ordering::Relaxed);
}

/// Whether messages at `level` are printed.
pub fn enabled_at(level: Level) -> bool {
    LEVEL.load(Ordering::Relaxed) >= level as u8
}

/// Whether debug logging is on.
pub fn enabled() -> bool {
    enabled_at(Level::Debug)
}

/// Milliseconds since logging started (about process start).
pub fn elapsed_ms() -> f64 {
    START.get_or_init(Instant::now).elapsed().as_secs_f64() * 1000.0
}

/// Prints one log line.
pub fn write(level: Level, message: &str) {
    let time = elapsed_ms();
    if JSON.load(Ordering::Relaxed) {
        let line = serde_json::json!({
            "time_ms": (time * 10.0).round() / 10.0,
            "level": match level { Level::Info => "info", _ => "debug" },
            "message": message,
        });
        eprintln!("{line}");
    } else {
        eprintln!("[pqg {time:7.1}ms] {message}");
    }
}

/// `debug!("cache: {} hits", n)`: how pqg spends its time (`-vv`).
#[macro_export]
macro_rules! debug {
    ($($arg:tt)*) => {
        if $crate::log::enabled_at($crate::log::Level::Debug) {
            $crate::log::write($crate::log::Level::Debug, &format!($($arg)*));
        }
    };
}

/// `info!("plan: {} runs", gate)`: what pqg decides (`-v`).
#[macro_export]
macro_rules! info {
    ($($arg:tt)*) => {
        if $crate::log::enabled_at($crate::log::Level::Info) {
            $crate::log::write($crate::log::Level::Info, &format!($($arg)*));
        }
    };
}
