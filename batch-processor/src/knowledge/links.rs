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
