//! Process integration tests: real child processes (`echo`, `sh`, `cat`,
//! `sleep`): output capture, exit codes, a 1 MiB stdin→stdout round trip,
//! a child that exits before its output is read, kill, kill-on-drop and
//! background reaping without zombies, many concurrent children. Each test
//! is bounded by a timeout.

use std::future::Future;
use std::os::unix::process::ExitStatusExt;
use std::time::{Duration, Instant};

use heddle::io::{AsyncReadExt, AsyncWriteExt};
use heddle::process::{Command, Stdio};
use heddle::runtime::{Builder, Runtime};

const LIMIT: Duration = Duration::from_secs(20);

fn rt() -> Runtime {
    Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

fn run<F: Future>(test: F) -> F::Output {
    rt().block_on(async { heddle::time::timeout(LIMIT, test).await.expect("test timed out") })
}

/// Whether `pid` is gone from the process table (so not a zombie either).
/// Pid reuse within a test is not a realistic concern.
async fn wait_until_gone(pid: u32) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            return true;
        }
        heddle::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

#[test]
fn echo_output() {
    run(async {
        let out = Command::new("echo").arg("hi").output().await.unwrap();
        assert!(out.status.success());
        assert_eq!(out.stdout, b"hi\n");
        assert!(out.stderr.is_empty());
        let out = Command::new("sh").args(["-c", "echo oops >&2; exit 4"]).output().await.unwrap();
        assert_eq!(out.status.code(), Some(4));
        assert_eq!(out.stderr, b"oops\n");
    });
}

#[test]
fn exit_status_codes() {
    run(async {
        for code in [0, 1, 3, 42, 255] {
            let status = Command::new("sh").arg("-c").arg(format!("exit {code}")).status().await.unwrap();
            assert_eq!(status.code(), Some(code));
            assert_eq!(status.success(), code == 0);
        }
        assert_eq!(Command::new("false").status().await.unwrap().code(), Some(1));
        let err = Command::new("/nonexistent/heddle-no-such-program").spawn().unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
    });
}

#[test]
fn env_and_current_dir() {
    run(async {
        let out = Command::new("/usr/bin/env").env_clear().env("HEDDLE_A", "1").output().await.unwrap();
        assert_eq!(out.stdout, b"HEDDLE_A=1\n");
        let dir = std::env::temp_dir().canonicalize().unwrap();
        let out = Command::new("pwd").current_dir(&dir).output().await.unwrap();
        assert_eq!(String::from_utf8(out.stdout).unwrap().trim_end(), dir.to_str().unwrap());
    });
}

#[test]
fn cat_round_trip_one_mib() {
    const LEN: usize = 1 << 20;
    run(async {
        let mut child = Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let mut stdout = child.stdout.take().unwrap();
        let writer = heddle::spawn(async move {
            let data: Vec<u8> = (0..LEN).map(|i| (i * 7 + i / 251) as u8).collect();
            stdin.write_all(&data).await.unwrap();
            // Dropping stdin closes the pipe: cat sees EOF.
        });
        let mut got = Vec::with_capacity(LEN);
        stdout.read_to_end(&mut got).await.unwrap();
        writer.await.unwrap();
        assert_eq!(got.len(), LEN);
        for (i, &b) in got.iter().enumerate() {
            assert_eq!(b, (i * 7 + i / 251) as u8, "byte {i}");
        }
        assert!(child.wait().await.unwrap().success());
        assert_eq!(child.id(), None);
    });
}

#[test]
fn child_exits_before_its_output_is_read() {
    run(async {
        let mut child = Command::new("sh")
            .args(["-c", "echo early; echo err >&2; exit 7"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let status = child.wait().await.unwrap();
        assert_eq!(status.code(), Some(7));
        // Waiting again returns the same status.
        assert_eq!(child.wait().await.unwrap().code(), Some(7));
        assert_eq!(child.try_wait().unwrap().unwrap().code(), Some(7));
        let mut out = String::new();
        child.stdout.take().unwrap().read_to_string(&mut out).await.unwrap();
        assert_eq!(out, "early\n");
        let mut err = String::new();
        child.stderr.take().unwrap().read_to_string(&mut err).await.unwrap();
        assert_eq!(err, "err\n");
        // Already reaped: nothing to kill, and that is fine (as in tokio).
        child.start_kill().unwrap();
        child.kill().await.unwrap();
        assert_eq!(child.wait().await.unwrap().code(), Some(7));
    });
}

#[test]
fn kill_and_wait() {
    run(async {
        let mut child = Command::new("sleep").arg("30").spawn().unwrap();
        let pid = child.id().unwrap();
        assert!(child.try_wait().unwrap().is_none());
        let started = Instant::now();
        child.kill().await.unwrap();
        assert!(started.elapsed() < Duration::from_secs(10));
        let status = child.try_wait().unwrap().unwrap();
        assert_eq!(status.signal(), Some(libc::SIGKILL));
        assert!(wait_until_gone(pid).await);
    });
}

#[test]
fn wait_is_cancel_safe() {
    run(async {
        let mut child = Command::new("sleep").arg("0.2").spawn().unwrap();
        assert!(heddle::time::timeout(Duration::from_millis(20), child.wait()).await.is_err());
        assert!(child.wait().await.unwrap().success());
    });
}

#[test]
fn kill_on_drop_leaves_no_zombie() {
    run(async {
        let child = Command::new("sleep").arg("30").kill_on_drop(true).spawn().unwrap();
        let pid = child.id().unwrap();
        drop(child);
        assert!(wait_until_gone(pid).await, "pid {pid} still exists (zombie or alive)");
    });
}

#[test]
fn dropped_child_is_reaped_when_it_exits() {
    run(async {
        let child = Command::new("sleep").arg("0.1").spawn().unwrap();
        let pid = child.id().unwrap();
        drop(child);
        assert!(wait_until_gone(pid).await, "pid {pid} was not reaped");
    });
}

#[test]
fn fifty_concurrent_children_all_reaped() {
    run(async {
        let mut tasks = Vec::new();
        for i in 0..50 {
            tasks.push(heddle::spawn(async move {
                let mut child = Command::new("sh").arg("-c").arg(format!("exit {}", i % 7)).spawn().unwrap();
                let pid = child.id().unwrap();
                let status = child.wait().await.unwrap();
                (i, pid, status)
            }));
        }
        let mut pids = Vec::new();
        for task in tasks {
            let (i, pid, status) = task.await.unwrap();
            assert_eq!(status.code(), Some(i % 7));
            pids.push(pid);
        }
        for pid in pids {
            assert!(wait_until_gone(pid).await, "pid {pid} left behind");
        }
    });
}

#[test]
fn arg0_pre_exec_and_kill_on_drop_flag() {
    run(async {
        let mut cmd = Command::new("sh");
        assert!(!cmd.get_kill_on_drop());
        cmd.kill_on_drop(true);
        assert!(cmd.get_kill_on_drop());
        let out = cmd.arg0("heddle-renamed").args(["-c", "echo $0; echo $HEDDLE_PRE"]).output().await.unwrap();
        assert!(out.status.success());
        assert_eq!(String::from_utf8(out.stdout).unwrap(), "heddle-renamed\n\n");

        // pre_exec runs in the child before exec: make it a new session
        // leader (setsid is async-signal-safe) and check from inside.
        let mut cmd = Command::new("sh");
        // Field 6 of /proc/PID/stat is the session id.
        cmd.args(["-c", "cut -d' ' -f6 /proc/$$/stat; echo $$"]);
        let lead_session = || {
            // SAFETY: setsid takes no arguments and only changes this
            // (child) process's session.
            if unsafe { libc::setsid() } < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        };
        // SAFETY: the closure only calls setsid, which is async-signal-safe.
        unsafe {
            cmd.pre_exec(lead_session);
        }
        let out = cmd.output().await.unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        let lines: Vec<&str> = text.split_whitespace().collect();
        assert_eq!(lines.len(), 2, "{text:?}");
        assert_eq!(lines[0], lines[1], "the child leads its own session");

        // A failing pre_exec makes spawn fail with its error.
        let mut cmd = Command::new("true");
        // SAFETY: the closure only builds an io::Error from a constant.
        unsafe {
            cmd.pre_exec(|| Err(std::io::Error::from_raw_os_error(13)));
        }
        assert_eq!(cmd.spawn().unwrap_err().raw_os_error(), Some(13));
    });
}

#[test]
fn status_and_output_start_the_child_at_once_and_outlive_the_command() {
    run(async {
        // The child writes into a pipe we hold before its future is polled:
        // it was started by the call, not by the first poll.
        let (reader, writer) = std::io::pipe().unwrap();
        let status = Command::new("sh").arg("-c").arg("echo started").stdout(writer).status();
        let mut line = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(reader), &mut line).unwrap();
        assert_eq!(line, "started\n");
        assert!(status.await.unwrap().success());

        // The futures borrow nothing: the temporary `Command` is gone.
        let output = Command::new("echo").arg("-n").arg("kept").output();
        let output = output.await.unwrap();
        assert_eq!(output.stdout, b"kept");
        // A program that cannot start fails when awaited.
        let missing = Command::new("/nonexistent/heddle-no-such-program").status();
        assert_eq!(missing.await.unwrap_err().kind(), std::io::ErrorKind::NotFound);
    });
}

#[test]
fn a_child_spawned_on_one_runtime_is_waited_on_another() {
    let mut child = rt().block_on(async { Command::new("sh").arg("-c").arg("sleep 0.1; exit 3").spawn().unwrap() });
    // The first runtime, and the reactor that watched the child, are gone.
    let status = run(async move { child.wait().await.unwrap() });
    assert_eq!(status.code(), Some(3));
}
