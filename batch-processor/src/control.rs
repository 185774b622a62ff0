//! Pause, resume and stop. Signals (SIGUSR1 pause, SIGUSR2 resume, SIGTERM/SIGINT stop,
//! SIGHUP parent died) are turned into one shared state that the main loop and whisper's
//! abort callback consult. All requests are idempotent.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use shared_ipc::protocol::StopCause;
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM, SIGUSR1, SIGUSR2};
use signal_hook::iterator::Signals;

#[derive(Default)]
struct State {
    pause_requested: bool,
    stop: Option<StopCause>,
}

#[derive(Clone)]
pub struct Control {
    state: Arc<(Mutex<State>, Condvar)>,
    /// True while a pause or stop is pending: read by whisper's abort callback.
    interrupt: Arc<AtomicBool>,
    initial_parent: nix::unistd::Pid,
}

/// The main loop should stop now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StopRequested(pub StopCause);

impl Control {
    /// Installs the signal handlers and the parent-death signal.
    pub fn install() -> std::io::Result<Self> {
        let control = Self {
            state: Arc::new((Mutex::new(State::default()), Condvar::new())),
            interrupt: Arc::new(AtomicBool::new(false)),
            initial_parent: nix::unistd::getppid(),
        };
        crate::parent_death::arm()?;
        let mut signals = Signals::new([SIGUSR1, SIGUSR2, SIGTERM, SIGINT, SIGHUP])?;
        let handle = control.clone();
        std::thread::Builder::new().name("signals".into()).spawn(move || {
            for signal in signals.forever() {
                match signal {
                    SIGUSR1 => handle.set_paused(true),
                    SIGUSR2 => handle.set_paused(false),
                    // The parent-death signal (see parent_death.rs).
                    SIGHUP => handle.request_stop(StopCause::ParentDied),
                    _ => handle.request_stop(StopCause::Requested),
                }
            }
        })?;
        // The supervisor started this process with the control signals held back until now.
        shared_ipc::control_signals::ready()?;
        Ok(control)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        match self.state.0.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    fn update_interrupt(&self, state: &State) {
        self.interrupt
            .store(state.pause_requested || state.stop.is_some(), Ordering::Relaxed);
        self.state.1.notify_all();
    }

    pub fn set_paused(&self, paused: bool) {
        let mut state = self.lock();
        state.pause_requested = paused;
        self.update_interrupt(&state);
    }

    pub fn request_stop(&self, cause: StopCause) {
        let mut state = self.lock();
        state.stop.get_or_insert(cause);
        self.update_interrupt(&state);
    }

    /// The flag whisper's abort callback polls.
    pub fn interrupt_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.interrupt)
    }

    /// True when the process that started us is gone.
    pub fn parent_died(&self) -> bool {
        nix::unistd::getppid() != self.initial_parent
    }

    /// Waits `how_long`, or less if a stop is asked for (then returns it).
    pub fn sleep(&self, how_long: std::time::Duration) -> Result<(), StopRequested> {
        let deadline = std::time::Instant::now() + how_long;
        let mut state = self.lock();
        loop {
            if let Some(cause) = state.stop {
                return Err(StopRequested(cause));
            }
            let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) else {
                return Ok(());
            };
            state = match self.state.1.wait_timeout(state, left) {
                Ok((g, _)) => g,
                Err(p) => p.into_inner().0,
            };
        }
    }

    /// Blocks while paused. `on_pause`/`on_resume` run once each around the wait.
    /// Returns the stop request if there is one.
    pub fn wait_while_paused(&self, on_pause: impl FnOnce(), on_resume: impl FnOnce()) -> Result<(), StopRequested> {
        let mut state = self.lock();
        if let Some(cause) = state.stop {
            return Err(StopRequested(cause));
        }
        if !state.pause_requested {
            return Ok(());
        }
        drop(state);
        on_pause();
        state = self.lock();
        while state.pause_requested && state.stop.is_none() {
            state = match self.state.1.wait(state) {
                Ok(g) => g,
                Err(p) => p.into_inner(),
            };
        }
        if let Some(cause) = state.stop {
            return Err(StopRequested(cause));
        }
        drop(state);
        on_resume();
        Ok(())
    }
}
