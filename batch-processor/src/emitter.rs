//! Writes protocol lines to the protected stdout. One mutex, so lines from the main and the
//! heartbeat thread never interleave; each line is flushed as it is written.

use std::fs::File;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use shared_ipc::WorkerEvent;

#[derive(Clone)]
pub struct Emitter {
    out: Arc<Mutex<File>>,
    /// Set when a write failed: the reader (our parent) is gone.
    broken: Arc<AtomicBool>,
}

impl Emitter {
    pub fn new(out: File) -> Self {
        Self {
            out: Arc::new(Mutex::new(out)),
            broken: Arc::new(AtomicBool::new(false)),
        }
    }

    pub fn emit(&self, event: &WorkerEvent) {
        let line = event.to_line();
        let mut out = match self.out.lock() {
            Ok(out) => out,
            Err(poisoned) => poisoned.into_inner(),
        };
        if out.write_all(line.as_bytes()).and_then(|_| out.flush()).is_err() {
            self.broken.store(true, Ordering::Relaxed);
        }
    }

    /// True once stdout could not be written (the supervisor is gone).
    pub fn is_broken(&self) -> bool {
        self.broken.load(Ordering::Relaxed)
    }
}
