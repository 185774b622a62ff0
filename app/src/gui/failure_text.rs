//! A failure reason as a person reads it: plain words inline, the technical cause (the
//! decoder's or the system's own words) one click away. The worker's reasons name the file
//! and put library detail in parentheses; the window names the file in the row already.

use std::path::Path;

use egui::Ui;

use super::theme;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureText {
    pub plain: String,
    /// The whole reason as the worker gave it, when the plain words leave something out.
    pub technical: Option<String>,
}

/// Plain words for the causes people meet most; anything else is kept, with its technical
/// parentheses moved behind the click.
const PLAIN: &[(&str, &str)] = &[
    ("not a recognised audio format", "not an audio file Castmill can read"),
    (
        "no audio track in the file",
        "the file has no sound in it (no audio track)",
    ),
    (
        "unsupported codec",
        "the sound in it is in a format Castmill cannot decode",
    ),
];

impl FailureText {
    pub fn of(reason: &str, input: &Path) -> Self {
        let own = reason.strip_prefix(&format!("{}: ", input.display())).unwrap_or(reason);
        let mut plain = without_parentheses(own);
        if let Some((_, words)) = PLAIN.iter().find(|(start, _)| plain.starts_with(start)) {
            plain = format!("{words}{}", &plain[plain.find(';').unwrap_or(plain.len())..]);
        }
        let technical = (plain != own).then(|| reason.to_owned());
        Self { plain, technical }
    }

    /// The plain words, wrapped to the width there is, and a "Details" fold holding the
    /// technical cause with a Copy button. `id` keeps each row's fold apart.
    pub fn show(&self, ui: &mut Ui, id: impl std::hash::Hash + std::fmt::Debug) {
        ui.add(egui::Label::new(egui::RichText::new(&self.plain).color(theme::FAILED)).wrap());
        if let Some(technical) = &self.technical {
            egui::CollapsingHeader::new("Details").id_salt(id).show(ui, |ui| {
                ui.add(
                    egui::Label::new(egui::RichText::new(technical).monospace())
                        .wrap()
                        .selectable(true),
                );
                if ui.small_button("Copy").clicked() {
                    ui.ctx().copy_text(technical.clone());
                }
            });
        }
    }
}

/// `text` without its parenthesised parts (nested ones too), spaces tidied.
fn without_parentheses(text: &str) -> String {
    let mut depth = 0usize;
    let mut kept = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => depth -= 1,
            _ if depth == 0 => kept.push(c),
            _ => {}
        }
    }
    let tidy = kept.split_whitespace().collect::<Vec<_>>().join(" ");
    tidy.replace(" ;", ";").replace(" ,", ",").replace(" .", ".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_words_go_behind_the_click() {
        let input = Path::new("/in/notes.mp3");
        let text = FailureText::of(
            "/in/notes.mp3: not a recognised audio format (core (probe): no suitable format reader found)",
            input,
        );
        assert_eq!(text.plain, "not an audio file Castmill can read");
        assert_eq!(
            text.technical.as_deref(),
            Some("/in/notes.mp3: not a recognised audio format (core (probe): no suitable format reader found)")
        );
    }

    #[test]
    fn plain_reasons_stay_as_they_are() {
        let input = Path::new("/in/a.wav");
        let text = FailureText::of("/in/a.wav: file is empty (0 bytes); a resume tries it again", input);
        assert_eq!(text.plain, "file is empty; a resume tries it again");
        assert!(text.technical.is_some());
        let text = FailureText::of("the disk is full", input);
        assert_eq!(
            text,
            FailureText {
                plain: "the disk is full".into(),
                technical: None
            }
        );
    }
}
