//! Castmill's own file chooser, for desktops where the system one never appears (no
//! file-chooser portal): a folder's subfolders and the files that fit the purpose, a path
//! box, Up and Home, and the buttons the purpose needs.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::dialog_purpose::DialogPurpose;
use super::theme;

struct Entry {
    path: PathBuf,
    name: String,
    is_dir: bool,
}

pub struct FileBrowser {
    purpose: DialogPurpose,
    dir: PathBuf,
    entries: Vec<Entry>,
    selected: BTreeSet<PathBuf>,
    /// Why the folder could not be listed.
    problem: Option<String>,
    path_text: String,
}

impl FileBrowser {
    pub fn new(purpose: DialogPurpose, start_in: Option<PathBuf>) -> Self {
        let home = std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/"));
        let dir = start_in.filter(|d| d.is_dir()).unwrap_or(home);
        let mut browser = Self {
            purpose,
            dir: PathBuf::new(),
            entries: Vec::new(),
            selected: BTreeSet::new(),
            problem: None,
            path_text: String::new(),
        };
        browser.go_to(dir);
        browser
    }

    fn wants_files(&self) -> bool {
        matches!(self.purpose, DialogPurpose::AddFiles | DialogPurpose::ImportModelFile)
    }

    fn title(&self) -> &'static str {
        match self.purpose {
            DialogPurpose::AddFiles => "Add audio files",
            DialogPurpose::AddFolder => "Add a folder",
            DialogPurpose::OutputFolder => "Choose the output folder",
            DialogPurpose::ImportModelFile => "Import a whisper model file",
            DialogPurpose::ImportModelFolder => "Import a model folder",
        }
    }

    fn shows(&self, path: &Path, is_dir: bool) -> bool {
        is_dir
            || match self.purpose {
                DialogPurpose::AddFiles => crate::inputs::is_audio_name(path),
                DialogPurpose::ImportModelFile => true,
                _ => false,
            }
    }

    fn go_to(&mut self, dir: PathBuf) {
        self.selected.clear();
        self.path_text = dir.display().to_string();
        match std::fs::read_dir(&dir) {
            Ok(listing) => {
                let mut entries: Vec<Entry> = listing
                    .filter_map(Result::ok)
                    .filter_map(|e| {
                        let path = e.path();
                        let name = e.file_name().to_string_lossy().into_owned();
                        // Hidden entries stay hidden, as in the system choosers.
                        let is_dir = path.is_dir();
                        (!name.starts_with('.') && self.shows(&path, is_dir)).then_some(Entry { path, name, is_dir })
                    })
                    .collect();
                entries.sort_by(|a, b| b.is_dir.cmp(&a.is_dir).then_with(|| a.name.cmp(&b.name)));
                self.entries = entries;
                self.problem = None;
                self.dir = dir;
            }
            Err(e) => self.problem = Some(format!("cannot list {}: {e}", dir.display())),
        }
    }

    /// Draws the chooser; `Some(paths)` once the user is done (empty when cancelled).
    pub fn show(&mut self, ctx: &egui::Context) -> Option<Vec<PathBuf>> {
        let mut answer = None;
        let mut go = None;
        egui::Window::new(self.title())
            .collapsible(false)
            .default_size([560.0, 420.0])
            .show(ctx, |ui| {
                ui.horizontal(|ui| {
                    if ui.button("Up").clicked() {
                        go = self.dir.parent().map(Path::to_owned);
                    }
                    if ui.button("Home").clicked() {
                        go = std::env::var_os("HOME").map(PathBuf::from);
                    }
                    let label = ui.label("Folder:");
                    let typed = ui
                        .add(egui::TextEdit::singleline(&mut self.path_text).desired_width(f32::INFINITY))
                        .labelled_by(label.id);
                    if typed.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                        go = Some(PathBuf::from(&self.path_text));
                    }
                });
                if let Some(problem) = &self.problem {
                    ui.colored_label(theme::FAILED, problem);
                }
                egui::ScrollArea::vertical()
                    .max_height(280.0)
                    .auto_shrink([false, true])
                    .show(ui, |ui| {
                        for entry in &self.entries {
                            if entry.is_dir {
                                if ui.selectable_label(false, format!("📁 {}", entry.name)).clicked() {
                                    go = Some(entry.path.clone());
                                }
                            } else {
                                let mut on = self.selected.contains(&entry.path);
                                if ui.checkbox(&mut on, &entry.name).changed() {
                                    if on {
                                        if self.purpose == DialogPurpose::ImportModelFile {
                                            self.selected.clear();
                                        }
                                        self.selected.insert(entry.path.clone());
                                    } else {
                                        self.selected.remove(&entry.path);
                                    }
                                }
                            }
                        }
                        if self.entries.is_empty() {
                            ui.colored_label(theme::MUTED, "Nothing here to choose.");
                        }
                    });
                ui.separator();
                ui.horizontal(|ui| {
                    if self.wants_files() {
                        let label = match self.purpose {
                            DialogPurpose::ImportModelFile => "Import",
                            _ => "Add selected",
                        };
                        if ui
                            .add_enabled(!self.selected.is_empty(), egui::Button::new(label))
                            .clicked()
                        {
                            answer = Some(self.selected.iter().cloned().collect());
                        }
                    } else if ui.button("Choose this folder").clicked() {
                        answer = Some(vec![self.dir.clone()]);
                    }
                    if ui.button("Cancel").clicked() {
                        answer = Some(Vec::new());
                    }
                });
            });
        if let Some(dir) = go {
            self.go_to(dir);
        }
        answer
    }
}
