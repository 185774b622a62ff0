//! The supervisor's lines in the job log, next to the worker's own. Each line goes in one
//! write(2) on a file opened for appending, so a line of the supervisor's never splits one
//! of the worker's, even while the worker runs.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;

use shared_ipc::JobFolder;

/// Marks the supervisor's lines (`castmill jobs show` lists them).
pub const PREFIX: &str = "[supervisor ";

/// Appends one of the supervisor's decisions or observations to the job log.
pub fn append(folder: &JobFolder, line: &str) {
    let opened = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(folder.log());
    if let Ok(mut log) = opened {
        let text = format!("{PREFIX}{}] {line}\n", shared_ipc::now_unix_ms());
        let _ = log.write_all(text.as_bytes());
    }
}

/// The supervisor's lines in the log text, oldest first, without their time stamps.
pub fn supervisor_lines(log: &str) -> Vec<&str> {
    log.lines()
        .filter_map(|line| line.strip_prefix(PREFIX))
        .filter_map(|rest| rest.split_once("] ").map(|(_, text)| text))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_supervisors_lines_are_told_apart_from_the_workers() {
        let dir = tempfile::tempdir().expect("tempdir");
        let folder = JobFolder::new(dir.path());
        std::fs::write(folder.log(), "INFO worker line\n").expect("write");
        append(&folder, "holding the job: short of memory");
        append(&folder, "memory is free again");
        let log = std::fs::read_to_string(folder.log()).expect("read");
        assert_eq!(
            supervisor_lines(&log),
            vec!["holding the job: short of memory", "memory is free again"]
        );
    }
}
