//! Every point where the worker writes (its checkpoint, journals, episode records, notes, Map
//! of Content and transcripts: each write, fsync, rename and folder fsync) is made to fail, to
//! be killed before it, and for writes to be torn half way; after each, resuming the job
//! gives exactly the outputs of an uninterrupted run.
//!
//! The points are not listed by hand: an uninterrupted run traces them
//! (`CASTMILL_FAULT_TRACE`), and each distinct point is hit at its first occurrence, the
//! checkpoint's also at its last (the save that ends the job); `CASTMILL_FAULT_ALL=1` hits
//! every occurrence (249 scenarios, about 17 minutes on 2 cores). One test per kind of file written, so each
//! stays short. Needs a worker built with `batch-processor/fault-injection`.
#![cfg(feature = "fault-injection")]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use castmill_e2e::worker::{RunningWorker, TestJob, events, one_model_at_a_time};
use castmill_e2e::{fixtures, output_files};
use shared_ipc::{Checkpoint, FileState, WorkerEvent, exit_code};

/// Two short clips (one window each), so each scenario costs seconds.
fn inputs(dir: &Path) -> Vec<PathBuf> {
    ["bread", "garden"]
        .iter()
        .map(|name| {
            let path = dir.join(format!("{name}.wav"));
            fixtures::write_wav(&path, fixtures::clip_samples(name).into_iter().take(16_000 * 8));
            path
        })
        .collect()
}

/// The output folder's files and their bytes. The note's processing date is the one thing
/// that may differ between runs (across midnight), so it is blanked.
fn outputs(out: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = output_files(out);
    for (name, bytes) in files.iter_mut().filter(|(name, _)| name.ends_with(".md")) {
        let text = String::from_utf8(std::mem::take(bytes)).unwrap_or_else(|e| panic!("{name}: {e}"));
        *bytes = text
            .lines()
            .map(|l| if l.starts_with("processed:") { "processed:" } else { l })
            .collect::<Vec<_>>()
            .join("\n")
            .into_bytes();
    }
    files
}

fn run(job: &TestJob, env: &[(&str, &str)]) -> (Option<i32>, Vec<WorkerEvent>) {
    let (status, lines) = RunningWorker::start_with_env(job, env).finish();
    (status.code(), events(&lines))
}

/// What the worker writes, as `shared_ipc::FileKind::name` names it.
const KINDS: [&str; 6] = ["checkpoint", "journal", "output", "record", "note", "map"];

/// Runs every scenario at the points that write `kind`.
fn faults_at_points_writing(kind: &str) {
    let _guard = one_model_at_a_time();
    let media = tempfile::tempdir().expect("tempdir");
    let baseline = TestJob::with_knowledge(inputs(media.path()));
    let trace = media.path().join("trace");
    let (code, _) = run(&baseline, &[("CASTMILL_FAULT_TRACE", trace.to_str().expect("utf8"))]);
    assert_eq!(code, Some(exit_code::FINISHED));
    let expected = outputs(&baseline.out);
    assert!(expected.contains_key("Map of Content.md") && expected.contains_key("bread.md"));

    let mut occurrences: BTreeMap<String, u32> = BTreeMap::new();
    for point in std::fs::read_to_string(&trace).expect("trace").lines() {
        *occurrences.entry(point.to_owned()).or_default() += 1;
    }
    let every = std::env::var_os("CASTMILL_FAULT_ALL").is_some();
    let mut scenarios = Vec::new();
    for (point, &count) in occurrences.iter().filter(|(p, _)| p.ends_with(&format!(":{kind}"))) {
        let mut nths: Vec<u32> = match (every, kind) {
            (true, _) => (1..=count).collect(),
            (false, "checkpoint") => vec![1, count],
            (false, _) => vec![1],
        };
        nths.dedup();
        for nth in nths {
            let actions: &[&str] = if point.starts_with("write:") {
                &["fail", "kill", "torn"]
            } else {
                &["fail", "kill"]
            };
            for action in actions {
                scenarios.push(format!("{point}#{nth}={action}"));
            }
        }
    }
    eprintln!(
        "{kind}: {} of the run's {} distinct points ({} hits in all), {} scenarios",
        occurrences.keys().filter(|p| p.ends_with(&format!(":{kind}"))).count(),
        occurrences.len(),
        occurrences.values().sum::<u32>(),
        scenarios.len()
    );
    assert!(!scenarios.is_empty(), "no {kind} point traced: {occurrences:?}");
    // Every traced point belongs to one of the tests below, so a new kind cannot go untested.
    for point in occurrences.keys() {
        let traced_kind = point.split_once(':').map(|(_, k)| k).unwrap_or("");
        assert!(KINDS.contains(&traced_kind), "{point} is not covered by a test");
    }

    for scenario in &scenarios {
        let job = baseline.twin();
        let (code, first_events) = run(&job, &[("CASTMILL_FAULT_AT", scenario)]);
        if scenario.ends_with("=fail") {
            // A failed write is reported, naming what could not be written, and is never a
            // crash.
            assert!(code.is_some(), "{scenario}: the worker died");
            assert!(
                first_events.iter().any(|e| matches!(e,
                    WorkerEvent::FileFailed { reason, .. } | WorkerEvent::KnowledgeFailed { reason, .. }
                        if reason.contains("Input/output error"))
                    || matches!(e, WorkerEvent::Error { message, .. } | WorkerEvent::Notice { message, .. }
                        if message.contains("Input/output error"))),
                "{scenario}: the failure was not reported: {first_events:#?}"
            );
        } else {
            assert_eq!(code, None, "{scenario}: the worker was not killed");
        }
        // Resume until the job says it is finished (a failure to save is retried by the
        // next run; a kill leaves a state the next run picks up).
        let (code, resumed) = run(&job, &[]);
        assert_eq!(code, Some(exit_code::FINISHED), "{scenario}: resume: {resumed:#?}");
        let checkpoint = Checkpoint::load(&job.folder.checkpoint())
            .expect("checkpoint readable")
            .expect("checkpoint written");
        assert!(
            checkpoint
                .files
                .iter()
                .all(|f| matches!(f.state, FileState::Done { .. }) && f.summary.is_done())
                && checkpoint.map_of_content.is_done(),
            "{scenario}: not everything is done after the resume: {checkpoint:#?}"
        );
        let got = outputs(&job.out);
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>(),
            "{scenario}: different files (or a temporary file left behind)"
        );
        for (name, bytes) in &expected {
            assert!(
                got[name] == *bytes,
                "{scenario}: {name} differs from the uninterrupted run"
            );
        }
    }
    eprintln!(
        "{kind}: {} scenarios resumed to the uninterrupted outputs",
        scenarios.len()
    );
}

#[test]
fn faults_writing_the_checkpoint_resume_to_the_uninterrupted_outputs() {
    faults_at_points_writing("checkpoint");
}

#[test]
fn faults_writing_a_journal_resume_to_the_uninterrupted_outputs() {
    faults_at_points_writing("journal");
}

#[test]
fn faults_writing_a_transcript_resume_to_the_uninterrupted_outputs() {
    faults_at_points_writing("output");
}

#[test]
fn faults_writing_an_episode_record_resume_to_the_uninterrupted_outputs() {
    faults_at_points_writing("record");
}

#[test]
fn faults_writing_a_note_resume_to_the_uninterrupted_outputs() {
    faults_at_points_writing("note");
}

#[test]
fn faults_writing_the_map_of_content_resume_to_the_uninterrupted_outputs() {
    faults_at_points_writing("map");
}
