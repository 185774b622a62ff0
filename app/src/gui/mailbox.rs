//! Where the job thread leaves the supervisor's events for the UI. Posting never waits: a UI
//! that is behind (or draws no frames at all) must never slow the supervisor, its reader or
//! the worker. Events that only say where things stand now (progress, heartbeats, memory)
//! are coalesced; when the box is full, what is only shown in passing (transcript lines and
//! those) makes room first, and should state events ever be lost, the UI is told to read
//! the job's state from its checkpoint instead.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use shared_ipc::WorkerEvent;

use crate::supervisor::events::{Outcome, SupervisorEvent};

/// Events held for the UI at most.
pub const CAPACITY: usize = 4096;

#[derive(Default)]
struct Inner {
    events: VecDeque<SupervisorEvent>,
    ended: Option<Outcome>,
    /// Events dropped since the UI last took them.
    dropped: u64,
    /// Some of them changed what the UI shows (a file's status): it must resync.
    lost_state: bool,
}

/// What the UI takes in one go.
#[derive(Debug, Default)]
pub struct Delivery {
    pub events: Vec<SupervisorEvent>,
    /// The supervisor's outcome, once the job ended.
    pub ended: Option<Outcome>,
    pub dropped: u64,
    /// Events that changed a file's status were dropped: read the state from the checkpoint.
    pub lost_state: bool,
}

#[derive(Clone, Default)]
pub struct Mailbox {
    /// The box, and a signal for the job's end.
    inner: Arc<(Mutex<Inner>, Condvar)>,
}

impl Mailbox {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Leaves an event for the UI. Never blocks.
    pub fn post(&self, event: SupervisorEvent) {
        let mut inner = self.lock();
        if let Some(last) = inner.events.back_mut()
            && supersedes(&event, last)
        {
            *last = event;
            return;
        }
        if inner.events.len() >= CAPACITY {
            inner.dropped += 1;
            match inner.events.iter().position(passing) {
                Some(index) => {
                    inner.events.remove(index);
                }
                None if passing(&event) => return,
                None => {
                    inner.lost_state = true;
                    return;
                }
            }
        }
        inner.events.push_back(event);
    }

    /// The job ended with `outcome`; kept apart so it is never dropped.
    pub fn end(&self, outcome: Outcome) {
        self.lock().ended = Some(outcome);
        self.inner.1.notify_all();
    }

    /// Waits at most `timeout` for the job to end; true if it has (the outcome stays here
    /// for [`Mailbox::take`]).
    pub fn wait_for_end(&self, timeout: Duration) -> bool {
        let guard = self.lock();
        let (guard, _) = self
            .inner
            .1
            .wait_timeout_while(guard, timeout, |inner| inner.ended.is_none())
            .unwrap_or_else(|p| p.into_inner());
        guard.ended.is_some()
    }

    /// Everything left since the last call.
    pub fn take(&self) -> Delivery {
        let mut inner = self.lock();
        Delivery {
            events: inner.events.drain(..).collect(),
            ended: inner.ended.take(),
            dropped: std::mem::take(&mut inner.dropped),
            lost_state: std::mem::take(&mut inner.lost_state),
        }
    }
}

/// `new` makes `old` (the event just before it) pointless: both only say where things stand.
fn supersedes(new: &SupervisorEvent, old: &SupervisorEvent) -> bool {
    use WorkerEvent::{Heartbeat, Memory, Progress};
    match (new, old) {
        (SupervisorEvent::Worker(new), SupervisorEvent::Worker(old)) => match (new, old) {
            (Progress { file_index: a, .. }, Progress { file_index: b, .. }) => a == b,
            (Heartbeat { .. }, Heartbeat { .. }) | (Memory { .. }, Memory { .. }) => true,
            _ => false,
        },
        _ => false,
    }
}

/// Shown in passing only: losing it loses no state.
fn passing(event: &SupervisorEvent) -> bool {
    matches!(
        event,
        SupervisorEvent::Worker(
            WorkerEvent::Segment { .. }
                | WorkerEvent::Progress { .. }
                | WorkerEvent::Heartbeat { .. }
                | WorkerEvent::Memory { .. }
        )
    )
}

#[cfg(test)]
mod tests {
    use shared_ipc::Segment;

    use super::*;

    fn segment(i: u64) -> SupervisorEvent {
        SupervisorEvent::Worker(WorkerEvent::Segment {
            file_index: 0,
            segment: Segment {
                start_ms: i,
                end_ms: i + 1,
                text: format!("line {i}"),
                confidence: 1.0,
                words: Vec::new(),
            },
        })
    }

    fn completed(file_index: usize) -> SupervisorEvent {
        SupervisorEvent::Worker(WorkerEvent::FileCompleted {
            file_index,
            input: format!("/in/{file_index}.mp3"),
            outputs: Vec::new(),
            audio_s: 1.0,
        })
    }

    fn heartbeat(seq: u64) -> SupervisorEvent {
        SupervisorEvent::Worker(WorkerEvent::Heartbeat {
            seq,
            progress: Some(seq),
        })
    }

    #[test]
    fn a_ui_that_never_takes_never_blocks_the_poster_and_keeps_every_state_event() {
        let mailbox = Mailbox::default();
        // Hours of a job that nobody watches: heartbeats, transcript and files finishing.
        for i in 0..200_000u64 {
            mailbox.post(heartbeat(i));
            mailbox.post(segment(i));
            if i % 1_000 == 0 {
                mailbox.post(completed((i / 1_000) as usize));
            }
        }
        assert!(!mailbox.wait_for_end(Duration::from_millis(1)));
        mailbox.end(Outcome::Stopped);
        assert!(mailbox.wait_for_end(Duration::from_secs(60)));
        let delivery = mailbox.take();
        assert!(delivery.events.len() <= CAPACITY);
        assert!(!delivery.lost_state);
        assert!(delivery.dropped > 0);
        let files: Vec<usize> = delivery
            .events
            .iter()
            .filter_map(|e| match e {
                SupervisorEvent::Worker(WorkerEvent::FileCompleted { file_index, .. }) => Some(*file_index),
                _ => None,
            })
            .collect();
        assert_eq!(
            files,
            (0..200).collect::<Vec<_>>(),
            "every file's completion is kept, in order"
        );
        assert_eq!(delivery.ended, Some(Outcome::Stopped));
        assert!(mailbox.take().events.is_empty());
    }

    #[test]
    fn where_things_stand_is_coalesced() {
        let mailbox = Mailbox::default();
        for i in 0..10 {
            mailbox.post(heartbeat(i));
        }
        mailbox.post(completed(0));
        mailbox.post(heartbeat(11));
        let events = mailbox.take().events;
        assert_eq!(events, vec![heartbeat(9), completed(0), heartbeat(11)]);
    }

    #[test]
    fn state_events_beyond_the_capacity_ask_for_a_resync() {
        let mailbox = Mailbox::default();
        for i in 0..CAPACITY + 5 {
            mailbox.post(completed(i));
        }
        let delivery = mailbox.take();
        assert_eq!(delivery.events.len(), CAPACITY);
        assert!(delivery.lost_state);
        assert_eq!(delivery.dropped, 5);
    }
}
