//! `castmill models …`.

use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::ModelsCommand;
use castmill::data_dirs::DataDirs;
use castmill::models::download::{self, InstallRequest};
use castmill::models::{catalog, store::ModelStore};

pub fn run(cmd: ModelsCommand) -> Result<()> {
    let store = ModelStore::new(DataDirs::locate()?.models());
    match cmd {
        ModelsCommand::List => {
            let entries = store.list()?;
            if entries.is_empty() {
                println!("no models installed in {}", store.dir().display());
            }
            for e in entries {
                let mib = e.size as f64 / (1024.0 * 1024.0);
                match e.check {
                    Ok(kind) => println!(
                        "{:<20} {:>8.1} MiB  {}  {}",
                        e.name,
                        mib,
                        kind.describe(),
                        e.path.display()
                    ),
                    Err(reason) => println!(
                        "{:<20} {:>8.1} MiB  UNUSABLE: {reason}  {}",
                        e.name,
                        mib,
                        e.path.display()
                    ),
                }
            }
        }
        ModelsCommand::Install { name, sha1 } => {
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            let size_hint = catalog::find(&name)
                .map(|e| format!(" (~{} MiB)", e.approx_mib))
                .unwrap_or_default();
            bar.set_message(format!("downloading {name}{size_hint}"));
            let req = InstallRequest {
                name: &name,
                sha1: sha1.as_deref(),
                base_url: catalog::base_url(),
            };
            let path = download::install(&store, &req, |done, total| {
                if let Some(total) = total {
                    bar.set_length(total);
                }
                bar.set_position(done);
            });
            bar.finish_and_clear();
            println!("installed {name} at {}", path?.display());
        }
        ModelsCommand::Import { path, name } => {
            let name = store.import(&path, name.as_deref())?;
            println!(
                "imported {} as {name} ({})",
                path.display(),
                store.location_of(&name).display()
            );
        }
        ModelsCommand::Quantize { name, kind, name_as } => {
            let worker = castmill::supervisor::worker_process::worker_path()?;
            let new = store.quantize(&name, &kind, name_as.as_deref(), &worker)?;
            let size = std::fs::metadata(store.path_of(&new)).map(|m| m.len()).unwrap_or(0);
            println!(
                "made {new} ({:.1} MiB) from {name}; use it with --model {new}",
                size as f64 / (1024.0 * 1024.0)
            );
        }
        ModelsCommand::Remove { name } => {
            store.remove(&name)?;
            println!("removed {name}");
        }
    }
    Ok(())
}
