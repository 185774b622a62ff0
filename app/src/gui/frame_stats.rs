//! How long frames take to build, logged every few seconds at debug level
//! (`CASTMILL_LOG=castmill::gui=debug`), so the bench can read them from a real window.

use std::time::{Duration, Instant};

const REPORT_EVERY: Duration = Duration::from_secs(5);
/// A frame slower than this is logged on its own, to find what made it slow.
const SLOW_FRAME_S: f32 = 0.05;

pub struct FrameStats {
    since: Instant,
    frames: u32,
    total_s: f64,
    max_s: f32,
}

impl Default for FrameStats {
    fn default() -> Self {
        Self {
            since: Instant::now(),
            frames: 0,
            total_s: 0.0,
            max_s: 0.0,
        }
    }
}

impl FrameStats {
    /// Records the CPU time of the previous frame, as eframe measured it.
    pub fn record(&mut self, cpu_s: Option<f32>) {
        let Some(cpu_s) = cpu_s else { return };
        self.frames += 1;
        self.total_s += f64::from(cpu_s);
        self.max_s = self.max_s.max(cpu_s);
        if cpu_s > SLOW_FRAME_S {
            tracing::debug!(target: "castmill::gui", "slow frame: {:.1} ms", cpu_s * 1000.0);
        }
        if self.since.elapsed() >= REPORT_EVERY {
            tracing::debug!(
                target: "castmill::gui",
                "frames {} mean_ms {:.3} max_ms {:.3}",
                self.frames,
                self.total_s * 1000.0 / f64::from(self.frames),
                self.max_s * 1000.0
            );
            *self = Self::default();
        }
    }
}
