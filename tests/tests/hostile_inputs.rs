//! The hostile-input corpus (castmill_e2e::hostile) end to end through `castmill --headless`:
//! every bad file fails alone with a reason naming it and its cause, every good one is
//! transcribed, the batch finishes, nothing escapes the output folder, nothing panics and
//! nothing hangs.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use castmill_e2e::headless::DataDir;
use castmill_e2e::hostile::{self, Expect};
use castmill_e2e::worker::one_model_at_a_time;
use shared_ipc::WorkerEvent;

fn events_of(stdout: &[u8]) -> Vec<WorkerEvent> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not an event ({e}): {l}")))
        .collect()
}

/// Every file under `dir`, recursively (links not followed).
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("list") {
        let path = entry.expect("entry").path();
        if path.symlink_metadata().expect("stat").is_dir() {
            found.extend(files_under(&path));
        } else {
            found.push(path);
        }
    }
    found.sort();
    found
}

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
    let events = events_of(&output.stdout);
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
        let failed = events.iter().find_map(|e| match e {
            WorkerEvent::FileFailed { file_index, reason, .. } if *file_index == index => Some(reason.clone()),
            _ => None,
        });
        match (&case.expect, completed, failed) {
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
    for file in files_under(&out) {
        assert_eq!(
            file.parent(),
            Some(out.as_path()),
            "{} is in a subfolder",
            file.display()
        );
    }
}
