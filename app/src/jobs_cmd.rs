//! `castmill jobs list|show|resume|restart|delete`.

use anyhow::{Result, bail};
use castmill::data_dirs::DataDirs;
use castmill::models::catalog::DEFAULT_EMBEDDING_MODEL;
use castmill::models::store::ModelStore;
use castmill::supervisor::recovery::{self, JobState, JobSummary};
use castmill::supervisor::{job_log, jobs};
use shared_ipc::{Checkpoint, FileState, StageState};

use crate::cli::JobsCommand;
use crate::headless::{self, EXIT_OK, EXIT_USAGE};

pub fn run(cmd: JobsCommand) -> Result<u8> {
    let dirs = DataDirs::locate()?;
    match cmd {
        JobsCommand::List { json } => {
            let all = recovery::scan(&dirs.jobs());
            if json {
                for job in &all {
                    println!("{}", summary_json(job));
                }
            } else if all.is_empty() {
                println!("no jobs in {}", dirs.jobs().display());
            } else {
                println!(
                    "{:<22} {:<34} {:>7} {:>19} {:<19} FIRST INPUT",
                    "ID", "STATE", "FILES", "AUDIO", "LAST ACTIVITY"
                );
                for job in &all {
                    let first = job
                        .inputs
                        .first()
                        .and_then(|p| p.file_name())
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    println!(
                        "{:<22} {:<34} {:>7} {:>19} {:<19} {first}",
                        job.id,
                        state_text(&job.state),
                        format!("{}/{}", job.files_done, job.files_total),
                        job.audio_text(),
                        castmill::progress::ago(job.last_activity_ms)
                    );
                }
            }
            Ok(EXIT_OK)
        }
        JobsCommand::Show { id } => {
            let folder = jobs::find(&dirs, &id)?;
            let job = recovery::summarize(&folder);
            println!(
                "job        {}\nstate      {}\nfolder     {}",
                job.id,
                state_text(&job.state),
                job.folder.display()
            );
            if let Some(out) = &job.output_dir {
                println!("outputs    {}", out.display());
            }
            if let Some(detail) = &job.detail {
                println!("ended      {detail}");
            }
            println!(
                "files      {} done, {} failed, {} in all\naudio      {}\nactivity   {}",
                job.files_done,
                job.files_failed,
                job.files_total,
                job.audio_text(),
                castmill::progress::ago(job.last_activity_ms)
            );
            if let Ok(Some(cp)) = Checkpoint::load(&folder.checkpoint()) {
                for (i, file) in cp.files.iter().enumerate() {
                    let state = match &file.state {
                        FileState::Pending => "pending".to_owned(),
                        FileState::InProgress => "in progress".to_owned(),
                        FileState::Done { .. } => "done".to_owned(),
                        FileState::Failed { reason, .. } => format!("failed: {reason}"),
                        FileState::Skipped => "skipped".to_owned(),
                    };
                    let summary = match &file.summary {
                        StageState::Done { .. } => ", summary done".to_owned(),
                        StageState::Failed { reason, .. } => format!(", no summary: {reason}"),
                        StageState::Skipped => ", summary skipped".to_owned(),
                        StageState::Pending => String::new(),
                    };
                    println!("  {:>3}. {}  [{state}{summary}]", i + 1, file.input.display());
                }
                match &cp.map_of_content {
                    StageState::Done { outputs } if !outputs.is_empty() => {
                        println!("map        {}", outputs[0].display())
                    }
                    StageState::Failed { reason, .. } => println!("map        not made: {reason}"),
                    _ => {}
                }
            }
            if let Ok(log) = std::fs::read_to_string(folder.log()) {
                // What the supervisor did and why (restarts, skips, holds for a full disk or
                // short memory, leak restarts), apart from the worker's own chatter.
                let decisions = job_log::supervisor_lines(&log);
                if !decisions.is_empty() {
                    println!("supervisor:");
                    for line in decisions.iter().rev().take(20).rev() {
                        println!("  {line}");
                    }
                }
                let tail: Vec<&str> = log.lines().rev().take(10).collect();
                if !tail.is_empty() {
                    println!("last log lines:");
                    for line in tail.iter().rev() {
                        println!("  {line}");
                    }
                }
            }
            Ok(EXIT_OK)
        }
        JobsCommand::Resume { id, json, supervision } => {
            let folder = jobs::find(&dirs, &id)?;
            let job = recovery::summarize(&folder);
            match job.state {
                JobState::Running => bail!("job {id} is already running"),
                JobState::Corrupt(reason) => bail!("job {id} cannot be resumed: {reason}"),
                JobState::Finished => {
                    eprintln!("job {id} is already finished");
                    return Ok(EXIT_OK);
                }
                JobState::Interrupted(_) => {}
            }
            headless::supervise(&folder, job.files_total, json, &supervision)
        }
        JobsCommand::Restart { id, json, supervision } => {
            let folder = jobs::find(&dirs, &id)?;
            jobs::reset(&folder)?;
            let files = recovery::summarize(&folder).files_total;
            headless::supervise(&folder, files, json, &supervision)
        }
        JobsCommand::Resummarize {
            id,
            embedding_model,
            json,
            supervision,
        } => {
            let folder = jobs::find(&dirs, &id)?;
            if recovery::summarize(&folder).state == JobState::Running {
                bail!("job {id} is running; stop it first");
            }
            let spec = shared_ipc::JobSpec::load(&folder.spec())?;
            // The job's own model when it has one, unless another is named.
            let model = match (
                embedding_model,
                spec.embedding_model.is_some() && spec.options.wants_knowledge(),
            ) {
                (Some(name), _) => Some(ModelStore::new(dirs.models()).embedding_model(&name)?),
                (None, true) => None,
                (None, false) => Some(ModelStore::new(dirs.models()).embedding_model(DEFAULT_EMBEDDING_MODEL)?),
            };
            jobs::prepare_resummarize(&folder, model)?;
            headless::supervise(&folder, spec.inputs.len(), json, &supervision)
        }
        JobsCommand::Delete { id } => {
            let folder = jobs::find(&dirs, &id)?;
            let job = recovery::summarize(&folder);
            if job.state == JobState::Running {
                eprintln!("job {id} is running; stop it first");
                return Ok(EXIT_USAGE);
            }
            jobs::delete(&dirs, &folder)?;
            let outputs = job
                .output_dir
                .map(|o| format!(" (outputs in {} are kept)", o.display()))
                .unwrap_or_default();
            println!("deleted job {id}{outputs}");
            Ok(EXIT_OK)
        }
    }
}

fn state_text(state: &JobState) -> String {
    match state {
        JobState::Running => "running".into(),
        JobState::Finished => "finished".into(),
        JobState::Interrupted(why) => format!("interrupted: {}", why.describe()),
        JobState::Corrupt(reason) => format!("corrupt: {reason}"),
    }
}

fn summary_json(job: &JobSummary) -> String {
    let (state, detail) = match &job.state {
        JobState::Running => ("running", String::new()),
        JobState::Finished => ("finished", String::new()),
        JobState::Interrupted(why) => ("interrupted", why.describe().to_owned()),
        JobState::Corrupt(reason) => ("corrupt", reason.clone()),
    };
    serde_json::json!({
        "id": job.id,
        "state": state,
        "detail": detail,
        "reason": job.detail,
        "files_total": job.files_total,
        "files_done": job.files_done,
        "files_failed": job.files_failed,
        "audio_done_ms": job.audio_done_ms,
        "audio_total_ms": job.audio_total_ms,
        "last_activity_ms": job.last_activity_ms,
        "output_dir": job.output_dir,
    })
    .to_string()
}
