//! The knowledge stage through the real worker: four spoken clips on three subjects become
//! notes with summaries and key topics, related episodes and a Map of Content whose links
//! all resolve; the stages are committed apart, so a kill during summaries never transcribes
//! again; and a missing embedding model costs the summaries, never the transcripts.

use std::path::PathBuf;
use std::time::SystemTime;

use castmill_e2e::fixtures;
use castmill_e2e::vault;
use castmill_e2e::worker::{RunningWorker, TestJob, events, one_model_at_a_time, run_to_end, transcribed_job};
use nix::sys::signal::Signal;
use shared_ipc::{Checkpoint, ModelRole, ModelState, Stage, StageState, WorkerEvent, exit_code};

/// Each clip's subject: words its key topics should name.
const SUBJECTS: [(&str, &[&str]); 4] = [
    (
        "astronomy",
        &["telescope", "planet", "jupiter", "saturn", "moons", "sky", "night"],
    ),
    ("bread", &["bread", "dough", "flour", "yeast", "loaf", "salt"]),
    (
        "garden",
        &["garden", "tomato", "plant", "stem", "roots", "fruit", "stick"],
    ),
    (
        "sourdough",
        &[
            "sourdough",
            "bread",
            "dough",
            "starter",
            "loaf",
            "oven",
            "crust",
            "flour",
        ],
    ),
];

fn clips() -> Vec<PathBuf> {
    SUBJECTS.iter().map(|(name, _)| fixtures::clip(name, "mp3")).collect()
}

/// The `tags:` of a note's front matter.
fn tags(note: &str) -> Vec<String> {
    note.lines()
        .find_map(|l| l.strip_prefix("tags: ["))
        .and_then(|l| l.strip_suffix(']'))
        .map(|l| l.split(", ").map(str::to_owned).collect())
        .unwrap_or_default()
}

/// Summary lines (`- [[#^tN|m:ss]] sentence`) → the sentences.
fn summary_sentences(note: &str) -> Vec<String> {
    let section = note
        .split("## Summary")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .unwrap_or_default();
    section
        .lines()
        .filter_map(|l| l.strip_prefix("- [[#^"))
        .filter_map(|l| l.split_once("]] ").map(|(_, s)| s.to_owned()))
        .collect()
}

#[test]
fn notes_topics_related_episodes_and_a_map_whose_links_all_resolve() {
    let _guard = one_model_at_a_time();
    let job = TestJob::with_knowledge(clips());
    let (status, all) = run_to_end(&job);
    assert_eq!(status.code(), Some(exit_code::FINISHED), "{all:#?}");

    // One model at a time, each through idle → loading → ready → unloading → idle.
    let mut resident: Option<ModelRole> = None;
    let mut lives = Vec::new();
    for event in &all {
        if let WorkerEvent::Model { role, state, .. } = event {
            match state {
                ModelState::Loading => {
                    assert_eq!(resident, None, "{role:?} loads while {resident:?} is resident");
                    resident = Some(*role);
                    lives.push((*role, vec![*state]));
                }
                _ => {
                    assert_eq!(resident, Some(*role), "{role:?} went {state:?} without loading");
                    lives.last_mut().expect("a life").1.push(*state);
                    if *state == ModelState::Idle {
                        resident = None;
                    }
                }
            }
        }
    }
    assert_eq!(resident, None, "a model is still resident at the end");
    let full_life = [
        ModelState::Loading,
        ModelState::Ready,
        ModelState::Unloading,
        ModelState::Idle,
    ];
    assert_eq!(
        lives,
        [
            (ModelRole::Whisper, full_life.to_vec()),
            (ModelRole::Embeddings, full_life.to_vec())
        ]
    );
    // Every summary was made after every transcript: the whisper model was gone by then.
    let last_segment = all.iter().rposition(|e| matches!(e, WorkerEvent::Segment { .. }));
    let first_summary = all.iter().position(|e| matches!(e, WorkerEvent::SummaryWritten { .. }));
    assert!(last_segment < first_summary);

    for (name, key_terms) in SUBJECTS {
        let note = job.output_text(&format!("{name}.md"));
        assert!(note.starts_with("---\ntitle: "), "{name}.md has no front matter");
        assert!(note.contains(&format!("source: \"{}\"", fixtures::clip(name, "mp3").display())));
        let tags = tags(&note);
        let hits = tags.iter().filter(|t| key_terms.iter().any(|k| t.contains(k))).count();
        eprintln!("{name}: tags {tags:?}");
        assert!(
            (5..=10).contains(&tags.len()) && hits >= 2,
            "{name}: topics {tags:?} miss the subject's words {key_terms:?}"
        );
        // The summary quotes the transcript, and links each sentence to its moment in it.
        let transcript = note.split("## Transcript").nth(1).expect("transcript section");
        let summary = summary_sentences(&note);
        assert!(!summary.is_empty() && summary.len() <= 3, "{name}: summary {summary:?}");
        for sentence in &summary {
            assert!(
                transcript.contains(sentence.as_str()),
                "{name}: {sentence:?} is not in the transcript"
            );
        }
    }

    // Same subject related, different subjects not.
    let related = |name: &str| vault::related_in_note(&job.output_text(&format!("{name}.md")));
    assert_eq!(related("bread"), ["sourdough"]);
    assert_eq!(related("sourdough"), ["bread"]);
    assert!(related("astronomy").is_empty(), "{:?}", related("astronomy"));
    assert!(related("garden").is_empty(), "{:?}", related("garden"));

    let map = job.output_text("Map of Content.md");
    for (name, _) in SUBJECTS {
        assert!(map.contains(&format!("[[{name}]]")), "the map does not link {name}");
    }
    let (broken, checked) = vault::broken_links(&job.out);
    assert!(broken.is_empty(), "links that lead nowhere: {broken:?}");
    assert!(checked >= 20, "only {checked} links");

    let checkpoint = Checkpoint::load(&job.folder.checkpoint())
        .expect("load")
        .expect("exists");
    assert!(checkpoint.files.iter().all(|f| f.summary.is_done()));
    assert!(checkpoint.map_of_content.is_done());
}

/// An episode whose name is a batch-level output's ("Map of Content.ogg") keeps its own note:
/// the map never overwrites it, and the map links to it under its own name.
#[test]
fn an_episode_named_like_the_map_of_content_keeps_its_note() {
    let _guard = one_model_at_a_time();
    let media = tempfile::tempdir().expect("tempdir");
    let named = media.path().join("Map of Content.ogg");
    std::fs::copy(fixtures::clip("bread", "ogg"), &named).expect("copy clip");
    let job = TestJob::with_knowledge(vec![named, fixtures::clip("garden", "ogg")]);
    let (status, all) = run_to_end(&job);
    assert_eq!(status.code(), Some(exit_code::FINISHED), "{all:#?}");

    let note = job.output_text("Map of Content (2).md");
    assert!(note.to_lowercase().contains("flour"), "the episode's note: {note}");
    assert!(
        job.output_text("Map of Content (2).txt")
            .to_lowercase()
            .contains("flour")
    );
    let map = job.output_text("Map of Content.md");
    assert!(
        map.contains("[[Map of Content (2)]]"),
        "the map links the episode: {map}"
    );
    assert!(map.contains("[[garden]]"), "{map}");
    let (broken, checked) = vault::broken_links(&job.out);
    assert!(checked > 0 && broken.is_empty(), "broken links: {broken:?}");
}

/// True when a run transcribed anything: it committed a segment or touched the whisper model.
fn transcribed(events: &[WorkerEvent]) -> bool {
    events.iter().any(|e| {
        matches!(
            e,
            WorkerEvent::Segment { .. }
                | WorkerEvent::Model {
                    role: ModelRole::Whisper,
                    ..
                }
        )
    })
}

fn modified(path: &std::path::Path) -> SystemTime {
    std::fs::metadata(path).and_then(|m| m.modified()).expect("mtime")
}

#[test]
fn a_kill_during_the_summary_stage_resumes_without_transcribing_again() {
    let _guard = one_model_at_a_time();
    let inputs = vec![fixtures::clip("bread", "mp3"), fixtures::clip("sourdough", "mp3")];
    let reference = TestJob::with_knowledge(inputs);
    let (status, _) = run_to_end(&reference);
    assert_eq!(status.code(), Some(exit_code::FINISHED));

    let job = reference.twin();
    let mut worker = RunningWorker::start(&job);
    worker.wait_for("the second file's summary stage", |e| {
        matches!(
            e,
            WorkerEvent::Stage {
                stage: Stage::Summarizing,
                file_index: Some(1)
            }
        )
    });
    let before = events(&worker.kill_hard());
    assert!(
        before
            .iter()
            .any(|e| matches!(e, WorkerEvent::SummaryWritten { file_index: 0, .. }))
    );
    let journals = [job.folder.journal(0), job.folder.journal(1)];
    let journal_times: Vec<SystemTime> = journals.iter().map(|j| modified(j)).collect();
    let transcript_time = modified(&job.out.join("bread.txt"));
    let checkpoint = Checkpoint::load(&job.folder.checkpoint())
        .expect("load")
        .expect("exists");
    assert!(checkpoint.files[0].summary.is_done());
    assert_eq!(checkpoint.files[1].summary, StageState::Pending);

    let (status, after) = run_to_end(&job);
    assert_eq!(status.code(), Some(exit_code::FINISHED), "{after:#?}");
    assert!(!transcribed(&after), "the rerun transcribed again: {after:#?}");
    let summarised: Vec<usize> = after
        .iter()
        .filter_map(|e| match e {
            WorkerEvent::SummaryWritten { file_index, .. } => Some(*file_index),
            _ => None,
        })
        .collect();
    assert_eq!(summarised, [1], "only the unfinished summary is made again");
    assert_eq!(journals.iter().map(|j| modified(j)).collect::<Vec<_>>(), journal_times);
    assert_eq!(modified(&job.out.join("bread.txt")), transcript_time);

    // What the interrupted job ends with is what an uninterrupted run wrote.
    for name in [
        "bread.md",
        "sourdough.md",
        "Map of Content.md",
        "bread.txt",
        "sourdough.json",
    ] {
        assert_eq!(job.output_text(name), reference.output_text(name), "{name} differs");
    }
}

#[test]
fn a_missing_embedding_model_costs_the_summaries_not_the_transcripts() {
    let _guard = one_model_at_a_time();
    let mut job = TestJob::with_knowledge(vec![fixtures::clip("garden", "mp3")]);
    let missing = job.dir.path().join("no such model");
    job.spec.embedding_model = Some(missing.clone());
    job.spec.save(&job.folder.spec()).expect("save spec");

    let (status, all) = run_to_end(&job);
    assert_eq!(status.code(), Some(exit_code::FINISHED), "{all:#?}");
    assert!(job.output_text("garden.txt").to_lowercase().contains("tomato"));
    let failure = all
        .iter()
        .find_map(|e| match e {
            WorkerEvent::KnowledgeFailed {
                file_index: None,
                reason,
            } => Some(reason.clone()),
            _ => None,
        })
        .expect("a knowledge_failed event");
    assert!(
        failure.contains(&missing.display().to_string()) && failure.contains("missing"),
        "{failure}"
    );
    assert!(!job.out.join("garden.md").exists());
    assert!(!job.out.join("Map of Content.md").exists());
    let checkpoint = Checkpoint::load(&job.folder.checkpoint())
        .expect("load")
        .expect("exists");
    assert!(matches!(checkpoint.files[0].summary, StageState::Failed { .. }));
}

/// `castmill --headless --no-summaries`, then `castmill jobs resummarize ID`: the job gets
/// its notes and map from the transcripts it has, without a whisper model in sight. Without
/// an embedding model installed, a headless run says so and still transcribes.
#[test]
fn resummarize_adds_notes_and_a_map_to_a_finished_job_without_transcribing_again() {
    let _guard = one_model_at_a_time();
    let media = tempfile::tempdir().expect("tempdir");
    let out = media.path().join("out");
    let clips = [fixtures::clip("astronomy", "ogg"), fixtures::clip("garden", "ogg")];
    let args_into = |out: &std::path::Path, extra: &[&str]| -> Vec<String> {
        let mut all: Vec<String> = ["--headless", "--json", "--out"].map(String::from).to_vec();
        all.push(out.display().to_string());
        all.extend(extra.iter().map(|s| s.to_string()));
        all.extend(clips.iter().map(|c| c.display().to_string()));
        all
    };
    let lines = |stdout: &[u8]| -> Vec<WorkerEvent> {
        String::from_utf8_lossy(stdout)
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    };

    let args = |extra: &[&str]| args_into(&out, extra);

    // Its own folder: a second job writing the same names into one folder would take
    // `astronomy (2)` and so on, never overwriting the first.
    let bare_out = media.path().join("bare");
    let bare = castmill_e2e::headless::DataDir::whisper_only();
    let output = bare
        .command()
        .args(args_into(&bare_out, &[]))
        .output()
        .expect("run castmill");
    assert_eq!(output.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no summaries") && stderr.contains("all-MiniLM-L6-v2"),
        "{stderr}"
    );
    assert!(bare_out.join("garden.txt").is_file() && !bare_out.join("garden.md").exists());

    let data = castmill_e2e::headless::DataDir::with_model();
    let output = data
        .command()
        .args(args(&["--no-summaries"]))
        .output()
        .expect("run castmill");
    assert_eq!(output.status.code(), Some(0));
    assert!(!out.join("astronomy.md").exists() && !out.join("Map of Content.md").exists());
    let transcript_time = modified(&out.join("astronomy.txt"));
    let id = data.jobs()[0].file_name().expect("id").to_string_lossy().into_owned();

    let output = data
        .command()
        .args(["jobs", "resummarize", &id, "--json"])
        .output()
        .expect("run castmill");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let events = lines(&output.stdout);
    assert!(!transcribed(&events), "resummarize transcribed again: {events:#?}");
    let notes = events
        .iter()
        .filter(|e| matches!(e, WorkerEvent::SummaryWritten { .. }))
        .count();
    assert_eq!(notes, 2);
    assert!(out.join("astronomy.md").is_file() && out.join("Map of Content.md").is_file());
    assert_eq!(modified(&out.join("astronomy.txt")), transcript_time);
    let (broken, _) = vault::broken_links(&out);
    assert!(broken.is_empty(), "{broken:?}");

    let list = data.run(&["jobs", "list", "--json"]);
    assert!(String::from_utf8_lossy(&list.stdout).contains("\"state\":\"finished\""));
}

/// Pause and stop reach the summary stage too: an hour of transcript takes seconds to
/// summarise, and SIGUSR1 pauses it between batches of sentences, SIGTERM while paused
/// stops it with the summary left pending, and the rerun makes it.
#[test]
fn pause_and_stop_take_effect_inside_a_long_summary() {
    let _guard = one_model_at_a_time();
    let job = transcribed_job(1);
    let mut worker = RunningWorker::start(&job);
    worker.wait_for("the embedding model", |e| {
        matches!(
            e,
            WorkerEvent::Model {
                role: ModelRole::Embeddings,
                state: ModelState::Ready,
                ..
            }
        )
    });
    worker.signal(Signal::SIGUSR1);
    worker.wait_for("paused", |e| matches!(e, WorkerEvent::Paused));
    worker.signal(Signal::SIGTERM);
    let (status, lines) = worker.finish();
    assert_eq!(status.code(), Some(exit_code::STOPPED));
    let seen = events(&lines);
    assert!(!seen.iter().any(|e| matches!(e, WorkerEvent::SummaryWritten { .. })));
    let checkpoint = Checkpoint::load(&job.folder.checkpoint())
        .expect("load")
        .expect("exists");
    assert_eq!(checkpoint.files[0].summary, StageState::Pending);

    let (status, after) = run_to_end(&job);
    assert_eq!(status.code(), Some(exit_code::FINISHED), "{after:#?}");
    assert!(
        after
            .iter()
            .any(|e| matches!(e, WorkerEvent::SummaryWritten { file_index: 0, .. }))
    );
    let note = job.output_text("episode-1h.md");
    assert!(
        note.contains("duration: \"1:00:00\""),
        "{}",
        &note[..300.min(note.len())]
    );
    assert!(summary_sentences(&note).len() == 12, "an hour gets the longest summary");
}

/// Three weekly batches written into one folder (an Obsidian vault) build one Map of
/// Content over all their episodes, and an earlier batch's note comes to link a later
/// episode on its subject; a fourth batch with a file of an episode's name gets a name of
/// its own instead of overwriting that episode.
#[test]
fn batches_into_one_folder_grow_one_map_and_never_overwrite_each_other() {
    let _guard = one_model_at_a_time();
    let vault_dir = tempfile::tempdir().expect("tempdir");
    let out = vault_dir.path();
    for (week, name) in ["bread", "sourdough", "astronomy"].into_iter().enumerate() {
        let job = TestJob::with_knowledge(vec![fixtures::clip(name, "mp3")]).writing_into(out, &format!("week-{week}"));
        let (status, all) = run_to_end(&job);
        assert_eq!(status.code(), Some(exit_code::FINISHED), "week {week}: {all:#?}");
    }
    let map = std::fs::read_to_string(out.join("Map of Content.md")).expect("map");
    assert!(map.contains("3 episodes,"), "{map}");
    for name in ["bread", "sourdough", "astronomy"] {
        assert!(map.contains(&format!("[[{name}]]")), "the map leaves out {name}: {map}");
    }
    let note = |name: &str| std::fs::read_to_string(out.join(format!("{name}.md"))).expect("note");
    assert_eq!(
        vault::related_in_note(&note("bread")),
        ["sourdough"],
        "the first week's note links the second week's episode on the same subject"
    );
    let bread_transcript = std::fs::read(out.join("bread.txt")).expect("bread.txt");

    // A file called bread.mp3 again, with other audio: its own name, nothing overwritten.
    let media = tempfile::tempdir().expect("tempdir");
    let same_name = media.path().join("bread.mp3");
    std::fs::copy(fixtures::clip("garden", "mp3"), &same_name).expect("copy");
    let job = TestJob::with_knowledge(vec![same_name]).writing_into(out, "week-3");
    let (status, all) = run_to_end(&job);
    assert_eq!(status.code(), Some(exit_code::FINISHED), "{all:#?}");
    assert_eq!(
        std::fs::read(out.join("bread.txt")).expect("bread.txt"),
        bread_transcript
    );
    let second = std::fs::read_to_string(out.join("bread (2).txt")).expect("bread (2).txt");
    assert!(second.to_lowercase().contains("tomato"), "{second}");
    let map = std::fs::read_to_string(out.join("Map of Content.md")).expect("map");
    assert!(map.contains("4 episodes,") && map.contains("[[bread (2)]]"), "{map}");
    let (broken, checked) = vault::broken_links(out);
    assert!(checked > 0 && broken.is_empty(), "links that lead nowhere: {broken:?}");
}
