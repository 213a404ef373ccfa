//! [`Command`]: a process builder, `std::process::Command` with async
//! `spawn`/`status`/`output`.

use std::ffi::OsStr;
use std::future::Future;
use std::io;
use std::path::Path;
use std::process::{ExitStatus, Output, Stdio};

use super::Child;

/// Builds a child process: program, arguments, environment, working
/// directory and standard streams, as `std::process::Command` does.
///
/// ```
/// use heddle::io::AsyncReadExt;
/// use heddle::process::{Command, Stdio};
///
/// # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let mut child = Command::new("sh")
///     .args(["-c", "echo $GREETING"])
///     .env("GREETING", "hi")
///     .stdout(Stdio::piped())
///     .spawn()
///     .unwrap();
/// let mut text = String::new();
/// child.stdout.take().unwrap().read_to_string(&mut text).await.unwrap();
/// assert_eq!(text, "hi\n");
/// assert!(child.wait().await.unwrap().success());
/// # });
/// ```
#[derive(Debug)]
pub struct Command {
    std: std::process::Command,
    kill_on_drop: bool,
}

impl Command {
    /// A command running `program` (looked up in `PATH` unless it is a
    /// path), with no arguments, the parent's environment and working
    /// directory, and inherited standard streams.
    pub fn new(program: impl AsRef<OsStr>) -> Command {
        Command { std: std::process::Command::new(program), kill_on_drop: false }
    }

    /// The underlying std builder, for options heddle does not mirror.
    pub fn as_std(&self) -> &std::process::Command {
        &self.std
    }

    /// The underlying std builder, mutably.
    pub fn as_std_mut(&mut self) -> &mut std::process::Command {
        &mut self.std
    }

    /// Adds one argument.
    pub fn arg(&mut self, arg: impl AsRef<OsStr>) -> &mut Command {
        self.std.arg(arg);
        self
    }

    /// Adds several arguments.
    pub fn args<I, S>(&mut self, args: I) -> &mut Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.std.args(args);
        self
    }

    /// Sets an environment variable for the child.
    pub fn env(&mut self, key: impl AsRef<OsStr>, val: impl AsRef<OsStr>) -> &mut Command {
        self.std.env(key, val);
        self
    }

    /// Sets several environment variables for the child.
    pub fn envs<I, K, V>(&mut self, vars: I) -> &mut Command
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        self.std.envs(vars);
        self
    }

    /// Removes an environment variable from the child's environment.
    pub fn env_remove(&mut self, key: impl AsRef<OsStr>) -> &mut Command {
        self.std.env_remove(key);
        self
    }

    /// Starts the child with an empty environment (plus what `env` adds).
    pub fn env_clear(&mut self) -> &mut Command {
        self.std.env_clear();
        self
    }

    /// Sets the child's working directory.
    pub fn current_dir(&mut self, dir: impl AsRef<Path>) -> &mut Command {
        self.std.current_dir(dir);
        self
    }

    /// Configures the child's standard input ([`Stdio::piped`] makes
    /// [`Child::stdin`] available).
    pub fn stdin(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stdin(cfg);
        self
    }

    /// Configures the child's standard output.
    pub fn stdout(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stdout(cfg);
        self
    }

    /// Configures the child's standard error.
    pub fn stderr(&mut self, cfg: impl Into<Stdio>) -> &mut Command {
        self.std.stderr(cfg);
        self
    }

    /// Whether dropping the [`Child`] before it exits kills it (`SIGKILL`).
    /// Either way a dropped child is reaped in the background. Off by
    /// default.
    pub fn kill_on_drop(&mut self, kill_on_drop: bool) -> &mut Command {
        self.kill_on_drop = kill_on_drop;
        self
    }

    /// Puts the child in process group `pgroup` (0: a new group led by the
    /// child).
    pub fn process_group(&mut self, pgroup: i32) -> &mut Command {
        std::os::unix::process::CommandExt::process_group(&mut self.std, pgroup);
        self
    }

    /// Whether [`kill_on_drop`](Self::kill_on_drop) is set.
    pub fn get_kill_on_drop(&self) -> bool {
        self.kill_on_drop
    }

    /// Sets the child's `argv[0]` (the name it sees itself run as),
    /// independently of the program that is executed.
    ///
    /// ```
    /// # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let out = heddle::process::Command::new("sh").arg0("renamed").args(["-c", "echo $0"]).output().await?;
    /// assert_eq!(out.stdout, b"renamed\n");
    /// # std::io::Result::Ok(())
    /// # }).unwrap();
    /// ```
    pub fn arg0(&mut self, arg: impl AsRef<OsStr>) -> &mut Command {
        std::os::unix::process::CommandExt::arg0(&mut self.std, arg);
        self
    }

    /// Runs the child as user `id` (`setuid`); needs the privilege to.
    pub fn uid(&mut self, id: u32) -> &mut Command {
        std::os::unix::process::CommandExt::uid(&mut self.std, id);
        self
    }

    /// Runs the child with group `id` (`setgid`); needs the privilege to.
    pub fn gid(&mut self, id: u32) -> &mut Command {
        std::os::unix::process::CommandExt::gid(&mut self.std, id);
        self
    }

    /// Runs `f` in the child between `fork` and `exec`; see
    /// [`std::os::unix::process::CommandExt::pre_exec`].
    ///
    /// # Safety
    /// `f` runs in a copy of a multi-threaded process where only the
    /// calling thread survived: it may only call async-signal-safe
    /// functions (no allocation, no locks another thread may have held).
    pub unsafe fn pre_exec<F>(&mut self, f: F) -> &mut Command
    where
        F: FnMut() -> io::Result<()> + Send + Sync + 'static,
    {
        // SAFETY: the caller upholds `pre_exec`'s contract (see above).
        unsafe { std::os::unix::process::CommandExt::pre_exec(&mut self.std, f) };
        self
    }

    /// Starts the child.
    ///
    /// # Errors
    /// When the program cannot be found or run.
    ///
    /// # Panics
    /// Outside a heddle runtime with I/O enabled.
    pub fn spawn(&mut self) -> io::Result<Child> {
        let child = self.std.spawn()?;
        Child::new(child, self.kill_on_drop)
    }

    /// Runs the child to completion and returns its exit status. Standard
    /// streams are inherited unless configured otherwise.
    ///
    /// The child starts when this is called, not when the future is first
    /// polled, and the future does not borrow the `Command` (as tokio's):
    /// `Command::new("echo").status()` can be kept and awaited later.
    ///
    /// ```
    /// # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// let status = heddle::process::Command::new("true").status();
    /// assert!(status.await.unwrap().success());
    /// # });
    /// ```
    pub fn status(&mut self) -> impl Future<Output = io::Result<ExitStatus>> + Send + 'static {
        let child = self.spawn();
        async {
            let mut child = child?;
            // Nobody could use these: close them so the child sees EOF or
            // EPIPE rather than a stuck pipe.
            drop(child.stdin.take());
            drop(child.stdout.take());
            drop(child.stderr.take());
            child.wait().await
        }
    }

    /// Runs the child to completion, collecting its standard output and
    /// error (both piped, whatever was configured). Like
    /// [`status`](Self::status), the child starts at once and the future
    /// does not borrow the `Command`.
    pub fn output(&mut self) -> impl Future<Output = io::Result<Output>> + Send + 'static {
        self.std.stdout(Stdio::piped());
        self.std.stderr(Stdio::piped());
        let child = self.spawn();
        async { child?.wait_with_output().await }
    }
}

impl From<std::process::Command> for Command {
    fn from(std: std::process::Command) -> Command {
        Command { std, kill_on_drop: false }
    }
}
