//! What the kernel says about memory around a worker's death: whether it killed a process
//! for want of memory while the worker ran (its OOM-kill counters: the whole machine's in
//! `/proc/vmstat`, and the worker's memory cgroup's — `memory.events` in cgroup v2,
//! `memory.oom_control` in v1), and whether the machine is short of memory right now (PSI,
//! `/proc/pressure/memory`). A SIGKILL alone does not say which it was. Where these files do
//! not exist (other systems, old kernels) the answers are simply "no".

use std::path::{Path, PathBuf};

/// The kernel's OOM-kill counters that cover one process, as read at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OomKills {
    counters: Vec<(PathBuf, u64)>,
}

impl OomKills {
    /// The counters covering process `pid` (the machine's and its memory cgroup's).
    pub fn of_process(pid: u32) -> Self {
        let mut files = vec![PathBuf::from("/proc/vmstat")];
        if let Ok(cgroups) = std::fs::read_to_string(format!("/proc/{pid}/cgroup")) {
            files.extend(counter_files(&cgroups, Path::new("/sys/fs/cgroup")));
        }
        Self::read(files)
    }

    fn read(files: Vec<PathBuf>) -> Self {
        let counters = files
            .into_iter()
            .filter_map(|file| {
                let count = oom_kill_count(&std::fs::read_to_string(&file).ok()?)?;
                Some((file, count))
            })
            .collect();
        Self { counters }
    }

    /// The same counters read again now.
    pub fn again(&self) -> Self {
        Self::read(self.counters.iter().map(|(file, _)| file.clone()).collect())
    }

    /// Whether any counter has grown since `earlier`: the kernel killed for want of memory.
    pub fn grew_since(&self, earlier: &Self) -> bool {
        self.counters.iter().any(|(file, now)| {
            earlier
                .counters
                .iter()
                .any(|(before_file, before)| before_file == file && now > before)
        })
    }
}

/// The OOM-kill counter files of the memory cgroups named in `/proc/<pid>/cgroup`, under
/// the cgroup file system at `root` (v2 on its own or mounted at `unified/`, v1 `memory/`).
fn counter_files(cgroups: &str, root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for line in cgroups.lines() {
        let mut fields = line.splitn(3, ':');
        let (Some(_), Some(controllers), Some(path)) = (fields.next(), fields.next(), fields.next()) else {
            continue;
        };
        let relative = path.trim_start_matches('/');
        if controllers.is_empty() {
            for base in [root.to_owned(), root.join("unified")] {
                files.push(base.join(relative).join("memory.events"));
            }
        } else if controllers.split(',').any(|c| c == "memory") {
            files.push(root.join("memory").join(relative).join("memory.oom_control"));
        }
    }
    files
}

/// The `oom_kill N` line of a counter file.
fn oom_kill_count(text: &str) -> Option<u64> {
    text.lines()
        .find_map(|line| line.strip_prefix("oom_kill "))
        .and_then(|n| n.trim().parse().ok())
}

/// Whether the machine is short of memory now: in the last ten seconds, all runnable tasks
/// were stalled on memory more than a tenth of the time (PSI `full avg10`), as in a swap
/// storm. Work that stops moving then says nothing about its input.
pub fn under_memory_pressure() -> bool {
    // One reader of PSI for the whole app: the memory watch's.
    castmill_memory::memory_now(None)
        .and_then(|reading| reading.stall)
        .is_some_and(|stall| stall.full_avg10 > 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_memory_cgroups_counter_files_are_found_for_v1_v2_and_hybrid() {
        let root = Path::new("/sys/fs/cgroup");
        let v1 = "4:memory:/process_api/abc\n3:cpuset:/\n0::/\n";
        assert_eq!(
            counter_files(v1, root),
            vec![
                root.join("memory/process_api/abc/memory.oom_control"),
                root.join("memory.events"),
                root.join("unified/memory.events"),
            ]
        );
        let v2 = "0::/user.slice/app.scope\n";
        assert_eq!(
            counter_files(v2, root)[0],
            root.join("user.slice/app.scope/memory.events")
        );
        assert_eq!(
            counter_files("5:cpu,cpuacct,memory:/a\n", root),
            vec![root.join("memory/a/memory.oom_control")]
        );
    }

    #[test]
    fn counters_are_read_from_each_format_and_growth_is_seen() {
        assert_eq!(oom_kill_count("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n"), Some(3));
        assert_eq!(
            oom_kill_count("low 0\nhigh 0\nmax 2\noom 1\noom_kill 1\noom_group_kill 0\n"),
            Some(1)
        );
        assert_eq!(oom_kill_count("pgfault 10\noom_kill 7\n"), Some(7));
        assert_eq!(oom_kill_count("nothing here"), None);
        let before = OomKills {
            counters: vec![(PathBuf::from("/a"), 1), (PathBuf::from("/b"), 4)],
        };
        let same = before.clone();
        let grown = OomKills {
            counters: vec![(PathBuf::from("/a"), 1), (PathBuf::from("/b"), 5)],
        };
        assert!(!same.grew_since(&before));
        assert!(grown.grew_since(&before));
    }
}
