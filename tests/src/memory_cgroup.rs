//! A memory cgroup for one test, with a memory limit, as a container or a Slurm job gives a
//! program: processes started in it are killed by the kernel's OOM killer when together they
//! pass the limit. Needs root and a memory controller (cgroup v1's or v2's); removed on drop.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::Command;

pub struct MemoryCgroup {
    dir: PathBuf,
}

/// Where this machine's memory cgroups live, and the name of the limit file.
fn hierarchy() -> Option<(PathBuf, &'static str)> {
    let v1 = PathBuf::from("/sys/fs/cgroup/memory");
    if v1.join("memory.limit_in_bytes").is_file() {
        return Some((v1, "memory.limit_in_bytes"));
    }
    let v2 = PathBuf::from("/sys/fs/cgroup");
    let controllers = std::fs::read_to_string(v2.join("cgroup.subtree_control")).ok()?;
    controllers
        .split_whitespace()
        .any(|c| c == "memory")
        .then_some((v2, "memory.max"))
}

impl MemoryCgroup {
    /// Whether no memory cgroup can be made here (not root, no memory controller); says so
    /// on stderr, for the tests that need one and skip.
    pub fn unavailable() -> bool {
        let unavailable = !nix::unistd::geteuid().is_root() || hierarchy().is_none();
        if unavailable {
            eprintln!("skipped: a memory cgroup needs root and a memory controller");
        }
        unavailable
    }

    /// A new cgroup whose processes may use `limit` bytes of memory together.
    pub fn create(limit: u64) -> Self {
        let (root, limit_file) = hierarchy().expect("a memory controller");
        let dir = root.join(format!("castmill-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create the cgroup");
        std::fs::write(dir.join(limit_file), limit.to_string()).expect("set the memory limit");
        Self { dir }
    }

    /// Makes `command` start inside this cgroup (from its first instruction, so whatever it
    /// starts is in it too).
    pub fn enter_on_spawn(&self, command: &mut Command) {
        let procs = File::options()
            .write(true)
            .open(self.dir.join("cgroup.procs"))
            .expect("open cgroup.procs");
        // SAFETY: between fork and exec the child only calls write(2), which is async-signal
        // safe, on a descriptor opened before the fork; "0" moves the writing process.
        unsafe {
            command.pre_exec(move || {
                let written = nix::libc::write(procs.as_raw_fd(), b"0".as_ptr().cast(), 1);
                if written == 1 {
                    Ok(())
                } else {
                    Err(std::io::Error::last_os_error())
                }
            });
        }
    }
}

impl MemoryCgroup {
    /// The bytes its processes may still take before the limit, as the supervisor reads it
    /// for the first process inside it.
    pub fn room(&self) -> u64 {
        let procs = std::fs::read_to_string(self.dir.join("cgroup.procs")).expect("read cgroup.procs");
        let pid = procs
            .lines()
            .find_map(|l| l.trim().parse().ok())
            .expect("a process in the cgroup");
        let reading = castmill_memory::memory_now(Some(pid)).expect("a memory reading");
        reading.cgroup.expect("the process is in a limited cgroup");
        reading.available()
    }

    /// Starts a balloon that takes all the room but `left` bytes; returns it and its size in
    /// megabytes.
    pub fn balloon_leaving(&self, left: u64) -> (std::process::Child, u64) {
        let megabytes = self.room().saturating_sub(left) / (1024 * 1024);
        (self.balloon(megabytes), megabytes)
    }

    /// A script in `dir` that moves itself into this cgroup and then becomes the worker, for
    /// a supervisor that runs in the test's own process.
    pub fn worker_wrapper(&self, dir: &std::path::Path) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let script = dir.join("worker-in-cgroup.sh");
        let text = format!(
            "#!/bin/sh\necho $$ > '{}'\nexec '{}' \"$@\"\n",
            self.dir.join("cgroup.procs").display(),
            crate::worker_bin().display()
        );
        std::fs::write(&script, text).expect("write the wrapper");
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod the wrapper");
        script
    }

    /// Starts a balloon of `megabytes` inside this cgroup and waits until it holds them all;
    /// it lets go when the returned child's stdin is closed (or it is killed).
    pub fn balloon(&self, megabytes: u64) -> std::process::Child {
        use std::io::BufRead;
        let mut command = Command::new(crate::bin_dir().join("castmill-balloon"));
        command
            .arg(megabytes.to_string())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped());
        self.enter_on_spawn(&mut command);
        let mut child = command.spawn().expect("start the balloon");
        let stdout = child.stdout.take().expect("balloon stdout");
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .expect("balloon says ready");
        assert_eq!(line.trim(), "ready", "the balloon could not take {megabytes} MB");
        child
    }
}

impl Drop for MemoryCgroup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.dir);
    }
}
