//! Who speaks when: diarization error rate on the espeak-ng conversations (turns known from
//! how they were made) and on pyannote's real two-person telephone sample, the speakers
//! found against the truth, and what the speakers stage costs next to transcription.

use std::path::{Path, PathBuf};
use std::time::Instant;

use castmill_e2e::fixtures;

use crate::speaker_recognition;
use castmill_e2e::worker::{RunningWorker, TestJob};
use castmill_speakers::clustering::SpeakerCount;
use castmill_speakers::diarize::{Diarization, DiarizeOptions, Diarizer, SAME_VOICE};
use castmill_speakers::segmentation::{CHUNK_SAMPLES, SegmentationNet};
use castmill_speakers::voice_encoder::VoiceEncoder;
use castmill_speakers::weights::SpeakerWeights;
use shared_ipc::{Stage, WorkerEvent};

/// Reference boundaries ± this are not scored (the usual 0.25 s collar).
const COLLAR_S: f64 = 0.25;
/// Scoring resolution.
const FRAME_S: f64 = 0.01;

/// `(start s, end s, speaker)`.
type Turns = Vec<(f64, f64, usize)>;

/// An RTTM file's turns, speakers numbered by first appearance.
fn rttm_truth(path: &Path) -> Turns {
    let mut names: Vec<String> = Vec::new();
    std::fs::read_to_string(path)
        .expect("rttm")
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let (start, length, name) = (
                f.get(3)?.parse::<f64>().ok()?,
                f.get(4)?.parse::<f64>().ok()?,
                f.get(7)?,
            );
            let id = names.iter().position(|n| n == name).unwrap_or_else(|| {
                names.push((*name).to_owned());
                names.len() - 1
            });
            Some((start, start + length, id))
        })
        .collect()
}

/// pyannote's sample (30 s, two people on a telephone line), from the pyannote-audio wheel
/// that `scripts/bench.sh` unpacks into the cache.
fn pyannote_sample() -> Option<(PathBuf, PathBuf)> {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    let dir = cache.join("castmill/wheels/unpacked/pyannote/audio/sample");
    let (wav, rttm) = (dir.join("sample.wav"), dir.join("sample.rttm"));
    (wav.is_file() && rttm.is_file()).then_some((wav, rttm))
}

struct Networks {
    segmentation: SegmentationNet,
    encoder: VoiceEncoder,
}

fn diarize(nets: &Networks, samples: &[f32]) -> Diarization {
    let mut diarizer = Diarizer::new(
        &nets.segmentation,
        &nets.encoder,
        DiarizeOptions {
            count: SpeakerCount::AUTOMATIC,
            threshold: SAME_VOICE,
        },
    );
    for chunk in samples.chunks(CHUNK_SAMPLES) {
        diarizer.push_chunk(chunk).expect("diarize");
    }
    diarizer.finish()
}

/// Missed, false alarm and confusion over the reference's speech, after the best one-to-one
/// mapping of found speakers to true ones; frames near a true boundary are not scored.
struct Errors {
    missed: f64,
    false_alarm: f64,
    confusion: f64,
    speech: f64,
}

impl Errors {
    fn rate(&self) -> f64 {
        (self.missed + self.false_alarm + self.confusion) / self.speech.max(1e-9)
    }
}

/// The errors, and the best mapping (true speaker → found speaker).
fn score(truth: &Turns, found: &Diarization, duration_s: f64) -> (Errors, Vec<usize>) {
    let frames = (duration_s / FRAME_S).ceil() as usize;
    let true_count = truth.iter().map(|t| t.2 + 1).max().unwrap_or(0);
    let mut reference = vec![Vec::new(); frames];
    let mut scored = vec![true; frames];
    for &(start, end, speaker) in truth {
        let span = |from: f64, to: f64| frame(from).min(frames)..frame(to).min(frames);
        for speakers in &mut reference[span(start, end)] {
            speakers.push(speaker);
        }
        for edge in [start, end] {
            scored[span(edge - COLLAR_S, edge + COLLAR_S)].fill(false);
        }
    }
    let mut hypothesis: Vec<Option<usize>> = vec![None; frames];
    for t in &found.turns {
        for h in hypothesis
            .iter_mut()
            .take(frame(t.end_ms as f64 / 1000.0).min(frames))
            .skip(frame(t.start_ms as f64 / 1000.0))
        {
            *h = Some(t.speaker);
        }
    }
    // Frames where true speaker r and found speaker h coincide, for the mapping.
    let slots = true_count.max(found.speakers);
    let mut together = vec![vec![0usize; slots]; slots];
    for f in (0..frames).filter(|&f| scored[f]) {
        if let Some(h) = hypothesis[f] {
            for &r in &reference[f] {
                together[r][h] += 1;
            }
        }
    }
    let mapping = best_mapping(&together);
    let mut errors = Errors {
        missed: 0.0,
        false_alarm: 0.0,
        confusion: 0.0,
        speech: 0.0,
    };
    for f in (0..frames).filter(|&f| scored[f]) {
        let refs = &reference[f];
        let hyp = usize::from(hypothesis[f].is_some());
        errors.speech += refs.len() as f64;
        errors.missed += refs.len().saturating_sub(hyp) as f64;
        errors.false_alarm += hyp.saturating_sub(refs.len()) as f64;
        let correct = hypothesis[f].is_some_and(|h| refs.iter().any(|&r| mapping[r] == h));
        errors.confusion += (refs.len().min(hyp) - usize::from(correct)) as f64;
    }
    (errors, mapping)
}

fn frame(seconds: f64) -> usize {
    (seconds.max(0.0) / FRAME_S).round() as usize
}

/// The permutation `m` (true → found) with the most frames in common (at most 7 speakers
/// here, so every permutation is tried).
fn best_mapping(together: &[Vec<usize>]) -> Vec<usize> {
    let n = together.len();
    let mut order: Vec<usize> = (0..n).collect();
    let mut best = (0, order.clone());
    permute(&mut order, 0, &mut |p| {
        let total: usize = p.iter().enumerate().map(|(r, &h)| together[r][h]).sum();
        if total > best.0 {
            best = (total, p.to_vec());
        }
    });
    best.1
}

fn permute(items: &mut [usize], k: usize, visit: &mut dyn FnMut(&[usize])) {
    if k == items.len() {
        visit(items);
        return;
    }
    for i in k..items.len() {
        items.swap(k, i);
        permute(items, k + 1, visit);
        items.swap(k, i);
    }
}

fn samples_of(path: &Path) -> Vec<f32> {
    fixtures::wav_samples(path)
        .into_iter()
        .map(|s| s as f32 / 32768.0)
        .collect()
}

pub fn bench(dir: &Path) {
    println!("\n## Speakers (who speaks when)");
    let models = castmill_e2e::speaker_models();
    let read = |p: &Path| SpeakerWeights::read(p);
    let (Ok(seg), Ok(enc)) = (read(&models.segmentation), read(&models.voice_encoder)) else {
        println!("skipped: the speaker networks are not installed (run scripts/setup.sh --deps)");
        return;
    };
    let nets = Networks {
        segmentation: SegmentationNet::new(seg).expect("segmentation network"),
        encoder: VoiceEncoder::new(enc).expect("voice encoder"),
    };
    println!(
        "\nDiarization error rate = (missed + false alarm + confusion) / speech, best one-to-one speaker mapping, \
         {COLLAR_S} s collar; same-voice threshold {SAME_VOICE}; library call, one thread of work (candle may use both cores).\n"
    );
    println!(
        "| input | length | true speakers | found | missed | false alarm | confusion | DER | time | real-time factor |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let mut inputs: Vec<(String, PathBuf, Turns)> =
        ["one-voice", "two-voices", "three-voices", "four-voices", "six-voices"]
            .iter()
            .map(|name| {
                (
                    format!("espeak-ng {name}"),
                    fixtures::speakers_dir().join(format!("{name}.wav")),
                    fixtures::speaker_turns(name),
                )
            })
            .collect();
    match pyannote_sample() {
        Some((wav, rttm)) => inputs.push(("pyannote sample (real, telephone)".into(), wav, rttm_truth(&rttm))),
        None => println!("(pyannote's sample is not unpacked; scripts/bench.sh fetches it)\n"),
    }
    let mut conversations = Vec::new();
    for (name, wav, truth) in &inputs {
        let samples = samples_of(wav);
        let duration_s = samples.len() as f64 / 16_000.0;
        let started = Instant::now();
        let found = diarize(&nets, &samples);
        let seconds = started.elapsed().as_secs_f64();
        let (e, mapping) = score(truth, &found, duration_s);
        let true_count = truth.iter().map(|t| t.2 + 1).max().unwrap_or(0);
        let pct = |v: f64| format!("{:.1}%", v * 100.0 / e.speech.max(1e-9));
        println!(
            "| {name} | {duration_s:.1} s | {true_count} | {} | {} | {} | {} | **{:.1}%** | {seconds:.2} s | {:.3} |",
            found.speakers,
            pct(e.missed),
            pct(e.false_alarm),
            pct(e.confusion),
            e.rate() * 100.0,
            seconds / duration_s
        );
        if let Some(fixture) = name.strip_prefix("espeak-ng ") {
            conversations.push(speaker_recognition::Conversation::new(fixture, found, &mapping));
        }
    }
    speaker_recognition::bench(&conversations);
    stage_cost(dir);
}

/// The conversations joined (a second of silence between them), repeated to at least
/// `seconds` when given.
fn conversations(seconds: Option<f64>) -> Vec<i16> {
    let mut once: Vec<i16> = Vec::new();
    for name in ["two-voices", "three-voices", "four-voices", "six-voices"] {
        once.extend(fixtures::wav_samples(
            &fixtures::speakers_dir().join(format!("{name}.wav")),
        ));
        once.extend(std::iter::repeat_n(0i16, 16_000));
    }
    match seconds {
        None => once,
        Some(s) => once.iter().copied().cycle().take((s * 16_000.0) as usize).collect(),
    }
}

/// One worker run with speakers: each stage's time and the worker's peak RSS.
struct StageRun {
    transcription_s: f64,
    speakers_s: f64,
    peak_rss_mib: f64,
}

fn run_with_speakers(wav: PathBuf) -> Option<StageRun> {
    let job = TestJob::new(vec![wav]).with_speakers();
    let mut worker = RunningWorker::start(&job);
    let pid = worker.pid().as_raw() as u32;
    let mut peak = 0.0f64;
    let mut marks: Vec<(Instant, &'static str)> = Vec::new();
    loop {
        let event = worker.wait_for("the job's end", |e| {
            matches!(
                e,
                WorkerEvent::Stage {
                    stage: Stage::Transcribing | Stage::FindingSpeakers,
                    ..
                } | WorkerEvent::FileCompleted { .. }
                    | WorkerEvent::SpeakersFound { .. }
                    | WorkerEvent::Heartbeat { .. }
                    | WorkerEvent::Finished { .. }
            )
        });
        // The high-water mark, read while the worker lives (the last read is its peak).
        if let Some(p) = castmill_e2e::proc_stats::peak_rss_mib(pid) {
            peak = peak.max(p);
        }
        let mark = match event {
            WorkerEvent::Stage {
                stage: Stage::Transcribing,
                ..
            } => "transcribing",
            WorkerEvent::FileCompleted { .. } => "transcribed",
            WorkerEvent::Stage { .. } => "speakers",
            WorkerEvent::SpeakersFound { .. } => "found",
            WorkerEvent::Heartbeat { .. } => continue,
            _ => break,
        };
        marks.push((Instant::now(), mark));
    }
    let _ = worker.finish();
    let at = |name: &str| marks.iter().find(|m| m.1 == name).map(|m| m.0);
    let (t0, t1, s0, s1) = (at("transcribing")?, at("transcribed")?, at("speakers")?, at("found")?);
    Some(StageRun {
        transcription_s: (t1 - t0).as_secs_f64(),
        speakers_s: (s1 - s0).as_secs_f64(),
        peak_rss_mib: peak,
    })
}

/// The speakers stage's time against the transcription stage's, in the worker, on all the
/// conversations joined into one file.
fn stage_cost(dir: &Path) {
    let joined = dir.join("conversations.wav");
    let all = conversations(None);
    fixtures::write_wav(&joined, all.iter().copied());
    let Some(run) = run_with_speakers(joined) else {
        println!("\nstage cost: the worker did not report both stages");
        return;
    };
    println!(
        "\nStage cost in the worker (the four conversations joined, {:.0} s of audio, tiny.en, 2 threads): \
         transcription {:.2} s, speakers {:.2} s — **speakers / transcription {:.2}**.",
        all.len() as f64 / 16_000.0,
        run.transcription_s,
        run.speakers_s,
        run.speakers_s / run.transcription_s
    );
    long_files(dir);
}

/// The worker's peak RSS with speakers on long files (the conversations repeated; minutes
/// from `BENCH_SPEAKERS_RSS_MINUTES`, "10,240" by default): flat in length is the bar.
fn long_files(dir: &Path) {
    let minutes: Vec<u32> = std::env::var("BENCH_SPEAKERS_RSS_MINUTES")
        .unwrap_or_else(|_| "10,240".into())
        .split(',')
        .filter_map(|m| m.trim().parse().ok())
        .collect();
    println!("\n| long file with speakers | transcription | speakers | speakers / transcription | worker peak RSS |");
    println!("|---|---|---|---|---|");
    let mut peaks = Vec::new();
    for m in &minutes {
        let wav = dir.join(format!("conversations-{m}min.wav"));
        fixtures::write_wav(&wav, conversations(Some(*m as f64 * 60.0)));
        let run = run_with_speakers(wav.clone());
        let _ = std::fs::remove_file(&wav);
        let Some(run) = run else {
            println!("| {m} min | the worker did not report both stages | | | |");
            continue;
        };
        println!(
            "| {m} min | {:.1} s | {:.1} s | {:.2} | {:.1} MiB |",
            run.transcription_s,
            run.speakers_s,
            run.speakers_s / run.transcription_s,
            run.peak_rss_mib
        );
        peaks.push((*m, run.peak_rss_mib));
    }
    if let (Some(first), Some(last)) = (peaks.first(), peaks.last())
        && first.0 != last.0
    {
        println!(
            "\nPeak RSS with speakers, {}-minute / {}-minute: **{:.2}** (bar ≤ 1.1).",
            last.0,
            first.0,
            last.1 / first.1
        );
    }
}
