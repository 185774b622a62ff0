//! Running a finished job again from the results screen, without transcribing: its
//! summaries rebuilt, or a speaker renamed.

use shared_ipc::JobSpec;

use super::CastmillApp;
use crate::gui::running_job::JobPurpose;
use crate::models::store::ModelStore;
use crate::supervisor::jobs;

impl CastmillApp {
    /// Rebuilds a finished job's summaries and Map of Content from its transcripts, with
    /// the embedding model chosen in the settings.
    pub(super) fn resummarize(&mut self, folder: shared_ipc::JobFolder, ctx: &egui::Context) -> anyhow::Result<()> {
        let dirs = self.dirs()?;
        let model = ModelStore::new(dirs.models())
            .embedding_model(&self.settings.embedding_model)
            .map_err(|e| anyhow::anyhow!("{e:#}. Install it in Settings > Models."))?;
        jobs::prepare_resummarize(&folder, Some(model))?;
        let spec = JobSpec::load(&folder.spec())?;
        self.run_job(folder, spec, JobPurpose::RebuildSummaries, ctx)
    }

    /// Names a speaker of a finished episode (the library learns the voice), then runs its
    /// job to write the episode's outputs, notes and map again with the name.
    pub(super) fn name_speaker(
        &mut self,
        folder: shared_ipc::JobFolder,
        file: usize,
        speaker: usize,
        name: &str,
        ctx: &egui::Context,
    ) -> anyhow::Result<()> {
        let dirs = self.dirs()?;
        let episode = crate::speaker_names::episode_at(&folder, file)
            .ok_or_else(|| anyhow::anyhow!("its speakers are not found yet"))?;
        crate::speaker_names::name_speaker(&dirs, &episode, speaker, name)?;
        let spec = JobSpec::load(&folder.spec())?;
        self.run_job(folder, spec, JobPurpose::RenameSpeakers, ctx)
    }
}
