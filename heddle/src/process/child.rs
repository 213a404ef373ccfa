//! [`Child`]: a running (or finished) child process.

use std::future::Future;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::pin::pin;
use std::process::{ExitStatus, Output};
use std::task::Poll;

use tokio::io::{AsyncRead, AsyncReadExt};

use super::reaper;
use super::stdio::{ChildStderr, ChildStdin, ChildStdout};
use crate::driver::io::Direction;
use crate::io::poll_evented::PollEvented;

/// A child process spawned by [`Command::spawn`](super::Command::spawn).
///
/// [`wait`](Self::wait) waits for it to exit without blocking a thread. If
/// the `Child` is dropped before that, the process keeps running (unless
/// [`kill_on_drop`](super::Command::kill_on_drop) was set) and is reaped in
/// the background when it exits, so it never lingers as a zombie.
///
/// ```
/// use heddle::io::{AsyncReadExt, AsyncWriteExt};
/// use heddle::process::{Command, Stdio};
///
/// # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let mut child = Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
/// let mut stdin = child.stdin.take().unwrap();
/// stdin.write_all(b"round trip").await.unwrap();
/// drop(stdin); // EOF for cat
/// let output = child.wait_with_output().await.unwrap();
/// assert_eq!(output.stdout, b"round trip");
/// assert!(output.status.success());
/// # });
/// ```
pub struct Child {
    /// The process while it has not been reaped.
    running: Option<Running>,
    status: Option<ExitStatus>,
    kill_on_drop: bool,
    /// The child's standard input, if it was [`Stdio::piped`](super::Stdio::piped).
    pub stdin: Option<ChildStdin>,
    /// The child's standard output, if it was [`Stdio::piped`](super::Stdio::piped).
    pub stdout: Option<ChildStdout>,
    /// The child's standard error, if it was [`Stdio::piped`](super::Stdio::piped).
    pub stderr: Option<ChildStderr>,
}

struct Running {
    std: std::process::Child,
    /// Readable once the process exits; `None` on kernels without
    /// `pidfd_open`, where `SIGCHLD` tells instead.
    pidfd: Option<PollEvented<PidFd>>,
}

impl Running {
    /// Waits on the pidfd (which must be there) until the child exits,
    /// and reaps it.
    async fn wait_pidfd(&mut self) -> io::Result<ExitStatus> {
        let Running { std, pidfd } = self;
        let pidfd = pidfd.as_ref().expect("wait_pidfd without a pidfd");
        pidfd.async_io(Direction::Read, |_| std.try_wait()?.ok_or_else(|| io::ErrorKind::WouldBlock.into())).await
    }
}

/// An owned pidfd as a mio event source.
#[derive(Debug)]
pub(crate) struct PidFd(pub(crate) OwnedFd);

impl mio::event::Source for PidFd {
    fn register(&mut self, registry: &mio::Registry, token: mio::Token, interests: mio::Interest) -> io::Result<()> {
        mio::unix::SourceFd(&self.0.as_raw_fd()).register(registry, token, interests)
    }

    fn reregister(&mut self, registry: &mio::Registry, token: mio::Token, interests: mio::Interest) -> io::Result<()> {
        mio::unix::SourceFd(&self.0.as_raw_fd()).reregister(registry, token, interests)
    }

    fn deregister(&mut self, registry: &mio::Registry) -> io::Result<()> {
        mio::unix::SourceFd(&self.0.as_raw_fd()).deregister(registry)
    }
}

/// `pidfd_open(2)`: an fd that becomes readable when process `pid` exits.
pub(crate) fn pidfd_open(pid: u32) -> io::Result<OwnedFd> {
    // SAFETY: `pidfd_open` takes a pid and a flags word and returns a new fd
    // or -1; it touches no memory of ours.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, libc::PIDFD_NONBLOCK) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel just returned this fd to us and nobody else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

impl Child {
    pub(crate) fn new(mut std: std::process::Child, kill_on_drop: bool) -> io::Result<Child> {
        let pidfd = match pidfd_open(std.id()) {
            Ok(fd) => match PollEvented::new(PidFd(fd)) {
                Ok(pidfd) => Some(pidfd),
                Err(e) => return Err(abandon(std, e)),
            },
            Err(e) if e.raw_os_error() == Some(libc::ENOSYS) => None,
            Err(e) => return Err(abandon(std, e)),
        };
        let stdin = std.stdin.take().map(ChildStdin::new).transpose();
        let stdout = std.stdout.take().map(ChildStdout::new).transpose();
        let stderr = std.stderr.take().map(ChildStderr::new).transpose();
        let mut child = Child {
            running: Some(Running { std, pidfd }),
            status: None,
            kill_on_drop,
            stdin: None,
            stdout: None,
            stderr: None,
        };
        // On error `child` drops here and is reaped like any dropped child.
        child.stdin = stdin?;
        child.stdout = stdout?;
        child.stderr = stderr?;
        Ok(child)
    }

    /// The process id, until the child has been reaped (then `None`: the
    /// id may already belong to another process).
    pub fn id(&self) -> Option<u32> {
        self.running.as_ref().map(|r| r.std.id())
    }

    /// Waits for the child to exit and returns its status. Closes the
    /// child's stdin first (if still held), so a child reading it sees EOF
    /// instead of both sides waiting forever.
    ///
    /// Cancel-safe: dropping the future leaves the child as it was, and a
    /// later call still gets the status. Once known, the status is kept.
    pub async fn wait(&mut self) -> io::Result<ExitStatus> {
        drop(self.stdin.take());
        if let Some(status) = self.status {
            return Ok(status);
        }
        let running = self.running.as_mut().expect("heddle: Child has neither a status nor a process");
        let status = match running.pidfd {
            Some(_) => {
                let mut status = running.wait_pidfd().await;
                if status.as_ref().is_err_and(crate::runtime::is_rt_shutdown_err) {
                    // The runtime that spawned the child is gone, and its
                    // reactor with it: watch the child from this one. Not
                    // yet reaped, so its pid still names it.
                    running.pidfd = Some(PollEvented::new(PidFd(pidfd_open(running.std.id())?))?);
                    status = running.wait_pidfd().await;
                }
                status?
            }
            None => {
                // Listen before checking, so an exit between the check and
                // the wait still wakes us.
                let mut sigchld = crate::signal::unix::signal(crate::signal::unix::SignalKind::child())?;
                loop {
                    if let Some(status) = running.std.try_wait()? {
                        break status;
                    }
                    sigchld.recv().await;
                }
            }
        };
        Ok(self.reaped(status))
    }

    /// Returns the exit status if the child has exited, without waiting.
    pub fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        if let Some(status) = self.status {
            return Ok(Some(status));
        }
        let running = self.running.as_mut().expect("heddle: Child has neither a status nor a process");
        Ok(running.std.try_wait()?.map(|status| self.reaped(status)))
    }

    fn reaped(&mut self, status: ExitStatus) -> ExitStatus {
        self.status = Some(status);
        self.running = None;
        status
    }

    /// Sends `SIGKILL` without waiting for the child to die. A child
    /// already reaped needs no signal: that is `Ok`, as in tokio.
    ///
    /// # Errors
    /// When the signal cannot be sent.
    pub fn start_kill(&mut self) -> io::Result<()> {
        match &mut self.running {
            Some(running) => running.std.kill(),
            None => Ok(()),
        }
    }

    /// Sends `SIGKILL` and waits for the child to exit.
    pub async fn kill(&mut self) -> io::Result<()> {
        self.start_kill()?;
        self.wait().await.map(|_| ())
    }

    /// Waits for the child to exit while collecting all of its stdout and
    /// stderr (those that were piped and not taken). Both are read
    /// concurrently with the wait, so a child filling a pipe cannot stall.
    pub async fn wait_with_output(mut self) -> io::Result<Output> {
        let stdout = read_all(self.stdout.take());
        let stderr = read_all(self.stderr.take());
        let mut stdout = pin!(stdout);
        let mut stderr = pin!(stderr);
        let status = self.wait();
        let mut status = pin!(status);
        let (mut out, mut err, mut st) = (None, None, None);
        std::future::poll_fn(|cx| {
            if out.is_none() {
                if let Poll::Ready(v) = stdout.as_mut().poll(cx) {
                    out = Some(v);
                }
            }
            if err.is_none() {
                if let Poll::Ready(v) = stderr.as_mut().poll(cx) {
                    err = Some(v);
                }
            }
            if st.is_none() {
                if let Poll::Ready(v) = status.as_mut().poll(cx) {
                    st = Some(v);
                }
            }
            if out.is_some() && err.is_some() && st.is_some() {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await;
        let (Some(out), Some(err), Some(st)) = (out, err, st) else { unreachable!("all three completed") };
        Ok(Output { status: st?, stdout: out?, stderr: err? })
    }
}

async fn read_all(reader: Option<impl AsyncRead + Unpin>) -> io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    if let Some(mut reader) = reader {
        reader.read_to_end(&mut buf).await?;
    }
    Ok(buf)
}

/// Hands a child we failed to wrap to the background reaper and returns
/// the error.
fn abandon(std: std::process::Child, e: io::Error) -> io::Error {
    reaper::orphan(std, None);
    e
}

impl Drop for Child {
    fn drop(&mut self) {
        let Some(mut running) = self.running.take() else { return };
        if self.kill_on_drop {
            // It may have exited already; then there is nothing to kill.
            let _ = running.std.kill();
        }
        if let Ok(None) = running.std.try_wait() {
            let pidfd = running.pidfd.take().and_then(|p| p.into_inner().ok()).map(|p| p.0);
            reaper::orphan(running.std, pidfd);
        }
    }
}

impl std::fmt::Debug for Child {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Child")
            .field("id", &self.id())
            .field("status", &self.status)
            .field("kill_on_drop", &self.kill_on_drop)
            .field("stdin", &self.stdin)
            .field("stdout", &self.stdout)
            .field("stderr", &self.stderr)
            .finish()
    }
}
