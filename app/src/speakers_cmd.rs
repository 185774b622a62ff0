//! `castmill speakers list|name|rename|merge|forget`: the speaker library and the names in
//! finished episodes. A change is made in the library and the episodes' speaker records,
//! then their jobs run to write the outputs, notes, people and maps again.

use anyhow::{Result, bail};
use castmill::data_dirs::DataDirs;
use castmill::speaker_library::{HeldLibrary, LibraryError, SpeakerLibrary, check_name};
use castmill::speaker_names::{self, Episode, Names};
use shared_ipc::JobFolder;
use shared_ipc::speaker_record::default_label;

use crate::cli::{RerunArgs, SpeakersCommand};
use crate::headless::{self, EXIT_OK};

pub fn run(cmd: SpeakersCommand) -> Result<u8> {
    let dirs = DataDirs::locate()?;
    match cmd {
        SpeakersCommand::List {
            episode: Some(episode),
            json,
        } => {
            let episode = speaker_names::find_episode(&dirs, &episode)?;
            list_episode(&episode, json);
            Ok(EXIT_OK)
        }
        SpeakersCommand::List { episode: None, json } => {
            list_library(&dirs, json)?;
            Ok(EXIT_OK)
        }
        SpeakersCommand::Name {
            episode,
            speaker,
            name,
            rerun,
        } => {
            let episode = speaker_names::find_episode(&dirs, &episode)?;
            let speaker = speaker_names::speaker_of(&episode, &speaker)?;
            let named = speaker_names::name_speaker(&dirs, &episode, speaker, &name)?;
            if !named.recognisable {
                eprintln!(
                    "note: {} speaks too little in {} for a voiceprint; named there, but not recognised elsewhere",
                    named.was,
                    episode.reference()
                );
            }
            println!(
                "{} in {} is now {}; writing its outputs again",
                named.was,
                episode.reference(),
                name.trim()
            );
            rewrite(&[episode], &rerun)
        }
        SpeakersCommand::Rename { old, new, rerun } => {
            let new = check_name(&new)?.to_owned();
            let label = new.clone();
            let changed = change_name(
                &dirs,
                &old,
                |l| l.rename(&old, &new),
                move |_| label.clone(),
                Names::Unique,
            )?;
            println!("{old} is now {new} in {} episode(s)", changed.len());
            rewrite(&changed, &rerun)
        }
        SpeakersCommand::Merge { from, into, rerun } => {
            let into = check_name(&into)?.to_owned();
            let label = into.clone();
            // Two speakers of one episode that are both INTO now become one: the user says
            // they are one voice.
            let changed = change_name(
                &dirs,
                &from,
                |l| l.merge(&from, &into),
                move |_| label.clone(),
                Names::Join,
            )?;
            println!("{from} is now part of {into}; {} episode(s) relabelled", changed.len());
            rewrite(&changed, &rerun)
        }
        SpeakersCommand::Forget { name, rerun } => {
            let changed = change_name(&dirs, &name, |l| l.forget(&name), default_label, Names::Numbered)?;
            println!("forgot {name}; {} episode(s) back to numbered speakers", changed.len());
            rewrite(&changed, &rerun)
        }
    }
}

/// A named voice changed: in the library (`change`, when the library has the name) and in
/// every episode labelled with it (`new_label`); returns the episodes changed. A name found
/// in neither is an error.
fn change_name(
    dirs: &DataDirs,
    name: &str,
    change: impl FnOnce(&mut SpeakerLibrary) -> Result<(), LibraryError>,
    new_label: impl Fn(usize) -> String,
    names: Names,
) -> Result<Vec<Episode>> {
    let mut held = HeldLibrary::open(dirs)?;
    let known = held.library.voice(name).is_some();
    if known {
        change(&mut held.library)?;
    }
    let changed = relabel_everywhere(dirs, name, new_label, names);
    if !known && changed.is_empty() {
        bail!("no speaker is named {name:?} (see `castmill speakers list`)");
    }
    held.save()?;
    Ok(changed)
}

/// Every episode with a speaker labelled `old` gets `new_label(speaker index)` instead;
/// returns the episodes changed. An episode that cannot be changed now (its job is running)
/// is said and left as it is; the others go on.
fn relabel_everywhere(dirs: &DataDirs, old: &str, new_label: impl Fn(usize) -> String, names: Names) -> Vec<Episode> {
    let mut changed = Vec::new();
    for episode in speaker_names::episodes(dirs) {
        let labels: Vec<(usize, String)> = episode
            .record
            .speakers
            .iter()
            .enumerate()
            .filter(|(_, s)| s.label == old)
            .map(|(i, _)| (i, new_label(i)))
            .collect();
        if labels.is_empty() {
            continue;
        }
        match speaker_names::relabel(&episode, &labels, names) {
            Ok(()) => changed.push(episode),
            Err(e) => eprintln!("castmill: {} keeps {old:?}: {e}", episode.reference()),
        }
    }
    changed
}

/// Runs each changed episode's job (once per job) to write its outputs again.
fn rewrite(episodes: &[Episode], rerun: &RerunArgs) -> Result<u8> {
    let mut jobs: Vec<(JobFolder, usize)> = Vec::new();
    for episode in episodes {
        if !jobs.iter().any(|(f, _)| f == &episode.folder) {
            let files = shared_ipc::JobSpec::load(&episode.folder.spec())
                .map(|s| s.inputs.len())
                .unwrap_or(1);
            jobs.push((episode.folder.clone(), files));
        }
    }
    headless::supervise_each(&jobs, rerun.json, &rerun.supervision)
}

fn list_episode(episode: &Episode, json: bool) {
    let total: u64 = episode.record.speakers.iter().map(|s| s.talk_ms).sum::<u64>().max(1);
    if json {
        for s in &episode.record.speakers {
            println!(
                "{}",
                serde_json::json!({
                    "episode": episode.reference(),
                    "label": s.label,
                    "talk_ms": s.talk_ms,
                    "recognisable": !s.voiceprint.is_empty(),
                })
            );
        }
        return;
    }
    println!("{} ({})", episode.reference(), episode.input.display());
    for s in &episode.record.speakers {
        println!(
            "  {:<24} {:>8} {:>4.0}%",
            s.label,
            castmill::progress::clock(s.talk_ms as f64 / 1000.0),
            s.talk_ms as f64 * 100.0 / total as f64
        );
    }
}

fn list_library(dirs: &DataDirs, json: bool) -> Result<()> {
    let library = SpeakerLibrary::load(&dirs.speaker_library())?;
    let episodes = speaker_names::episodes(dirs);
    let appearances = |name: &str| -> Vec<&Episode> {
        episodes
            .iter()
            .filter(|e| e.record.speakers.iter().any(|s| s.label == name))
            .collect()
    };
    if json {
        for voice in &library.voices {
            let found = appearances(&voice.name);
            println!(
                "{}",
                serde_json::json!({
                    "name": voice.name,
                    "voiceprints": voice.samples.len(),
                    "episodes": found.iter().map(|e| e.reference()).collect::<Vec<_>>(),
                })
            );
        }
        return Ok(());
    }
    if library.voices.is_empty() {
        println!("no named speakers yet; name one with: castmill speakers name EPISODE \"Speaker 2\" NAME");
        return Ok(());
    }
    println!("{:<24} {:>11} {:>9}  IN", "NAME", "VOICEPRINTS", "EPISODES");
    for voice in &library.voices {
        let found = appearances(&voice.name);
        let refs: Vec<String> = found.iter().map(|e| e.stem.clone()).collect();
        println!(
            "{:<24} {:>11} {:>9}  {}",
            voice.name,
            voice.samples.len(),
            found.len(),
            refs.join(", ")
        );
    }
    Ok(())
}
