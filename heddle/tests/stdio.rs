//! `heddle::io::{stdin, stdout, stderr}` against real pipes: this test
//! binary re-runs itself as a child process (selected by an environment
//! variable) whose standard streams are pipes owned by the parent, and the
//! parent checks the bytes that come back.
//!
//! The child is the libtest harness running one test, which prints its own
//! banner on stdout; the child therefore frames its payload with markers and
//! the parent looks between them.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use heddle::io::{AsyncReadExt, AsyncWriteExt};

const CHILD_ENV: &str = "HEDDLE_STDIO_TEST_CHILD";
const BEGIN: &[u8] = b"<<heddle-stdio-begin>>";
const END: &[u8] = b"<<heddle-stdio-end>>";

/// The child side: what it does depends on `CHILD_ENV`. Run by the harness
/// as an ordinary (and then trivially passing) test in the parent.
#[test]
fn child_helper() {
    let Ok(mode) = std::env::var(CHILD_ENV) else { return };
    if mode == "closed_stdout" {
        write_until_stdout_closes();
    }
    let rt = match mode.as_str() {
        "multi" | "stderr" => heddle::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap(),
        _ => heddle::runtime::Builder::new_current_thread().build().unwrap(),
    };
    rt.block_on(async move {
        // Read all of stdin in small reads (several blocking-pool trips).
        let mut stdin = heddle::io::stdin();
        let mut input = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = stdin.read(&mut chunk).await.unwrap();
            if n == 0 {
                break;
            }
            input.extend_from_slice(&chunk[..n]);
        }
        let mut out: Box<dyn heddle::io::AsyncWrite + Unpin> =
            if mode == "stderr" { Box::new(heddle::io::stderr()) } else { Box::new(heddle::io::stdout()) };
        out.write_all(BEGIN).await.unwrap();
        // Reversed, so an echo that skipped heddle would not pass.
        let reversed: Vec<u8> = input.iter().rev().copied().collect();
        for piece in reversed.chunks(10_000) {
            out.write_all(piece).await.unwrap();
        }
        out.write_all(END).await.unwrap();
        out.flush().await.unwrap();
    });
    std::process::exit(0);
}

/// Child mode `closed_stdout`: says it is ready on stdout, waits for
/// stdin's EOF (the parent has closed the read end of stdout by then), then
/// writes to stdout until a write or flush fails. Reports the error on
/// stderr and exits 0 if it is EPIPE, non-zero otherwise.
fn write_until_stdout_closes() -> ! {
    let rt = heddle::runtime::Builder::new_current_thread().build().unwrap();
    let outcome = rt.block_on(async {
        let mut out = heddle::io::stdout();
        out.write_all(BEGIN).await.unwrap();
        out.flush().await.unwrap();
        let mut rest = Vec::new();
        heddle::io::stdin().read_to_end(&mut rest).await.unwrap();
        let chunk = vec![b'z'; 64 * 1024];
        for _ in 0..64 {
            let res = match out.write_all(&chunk).await {
                Ok(()) => out.flush().await,
                Err(e) => Err(e),
            };
            if let Err(e) = res {
                return Some(e);
            }
        }
        None
    });
    match outcome {
        Some(e) => {
            eprintln!("write error: {e} (os {:?})", e.raw_os_error());
            std::process::exit(if e.raw_os_error() == Some(libc::EPIPE) { 0 } else { 3 });
        }
        None => {
            eprintln!("4 MiB written to a closed pipe without an error");
            std::process::exit(4);
        }
    }
}

/// Writing to a stdout whose reader has gone fails with EPIPE, reported by
/// the write or the flush (the process ignores SIGPIPE, as Rust programs
/// do), instead of the bytes vanishing.
#[test]
fn stdout_to_a_closed_pipe_reports_epipe() {
    let mut child = spawn_child("closed_stdout");
    // Past the harness's banner to the child's marker, then hang up.
    let mut stdout = child.stdout.take().unwrap();
    let mut seen = Vec::new();
    let mut chunk = [0u8; 4096];
    while !seen.windows(BEGIN.len()).any(|w| w == BEGIN) {
        let n = stdout.read(&mut chunk).unwrap();
        assert!(n > 0, "child closed stdout before its marker");
        seen.extend_from_slice(&chunk[..n]);
    }
    drop(stdout);
    drop(child.stdin.take());
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "child: {status:?}\n{err}");
    assert!(err.contains("os Some(32)"), "{err}");
}

fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

fn framed(output: &[u8]) -> &[u8] {
    let start = output.windows(BEGIN.len()).position(|w| w == BEGIN).expect("begin marker") + BEGIN.len();
    let len = output[start..].windows(END.len()).position(|w| w == END).expect("end marker");
    &output[start..start + len]
}

/// Starts this test binary as the child in `mode`, all three streams piped.
fn spawn_child(mode: &str) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_helper", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, mode)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Runs the child in `mode`, feeding `input` on stdin from a thread while
/// reading stdout/stderr; returns (stdout, stderr).
fn run_child(mode: &str, input: Vec<u8>) -> (Vec<u8>, Vec<u8>) {
    let mut child = spawn_child(mode);
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        stdin.write_all(&input).unwrap();
        // Dropping closes the pipe: the child sees EOF.
    });
    let mut stderr = child.stderr.take().unwrap();
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        stderr.read_to_end(&mut buf).unwrap();
        buf
    });
    let mut out = Vec::new();
    child.stdout.take().unwrap().read_to_end(&mut out).unwrap();
    writer.join().unwrap();
    let err = err_reader.join().unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "child failed: {status:?}\n{}", String::from_utf8_lossy(&err));
    (out, err)
}

#[test]
fn stdin_to_stdout_round_trip_current_thread() {
    let input = payload(300_000);
    let (out, _) = run_child("current", input.clone());
    let got = framed(&out);
    assert_eq!(got.len(), input.len());
    assert!(got.iter().eq(input.iter().rev()), "bytes differ");
}

#[test]
fn stdin_to_stdout_round_trip_multi_thread() {
    // More than a pipe buffer each way, so both sides block at times.
    let input = payload(1 << 20);
    let (out, _) = run_child("multi", input.clone());
    let got = framed(&out);
    assert_eq!(got.len(), input.len());
    assert!(got.iter().eq(input.iter().rev()), "bytes differ");
}

#[test]
fn empty_stdin_reads_eof() {
    let (out, _) = run_child("current", Vec::new());
    assert!(framed(&out).is_empty());
}

#[test]
fn stderr_receives_bytes() {
    let input = payload(50_000);
    let (out, err) = run_child("stderr", input.clone());
    assert!(!out.windows(BEGIN.len()).any(|w| w == BEGIN), "payload went to stdout");
    let got = framed(&err);
    assert!(got.iter().eq(input.iter().rev()), "bytes differ");
}

#[test]
fn stdout_empty_write_and_flush_in_process() {
    // In-process: writing to our own stdout works and flush completes.
    let rt = heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let mut out = heddle::io::stdout();
        let n = out.write(b"").await.unwrap();
        assert_eq!(n, 0);
        heddle::time::timeout(Duration::from_secs(10), out.flush()).await.expect("flush hung").unwrap();
    });
}

#[test]
fn handles_expose_the_standard_descriptors() {
    use std::os::fd::{AsFd, AsRawFd};
    assert_eq!(heddle::io::stdin().as_raw_fd(), 0);
    assert_eq!(heddle::io::stdout().as_raw_fd(), 1);
    assert_eq!(heddle::io::stderr().as_fd().as_raw_fd(), 2);
}
