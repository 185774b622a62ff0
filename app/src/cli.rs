//! The command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub const EXIT_CODES_HELP: &str = "Exit codes:
  0  all files done
  1  done, but some files failed (see the messages)
  2  bad usage
  3  stopped (Ctrl-C); the job can be resumed
  4  the worker failed (model unusable, job folder unusable, or it crashed)
  5  (window) another Castmill window is already open and could not take the files";

#[derive(Debug, Parser)]
#[command(name = "castmill", version, about = "Batch transcription of podcasts and long audio, on your own machine.", after_help = EXIT_CODES_HELP)]
pub struct Cli {
    /// Run without a window: transcribe FILES/FOLDERS and show progress in the terminal.
    /// Without it, the window opens with FILES/FOLDERS in its queue.
    #[arg(long)]
    pub headless: bool,

    #[command(flatten)]
    pub run: RunArgs,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Output folder (created if missing).
    #[arg(long, short = 'o', value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Model name (see `castmill models list`) or path to a GGML whisper file.
    #[arg(long, default_value = castmill::models::catalog::DEFAULT_MODEL)]
    pub model: String,

    /// Spoken language code, or `auto`.
    #[arg(long, default_value = "en")]
    pub language: String,

    /// Decoding strategy.
    #[arg(long, value_enum, default_value_t = DecodingArg::Greedy)]
    pub decoding: DecodingArg,

    /// Beam width for `--decoding beam`.
    #[arg(long, default_value_t = 5)]
    pub beam_size: u32,

    /// Model threads (0 = all cores).
    #[arg(long, default_value_t = 0)]
    pub threads: u32,

    /// Print one JSON event per line instead of progress bars.
    #[arg(long)]
    pub json: bool,

    /// No per-episode notes (summary, key topics, related episodes), and so no Map of
    /// Content either. By default both are made when the embedding model is installed.
    #[arg(long)]
    pub no_summaries: bool,

    /// Notes, but no `Map of Content.md` for the batch.
    #[arg(long)]
    pub no_map: bool,

    /// No speakers: transcripts as one undivided voice. By default each output says who
    /// speaks, with as many speakers as the audio has.
    #[arg(long, conflicts_with_all = ["speakers", "min_speakers", "max_speakers"])]
    pub no_speakers: bool,

    /// The number of speakers, when known.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..), conflicts_with_all = ["min_speakers", "max_speakers"])]
    pub speakers: Option<u32>,

    /// At least this many speakers.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub min_speakers: Option<u32>,

    /// At most this many speakers.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max_speakers: Option<u32>,

    /// Sentence-embedding model for summaries: a name from `castmill models list` or a
    /// sentence-transformers folder.
    #[arg(long, value_name = "NAME", default_value = castmill::models::catalog::DEFAULT_EMBEDDING_MODEL)]
    pub embedding_model: String,

    #[command(flatten)]
    pub supervision: SupervisionArgs,

    /// Audio files, or folders whose audio files are taken in name order.
    #[arg(value_name = "FILES/FOLDERS")]
    pub inputs: Vec<PathBuf>,
}

/// How the supervisor watches and restarts the worker.
#[derive(Debug, Clone, Args)]
pub struct SupervisionArgs {
    /// Seconds the worker may stay silent (while not paused) before it is stopped and restarted.
    #[arg(long, default_value_t = 30.0, value_name = "SECS")]
    pub watchdog_timeout: f64,

    /// Seconds the worker may work without making progress (while not paused) before it is
    /// stopped and restarted. The limit grows to 4× the slowest step seen on this job.
    #[arg(long, default_value_t = 120.0, value_name = "SECS")]
    pub stall_timeout: f64,

    /// Seconds loading a model may take before the worker is stopped and restarted.
    #[arg(long, default_value_t = 300.0, value_name = "SECS")]
    pub model_load_timeout: f64,

    /// Seconds between asking a worker to stop (a stuck one, or at Ctrl-C) and killing it.
    #[arg(long, default_value_t = 5.0, value_name = "SECS")]
    pub kill_grace: f64,

    /// First delay before restarting a crashed worker, doubled on each further crash.
    #[arg(long, default_value_t = 500, value_name = "MS")]
    pub restart_base_ms: u64,

    /// Longest delay between restarts.
    #[arg(long, default_value_t = 30_000, value_name = "MS")]
    pub restart_cap_ms: u64,

    /// Restarts allowed in a row without progress before giving up.
    #[arg(long, default_value_t = 5)]
    pub max_restarts: u32,

    /// Pause the job while less than this percent of the memory it may use (the machine's,
    /// or its cgroup's limit if smaller) is available.
    #[arg(long, default_value_t = 15.0, value_name = "PERCENT")]
    pub memory_free_below: f64,

    /// Pause the job while more than this percent of swap is in use.
    #[arg(long, default_value_t = 50.0, value_name = "PERCENT")]
    pub swap_above: f64,

    /// Pause the job while the kernel says all tasks waited for memory more than this
    /// percent of the last ten seconds (PSI).
    #[arg(long, default_value_t = 10.0, value_name = "PERCENT")]
    pub memory_stall_above: f64,

    /// Seconds memory must stay clear before a job paused for it goes on.
    #[arg(long, default_value_t = 15.0, value_name = "SECS")]
    pub memory_calm: f64,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DecodingArg {
    Greedy,
    Beam,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Manage models.
    #[command(subcommand)]
    Models(ModelsCommand),
    /// List, inspect, resume, restart or delete jobs.
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// Name the speakers of finished episodes; later episodes label those voices by name.
    #[command(subcommand)]
    Speakers(SpeakersCommand),
}

/// An EPISODE is a job id (a job with one episode), JOB:N (its N-th input), the episode's
/// audio file, one of its outputs or its note, or its output name.
#[derive(Debug, Subcommand)]
pub enum SpeakersCommand {
    /// The named voices, or with EPISODE that episode's speakers and their talk time.
    List {
        episode: Option<String>,
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
    },
    /// Name a speaker of an episode ("Speaker 2", or its number): its outputs are written
    /// again with the name, and later jobs label the same voice with it.
    Name {
        episode: String,
        speaker: String,
        name: String,
        #[command(flatten)]
        rerun: RerunArgs,
    },
    /// Rename a named voice, in the library and in every episode labelled with it.
    Rename {
        old: String,
        new: String,
        #[command(flatten)]
        rerun: RerunArgs,
    },
    /// Make two names one voice: FROM's voiceprints join INTO's, and FROM's episodes say INTO.
    Merge {
        from: String,
        into: String,
        #[command(flatten)]
        rerun: RerunArgs,
    },
    /// Forget a named voice: later jobs no longer recognise it, and its episodes go back to
    /// "Speaker N".
    Forget {
        name: String,
        #[command(flatten)]
        rerun: RerunArgs,
    },
}

/// How the jobs whose outputs are written again are run.
#[derive(Debug, Args)]
pub struct RerunArgs {
    /// Print one JSON event per line instead of progress bars.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub supervision: SupervisionArgs,
}

#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// Every job with its state (running, finished, interrupted, corrupt) and progress.
    List {
        /// One JSON object per job.
        #[arg(long)]
        json: bool,
    },
    /// One job in detail: its files, their states, and the end of its log.
    Show { id: String },
    /// Continue an interrupted job from its checkpoint.
    Resume {
        id: String,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        supervision: SupervisionArgs,
    },
    /// Discard a job's progress and run it again from the start.
    Restart {
        id: String,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        supervision: SupervisionArgs,
    },
    /// Rebuild a job's summaries, notes and Map of Content from its transcripts, without
    /// transcribing again (a job made without summaries gets them).
    Resummarize {
        id: String,
        /// Sentence-embedding model to use (default: the job's own, else the default one).
        #[arg(long, value_name = "NAME")]
        embedding_model: Option<String>,
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        supervision: SupervisionArgs,
    },
    /// Remove a job's bookkeeping (never its inputs or outputs).
    Delete { id: String },
}

#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// List installed models.
    List,
    /// Download a model from the whisper.cpp model host (resumable, verified).
    Install {
        name: String,
        /// Expected SHA-1 of the file (defaults to the published one for known models).
        #[arg(long)]
        sha1: Option<String>,
    },
    /// Import a GGML whisper file or a CTranslate2 (faster-whisper) model folder.
    Import {
        path: PathBuf,
        /// Name to install it under (default: from the file or the model's size).
        #[arg(long)]
        name: Option<String>,
    },
    /// Make a smaller, faster copy of an installed whisper model with quantized weights
    /// (q8_0 keeps the accuracy; q5_x and q4_x trade some of it for size and speed).
    Quantize {
        name: String,
        #[arg(value_parser = ["q8_0", "q5_1", "q5_0", "q4_1", "q4_0"])]
        kind: String,
        /// Name of the new model (default: NAME-KIND).
        #[arg(long)]
        name_as: Option<String>,
    },
    /// Remove an installed model.
    Remove { name: String },
}
