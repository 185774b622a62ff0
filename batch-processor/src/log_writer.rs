//! Where the worker's log lines go: stderr (the job's log file), ignoring write errors. A log
//! line that cannot be written (disk full, a closed pipe) must never stop the work: the
//! logging library reports a failed write by printing to stderr, which panics when stderr
//! is what failed.

use std::io::{self, Write};

pub struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let _ = io::stderr().write_all(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        let _ = io::stderr().flush();
        Ok(())
    }
}
