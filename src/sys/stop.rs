//! Whether pqg was asked to stop (SIGINT, SIGTERM): one flag for the whole
//! process, set by the signal listener (`run::signals`) and read by long
//! loops below the runner (hashing the tree) so they end early. What a
//! stop means for the run is decided above.

use std::sync::atomic::{AtomicI32, Ordering};

/// The first stopping signal received, 0 while none was.
static FIRST: AtomicI32 = AtomicI32::new(0);

/// Records that `signal` asked pqg to stop; only the first one is kept.
pub(crate) fn request(signal: i32) {
    let _ = FIRST.compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst);
}

/// The signal that asked pqg to stop, if one did.
pub(crate) fn requested() -> Option<i32> {
    match FIRST.load(Ordering::SeqCst) {
        0 => None,
        sig => Some(sig),
    }
}
