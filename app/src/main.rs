//! `castmill`: the desktop app's binary, also the headless command line, job manager and
//! model manager. The work happens in the `castmill` library (the supervisor).

mod broken_pipe;
mod cli;
mod headless;
mod jobs_cmd;
mod models_cmd;
mod progress_view;
mod speakers_cmd;
mod window;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    init_logging();
    if cli.command.is_some() || cli.headless {
        broken_pipe::exit_quietly_on_broken_pipe();
    }
    let result = match cli.command {
        Some(cli::Command::Models(cmd)) => models_cmd::run(cmd).map(|()| headless::EXIT_OK),
        Some(cli::Command::Jobs(cmd)) => jobs_cmd::run(cmd),
        Some(cli::Command::Speakers(cmd)) => speakers_cmd::run(cmd),
        None if cli.headless => headless::run(cli.run),
        None => window::run(cli.run.inputs),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("castmill: {e:#}");
            ExitCode::from(headless::EXIT_USAGE)
        }
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("CASTMILL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter)
        .init();
}
