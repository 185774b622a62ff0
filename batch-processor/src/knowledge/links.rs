//! Obsidian links between the notes in an output folder.

/// Characters that end or split a wikilink target.
const BREAKS_WIKILINK: &[char] = &['[', ']', '|', '#', '^'];

/// A link to the note `<stem>.md`: `[[stem]]`, or a Markdown link when the name would
/// break wikilink syntax.
pub fn to_note(stem: &str) -> String {
    if stem.contains(BREAKS_WIKILINK) {
        format!("[{}](<{stem}.md>)", stem.replace(['[', ']'], ""))
    } else {
        format!("[[{stem}]]")
    }
}

/// Where the note of the person named `name` goes, inside the output folder:
/// `People/<name>.md`, with characters a file or a wikilink cannot hold replaced.
pub fn person_note(name: &str) -> String {
    let safe: String = name
        .trim()
        .chars()
        .map(|c| {
            if c.is_control()
                || BREAKS_WIKILINK.contains(&c)
                || matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>')
            {
                '-'
            } else {
                c
            }
        })
        .collect();
    let safe = safe.trim_matches(|c: char| c == '.' || c.is_whitespace());
    format!("{PEOPLE_FOLDER}/{}.md", if safe.is_empty() { "Unnamed" } else { safe })
}

/// The folder of the people's notes.
pub const PEOPLE_FOLDER: &str = "People";

/// A link to the note of the person named `name`, shown as the name.
pub fn to_person(name: &str) -> String {
    let target = person_note(name);
    let target = target.strip_suffix(".md").unwrap_or(&target);
    let shown = name.replace(['[', ']', '|'], "");
    format!("[[{target}|{}]]", shown.trim())
}

/// A tag from a topic: lowercase words joined by `-`, letters and digits only.
pub fn tag(topic: &str) -> Option<String> {
    let words: Vec<String> = topic
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let tag = words.join("-");
    // Obsidian ignores tags made of digits only.
    tag.chars().any(char::is_alphabetic).then_some(tag)
}

/// `m:ss` or `h:mm:ss`.
pub fn clock(ms: u64) -> String {
    let s = ms / 1000;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}
