//! The security pass, as checks (docs/SECURITY.md says what each guarantee rests on): no
//! shell anywhere, private job folders, and a job folder's checkpoint cannot send the worker
//! to other files. Delete's refusal to follow links is checked in supervisor.rs.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use castmill_e2e::headless::DataDir;
use castmill_e2e::worker::{TestJob, one_model_at_a_time, run_to_end};
use castmill_e2e::{files_under, fixtures};
use shared_ipc::{Checkpoint, FileState, WorkerEvent, exit_code};

/// The production crates' source files.
fn production_sources() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let found: Vec<PathBuf> = ["app", "batch-processor", "shared-ipc", "audio", "ct2-reader"]
        .iter()
        .flat_map(|krate| files_under(&root.join(krate).join("src")))
        .filter(|path| path.extension().is_some_and(|e| e == "rs"))
        .collect();
    assert!(found.len() > 50, "found only {} source files", found.len());
    found
}

#[test]
fn every_child_process_is_a_known_program_with_an_argument_vector_never_a_shell() {
    // What each `Command::new` may start: the worker binary, or the desktop's opener.
    // `opener` is the desktop's opener, `OPENER` (through `default_opener`).
    let allowed = ["&worker", "worker", "&program", "opener"];
    let mut spawns = Vec::new();
    for file in production_sources() {
        let text = std::fs::read_to_string(&file).expect("read source");
        for (at, _) in text.match_indices("Command::new(") {
            let rest = &text[at + "Command::new(".len()..];
            let program = rest[..rest.find(')').expect("closing paren")].trim().to_owned();
            assert!(
                allowed.contains(&program.as_str()),
                "{}: starts {program}, which is not on the list",
                file.display()
            );
            spawns.push(program);
        }
        for shell in ["\"sh\"", "\"bash\"", "\"/bin/sh\"", "\"-c\""] {
            assert!(!text.contains(shell), "{} mentions {shell}", file.display());
        }
        if text.contains("const OPENER") {
            assert!(text.contains("const OPENER: &str = \"xdg-open\""), "{}", file.display());
        }
    }
    assert_eq!(spawns.len(), 4, "{spawns:?}");
}

/// Every folder under `dir` is 0700 and every file 0600.
fn assert_private(dir: &Path) {
    for entry in std::fs::read_dir(dir).expect("list") {
        let path = entry.expect("entry").path();
        let meta = std::fs::symlink_metadata(&path).expect("stat");
        let mode = meta.permissions().mode() & 0o777;
        if meta.is_dir() {
            assert_eq!(mode, 0o700, "{} is {mode:o}", path.display());
            assert_private(&path);
        } else {
            assert_eq!(mode, 0o600, "{} is {mode:o}", path.display());
        }
    }
}

#[test]
fn job_folders_logs_journals_and_records_are_private() {
    let _guard = one_model_at_a_time();
    let data = DataDir::with_model();
    let media = tempfile::tempdir().expect("tempdir");
    let out = media.path().join("out");
    let clip = fixtures::clip("bread", "ogg");
    let output = data.run(&[
        "--headless",
        "--out",
        out.to_str().expect("utf8"),
        clip.to_str().expect("utf8"),
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let jobs = data.path().join("jobs");
    assert_eq!(
        std::fs::metadata(&jobs).expect("jobs").permissions().mode() & 0o777,
        0o700
    );
    let job = &data.jobs()[0];
    for part in [
        "job.json",
        "checkpoint",
        "worker.log",
        "journals/0.journal",
        "knowledge/0.json",
    ] {
        assert!(job.join(part).exists(), "{part} was not written");
    }
    assert_private(&jobs);
    // The user's outputs are ordinary files: theirs to read and write, nobody else's to write.
    for output in ["bread.txt", "bread.md"] {
        let mode = std::fs::metadata(out.join(output))
            .expect("output")
            .permissions()
            .mode();
        assert_eq!(mode & 0o600, 0o600, "{output} is {mode:o}");
        assert_eq!(mode & 0o022, 0, "{output} is {mode:o}");
    }
}

#[test]
fn a_checkpoint_naming_other_files_is_discarded_and_never_followed() {
    let _guard = one_model_at_a_time();
    let elsewhere = tempfile::tempdir().expect("tempdir");
    let secret = elsewhere.path().join("secret.txt");
    std::fs::write(&secret, "not Castmill's").expect("write");
    let job = TestJob::new(vec![fixtures::clip("bread", "ogg")]);
    // A checkpoint (valid checksum and all) that names another input, claims it is done with
    // outputs outside the output folder.
    let mut forged = Checkpoint::new("test", &[fixtures::clip("astronomy", "ogg")]);
    forged.files[0].state = FileState::Done {
        outputs: vec![secret.clone()],
        audio_ms: 1000,
    };
    forged.save(&job.folder.checkpoint()).expect("save");

    let (status, events) = run_to_end(&job);
    assert_eq!(status.code(), Some(exit_code::FINISHED), "{events:#?}");
    assert!(events.iter().any(|e| matches!(e, WorkerEvent::Notice { message, .. }
        if message.contains("does not match the job spec"))));
    // The job's own input was transcribed, not the checkpoint's.
    let transcript = job.output_text("bread.txt").to_lowercase();
    assert!(
        transcript.contains("flour") && !transcript.contains("jupiter"),
        "{transcript}"
    );
    assert_eq!(std::fs::read_to_string(&secret).expect("secret"), "not Castmill's");
    let checkpoint = Checkpoint::load(&job.folder.checkpoint())
        .expect("load")
        .expect("written");
    assert_eq!(checkpoint.files[0].input, fixtures::clip("bread", "ogg"));
    assert!(matches!(&checkpoint.files[0].state, FileState::Done { outputs, .. }
            if outputs.iter().all(|o| o.starts_with(&job.out))));
}
