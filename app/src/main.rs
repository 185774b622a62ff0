//! `castmill`: the desktop app's binary, also the headless command line, job manager and
//! model manager. The work happens in the `castmill` library (the supervisor).

mod cli;
mod headless;
mod jobs_cmd;
mod models_cmd;
mod progress_view;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    init_logging();
    let result = match cli.command {
        Some(cli::Command::Models(cmd)) => models_cmd::run(cmd).map(|()| headless::EXIT_OK),
        Some(cli::Command::Jobs(cmd)) => jobs_cmd::run(cmd),
        None if cli.headless => headless::run(cli.run),
        None => run_window(),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("castmill: {e:#}");
            ExitCode::from(headless::EXIT_USAGE)
        }
    }
}

/// The desktop window.
fn run_window() -> anyhow::Result<u8> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Castmill")
            .with_inner_size([900.0, 640.0])
            .with_min_inner_size([600.0, 400.0]),
        ..Default::default()
    };
    eframe::run_native(
        "Castmill",
        options,
        Box::new(|cc| Ok(Box::new(castmill::gui::app::CastmillApp::new(cc)))),
    )
    .map_err(|e| anyhow::anyhow!("failed to open the window: {e}"))?;
    Ok(headless::EXIT_OK)
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("CASTMILL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter)
        .init();
}
