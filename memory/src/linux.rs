//! Linux's own accounts of memory: `/proc/meminfo`, `/proc/pressure/memory`, and the memory
//! cgroup files of every cgroup above a process (v1 `memory.limit_in_bytes`, `usage_in_bytes`;
//! v2 `memory.max`, `memory.current`), read under a root folder so tests can lay out their own.

use std::path::{Path, PathBuf};

use crate::reading::{CgroupMemory, MemoryReading, Stall};

/// Limits at or above this are "no limit" (v1 writes 2^63 rounded down to a page).
const NO_LIMIT: u64 = 1 << 60;

/// The files of a system, under `root` (`/` for this one).
#[derive(Debug, Clone)]
pub struct SystemFiles {
    root: PathBuf,
}

impl SystemFiles {
    pub fn root() -> Self {
        Self::at(Path::new("/"))
    }

    /// A system laid out under `root`: `root/proc/meminfo`, `root/sys/fs/cgroup/…`.
    pub fn at(root: &Path) -> Self {
        Self { root: root.to_owned() }
    }

    fn read_text(&self, relative: &str) -> Option<String> {
        std::fs::read_to_string(self.root.join(relative)).ok()
    }

    /// The reading for process `pid` (this process when `None`).
    pub fn read(&self, pid: Option<u32>) -> Option<MemoryReading> {
        let meminfo = Meminfo::parse(&self.read_text("proc/meminfo")?)?;
        let process = pid.map_or_else(|| "self".to_owned(), |p| p.to_string());
        let cgroup = self
            .read_text(&format!("proc/{process}/cgroup"))
            .and_then(|membership| self.tightest_cgroup(&membership));
        Some(MemoryReading {
            machine_total: meminfo.total,
            machine_available: meminfo.available,
            swap_total: meminfo.swap_total,
            swap_free: meminfo.swap_free,
            cgroup,
            stall: self.read_text("proc/pressure/memory").and_then(|t| parse_stall(&t)),
        })
    }

    /// Of the cgroups above the process (its own, and each parent: a limit on any of them
    /// binds), the one with the least room left.
    fn tightest_cgroup(&self, membership: &str) -> Option<CgroupMemory> {
        let base = self.root.join("sys/fs/cgroup");
        memory_cgroup_dirs(membership, &base)
            .into_iter()
            .filter_map(|(dir, version)| read_cgroup(&dir, version))
            .min_by_key(|c| c.limit.saturating_sub(c.in_use))
    }
}

/// `/proc/meminfo`'s numbers, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Meminfo {
    total: u64,
    available: u64,
    swap_total: u64,
    swap_free: u64,
}

impl Meminfo {
    fn parse(text: &str) -> Option<Self> {
        let field = |name: &str| {
            text.lines().find_map(|line| {
                let rest = line.strip_prefix(name)?.strip_prefix(':')?;
                let kb: u64 = rest.trim().trim_end_matches("kB").trim().parse().ok()?;
                Some(kb * 1024)
            })
        };
        // Kernels before 3.14 have no MemAvailable; free plus page cache is its old estimate.
        let available = field("MemAvailable").or_else(|| Some(field("MemFree")? + field("Cached").unwrap_or(0)))?;
        Some(Self {
            total: field("MemTotal")?,
            available,
            swap_total: field("SwapTotal").unwrap_or(0),
            swap_free: field("SwapFree").unwrap_or(0),
        })
    }
}

fn parse_stall(text: &str) -> Option<Stall> {
    let avg10 = |kind: &str| {
        let line = text.lines().find(|l| l.starts_with(kind))?;
        line.split_whitespace()
            .find_map(|field| field.strip_prefix("avg10="))
            .and_then(|v| v.parse::<f64>().ok())
    };
    Some(Stall {
        some_avg10: avg10("some ")?,
        // Kernels before 5.x report no `full` line for memory on some configurations.
        full_avg10: avg10("full ").unwrap_or(0.0),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    V1,
    V2,
}

/// The memory cgroup folders above a process, from its own up to the hierarchy's root, as
/// named in `/proc/<pid>/cgroup` (v1's `memory` line, or v2's single `0::` line; on a hybrid
/// system v2 may be mounted at `unified/`).
fn memory_cgroup_dirs(membership: &str, base: &Path) -> Vec<(PathBuf, Version)> {
    let mut dirs = Vec::new();
    for line in membership.lines() {
        let mut fields = line.splitn(3, ':');
        let (Some(_), Some(controllers), Some(path)) = (fields.next(), fields.next(), fields.next()) else {
            continue;
        };
        let (mount, version) = if controllers.split(',').any(|c| c == "memory") {
            (base.join("memory"), Version::V1)
        } else if controllers.is_empty() {
            let v2 = if base.join("cgroup.controllers").is_file() {
                base.to_owned()
            } else {
                base.join("unified")
            };
            (v2, Version::V2)
        } else {
            continue;
        };
        let mut dir = mount.join(path.trim_start_matches('/'));
        loop {
            dirs.push((dir.clone(), version));
            if dir == mount || !dir.pop() {
                break;
            }
        }
    }
    dirs
}

/// A cgroup's limit and use, when it has a limit.
fn read_cgroup(dir: &Path, version: Version) -> Option<CgroupMemory> {
    let number = |file: &str| -> Option<u64> { std::fs::read_to_string(dir.join(file)).ok()?.trim().parse().ok() };
    let (limit, usage, inactive_key) = match version {
        // "max" does not parse: no limit.
        Version::V2 => (number("memory.max")?, number("memory.current")?, "inactive_file "),
        Version::V1 => (
            number("memory.limit_in_bytes")?,
            number("memory.usage_in_bytes")?,
            "total_inactive_file ",
        ),
    };
    if limit >= NO_LIMIT {
        return None;
    }
    // Usage counts page cache; its inactive part is dropped before anything is killed.
    let inactive = std::fs::read_to_string(dir.join("memory.stat"))
        .ok()
        .and_then(|stat| {
            stat.lines()
                .find_map(|line| line.strip_prefix(inactive_key))
                .and_then(|n| n.trim().parse::<u64>().ok())
        })
        .unwrap_or(0);
    Some(CgroupMemory {
        limit,
        in_use: usage.saturating_sub(inactive),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MEMINFO: &str = "MemTotal:        8000000 kB\nMemFree:          500000 kB\nMemAvailable:    1200000 kB\nBuffers:            4160 kB\nCached:           900000 kB\nSwapTotal:       2000000 kB\nSwapFree:         500000 kB\n";
    const PSI: &str =
        "some avg10=31.50 avg60=12.00 avg300=2.00 total=1\nfull avg10=12.25 avg60=8.00 avg300=1.00 total=1\n";

    fn write(root: &Path, relative: &str, text: &str) {
        let path = root.join(relative);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    #[test]
    fn machine_swap_and_stall_are_read_from_proc() {
        let root = tempfile::tempdir().expect("tempdir");
        write(root.path(), "proc/meminfo", MEMINFO);
        write(root.path(), "proc/pressure/memory", PSI);
        let reading = SystemFiles::at(root.path()).read(None).expect("a reading");
        assert_eq!(reading.machine_total, 8_000_000 * 1024);
        assert_eq!(reading.machine_available, 1_200_000 * 1024);
        assert_eq!(reading.swap_used_share(), Some(0.75));
        assert_eq!(
            reading.stall,
            Some(Stall {
                some_avg10: 31.5,
                full_avg10: 12.25
            })
        );
        assert_eq!(reading.cgroup, None, "no cgroup file: no cgroup");
    }

    #[test]
    fn memory_pressure_is_read_from_psi() {
        let calm =
            "some avg10=0.00 avg60=0.00 avg300=0.00 total=685\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=555\n";
        let storm =
            "some avg10=80.10 avg60=50.00 avg300=9.00 total=1\nfull avg10=42.50 avg60=30.00 avg300=5.00 total=1\n";
        assert_eq!(parse_stall(calm).map(|s| s.full_avg10), Some(0.0));
        assert_eq!(parse_stall(storm).map(|s| s.full_avg10), Some(42.5));
    }

    #[test]
    fn an_old_kernel_without_mem_available_or_psi_still_gives_a_reading() {
        let old = Meminfo::parse("MemTotal: 1000 kB\nMemFree: 100 kB\nCached: 50 kB\n").expect("parsed");
        assert_eq!(old.available, 150 * 1024);
        assert_eq!(old.swap_total, 0);
        assert_eq!(
            parse_stall("some avg10=1.00 avg60=0 avg300=0 total=1\n").map(|s| s.full_avg10),
            Some(0.0)
        );
        assert_eq!(Meminfo::parse("nothing"), None);
    }

    #[test]
    fn a_v1_cgroup_limit_binds_and_its_inactive_page_cache_does_not_count() {
        let root = tempfile::tempdir().expect("tempdir");
        write(root.path(), "proc/meminfo", MEMINFO);
        write(root.path(), "proc/42/cgroup", "5:cpu:/\n4:memory:/slurm/job_7\n0::/\n");
        let job = "sys/fs/cgroup/memory/slurm/job_7";
        write(root.path(), &format!("{job}/memory.limit_in_bytes"), "1000000000\n");
        write(root.path(), &format!("{job}/memory.usage_in_bytes"), "900000000\n");
        write(
            root.path(),
            &format!("{job}/memory.stat"),
            "cache 300000000\ntotal_inactive_file 200000000\n",
        );
        // The parent has no limit, and the root neither.
        write(
            root.path(),
            "sys/fs/cgroup/memory/slurm/memory.limit_in_bytes",
            "9223372036854771712\n",
        );
        write(root.path(), "sys/fs/cgroup/memory/slurm/memory.usage_in_bytes", "5\n");
        let reading = SystemFiles::at(root.path()).read(Some(42)).expect("a reading");
        assert_eq!(
            reading.cgroup,
            Some(CgroupMemory {
                limit: 1_000_000_000,
                in_use: 700_000_000
            })
        );
        assert_eq!(reading.available(), 300_000_000);
        assert!(reading.cgroup_binds());
    }

    #[test]
    fn a_v2_parent_limit_binds_when_it_is_the_tighter() {
        let root = tempfile::tempdir().expect("tempdir");
        write(root.path(), "proc/meminfo", MEMINFO);
        write(root.path(), "proc/self/cgroup", "0::/kubepods/pod1/box\n");
        let base = "sys/fs/cgroup";
        write(root.path(), &format!("{base}/cgroup.controllers"), "cpu memory\n");
        write(root.path(), &format!("{base}/kubepods/pod1/box/memory.max"), "max\n");
        write(
            root.path(),
            &format!("{base}/kubepods/pod1/box/memory.current"),
            "100\n",
        );
        write(root.path(), &format!("{base}/kubepods/pod1/memory.max"), "4000000000\n");
        write(
            root.path(),
            &format!("{base}/kubepods/pod1/memory.current"),
            "3500000000\n",
        );
        write(
            root.path(),
            &format!("{base}/kubepods/pod1/memory.stat"),
            "anon 1\ninactive_file 100000000\n",
        );
        write(root.path(), &format!("{base}/kubepods/memory.max"), "16000000000\n");
        write(root.path(), &format!("{base}/kubepods/memory.current"), "4000000000\n");
        let reading = SystemFiles::at(root.path()).read(None).expect("a reading");
        assert_eq!(
            reading.cgroup,
            Some(CgroupMemory {
                limit: 4_000_000_000,
                in_use: 3_400_000_000
            })
        );
        assert_eq!(reading.limit(), 4_000_000_000);
    }

    #[test]
    fn a_hybrid_system_finds_v2_under_unified() {
        let base = Path::new("/sys/fs/cgroup");
        let dirs = memory_cgroup_dirs("0::/a/b\n", base);
        assert_eq!(
            dirs,
            vec![
                (base.join("unified/a/b"), Version::V2),
                (base.join("unified/a"), Version::V2),
                (base.join("unified"), Version::V2),
            ]
        );
    }

    #[test]
    fn this_machine_gives_a_reading() {
        let reading = SystemFiles::root().read(None).expect("a reading on Linux");
        assert!(reading.machine_total > 0);
        assert!(reading.available() <= reading.limit());
    }
}
