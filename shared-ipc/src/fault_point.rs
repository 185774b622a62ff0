//! Named points where Castmill's own writes can be made to fail, in test builds only
//! (feature `fault-injection`; in other builds every function here does nothing but the
//! write itself).
//!
//! A point is `<op>:<kind>`: the operation (`write`, `fsync`, `rename`, `dirsync`) and what
//! is being written, told from its path (`checkpoint`, `journal`, `record`, `note`, `map`,
//! `output`). Two environment variables drive it:
//!
//! - `CASTMILL_FAULT_TRACE=FILE` appends every point reached, one per line, so a test can
//!   list the points of an uninterrupted run;
//! - `CASTMILL_FAULT_AT=<point>#<n>=<action>` acts at the n-th time the point is reached:
//!   `fail` (the operation returns EIO, nothing done), `kill` (SIGKILL before it) or `torn`
//!   (a write puts down half its bytes, then SIGKILL).

use std::io::{self, Write};
use std::path::Path;

use crate::job_folder::{CHECKPOINT_FILE, JOURNALS_DIR, KNOWLEDGE_DIR};
use crate::job_spec::MAP_OF_CONTENT_FILE;

/// Writes `buf` at a `write` point.
pub fn write_all(path: &Path, writer: &mut impl Write, buf: &[u8]) -> io::Result<()> {
    #[cfg(feature = "fault-injection")]
    if let Some(action) = armed::reach("write", path) {
        armed::act(action, writer, buf)?;
    }
    #[cfg(not(feature = "fault-injection"))]
    let _ = path;
    writer.write_all(buf)
}

/// Marks reaching a point that is not a write (`fsync`, `rename`, `dirsync`): returns the
/// injected error, or kills the process, when this is the armed point.
pub fn check(op: &'static str, path: &Path) -> io::Result<()> {
    #[cfg(feature = "fault-injection")]
    if let Some(action) = armed::reach(op, path) {
        armed::act(action, &mut io::sink(), &[])?;
    }
    #[cfg(not(feature = "fault-injection"))]
    let _ = (op, path);
    Ok(())
}

/// What is being written, from its path (the job folder's and output folder's layout).
pub fn kind_of(path: &Path) -> &'static str {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let parent = path
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
        .unwrap_or("");
    match (name, parent) {
        (CHECKPOINT_FILE, _) => "checkpoint",
        (_, JOURNALS_DIR) => "journal",
        (_, KNOWLEDGE_DIR) => "record",
        (MAP_OF_CONTENT_FILE, _) => "map",
        _ if name.ends_with(".md") => "note",
        _ => "output",
    }
}

#[cfg(feature = "fault-injection")]
mod armed {
    use std::collections::HashMap;
    use std::io::{self, Write};
    use std::path::Path;
    use std::sync::{Mutex, OnceLock};

    #[derive(Clone, Copy)]
    pub enum Action {
        Fail,
        Kill,
        Torn,
    }

    struct Plan {
        point: String,
        occurrence: u32,
        action: Action,
    }

    fn plan() -> Option<&'static Plan> {
        static PLAN: OnceLock<Option<Plan>> = OnceLock::new();
        PLAN.get_or_init(|| {
            let spec = std::env::var("CASTMILL_FAULT_AT").ok()?;
            let (point, rest) = spec.split_once('#')?;
            let (occurrence, action) = rest.split_once('=')?;
            let action = match action {
                "fail" => Action::Fail,
                "kill" => Action::Kill,
                "torn" => Action::Torn,
                _ => return None,
            };
            Some(Plan {
                point: point.to_owned(),
                occurrence: occurrence.parse().ok()?,
                action,
            })
        })
        .as_ref()
    }

    /// Counts the point and traces it; returns the action when it is the armed one.
    pub fn reach(op: &str, path: &Path) -> Option<Action> {
        let point = format!("{op}:{}", super::kind_of(path));
        if let Some(trace) = std::env::var_os("CASTMILL_FAULT_TRACE") {
            let line = format!("{point}\n");
            let _ = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(trace)
                .and_then(|mut f| f.write_all(line.as_bytes()));
        }
        let plan = plan()?;
        static COUNTS: Mutex<Option<HashMap<String, u32>>> = Mutex::new(None);
        let mut counts = COUNTS.lock().unwrap_or_else(|p| p.into_inner());
        let count = counts
            .get_or_insert_with(HashMap::new)
            .entry(point.clone())
            .or_insert(0);
        *count += 1;
        (plan.point == point && plan.occurrence == *count).then_some(plan.action)
    }

    pub fn act(action: Action, writer: &mut impl Write, buf: &[u8]) -> io::Result<()> {
        match action {
            Action::Fail => Err(io::Error::from_raw_os_error(nix::libc::EIO)),
            Action::Kill => die(),
            Action::Torn => {
                writer.write_all(&buf[..buf.len() / 2])?;
                writer.flush()?;
                die()
            }
        }
    }

    fn die() -> ! {
        let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGKILL);
        std::process::abort()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_the_folder_layout() {
        assert_eq!(kind_of(Path::new("/d/jobs/1/checkpoint")), "checkpoint");
        assert_eq!(kind_of(Path::new("/d/jobs/1/journals/0.journal")), "journal");
        assert_eq!(kind_of(Path::new("/d/jobs/1/knowledge/0.json")), "record");
        assert_eq!(kind_of(Path::new("/out/Map of Content.md")), "map");
        assert_eq!(kind_of(Path::new("/out/episode.md")), "note");
        assert_eq!(kind_of(Path::new("/out/episode.srt")), "output");
    }
}
