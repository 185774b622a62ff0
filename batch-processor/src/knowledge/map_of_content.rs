//! `Map of Content.md`: the output folder's themes, each with its topics and the episodes that
//! discuss them, then every episode with its related episodes — all as links between the
//! notes in the output folder.

use std::fmt::Write;

use super::links;
use super::people::Person;
use super::themes::Theme;

/// One episode as the map sees it.
pub struct MapEpisode {
    pub stem: String,
    pub topics: Vec<String>,
    pub related: Vec<String>,
}

/// `topics` are the batch's distinct topics; `themes` group them (indices into `topics`);
/// `people` are the folder's named speakers.
pub fn render(episodes: &[MapEpisode], topics: &[String], themes: &[Theme], people: &[Person]) -> String {
    let mut out = String::from("# Map of Content\n\n");
    let _ = writeln!(
        out,
        "{} episodes, {} themes. Each theme lists its topics and the episodes that discuss them.\n",
        episodes.len(),
        themes.len()
    );
    for theme in themes {
        let names: Vec<&str> = theme.topics.iter().map(|&t| topics[t].as_str()).collect();
        let _ = writeln!(out, "## {}\n", capitalise(&theme.name));
        let _ = writeln!(out, "Topics: {}\n", names.join(", "));
        for episode in episodes {
            let shared: Vec<&str> = names
                .iter()
                .copied()
                .filter(|n| episode.topics.iter().any(|t| t == n))
                .collect();
            if !shared.is_empty() {
                let _ = writeln!(out, "- {} — {}", links::to_note(&episode.stem), shared.join(", "));
            }
        }
        out.push('\n');
    }
    if !people.is_empty() {
        let _ = writeln!(out, "## People\n");
        for person in people {
            let count = person.episodes.len();
            let _ = writeln!(
                out,
                "- {}: {count} episode{}, {}",
                links::to_person(&person.name),
                if count == 1 { "" } else { "s" },
                links::clock(person.talk_ms())
            );
        }
        out.push('\n');
    }
    let _ = writeln!(out, "## Episodes and their related episodes\n");
    for episode in episodes {
        let related: Vec<String> = episode.related.iter().map(|s| links::to_note(s)).collect();
        let related = if related.is_empty() {
            "none yet".to_owned()
        } else {
            related.join(", ")
        };
        let _ = writeln!(out, "- {}: {related}", links::to_note(&episode.stem));
    }
    out
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
