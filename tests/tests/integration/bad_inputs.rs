//! Bad inputs fail one file each, with a plain reason naming the file; the batch goes on.

use std::path::PathBuf;

use castmill_e2e::tmpfs::Tmpfs;
use castmill_e2e::worker::{TestJob, one_model_at_a_time, run_to_end};
use castmill_e2e::{fixtures, hostile};
use shared_ipc::protocol::ErrorKind;
use shared_ipc::{WorkerEvent, exit_code};

fn failures(events: &[WorkerEvent]) -> Vec<(usize, String)> {
    events
        .iter()
        .filter_map(|e| {
            if let WorkerEvent::FileFailed { file_index, reason, .. } = e {
                Some((*file_index, reason.clone()))
            } else {
                None
            }
        })
        .collect()
}

#[test]
fn each_bad_input_fails_alone_and_the_good_files_finish() {
    let _guard = one_model_at_a_time();
    let media = tempfile::tempdir().expect("tempdir");
    let m = media.path();
    let noise = m.join("noise.mp3");
    std::fs::write(
        &noise,
        (0..50_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect::<Vec<_>>(),
    )
    .expect("write");
    let empty = m.join("empty.wav");
    std::fs::write(&empty, b"").expect("write");
    let dir_like = m.join("folder.wav");
    std::fs::create_dir(&dir_like).expect("mkdir");
    let cases: Vec<(PathBuf, &str)> = vec![
        (fixtures::clip("bread", "mp3"), ""),
        (noise, "not a recognised audio format"),
        (empty, "empty"),
        (
            hostile::truncated(&fixtures::clip("garden", "flac"), &m.join("cut.flac"), 0.5),
            "truncated",
        ),
        (
            hostile::truncated(&fixtures::clip("garden", "wav"), &m.join("cut.wav"), 0.5),
            "truncated",
        ),
        (fixtures::clip("unsupported-opus", "ogg"), "unsupported codec"),
        (m.join("missing.mp3"), "file not found"),
        (dir_like, "is a folder"),
        (fixtures::clip("astronomy", "m4a"), ""),
    ];
    let job = TestJob::new(cases.iter().map(|(p, _)| p.clone()).collect());
    let (status, events) = run_to_end(&job);
    assert_eq!(status.code(), Some(exit_code::FINISHED), "{events:#?}");
    let failed = failures(&events);
    for (index, (path, expected)) in cases.iter().enumerate() {
        let failure = failed.iter().find(|(i, _)| *i == index);
        if expected.is_empty() {
            assert!(failure.is_none(), "{} should have worked: {failure:?}", path.display());
            continue;
        }
        let (_, reason) = failure.unwrap_or_else(|| panic!("{} should have failed ({expected})", path.display()));
        assert!(
            reason.contains(&path.display().to_string()),
            "reason does not name the file: {reason}"
        );
        assert!(
            reason.contains(expected),
            "{}: expected {expected:?} in {reason:?}",
            path.display()
        );
    }
    assert!(job.output_text("bread.txt").to_lowercase().contains("flour"));
    assert!(job.output_text("astronomy.txt").to_lowercase().contains("jupiter"));
    assert!(events.iter().any(|e| matches!(
        e,
        WorkerEvent::Finished {
            files_done: 2,
            files_failed: 7
        }
    )));
}

#[test]
fn missing_or_corrupt_model_is_one_clear_error_and_its_own_exit_code() {
    let media = tempfile::tempdir().expect("tempdir");
    let truncated = media.path().join("truncated.bin");
    let model = std::fs::read(castmill_e2e::model_path()).expect("model");
    std::fs::write(&truncated, &model[..model.len() / 3]).expect("write");
    let not_a_model = fixtures::clip("bread", "wav");
    for model in [media.path().join("nope.bin"), truncated, not_a_model] {
        let job = TestJob::with_model(vec![fixtures::clip("bread", "ogg")], model.clone());
        let (status, events) = run_to_end(&job);
        assert_eq!(
            status.code(),
            Some(exit_code::MODEL_ERROR),
            "{}: {events:#?}",
            model.display()
        );
        let errors: Vec<_> = events
            .iter()
            .filter(|e| {
                matches!(
                    e,
                    WorkerEvent::Error {
                        kind: ErrorKind::Model,
                        ..
                    }
                )
            })
            .collect();
        assert_eq!(errors.len(), 1, "{events:#?}");
        if let WorkerEvent::Error { message, .. } = errors[0] {
            assert!(
                message.contains(&model.display().to_string()),
                "error does not name the model: {message}"
            );
        }
    }
}

/// Output folders that refuse writes: a read-only and a full file system (tmpfs mounts, which
/// need root; skipped with a note otherwise).
#[test]
fn unwritable_and_full_output_folders_fail_the_file_and_keep_earlier_outputs() {
    if Tmpfs::unavailable() {
        return;
    }
    let _guard = one_model_at_a_time();
    for (options, expected) in [("ro,size=1m", "Read-only"), ("size=12k", "disk is full")] {
        let job = TestJob::new(vec![fixtures::clip("bread", "ogg"), fixtures::clip("garden", "ogg")]);
        let mount_point = job.dir.path().join("mnt");
        let mounted = Tmpfs::mount(&mount_point, options);
        let mut spec = job.spec.clone();
        spec.output_dir = mount_point.clone();
        spec.save(&job.folder.spec()).expect("save spec");
        let (status, events) = run_to_end(&job);
        drop(mounted);
        assert_eq!(status.code(), Some(exit_code::FINISHED), "{events:#?}");
        let failed = failures(&events);
        assert_eq!(failed.len(), 2, "{events:#?}");
        for (_, reason) in failed {
            assert!(
                reason.contains(expected) && reason.contains("cannot write"),
                "{options}: {reason}"
            );
        }
    }
}
