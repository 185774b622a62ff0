//! One input from start (or from its last committed window) to its outputs.

use std::path::Path;

use shared_ipc::{
    Checkpoint, FileState, Fingerprint, JobFolder, JobSpec, Journal, JournalError, JournalLoad, Segment, Stage,
    WorkerEvent,
};

use crate::control::{Control, StopRequested};
use crate::emitter::Emitter;
use crate::outputs;
use crate::repetition;
use crate::transcribe::{TranscribeError, Transcriber};
use crate::windows::Windower;
use castmill_audio::{AudioSource, SAMPLE_RATE};

pub struct FileContext<'a> {
    pub index: usize,
    pub folder: &'a JobFolder,
    pub spec: &'a JobSpec,
    pub stem: &'a str,
    pub emitter: &'a Emitter,
    pub control: &'a Control,
    pub batch_done_before_s: f64,
    pub batch_total_s: Option<f64>,
}

pub enum FileOutcome {
    Done { audio_ms: u64 },
    Failed,
}

/// Processes one file. A per-file problem is recorded as that file's failure; only a stop
/// request ends the batch.
pub fn process(
    ctx: &FileContext<'_>,
    checkpoint: &mut Checkpoint,
    transcriber: &mut Transcriber,
) -> Result<FileOutcome, StopRequested> {
    let input = checkpoint.files[ctx.index].input.clone();
    match transcribe_file(ctx, checkpoint, transcriber, &input) {
        Ok(outcome) => Ok(outcome),
        Err(FileError::Stop(stop)) => Err(stop),
        Err(FileError::Failed(reason)) => Ok(fail(ctx, checkpoint, &input, reason, false)),
        Err(FileError::Unsaved(reason)) => Ok(fail(ctx, checkpoint, &input, reason, true)),
    }
}

/// Records and reports a file's failure. `retry_on_resume`: the input was fine, only saving
/// the work failed, so the next run tries again.
fn fail(
    ctx: &FileContext<'_>,
    checkpoint: &mut Checkpoint,
    input: &Path,
    reason: String,
    retry_on_resume: bool,
) -> FileOutcome {
    let again = crate::job::retried_on_resume(retry_on_resume);
    let shown = format!("{}: {reason}{again}", input.display());
    checkpoint.files[ctx.index].state = FileState::Failed {
        reason,
        retry_on_resume,
    };
    ctx.emitter.emit(&WorkerEvent::FileFailed {
        file_index: ctx.index,
        input: input.display().to_string(),
        reason: shown,
    });
    FileOutcome::Failed
}

enum FileError {
    Stop(StopRequested),
    /// The input cannot be transcribed.
    Failed(String),
    /// The work could not be saved (Castmill's own writes failed).
    Unsaved(String),
}

impl From<StopRequested> for FileError {
    fn from(s: StopRequested) -> Self {
        FileError::Stop(s)
    }
}

fn transcribe_file(
    ctx: &FileContext<'_>,
    checkpoint: &mut Checkpoint,
    transcriber: &mut Transcriber,
    input: &Path,
) -> Result<FileOutcome, FileError> {
    let index = ctx.index;
    let file = castmill_audio::open_input(input).map_err(|e| FileError::Failed(e.to_string()))?;
    let fingerprint = Fingerprint::of_file(&file).map_err(|e| FileError::Failed(describe_io(&e)))?;
    let (mut journal, load) = open_journal(ctx, fingerprint)?;

    if checkpoint.files[index].state != FileState::InProgress
        || checkpoint.files[index].fingerprint != Some(fingerprint)
    {
        checkpoint.files[index].state = FileState::InProgress;
        checkpoint.files[index].fingerprint = Some(fingerprint);
        crate::job::save_checkpoint(ctx.folder, checkpoint).map_err(FileError::Unsaved)?;
    }

    let mut source = AudioSource::from_file(file, input).map_err(|e| FileError::Failed(e.to_string()))?;
    let file_total_s = source.duration_s();
    ctx.emitter.emit(&WorkerEvent::Stage {
        stage: Stage::Transcribing,
        file_index: Some(index),
    });
    #[cfg(feature = "fault-injection")]
    crate::fault_injection::crash_if_requested(input);

    let mut previous: Option<Segment> = load.segments.last().cloned();
    let mut windower = Windower::new(load.committed_samples);
    let mut chunk = Vec::with_capacity(SAMPLE_RATE as usize);
    let mut at_end = false;
    let mut total_samples: u64 = 0;
    if load.committed_samples > 0 {
        ctx.emitter.emit(&WorkerEvent::Notice {
            file_index: Some(index),
            message: format!(
                "resuming {} at {:.1} s ({} segments already committed)",
                input.display(),
                load.committed_samples as f64 / SAMPLE_RATE as f64,
                load.segments.len()
            ),
        });
        report_progress(ctx, load.committed_samples, file_total_s);
    }

    loop {
        while !at_end && windower.next_window(false).is_none() {
            chunk.clear();
            at_end = !source
                .next_chunk(&mut chunk)
                .map_err(|e| FileError::Failed(e.to_string()))?;
            total_samples += chunk.len() as u64;
            windower.push(&chunk);
            // Decoding a long stretch that was already transcribed still honours pause/stop.
            pause_point(ctx)?;
        }
        let Some(window) = windower.next_window(at_end) else {
            break;
        };
        let start = window.start_sample;
        let len = window.samples.len();
        let silent = crate::windows::is_silent(window.samples);
        let segments = loop {
            pause_point(ctx)?;
            if silent {
                break Vec::new();
            }
            match transcriber.transcribe(window.samples, start) {
                Ok(segments) => break segments,
                // Abandoned for a pause or stop: the window is redone after resuming.
                Err(TranscribeError::Interrupted) => continue,
                Err(e) => return Err(FileError::Failed(e.to_string())),
            }
        };
        let segments = repetition::guard(segments, previous.as_ref());
        let end = start + len as u64;
        journal
            .commit_window(&segments, end)
            .map_err(|e| FileError::Unsaved(format!("cannot save progress: {e}")))?;
        for segment in &segments {
            ctx.emitter.emit(&WorkerEvent::Segment {
                file_index: index,
                segment: segment.clone(),
            });
        }
        if let Some(last) = segments.last() {
            previous = Some(last.clone());
        }
        windower.consume(len);
        report_progress(ctx, end, file_total_s);
        stray_write_for_tests();
    }

    if total_samples == 0 {
        return Err(FileError::Failed("contains no audio samples".into()));
    }
    finish_file(ctx, checkpoint, input, total_samples)
}

fn finish_file(
    ctx: &FileContext<'_>,
    checkpoint: &mut Checkpoint,
    input: &Path,
    total_samples: u64,
) -> Result<FileOutcome, FileError> {
    let index = ctx.index;
    ctx.emitter.emit(&WorkerEvent::Stage {
        stage: Stage::WritingOutputs,
        file_index: Some(index),
    });
    // Outputs come from the journal as stored, so a resumed run writes the very same bytes.
    let segments = committed_segments(ctx.folder, index).map_err(FileError::Unsaved)?;
    let audio_ms = total_samples * 1000 / SAMPLE_RATE as u64;
    // The folder may have been removed mid-batch; a failure here shows up in the write below.
    let _ = std::fs::create_dir_all(&ctx.spec.output_dir);
    let written = outputs::write_all(
        &ctx.spec.output_dir,
        ctx.stem,
        &ctx.spec.options.formats,
        input,
        &segments,
        audio_ms,
    )
    .map_err(|(path, e)| FileError::Unsaved(format!("cannot write {}: {}", path.display(), describe_io(&e))))?;
    checkpoint.files[index].state = FileState::Done {
        outputs: written.clone(),
        audio_ms,
    };
    crate::job::save_checkpoint(ctx.folder, checkpoint).map_err(FileError::Unsaved)?;
    ctx.emitter.emit(&WorkerEvent::FileCompleted {
        file_index: index,
        input: input.display().to_string(),
        outputs: written.iter().map(|p| p.display().to_string()).collect(),
        audio_s: audio_ms as f64 / 1000.0,
    });
    Ok(FileOutcome::Done { audio_ms })
}

/// The committed transcript of input `index`, as its journal holds it.
pub fn committed_segments(folder: &JobFolder, index: usize) -> Result<Vec<Segment>, String> {
    match Journal::open(&folder.journal(index)) {
        Ok(Some((_, load))) => Ok(load.segments),
        Ok(None) => Ok(Vec::new()),
        Err(e) => Err(format!("cannot read back the transcript: {e}")),
    }
}

/// The file's journal: resumed when it belongs to this exact input, started over otherwise.
fn open_journal(ctx: &FileContext<'_>, fingerprint: Fingerprint) -> Result<(Journal, JournalLoad), FileError> {
    let path = ctx.folder.journal(ctx.index);
    let notice = |message: String| {
        ctx.emitter.emit(&WorkerEvent::Notice {
            file_index: Some(ctx.index),
            message,
        })
    };
    let input = &ctx.spec.inputs[ctx.index];
    match Journal::open(&path) {
        Ok(Some((journal, load))) if load.fingerprint == Some(fingerprint) => {
            if load.dropped_torn_line || load.dropped_uncommitted > 0 {
                tracing::info!("journal {}: dropped an unfinished tail", path.display());
            }
            return Ok((journal, load));
        }
        Ok(Some(_)) => notice(format!(
            "{} changed since the last run; transcribing it again from the start",
            input.display()
        )),
        Ok(None) => {}
        Err(JournalError::Corrupt { .. }) => notice(format!(
            "progress record for {} is damaged; transcribing it again from the start",
            input.display()
        )),
        Err(e) => return Err(FileError::Unsaved(format!("cannot read progress: {e}"))),
    }
    let journal =
        Journal::create(&path, fingerprint).map_err(|e| FileError::Unsaved(format!("cannot save progress: {e}")))?;
    Ok((
        journal,
        JournalLoad {
            fingerprint: Some(fingerprint),
            ..Default::default()
        },
    ))
}

fn pause_point(ctx: &FileContext<'_>) -> Result<(), StopRequested> {
    ctx.control.wait_while_paused(
        || ctx.emitter.emit(&WorkerEvent::Paused),
        || ctx.emitter.emit(&WorkerEvent::Resumed),
    )
}

fn report_progress(ctx: &FileContext<'_>, done_samples: u64, file_total_s: Option<f64>) {
    let file_done_s = done_samples as f64 / SAMPLE_RATE as f64;
    ctx.emitter.emit(&WorkerEvent::Progress {
        file_index: ctx.index,
        file_done_s,
        file_total_s,
        batch_done_s: ctx.batch_done_before_s + file_done_s,
        batch_total_s: ctx.batch_total_s,
    });
}

pub fn describe_io(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "file not found".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::StorageFull => "disk is full".into(),
        std::io::ErrorKind::IsADirectory => "is a folder, not an audio file".into(),
        _ => e.to_string(),
    }
}

/// `CASTMILL_TEST_STRAY_STDOUT` makes the worker write to fd 1 after each window, the way a
/// chatty native library would; the end-to-end tests use it to prove the protocol is safe.
fn stray_write_for_tests() {
    if let Some(text) = std::env::var_os("CASTMILL_TEST_STRAY_STDOUT") {
        crate::stdout_guard::stray_write_to_fd1(&format!("{}\n", text.to_string_lossy()));
    }
}
