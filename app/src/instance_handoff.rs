//! A second launch hands its files to the window already open instead of opening another:
//! the open window listens on a socket in the data folder (`app.sock`, beside the instance
//! lock, so only the lock's holder binds it), a later `castmill FILES` sends the paths and is
//! answered once they are queued, and the window comes to the front.

use std::io::{self, Read, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::time::Duration;

use crate::data_dirs::DataDirs;

/// The most a second launch may send (paths, NUL-separated).
const MAX_REQUEST_BYTES: u64 = 1024 * 1024;
/// A sender that stops talking half way is dropped after this.
const TALK_TIMEOUT: Duration = Duration::from_secs(3);
const ANSWER: &[u8] = b"queued\n";

pub fn socket_path(dirs: &DataDirs) -> PathBuf {
    dirs.root().join("app.sock")
}

/// The open window's end. Bind it only while holding the instance lock.
pub struct HandoffListener {
    listener: UnixListener,
}

impl HandoffListener {
    /// Binds the socket, replacing one a window that has gone left behind.
    pub fn bind(path: &Path) -> io::Result<Self> {
        match std::fs::remove_file(path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        Ok(Self {
            listener: UnixListener::bind(path)?,
        })
    }

    /// Serves later launches on a thread: each one's paths arrive on the returned channel
    /// (an empty list: only "come to the front"), and `wake` is called so the window looks.
    pub fn serve(self, wake: impl Fn() + Send + 'static) -> io::Result<Receiver<Vec<PathBuf>>> {
        let (sender, receiver) = sync_channel(4);
        std::thread::Builder::new().name("handoff".into()).spawn(move || {
            for stream in self.listener.incoming().flatten() {
                if serve_one(stream, &sender).is_err() {
                    continue;
                }
                wake();
            }
        })?;
        Ok(receiver)
    }
}

fn serve_one(mut stream: UnixStream, sender: &SyncSender<Vec<PathBuf>>) -> io::Result<()> {
    stream.set_read_timeout(Some(TALK_TIMEOUT))?;
    stream.set_write_timeout(Some(TALK_TIMEOUT))?;
    let mut request = Vec::new();
    (&mut stream).take(MAX_REQUEST_BYTES).read_to_end(&mut request)?;
    let paths = request
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| PathBuf::from(std::ffi::OsString::from_vec(p.to_vec())))
        .collect();
    sender
        .send(paths)
        .map_err(|_| io::Error::other("the window has closed"))?;
    stream.write_all(ANSWER)
}

/// Hands `inputs` to the window already open; returns once it has queued them.
pub fn hand_over(dirs: &DataDirs, inputs: &[PathBuf]) -> io::Result<()> {
    let mut stream = UnixStream::connect(socket_path(dirs))?;
    stream.set_read_timeout(Some(TALK_TIMEOUT))?;
    stream.set_write_timeout(Some(TALK_TIMEOUT))?;
    for input in inputs {
        // Relative paths mean nothing to the other process: it has its own folder.
        let absolute = std::path::absolute(input).unwrap_or_else(|_| input.clone());
        stream.write_all(absolute.as_os_str().as_bytes())?;
        stream.write_all(&[0])?;
    }
    stream.shutdown(std::net::Shutdown::Write)?;
    let mut answer = Vec::new();
    stream.take(64).read_to_end(&mut answer)?;
    if answer == ANSWER {
        Ok(())
    } else {
        Err(io::Error::other("the open window did not take the files"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_launch_hands_its_files_to_the_first() {
        let dir = tempfile::tempdir().expect("tempdir");
        let dirs = DataDirs::at(dir.path());
        let (woken_tx, woken) = std::sync::mpsc::channel();
        let received = HandoffListener::bind(&socket_path(&dirs))
            .expect("bind")
            .serve(move || {
                let _ = woken_tx.send(());
            })
            .expect("serve");
        let files = vec![PathBuf::from("/in/a b.mp3"), PathBuf::from("/in/ünï.ogg")];
        hand_over(&dirs, &files).expect("handed over");
        assert_eq!(received.recv().expect("paths"), files);
        woken.recv().expect("the window was woken");
        hand_over(&dirs, &[]).expect("a launch without files");
        assert_eq!(received.recv().expect("paths"), Vec::<PathBuf>::new());
    }

    #[test]
    fn no_window_open_means_no_handoff() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(hand_over(&DataDirs::at(dir.path()), &[]).is_err());
    }
}
