//! `read_dir`: directory entries, fetched from the blocking pool in batches.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::future::{poll_fn, Future as _};
use std::io;
use std::path::{Path, PathBuf};
use std::task::{Context, Poll};

use crate::task::JoinHandle;

/// Entries fetched per trip to the blocking pool.
const BATCH: usize = 32;

/// Lists a directory; see [`std::fs::read_dir`].
///
/// ```
/// # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mut entries = heddle::fs::read_dir(".").await?;
/// while let Some(entry) = entries.next_entry().await? {
///     let _name = entry.file_name();
/// }
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
pub async fn read_dir(path: impl AsRef<Path>) -> io::Result<ReadDir> {
    let path = path.as_ref().to_owned();
    let std = super::asyncify(move || std::fs::read_dir(path)).await?;
    Ok(ReadDir { state: State::Idle(Some((VecDeque::new(), std, true))) })
}

type Batch = (VecDeque<io::Result<DirEntry>>, std::fs::ReadDir, bool);

/// A stream of directory entries, from [`read_dir`].
#[derive(Debug)]
pub struct ReadDir {
    state: State,
}

#[derive(Debug)]
enum State {
    /// Buffered entries, the iterator, and whether it may have more.
    Idle(Option<Batch>),
    Pending(JoinHandle<Batch>),
}

impl ReadDir {
    /// The next entry, or `None` at the end.
    ///
    /// Cancel-safe: dropping the future loses no entry.
    pub async fn next_entry(&mut self) -> io::Result<Option<DirEntry>> {
        poll_fn(|cx| self.poll_next_entry(cx)).await
    }

    /// Polls for the next entry.
    pub fn poll_next_entry(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<Option<DirEntry>>> {
        loop {
            match &mut self.state {
                State::Idle(batch) => {
                    let (buf, _, more) = batch.as_mut().expect("ReadDir state lost");
                    if let Some(entry) = buf.pop_front() {
                        return Poll::Ready(entry.map(Some));
                    }
                    if !*more {
                        return Poll::Ready(Ok(None));
                    }
                    let (mut buf, mut std, _) = batch.take().expect("ReadDir state lost");
                    self.state = State::Pending(crate::task::spawn_blocking(move || {
                        let more = fetch(&mut buf, &mut std);
                        (buf, std, more)
                    }));
                }
                State::Pending(join) => {
                    let batch = std::task::ready!(std::pin::Pin::new(join).poll(cx));
                    match batch {
                        Ok(batch) => self.state = State::Idle(Some(batch)),
                        Err(e) => return Poll::Ready(Err(io::Error::other(e))),
                    }
                }
            }
        }
    }
}

fn fetch(buf: &mut VecDeque<io::Result<DirEntry>>, std: &mut std::fs::ReadDir) -> bool {
    for _ in 0..BATCH {
        match std.next() {
            Some(entry) => buf.push_back(entry.map(|e| DirEntry { std: e })),
            None => return false,
        }
    }
    true
}

/// One entry of a directory listing.
#[derive(Debug)]
pub struct DirEntry {
    std: std::fs::DirEntry,
}

impl DirEntry {
    /// The full path (the directory listed, joined with the file name).
    pub fn path(&self) -> PathBuf {
        self.std.path()
    }

    /// The bare file name.
    pub fn file_name(&self) -> OsString {
        self.std.file_name()
    }

    /// The entry's metadata (not following symlinks).
    pub async fn metadata(&self) -> io::Result<std::fs::Metadata> {
        let path = self.std.path();
        super::asyncify(move || std::fs::symlink_metadata(path)).await
    }

    /// The entry's file type (not following symlinks).
    pub async fn file_type(&self) -> io::Result<std::fs::FileType> {
        // Usually answered from the directory listing itself, no syscall.
        self.std.file_type()
    }

    /// The entry's inode number, as the directory listing reported it (no
    /// system call); see [`std::os::unix::fs::DirEntryExt::ino`].
    pub fn ino(&self) -> u64 {
        std::os::unix::fs::DirEntryExt::ino(&self.std)
    }
}
