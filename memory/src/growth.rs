//! The leak guard. A worker's memory is flat in the length of the audio: each kind of work
//! (opening a file, transcribing, summarising) settles at its own level within seconds. A
//! worker that keeps growing past that level by more than any window needs is leaking; it
//! is better restarted at its next commit than left to take the machine down.

/// Samples of a kind of work that set its level (the model loads and the first window
/// settles in them).
const SETTLING_SAMPLES: usize = 3;
/// Growth past the level that counts as a leak: at least this much …
const MIN_GROWTH: u64 = 256 * 1024 * 1024;
/// … and at least this share of the level.
const GROWTH_SHARE: f64 = 0.5;
/// Samples in a row above the envelope before the guard trips (one spike is not a leak).
const SAMPLES_OVER: u32 = 2;

#[derive(Debug, Clone, PartialEq)]
struct Level {
    work: String,
    samples: usize,
    settled_at: u64,
    /// When (seconds into the worker's life) the level was last raised.
    settled_s: f64,
}

impl Level {
    fn envelope(&self) -> u64 {
        let share = (self.settled_at as f64 * GROWTH_SHARE) as u64;
        self.settled_at + share.max(MIN_GROWTH)
    }
}

/// A worker whose memory grew past its envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leaking {
    pub rss: u64,
    pub envelope: u64,
    /// The kind of work it was doing.
    pub work: String,
    /// How fast it grew past its level, in bytes a minute.
    pub growth_per_minute: u64,
}

/// Watches one worker's RSS samples.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LeakGuard {
    levels: Vec<Level>,
    current: Option<usize>,
    over: u32,
}

impl LeakGuard {
    /// The worker began a kind of work (`work` names it; the same name later is the same
    /// kind, whose level is already known).
    pub fn work(&mut self, work: &str) {
        let index = match self.levels.iter().position(|l| l.work == work) {
            Some(i) => i,
            None => {
                self.levels.push(Level {
                    work: work.to_owned(),
                    samples: 0,
                    settled_at: 0,
                    settled_s: 0.0,
                });
                self.levels.len() - 1
            }
        };
        self.current = Some(index);
        self.over = 0;
    }

    /// Samples are not judged until the next [`work`](Self::work): memory that grows while
    /// a model loads is the model.
    pub fn pause(&mut self) {
        self.current = None;
        self.over = 0;
    }

    /// Takes in an RSS sample made `at_s` seconds into the worker's life; says so when the
    /// worker is leaking.
    pub fn sample(&mut self, rss: u64, at_s: f64) -> Option<Leaking> {
        let level = &mut self.levels[self.current?];
        if level.samples < SETTLING_SAMPLES {
            level.samples += 1;
            if rss >= level.settled_at {
                level.settled_at = rss;
                level.settled_s = at_s;
            }
            return None;
        }
        let envelope = level.envelope();
        if rss <= envelope {
            self.over = 0;
            return None;
        }
        self.over += 1;
        let minutes = ((at_s - level.settled_s) / 60.0).max(1.0 / 60.0);
        (self.over >= SAMPLES_OVER).then(|| Leaking {
            rss,
            envelope,
            work: level.work.clone(),
            growth_per_minute: ((rss - level.settled_at) as f64 / minutes) as u64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1024 * 1024;

    #[test]
    fn flat_work_never_trips_and_steady_growth_does() {
        let mut guard = LeakGuard::default();
        assert_eq!(guard.sample(100 * MIB, 0.0), None, "no work yet");
        guard.work("transcribing");
        for (s, rss) in [150, 190, 200, 195, 205, 210, 199, 440, 201].into_iter().enumerate() {
            assert_eq!(guard.sample(rss * MIB, s as f64), None, "{rss} MiB");
        }
        // Growing past 200 + 256 MiB, twice in a row.
        assert_eq!(guard.sample(470 * MIB, 9.0), None);
        let leaking = guard.sample(530 * MIB, 62.0).expect("a leak");
        assert_eq!(leaking.envelope, 456 * MIB);
        assert_eq!(leaking.work, "transcribing");
        // 330 MiB in the minute since the level was set at 2 s.
        assert_eq!(leaking.growth_per_minute, 330 * MIB);
    }

    #[test]
    fn each_kind_of_work_has_its_own_level_and_keeps_it() {
        let mut guard = LeakGuard::default();
        guard.work("transcribing");
        for rss in [200, 200, 200] {
            guard.sample(rss * MIB, 0.0);
        }
        // A bigger model for summaries is its own level, not a leak.
        guard.work("summarising");
        for rss in [900, 1000, 1000, 1100, 1200] {
            assert_eq!(guard.sample(rss * MIB, 0.0), None, "{rss} MiB");
        }
        // Back to transcribing (the next file): its level is still 200 MiB.
        guard.work("transcribing");
        assert_eq!(guard.sample(600 * MIB, 1.0), None);
        assert!(guard.sample(600 * MIB, 1.0).is_some());
        // Large levels allow half again.
        guard.work("summarising");
        assert_eq!(guard.sample(1400 * MIB, 1.0), None);
        assert_eq!(guard.sample(1400 * MIB, 1.0), None);
    }
}
