//! `--probe`: each file's length, or why it cannot be read, as one JSON line per file.

use std::ffi::OsString;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use shared_ipc::probe::ProbeLine;

use castmill_audio::AudioSource;

pub fn run(files: &[OsString], out: File) {
    let mut out = BufWriter::new(out);
    for file in files {
        let path = PathBuf::from(file);
        let line = match AudioSource::open(&path) {
            Ok(source) => ProbeLine {
                duration_s: source.duration_s(),
                error: None,
                path,
            },
            Err(e) => ProbeLine {
                duration_s: None,
                error: Some(e.to_string()),
                path,
            },
        };
        let written = serde_json::to_writer(&mut out, &line)
            .map_err(std::io::Error::other)
            .and_then(|()| writeln!(out))
            .and_then(|()| out.flush());
        if written.is_err() {
            // The reader went away; nobody wants the rest.
            return;
        }
    }
}
