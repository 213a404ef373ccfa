//! [`UCred`]: the credentials of the process at the other end of a Unix
//! stream (`SO_PEERCRED`).

use std::io;
use std::os::fd::AsRawFd;

/// The process, user and group ids of a Unix socket's peer, as they were
/// when it connected (or created the pair).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UCred {
    pid: Option<i32>,
    uid: u32,
    gid: u32,
}

impl UCred {
    /// The peer's user id.
    pub fn uid(&self) -> u32 {
        self.uid
    }

    /// The peer's group id.
    pub fn gid(&self) -> u32 {
        self.gid
    }

    /// The peer's process id, when the system reports one.
    pub fn pid(&self) -> Option<i32> {
        self.pid
    }
}

pub(crate) fn peer_cred(sock: &impl AsRawFd) -> io::Result<UCred> {
    let mut cred = libc::ucred { pid: 0, uid: 0, gid: 0 };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: `cred` and `len` are valid for writes and `len` is the size of
    // `cred`, which is what `SO_PEERCRED` fills in.
    let rc = unsafe {
        libc::getsockopt(
            sock.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut cred as *mut libc::ucred).cast(),
            &mut len,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(UCred { pid: (cred.pid != 0).then_some(cred.pid), uid: cred.uid, gid: cred.gid })
}
