//! What the app remembers between runs (eframe persistence). `#[serde(default)]` keeps older
//! saved settings loadable when fields are added.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub output_dir: Option<PathBuf>,
    pub model: String,
    pub language: String,
    pub beam_search: bool,
    pub threads: u32,
    pub last_input_dir: Option<PathBuf>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            output_dir: None,
            model: crate::models::catalog::DEFAULT_MODEL.to_owned(),
            language: "en".into(),
            beam_search: false,
            threads: 0,
            last_input_dir: None,
        }
    }
}

impl Settings {
    pub const STORAGE_KEY: &'static str = "castmill-settings";

    /// The output folder to use: the chosen one, or `~/Castmill` by default.
    pub fn output_dir_or_default(&self) -> PathBuf {
        self.output_dir.clone().unwrap_or_else(|| {
            directories::UserDirs::new()
                .map(|u| u.home_dir().join("Castmill"))
                .unwrap_or_else(|| PathBuf::from("Castmill"))
        })
    }
}
