//! A [`File`]'s descriptor: borrowing it (`AsFd`, `AsRawFd`) and building
//! a `File` from one (`From<OwnedFd>`, `FromRawFd`), as for `std::fs::File`.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

use super::File;

impl AsRawFd for File {
    fn as_raw_fd(&self) -> RawFd {
        self.std.as_raw_fd()
    }
}

impl AsFd for File {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.std.as_fd()
    }
}

impl From<OwnedFd> for File {
    /// Takes ownership of an open file descriptor.
    fn from(fd: OwnedFd) -> File {
        File::from_std(std::fs::File::from(fd))
    }
}

impl FromRawFd for File {
    /// Takes ownership of a raw descriptor, as
    /// [`std::fs::File::from_raw_fd`].
    ///
    /// # Safety
    /// `fd` must be an open descriptor that nothing else owns or closes.
    unsafe fn from_raw_fd(fd: RawFd) -> File {
        // SAFETY: the caller guarantees `fd` is open and owned by no one
        // else, which is what `std::fs::File::from_raw_fd` requires.
        File::from_std(unsafe { std::fs::File::from_raw_fd(fd) })
    }
}
