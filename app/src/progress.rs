//! Progress arithmetic shared by the terminal view and the window: clock text, speed in
//! audio seconds per wall second, and the time left at that speed.

/// `h:mm:ss`.
pub fn clock(seconds: f64) -> String {
    let s = seconds.max(0.0) as u64;
    format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// Speed (× real time) of the work done in this run, and the time left at that speed.
/// `start_s` is the batch position when the run began, so resumed work is not counted.
pub fn speed_and_eta(elapsed_s: f64, start_s: f64, done_s: f64, total_s: Option<f64>) -> (f64, Option<f64>) {
    let speed = if elapsed_s > 0.0 {
        (done_s - start_s).max(0.0) / elapsed_s
    } else {
        0.0
    };
    let eta = total_s.filter(|_| speed > 0.0).map(|t| (t - done_s).max(0.0) / speed);
    (speed, eta)
}

/// How long ago a moment (ms since the epoch) was, in words: "5 min ago".
pub fn ago(unix_ms: u64) -> String {
    let age_s = shared_ipc::now_unix_ms().saturating_sub(unix_ms) / 1000;
    match age_s {
        0..60 => format!("{age_s} s ago"),
        60..3600 => format!("{} min ago", age_s / 60),
        3600..86_400 => format!("{} h ago", age_s / 3600),
        _ => format!("{} days ago", age_s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_and_eta() {
        assert_eq!(clock(3725.9), "1:02:05");
        let (speed, eta) = speed_and_eta(10.0, 100.0, 200.0, Some(400.0));
        assert_eq!(speed, 10.0);
        assert_eq!(eta, Some(20.0));
        assert_eq!(speed_and_eta(0.0, 0.0, 0.0, Some(1.0)), (0.0, None));
    }
}
