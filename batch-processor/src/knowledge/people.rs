//! The people of an output folder: every speaker a person has named, with the episodes they
//! speak in. Each gets a note (`People/<name>.md`) listing those episodes with their talk
//! time, linked from the episodes' notes and the Map of Content.

use std::collections::BTreeMap;
use std::fmt::Write;

use shared_ipc::speaker_record::is_default_label;

use super::links;

/// First line of every person's note Castmill writes: how it tells its own notes (which it
/// may remove when nobody has that name any more) from a note the user put there.
pub const PERSON_NOTE_MARK: &str = "<!-- castmill: person -->";

/// One episode a person speaks in.
#[derive(Debug, Clone, PartialEq)]
pub struct Appearance {
    pub stem: String,
    pub talk_ms: u64,
    /// Their share of the episode's talk, 0–1.
    pub share: f64,
}

/// A named speaker and where they speak, episodes in stem order.
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    pub name: String,
    pub episodes: Vec<Appearance>,
}

impl Person {
    pub fn talk_ms(&self) -> u64 {
        self.episodes.iter().map(|a| a.talk_ms).sum()
    }
}

/// The named speakers of `episodes` (each its stem and its speakers with talk time), by name.
/// "Speaker N" labels are nobody in particular and make no person.
pub fn people<'a>(episodes: impl IntoIterator<Item = (&'a str, &'a [(String, u64)])>) -> Vec<Person> {
    let mut by_name: BTreeMap<String, Person> = BTreeMap::new();
    for (stem, speakers) in episodes {
        let total: u64 = speakers.iter().map(|(_, ms)| ms).sum::<u64>().max(1);
        for (label, talk_ms) in speakers {
            if is_default_label(label) {
                continue;
            }
            let person = by_name.entry(label.clone()).or_insert_with(|| Person {
                name: label.clone(),
                episodes: Vec::new(),
            });
            // Two of an episode's speakers merged into one name are one appearance.
            match person.episodes.iter_mut().find(|a| a.stem == stem) {
                Some(a) => {
                    a.talk_ms += talk_ms;
                    a.share = a.talk_ms as f64 / total as f64;
                }
                None => person.episodes.push(Appearance {
                    stem: stem.to_owned(),
                    talk_ms: *talk_ms,
                    share: *talk_ms as f64 / total as f64,
                }),
            }
        }
    }
    let mut people: Vec<Person> = by_name.into_values().collect();
    for person in &mut people {
        person.episodes.sort_by(|a, b| a.stem.cmp(&b.stem));
    }
    people
}

pub fn render(person: &Person) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{PERSON_NOTE_MARK}");
    let _ = writeln!(out, "# {}\n", person.name);
    let count = person.episodes.len();
    let _ = writeln!(
        out,
        "Speaks in {count} episode{}, {} in all.\n",
        if count == 1 { "" } else { "s" },
        links::clock(person.talk_ms())
    );
    let _ = writeln!(out, "## Episodes\n");
    for a in &person.episodes {
        let _ = writeln!(
            out,
            "- {}: {} ({}% of the talk)",
            links::to_note(&a.stem),
            links::clock(a.talk_ms),
            (a.share * 100.0).round()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_speakers_become_people_with_their_episodes() {
        let first = vec![("Dana".to_owned(), 30_000), ("Speaker 2".to_owned(), 10_000)];
        let second = vec![
            ("Speaker 1".to_owned(), 5_000),
            ("Dana".to_owned(), 10_000),
            ("Dana".to_owned(), 5_000),
        ];
        let found = people([("b-episode", second.as_slice()), ("a-episode", first.as_slice())]);
        assert_eq!(found.len(), 1);
        let dana = &found[0];
        assert_eq!(dana.name, "Dana");
        let stems: Vec<&str> = dana.episodes.iter().map(|a| a.stem.as_str()).collect();
        assert_eq!(stems, ["a-episode", "b-episode"]);
        assert_eq!(dana.talk_ms(), 45_000);
        let note = render(dana);
        assert!(note.starts_with(PERSON_NOTE_MARK), "{note}");
        assert!(note.contains("- [[a-episode]]: 0:30 (75% of the talk)"), "{note}");
        assert!(note.contains("Speaks in 2 episodes, 0:45 in all."), "{note}");
    }

    #[test]
    fn a_person_s_note_and_link_survive_awkward_names() {
        assert_eq!(links::person_note("Dana"), "People/Dana.md");
        assert_eq!(links::person_note("AC/DC: [live]"), "People/AC-DC- -live-.md");
        assert_eq!(links::person_note(" .. "), "People/Unnamed.md");
        assert_eq!(links::to_person("Dana"), "[[People/Dana|Dana]]");
    }
}
