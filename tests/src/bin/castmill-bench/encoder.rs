//! The encoder's throughput inside the worker: its debug log gives each window's encoder
//! passes, their audio context and the time from a pass's start to its first decoding step;
//! the arithmetic is counted from the model's shape, to read against the CPU's peak.

/// Floating-point operations of one encoder pass over `frames` 20-ms frames: the two
/// convolutions, then per layer the four attention projections, the two MLP products (4×
/// wide) and the attention's two frames×frames products. A multiply-add counts as two.
pub fn gflop_per_pass(frames: usize, width: usize, layers: usize, mels: usize) -> f64 {
    let (n, d) = (frames as f64, width as f64);
    let conv1 = 2.0 * (2.0 * n) * (3.0 * mels as f64) * d;
    let conv2 = 2.0 * n * (3.0 * d) * d;
    let projections = 2.0 * 4.0 * n * d * d;
    let mlp = 2.0 * 2.0 * n * d * (4.0 * d);
    let attention = 2.0 * 2.0 * n * n * d;
    (conv1 + conv2 + layers as f64 * (projections + mlp + attention)) / 1e9
}

/// The encoder's share of a run.
#[derive(Debug, Clone, Copy, Default)]
pub struct EncoderTime {
    pub passes: u32,
    pub seconds: f64,
    pub gflop: f64,
}

impl EncoderTime {
    pub fn gflops(&self) -> f64 {
        self.gflop / self.seconds
    }
}

/// Sums the worker log's window lines ("…: 1 encoder passes of 1104 frames in 0.412 s, …")
/// for whisper tiny's shape (width 384, 4 layers, 80 mel bands).
pub fn from_worker_log(log: &str) -> Option<EncoderTime> {
    let mut total = EncoderTime::default();
    for line in log.lines() {
        let Some((_, rest)) = line.split_once(" s: ") else {
            continue;
        };
        let words: Vec<&str> = rest.split_whitespace().collect();
        // [passes, "encoder", "passes", "of", frames, "frames", "in", seconds, "s,", …]
        if words.len() < 8 || words[1] != "encoder" {
            continue;
        }
        let (Ok(passes), Ok(frames), Ok(seconds)) = (
            words[0].parse::<u32>(),
            words[4].parse::<usize>(),
            words[7].parse::<f64>(),
        ) else {
            continue;
        };
        total.passes += passes;
        total.seconds += seconds;
        total.gflop += passes as f64 * gflop_per_pass(frames, 384, 4, 80);
    }
    (total.passes > 0).then_some(total)
}

/// The CPU's single-precision peak: cores × clock × 64 (two AVX-512 FMA units × 16 lanes ×
/// 2 operations) where AVX-512 is there, 32 with AVX2 only.
pub fn peak_gflops(threads: usize) -> f64 {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let mhz: f64 = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("cpu MHz"))
        .and_then(|v| v.trim_start_matches([' ', '\t', ':']).trim().parse().ok())
        .unwrap_or(2000.0);
    let per_cycle = if cpuinfo.contains("avx512f") { 64.0 } else { 32.0 };
    threads as f64 * mhz / 1000.0 * per_cycle
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tiny_encoder_is_about_37_gflop_a_pass() {
        let g = gflop_per_pass(1500, 384, 4, 80);
        assert!((36.0..38.0).contains(&g), "{g}");
    }

    #[test]
    fn reads_the_window_lines_of_a_worker_log() {
        let log = "2026-12-02T04:04:07Z DEBUG batch_processor::transcribe: window at 0.00 s: 1 encoder passes of 1056 frames in 0.400 s, transcribed 20.40 of 20.40 s\n\
                   2026-12-02T04:04:08Z INFO batch_processor: file 1 finished\n\
                   2026-12-02T04:04:09Z DEBUG batch_processor::transcribe: window at 20.40 s: 2 encoder passes of 1488 frames in 1.100 s, transcribed 22.33 of 22.33 s\n";
        let t = from_worker_log(log).expect("window lines");
        assert_eq!(t.passes, 3);
        assert!((t.seconds - 1.5).abs() < 1e-9);
        let expected = gflop_per_pass(1056, 384, 4, 80) + 2.0 * gflop_per_pass(1488, 384, 4, 80);
        assert!((t.gflop - expected).abs() < 1e-9);
    }
}
