//! SIGINT and SIGTERM during a run: a thread that turns each into a message
//! for the coordinating thread. What a signal does to the run (stop the
//! gates, or kill them on the second) is the coordinator's; this module only
//! listens.

use super::Msg;
use anyhow::Context;
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::{Handle, Signals};
use std::sync::mpsc::{Receiver, Sender};

/// A running listener; [`SignalListener::close`] gives the signals back.
pub(super) struct SignalListener {
    handle: Handle,
}

/// Starts listening for SIGINT and SIGTERM, each sent on `tx`.
pub(super) fn listen(tx: Sender<Msg>) -> anyhow::Result<SignalListener> {
    let mut signals =
        Signals::new([SIGINT, SIGTERM]).context("listening for SIGINT and SIGTERM")?;
    let handle = signals.handle();
    std::thread::spawn(move || {
        for sig in signals.forever() {
            if tx.send(Msg::Signal(sig)).is_err() {
                break;
            }
        }
    });
    Ok(SignalListener { handle })
}

impl SignalListener {
    /// Stops listening.
    pub(super) fn close(self) {
        self.handle.close();
    }
}

/// The first signal still waiting in `rx`, once the run is over; every other
/// message left there is dropped.
pub(super) fn first_late_signal(rx: &Receiver<Msg>) -> Option<i32> {
    let mut first = None;
    while let Ok(msg) = rx.try_recv() {
        if let Msg::Signal(sig) = msg {
            first.get_or_insert(sig);
        }
    }
    first
}
