//! `batch-processor <job-folder>`: Castmill's worker. One process per job; protocol lines on
//! stdout, logs on stderr, progress committed to the job folder. Exit codes are in
//! `shared_ipc::exit_code`.

mod control;
mod coverage;
mod coverage_guard;
mod emitter;
mod episode_record;
#[cfg(feature = "fault-injection")]
mod fault_injection;
mod heartbeat;
mod job;
mod log_writer;
mod model_host;
mod oom_score;
mod output_names;
mod outputs;
mod parent_death;
mod probe;
mod quantize;
mod repetition;
mod stage;
mod stages;
mod stdout_guard;
mod transcribe;
mod vault;
mod whisper_log;
mod windows;

use std::process::ExitCode;

use batch_processor::work_progress::WorkProgress;
use shared_ipc::{JobFolder, PROTOCOL_VERSION, WorkerEvent, exit_code};

const USAGE: &str = "usage: batch-processor <job-folder>
       batch-processor --probe <file>...
       batch-processor --quantize <model.bin> <out.bin> <q8_0|q5_1|q5_0|q4_1|q4_0>

--probe prints each file's length (or why it cannot be read) as a JSON line.
--quantize writes a copy of a GGML whisper model with quantized weight matrices.

Runs one Castmill job: reads <job-folder>/job.json, writes progress to the folder and the
outputs to the job's output folder. Speaks JSON lines on stdout (see docs/PROTOCOL.md).
Signals: SIGUSR1 pause, SIGUSR2 resume, SIGTERM stop (resumable).
Exit codes: 0 finished, 1 internal error, 2 usage, 3 stopped, 4 model error,
5 job folder error, 6 already running.";

fn main() -> ExitCode {
    // SAFETY: the first thing the worker does; no other thread exists yet.
    unsafe { castmill_speakers::thread_count::settle_candle_threads() };
    // First, before any library can print: fd 1 becomes stderr, protocol gets its own fd.
    let protocol_out = match stdout_guard::take_protocol_stdout() {
        Ok(out) => out,
        Err(e) => {
            eprintln!("batch-processor: failed to set up the protocol stream: {e}");
            return exit(exit_code::INTERNAL_ERROR);
        }
    };
    init_logging();

    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let folder = match args.as_slice() {
        [flag] if flag == "--help" || flag == "-h" => {
            eprintln!("{USAGE}");
            return exit(exit_code::FINISHED);
        }
        [flag] if flag == "--version" => {
            eprintln!("batch-processor {}", env!("CARGO_PKG_VERSION"));
            return exit(exit_code::FINISHED);
        }
        [flag, files @ ..] if flag == "--probe" => {
            probe::run(files, protocol_out);
            return exit(exit_code::FINISHED);
        }
        [flag, input, output, kind] if flag == "--quantize" => {
            return exit(run_quantize(input.as_ref(), output.as_ref(), &kind.to_string_lossy()));
        }
        [folder] => {
            oom_score::prefer_this_process();
            JobFolder::new(folder)
        }
        _ => {
            eprintln!("{USAGE}");
            return exit(exit_code::USAGE);
        }
    };

    let emitter = emitter::Emitter::new(protocol_out);
    #[cfg(feature = "fault-injection")]
    let protocol_version = fault_injection::protocol_version(PROTOCOL_VERSION);
    #[cfg(not(feature = "fault-injection"))]
    let protocol_version = PROTOCOL_VERSION;
    emitter.emit(&WorkerEvent::Hello {
        protocol_version,
        pid: std::process::id(),
        worker_version: env!("CARGO_PKG_VERSION").into(),
    });
    let control = match control::Control::install() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("failed to install signal handlers: {e}");
            return exit(exit_code::INTERNAL_ERROR);
        }
    };
    let progress = WorkProgress::default();
    let _heartbeat = match heartbeat::start(emitter.clone(), control.clone(), progress.clone()) {
        Ok(h) => h,
        Err(e) => {
            tracing::error!("failed to start the heartbeat: {e}");
            return exit(exit_code::INTERNAL_ERROR);
        }
    };
    exit(job::run(&folder, &emitter, &control, &progress))
}

fn run_quantize(input: &std::path::Path, output: &std::path::Path, kind: &str) -> i32 {
    let Some(kind) = quantize::find(kind) else {
        let names: Vec<&str> = quantize::TYPES.iter().map(|t| t.name).collect();
        eprintln!(
            "batch-processor: unknown quantization {kind:?}; one of {}",
            names.join(", ")
        );
        return exit_code::USAGE;
    };
    match quantize::quantize_file(input, output, kind) {
        Ok(report) => {
            eprintln!(
                "quantized {} weight matrices to {}: {:.1} MB → {:.1} MB",
                report.quantized_tensors,
                kind.name,
                report.bytes_in as f64 / 1e6,
                report.bytes_out as f64 / 1e6
            );
            exit_code::FINISHED
        }
        Err(e) => {
            eprintln!("batch-processor: {e:#}");
            exit_code::MODEL_ERROR
        }
    }
}

fn exit(code: i32) -> ExitCode {
    ExitCode::from(code as u8)
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("CASTMILL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,whisper_rs=warn"));
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let log = tracing_subscriber::fmt::layer()
        .with_writer(|| log_writer::LogWriter)
        .with_ansi(false)
        .with_filter(filter)
        .with_filter(whisper_log::DeclinedPassesUnlogged);
    tracing_subscriber::registry().with(log).init();
    whisper_rs::install_logging_hooks();
}
