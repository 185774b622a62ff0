//! A drive that drops out and comes back, as a network share does: a small read-only FUSE
//! file system serving copies of some files, whose reads can be made to fail with EIO and
//! then succeed again. Reads bypass the page cache (direct I/O), so every read really asks
//! the drive. Needs `/dev/fuse` and root (to mount); unmounted on drop.

use std::ffi::{OsStr, OsString};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use fuser::{
    BackgroundSession, Config, Errno, FileAttr, FileHandle, FileType, Filesystem, FopenFlags, Generation, INodeNo,
    LockOwner, MountOption, OpenFlags, ReplyAttr, ReplyData, ReplyDirectory, ReplyEntry, ReplyOpen, Request,
};

/// How long the kernel may keep what it was told about names and attributes.
const TTL: Duration = Duration::from_secs(1);

pub struct FlakyDrive {
    mountpoint: PathBuf,
    failing: Arc<AtomicBool>,
    _session: BackgroundSession,
}

struct Served {
    name: OsString,
    source: PathBuf,
    size: u64,
    modified: SystemTime,
}

struct FlakyFs {
    files: Vec<Served>,
    failing: Arc<AtomicBool>,
}

impl FlakyDrive {
    /// Whether no FUSE file system can be mounted here; says so on stderr, for the tests
    /// that need one and skip.
    pub fn unavailable() -> bool {
        let unavailable = !nix::unistd::geteuid().is_root() || !Path::new("/dev/fuse").exists();
        if unavailable {
            eprintln!("skipped: a FUSE test drive needs root and /dev/fuse");
        }
        unavailable
    }

    /// Mounts a drive at `at` serving each of `files` under its own file name.
    pub fn mount(files: &[PathBuf], at: &Path) -> Self {
        std::fs::create_dir_all(at).expect("mountpoint");
        let served = files
            .iter()
            .map(|source| {
                let meta = std::fs::metadata(source).expect("served file");
                Served {
                    name: source.file_name().expect("file name").to_owned(),
                    source: source.clone(),
                    size: meta.len(),
                    modified: meta.modified().expect("mtime"),
                }
            })
            .collect();
        let failing = Arc::new(AtomicBool::new(false));
        let fs = FlakyFs {
            files: served,
            failing: Arc::clone(&failing),
        };
        let mut config = Config::default();
        config.mount_options = vec![MountOption::RO, MountOption::FSName("castmill-flaky".into())];
        let session = fuser::spawn_mount2(fs, at, &config).expect("mount the FUSE test drive");
        Self {
            mountpoint: at.to_owned(),
            failing,
            _session: session,
        }
    }

    /// Where the served file `name` is on the drive.
    pub fn path(&self, name: &str) -> PathBuf {
        self.mountpoint.join(name)
    }

    /// From now on, reads fail with EIO (`true`) or work again (`false`).
    pub fn fail_reads(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }
}

impl FlakyFs {
    fn attr(&self, ino: INodeNo) -> Option<FileAttr> {
        let (kind, size, perm, modified) = if ino == INodeNo::ROOT {
            (FileType::Directory, 0, 0o555, SystemTime::UNIX_EPOCH)
        } else {
            let file = self.file(ino)?;
            (FileType::RegularFile, file.size, 0o444, file.modified)
        };
        Some(FileAttr {
            ino,
            size,
            blocks: size.div_ceil(512),
            atime: modified,
            mtime: modified,
            ctime: modified,
            crtime: modified,
            kind,
            perm,
            nlink: 1,
            uid: 0,
            gid: 0,
            rdev: 0,
            flags: 0,
            blksize: 4096,
        })
    }

    /// Inode 1 is the root; the files are 2, 3, …
    fn file(&self, ino: INodeNo) -> Option<&Served> {
        let index = u64::from(ino).checked_sub(2)?;
        self.files.get(usize::try_from(index).ok()?)
    }
}

impl Filesystem for FlakyFs {
    fn lookup(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEntry) {
        let found = (parent == INodeNo::ROOT)
            .then(|| self.files.iter().position(|f| f.name == name))
            .flatten()
            .and_then(|i| self.attr(INodeNo(i as u64 + 2)));
        match found {
            Some(attr) => reply.entry(&TTL, &attr, Generation(0)),
            None => reply.error(Errno::ENOENT),
        }
    }

    fn getattr(&self, _req: &Request, ino: INodeNo, _fh: Option<FileHandle>, reply: ReplyAttr) {
        match self.attr(ino) {
            Some(attr) => reply.attr(&TTL, &attr),
            None => reply.error(Errno::ENOENT),
        }
    }

    fn open(&self, _req: &Request, ino: INodeNo, _flags: OpenFlags, reply: ReplyOpen) {
        match self.file(ino) {
            Some(_) => reply.opened(FileHandle(0), FopenFlags::FOPEN_DIRECT_IO),
            None => reply.error(Errno::ENOENT),
        }
    }

    fn read(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        size: u32,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyData,
    ) {
        if self.failing.load(Ordering::SeqCst) {
            return reply.error(Errno::EIO);
        }
        let Some(file) = self.file(ino) else {
            return reply.error(Errno::ENOENT);
        };
        let mut buf = vec![0u8; size as usize];
        let read = std::fs::File::open(&file.source).and_then(|f| f.read_at(&mut buf, offset));
        match read {
            Ok(n) => reply.data(&buf[..n]),
            Err(_) => reply.error(Errno::EIO),
        }
    }

    fn readdir(&self, _req: &Request, ino: INodeNo, _fh: FileHandle, offset: u64, mut reply: ReplyDirectory) {
        if ino != INodeNo::ROOT {
            return reply.error(Errno::ENOTDIR);
        }
        let entries = [
            (INodeNo::ROOT, FileType::Directory, OsString::from(".")),
            (INodeNo::ROOT, FileType::Directory, OsString::from("..")),
        ]
        .into_iter()
        .chain(
            self.files
                .iter()
                .enumerate()
                .map(|(i, f)| (INodeNo(i as u64 + 2), FileType::RegularFile, f.name.clone())),
        );
        for (i, (ino, kind, name)) in entries.enumerate().skip(offset as usize) {
            if reply.add(ino, i as u64 + 1, kind, &name) {
                break;
            }
        }
        reply.ok();
    }
}
