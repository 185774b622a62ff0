//! Each episode's output name, unique in its output folder across batches, not only within
//! one: a job claims each name in the folder (`.castmill/names/<name>.claim`, created with
//! `O_EXCL`, so two jobs writing into one folder at once cannot both take it), and a name
//! another job claimed, or that files from before claims already use, becomes `name (2)`.
//! A job finds its own claims again on every run, so a resumed job keeps its names and
//! writes the same bytes.

use std::collections::HashSet;
use std::io::{ErrorKind, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use shared_ipc::job_spec::RESERVED_STEMS;

use crate::outputs::sanitise_stem;
use crate::vault;

/// Where a folder's name claims are kept.
fn claims_dir(out: &Path) -> PathBuf {
    vault::dir(out).join("names")
}

/// A claim's content: the job and the input it names.
fn owner(job_id: &str, index: usize) -> String {
    format!("{job_id}\t{index}\n")
}

/// Whether `stem` may be input `index`'s name in `out`: claimed by this very input now or
/// earlier, or free and claimed here. A folder where claims cannot be written (read-only,
/// missing) falls back to whether the name's transcript exists; writing there fails later
/// with its own clear error.
fn claim(out: &Path, stem: &str, job_id: &str, index: usize) -> bool {
    let dir = claims_dir(out);
    let path = dir.join(format!("{}.claim", stem.to_lowercase()));
    let ours = owner(job_id, index);
    for _ in 0..2 {
        match std::fs::read_to_string(&path) {
            Ok(claimed) => return claimed == ours,
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(_) => return !legacy_files(out, stem),
        }
        // Files from before claims existed hold the name too.
        if legacy_files(out, stem) {
            return false;
        }
        if shared_ipc::atomic_file::create_private_dir(&dir).is_err() {
            return true;
        }
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
        {
            Ok(mut file) => return file.write_all(ours.as_bytes()).and_then(|()| file.sync_all()).is_ok(),
            // Another job took it between the read and the create: read whose it is.
            Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
            Err(_) => return true,
        }
    }
    false
}

/// An episode's transcript or note already in the folder, under no claim.
fn legacy_files(out: &Path, stem: &str) -> bool {
    ["txt", "md"]
        .iter()
        .any(|ext| out.join(format!("{stem}.{ext}")).exists())
}

/// One output name per input, in input order: `kept[i]` is the name an earlier run of this
/// job already wrote input `i`'s outputs under (it stays); the others take the first of
/// `name`, `name (2)`, … that no other input of the batch has and the folder lets them claim.
pub fn claim_stems(out: &Path, job_id: &str, inputs: &[PathBuf], kept: &[Option<String>]) -> Vec<String> {
    let mut taken: HashSet<String> = RESERVED_STEMS.iter().map(|s| s.to_lowercase()).collect();
    taken.extend(kept.iter().flatten().map(|s| s.to_lowercase()));
    inputs
        .iter()
        .enumerate()
        .map(|(index, input)| {
            if let Some(stem) = kept.get(index).cloned().flatten() {
                claim(out, &stem, job_id, index);
                return stem;
            }
            let base = sanitise_stem(input);
            let mut candidate = base.clone();
            let mut n = 2;
            while taken.contains(&candidate.to_lowercase()) || !claim(out, &candidate, job_id, index) {
                candidate = format!("{base} ({n})");
                n += 1;
            }
            taken.insert(candidate.to_lowercase());
            candidate
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(names: &[&str]) -> Vec<PathBuf> {
        names.iter().map(|n| PathBuf::from(format!("/in/{n}"))).collect()
    }

    #[test]
    fn a_second_job_in_one_folder_gets_new_names_and_each_job_keeps_its_own() {
        let out = tempfile::tempdir().expect("tempdir");
        let first = claim_stems(
            out.path(),
            "job-1",
            &inputs(&["bread.mp3", "garden.mp3"]),
            &[None, None],
        );
        assert_eq!(first, vec!["bread", "garden"]);
        let second = claim_stems(out.path(), "job-2", &inputs(&["Bread.ogg", "sea.mp3"]), &[None, None]);
        assert_eq!(second, vec!["Bread (2)", "sea"], "a name is taken whatever its case");
        // Run again (a resume), each job gets the same names.
        assert_eq!(
            claim_stems(
                out.path(),
                "job-1",
                &inputs(&["bread.mp3", "garden.mp3"]),
                &[None, None]
            ),
            first
        );
        assert_eq!(
            claim_stems(out.path(), "job-2", &inputs(&["Bread.ogg", "sea.mp3"]), &[None, None]),
            second
        );
    }

    #[test]
    fn files_from_before_claims_and_names_already_written_are_respected() {
        let out = tempfile::tempdir().expect("tempdir");
        std::fs::write(out.path().join("bread.txt"), "an older batch").expect("write");
        let stems = claim_stems(out.path(), "job-1", &inputs(&["bread.mp3"]), &[None]);
        assert_eq!(stems, vec!["bread (2)"]);
        // A job from before claims that finished `bread` itself keeps that name.
        let kept = claim_stems(out.path(), "job-0", &inputs(&["bread.mp3"]), &[Some("bread".into())]);
        assert_eq!(kept, vec!["bread"]);
    }

    #[test]
    fn stems_are_safe_and_unique_within_the_batch() {
        let out = tempfile::tempdir().expect("tempdir");
        let inputs = [
            PathBuf::from("/a/show.mp3"),
            PathBuf::from("/b/show.wav"),
            PathBuf::from("/c/SHOW.flac"),
            PathBuf::from("/d/..mp3"),
            PathBuf::from("/e/line\nbreak.ogg"),
            PathBuf::from("/f/-dash \"quoted\" ünï.m4a"),
        ];
        let stems = claim_stems(out.path(), "job-1", &inputs, &[None, None, None, None, None, None]);
        assert_eq!(
            stems,
            vec![
                "show",
                "show (2)",
                "SHOW (3)",
                "audio",
                "line_break",
                "-dash \"quoted\" ünï"
            ]
        );
    }

    #[test]
    fn an_episode_never_takes_a_batch_level_name() {
        let out = tempfile::tempdir().expect("tempdir");
        let inputs = [
            PathBuf::from("/a/Map of Content.mp3"),
            PathBuf::from("/b/map of content.wav"),
        ];
        assert_eq!(
            claim_stems(out.path(), "job-1", &inputs, &[None, None]),
            vec!["Map of Content (2)", "map of content (3)"]
        );
    }
}
