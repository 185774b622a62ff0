//! How far the working thread has got: a counter that only the work itself advances (each
//! decoded chunk, each step of whisper's computation, each embedding batch, each file
//! written). The heartbeat thread reports it, so the supervisor can tell a worker that is
//! busy from one whose working thread is stuck while its timer thread goes on.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Clone, Default)]
pub struct WorkProgress(Arc<AtomicU64>);

impl WorkProgress {
    /// Some work was done.
    pub fn tick(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    /// The count so far.
    pub fn value(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    /// The counter itself, for native callbacks that take a raw pointer.
    pub fn counter(&self) -> &AtomicU64 {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_one_count() {
        let progress = WorkProgress::default();
        let heartbeat_view = progress.clone();
        progress.tick();
        progress.tick();
        assert_eq!(heartbeat_view.value(), 2);
    }
}
