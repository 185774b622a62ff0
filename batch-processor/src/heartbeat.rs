//! The liveness timer: a heartbeat and the worker's memory every second, from a
//! thread of its own so they keep coming while the model loads or a window is being decoded.
//! Each heartbeat carries the working thread's progress counter, which only the work
//! advances: the supervisor tells a busy worker from a stuck one by it. It also notices
//! when the parent is gone.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use batch_processor::work_progress::WorkProgress;
use shared_ipc::WorkerEvent;
use shared_ipc::protocol::StopCause;

use crate::control::Control;
use crate::emitter::Emitter;

pub const INTERVAL: Duration = Duration::from_secs(1);
/// Heartbeats per memory report. Every one: the supervisor's leak guard needs a few samples
/// of each kind of work, and a reading of one process's /proc files costs microseconds.
const MEMORY_EVERY: u64 = 1;

/// Stops the thread when dropped.
pub struct Heartbeat {
    stop: Option<mpsc::SyncSender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

pub fn start(emitter: Emitter, control: Control, progress: WorkProgress) -> std::io::Result<Heartbeat> {
    let (tx, rx) = mpsc::sync_channel::<()>(1);
    let thread = std::thread::Builder::new().name("heartbeat".into()).spawn(move || {
        let pid = sysinfo::Pid::from_u32(std::process::id());
        // Without process information there are simply no memory events.
        let mut system = sysinfo::System::new().ok();
        let mut seq = 0u64;
        loop {
            match rx.recv_timeout(INTERVAL) {
                Err(RecvTimeoutError::Timeout) => {}
                _ => return,
            }
            seq += 1;
            emitter.emit(&WorkerEvent::Heartbeat {
                seq,
                progress: Some(progress.value()),
            });
            if seq.is_multiple_of(MEMORY_EVERY)
                && let Some(system) = system.as_mut()
            {
                system.refresh_processes(sysinfo::ProcessesToUpdate::Some(&[pid]), true);
                if let Some(process) = system.process(pid) {
                    emitter.emit(&WorkerEvent::Memory {
                        rss_bytes: process.memory(),
                    });
                }
            }
            if emitter.is_broken() || control.parent_died() {
                control.request_stop(StopCause::ParentDied);
            }
        }
    })?;
    Ok(Heartbeat {
        stop: Some(tx),
        thread: Some(thread),
    })
}
