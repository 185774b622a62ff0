//! The reading of this system now, from whichever source the platform has.

use crate::reading::MemoryReading;

/// Reads the memory around process `pid` (this process when `None`) now; `None` when the
/// system will not say.
pub fn memory_now(pid: Option<u32>) -> Option<MemoryReading> {
    #[cfg(target_os = "linux")]
    return crate::linux::SystemFiles::root().read(pid);
    #[cfg(not(target_os = "linux"))]
    return crate::portable::read(pid);
}
