//! What the app remembers between runs (eframe persistence). `#[serde(default)]` keeps older
//! saved settings loadable when fields are added.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use shared_ipc::{Decoding, OutputFormats, SpeakerOptions, TranscribeOptions};

use crate::supervisor::backoff::RestartPolicy;
use crate::supervisor::runner::SupervisorConfig;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub output_dir: Option<PathBuf>,
    pub model: String,
    pub language: String,
    pub beam_search: bool,
    /// Model threads; 0 means all cores.
    pub threads: u32,
    pub formats: OutputFormats,
    /// Per-episode notes with summary, key topics and related episodes.
    pub summaries: bool,
    /// `Map of Content.md` for the batch (needs the notes).
    pub map_of_content: bool,
    /// The sentence-embedding model for both.
    pub embedding_model: String,
    /// Who speaks when, in every output.
    pub speakers: bool,
    pub last_input_dir: Option<PathBuf>,
    /// Seconds of silence from the worker (while not paused) before it is restarted.
    pub watchdog_timeout_s: f64,
    /// Seconds the work may go without progress (while not paused) before the worker is
    /// restarted; grows with the slowest step seen.
    pub stall_timeout_s: f64,
    /// Restarts in a row without progress before a job gives up.
    pub max_restarts: u32,
    /// The first wait before restarting a crashed worker; doubled on each further crash.
    pub restart_delay_s: f64,
    /// The job pauses while less than this percent of the memory it may use is available …
    pub memory_free_below_percent: f64,
    /// … or more than this percent of swap is in use …
    pub swap_above_percent: f64,
    /// … or all tasks waited for memory more than this percent of the last ten seconds;
    pub memory_stall_above_percent: f64,
    /// and goes on once memory has stayed clear this many seconds.
    pub memory_calm_s: f64,
}

impl Default for Settings {
    fn default() -> Self {
        let supervision = SupervisorConfig::default();
        Self {
            output_dir: None,
            model: crate::models::catalog::DEFAULT_MODEL.to_owned(),
            language: "en".into(),
            beam_search: false,
            threads: 0,
            formats: OutputFormats::default(),
            summaries: true,
            map_of_content: true,
            embedding_model: crate::models::catalog::DEFAULT_EMBEDDING_MODEL.to_owned(),
            speakers: true,
            last_input_dir: None,
            watchdog_timeout_s: supervision.watchdog_timeout.as_secs_f64(),
            stall_timeout_s: supervision.stall_timeout.as_secs_f64(),
            max_restarts: supervision.restart.max_attempts,
            restart_delay_s: supervision.restart.base.as_secs_f64(),
            memory_free_below_percent: supervision.memory.available_below * 100.0,
            swap_above_percent: supervision.memory.swap_above * 100.0,
            memory_stall_above_percent: supervision.memory.stall_above,
            memory_calm_s: supervision.memory.calm_for.as_secs_f64(),
        }
    }
}

impl Settings {
    pub const STORAGE_KEY: &'static str = "castmill-settings";

    /// The output folder to use: the chosen one, or `~/Castmill` by default.
    pub fn output_dir_or_default(&self) -> PathBuf {
        self.output_dir.clone().unwrap_or_else(|| {
            directories::UserDirs::new()
                .map(|u| u.home_dir().join("Castmill"))
                .unwrap_or_else(|| PathBuf::from("Castmill"))
        })
    }

    pub fn transcribe_options(&self) -> TranscribeOptions {
        TranscribeOptions {
            language: self.language.trim().to_owned(),
            decoding: if self.beam_search {
                Decoding::BeamSearch { beam_size: 5 }
            } else {
                Decoding::Greedy
            },
            threads: self.threads,
            formats: self.formats,
            summaries: self.summaries,
            map_of_content: self.summaries && self.map_of_content,
            speakers: SpeakerOptions {
                enabled: self.speakers,
                ..SpeakerOptions::default()
            },
        }
    }

    /// How jobs are supervised; `worker` overrides where the worker binary is found.
    pub fn supervisor_config(&self, worker: Option<PathBuf>) -> SupervisorConfig {
        let defaults = SupervisorConfig::default();
        // A percent from 0 to 100 as a share; anything else is a mistake in the file.
        let share = |percent: f64, fallback: f64| {
            if (0.0..=100.0).contains(&percent) {
                percent / 100.0
            } else {
                fallback
            }
        };
        let seconds = |s: f64, fallback: Duration| {
            Duration::try_from_secs_f64(s)
                .ok()
                .filter(|d| !d.is_zero())
                .unwrap_or(fallback)
        };
        SupervisorConfig {
            watchdog_timeout: seconds(self.watchdog_timeout_s, defaults.watchdog_timeout),
            stall_timeout: seconds(self.stall_timeout_s, defaults.stall_timeout),
            restart: RestartPolicy {
                base: seconds(self.restart_delay_s, defaults.restart.base),
                max_attempts: self.max_restarts,
                ..defaults.restart
            },
            memory: castmill_memory::Thresholds {
                available_below: share(self.memory_free_below_percent, defaults.memory.available_below),
                swap_above: share(self.swap_above_percent, defaults.memory.swap_above),
                stall_above: if self.memory_stall_above_percent > 0.0 {
                    self.memory_stall_above_percent
                } else {
                    defaults.memory.stall_above
                },
                calm_for: seconds(self.memory_calm_s, defaults.memory.calm_for),
            },
            worker,
            ..defaults
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_saved_by_an_older_version_still_load() {
        // What the first desktop build saved: no formats, no supervision fields.
        let old = r#"{"output_dir":"/home/me/Transcripts","model":"base.en","language":"en","beam_search":true,"threads":2,"last_input_dir":null}"#;
        let settings: Settings = serde_json::from_str(old).expect("old settings load");
        assert_eq!(settings.model, "base.en");
        assert!(settings.beam_search);
        assert_eq!(settings.formats, OutputFormats::default());
        assert_eq!(settings.watchdog_timeout_s, 30.0);
        assert_eq!(settings.stall_timeout_s, 120.0);
        assert!(
            settings.summaries && settings.map_of_content,
            "summaries are on for old settings too"
        );
    }

    #[test]
    fn nonsense_durations_fall_back_to_the_defaults() {
        let settings = Settings {
            watchdog_timeout_s: -3.0,
            stall_timeout_s: 0.0,
            restart_delay_s: f64::NAN,
            ..Settings::default()
        };
        let config = settings.supervisor_config(None);
        assert_eq!(config.watchdog_timeout, SupervisorConfig::default().watchdog_timeout);
        assert_eq!(config.stall_timeout, SupervisorConfig::default().stall_timeout);
        assert_eq!(config.restart.base, SupervisorConfig::default().restart.base);
    }

    #[test]
    fn memory_thresholds_are_percents_and_nonsense_falls_back() {
        let old: Settings = serde_json::from_str(r#"{"model":"base.en"}"#).expect("loads");
        assert_eq!(
            old.supervisor_config(None).memory,
            castmill_memory::Thresholds::default()
        );
        let chosen = Settings {
            memory_free_below_percent: 25.0,
            swap_above_percent: 400.0,
            memory_calm_s: 60.0,
            ..Settings::default()
        };
        let memory = chosen.supervisor_config(None).memory;
        assert_eq!(memory.available_below, 0.25);
        assert_eq!(memory.swap_above, 0.5, "400% is not a share");
        assert_eq!(memory.calm_for, Duration::from_secs(60));
    }
}
