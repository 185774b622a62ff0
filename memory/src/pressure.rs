//! When a job should wait for memory, and when it may go on. A job is held when the memory
//! available to it falls below a share of its limit, when swap fills past a share, or when
//! the kernel says tasks stall on memory; it goes on once every sign has stayed clear, with
//! a margin, for a calm period — so it does not flap at the edge. The user may resume a held
//! job anyway; then this pressure is theirs, and only a new one (after a calm period) holds
//! the job again.

use std::time::{Duration, Instant};

use crate::gigabytes;
use crate::reading::MemoryReading;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// Hold when less than this share (0 to 1) of the job's limit is available.
    pub available_below: f64,
    /// Hold when more than this share (0 to 1) of swap is in use.
    pub swap_above: f64,
    /// Hold when, over ten seconds, all tasks stalled on memory more than this percent of
    /// the time (PSI `full avg10`).
    pub stall_above: f64,
    /// How long every sign must stay clear before a held job goes on.
    pub calm_for: Duration,
}

impl Default for Thresholds {
    /// The design's "RAM above 85% or swap above 50%". For stalls: at 10% of the time with
    /// every task waiting on memory a desktop is visibly sluggish, and a job that only pages
    /// its model in once never causes it.
    fn default() -> Self {
        Self {
            available_below: 0.15,
            swap_above: 0.5,
            stall_above: 10.0,
            calm_for: Duration::from_secs(15),
        }
    }
}

/// How far past a threshold the signs must fall back before the calm period starts.
const MARGIN: f64 = 0.05;

impl Thresholds {
    /// Why the job should wait, if it should: the first sign found, in the user's words.
    pub fn short_of_memory(&self, reading: &MemoryReading) -> Option<String> {
        self.sign(reading, false)
    }

    /// When `releasing`, each threshold moves toward safety by a margin (stalls: half).
    fn sign(&self, reading: &MemoryReading, releasing: bool) -> Option<String> {
        let slack = if releasing { MARGIN } else { 0.0 };
        let stall_above = if releasing {
            self.stall_above / 2.0
        } else {
            self.stall_above
        };
        if reading.available_share() < self.available_below + slack {
            let free = gigabytes(reading.available());
            let limit = gigabytes(reading.limit());
            return Some(if reading.cgroup_binds() {
                format!("the job's memory limit is nearly reached — {free} of {limit} left")
            } else {
                format!("the computer is short of memory — {free} of {limit} free")
            });
        }
        if let Some(used) = reading.swap_used_share()
            && used > self.swap_above - slack
        {
            return Some(format!(
                "the computer is short of memory — {:.0}% of its swap is in use",
                used * 100.0
            ));
        }
        if let Some(stall) = reading.stall
            && stall.full_avg10 > stall_above
        {
            return Some(format!(
                "the computer is short of memory — it spent {:.0}% of the last ten seconds waiting for it",
                stall.full_avg10
            ));
        }
        None
    }
}

/// What changed after a reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PressureChange {
    /// Hold the job, saying why.
    Hold { reason: String },
    /// Pressure has eased: let the job go on.
    Release,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    Clear,
    /// Held; `calm_since` is when the signs last turned clear.
    Held {
        calm_since: Option<Instant>,
    },
    /// The user resumed a held job: no hold until the signs have been clear a calm period.
    Overridden {
        calm_since: Option<Instant>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct PressureWatch {
    thresholds: Thresholds,
    state: State,
}

impl PressureWatch {
    pub fn new(thresholds: Thresholds) -> Self {
        Self {
            thresholds,
            state: State::Clear,
        }
    }

    pub fn is_holding(&self) -> bool {
        matches!(self.state, State::Held { .. })
    }

    /// The user resumed the held job anyway.
    pub fn user_override(&mut self) {
        if self.is_holding() {
            self.state = State::Overridden { calm_since: None };
        }
    }

    /// Takes in a reading made at `now`.
    pub fn update(&mut self, reading: &MemoryReading, now: Instant) -> Option<PressureChange> {
        let calm_for = self.thresholds.calm_for;
        match self.state {
            State::Clear => {
                let reason = self.thresholds.short_of_memory(reading)?;
                self.state = State::Held { calm_since: None };
                Some(PressureChange::Hold { reason })
            }
            State::Held { calm_since } | State::Overridden { calm_since } => {
                let clear = self.thresholds.sign(reading, true).is_none();
                let calm_since = clear.then(|| calm_since.unwrap_or(now));
                let calm_long_enough = calm_since.is_some_and(|since| now.duration_since(since) >= calm_for);
                let held = self.is_holding();
                self.state = match (calm_long_enough, held) {
                    (true, _) => State::Clear,
                    (false, true) => State::Held { calm_since },
                    (false, false) => State::Overridden { calm_since },
                };
                (calm_long_enough && held).then_some(PressureChange::Release)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reading::{CgroupMemory, Stall};

    const GB: u64 = 1_000_000_000;

    fn reading(available: u64) -> MemoryReading {
        MemoryReading {
            machine_total: 8 * GB,
            machine_available: available,
            swap_total: 0,
            swap_free: 0,
            cgroup: None,
            stall: None,
        }
    }

    fn seconds(start: Instant, s: u64) -> Instant {
        start + Duration::from_secs(s)
    }

    #[test]
    fn holds_below_the_threshold_and_goes_on_only_after_a_calm_period() {
        let mut watch = PressureWatch::new(Thresholds::default());
        let t0 = Instant::now();
        assert_eq!(watch.update(&reading(4 * GB), t0), None);
        let Some(PressureChange::Hold { reason }) = watch.update(&reading(GB / 2), seconds(t0, 1)) else {
            panic!("not held")
        };
        assert_eq!(reason, "the computer is short of memory — 0.5 GB of 8.0 GB free");
        assert_eq!(watch.update(&reading(GB / 2), seconds(t0, 2)), None, "held once");
        // Just above the threshold is inside the margin: the calm period does not start.
        assert_eq!(watch.update(&reading(GB + GB / 8), seconds(t0, 3)), None);
        assert_eq!(watch.update(&reading(GB + GB / 8), seconds(t0, 30)), None);
        // Clear with room to spare: it goes on 15 s later, not before.
        assert_eq!(watch.update(&reading(3 * GB), seconds(t0, 31)), None);
        assert_eq!(watch.update(&reading(3 * GB), seconds(t0, 40)), None);
        assert_eq!(
            watch.update(&reading(3 * GB), seconds(t0, 46)),
            Some(PressureChange::Release)
        );
        assert!(!watch.is_holding());
    }

    #[test]
    fn a_dip_during_the_calm_period_starts_it_again() {
        let mut watch = PressureWatch::new(Thresholds::default());
        let t0 = Instant::now();
        assert!(watch.update(&reading(GB / 4), t0).is_some());
        assert_eq!(watch.update(&reading(3 * GB), seconds(t0, 1)), None);
        assert_eq!(watch.update(&reading(GB / 4), seconds(t0, 10)), None, "no second hold");
        assert_eq!(watch.update(&reading(3 * GB), seconds(t0, 11)), None);
        assert_eq!(
            watch.update(&reading(3 * GB), seconds(t0, 20)),
            None,
            "calm only since 11 s"
        );
        assert_eq!(
            watch.update(&reading(3 * GB), seconds(t0, 26)),
            Some(PressureChange::Release)
        );
    }

    #[test]
    fn the_users_resume_holds_until_the_pressure_has_passed_and_come_again() {
        let mut watch = PressureWatch::new(Thresholds::default());
        let t0 = Instant::now();
        assert!(watch.update(&reading(GB / 4), t0).is_some());
        watch.user_override();
        assert!(!watch.is_holding());
        assert_eq!(
            watch.update(&reading(GB / 4), seconds(t0, 5)),
            None,
            "the user's choice stands"
        );
        assert_eq!(watch.update(&reading(3 * GB), seconds(t0, 6)), None);
        assert_eq!(
            watch.update(&reading(3 * GB), seconds(t0, 22)),
            None,
            "no release to send"
        );
        assert!(matches!(
            watch.update(&reading(GB / 4), seconds(t0, 23)),
            Some(PressureChange::Hold { .. })
        ));
    }

    #[test]
    fn a_cgroup_limit_swap_and_stalls_each_hold_with_their_own_words() {
        let limits = Thresholds::default();
        let pod = MemoryReading {
            machine_total: 64 * GB,
            machine_available: 60 * GB,
            cgroup: Some(CgroupMemory {
                limit: 4 * GB,
                in_use: 3_700_000_000,
            }),
            ..reading(60 * GB)
        };
        assert_eq!(
            limits.short_of_memory(&pod).as_deref(),
            Some("the job's memory limit is nearly reached — 0.3 GB of 4.0 GB left")
        );
        let swapping = MemoryReading {
            swap_total: 2 * GB,
            swap_free: GB / 2,
            ..reading(4 * GB)
        };
        assert_eq!(
            limits.short_of_memory(&swapping).as_deref(),
            Some("the computer is short of memory — 75% of its swap is in use")
        );
        let stalled = MemoryReading {
            stall: Some(Stall {
                some_avg10: 60.0,
                full_avg10: 25.0,
            }),
            ..reading(4 * GB)
        };
        assert!(
            limits
                .short_of_memory(&stalled)
                .is_some_and(|r| r.contains("25% of the last ten seconds"))
        );
        let calm = MemoryReading {
            stall: Some(Stall {
                some_avg10: 3.0,
                full_avg10: 0.5,
            }),
            ..reading(4 * GB)
        };
        assert_eq!(limits.short_of_memory(&calm), None);
    }
}
