//! Progress arithmetic shared by the terminal view and the window: clock text, speed in
//! audio seconds per wall second, the time left at that speed, and the working time that
//! speed is measured over (pauses left out).

use std::time::{Duration, Instant};

/// `h:mm:ss`.
pub fn clock(seconds: f64) -> String {
    let s = seconds.max(0.0) as u64;
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// Speed (× real time) of the work done in this run, and the time left at that speed.
/// `start_s` is the batch position when the run began, so resumed work is not counted.
pub fn speed_and_eta(elapsed_s: f64, start_s: f64, done_s: f64, total_s: Option<f64>) -> (f64, Option<f64>) {
    let speed = if elapsed_s > 0.0 {
        (done_s - start_s).max(0.0) / elapsed_s
    } else {
        0.0
    };
    let eta = total_s.filter(|_| speed > 0.0).map(|t| (t - done_s).max(0.0) / speed);
    (speed, eta)
}

/// Wall time a job has spent working in this run: paused stretches do not count, so a
/// pause neither halves the speed nor doubles the time left.
#[derive(Debug, Clone, Copy)]
pub struct ActiveClock {
    started: Instant,
    paused_since: Option<Instant>,
    paused_for: Duration,
}

impl ActiveClock {
    pub fn start(now: Instant) -> Self {
        Self {
            started: now,
            paused_since: None,
            paused_for: Duration::ZERO,
        }
    }

    pub fn pause(&mut self, now: Instant) {
        self.paused_since.get_or_insert(now);
    }

    pub fn resume(&mut self, now: Instant) {
        if let Some(since) = self.paused_since.take() {
            self.paused_for += now.saturating_duration_since(since);
        }
    }

    pub fn is_paused(&self) -> bool {
        self.paused_since.is_some()
    }

    /// Time spent working up to `now`.
    pub fn active(&self, now: Instant) -> Duration {
        let end = self.paused_since.unwrap_or(now);
        end.saturating_duration_since(self.started)
            .saturating_sub(self.paused_for)
    }
}

/// "1 file", "3 files": a count with its noun (English plural in -s).
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// How long ago a moment (ms since the epoch) was, in words: "5 min ago".
pub fn ago(unix_ms: u64) -> String {
    let age_s = shared_ipc::now_unix_ms().saturating_sub(unix_ms) / 1000;
    match age_s {
        0..60 => format!("{age_s} s ago"),
        60..3600 => format!("{} min ago", age_s / 60),
        3600..86_400 => format!("{} h ago", age_s / 3600),
        _ => format!("{} days ago", age_s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_and_eta() {
        assert_eq!(clock(3725.9), "1:02:05");
        let (speed, eta) = speed_and_eta(10.0, 100.0, 200.0, Some(400.0));
        assert_eq!(speed, 10.0);
        assert_eq!(eta, Some(20.0));
        assert_eq!(speed_and_eta(0.0, 0.0, 0.0, Some(1.0)), (0.0, None));
    }

    #[test]
    fn counts_take_the_plural_only_when_more_or_none() {
        assert_eq!(count(1, "file"), "1 file");
        assert_eq!(count(0, "file"), "0 files");
        assert_eq!(count(3, "note"), "3 notes");
    }

    #[test]
    fn paused_time_is_not_working_time() {
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        let mut clock = ActiveClock::start(t0);
        clock.pause(at(10));
        assert_eq!(
            clock.active(at(10)),
            clock.active(at(70)),
            "the clock stands still while paused"
        );
        clock.pause(at(40)); // a second pause event changes nothing
        clock.resume(at(70));
        assert!(!clock.is_paused());
        assert_eq!(clock.active(at(75)), Duration::from_secs(15));
        clock.resume(at(80)); // nor does a resume without a pause
        assert_eq!(clock.active(at(80)), Duration::from_secs(20));
    }
}
