//! The portable numbers, from sysinfo, for systems without Linux's files: the machine's
//! memory and swap (sysinfo's own cgroup reading is Linux-only, so there is no cgroup here).

use crate::reading::MemoryReading;

pub fn read(_pid: Option<u32>) -> Option<MemoryReading> {
    let mut system = sysinfo::System::new();
    system.refresh_memory();
    (system.total_memory() > 0).then(|| MemoryReading {
        machine_total: system.total_memory(),
        machine_available: system.available_memory(),
        swap_total: system.total_swap(),
        swap_free: system.free_swap(),
        cgroup: None,
        stall: None,
    })
}
