//! What one worker process did, as its own events told it: the protocol it speaks, where it
//! was (so a death can be blamed on the right file and stage), whether it committed new
//! work, and how it meant to end.

use shared_ipc::protocol::StopCause;
use shared_ipc::{Stage, WorkerEvent};

use super::poison::{DeathSite, DeathStage};
use super::watchdog::WatchdogKill;

#[derive(Debug, Default, Clone, PartialEq)]
pub struct Attempt {
    /// The protocol version its `hello` announced; `None` until it said hello.
    pub protocol_version: Option<u32>,
    /// Where it was working, when it was working on one file.
    pub site: Option<DeathSite>,
    /// It committed new segments, files or summaries.
    pub progressed: bool,
    /// It reported the job finished: files done and failed.
    pub finished: Option<(usize, usize)>,
    /// It said it was stopping, and why.
    pub stopping: Option<StopCause>,
    /// Its last job-level error message.
    pub error: Option<String>,
    /// The supervisor's watchdog stopped it.
    pub watchdog: Option<WatchdogKill>,
    /// The machine was short of memory when the watchdog stopped it (a swap storm).
    pub memory_pressure: bool,
    /// The kernel killed it for want of memory (its OOM-kill counters grew while it ran).
    pub out_of_memory: bool,
    /// The leak guard stopped it, to start it again.
    pub leaked: bool,
}

impl Attempt {
    pub fn observe(&mut self, event: &WorkerEvent) {
        match event {
            WorkerEvent::Hello { protocol_version, .. } => self.protocol_version = Some(*protocol_version),
            WorkerEvent::Stage {
                stage: Stage::Probing | Stage::Opening,
                file_index: Some(file_index),
            } => {
                self.site = Some(DeathSite {
                    file_index: *file_index,
                    stage: DeathStage::Opening,
                })
            }
            WorkerEvent::Stage {
                stage: Stage::Transcribing,
                file_index: Some(file_index),
            } => {
                // Kept when it is the same file (a resume reports its position next).
                let same_file = matches!(self.site, Some(DeathSite { file_index: f, stage: DeathStage::Transcription { .. } }) if f == *file_index);
                if !same_file {
                    self.site = Some(DeathSite {
                        file_index: *file_index,
                        stage: DeathStage::Transcription { position_ms: 0 },
                    });
                }
            }
            WorkerEvent::Progress {
                file_index,
                file_done_s,
                ..
            } => {
                self.site = Some(DeathSite {
                    file_index: *file_index,
                    stage: DeathStage::Transcription {
                        position_ms: (file_done_s * 1000.0).round() as u64,
                    },
                })
            }
            WorkerEvent::Stage {
                stage: Stage::FindingSpeakers,
                file_index,
            } => {
                self.site = file_index.map(|file_index| DeathSite {
                    file_index,
                    stage: DeathStage::Speakers,
                });
            }
            WorkerEvent::Stage {
                stage: Stage::Summarizing,
                file_index,
            } => {
                // A death from here on says nothing about the audio.
                self.site = file_index.map(|file_index| DeathSite {
                    file_index,
                    stage: DeathStage::Summary,
                });
            }
            WorkerEvent::Stage {
                stage: Stage::MappingContent | Stage::Done,
                ..
            } => self.site = None,
            WorkerEvent::Segment { .. } => self.progressed = true,
            // A file or summary that ended is no longer where the worker is: a death before
            // the next one starts is blamed on neither.
            WorkerEvent::FileCompleted { .. }
            | WorkerEvent::SpeakersFound { .. }
            | WorkerEvent::SummaryWritten { .. }
            | WorkerEvent::MapWritten { .. } => {
                self.progressed = true;
                self.site = None;
            }
            WorkerEvent::FileFailed { .. }
            | WorkerEvent::SpeakersFailed { .. }
            | WorkerEvent::KnowledgeFailed { .. } => self.site = None,
            WorkerEvent::Finished {
                files_done,
                files_failed,
            } => self.finished = Some((*files_done, *files_failed)),
            WorkerEvent::Stopping { cause } => self.stopping = Some(*cause),
            WorkerEvent::Error { message, .. } => self.error = Some(message.clone()),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage(stage: Stage, file_index: Option<usize>) -> WorkerEvent {
        WorkerEvent::Stage { stage, file_index }
    }

    fn site(file_index: usize, stage: DeathStage) -> Option<DeathSite> {
        Some(DeathSite { file_index, stage })
    }

    fn progress(file_index: usize, file_done_s: f64) -> WorkerEvent {
        WorkerEvent::Progress {
            file_index,
            file_done_s,
            file_total_s: None,
            batch_done_s: 0.0,
            batch_total_s: None,
        }
    }

    #[test]
    fn the_site_follows_the_file_and_stage_being_worked_on() {
        let mut a = Attempt::default();
        a.observe(&stage(Stage::Probing, Some(2)));
        assert_eq!(
            a.site,
            site(2, DeathStage::Opening),
            "a crash while probing blames that file"
        );
        a.observe(&stage(Stage::Opening, Some(0)));
        assert_eq!(a.site, site(0, DeathStage::Opening));
        a.observe(&stage(Stage::Transcribing, Some(0)));
        assert_eq!(a.site, site(0, DeathStage::Transcription { position_ms: 0 }));
        a.observe(&progress(0, 29.5));
        a.observe(&stage(Stage::Transcribing, Some(0)));
        assert_eq!(a.site, site(0, DeathStage::Transcription { position_ms: 29_500 }));
        assert!(!a.progressed);
        a.observe(&WorkerEvent::FileCompleted {
            file_index: 0,
            input: "/a.mp3".into(),
            outputs: Vec::new(),
            audio_s: 30.0,
        });
        assert_eq!(a.site, None, "a finished file is never blamed for the next death");
        assert!(a.progressed);
        a.observe(&stage(Stage::Summarizing, Some(1)));
        assert_eq!(a.site, site(1, DeathStage::Summary));
        a.observe(&stage(Stage::MappingContent, None));
        assert_eq!(a.site, None);
    }

    #[test]
    fn hello_stopping_errors_and_the_end_are_recorded() {
        let mut a = Attempt::default();
        a.observe(&WorkerEvent::Hello {
            protocol_version: 2,
            pid: 7,
            worker_version: "0.1.0".into(),
        });
        a.observe(&WorkerEvent::Stopping {
            cause: StopCause::ParentDied,
        });
        a.observe(&WorkerEvent::Finished {
            files_done: 3,
            files_failed: 1,
        });
        assert_eq!(a.protocol_version, Some(2));
        assert_eq!(a.stopping, Some(StopCause::ParentDied));
        assert_eq!(a.finished, Some((3, 1)));
    }
}
