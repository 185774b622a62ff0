//! Restart policy: exponential backoff between restarts, up to an attempt limit. Attempts
//! count restarts without progress; a worker that commits new work starts the count again.

use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestartPolicy {
    pub base: Duration,
    pub cap: Duration,
    /// Restarts allowed in a row without progress.
    pub max_attempts: u32,
}

impl Default for RestartPolicy {
    fn default() -> Self {
        Self {
            base: Duration::from_millis(500),
            cap: Duration::from_secs(30),
            max_attempts: 5,
        }
    }
}

impl RestartPolicy {
    /// Delay before restart number `attempt` (1-based): base, 2×base, 4×base, … up to cap.
    pub fn delay(&self, attempt: u32) -> Duration {
        let factor = 1u32.checked_shl(attempt.saturating_sub(1)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.cap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap() {
        let p = RestartPolicy {
            base: Duration::from_millis(100),
            cap: Duration::from_millis(700),
            max_attempts: 9,
        };
        let delays: Vec<u128> = (1..=5).map(|a| p.delay(a).as_millis()).collect();
        assert_eq!(delays, vec![100, 200, 400, 700, 700]);
        assert_eq!(p.delay(100), Duration::from_millis(700));
    }
}
