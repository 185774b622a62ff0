//! Keyboard shortcuts for the common actions, in one place so menus, tooltips and the key
//! handling agree.

use egui::{Key, KeyboardShortcut, Modifiers};

pub const ADD_FILES: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::O);
pub const ADD_FOLDER: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND.plus(Modifiers::SHIFT), Key::O);
pub const START: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Enter);
pub const PAUSE_RESUME: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::P);
pub const STOP: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Period);
pub const SKIP: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::K);
pub const NEW_BATCH: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::N);
pub const SETTINGS: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Comma);
pub const QUIT: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Q);

/// True (once) when the shortcut was pressed this frame.
pub fn pressed(ui: &egui::Ui, shortcut: KeyboardShortcut) -> bool {
    ui.ctx().input_mut(|i| i.consume_shortcut(&shortcut))
}

/// "Ctrl+O" on Linux, "⌘O" on macOS, for tooltips.
pub fn text(ui: &egui::Ui, shortcut: KeyboardShortcut) -> String {
    ui.ctx().format_shortcut(&shortcut)
}
