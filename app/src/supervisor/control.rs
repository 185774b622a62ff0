//! A handle through which the UI (Ctrl-C handler, GUI buttons) controls the supervised job:
//! pause, resume, stop, kill. It survives restarts: a worker started while the job is paused
//! is paused straight away.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

#[derive(Default)]
struct State {
    worker: Option<Pid>,
    /// Paused by the user.
    paused: bool,
    /// Why the supervisor holds the job, whatever the user asked; held while not empty.
    held: Vec<HoldCause>,
    /// The user resumed a job held for memory: the runner is to stop holding it.
    memory_overridden: bool,
    stop: bool,
    /// The stop is the app closing, not the user's Stop: the recovery dialog says which.
    closing: bool,
    /// When the graceful stop was asked for: past the grace period it becomes a kill.
    stop_asked_at: Option<Instant>,
    /// What the user asked to skip; taken by the runner once the worker has stopped.
    skip: Option<Skip>,
}

/// Why the supervisor holds a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldCause {
    /// The disk holding the job's records is too full to commit. Resuming cannot help.
    DiskFull,
    /// The machine or the job's cgroup is short of memory. The user may resume anyway.
    ShortOfMemory,
}

/// What the user asks to leave out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// The file (by index) that is being transcribed.
    File(usize),
    /// The summary of the file (by index) that is being made; its transcript is kept.
    Summary(usize),
}

impl Skip {
    pub fn file_index(self) -> usize {
        match self {
            Skip::File(i) | Skip::Summary(i) => i,
        }
    }
}

#[derive(Clone, Default)]
pub struct JobControl {
    inner: Arc<(Mutex<State>, Condvar)>,
}

impl JobControl {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn signal(state: &State, signal: Signal) {
        if let Some(pid) = state.worker {
            let _ = killpg(pid, signal);
        }
    }

    pub fn pause(&self) {
        let mut s = self.lock();
        s.paused = true;
        Self::signal(&s, Signal::SIGUSR1);
    }

    /// Resumes what the user paused, and a hold for memory (the user's call: the memory
    /// watch then stands back); a job held for a full disk stays paused until released.
    pub fn resume(&self) {
        let mut s = self.lock();
        s.paused = false;
        if s.held.contains(&HoldCause::ShortOfMemory) {
            s.held.retain(|&c| c != HoldCause::ShortOfMemory);
            s.memory_overridden = true;
        }
        if s.held.is_empty() {
            Self::signal(&s, Signal::SIGUSR2);
        }
    }

    /// Pauses the job for the supervisor's own reason, apart from the user's pause.
    pub(crate) fn hold(&self, cause: HoldCause) {
        let mut s = self.lock();
        if !s.held.contains(&cause) {
            s.held.push(cause);
        }
        Self::signal(&s, Signal::SIGUSR1);
    }

    /// Ends a hold; the job goes on unless the user paused it or another hold remains.
    pub(crate) fn release(&self, cause: HoldCause) {
        let mut s = self.lock();
        s.held.retain(|&c| c != cause);
        if !s.paused && s.held.is_empty() {
            Self::signal(&s, Signal::SIGUSR2);
        }
    }

    /// Whether the supervisor holds the job for `cause`.
    pub(crate) fn holds(&self, cause: HoldCause) -> bool {
        self.lock().held.contains(&cause)
    }

    /// Whether the user resumed a job held for memory since the last call.
    pub(crate) fn take_memory_override(&self) -> bool {
        std::mem::take(&mut self.lock().memory_overridden)
    }

    /// Graceful stop: the worker commits and exits; no restart follows. A worker that has not
    /// exited after the supervisor's grace period is killed.
    pub fn stop(&self) {
        let mut s = self.lock();
        s.stop = true;
        s.stop_asked_at.get_or_insert_with(Instant::now);
        Self::signal(&s, Signal::SIGTERM);
        self.inner.1.notify_all();
    }

    /// [`JobControl::stop`], because the app is closing.
    pub fn stop_for_closing(&self) {
        let mut s = self.lock();
        s.stop = true;
        s.closing = true;
        s.stop_asked_at.get_or_insert_with(Instant::now);
        Self::signal(&s, Signal::SIGTERM);
        self.inner.1.notify_all();
    }

    /// Skips a file or its summary: the worker stops gracefully, it is marked skipped, and
    /// the job goes on in a new worker.
    pub fn skip(&self, what: Skip) {
        let mut s = self.lock();
        if s.stop {
            return;
        }
        s.skip = Some(what);
        Self::signal(&s, Signal::SIGTERM);
    }

    /// Immediate stop (second Ctrl-C): at most the window in flight is lost.
    pub fn kill(&self) {
        let mut s = self.lock();
        s.stop = true;
        Self::signal(&s, Signal::SIGKILL);
        self.inner.1.notify_all();
    }

    /// Paused by the user or held by the supervisor.
    pub fn is_paused(&self) -> bool {
        let s = self.lock();
        s.paused || !s.held.is_empty()
    }

    pub fn stop_requested(&self) -> bool {
        self.lock().stop
    }

    /// Whether the stop asked for is the app closing.
    pub(crate) fn stop_is_closing(&self) -> bool {
        self.lock().closing
    }

    /// When a graceful stop was asked for, if one was.
    pub(crate) fn stop_asked_at(&self) -> Option<Instant> {
        self.lock().stop_asked_at
    }

    /// Registers the running worker (its process group); applies a pending pause.
    pub(crate) fn attach(&self, pid: Pid) {
        let mut s = self.lock();
        s.worker = Some(pid);
        if s.paused || !s.held.is_empty() {
            Self::signal(&s, Signal::SIGUSR1);
        }
        if s.stop {
            Self::signal(&s, Signal::SIGTERM);
        }
    }

    pub(crate) fn take_skip(&self) -> Option<Skip> {
        self.lock().skip.take()
    }

    pub(crate) fn detach(&self) {
        self.lock().worker = None;
    }

    pub(crate) fn signal_worker(&self, signal: Signal) {
        Self::signal(&self.lock(), signal);
    }

    /// Waits for `delay` unless a stop is requested first; true if stopped.
    pub(crate) fn wait_or_stop(&self, delay: Duration) -> bool {
        let guard = self.lock();
        let (guard, _) = self
            .inner
            .1
            .wait_timeout_while(guard, delay, |s| !s.stop)
            .unwrap_or_else(|p| p.into_inner());
        guard.stop
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_have_causes_and_only_a_memory_hold_yields_to_the_user() {
        let control = JobControl::default();
        control.hold(HoldCause::DiskFull);
        control.hold(HoldCause::ShortOfMemory);
        control.resume();
        assert!(control.is_paused(), "a full disk still holds the job");
        assert!(control.take_memory_override(), "the memory watch is told");
        assert!(!control.take_memory_override(), "once");
        control.release(HoldCause::DiskFull);
        assert!(!control.is_paused());

        control.pause();
        control.hold(HoldCause::ShortOfMemory);
        control.release(HoldCause::ShortOfMemory);
        assert!(control.is_paused(), "the user's pause outlives the hold");
        control.resume();
        assert!(!control.is_paused());
        assert!(!control.take_memory_override(), "nothing was held for memory");
    }
}
