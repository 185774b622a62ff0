//! `castmill --headless` and `castmill jobs resume|restart`: run a job under the supervisor
//! with terminal progress. Ctrl-C stops gracefully (a second Ctrl-C at once); SIGUSR1 and
//! SIGUSR2 pause and resume.

use std::time::Duration;

use anyhow::{Result, bail};
use castmill::data_dirs::DataDirs;
use castmill::models::speaker_model;
use castmill::models::store::ModelStore;
use castmill::supervisor::backoff::RestartPolicy;
use castmill::supervisor::control::JobControl;
use castmill::supervisor::events::Outcome;
use castmill::supervisor::jobs::{self, JobError, JobRequest};
use castmill::supervisor::runner::{self, SupervisorConfig};
use shared_ipc::{Decoding, JobFolder, SpeakerOptions, TranscribeOptions};
use signal_hook::consts::{SIGINT, SIGTERM, SIGUSR1, SIGUSR2};

use crate::cli::{DecodingArg, RunArgs, SupervisionArgs};
use crate::progress_view::View;

pub const EXIT_OK: u8 = 0;
pub const EXIT_SOME_FAILED: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_STOPPED: u8 = 3;
pub const EXIT_WORKER_FAILED: u8 = 4;
/// The desktop window was not opened because another one is open.
pub const EXIT_ALREADY_OPEN: u8 = 5;

pub fn run(args: RunArgs) -> Result<u8> {
    let Some(out) = args.out.clone() else {
        bail!("--out DIR is required with --headless")
    };
    let dirs = DataDirs::locate()?;
    let embeddings = if args.no_summaries {
        None
    } else {
        match ModelStore::new(dirs.models()).embedding_model(&args.embedding_model) {
            Ok(folder) => Some(folder),
            // Summaries are a bonus on top of transcripts: without the model, say so and go on.
            Err(e) => {
                eprintln!("castmill: no summaries or Map of Content: {e:#} (install it, or pass --no-summaries)");
                None
            }
        }
    };
    let speakers = !args.no_speakers
        && match speaker_model::check_installed(&dirs.models()) {
            Ok(()) => true,
            // Like summaries: transcripts without speakers rather than no transcripts.
            Err(e) => {
                eprintln!(
                    "castmill: no speakers: {e:#} (install them: scripts/setup.sh --deps, or pass --no-speakers)"
                );
                false
            }
        };
    let options = TranscribeOptions {
        language: args.language.clone(),
        decoding: match args.decoding {
            DecodingArg::Greedy => Decoding::Greedy,
            DecodingArg::Beam => Decoding::BeamSearch {
                beam_size: args.beam_size,
            },
        },
        threads: args.threads,
        summaries: embeddings.is_some(),
        map_of_content: embeddings.is_some() && !args.no_map,
        speakers: SpeakerOptions {
            enabled: speakers,
            min: args.speakers.or(args.min_speakers),
            max: args.speakers.or(args.max_speakers),
        },
        ..TranscribeOptions::default()
    };
    if let (Some(min), Some(max)) = (args.min_speakers, args.max_speakers)
        && min > max
    {
        bail!("--min-speakers {min} is more than --max-speakers {max}");
    }
    let request = JobRequest {
        inputs: args.inputs.clone(),
        output_dir: out,
        model: args.model.clone(),
        embeddings,
        options,
    };
    let job = match jobs::create_job(&dirs, request) {
        Ok(job) => job,
        Err(e @ JobError::ModelNotInstalled { .. }) => bail!("{e}; see `castmill models list`"),
        Err(e) => return Err(e.into()),
    };
    for reason in &job.skipped {
        eprintln!("castmill: skipped: {reason}");
    }
    eprintln!("job {}", job.spec.job_id);
    let code = supervise(&job.folder, job.spec.inputs.len(), args.json, &args.supervision)?;
    // An argument left out is a file the user asked for and did not get.
    Ok(if code == EXIT_OK && !job.skipped.is_empty() {
        EXIT_SOME_FAILED
    } else {
        code
    })
}

pub fn config_from(args: &SupervisionArgs) -> SupervisorConfig {
    SupervisorConfig {
        watchdog_timeout: Duration::from_secs_f64(args.watchdog_timeout.max(1.0)),
        stall_timeout: Duration::from_secs_f64(args.stall_timeout.max(1.0)),
        model_load_timeout: Duration::from_secs_f64(args.model_load_timeout.max(1.0)),
        kill_grace: Duration::from_secs_f64(args.kill_grace.max(0.0)),
        restart: RestartPolicy {
            base: Duration::from_millis(args.restart_base_ms),
            cap: Duration::from_millis(args.restart_cap_ms.max(args.restart_base_ms)),
            max_attempts: args.max_restarts,
        },
        worker: None,
        worker_env: Vec::new(),
        memory: castmill_memory::Thresholds {
            available_below: (args.memory_free_below / 100.0).clamp(0.0, 1.0),
            swap_above: (args.swap_above / 100.0).clamp(0.0, 1.0),
            stall_above: args.memory_stall_above.max(0.0),
            calm_for: Duration::from_secs_f64(args.memory_calm.max(0.0)),
        },
    }
}

/// Runs a job folder to its end under the supervisor and returns the exit code.
pub fn supervise(folder: &JobFolder, files: usize, json: bool, supervision: &SupervisionArgs) -> Result<u8> {
    supervise_each(&[(folder.clone(), files)], json, supervision)
}

/// Runs job folders (each with its number of files) one after another, each to its end, and
/// returns the exit code of the first that did not finish cleanly (a stop ends the run).
pub fn supervise_each(jobs: &[(JobFolder, usize)], json: bool, supervision: &SupervisionArgs) -> Result<u8> {
    let control = JobControl::default();
    forward_signals(control.clone())?;
    let mut worst = EXIT_OK;
    for (folder, files) in jobs {
        let code = run_one(folder, *files, json, supervision, &control);
        if code == EXIT_STOPPED {
            return Ok(code);
        }
        if worst == EXIT_OK {
            worst = code;
        }
    }
    Ok(worst)
}

fn run_one(folder: &JobFolder, files: usize, json: bool, supervision: &SupervisionArgs, control: &JobControl) -> u8 {
    let mut view = View::new(json, files);
    let outcome = runner::run(folder, &config_from(supervision), control, |event| view.show(&event));
    view.finish();
    let id = folder.id();
    match outcome {
        Outcome::Finished { files_failed, .. } if files_failed > 0 => EXIT_SOME_FAILED,
        Outcome::Finished { .. } => EXIT_OK,
        Outcome::Stopped => {
            eprintln!("stopped; continue with: castmill jobs resume {id}");
            EXIT_STOPPED
        }
        Outcome::Unrunnable { reason } => {
            eprintln!("castmill: the job cannot run: {reason}");
            EXIT_WORKER_FAILED
        }
        Outcome::GaveUp { reason } => {
            eprintln!(
                "castmill: gave up: {reason} (log: {}); continue with: castmill jobs resume {id}",
                folder.log().display()
            );
            EXIT_WORKER_FAILED
        }
    }
}

/// Ctrl-C (the user) and SIGTERM (a shutdown, a service manager: the app closing) stop
/// gracefully, the second time at once; SIGUSR1/SIGUSR2 pause and resume the job.
fn forward_signals(control: JobControl) -> Result<()> {
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGUSR1, SIGUSR2])?;
    std::thread::Builder::new().name("signals".into()).spawn(move || {
        let mut stops = 0;
        for signal in signals.forever() {
            match signal {
                SIGUSR1 => control.pause(),
                SIGUSR2 => control.resume(),
                signal => {
                    stops += 1;
                    if stops == 1 {
                        eprintln!("\nstopping after committing what is done (Ctrl-C again to stop now)…");
                        if signal == SIGTERM {
                            control.stop_for_closing();
                        } else {
                            control.stop();
                        }
                    } else {
                        control.kill();
                    }
                }
            }
        }
    })?;
    Ok(())
}
