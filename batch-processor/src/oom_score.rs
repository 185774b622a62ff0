//! Which process the kernel kills first when memory runs out: the worker, never the window.
//! A worker killed mid-window loses at most that window and is restarted from its
//! checkpoint; the app (and the user's other programs) should not pay for a large model.

/// Added to the worker's OOM score (the range is -1000 to 1000; raising it needs no privilege).
const WORKER_OOM_SCORE_ADJ: i32 = 500;

/// Marks this process as the one to kill first; a failure only costs that preference.
#[cfg(target_os = "linux")]
pub fn prefer_this_process() {
    if let Err(e) = std::fs::write("/proc/self/oom_score_adj", WORKER_OOM_SCORE_ADJ.to_string()) {
        tracing::warn!("failed to set the worker's oom_score_adj: {e}");
    }
}

#[cfg(not(target_os = "linux"))]
pub fn prefer_this_process() {
    let _ = WORKER_OOM_SCORE_ADJ;
}
