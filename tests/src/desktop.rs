//! The real desktop window under a virtual X server (Xvfb): starting it, reading its log,
//! typing into it (xdotool), taking screenshots of it (ImageMagick).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::Instant;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tempfile::TempDir;

use crate::worker::HANG_GUARD;

/// A private X display; stopped on drop.
pub struct VirtualDisplay {
    server: Child,
    pub name: String,
}

impl VirtualDisplay {
    /// Starts Xvfb on a free display number, which it reports itself (`-displayfd`).
    pub fn start() -> Self {
        let mut server = Command::new("Xvfb")
            .args(["-displayfd", "1", "-screen", "0", "1024x768x24", "-nolisten", "tcp"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start Xvfb (scripts/setup.sh --deps installs it)");
        let mut line = String::new();
        BufReader::new(server.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("read the display number");
        let number = line.trim();
        assert!(!number.is_empty(), "Xvfb did not report a display");
        Self {
            server,
            name: format!(":{number}"),
        }
    }

    /// `program ARGS` on this display.
    pub fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.env("DISPLAY", &self.name).env_remove("WAYLAND_DISPLAY");
        cmd
    }

    /// A PNG of the whole screen.
    pub fn screenshot(&self, path: &Path) {
        let status = self
            .command("import")
            .args(["-window", "root"])
            .arg(path)
            .status()
            .expect("run import");
        assert!(status.success(), "screenshot failed");
    }

    /// A window manager (openbox) on this display, so windows can be minimized; stopped on
    /// drop.
    pub fn window_manager(&self) -> WindowManager {
        let child = self
            .command("openbox")
            .args(["--sm-disable"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start openbox (scripts/setup.sh --deps installs it)");
        WindowManager(child)
    }

    /// Minimizes (iconifies) the window titled `title`, waiting until it is; needs a
    /// [`VirtualDisplay::window_manager`].
    pub fn minimize(&self, title: &str) {
        let status = self
            .command("xdotool")
            .args(["search", "--sync", "--name", title, "windowminimize", "--sync"])
            .status()
            .expect("run xdotool");
        assert!(status.success(), "xdotool could not minimize {title}");
    }

    /// Types a key combination (xdotool syntax, e.g. `ctrl+Return`) into the window titled
    /// `title`, focusing it first.
    pub fn key(&self, title: &str, keys: &str) {
        let status = self
            .command("xdotool")
            .args([
                "search",
                "--sync",
                "--name",
                title,
                "windowfocus",
                "--sync",
                "key",
                keys,
            ])
            .status()
            .expect("run xdotool");
        assert!(status.success(), "xdotool could not type {keys}");
    }
}

/// A running window manager; stopped on drop.
pub struct WindowManager(Child);

impl Drop for WindowManager {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for VirtualDisplay {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

/// How many colours an image has, and its size (ImageMagick).
pub fn image_stats(path: &Path) -> (u64, u32, u32) {
    let out = Command::new("convert")
        .arg(path)
        .args(["-format", "%k %w %h", "info:"])
        .output()
        .expect("run convert");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut fields = text.split_whitespace().map(|f| f.parse::<u64>().unwrap_or(0));
    let colours = fields.next().unwrap_or(0);
    let width = fields.next().unwrap_or(0) as u32;
    let height = fields.next().unwrap_or(0) as u32;
    (colours, width, height)
}

/// The user's world for the window: a home folder (the default output folder is
/// `~/Castmill`), XDG folders (the window's saved settings), and Castmill's data folder.
pub struct Desktop {
    pub home: TempDir,
    pub data: PathBuf,
}

impl Desktop {
    pub fn new(data: &Path) -> Self {
        Self {
            home: tempfile::tempdir().expect("tempdir"),
            data: data.to_owned(),
        }
    }

    pub fn outputs(&self) -> PathBuf {
        self.home.path().join("Castmill")
    }

    /// The window's saved state (eframe persistence).
    pub fn saved_state(&self) -> PathBuf {
        self.home.path().join(".local/share/castmill/app.ron")
    }

    /// Launches `castmill ARGS` as a window on `display`.
    pub fn launch(&self, display: &VirtualDisplay, args: &[&Path]) -> AppWindow {
        let launched = Instant::now();
        let mut child = display
            .command(crate::castmill_bin().to_str().expect("utf8 path"))
            .args(args)
            .env("HOME", self.home.path())
            .env_remove("XDG_DATA_HOME")
            .env_remove("XDG_CONFIG_HOME")
            .env("CASTMILL_DATA_DIR", &self.data)
            .env_remove("CASTMILL_WORKER")
            .env("CASTMILL_LOG", "warn,castmill::gui=debug")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("launch castmill");
        let (tx, rx) = mpsc::sync_channel(1024);
        let stderr = child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        AppWindow {
            child,
            log: rx,
            seen: Vec::new(),
            launched,
        }
    }
}

/// A running `castmill` window and its log (stderr).
pub struct AppWindow {
    pub child: Child,
    log: Receiver<String>,
    pub seen: Vec<String>,
    pub launched: Instant,
}

impl AppWindow {
    /// Reads the log until a line contains `text`; returns that line.
    pub fn wait_for_log(&mut self, text: &str) -> String {
        let deadline = Instant::now() + HANG_GUARD;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.log.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(text) {
                        return line;
                    }
                }
                Err(_) => panic!("the window never logged {text:?}; it logged:\n{}", self.seen.join("\n")),
            }
        }
    }

    /// Takes in the log lines written so far, without waiting.
    pub fn drain_log(&mut self) {
        while let Ok(line) = self.log.try_recv() {
            self.seen.push(line);
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn signal(&self, signal: Signal) {
        kill(Pid::from_raw(self.child.id() as i32), signal).expect("signal castmill");
    }

    /// Waits for the process to exit (bounded by the hang guard).
    pub fn wait(mut self) -> ExitStatus {
        let (tx, rx) = mpsc::channel();
        let pid = self.child.id();
        std::thread::spawn(move || {
            let _ = tx.send(self.child.wait());
        });
        match rx.recv_timeout(HANG_GUARD) {
            Ok(status) => status.expect("wait castmill"),
            Err(_) => {
                let _ = kill(Pid::from_raw(pid as i32), Signal::SIGKILL);
                panic!("castmill did not exit");
            }
        }
    }
}
