//! Liveness that follows progress, with two limits. *Silence*: no line at all from the worker
//! (a frozen process). *Stall*: lines keep coming — the heartbeat thread is fine — but the
//! progress counter that only the working thread advances stands still (a decoder in an
//! endless loop, a deadlock, whisper spinning). The stall limit adapts to the work: a
//! multiple of the longest stretch the counter has stood still before moving again, never
//! below a floor; while a model loads (one long call that cannot report progress) the limit
//! is the model-load bound instead. Both clocks stand still while the job is paused.

use std::time::{Duration, Instant};

use shared_ipc::{ModelState, WorkerEvent};

/// How long the slowest honest step may be, times this, before the work counts as stuck.
pub const STALL_MULTIPLE: u32 = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatchdogLimits {
    /// No line at all for this long.
    pub silence: Duration,
    /// The least the stall limit ever is.
    pub stall_floor: Duration,
    /// The stall limit while a model loads.
    pub model_load: Duration,
}

/// Why the watchdog wants the worker stopped.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum WatchdogKill {
    /// Nothing came from the worker for `for_` (while running).
    Silent { for_: Duration },
    /// Lines came, but the work made no progress for `for_`, past `limit`.
    Stalled { for_: Duration, limit: Duration },
}

/// A stopwatch that stands still while paused.
#[derive(Debug, Clone, Copy)]
struct PausableClock {
    /// Time counted before the current running stretch.
    banked: Duration,
    /// Start of the current running stretch; `None` while paused.
    since: Option<Instant>,
}

impl PausableClock {
    fn new(now: Instant) -> Self {
        Self {
            banked: Duration::ZERO,
            since: Some(now),
        }
    }

    fn reset(&mut self, now: Instant) {
        self.banked = Duration::ZERO;
        if self.since.is_some() {
            self.since = Some(now);
        }
    }

    fn pause(&mut self, now: Instant) {
        if let Some(since) = self.since.take() {
            self.banked += now.saturating_duration_since(since);
        }
    }

    fn resume(&mut self, now: Instant) {
        if self.since.is_none() {
            self.since = Some(now);
        }
    }

    fn elapsed(&self, now: Instant) -> Duration {
        self.banked + self.since.map(|s| now.saturating_duration_since(s)).unwrap_or_default()
    }
}

#[derive(Debug)]
pub struct Watchdog {
    limits: WatchdogLimits,
    /// Since the last line.
    silence: PausableClock,
    /// Since the progress counter last moved.
    stall: PausableClock,
    /// The counter as last reported; `None` until a heartbeat carries one (an older worker
    /// never does, and is then watched for silence only).
    progress: Option<u64>,
    /// The longest the counter stood still before moving again, so far.
    slowest_step: Duration,
    loading_model: bool,
}

impl Watchdog {
    /// A watchdog for a new worker. `slowest_step` carries over what earlier workers of the
    /// same job showed about this machine and model.
    pub fn new(limits: WatchdogLimits, slowest_step: Duration, now: Instant) -> Self {
        Self {
            limits,
            silence: PausableClock::new(now),
            stall: PausableClock::new(now),
            progress: None,
            slowest_step,
            loading_model: false,
        }
    }

    /// Takes in one event from the worker.
    pub fn observe(&mut self, event: &WorkerEvent, now: Instant) {
        self.silence.reset(now);
        match event {
            WorkerEvent::Heartbeat {
                progress: Some(value), ..
            } => self.progress_reported(*value, now),
            WorkerEvent::Model { state, .. } => {
                // A load is one call that cannot report progress: it has its own bound, and
                // its length says nothing about how long a step of the work takes.
                self.loading_model = *state == ModelState::Loading;
                self.stall.reset(now);
            }
            WorkerEvent::Paused => self.pause(now),
            WorkerEvent::Resumed => self.resume(now),
            _ => {}
        }
    }

    /// A line that is not an event (malformed, unknown): the worker is not silent.
    pub fn line(&mut self, now: Instant) {
        self.silence.reset(now);
    }

    fn progress_reported(&mut self, value: u64, now: Instant) {
        if self.progress != Some(value) {
            if self.progress.is_some() {
                self.slowest_step = self.slowest_step.max(self.stall.elapsed(now));
            }
            self.progress = Some(value);
            self.stall.reset(now);
        }
    }

    pub fn pause(&mut self, now: Instant) {
        self.silence.pause(now);
        self.stall.pause(now);
    }

    pub fn resume(&mut self, now: Instant) {
        self.silence.resume(now);
        self.stall.resume(now);
    }

    /// How long the work may now go without progress.
    pub fn stall_limit(&self) -> Duration {
        if self.loading_model {
            self.limits.model_load
        } else {
            self.limits.stall_floor.max(self.slowest_step * STALL_MULTIPLE)
        }
    }

    /// The longest step seen so far, for the next worker of the job.
    pub fn slowest_step(&self) -> Duration {
        self.slowest_step
    }

    /// Whether the worker should be stopped now.
    pub fn check(&self, now: Instant) -> Option<WatchdogKill> {
        let silent = self.silence.elapsed(now);
        if silent >= self.limits.silence {
            return Some(WatchdogKill::Silent { for_: silent });
        }
        let limit = self.stall_limit();
        let stalled = self.stall.elapsed(now);
        (self.progress.is_some() && stalled >= limit).then_some(WatchdogKill::Stalled { for_: stalled, limit })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared_ipc::ModelRole;

    const S: Duration = Duration::from_secs(1);

    fn limits() -> WatchdogLimits {
        WatchdogLimits {
            silence: 10 * S,
            stall_floor: 20 * S,
            model_load: 100 * S,
        }
    }

    fn heartbeat(progress: u64) -> WorkerEvent {
        WorkerEvent::Heartbeat {
            seq: 0,
            progress: Some(progress),
        }
    }

    #[test]
    fn silence_expires_but_paused_time_does_not_count() {
        let t0 = Instant::now();
        let mut w = Watchdog::new(limits(), Duration::ZERO, t0);
        assert_eq!(w.check(t0 + 9 * S), None);
        assert_eq!(w.check(t0 + 10 * S), Some(WatchdogKill::Silent { for_: 10 * S }));
        w.line(t0 + 9 * S);
        assert_eq!(w.check(t0 + 18 * S), None);
        // The 3 s of silence before the pause still count after it.
        w.pause(t0 + 12 * S);
        assert_eq!(w.check(t0 + 100 * S), None, "paused time must not count");
        w.resume(t0 + 100 * S);
        assert_eq!(w.check(t0 + 106 * S), None);
        assert_eq!(w.check(t0 + 107 * S), Some(WatchdogKill::Silent { for_: 10 * S }));
    }

    #[test]
    fn heartbeats_without_progress_are_a_stall_at_the_floor() {
        let t0 = Instant::now();
        let mut w = Watchdog::new(limits(), Duration::ZERO, t0);
        w.observe(&heartbeat(5), t0);
        for s in 1..=19 {
            w.observe(&heartbeat(5), t0 + s * S);
            assert_eq!(w.check(t0 + s * S), None, "at {s} s");
        }
        w.observe(&heartbeat(5), t0 + 20 * S);
        assert_eq!(
            w.check(t0 + 20 * S),
            Some(WatchdogKill::Stalled {
                for_: 20 * S,
                limit: 20 * S
            })
        );
    }

    #[test]
    fn the_stall_limit_grows_with_the_slowest_step_and_carries_over() {
        let t0 = Instant::now();
        let mut w = Watchdog::new(limits(), Duration::ZERO, t0);
        w.observe(&heartbeat(1), t0);
        // A slow step: 9 s without a tick, then progress.
        for s in 1..=9 {
            w.observe(&heartbeat(1), t0 + s * S);
        }
        w.observe(&heartbeat(2), t0 + 9 * S);
        assert_eq!(w.slowest_step(), 9 * S);
        assert_eq!(w.stall_limit(), 36 * S, "4 × the slowest step, above the floor");
        for s in 10..=44 {
            w.observe(&heartbeat(2), t0 + s * S);
        }
        assert_eq!(w.check(t0 + 44 * S), None, "35 s is within 36 s");
        w.observe(&heartbeat(2), t0 + 45 * S);
        assert!(matches!(w.check(t0 + 45 * S), Some(WatchdogKill::Stalled { .. })));
        // The next worker of the job starts with what this one learnt.
        let next = Watchdog::new(limits(), w.slowest_step(), t0 + 50 * S);
        assert_eq!(next.stall_limit(), 36 * S);
    }

    #[test]
    fn a_model_load_has_its_own_bound_and_pauses_stop_the_stall_clock() {
        let t0 = Instant::now();
        let mut w = Watchdog::new(limits(), Duration::ZERO, t0);
        w.observe(&heartbeat(3), t0);
        let loading = |state| WorkerEvent::Model {
            role: ModelRole::Whisper,
            state,
            name: "tiny.en.bin".into(),
        };
        w.observe(&loading(ModelState::Loading), t0 + S);
        for s in 2..=90 {
            w.observe(&heartbeat(3), t0 + s * S);
        }
        assert_eq!(w.check(t0 + 90 * S), None, "89 s of loading is within its bound");
        w.observe(&loading(ModelState::Ready), t0 + 91 * S);
        assert_eq!(w.stall_limit(), 20 * S);
        assert_eq!(w.slowest_step(), Duration::ZERO, "the load is not a step of the work");
        w.observe(&WorkerEvent::Paused, t0 + 100 * S);
        assert_eq!(w.check(t0 + 500 * S), None);
        w.observe(&WorkerEvent::Resumed, t0 + 500 * S);
        w.observe(&heartbeat(3), t0 + 505 * S);
        assert_eq!(w.check(t0 + 505 * S), None, "14 s of work since the load");
        w.observe(&heartbeat(3), t0 + 511 * S);
        assert!(matches!(w.check(t0 + 511 * S), Some(WatchdogKill::Stalled { .. })));
    }

    #[test]
    fn a_worker_without_a_progress_counter_is_watched_for_silence_only() {
        let t0 = Instant::now();
        let mut w = Watchdog::new(limits(), Duration::ZERO, t0);
        for s in 1..=300u32 {
            w.observe(
                &WorkerEvent::Heartbeat {
                    seq: s.into(),
                    progress: None,
                },
                t0 + s * S,
            );
        }
        assert_eq!(w.check(t0 + 300 * S), None);
    }
}
