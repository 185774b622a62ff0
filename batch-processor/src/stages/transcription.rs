//! The first stage: every pending input, from the start (or from its last committed window)
//! to its transcript outputs. Progress inside a file is committed window by window to its
//! journal; the checkpoint changes when a file changes state.

use std::path::Path;

use castmill_audio::{AudioSource, DecodeError, SAMPLE_RATE};
use shared_ipc::error_chain::describe;
use shared_ipc::{FileState, Fingerprint, JournalError, JournalLoad, Segment, Stage, TranscribeOptions, WorkerEvent};

use crate::coverage_guard;
use crate::model_host::ModelHost;
use crate::outputs;
use crate::repetition;
use crate::stage::context::{JobStage, StageContext};
use crate::stage::outcome::{Failure, Halt, StageError};
use crate::stage::transcript::committed_segments;
use crate::transcribe::{TranscribeError, Transcriber};
use crate::windows::Windower;

pub struct Transcription;

impl JobStage for Transcription {
    fn wanted(&self, _options: &TranscribeOptions) -> bool {
        true
    }

    fn run(&self, ctx: &mut StageContext<'_>, models: &mut ModelHost<'_>) -> Result<(), Halt> {
        probe_durations(ctx);
        let batch_total_s = batch_total(ctx);
        let mut batch_done_s = 0.0;
        let mut drive_gone = false;
        for index in 0..ctx.checkpoint.files.len() {
            match &ctx.checkpoint.files[index].state {
                FileState::Done { audio_ms, .. } => {
                    batch_done_s += *audio_ms as f64 / 1000.0;
                    continue;
                }
                FileState::Failed { .. } | FileState::Skipped => continue,
                FileState::Pending | FileState::InProgress => {}
            }
            // Loaded for the first file that needs it: a job whose transcripts are all done
            // never loads whisper.
            let transcriber = models.transcriber().map_err(|e| Halt::model(e.reason()))?;
            let batch = BatchPosition {
                done_before_s: batch_done_s,
                total_s: batch_total_s,
            };
            match transcribe_with_retries(ctx, index, transcriber, batch, &mut drive_gone) {
                Ok(audio_ms) => batch_done_s += audio_ms as f64 / 1000.0,
                Err(StageError::Stop(stop)) => return Err(Halt::Stop(stop)),
                Err(StageError::Failed(failure)) => fail(ctx, index, &failure),
                // Interruptions are waited out inside the file; none reaches here.
                Err(StageError::Interrupted) => {}
            }
            ctx.checkpoint.commit().map_err(|e| Halt::job(describe(&e)))?;
        }
        Ok(())
    }
}

/// Why an input cannot be read: for now (its drive stopped answering; tried again), or for
/// good (the file itself).
fn unreadable(e: DecodeError) -> Failure {
    if e.is_temporary() {
        Failure::unreadable_for_now(e.to_string())
    } else {
        Failure::of_input(e.to_string())
    }
}

/// Seconds to wait before each new try at a file whose drive stopped answering: about a
/// minute in all, long enough for a network share to come back.
const READ_RETRY_DELAYS_S: [u64; 6] = [1, 2, 4, 8, 15, 30];

/// Transcribes input `index`, trying again (from its last committed window) while its drive
/// does not answer; after a file whose drive never came back, the next gets one more try
/// only, so a vanished drive does not cost a minute per file.
fn transcribe_with_retries(
    ctx: &mut StageContext<'_>,
    index: usize,
    transcriber: &mut Transcriber,
    batch: BatchPosition,
    drive_gone: &mut bool,
) -> Result<u64, StageError> {
    let delays: &[u64] = if *drive_gone {
        &READ_RETRY_DELAYS_S[..1]
    } else {
        &READ_RETRY_DELAYS_S
    };
    let mut tries = delays.iter();
    loop {
        match transcribe_file(ctx, index, transcriber, batch) {
            Err(StageError::Failed(failure)) if failure.temporary => {
                let Some(&delay) = tries.next() else {
                    *drive_gone = true;
                    return Err(StageError::Failed(Failure {
                        reason: format!("{} (its drive did not come back)", failure.reason),
                        ..failure
                    }));
                };
                ctx.notice(
                    Some(index),
                    format!(
                        "{}: {}; its drive may have dropped out, trying again in {delay} s",
                        ctx.input(index).display(),
                        failure.reason
                    ),
                );
                wait_for_the_drive(ctx, delay)?;
            }
            Ok(audio_ms) => {
                *drive_gone = false;
                return Ok(audio_ms);
            }
            other => return other,
        }
    }
}

/// Waits `seconds`, honouring a stop, and showing the watchdog the wait is on purpose.
fn wait_for_the_drive(ctx: &StageContext<'_>, seconds: u64) -> Result<(), StageError> {
    for _ in 0..seconds {
        ctx.control.sleep(std::time::Duration::from_secs(1))?;
        ctx.progress.tick();
    }
    Ok(())
}

/// Where a file sits in the batch, for progress.
#[derive(Clone, Copy)]
struct BatchPosition {
    done_before_s: f64,
    total_s: Option<f64>,
}

/// Records and reports a file's failure.
fn fail(ctx: &mut StageContext<'_>, index: usize, failure: &Failure) {
    let input = ctx.input(index).to_owned();
    tracing::warn!("file {} failed: {}", index + 1, failure.told(input.display()));
    ctx.checkpoint.files[index].state = failure.file_state();
    ctx.emit(&WorkerEvent::FileFailed {
        file_index: index,
        input: input.display().to_string(),
        reason: failure.told(input.display()),
    });
}

/// The length of every input still to do, for the batch total. Each probe is announced, so
/// a file that crashes the worker while being probed is the one blamed.
fn probe_durations(ctx: &mut StageContext<'_>) {
    for index in 0..ctx.checkpoint.files.len() {
        let file = &ctx.checkpoint.files[index];
        if file.duration_ms.is_some() || !matches!(file.state, FileState::Pending | FileState::InProgress) {
            continue;
        }
        ctx.stage(Stage::Probing, Some(index));
        #[cfg(feature = "fault-injection")]
        crate::fault_injection::crash_if_requested(crate::fault_injection::Place::Probing, &file.input);
        let duration_ms = AudioSource::open(&file.input)
            .ok()
            .and_then(|s| s.duration_s())
            .map(|s| (s * 1000.0).round() as u64);
        ctx.checkpoint.files[index].duration_ms = duration_ms;
        ctx.progress.tick();
    }
}

fn batch_total(ctx: &StageContext<'_>) -> Option<f64> {
    let mut total = 0.0;
    for file in &ctx.checkpoint.files {
        match (&file.state, file.duration_ms) {
            (FileState::Done { audio_ms, .. }, _) => total += *audio_ms as f64 / 1000.0,
            (FileState::Failed { .. } | FileState::Skipped, _) => {}
            (_, Some(ms)) => total += ms as f64 / 1000.0,
            (_, None) => return None,
        }
    }
    Some(total)
}

/// Transcribes input `index` to its outputs; returns its length in ms.
fn transcribe_file(
    ctx: &mut StageContext<'_>,
    index: usize,
    transcriber: &mut Transcriber,
    batch: BatchPosition,
) -> Result<u64, StageError> {
    let input = ctx.input(index).to_owned();
    tracing::info!("file {} started: {}", index + 1, input.display());
    ctx.stage(Stage::Opening, Some(index));
    #[cfg(feature = "fault-injection")]
    crate::fault_injection::crash_if_requested(crate::fault_injection::Place::Opening, &input);
    let file = castmill_audio::open_input(&input).map_err(unreadable)?;
    let fingerprint = Fingerprint::of_file(&file).map_err(|e| unreadable(DecodeError::from_io(&e)))?;
    let (mut journal, load) = open_journal(ctx, index, fingerprint)?;

    let entry = &mut ctx.checkpoint.files[index];
    if entry.state != FileState::InProgress || entry.fingerprint != Some(fingerprint) {
        entry.state = FileState::InProgress;
        entry.fingerprint = Some(fingerprint);
        ctx.checkpoint.commit().map_err(|e| Failure::unsaved(describe(&e)))?;
    }

    let mut source = AudioSource::from_file(file, &input).map_err(unreadable)?;
    let file_total_s = source.duration_s();
    ctx.stage(Stage::Transcribing, Some(index));
    #[cfg(feature = "fault-injection")]
    crate::fault_injection::crash_if_requested(crate::fault_injection::Place::Transcribing, &input);
    #[cfg(feature = "fault-injection")]
    crate::fault_injection::spin_if_requested(&input);
    #[cfg(feature = "fault-injection")]
    crate::fault_injection::hog_if_requested(&input);
    #[cfg(feature = "fault-injection")]
    crate::fault_injection::leak_if_requested(&input);

    let report = |done_samples: u64| {
        let file_done_s = done_samples as f64 / SAMPLE_RATE as f64;
        WorkerEvent::Progress {
            file_index: index,
            file_done_s,
            file_total_s,
            batch_done_s: batch.done_before_s + file_done_s,
            batch_total_s: batch.total_s,
        }
    };
    let mut previous: Option<Segment> = load.segments.last().cloned();
    let mut windower = Windower::new(load.committed_samples);
    let mut chunk = Vec::with_capacity(SAMPLE_RATE as usize);
    let mut at_end = false;
    let mut total_samples: u64 = 0;
    if load.committed_samples > 0 {
        ctx.notice(
            Some(index),
            format!(
                "resuming {} at {:.1} s ({} segments already committed)",
                input.display(),
                load.committed_samples as f64 / SAMPLE_RATE as f64,
                load.segments.len()
            ),
        );
        ctx.emit(&report(load.committed_samples));
    }

    loop {
        while !at_end && windower.next_window(false).is_none() {
            chunk.clear();
            at_end = !source.next_chunk(&mut chunk).map_err(unreadable)?;
            total_samples += chunk.len() as u64;
            windower.push(&chunk);
            ctx.progress.tick();
            // Decoding a long stretch that was already transcribed still honours pause/stop.
            ctx.pause_point()?;
        }
        let Some(window) = windower.next_window(at_end) else {
            break;
        };
        let start = window.start_sample;
        let silent = crate::windows::is_silent(window.samples);
        // How much of the window is done: all of it, or up to where whisper stopped.
        let (segments, covered) = loop {
            ctx.pause_point()?;
            if silent {
                break (Vec::new(), window.samples.len());
            }
            let text = transcriber.transcribe(window.samples, start);
            #[cfg(feature = "fault-injection")]
            let text = text.map(|mut text| {
                crate::fault_injection::skip_speech_if_requested(&input, start, &mut text.segments);
                text
            });
            let text = text.and_then(|text| coverage_guard::guard(transcriber, window.samples, start, text));
            match text {
                Ok(text) => break (text.segments, text.covered),
                // Abandoned for a pause or stop: the window is redone after resuming.
                Err(TranscribeError::Interrupted) => continue,
                Err(e) => return Err(Failure::of_input(describe(&e)).into()),
            }
        };
        let segments = repetition::guard(segments, previous.as_ref());
        let end = start + covered as u64;
        journal
            .commit_window(&segments, end)
            .map_err(|e| Failure::unsaved(format!("cannot save progress: {}", describe(&e))))?;
        for segment in &segments {
            ctx.emit(&WorkerEvent::Segment {
                file_index: index,
                segment: segment.clone(),
            });
        }
        if let Some(last) = segments.last() {
            previous = Some(last.clone());
        }
        windower.consume(covered);
        ctx.progress.tick();
        ctx.emit(&report(end));
        stray_write_for_tests();
    }

    if total_samples == 0 {
        return Err(Failure::of_input("contains no audio samples").into());
    }
    finish_file(ctx, index, &input, total_samples)
}

fn finish_file(ctx: &mut StageContext<'_>, index: usize, input: &Path, total_samples: u64) -> Result<u64, StageError> {
    ctx.stage(Stage::WritingOutputs, Some(index));
    // Outputs come from the journal as stored, so a resumed run writes the very same bytes.
    let segments = committed_segments(ctx.folder, index).map_err(|e| Failure::unsaved(describe(&e)))?;
    let audio_ms = total_samples * 1000 / SAMPLE_RATE as u64;
    // The folder may have been removed mid-batch; a failure here shows up in the write below.
    let _ = std::fs::create_dir_all(&ctx.spec.output_dir);
    let written = outputs::write_all(
        &ctx.spec.output_dir,
        &ctx.stems[index],
        &ctx.spec.options.formats,
        &outputs::Transcript {
            input,
            segments: &segments,
            audio_ms,
            speakers: None,
        },
    )
    .map_err(|e| Failure::unsaved(e.to_string()))?;
    ctx.progress.tick();
    ctx.checkpoint.files[index].state = FileState::Done {
        outputs: written.clone(),
        audio_ms,
    };
    ctx.checkpoint.commit().map_err(|e| Failure::unsaved(describe(&e)))?;
    tracing::info!(
        "file {} finished: {} ({:.1} s of audio)",
        index + 1,
        input.display(),
        audio_ms as f64 / 1000.0
    );
    ctx.emit(&WorkerEvent::FileCompleted {
        file_index: index,
        input: input.display().to_string(),
        outputs: written.iter().map(|p| p.display().to_string()).collect(),
        audio_s: audio_ms as f64 / 1000.0,
    });
    Ok(audio_ms)
}

/// The file's journal: resumed when it belongs to this exact input, started over otherwise.
fn open_journal(
    ctx: &StageContext<'_>,
    index: usize,
    fingerprint: Fingerprint,
) -> Result<(shared_ipc::Journal, JournalLoad), Failure> {
    let path = ctx.folder.journal(index);
    let input = ctx.input(index);
    match shared_ipc::Journal::open(&path) {
        Ok(Some((journal, load))) if load.fingerprint == Some(fingerprint) => {
            if load.dropped_torn_line || load.dropped_uncommitted > 0 {
                tracing::info!("journal {}: dropped an unfinished tail", path.display());
            }
            return Ok((journal, load));
        }
        Ok(Some(_)) => ctx.notice(
            Some(index),
            format!(
                "{} changed since the last run; transcribing it again from the start",
                input.display()
            ),
        ),
        Ok(None) => {}
        Err(JournalError::Corrupt { .. }) => ctx.notice(
            Some(index),
            format!(
                "progress record for {} is damaged; transcribing it again from the start",
                input.display()
            ),
        ),
        Err(e) => return Err(Failure::unsaved(format!("cannot read progress: {}", describe(&e)))),
    }
    let journal = shared_ipc::Journal::create(&path, fingerprint)
        .map_err(|e| Failure::unsaved(format!("cannot save progress: {}", describe(&e))))?;
    Ok((
        journal,
        JournalLoad {
            fingerprint: Some(fingerprint),
            ..Default::default()
        },
    ))
}

/// `CASTMILL_TEST_STRAY_STDOUT` makes the worker write to fd 1 after each window, the way a
/// chatty native library would; the end-to-end tests use it to prove the protocol is safe.
fn stray_write_for_tests() {
    if let Some(text) = std::env::var_os("CASTMILL_TEST_STRAY_STDOUT") {
        crate::stdout_guard::stray_write_to_fd1(&format!("{}\n", text.to_string_lossy()));
    }
}
