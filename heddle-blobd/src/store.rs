//! The object store on disk: blocking file-system calls, to be run on the
//! blocking pool (`heddle::task::spawn_blocking`).
//!
//! Layout: object `a/b/c` is the regular file `DATA/a/b/c`; uploads are
//! written to `DATA/.tmp/<random>` and renamed into place, so a reader opens
//! either the old or the new version, never a mix. `DATA/.tmp` is emptied at
//! start-up (leftovers of a crash). Keys never contain a segment starting
//! with `.` (see `key.rs`), so `.tmp` cannot be addressed.
//!
//! Symlinks inside DATA are never followed. What is checked:
//! - every parent directory of the key is looked at with `lstat`
//!   (`symlink_metadata`) and must be a real directory, not a symlink (a
//!   symlink or a file there answers 400 or 409);
//! - the object itself is opened with `O_NOFOLLOW` (a symlink fails with
//!   `ELOOP`, answered 400), and must be a regular file (a directory answers
//!   404 for GET);
//! - PUT refuses to replace a symlink or a directory, DELETE refuses to
//!   remove a symlink.
//!
//! ETags: while an upload streams in, its bytes are hashed (XXH3-128); at
//! commit the hash is stored in the extended attribute
//! `user.heddle-blobd.etag` of the temporary file, together with the file's
//! size and mtime, before the rename (so object and attribute appear
//! together). GET reads it back from the open descriptor and, if size and
//! mtime still match, answers the strong ETag `"<hash>"`; otherwise (no
//! xattr support, or the file was changed behind the server's back) the weak
//! `W/"size-mtime-inode"` from metadata.
//!
//! These checks are not atomic with the later open/rename: someone able to
//! create symlinks inside DATA concurrently could still race them. Making it
//! race-free needs `openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS)` and
//! `*at` calls on directory descriptors: left for later. DATA itself may be
//! a symlink (that is the operator's choice).

use std::fs::{self, File, Metadata, OpenOptions};
use std::io::{self, IoSlice, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use xxhash_rust::xxh3::Xxh3;

use crate::key::Key;

/// Name of the extended attribute holding an object's content hash.
const ETAG_XATTR: &std::ffi::CStr = c"user.heddle-blobd.etag";

/// Name of the temporary directory inside DATA.
pub const TMP_DIR: &str = ".tmp";

/// Why a store operation failed, mapped to an HTTP status by the handlers.
#[derive(Debug)]
pub enum StoreError {
    /// No such object (404).
    NotFound,
    /// A symlink on the key's path (400).
    Symlink,
    /// The key clashes with an existing directory or file on its path (409).
    Conflict,
    /// Disk full (507).
    NoSpace,
    /// Anything else (500).
    Io(io::Error),
}

impl From<io::Error> for StoreError {
    fn from(e: io::Error) -> StoreError {
        match e.raw_os_error() {
            Some(libc::ENOSPC) | Some(libc::EDQUOT) => StoreError::NoSpace,
            Some(libc::ELOOP) => StoreError::Symlink,
            Some(libc::ENOTDIR) | Some(libc::EISDIR) => StoreError::Conflict,
            _ if e.kind() == io::ErrorKind::NotFound => StoreError::NotFound,
            _ => StoreError::Io(e),
        }
    }
}

/// The store rooted at DATA.
#[derive(Debug)]
pub struct Store {
    root: PathBuf,
    tmp: PathBuf,
    fsync: bool,
    in_memory: bool,
}

/// An upload in progress: a temporary file (removed when dropped unless
/// committed: dropping it is what cleans up after a client that went away or
/// a failed write) and the running hash of what was written.
pub struct Upload {
    file: File,
    path: PathBuf,
    committed: bool,
    hasher: Box<Xxh3>,
    written: u64,
}

impl std::fmt::Debug for Upload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upload").field("path", &self.path).field("written", &self.written).finish()
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.path);
        }
    }
}

impl Upload {
    /// Appends (and hashes) a chunk of the body, honouring the test hook
    /// that fails writes (debug builds only; `write_pieces` is the real path).
    #[cfg(debug_assertions)]
    fn write(&mut self, data: &[u8]) -> Result<(), StoreError> {
        #[cfg(debug_assertions)]
        if let Some(limit) = fail_writes_after() {
            // Test hook (debug builds only): behave like a disk that fills up
            // after `limit` bytes of this upload.
            if self.written + data.len() as u64 > limit {
                let fit = limit.saturating_sub(self.written) as usize;
                (&self.file).write_all(&data[..fit])?;
                self.written += fit as u64;
                return Err(StoreError::NoSpace);
            }
        }
        (&self.file).write_all(data)?;
        self.hasher.update(data);
        self.written += data.len() as u64;
        Ok(())
    }

    /// Appends (and hashes) several pieces of the body with as few `writev`
    /// calls as the kernel allows (no copying them together first).
    pub fn write_pieces(&mut self, pieces: &[bytes::Bytes]) -> Result<(), StoreError> {
        /// The most slices one `writev` takes.
        const IOV_MAX: usize = 1024;
        #[cfg(debug_assertions)]
        if fail_writes_after().is_some() {
            return pieces.iter().try_for_each(|p| self.write(p));
        }
        let total: usize = pieces.iter().map(|p| p.len()).sum();
        let mut done = 0;
        while done < total {
            // What is left after `done` bytes (a short write is rare: only
            // then is the slice list rebuilt more than once).
            let mut skip = done;
            let mut slices = Vec::with_capacity(pieces.len());
            for p in pieces {
                if skip >= p.len() {
                    skip -= p.len();
                    continue;
                }
                slices.push(IoSlice::new(&p[skip..]));
                skip = 0;
                if slices.len() == IOV_MAX {
                    break;
                }
            }
            match (&self.file).write_vectored(&slices) {
                Ok(0) => return Err(io::Error::from(io::ErrorKind::WriteZero).into()),
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
        for p in pieces {
            self.hasher.update(p);
            self.written += p.len() as u64;
        }
        Ok(())
    }
}

/// `HEDDLE_BLOBD_FAIL_WRITES_AFTER=BYTES` (debug builds only): uploads fail
/// with ENOSPC past that many bytes, so tests can exercise the 507 path on
/// machines where they cannot mount a small file system.
#[cfg(debug_assertions)]
fn fail_writes_after() -> Option<u64> {
    static LIMIT: std::sync::OnceLock<Option<u64>> = std::sync::OnceLock::new();
    *LIMIT.get_or_init(|| std::env::var("HEDDLE_BLOBD_FAIL_WRITES_AFTER").ok()?.parse().ok())
}

impl Store {
    /// Creates DATA and DATA/.tmp if missing and removes leftover temporary
    /// files. Returns the store and how many leftovers were removed.
    pub fn open(root: &Path, fsync: bool) -> io::Result<(Store, usize)> {
        fs::create_dir_all(root)?;
        let tmp = root.join(TMP_DIR);
        match fs::symlink_metadata(&tmp) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Err(io::Error::other(format!("{} is not a directory", tmp.display()))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => fs::create_dir(&tmp)?,
            Err(e) => return Err(e),
        }
        let mut removed = 0;
        for entry in fs::read_dir(&tmp)? {
            let entry = entry?;
            if entry.file_type()?.is_dir() {
                fs::remove_dir_all(entry.path())?;
            } else {
                fs::remove_file(entry.path())?;
            }
            removed += 1;
        }
        let in_memory = on_memory_fs(root);
        Ok((Store { root: root.to_path_buf(), tmp, fsync, in_memory }, removed))
    }

    /// True if the objects live on tmpfs or ramfs: reads and writes there
    /// copy memory and never wait for a disk.
    pub fn in_memory(&self) -> bool {
        self.in_memory
    }

    /// The path of `key`, after checking each parent is a real directory.
    /// With `create`, missing parents are created.
    fn resolve(&self, key: &Key, create: bool) -> Result<PathBuf, StoreError> {
        let segs: Vec<&str> = key.segments().collect();
        let (last, parents) = segs.split_last().expect("keys are not empty");
        let mut path = self.root.clone();
        for seg in parents {
            path.push(seg);
            match fs::symlink_metadata(&path) {
                Ok(m) if m.is_dir() => {}
                Ok(m) if m.file_type().is_symlink() => return Err(StoreError::Symlink),
                Ok(_) => return Err(StoreError::Conflict),
                Err(e) if e.kind() == io::ErrorKind::NotFound && create => {
                    match fs::create_dir(&path) {
                        Ok(()) => {}
                        // Created concurrently: check it again.
                        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                            if !fs::symlink_metadata(&path)?.is_dir() {
                                return Err(StoreError::Conflict);
                            }
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        path.push(last);
        Ok(path)
    }

    /// Opens an object for reading, never through a symlink.
    pub fn open_read(&self, key: &Key) -> Result<(File, Metadata), StoreError> {
        let path = self.resolve(key, false)?;
        let file = OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC).open(&path)?;
        let meta = file.metadata()?;
        if !meta.is_file() {
            return Err(StoreError::NotFound);
        }
        Ok((file, meta))
    }

    /// Creates a new temporary file for an upload.
    pub fn create_upload(&self) -> Result<Upload, StoreError> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        loop {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
            let name = format!("{:016x}", mix(nanos ^ (u64::from(std::process::id()) << 32) ^ n));
            let path = self.tmp.join(name);
            match OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o644)
                .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
                .open(&path)
            {
                Ok(file) => {
                    return Ok(Upload { file, path, committed: false, hasher: Box::new(Xxh3::new()), written: 0 })
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Moves a finished upload into place as `key` (recording its content
    /// hash, and fsyncing the file and the directory first with `--fsync`).
    /// Returns whether an object was replaced, and the new object's ETag.
    pub fn commit(&self, mut temp: Upload, key: &Key) -> Result<(bool, String), StoreError> {
        let file = &temp.file;
        let meta = file.metadata()?;
        let hash = format!("{:032x}", temp.hasher.digest128());
        let tag = match set_xattr(file, &format!("{hash} {} {}", meta.len(), mtime_ns(&meta))) {
            Ok(()) => format!("\"{hash}\""),
            Err(e) if matches!(e.raw_os_error(), Some(libc::ENOSPC) | Some(libc::EDQUOT)) => return Err(e.into()),
            // No xattr support here: fall back to the weak tag.
            Err(_) => weak_etag(&meta),
        };
        if self.fsync {
            file.sync_all()?;
        }
        let dest = self.resolve(key, true)?;
        let replaced = match fs::symlink_metadata(&dest) {
            Ok(m) if m.file_type().is_symlink() => return Err(StoreError::Symlink),
            Ok(m) if m.is_dir() => return Err(StoreError::Conflict),
            Ok(_) => true,
            Err(e) if e.kind() == io::ErrorKind::NotFound => false,
            Err(e) => return Err(e.into()),
        };
        fs::rename(&temp.path, &dest)?;
        temp.committed = true;
        if self.fsync {
            sync_parent(&dest)?;
        }
        Ok((replaced, tag))
    }

    /// Removes an object.
    pub fn delete(&self, key: &Key) -> Result<(), StoreError> {
        let path = self.resolve(key, false)?;
        let m = fs::symlink_metadata(&path)?;
        if m.file_type().is_symlink() {
            return Err(StoreError::Symlink);
        }
        if !m.is_file() {
            return Err(StoreError::NotFound);
        }
        fs::remove_file(&path)?;
        if self.fsync {
            sync_parent(&path)?;
        }
        Ok(())
    }

    /// Keys starting with `prefix`, sorted, strictly after `after`, at most
    /// `limit` of them; and whether more follow. Walks the whole tree
    /// (skipping dot-names, so `.tmp`, and symlinks).
    pub fn list(&self, prefix: &str, after: &str, limit: usize) -> io::Result<(Vec<(String, u64)>, bool)> {
        let mut all = Vec::new();
        walk(&self.root, "", &mut all)?;
        all.retain(|(k, _)| k.starts_with(prefix) && k.as_str() > after);
        all.sort();
        let truncated = all.len() > limit;
        all.truncate(limit);
        Ok((all, truncated))
    }
}

fn walk(dir: &Path, rel: &str, out: &mut Vec<(String, u64)>) -> io::Result<()> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        // Removed concurrently.
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with('.') {
            continue;
        }
        let key = if rel.is_empty() { name.to_string() } else { format!("{rel}/{name}") };
        let ft = entry.file_type()?;
        if ft.is_dir() {
            walk(&entry.path(), &key, out)?;
        } else if ft.is_file() {
            let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
            out.push((key, size));
        }
    }
    Ok(())
}

fn sync_parent(path: &Path) -> io::Result<()> {
    let parent = path.parent().unwrap_or(Path::new("."));
    File::open(parent)?.sync_all()
}

fn mtime_ns(meta: &Metadata) -> i128 {
    (meta.mtime() as i128) * 1_000_000_000 + meta.mtime_nsec() as i128
}

/// A weak validator from the file's metadata: size, mtime (ns) and inode.
/// A rename keeps all three, so PUT can answer with the ETag GET will give.
fn weak_etag(meta: &Metadata) -> String {
    format!("W/\"{:x}-{:x}-{:x}\"", meta.len(), mtime_ns(meta), meta.ino())
}

/// The ETag of an open object: strong (its content hash) when the hash
/// recorded at PUT still matches the file's size and mtime, weak otherwise.
pub fn etag(file: &File, meta: &Metadata) -> String {
    let mut buf = [0u8; 128];
    // SAFETY: `file` is an open descriptor, the name is NUL-terminated, and
    // the kernel writes at most `buf.len()` bytes into `buf`.
    let n = unsafe { libc::fgetxattr(file.as_raw_fd(), ETAG_XATTR.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    if n > 0 {
        let value = std::str::from_utf8(&buf[..n as usize]).unwrap_or("");
        let mut parts = value.split(' ');
        if let (Some(hash), Some(size), Some(mtime), None) = (parts.next(), parts.next(), parts.next(), parts.next()) {
            let fresh = size.parse() == Ok(meta.len()) && mtime.parse() == Ok(mtime_ns(meta));
            if fresh && hash.len() == 32 && hash.bytes().all(|b| b.is_ascii_hexdigit()) {
                return format!("\"{hash}\"");
            }
        }
    }
    weak_etag(meta)
}

fn set_xattr(file: &File, value: &str) -> io::Result<()> {
    // SAFETY: `file` is an open descriptor, the name is NUL-terminated and
    // `value` is valid for `value.len()` bytes.
    let rc = unsafe { libc::fsetxattr(file.as_raw_fd(), ETAG_XATTR.as_ptr(), value.as_ptr().cast(), value.len(), 0) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// splitmix64 finalizer, to spread the temporary names.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Whether `dir` is on a file system kept only in memory (tmpfs, ramfs).
fn on_memory_fs(dir: &Path) -> bool {
    const TMPFS_MAGIC: u64 = 0x0102_1994;
    const RAMFS_MAGIC: u64 = 0x8584_58f6;
    let Ok(path) = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()) else { return false };
    // SAFETY: an all-zero statfs is a valid value to be overwritten.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: `path` is NUL-terminated and `st` is writable for the call.
    if unsafe { libc::statfs(path.as_ptr(), &mut st) } != 0 {
        return false;
    }
    matches!(st.f_type as u64, TMPFS_MAGIC | RAMFS_MAGIC)
}
