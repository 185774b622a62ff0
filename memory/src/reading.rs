//! One reading of the memory around a job. The memory a job may use is the smaller of the
//! machine's and its cgroup's (a container, a Slurm job or a systemd slice with a limit):
//! a pod limited to 4 GiB on a 64 GiB node is killed at 4 GiB, whatever the node has free.

/// The memory of the tightest cgroup above the job: its limit, and what its processes use
/// of it (page cache that can be dropped at once is not counted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CgroupMemory {
    pub limit: u64,
    pub in_use: u64,
}

/// The kernel's pressure stall information for memory: the share of the last ten seconds
/// (in percent) in which some task, or all tasks at once, waited for memory.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stall {
    pub some_avg10: f64,
    pub full_avg10: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MemoryReading {
    pub machine_total: u64,
    /// What the kernel could give without swapping (`MemAvailable`).
    pub machine_available: u64,
    pub swap_total: u64,
    pub swap_free: u64,
    /// `None` outside a cgroup with a memory limit.
    pub cgroup: Option<CgroupMemory>,
    /// `None` where the kernel has no PSI.
    pub stall: Option<Stall>,
}

impl MemoryReading {
    /// Whether the cgroup's limit, not the machine, bounds the job.
    pub fn cgroup_binds(&self) -> bool {
        self.cgroup
            .is_some_and(|c| c.limit.saturating_sub(c.in_use) < self.machine_available)
    }

    /// All the memory the job could have: the machine's, or its cgroup's limit if smaller.
    pub fn limit(&self) -> u64 {
        match self.cgroup {
            Some(c) => c.limit.min(self.machine_total),
            None => self.machine_total,
        }
    }

    /// What the job could take now without swapping or being killed.
    pub fn available(&self) -> u64 {
        match self.cgroup {
            Some(c) => c.limit.saturating_sub(c.in_use).min(self.machine_available),
            None => self.machine_available,
        }
    }

    /// The share of [`limit`](Self::limit) that is available, 0 to 1.
    pub fn available_share(&self) -> f64 {
        match self.limit() {
            0 => 0.0,
            limit => self.available() as f64 / limit as f64,
        }
    }

    /// The share of swap in use, 0 to 1; `None` without swap.
    pub fn swap_used_share(&self) -> Option<f64> {
        (self.swap_total > 0).then(|| self.swap_total.saturating_sub(self.swap_free) as f64 / self.swap_total as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GB: u64 = 1_000_000_000;

    fn machine(total: u64, available: u64) -> MemoryReading {
        MemoryReading {
            machine_total: total,
            machine_available: available,
            swap_total: 0,
            swap_free: 0,
            cgroup: None,
            stall: None,
        }
    }

    #[test]
    fn the_job_has_the_smaller_of_the_machine_and_its_cgroup() {
        let free_machine = machine(64 * GB, 60 * GB);
        assert_eq!(free_machine.available(), 60 * GB);
        assert!(!free_machine.cgroup_binds());

        let pod = MemoryReading {
            cgroup: Some(CgroupMemory {
                limit: 4 * GB,
                in_use: 3 * GB,
            }),
            ..free_machine.clone()
        };
        assert_eq!(pod.limit(), 4 * GB);
        assert_eq!(pod.available(), GB);
        assert!(pod.cgroup_binds());
        assert!((pod.available_share() - 0.25).abs() < 1e-9);

        // A generous limit on a busy machine: the machine binds.
        let busy = MemoryReading {
            machine_available: GB / 2,
            cgroup: Some(CgroupMemory {
                limit: 32 * GB,
                in_use: GB,
            }),
            ..free_machine
        };
        assert_eq!(busy.available(), GB / 2);
        assert!(!busy.cgroup_binds());
    }

    #[test]
    fn swap_share_is_only_known_with_swap() {
        assert_eq!(machine(8 * GB, GB).swap_used_share(), None);
        let swapping = MemoryReading {
            swap_total: 2 * GB,
            swap_free: GB / 2,
            ..machine(8 * GB, GB)
        };
        assert_eq!(swapping.swap_used_share(), Some(0.75));
    }
}
