//! Checks an output folder the way Obsidian opens it as a vault: every `[[wikilink]]`
//! (with an optional `#^block` and `|alias`) in any note, in the folder or a folder inside
//! it (`People/`), must lead to a note (named from the vault's top), and a block link to a
//! block id in that note.

use std::path::Path;

/// Every link in every `.md` file of `dir`: `(file, link)` for each that leads nowhere,
/// and the number checked.
pub fn broken_links(dir: &Path) -> (Vec<(String, String)>, usize) {
    let mut broken = Vec::new();
    let mut checked = 0;
    for path in notes(dir) {
        let text = std::fs::read_to_string(&path).expect("read note");
        for link in text
            .split("[[")
            .skip(1)
            .filter_map(|rest| rest.split_once("]]").map(|(l, _)| l))
        {
            checked += 1;
            let target = link.split('|').next().unwrap_or_default();
            let (file, block) = target.split_once("#^").unwrap_or((target, ""));
            let note = if file.is_empty() {
                path.clone()
            } else {
                dir.join(format!("{file}.md"))
            };
            let resolves = note.is_file()
                && (block.is_empty()
                    || std::fs::read_to_string(&note).is_ok_and(|body| body.contains(&format!(" ^{block}\n"))));
            if !resolves {
                broken.push((path.display().to_string(), link.to_owned()));
            }
        }
    }
    (broken, checked)
}

/// The `.md` files of `dir` and of the (not hidden) folders inside it.
fn notes(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("list vault") {
        let path = entry.expect("entry").path();
        let hidden = path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if path.is_dir() && !hidden {
            found.extend(notes(&path));
        } else if path.extension().and_then(|e| e.to_str()) == Some("md") {
            found.push(path);
        }
    }
    found
}

/// The stems listed under a note's `## Related episodes` heading.
pub fn related_in_note(note: &str) -> Vec<String> {
    note.split("## Related episodes")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .map(|section| {
            section
                .lines()
                .filter_map(|l| l.strip_prefix("- [[").and_then(|l| l.strip_suffix("]]")))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}
