//! The queue of inputs before a job starts: add (files and folders), remove, reorder.

use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq)]
pub struct QueueItem {
    pub path: PathBuf,
    pub size: u64,
}

impl QueueItem {
    pub fn name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.path.display().to_string())
    }
}

#[derive(Debug, Default, Clone)]
pub struct Queue {
    pub items: Vec<QueueItem>,
}

impl Queue {
    /// Adds files as given and the audio files of folders (sorted); skips duplicates.
    /// Returns what could not be added, with why.
    pub fn add_paths(&mut self, paths: &[PathBuf]) -> Vec<String> {
        let mut problems = Vec::new();
        for path in paths {
            match crate::inputs::expand(std::slice::from_ref(path)) {
                Ok(files) => files.into_iter().for_each(|f| self.push(&f)),
                Err(e) => problems.push(format!("{e:#}")),
            }
        }
        problems
    }

    fn push(&mut self, path: &Path) {
        if self.items.iter().any(|i| i.path == path) {
            return;
        }
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        self.items.push(QueueItem {
            path: path.to_owned(),
            size,
        });
    }

    pub fn remove(&mut self, index: usize) {
        if index < self.items.len() {
            self.items.remove(index);
        }
    }

    pub fn move_up(&mut self, index: usize) {
        if index > 0 && index < self.items.len() {
            self.items.swap(index, index - 1);
        }
    }

    pub fn move_down(&mut self, index: usize) {
        if index + 1 < self.items.len() {
            self.items.swap(index, index + 1);
        }
    }

    pub fn paths(&self) -> Vec<PathBuf> {
        self.items.iter().map(|i| i.path.clone()).collect()
    }
}
