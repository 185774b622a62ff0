//! The hostile-input corpus: files a real batch meets (damaged, odd, hostile or just
//! unusual), each made on the spot from the speech fixtures, with the outcome a user should
//! get.

use std::path::{Path, PathBuf};

use crate::fixtures;

/// What must come of one input.
#[derive(Debug, Clone)]
pub enum Expect {
    /// Transcribed; the transcript holds these words (lower case).
    Words(&'static [&'static str]),
    /// Transcribed, and the transcript is empty: nothing was invented.
    NoWords,
    /// Transcribed; what whisper makes of it is not asserted (music, a fraction of a second).
    Finishes,
    /// Fails alone, with a reason that names the file and contains this cause.
    Fails(&'static str),
}

#[derive(Debug, Clone)]
pub struct Case {
    pub what: &'static str,
    pub path: PathBuf,
    pub expect: Expect,
}

/// Deterministic noise, so a failing case fails the same way every run.
pub fn noise(len: usize, seed: u32) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2_654_435_761).max(1);
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (state >> 24) as u8
        })
        .collect()
}

/// The first `fraction` of `src`, written to `dest`.
pub fn truncated(src: &Path, dest: &Path, fraction: f64) -> PathBuf {
    let bytes = std::fs::read(src).expect("read");
    std::fs::write(dest, &bytes[..(bytes.len() as f64 * fraction) as usize]).expect("write");
    dest.to_owned()
}

fn write(path: PathBuf, bytes: &[u8]) -> PathBuf {
    std::fs::write(&path, bytes).expect("write");
    path
}

/// A 16-bit PCM WAV whose header claims about 37 hours of audio, followed by `samples`.
fn wav_claiming_hours(path: PathBuf, samples: &[i16]) -> PathBuf {
    let mut bytes = Vec::new();
    let claimed: u32 = 0xFFFF_FF00;
    bytes.extend_from_slice(b"RIFF");
    bytes.extend_from_slice(&claimed.wrapping_add(36).to_le_bytes());
    bytes.extend_from_slice(b"WAVEfmt ");
    bytes.extend_from_slice(&16u32.to_le_bytes());
    for field in [1u16, 1] {
        bytes.extend_from_slice(&field.to_le_bytes());
    }
    bytes.extend_from_slice(&16_000u32.to_le_bytes());
    bytes.extend_from_slice(&32_000u32.to_le_bytes());
    for field in [2u16, 16] {
        bytes.extend_from_slice(&field.to_le_bytes());
    }
    bytes.extend_from_slice(b"data");
    bytes.extend_from_slice(&claimed.to_le_bytes());
    bytes.extend(samples.iter().flat_map(|s| s.to_le_bytes()));
    write(path, &bytes)
}

/// Twelve seconds of chords with a beat: music with no words in it.
fn music(path: &Path) {
    let rate = 16_000.0;
    let chords: [[f32; 3]; 4] = [
        [261.6, 329.6, 392.0],
        [220.0, 261.6, 329.6],
        [174.6, 220.0, 261.6],
        [196.0, 246.9, 293.7],
    ];
    let samples = (0..12 * 16_000).map(|i| {
        let t = i as f32 / rate;
        let chord = chords[(t / 0.75) as usize % chords.len()];
        let beat = (-((t % 0.375) * 12.0)).exp();
        let tone: f32 = chord
            .iter()
            .map(|f| (2.0 * std::f32::consts::PI * f * t).sin() + 0.3 * (4.0 * std::f32::consts::PI * f * t).sin())
            .sum();
        ((0.12 * tone * (0.5 + beat)).clamp(-1.0, 1.0) * 20_000.0) as i16
    });
    fixtures::write_wav(path, samples);
}

/// A folder named like an audio file, with nothing in it: the command line takes folders
/// as folders, so this one is skipped with a warning (the worker's own "is a folder" answer
/// is checked in bad_inputs.rs).
pub fn empty_folder_named_like_audio(dir: &Path) -> PathBuf {
    let folder = dir.join("a folder.wav");
    std::fs::create_dir(&folder).expect("mkdir");
    folder
}

/// Every per-file case, made in `dir`. The unreadable file is made unreadable by mode (the
/// caller must run Castmill without the power to ignore it, see `without_dac_override`).
pub fn corpus(dir: &Path) -> Vec<Case> {
    use Expect::*;
    let bread = fixtures::clip_samples("bread");
    let mut cases = Vec::new();
    let mut add = |what, path, expect| cases.push(Case { what, path, expect });

    for (i, ext) in ["mp3", "m4a", "flac", "ogg", "wav"].into_iter().enumerate() {
        let path = write(dir.join(format!("random bytes.{ext}")), &noise(40_000, i as u32 + 1));
        add(
            "random bytes with an audio extension",
            path,
            Fails("not a recognised audio format"),
        );
    }
    add("a zero-byte mp3", write(dir.join("zero.mp3"), b""), Fails("empty"));
    add("a zero-byte m4a", write(dir.join("zero.m4a"), b""), Fails("empty"));
    for ext in ["mp3", "m4a", "flac", "ogg"] {
        let path = truncated(
            &fixtures::clip("garden", ext),
            &dir.join(format!("cut short.{ext}")),
            0.5,
        );
        add("a truncated file", path, Fails("truncated"));
    }
    add(
        "a WAV whose header claims 37 hours",
        wav_claiming_hours(dir.join("claims hours.wav"), &bread[..16_000 * 3]),
        Fails("truncated"),
    );

    let absurd_rate = dir.join("claims 285 MHz.wav");
    fixtures::write_wav_as(&absurd_rate, 285_256_772, 1, bread[..16_000].iter().copied());
    add(
        "a WAV claiming a 285 MHz sample rate",
        absurd_rate,
        Fails("unsupported sample rate"),
    );

    let eight_khz = dir.join("8 kHz mono.wav");
    // Every other sample of a band-limited average: enough for speech.
    fixtures::write_wav_as(
        &eight_khz,
        8_000,
        1,
        bread.chunks_exact(2).map(|p| ((p[0] as i32 + p[1] as i32) / 2) as i16),
    );
    add("8 kHz mono", eight_khz, Words(&["flour"]));
    let ninety_six = dir.join("96 kHz 6 channels.wav");
    fixtures::write_wav_as(
        &ninety_six,
        96_000,
        6,
        bread.windows(2).flat_map(|pair| {
            (0..6).flat_map(move |step| {
                let s = pair[0] as f32 + (pair[1] as f32 - pair[0] as f32) * step as f32 / 6.0;
                [s as i16; 6]
            })
        }),
    );
    add("96 kHz, 6 channels", ninety_six, Words(&["flour"]));

    let short = dir.join("a fifth of a second.wav");
    fixtures::write_wav(&short, bread[16_000..16_000 + 3_200].iter().copied());
    add("a 0.2-second file", short, Finishes);
    let silence = dir.join("silence.wav");
    fixtures::write_wav(&silence, std::iter::repeat_n(0i16, 16_000 * 20));
    add("silence only", silence, NoWords);
    let tune = dir.join("music.wav");
    music(&tune);
    add("music only", tune, Finishes);

    let locked = dir.join("unreadable.mp3");
    std::fs::copy(fixtures::clip("bread", "mp3"), &locked).expect("copy");
    set_mode(&locked, 0o000);
    add("an unreadable file", locked, Fails("permission denied"));
    let looped = dir.join("loop.mp3");
    std::os::unix::fs::symlink(&looped, &looped).expect("symlink");
    add("a symbolic link loop", looped, Fails("link loop"));
    let pipe = dir.join("pipe.mp3");
    nix::unistd::mkfifo(&pipe, nix::sys::stat::Mode::S_IRWXU).expect("mkfifo");
    add("a named pipe named like audio", pipe, Fails("named pipe"));
    let endless = dir.join("endless.wav");
    std::os::unix::fs::symlink("/dev/urandom", &endless).expect("symlink");
    add("a link to an endless device", endless, Fails("a device"));
    add(
        "a file that does not exist",
        dir.join("missing.ogg"),
        Fails("file not found"),
    );

    let odd_names: [(&'static str, &str); 5] = [
        ("a name with spaces", "with  two spaces .ogg"),
        ("a name with quotes", "it's \"quoted\" `too`.ogg"),
        ("a name with a newline", "line\nbreak.ogg"),
        ("a unicode name", "émission Ünïcødé 日本語 🎙.ogg"),
        ("a name with a leading dash", "-rf --help.ogg"),
    ];
    for (what, name) in odd_names {
        let path = dir.join(name);
        std::fs::copy(fixtures::clip("garden", "ogg"), &path).expect("copy");
        add(what, path, Words(&["garden"]));
    }
    std::fs::create_dir(dir.join("other")).expect("mkdir");
    for (what, path) in [
        ("two inputs with one stem (first)", dir.join("astronomy.mp3")),
        ("two inputs with one stem (second)", dir.join("other/astronomy.flac")),
    ] {
        let ext = path.extension().and_then(|e| e.to_str()).expect("ext").to_owned();
        std::fs::copy(fixtures::clip("astronomy", &ext), &path).expect("copy");
        add(what, path, Words(&["jupiter"]));
    }
    cases
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// Makes a command run without the capabilities that let root read any file, so a file's
/// mode is obeyed even in a test run as root (the bounding set passes to its children).
pub fn without_dac_override(cmd: &mut std::process::Command) {
    use std::os::unix::process::CommandExt;
    const CAP_DAC_OVERRIDE: nix::libc::c_ulong = 1;
    const CAP_DAC_READ_SEARCH: nix::libc::c_ulong = 2;
    // SAFETY: prctl is async-signal-safe, and nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            for cap in [CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH] {
                // Without CAP_SETPCAP (not root) there is nothing to drop: ignore EPERM.
                nix::libc::prctl(nix::libc::PR_CAPBSET_DROP, cap, 0, 0, 0);
            }
            Ok(())
        });
    }
}
