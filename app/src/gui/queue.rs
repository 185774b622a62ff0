//! The queue of inputs before a job starts: add (files and folders), remove, reorder.

use std::path::{Path, PathBuf};

use shared_ipc::probe::ProbeLine;

#[derive(Debug, Clone, PartialEq)]
pub struct QueueItem {
    pub path: PathBuf,
    pub size: u64,
    /// Length in seconds, once probed.
    pub duration_s: Option<f64>,
    /// Why the file looks unreadable, once probed (the job would fail it).
    pub problem: Option<String>,
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
    /// Returns the files added, and what could not be added, with why.
    pub fn add_paths(&mut self, paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<String>) {
        match crate::inputs::expand_each(paths) {
            Ok(expanded) => {
                let added = expanded.files.into_iter().filter(|f| self.push(f)).collect();
                (added, expanded.skipped)
            }
            Err(e) => (Vec::new(), vec![format!("{e:#}")]),
        }
    }

    fn push(&mut self, path: &Path) -> bool {
        if self.items.iter().any(|i| i.path == path) {
            return false;
        }
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        self.items.push(QueueItem {
            path: path.to_owned(),
            size,
            duration_s: None,
            problem: None,
        });
        true
    }

    /// Records what probing found about a file.
    pub fn probed(&mut self, probe: ProbeLine) {
        if let Some(item) = self.items.iter_mut().find(|i| i.path == probe.path) {
            item.duration_s = probe.duration_s;
            item.problem = probe.error;
        }
    }

    /// Total length of the queue, when every file's is known.
    pub fn total_duration_s(&self) -> Option<f64> {
        self.items.iter().map(|i| i.duration_s).sum()
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
