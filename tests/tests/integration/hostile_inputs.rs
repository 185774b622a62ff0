//! The hostile-input corpus (castmill_e2e::hostile) end to end through `castmill --headless`:
//! every bad file fails alone with a reason naming it and its cause, every good one is
//! transcribed, the batch finishes, nothing escapes the output folder, nothing panics and
//! nothing hangs.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use castmill_e2e::files_under;
use castmill_e2e::headless::{DataDir, json_events};
use castmill_e2e::hostile::{self, Expect};
use castmill_e2e::tmpfs::Tmpfs;
use castmill_e2e::worker::one_model_at_a_time;
use shared_ipc::{JobFolder, WorkerEvent};

fn assert_no_panic(data: &DataDir, stderr: &[u8]) {
    let stderr = String::from_utf8_lossy(stderr);
    assert!(!stderr.contains("panicked"), "castmill panicked: {stderr}");
    for job in data.jobs() {
        let log = std::fs::read_to_string(job.join("worker.log")).unwrap_or_default();
        assert!(!log.contains("panicked"), "the worker panicked: {log}");
    }
}

#[test]
fn every_hostile_input_gets_its_outcome_and_the_batch_finishes() {
    let _guard = one_model_at_a_time();
    let data = DataDir::with_model();
    let media = tempfile::tempdir().expect("tempdir");
    let inputs = media.path().join("inputs");
    std::fs::create_dir(&inputs).expect("mkdir");
    let cases = hostile::corpus(&inputs);
    let folder = hostile::empty_folder_named_like_audio(&inputs);
    let before = files_under(&inputs);
    let out = media.path().join("out");

    let mut cmd = data.command();
    cmd.args(["--headless", "--json", "--out"])
        .arg(&out)
        .arg("--")
        .args(cases.iter().map(|c| &c.path))
        .arg(&folder)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    hostile::without_dac_override(&mut cmd);
    let output = cmd.output().expect("run castmill");
    assert_no_panic(&data, &output.stderr);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "some files failed: {stderr}");
    let events = json_events(&output.stdout);
    assert!(
        stderr.contains(&format!("skipped: folder {} has no audio files", folder.display())),
        "{stderr}"
    );

    let mut failed_count = 0;
    for (index, case) in cases.iter().enumerate() {
        let shown = case.path.display().to_string();
        let completed = events.iter().find_map(|e| match e {
            WorkerEvent::FileCompleted {
                file_index, outputs, ..
            } if *file_index == index => Some(outputs.clone()),
            _ => None,
        });
        match (&case.expect, completed, failure_of(&events, index)) {
            (Expect::Fails(cause), None, Some(reason)) => {
                eprintln!("{}: {reason}", case.what);
                failed_count += 1;
                assert!(
                    reason.contains(&shown),
                    "{}: the reason does not name the file: {reason}",
                    case.what
                );
                assert!(
                    reason.contains(cause),
                    "{}: expected {cause:?} in {reason:?}",
                    case.what
                );
            }
            (Expect::Fails(_), _, _) => panic!("{} ({shown}) should have failed", case.what),
            (expect, Some(outputs), None) => {
                let txt = outputs.iter().find(|o| o.ends_with(".txt")).expect("a .txt output");
                assert!(Path::new(txt).starts_with(&out), "{txt} is outside {}", out.display());
                let text = std::fs::read_to_string(txt).expect("read transcript").to_lowercase();
                match expect {
                    Expect::Words(words) => {
                        for word in *words {
                            assert!(text.contains(word), "{}: {word:?} not in {text:?}", case.what);
                        }
                    }
                    Expect::NoWords => assert!(text.trim().is_empty(), "{}: invented {text:?}", case.what),
                    _ => {}
                }
            }
            (_, completed, failed) => panic!("{} ({shown}): completed {completed:?}, failed {failed:?}", case.what),
        }
    }
    let done = cases.len() - failed_count;
    assert!(
        events
            .iter()
            .any(|e| matches!(e, WorkerEvent::Finished { files_done, files_failed }
            if *files_done == done && *files_failed == failed_count)),
        "{events:#?}"
    );
    eprintln!(
        "{} cases: {done} transcribed, {failed_count} failed as expected",
        cases.len()
    );

    // Names are made safe, and one stem twice gets a second name, not an overwrite.
    for name in [
        "with  two spaces.txt",
        "it's \"quoted\" `too`.txt",
        "line_break.txt",
        "émission Ünïcødé 日本語 🎙.txt",
        "-rf --help.txt",
        "astronomy.txt",
        "astronomy (2).txt",
        "Map of Content.md",
    ] {
        assert!(out.join(name).is_file(), "{name} missing from the output folder");
    }
    // Nothing was written anywhere but the output folder: the inputs' folder is as it was.
    assert_eq!(files_under(&inputs), before);
    // Castmill's own records of the folder (names, episodes) are in `.castmill` alone.
    for file in files_under(&out) {
        let own = file.starts_with(out.join(".castmill"));
        assert!(
            own || file.parent() == Some(out.as_path()),
            "{} is in a subfolder",
            file.display()
        );
    }
}

fn completed_inputs(events: &[WorkerEvent]) -> Vec<usize> {
    events
        .iter()
        .filter_map(|e| match e {
            WorkerEvent::FileCompleted { file_index, .. } => Some(*file_index),
            _ => None,
        })
        .collect()
}

fn failure_of(events: &[WorkerEvent], index: usize) -> Option<String> {
    events.iter().find_map(|e| match e {
        WorkerEvent::FileFailed { file_index, reason, .. } if *file_index == index => Some(reason.clone()),
        _ => None,
    })
}

/// `castmill jobs resume ID --json`, which must finish every file without panicking;
/// returns its events.
fn resume_to_the_end(data: &DataDir, job: &JobFolder) -> Vec<WorkerEvent> {
    let resumed = data.run(&["jobs", "resume", &job.id(), "--json"]);
    assert_no_panic(data, &resumed.stderr);
    assert_eq!(
        resumed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    json_events(&resumed.stdout)
}

/// Copies a clip under a new name into `dir`.
fn copy_clip(dir: &Path, clip: &str, ext: &str, name: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::copy(castmill_e2e::fixtures::clip(clip, ext), &path).expect("copy");
    path
}

#[test]
fn files_renamed_or_deleted_mid_batch_fail_alone_and_the_rest_finish() {
    let _guard = one_model_at_a_time();
    let data = DataDir::whisper_only();
    let media = tempfile::tempdir().expect("tempdir");
    let long = castmill_e2e::fixtures::long_clip(media.path());
    let renamed = copy_clip(media.path(), "garden", "ogg", "renamed.ogg");
    let deleted = copy_clip(media.path(), "sourdough", "mp3", "deleted.mp3");
    let kept = copy_clip(media.path(), "bread", "flac", "kept.flac");
    let out = media.path().join("out");
    let inputs = [long, renamed.clone(), deleted.clone(), kept];
    // While the first file is being transcribed, the second is renamed and the third deleted.
    let (mut app, mut rest) = data.start_job(&inputs, &out, "\"type\":\"segment\"");
    std::fs::rename(&renamed, media.path().join("renamed later.ogg")).expect("rename");
    std::fs::remove_file(&deleted).expect("delete");
    let mut stdout = Vec::new();
    std::io::Read::read_to_end(&mut rest, &mut stdout).expect("read events");
    let status = app.wait().expect("wait");
    let events = json_events(&stdout);
    assert_eq!(status.code(), Some(1), "{events:#?}");
    assert_eq!(completed_inputs(&events), vec![0, 3]);
    for (index, path) in [(1, &renamed), (2, &deleted)] {
        let reason = failure_of(&events, index).expect("a failure");
        assert!(
            reason.contains(&path.display().to_string()) && reason.contains("file not found"),
            "{reason}"
        );
    }
    assert!(
        std::fs::read_to_string(out.join("kept.txt"))
            .expect("kept")
            .contains("flour")
    );
    assert_no_panic(&data, &[]);
}

#[test]
fn a_file_replaced_between_a_crash_and_the_resume_is_transcribed_anew_and_finished_work_is_kept() {
    let _guard = one_model_at_a_time();
    let data = DataDir::whisper_only();
    let media = tempfile::tempdir().expect("tempdir");
    let first = copy_clip(media.path(), "bread", "ogg", "first.ogg");
    let second = castmill_e2e::fixtures::long_clip(media.path());
    let out = media.path().join("out");
    // The app is killed while the second file is half done.
    let job = data.interrupted_job(
        &[first.clone(), second.clone()],
        &out,
        "\"type\":\"segment\",\"file_index\":1",
    );
    let first_txt = out.join("first.txt");
    let finished = std::fs::read_to_string(&first_txt).expect("the first file was finished");
    let finished_at = std::fs::metadata(&first_txt).expect("stat").modified().expect("mtime");

    // Both inputs are replaced by different recordings before the resume.
    std::fs::copy(castmill_e2e::fixtures::clip("garden", "ogg"), &first).expect("replace");
    std::fs::remove_file(&second).expect("remove");
    castmill_e2e::fixtures::write_wav(&second, castmill_e2e::fixtures::clip_samples("astronomy"));

    let events = resume_to_the_end(&data, &job);
    // The half-done file is redone from its start, from the new recording, and the user is told.
    assert!(
        events
            .iter()
            .any(|e| matches!(e, WorkerEvent::Notice { file_index: Some(1), message }
        if message.contains("changed since the last run"))),
        "{events:#?}"
    );
    let redone = std::fs::read_to_string(out.join("long episode.txt"))
        .expect("redone")
        .to_lowercase();
    assert!(redone.contains("jupiter"), "{redone}");
    assert!(
        !redone.contains("flour"),
        "the old recording's words survived: {redone}"
    );
    // The finished file is not touched: its transcript is the one the user already had.
    assert_eq!(std::fs::read_to_string(&first_txt).expect("kept"), finished);
    assert_eq!(
        std::fs::metadata(&first_txt).expect("stat").modified().expect("mtime"),
        finished_at
    );
}

#[test]
fn an_output_folder_that_refuses_writes_fails_each_file_with_the_cause() {
    if Tmpfs::unavailable() {
        return;
    }
    let _guard = one_model_at_a_time();
    let data = DataDir::whisper_only();
    let media = tempfile::tempdir().expect("tempdir");
    let inputs = [
        copy_clip(media.path(), "bread", "ogg", "bread.ogg"),
        copy_clip(media.path(), "garden", "ogg", "garden.ogg"),
    ];
    let out = media.path().join("read-only");
    let mounted = Tmpfs::mount(&out, "ro,size=1m");
    let output = data
        .command()
        .args(["--headless", "--json", "--out"])
        .arg(&out)
        .args(&inputs)
        .output()
        .expect("run");
    drop(mounted);
    assert_no_panic(&data, &output.stderr);
    assert_eq!(output.status.code(), Some(1));
    let events = json_events(&output.stdout);
    for (index, input) in inputs.iter().enumerate() {
        let reason = failure_of(&events, index).expect("each file fails");
        assert!(reason.contains(&input.display().to_string()), "{reason}");
        assert!(
            reason.contains("cannot write") && reason.contains("Read-only file system"),
            "{reason}"
        );
    }
    // The transcripts were made and kept in the job: once the folder is writable again, the
    // job's bookkeeping says what was done.
    assert_eq!(data.jobs().len(), 1);
}

#[test]
fn a_nearly_full_output_folder_fails_what_does_not_fit_and_keeps_what_did() {
    if Tmpfs::unavailable() {
        return;
    }
    let _guard = one_model_at_a_time();
    let data = DataDir::whisper_only();
    let media = tempfile::tempdir().expect("tempdir");
    let small = copy_clip(media.path(), "bread", "ogg", "small.ogg");
    let long = castmill_e2e::fixtures::long_clip(media.path());
    let out = media.path().join("nearly full");
    let _mounted = Tmpfs::mount(&out, "size=128k");
    // Leave 48 KiB: room for a 30-second clip's four outputs (its JSON with every word's
    // time is 10 KB), not for a 93-second file's.
    let filler = out.join("other files");
    std::fs::write(&filler, vec![7u8; 80 * 1024]).expect("fill");
    let output = data
        .command()
        .args(["--headless", "--json", "--out"])
        .arg(&out)
        .args([&small, &long])
        .output()
        .expect("run");
    assert_no_panic(&data, &output.stderr);
    let events = json_events(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{events:#?}");
    assert_eq!(completed_inputs(&events), vec![0]);
    let reason = failure_of(&events, 1).expect("the long file fails");
    assert!(
        reason.contains("disk is full") && reason.contains(&long.display().to_string()),
        "{reason}"
    );
    // The small file's outputs are whole; the failed one left no temporary or torn files.
    let small_txt = std::fs::read_to_string(out.join("small.txt")).expect("small.txt");
    assert!(small_txt.contains("flour"));
    for name in ["small.srt", "small.vtt", "small.json"] {
        assert!(out.join(name).is_file(), "{name} missing");
    }
    for entry in std::fs::read_dir(&out).expect("list") {
        let path = entry.expect("entry").path();
        let name = path.file_name().expect("name").to_string_lossy().into_owned();
        assert!(
            !name.starts_with('.') || name == ".castmill",
            "a temporary file was left: {name}"
        );
        if name.ends_with(".json") {
            let bytes = std::fs::read(&path).expect("read");
            serde_json::from_slice::<serde_json::Value>(&bytes).unwrap_or_else(|e| panic!("{name} is torn: {e}"));
        }
    }

    // The unsaved file's transcript was kept: the job waits to be resumed, and once there
    // is room the resume writes it without losing anything.
    let list = data.run(&["jobs", "list"]);
    let listed = String::from_utf8_lossy(&list.stdout);
    assert!(listed.contains("could not be saved"), "{listed}");
    std::fs::remove_file(&filler).expect("make room");
    let resumed_events = resume_to_the_end(&data, &JobFolder::new(&data.jobs()[0]));
    assert!(
        !resumed_events.iter().any(|e| matches!(e, WorkerEvent::Segment { .. })),
        "the kept transcript was transcribed again"
    );
    let long_txt = std::fs::read_to_string(out.join("long episode.txt")).expect("written on resume");
    assert!(long_txt.to_lowercase().contains("jupiter"), "{long_txt}");
    assert_eq!(
        std::fs::read_to_string(out.join("small.txt")).expect("small.txt"),
        small_txt
    );
}

#[test]
fn a_missing_truncated_or_wrong_kind_model_is_one_clear_error_and_no_outputs() {
    let media = tempfile::tempdir().expect("tempdir");
    let input = copy_clip(media.path(), "bread", "ogg", "bread.ogg");
    let out = media.path().join("out");
    let whisper = std::fs::read(castmill_e2e::model_path()).expect("model");
    let ct2 = castmill_e2e::headless::ct2_model_dir().join("model.bin");
    let cases: [(&str, Option<Vec<u8>>, &str); 4] = [
        ("missing", None, "not installed"),
        ("truncated", Some(whisper[..whisper.len() / 3].to_vec()), "truncated"),
        (
            "an audio file",
            Some(std::fs::read(&input).expect("read")),
            "not a GGML whisper model",
        ),
        (
            "a faster-whisper model",
            Some(std::fs::read(&ct2).expect("read")),
            "not a GGML whisper model",
        ),
    ];
    for (what, bytes, cause) in cases {
        let data = DataDir::empty();
        std::fs::create_dir_all(data.path().join("models")).expect("mkdir");
        let model = data.path().join("models/suspect.bin");
        if let Some(bytes) = &bytes {
            std::fs::write(&model, bytes).expect("write model");
        }
        let output = data.run(&[
            "--headless",
            "--model",
            "suspect",
            "--out",
            out.to_str().expect("utf8"),
            input.to_str().expect("utf8"),
        ]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_no_panic(&data, &output.stderr);
        assert_ne!(output.status.code(), Some(0), "{what}: {stderr}");
        assert!(
            stderr.contains(&model.display().to_string()),
            "{what}: the error does not name the model: {stderr}"
        );
        assert!(stderr.contains(cause), "{what}: expected {cause:?} in {stderr}");
        assert_eq!(output.status.code(), Some(2), "{what}: {stderr}");
        assert!(
            data.jobs().is_empty(),
            "{what}: a job that can never run was left behind"
        );
        assert!(!out.exists(), "{what}: the output folder was made for nothing");
    }
}

/// A file whose name is not UTF-8 (a Latin-1 name from an old archive) is transcribed and
/// summarised like any other: its path is kept exactly in the job's records, its outputs get
/// a readable name, and no damaged job is left behind.
#[test]
fn a_file_name_that_is_not_utf8_is_transcribed_and_its_job_stays_readable() {
    use std::os::unix::ffi::OsStringExt;
    let _guard = one_model_at_a_time();
    let data = DataDir::with_model();
    let media = tempfile::tempdir().expect("tempdir");
    let name = std::ffi::OsString::from_vec(b"caf\xe9 episode.ogg".to_vec());
    let input = media.path().join(&name);
    std::fs::copy(castmill_e2e::fixtures::clip("bread", "ogg"), &input).expect("copy clip");
    let out = media.path().join("out");
    let output = data
        .command()
        .args(["--headless", "--json", "--out"])
        .arg(&out)
        .arg(&input)
        .output()
        .expect("run castmill");
    assert_no_panic(&data, &output.stderr);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let transcript = std::fs::read_to_string(out.join("caf\u{fffd} episode.txt")).expect("transcript");
    assert!(transcript.to_lowercase().contains("flour"), "{transcript}");
    assert!(out.join("caf\u{fffd} episode.md").is_file(), "its note");

    let listed = data.run(&["jobs", "list", "--json"]);
    let line = String::from_utf8_lossy(&listed.stdout);
    assert!(line.contains("\"state\":\"finished\""), "{line}");
    let folder = JobFolder::new(data.jobs().pop().expect("job"));
    let checkpoint = shared_ipc::Checkpoint::load(&folder.checkpoint())
        .expect("the checkpoint reads")
        .expect("exists");
    assert_eq!(checkpoint.files[0].input, input, "the path is kept byte for byte");
}
