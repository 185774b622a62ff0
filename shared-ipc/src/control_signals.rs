//! The signals that control a worker (SIGUSR1 pause, SIGUSR2 resume, SIGTERM stop) are
//! held back from a new worker until it can handle them. Until its handlers are installed
//! their default action applies — SIGUSR1's is to terminate — and a supervisor applies a
//! pending pause the moment the worker is spawned. So the supervisor starts the worker with
//! them blocked (the mask survives exec), and the worker unblocks them once its handlers
//! are in: anything sent meanwhile is delivered then, not lost.

use nix::sys::signal::{SigSet, SigmaskHow, Signal, pthread_sigmask, sigprocmask};

fn control_signals() -> SigSet {
    let mut set = SigSet::empty();
    for signal in [Signal::SIGUSR1, Signal::SIGUSR2, Signal::SIGTERM] {
        set.add(signal);
    }
    set
}

/// In the supervisor, in the child between fork and exec: blocks the control signals
/// (sigprocmask is async-signal safe).
pub fn block_until_ready() -> std::io::Result<()> {
    sigprocmask(SigmaskHow::SIG_BLOCK, Some(&control_signals()), None).map_err(std::io::Error::from)
}

/// In the worker, once its handlers are installed: lets the control signals in, pending
/// ones first. Threads started afterwards inherit the open mask.
pub fn ready() -> std::io::Result<()> {
    pthread_sigmask(SigmaskHow::SIG_UNBLOCK, Some(&control_signals()), None).map_err(std::io::Error::from)
}
