//! Design tokens: the few colours and sizes the screens share.

use egui::Color32;

pub const SPACING: f32 = 8.0;
pub const SECTION_GAP: f32 = 16.0;
pub const OK: Color32 = Color32::from_rgb(0x2e, 0x9e, 0x5b);
pub const FAILED: Color32 = Color32::from_rgb(0xd0, 0x45, 0x3a);
pub const MUTED: Color32 = Color32::from_gray(140);
/// The running screen's list of files scrolls past this height.
pub const FILE_LIST_HEIGHT: f32 = 110.0;
/// Lines of transcript kept for the live tail.
pub const TRANSCRIPT_TAIL_LINES: usize = 200;
