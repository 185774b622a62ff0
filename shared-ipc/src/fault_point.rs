//! Named points where Castmill's own writes can be made to fail, in test builds only
//! (feature `fault-injection`; in other builds every function here does nothing but the
//! write itself).
//!
//! A point is `<op>:<kind>`: the operation (`write`, `fsync`, `rename`, `dirsync`) and what
//! is being written ([`FileKind`], named by the caller that writes it). Two environment
//! variables drive it:
//!
//! - `CASTMILL_FAULT_TRACE=FILE` appends every point reached, one per line, so a test can
//!   list the points of an uninterrupted run;
//! - `CASTMILL_FAULT_AT=<point>#<n>=<action>` acts at the n-th time the point is reached:
//!   `fail` (the operation returns EIO, nothing done), `kill` (SIGKILL before it) or `torn`
//!   (a write puts down half its bytes, then SIGKILL).

use std::io::{self, Write};

use crate::file_kind::FileKind;

/// The steps of a durable write that are points of their own besides `write`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Fsync,
    Rename,
    DirSync,
}

impl Step {
    fn name(self) -> &'static str {
        match self {
            Step::Fsync => "fsync",
            Step::Rename => "rename",
            Step::DirSync => "dirsync",
        }
    }
}

/// Writes `buf` at the `write` point of `kind`.
pub fn write_all(kind: FileKind, writer: &mut impl Write, buf: &[u8]) -> io::Result<()> {
    #[cfg(feature = "fault-injection")]
    if let Some(action) = armed::reach("write", kind) {
        armed::act(action, writer, buf)?;
    }
    #[cfg(not(feature = "fault-injection"))]
    let _ = kind;
    writer.write_all(buf)
}

/// Marks reaching `step` of a write of `kind`: returns the injected error, or kills the
/// process, when this is the armed point.
pub fn check(step: Step, kind: FileKind) -> io::Result<()> {
    #[cfg(feature = "fault-injection")]
    if let Some(action) = armed::reach(step.name(), kind) {
        armed::act(action, &mut io::sink(), &[])?;
    }
    #[cfg(not(feature = "fault-injection"))]
    let _ = (step.name(), kind);
    Ok(())
}

#[cfg(feature = "fault-injection")]
mod armed {
    use std::collections::HashMap;
    use std::io::{self, Write};
    use std::sync::{Mutex, OnceLock};

    use super::FileKind;

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
    pub fn reach(op: &str, kind: FileKind) -> Option<Action> {
        let point = format!("{op}:{}", kind.name());
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
    fn points_are_named_by_step_and_kind() {
        assert_eq!(Step::DirSync.name(), "dirsync");
        assert_eq!(FileKind::RunState.name(), "run_state");
        // Without the feature (or unarmed), a point is just the write itself.
        let mut out = Vec::new();
        write_all(FileKind::Note, &mut out, b"note").expect("write");
        check(Step::Fsync, FileKind::Note).expect("fsync point");
        assert_eq!(out, b"note");
    }
}
