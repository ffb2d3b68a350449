//! SIGINT, SIGTERM, SIGHUP and SIGQUIT, from the moment a stage starts: one listener for
//! the whole process ([`listen`]), started before the key commands run and
//! the tree is hashed, and never given back, so a signal never kills pqg
//! by its default action halfway through a stage.
//!
//! Each signal is recorded (`sys::stop`, which also tells the hashing of
//! the tree to stop early). The key commands' process groups get it (and
//! SIGKILL on a second signal or after the grace; no key command starts
//! after it). While a run is attached ([`attach`]), it also goes to the
//! run's coordinating thread, which decides what it does to the gates.
//! After a stage a signal is only recorded: pqg finishes its report (and
//! whatever it must put back) and the next stage, if any, does not start.
//! This module only listens and passes signals on.

use super::groups::Groups;
use super::Msg;
use crate::sys::stop;
use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
use signal_hook::iterator::Signals;
use std::sync::mpsc::{Receiver, Sender};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, OnceLock};

/// The coordinating thread of the run now going on, if one is.
static ROUTE: Mutex<Option<Sender<Msg>>> = Mutex::new(None);

/// The process groups of running key commands.
static KEY_COMMANDS: LazyLock<Arc<Groups>> = LazyLock::new(|| Arc::new(Groups::default()));

fn route() -> MutexGuard<'static, Option<Sender<Msg>>> {
    ROUTE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The groups key commands run in: stopped by a signal that comes before
/// the gates run.
pub(super) fn key_command_groups() -> &'static Groups {
    &KEY_COMMANDS
}

/// Starts listening for SIGINT, SIGTERM, SIGHUP (the terminal closed, the
/// ssh connection dropped) and SIGQUIT, once per process; later calls
/// only say whether that worked.
pub(crate) fn listen() -> anyhow::Result<()> {
    static STARTED: OnceLock<Result<(), String>> = OnceLock::new();
    let started = STARTED.get_or_init(|| {
        let mut signals = Signals::new([SIGINT, SIGTERM, SIGHUP, SIGQUIT])
            .map_err(|e| format!("listening for SIGINT, SIGTERM, SIGHUP and SIGQUIT: {e}"))?;
        std::thread::Builder::new()
            .name("pqg-signals".into())
            .spawn(move || {
                for sig in signals.forever() {
                    on_signal(sig);
                }
            })
            .map_err(|e| format!("starting the signal listener: {e}"))?;
        Ok(())
    });
    started.clone().map_err(anyhow::Error::msg)
}

/// One signal: recorded, passed to the key commands (none starts after
/// it), and to the run if one is going on.
fn on_signal(sig: i32) {
    let repeated = stop::requested().is_some();
    stop::request(sig);
    if repeated {
        KEY_COMMANDS.kill_all();
    } else {
        KEY_COMMANDS.stop_all(sig);
    }
    if let Some(tx) = route().as_ref() {
        let _ = tx.send(Msg::Signal(sig));
    }
}

/// The first signal pqg received, if any: the stage is interrupted.
pub(crate) fn received() -> Option<i32> {
    stop::requested()
}

/// A run receiving the signals; detached when dropped.
pub(super) struct Attached(());

/// Sends the signals that come from now on to `tx`, until the returned
/// value is dropped.
pub(super) fn attach(tx: Sender<Msg>) -> Attached {
    *route() = Some(tx);
    Attached(())
}

impl Drop for Attached {
    fn drop(&mut self) {
        *route() = None;
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
