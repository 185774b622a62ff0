//! Poison files: a file on which the worker died twice at the same place (same file, same
//! committed position) is quarantined. Only deaths that point at the input count — crashes
//! (a fatal signal such as SIGSEGV/SIGABRT, a panic or internal error) and hangs the watchdog
//! had to kill — not a SIGKILL from outside, which says nothing about the file.

use std::collections::HashMap;

/// Where the worker was when it died.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeathSite {
    pub file_index: usize,
    pub stage: DeathStage,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeathStage {
    /// Opening or probing the file, before any of it was transcribed.
    Opening,
    /// Transcribing, at this committed position in milliseconds.
    Transcription { position_ms: u64 },
    /// Finding who speaks in the file's audio.
    Speakers,
    /// Making the file's summary from its transcript.
    Summary,
}

#[derive(Debug, Default)]
pub struct PoisonTracker {
    deaths: HashMap<DeathSite, u32>,
}

/// Deaths at the same site that make a file poison.
const DEATHS_TO_QUARANTINE: u32 = 2;

impl PoisonTracker {
    /// Records a death; true when the file should now be quarantined.
    pub fn record(&mut self, site: DeathSite) -> bool {
        let n = self.deaths.entry(site).or_default();
        *n += 1;
        *n >= DEATHS_TO_QUARANTINE
    }

    pub fn forget_file(&mut self, file_index: usize) {
        self.deaths.retain(|site, _| site.file_index != file_index);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_deaths_at_one_place_make_poison_two_places_do_not() {
        let mut t = PoisonTracker::default();
        assert!(!t.record(DeathSite {
            file_index: 1,
            stage: DeathStage::Transcription { position_ms: 0 },
        }));
        assert!(!t.record(DeathSite {
            file_index: 1,
            stage: DeathStage::Transcription { position_ms: 30_000 },
        }));
        assert!(t.record(DeathSite {
            file_index: 1,
            stage: DeathStage::Transcription { position_ms: 30_000 },
        }));
        assert!(!t.record(DeathSite {
            file_index: 1,
            stage: DeathStage::Summary,
        }));
        t.forget_file(1);
        assert!(!t.record(DeathSite {
            file_index: 1,
            stage: DeathStage::Transcription { position_ms: 30_000 },
        }));
    }
}
