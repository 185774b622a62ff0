//! Mono sample-rate conversion to 16 kHz with rubato, fed in arbitrary-sized pieces.
//! The output is exactly `ceil(input × ratio)` samples with the filter delay trimmed, so the
//! same input always gives the same samples, whatever the chunking.

use rubato::audioadapter_buffers::direct::{SequentialSlice, SequentialSliceOfVecs};
use rubato::{Fft, FixedSync, Indexing, Resampler};

const CHUNK: usize = 1024;

pub struct MonoResampler {
    inner: Fft<f32>,
    from: u32,
    ratio: f64,
    pending: Vec<f32>,
    out_buf: Vec<Vec<f32>>,
    delay_left: usize,
    total_in: u64,
    total_out: u64,
}

impl MonoResampler {
    pub fn new(from: u32, to: u32) -> Option<Self> {
        let inner = Fft::<f32>::new(from as usize, to as usize, CHUNK, 1, FixedSync::Input).ok()?;
        let max_out = inner.output_frames_max();
        let delay_left = inner.output_delay();
        Some(Self {
            inner,
            from,
            ratio: to as f64 / from as f64,
            pending: Vec::with_capacity(CHUNK * 2),
            out_buf: vec![vec![0.0; max_out]],
            delay_left,
            total_in: 0,
            total_out: 0,
        })
    }

    /// Resamples `input`, appending whatever output is ready to `out`.
    pub fn push(&mut self, input: &[f32], out: &mut Vec<f32>) {
        self.total_in += input.len() as u64;
        self.pending.extend_from_slice(input);
        let mut start = 0;
        while self.pending.len() - start >= self.inner.input_frames_next() {
            let need = self.inner.input_frames_next();
            self.process(start, need, None, out);
            start += need;
        }
        self.pending.drain(..start);
    }

    /// Pushes the remaining input and the filter's tail through.
    pub fn flush(&mut self, out: &mut Vec<f32>) {
        let expected = (self.total_in as f64 * self.ratio).ceil() as u64;
        let partial = self.pending.len();
        let need = self.inner.input_frames_next();
        self.pending.resize(need.max(partial), 0.0);
        self.process(0, need, Some(partial), out);
        // Silence is fed until the filter gives up its tail. An odd rate (one with no large
        // common factor with 16 kHz) makes rubato work in blocks of up to a second of input,
        // so the bound is seconds of input, not a number of chunks.
        let limit = 4 * self.from as u64 + need as u64;
        let mut fed = 0u64;
        while self.total_out < expected && fed < limit {
            self.pending.clear();
            let need = self.inner.input_frames_next();
            self.pending.resize(need, 0.0);
            self.process(0, need, Some(0), out);
            fed += need as u64;
        }
        let excess = self.total_out.saturating_sub(expected) as usize;
        out.truncate(out.len().saturating_sub(excess));
        self.total_out = expected;
        self.pending.clear();
    }

    fn process(&mut self, start: usize, len: usize, partial: Option<usize>, out: &mut Vec<f32>) {
        let Ok(input) = SequentialSlice::new(&self.pending[start..start + len], 1, len) else {
            return;
        };
        let frames_out = self.out_buf[0].len();
        let Ok(mut output) = SequentialSliceOfVecs::new_mut(&mut self.out_buf, 1, frames_out) else {
            return;
        };
        let indexing = partial.map(|p| Indexing::new().partial_len(p));
        let Ok((_, produced)) = self.inner.process_into_buffer(&input, &mut output, indexing.as_ref()) else {
            return;
        };
        let produced_slice = &self.out_buf[0][..produced];
        let skip = self.delay_left.min(produced);
        self.delay_left -= skip;
        out.extend_from_slice(&produced_slice[skip..]);
        self.total_out += (produced - skip) as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(chunks: &[usize], input: &[f32]) -> Vec<f32> {
        run_from(44_100, chunks, input)
    }

    fn run_from(rate: u32, chunks: &[usize], input: &[f32]) -> Vec<f32> {
        let mut r = MonoResampler::new(rate, 16_000).expect("resampler");
        let mut out = Vec::new();
        let mut at = 0;
        for &n in chunks.iter().cycle() {
            if at >= input.len() {
                break;
            }
            let end = (at + n).min(input.len());
            r.push(&input[at..end], &mut out);
            at = end;
        }
        r.flush(&mut out);
        out
    }

    #[test]
    fn output_length_and_content_do_not_depend_on_chunking() {
        let input: Vec<f32> = (0..44_100 * 2).map(|i| (i as f32 * 0.01).sin()).collect();
        let a = run(&[4096], &input);
        let b = run(&[17, 1000, 333], &input);
        assert_eq!(a.len(), 32_000);
        assert_eq!(a, b);
    }

    /// Rates with no large common factor with 16 kHz are resampled in big blocks; the
    /// whole tail must still come out (it used to stop half a second short).
    #[test]
    fn odd_rates_give_every_sample() {
        for rate in [44_101u32, 96_007, 12_345] {
            let input: Vec<f32> = (0..rate as usize * 2).map(|i| (i as f32 * 0.01).sin() * 0.5).collect();
            let out = run_from(rate, &[4096], &input);
            assert_eq!(out.len(), 32_000, "{rate} Hz");
        }
    }
}
