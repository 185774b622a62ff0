//! What a file dialog is opened for, so its answer goes to the right place.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogPurpose {
    AddFiles,
    AddFolder,
    OutputFolder,
    ImportModelFile,
    ImportModelFolder,
}
