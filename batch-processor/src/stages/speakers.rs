//! The speakers stage: per transcribed file, who speaks when, found in its audio (decoded
//! again, 10 s at a time, never held whole), kept in the job folder's speaker record and
//! written into every output. Committed on its own, so a crash here never transcribes again,
//! and the outputs are rendered from the committed transcript and the record, so a resumed
//! run writes the same bytes as an uninterrupted one.

use castmill_audio::{AudioSource, DecodeError};
use castmill_speakers::clustering::SpeakerCount;
use castmill_speakers::diarize::{Diarization, DiarizeOptions, Diarizer, SAME_VOICE};
use castmill_speakers::recognition::{SAME_PERSON, recognise, voice_centre};
use castmill_speakers::segmentation::CHUNK_SAMPLES;
use shared_ipc::error_chain::describe;
use shared_ipc::fingerprint::Fingerprint;
use shared_ipc::speaker_record::{SPEAKER_RECORD_VERSION, Speaker, SpeakerRecord, SpeakerTurn, default_label};
use shared_ipc::{FileState, KnownVoice, SpeakerOptions, Stage, StageState, TranscribeOptions, WorkerEvent};

use crate::model_host::{ModelHost, SpeakerNetworks};
use crate::outputs;
use crate::stage::context::{JobStage, StageContext};
use crate::stage::outcome::{Failure, Halt, StageError};
use crate::stage::plain_io::WriteError;
use crate::stage::transcript::spoken_segments;

pub struct Speakers;

impl JobStage for Speakers {
    fn wanted(&self, options: &TranscribeOptions) -> bool {
        options.speakers.enabled
    }

    fn run(&self, ctx: &mut StageContext<'_>, models: &mut ModelHost<'_>) -> Result<(), Halt> {
        for index in 0..ctx.checkpoint.files.len() {
            let file = &ctx.checkpoint.files[index];
            let FileState::Done { audio_ms, .. } = file.state else {
                continue;
            };
            if file.speakers != StageState::Pending {
                continue;
            }
            ctx.pause_point()?;
            ctx.stage(Stage::FindingSpeakers, Some(index));
            let networks = match models.speaker_networks() {
                Ok(n) => n,
                Err(failed) => {
                    fail_all_pending(ctx, &failed.reason());
                    return Ok(());
                }
            };
            let outcome = find_speakers(ctx, networks, index, audio_ms);
            ctx.checkpoint.files[index].speakers = match outcome {
                Ok(record) => {
                    let labels: Vec<String> = record.speakers.iter().map(|s| s.label.clone()).collect();
                    tracing::info!("file {}: {} speaker(s)", index + 1, labels.len());
                    ctx.emit(&WorkerEvent::SpeakersFound {
                        file_index: index,
                        speakers: labels,
                    });
                    StageState::Done {
                        outputs: vec![ctx.folder.speaker_record(index)],
                    }
                }
                Err(StageError::Failed(failure)) => {
                    tracing::warn!("file {}: no speakers: {}", index + 1, failure.reason);
                    ctx.emit(&WorkerEvent::SpeakersFailed {
                        file_index: Some(index),
                        reason: failure.told(ctx.input(index).display()),
                    });
                    failure.stage_state()
                }
                Err(StageError::Stop(stop)) => return Err(Halt::Stop(stop)),
                // Paused mid-file: the file is found again from its start when resumed.
                Err(StageError::Interrupted) => continue,
            };
            // The note shows the speakers: made again with them.
            if ctx.checkpoint.files[index].summary.is_done() {
                ctx.checkpoint.files[index].summary = StageState::Pending;
            }
            ctx.commit_or_tell();
        }
        Ok(())
    }
}

fn count(options: &SpeakerOptions) -> SpeakerCount {
    SpeakerCount {
        min: options.min.unwrap_or(1) as usize,
        max: options.max.map(|m| m as usize),
    }
}

/// One file: its audio diarized and the record saved — or the record kept where one is saved
/// already (a crash after saving it, or speakers renamed since) — then the outputs written
/// again with speakers.
fn find_speakers(
    ctx: &StageContext<'_>,
    networks: &SpeakerNetworks,
    index: usize,
    audio_ms: u64,
) -> Result<SpeakerRecord, StageError> {
    let path = ctx.folder.speaker_record(index);
    let record = match SpeakerRecord::load(&path).filter(|r| r.fits(audio_ms)) {
        Some(saved) => saved,
        None => {
            let record = diarize(ctx, networks, index, audio_ms)?;
            if let Some(dir) = path.parent() {
                shared_ipc::atomic_file::create_private_dir(dir)
                    .map_err(|e| Failure::unsaved(WriteError::new(dir, e).to_string()))?;
            }
            record
                .save(&path)
                .map_err(|e| Failure::unsaved(WriteError::new(&path, e).to_string()))?;
            record
        }
    };
    let segments = spoken_segments(ctx.folder, index, Some(&record)).map_err(|e| Failure::unsaved(describe(&e)))?;
    let _ = std::fs::create_dir_all(&ctx.spec.output_dir);
    outputs::write_all(
        &ctx.spec.output_dir,
        &ctx.stems[index],
        &ctx.spec.options.formats,
        &outputs::Transcript {
            input: ctx.input(index),
            segments: &segments,
            audio_ms,
            speakers: Some(&record),
        },
    )
    .map_err(|e| Failure::unsaved(e.to_string()))?;
    ctx.progress.tick();
    Ok(record)
}

/// Who speaks when in input `index`, its voices named where the job knows them.
fn diarize(
    ctx: &StageContext<'_>,
    networks: &SpeakerNetworks,
    index: usize,
    audio_ms: u64,
) -> Result<SpeakerRecord, StageError> {
    let input = ctx.input(index).to_owned();
    let unreadable = |e: DecodeError| Failure::of_input(e.to_string());
    let file = castmill_audio::open_input(&input).map_err(unreadable)?;
    let fingerprint = Fingerprint::of_file(&file).map_err(|e| unreadable(DecodeError::from_io(&e)))?;
    if ctx.checkpoint.files[index]
        .fingerprint
        .is_some_and(|f| f != fingerprint)
    {
        return Err(
            Failure::of_input("it changed after it was transcribed; transcribe it again to find its speakers").into(),
        );
    }
    let mut source = AudioSource::from_file(file, &input).map_err(unreadable)?;
    let mut diarizer = Diarizer::new(
        &networks.segmentation,
        &networks.encoder,
        DiarizeOptions {
            count: count(&ctx.spec.options.speakers),
            threshold: SAME_VOICE,
        },
    );
    let mut pending: Vec<f32> = Vec::with_capacity(CHUNK_SAMPLES * 2);
    let mut chunk = Vec::new();
    let mut at_end = false;
    while !at_end {
        chunk.clear();
        at_end = !source.next_chunk(&mut chunk).map_err(unreadable)?;
        pending.extend_from_slice(&chunk);
        while pending.len() >= CHUNK_SAMPLES || (at_end && !pending.is_empty()) {
            let take = pending.len().min(CHUNK_SAMPLES);
            diarizer
                .push_chunk(&pending[..take])
                .map_err(|e| Failure::of_input(describe(&e)))?;
            pending.drain(..take);
            ctx.progress.tick();
            ctx.pause_point()?;
        }
    }
    let found = diarizer.finish();
    if found.speakers == 0 {
        tracing::info!(
            "file {}: no stretch of speech long enough to tell voices apart; one speaker",
            index + 1
        );
    }
    let mut record = record_of(found, audio_ms);
    name_known_voices(&mut record, &ctx.spec.known_voices);
    Ok(record)
}

/// Gives each speaker whose voice the library knows that voice's name.
fn name_known_voices(record: &mut SpeakerRecord, known: &[KnownVoice]) {
    let centres: Vec<Vec<f32>> = known.iter().map(|v| voice_centre(&v.voiceprints)).collect();
    let prints: Vec<Vec<f32>> = record.speakers.iter().map(|s| s.voiceprint.clone()).collect();
    for (speaker, voice) in record
        .speakers
        .iter_mut()
        .zip(recognise(&prints, &centres, SAME_PERSON))
    {
        if let Some(v) = voice {
            speaker.label = known[v].name.clone();
        }
    }
}

/// The diarization as it is kept: labelled speakers with their talk time, and their turns.
/// Audio with no stretch long enough for a voiceprint is one speaker throughout.
fn record_of(found: Diarization, audio_ms: u64) -> SpeakerRecord {
    if found.speakers == 0 {
        return SpeakerRecord {
            format_version: SPEAKER_RECORD_VERSION,
            speakers: vec![Speaker {
                label: default_label(0),
                talk_ms: audio_ms,
                voiceprint: Vec::new(),
            }],
            turns: vec![SpeakerTurn {
                start_ms: 0,
                end_ms: audio_ms,
                speaker: 0,
            }],
        };
    }
    let mut talk = vec![0u64; found.speakers];
    for t in &found.turns {
        talk[t.speaker] += t.end_ms - t.start_ms;
    }
    SpeakerRecord {
        format_version: SPEAKER_RECORD_VERSION,
        speakers: (0..found.speakers)
            .map(|s| Speaker {
                label: default_label(s),
                talk_ms: talk[s],
                voiceprint: found.voiceprints.get(s).cloned().unwrap_or_default(),
            })
            .collect(),
        turns: found
            .turns
            .iter()
            .map(|t| SpeakerTurn {
                start_ms: t.start_ms,
                end_ms: t.end_ms,
                speaker: t.speaker,
            })
            .collect(),
    }
}

fn fail_all_pending(ctx: &mut StageContext<'_>, reason: &str) {
    ctx.emit(&WorkerEvent::SpeakersFailed {
        file_index: None,
        reason: format!("speakers were not found; the transcripts are written without them: {reason}"),
    });
    for file in &mut ctx.checkpoint.files {
        if matches!(file.state, FileState::Done { .. }) && file.speakers == StageState::Pending {
            file.speakers = StageState::failed(reason);
        }
    }
    ctx.commit_or_tell();
}
