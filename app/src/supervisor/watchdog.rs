//! Progress-based liveness: any line from the worker resets the clock; the clock stands
//! still while the job is paused. There is no limit on how long work may take, only on how
//! long the worker may stay silent.

use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Watchdog {
    limit: Duration,
    /// Silence accumulated before the current stretch (paused stretches excluded).
    banked: Duration,
    /// Start of the current running stretch; `None` while paused.
    since: Option<Instant>,
}

impl Watchdog {
    pub fn new(limit: Duration, now: Instant) -> Self {
        Self {
            limit,
            banked: Duration::ZERO,
            since: Some(now),
        }
    }

    /// The worker said something.
    pub fn activity(&mut self, now: Instant) {
        self.banked = Duration::ZERO;
        if self.since.is_some() {
            self.since = Some(now);
        }
    }

    pub fn pause(&mut self, now: Instant) {
        if let Some(since) = self.since.take() {
            self.banked += now.saturating_duration_since(since);
        }
    }

    pub fn resume(&mut self, now: Instant) {
        if self.since.is_none() {
            self.since = Some(now);
        }
    }

    /// How long the worker has been silent while running.
    pub fn silence(&self, now: Instant) -> Duration {
        self.banked + self.since.map(|s| now.saturating_duration_since(s)).unwrap_or_default()
    }

    pub fn expired(&self, now: Instant) -> bool {
        self.silence(now) >= self.limit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn silence_expires_but_paused_time_does_not_count() {
        let t0 = Instant::now();
        let s = Duration::from_secs(1);
        let mut w = Watchdog::new(10 * s, t0);
        assert!(!w.expired(t0 + 9 * s));
        assert!(w.expired(t0 + 10 * s));
        w.activity(t0 + 9 * s);
        assert!(!w.expired(t0 + 18 * s));
        w.pause(t0 + 12 * s);
        assert!(!w.expired(t0 + 100 * s), "paused time must not count");
        w.resume(t0 + 100 * s);
        assert_eq!(w.silence(t0 + 101 * s), 4 * s);
        assert!(w.expired(t0 + 107 * s));
    }
}
