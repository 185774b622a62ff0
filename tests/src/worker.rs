//! Running the real worker on a job folder and reading its protocol stream.

use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use shared_ipc::job_spec::JOB_SPEC_VERSION;
use shared_ipc::{
    Checkpoint, EventReader, FileState, Fingerprint, Incoming, JobFolder, JobSpec, Journal, TranscribeOptions,
    WorkerEvent,
};
use tempfile::TempDir;

/// Guards against a test hanging forever; never a performance bound.
pub const HANG_GUARD: Duration = Duration::from_secs(300);

static MODEL_LOCK: Mutex<()> = Mutex::new(());

/// Model-heavy tests run one at a time (ggml's threads slow down badly when two runs share
/// the cores). nextest runs tests in separate processes and serialises them with a test group;
/// this lock does the same under plain `cargo test`.
pub fn one_model_at_a_time() -> MutexGuard<'static, ()> {
    MODEL_LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

/// A job folder and an output folder in a temporary directory.
pub struct TestJob {
    pub dir: TempDir,
    pub folder: JobFolder,
    pub out: PathBuf,
    pub spec: JobSpec,
}

impl TestJob {
    pub fn new(inputs: Vec<PathBuf>) -> Self {
        Self::with_model(inputs, crate::model_path())
    }

    pub fn with_model(inputs: Vec<PathBuf>, model: PathBuf) -> Self {
        Self::build(inputs, model, None)
    }

    /// A job that also makes notes and the Map of Content with the installed embedding model.
    pub fn with_knowledge(inputs: Vec<PathBuf>) -> Self {
        Self::build(inputs, crate::model_path(), Some(crate::embedding_model_dir()))
    }

    fn build(inputs: Vec<PathBuf>, model: PathBuf, embedding_model: Option<PathBuf>) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let folder = JobFolder::new(dir.path().join("job"));
        std::fs::create_dir_all(folder.root()).expect("job dir");
        let out = dir.path().join("out");
        std::fs::create_dir_all(&out).expect("out dir");
        let options = TranscribeOptions {
            threads: 2,
            summaries: embedding_model.is_some(),
            map_of_content: embedding_model.is_some(),
            ..TranscribeOptions::default()
        };
        let spec = JobSpec {
            format_version: JOB_SPEC_VERSION,
            job_id: "test".into(),
            created_at_ms: 0,
            inputs,
            output_dir: out.clone(),
            model,
            embedding_model,
            speaker_models: None,
            known_voices: Vec::new(),
            options,
        };
        spec.save(&folder.spec()).expect("save spec");
        Self { dir, folder, out, spec }
    }

    /// The same job, finding who speaks with the speaker networks the set-up installs.
    pub fn with_speakers(mut self) -> Self {
        self.spec.options.speakers.enabled = true;
        self.spec.speaker_models = Some(crate::speaker_models());
        self.spec.save(&self.folder.spec()).expect("save spec");
        self
    }

    /// The same job as another one (`job_id`) writing into `out`, where other jobs write too.
    pub fn writing_into(mut self, out: &std::path::Path, job_id: &str) -> Self {
        self.spec.output_dir = out.to_owned();
        self.spec.job_id = job_id.to_owned();
        self.spec.save(&self.folder.spec()).expect("save spec");
        self.out = out.to_owned();
        self
    }

    /// Another job with the same inputs, for comparing outputs.
    pub fn twin(&self) -> Self {
        let mut twin = Self::build(
            self.spec.inputs.clone(),
            self.spec.model.clone(),
            self.spec.embedding_model.clone(),
        );
        twin.spec.options = self.spec.options.clone();
        twin.spec.speaker_models = self.spec.speaker_models.clone();
        twin.spec.save(&twin.folder.spec()).expect("save spec");
        twin
    }

    pub fn output(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.out.join(name)).unwrap_or_else(|e| panic!("output {name}: {e}"))
    }

    pub fn output_text(&self, name: &str) -> String {
        String::from_utf8(self.output(name)).expect("utf8 output")
    }

    pub fn worker_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("worker.stderr")).unwrap_or_default()
    }
}

/// A running `batch-processor`.
pub struct RunningWorker {
    child: Child,
    rx: Receiver<Option<Incoming>>,
    /// Every line read so far.
    pub lines: Vec<Incoming>,
    closed: bool,
}

impl RunningWorker {
    pub fn start(job: &TestJob) -> Self {
        Self::start_with_env(job, &[])
    }

    pub fn start_with_env(job: &TestJob, env: &[(&str, &str)]) -> Self {
        let stderr = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(job.dir.path().join("worker.stderr"))
            .expect("stderr file");
        let mut cmd = Command::new(crate::worker_bin());
        cmd.arg(job.folder.root())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn worker");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::sync_channel(4096);
        std::thread::spawn(move || {
            for item in EventReader::new(stdout) {
                if tx.send(Some(item)).is_err() {
                    return;
                }
            }
            let _ = tx.send(None);
        });
        Self {
            child,
            rx,
            lines: Vec::new(),
            closed: false,
        }
    }

    /// True once the worker's stdout closed.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    pub fn pid(&self) -> Pid {
        Pid::from_raw(self.child.id() as i32)
    }

    pub fn signal(&self, signal: Signal) {
        kill(self.pid(), signal).expect("signal worker");
    }

    /// The next line, or `None` when stdout closed or `timeout` passed.
    pub fn next_line(&mut self, timeout: Duration) -> Option<Incoming> {
        if self.closed {
            return None;
        }
        match self.rx.recv_timeout(timeout) {
            Ok(Some(item)) => {
                self.lines.push(item.clone());
                Some(item)
            }
            Ok(None) | Err(RecvTimeoutError::Disconnected) => {
                self.closed = true;
                None
            }
            Err(RecvTimeoutError::Timeout) => None,
        }
    }

    /// Reads until an event matches; panics (showing what was seen) if the stream ends first.
    pub fn wait_for(&mut self, what: &str, pred: impl Fn(&WorkerEvent) -> bool) -> WorkerEvent {
        let deadline = Instant::now() + HANG_GUARD;
        while Instant::now() < deadline {
            match self.next_line(Duration::from_millis(200)) {
                Some(Incoming::Event(e)) if pred(&e) => return e,
                Some(_) => {}
                None if self.closed => break,
                None => {}
            }
        }
        panic!("worker never sent {what}; it sent: {:#?}", self.lines);
    }

    /// Reads everything until stdout closes, then reaps the process.
    pub fn finish(mut self) -> (ExitStatus, Vec<Incoming>) {
        let deadline = Instant::now() + HANG_GUARD;
        while !self.closed && Instant::now() < deadline {
            self.next_line(Duration::from_millis(500));
        }
        assert!(self.closed, "worker did not finish");
        let status = self.child.wait().expect("wait worker");
        (status, self.lines)
    }

    pub fn kill_hard(mut self) -> Vec<Incoming> {
        self.signal(Signal::SIGKILL);
        let _ = self.child.wait();
        self.lines
    }
}

/// Events only, in order.
pub fn events(lines: &[Incoming]) -> Vec<WorkerEvent> {
    lines
        .iter()
        .filter_map(|l| {
            if let Incoming::Event(e) = l {
                Some(e.clone())
            } else {
                None
            }
        })
        .collect()
}

/// Runs a job to the end.
pub fn run_to_end(job: &TestJob) -> (ExitStatus, Vec<WorkerEvent>) {
    let (status, lines) = RunningWorker::start(job).finish();
    (status, events(&lines))
}

/// Waits until no worker holds the job's lock (the worker has exited): a blocking shared
/// lock returns exactly when the worker's exclusive one is gone.
pub fn wait_until_unlocked(job_root: &std::path::Path) {
    let (tx, rx) = mpsc::channel();
    let lock = job_root.join("lock");
    std::thread::spawn(move || {
        let file = std::fs::File::open(lock).expect("lock file");
        let _ = tx.send(nix::fcntl::Flock::lock(file, nix::fcntl::FlockArg::LockShared).is_ok());
    });
    assert_eq!(
        rx.recv_timeout(HANG_GUARD),
        Ok(true),
        "the worker never let go of the job"
    );
}

/// A job whose one input is transcribed already: its journal holds `hours` of transcript.
pub fn transcribed_job(hours: u64) -> TestJob {
    transcribed_job_of(&[(&format!("episode-{hours}h"), hours)])
}

/// A job whose inputs (`(name, hours)`) are all transcribed already: each journal holds that
/// many hours of transcript, and only the knowledge stages are left to run.
pub fn transcribed_job_of(inputs: &[(&str, u64)]) -> TestJob {
    let paths: Vec<PathBuf> = inputs
        .iter()
        .map(|(name, _)| PathBuf::from(format!("/nonexistent/{name}.mp3")))
        .collect();
    let job = TestJob::with_knowledge(paths.clone());
    std::fs::create_dir_all(job.folder.journals_dir()).expect("journals dir");
    let fingerprint = Fingerprint {
        size: 0,
        modified_ns: 0,
        sample_crc32: 0,
    };
    let mut checkpoint = Checkpoint::new("bench", &paths);
    for (index, &(_, hours)) in inputs.iter().enumerate() {
        let mut journal = Journal::create(&job.folder.journal(index), fingerprint).expect("journal");
        let segments = crate::fixtures::transcript(hours);
        let audio_ms = hours * 3_600_000;
        // In 30-second windows, as the worker commits them.
        for (w, window) in segments.chunks(6).enumerate() {
            journal
                .commit_window(window, (w as u64 + 1) * 30 * 16_000)
                .expect("commit");
        }
        let file = &mut checkpoint.files[index];
        file.fingerprint = Some(fingerprint);
        file.duration_ms = Some(audio_ms);
        file.state = FileState::Done {
            outputs: Vec::new(),
            audio_ms,
        };
    }
    checkpoint.save(&job.folder.checkpoint()).expect("checkpoint");
    job
}
