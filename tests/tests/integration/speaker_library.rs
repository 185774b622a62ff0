//! The speaker library through the real command line: a speaker named in one episode is
//! labelled by name in a later job, people's notes link every episode they speak in, and a
//! rename or a forget rewrites every episode that has the name.

use std::path::{Path, PathBuf};
use std::process::Output;

use castmill_e2e::fixtures;
use castmill_e2e::headless::DataDir;
use castmill_e2e::vault;
use castmill_e2e::worker::one_model_at_a_time;

fn conversation(name: &str) -> PathBuf {
    fixtures::speakers_dir().join(format!("{name}.wav"))
}

fn transcribe(data: &DataDir, out: &Path, name: &str) {
    let out = out.to_string_lossy().into_owned();
    let input = conversation(name).to_string_lossy().into_owned();
    let run = data.run(&["--headless", "--out", &out, &input]);
    assert_eq!(run.status.code(), Some(0), "{}", String::from_utf8_lossy(&run.stderr));
}

fn speakers(data: &DataDir, args: &[&str]) -> Output {
    let mut all = vec!["speakers"];
    all.extend_from_slice(args);
    data.run(&all)
}

fn ok(run: Output) -> String {
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    String::from_utf8_lossy(&run.stdout).into_owned()
}

/// Who leads each paragraph of a `.txt` with speakers.
fn paragraph_speakers(out: &Path, name: &str) -> Vec<String> {
    let txt = std::fs::read_to_string(out.join(format!("{name}.txt"))).expect("txt");
    txt.split("\n\n")
        .filter_map(|p| p.split_once(':').map(|(who, _)| who.to_owned()))
        .collect()
}

fn read(path: PathBuf) -> String {
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn assert_links_resolve(out: &Path) {
    let (broken, checked) = vault::broken_links(out);
    assert!(broken.is_empty(), "links leading nowhere: {broken:#?}");
    assert!(checked > 0);
}

#[test]
fn a_named_voice_is_recognised_in_a_later_job_and_renames_reach_every_episode() {
    let _guard = one_model_at_a_time();
    let data = DataDir::with_speakers();
    let out = tempfile::tempdir().expect("tempdir");
    let out = out.path();

    // First episode: host and guest, named by the user.
    transcribe(&data, out, "two-voices");
    ok(speakers(&data, &["name", "two-voices", "Speaker 1", "Dana"]));
    ok(speakers(
        &data,
        &["name", &out.join("two-voices.md").to_string_lossy(), "2", "Kim"],
    ));
    let order = ["Dana", "Kim", "Dana", "Kim", "Dana", "Kim"].map(String::from);
    assert_eq!(paragraph_speakers(out, "two-voices"), order);
    let srt = read(out.join("two-voices.srt"));
    assert!(srt.contains("\nKim: ") && !srt.contains("Speaker"), "{srt}");
    let note = read(out.join("two-voices.md"));
    assert!(note.contains("- [[People/Dana|Dana]]: "), "{note}");
    assert!(note.contains("**Kim:** "), "{note}");

    // A mistaken name is refused, saying what the episode has.
    let wrong = speakers(&data, &["name", "two-voices", "Speaker 9", "Sam"]);
    assert_ne!(wrong.status.code(), Some(0));
    let told = String::from_utf8_lossy(&wrong.stderr);
    assert!(
        told.contains("no speaker \"Speaker 9\"") && told.contains("Dana, Kim"),
        "{told}"
    );
    let taken = speakers(&data, &["name", "two-voices", "Kim", "Dana"]);
    assert!(
        String::from_utf8_lossy(&taken.stderr).contains("already has a speaker named \"Dana\""),
        "{taken:?}"
    );

    // A later job with the same two voices and a new one: the two are recognised by name,
    // the new voice is nobody the library knows.
    transcribe(&data, out, "three-voices");
    let order = ["Dana", "Kim", "Speaker 3", "Dana", "Kim", "Speaker 3", "Dana", "Kim"].map(String::from);
    assert_eq!(paragraph_speakers(out, "three-voices"), order);
    let dana = read(out.join("People/Dana.md"));
    assert!(
        dana.contains("[[two-voices]]") && dana.contains("[[three-voices]]"),
        "{dana}"
    );
    let map = read(out.join("Map of Content.md"));
    assert!(
        map.contains("## People") && map.contains("[[People/Kim|Kim]]: 2 episodes"),
        "{map}"
    );
    assert_links_resolve(out);
    let listed = ok(speakers(&data, &["list", "--json"]));
    let voices: Vec<serde_json::Value> = listed.lines().map(|l| serde_json::from_str(l).expect("json")).collect();
    assert_eq!(voices.len(), 2, "{listed}");
    assert_eq!(voices[0]["name"], "Dana");
    assert_eq!(voices[0]["episodes"].as_array().map(Vec::len), Some(2), "{listed}");

    // A rename reaches both episodes; a forgotten name goes back to a number everywhere.
    ok(speakers(&data, &["rename", "Dana", "Dina"]));
    ok(speakers(&data, &["forget", "Kim"]));
    for name in ["two-voices", "three-voices"] {
        let found = paragraph_speakers(out, name);
        assert_eq!(found[0], "Dina", "{name}: {found:?}");
        assert_eq!(found[1], "Speaker 2", "{name}: {found:?}");
    }
    assert!(!out.join("People/Dana.md").exists() && !out.join("People/Kim.md").exists());
    assert!(read(out.join("People/Dina.md")).contains("[[three-voices]]"));
    assert_links_resolve(out);
}
