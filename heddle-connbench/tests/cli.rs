//! The real binary, run as a user would: `--help`, a refused target, a
//! server and client pair, `saturate`, and running out of descriptors.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_heddle-connbench");

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The server binary on a free port; killed when dropped.
struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start(extra: &[&str]) -> Server {
        let mut child = Command::new(BIN)
            .args(["server", "--listen", "127.0.0.1:0", "--workers", "1", "--duration", "60"])
            .args(extra)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        // "listening on 127.0.0.1:PORT (...)"
        let addr = line.strip_prefix("listening on ").and_then(|l| l.split_whitespace().next());
        let addr = addr.unwrap_or_else(|| panic!("unexpected first line: {line:?}")).to_owned();
        Server { child, addr }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn help_explains_every_subcommand() {
    let out = run(&["--help"]);
    assert!(out.status.success());
    let help = text(&out.stdout);
    for word in ["server", "rate", "saturate", "start + i/R"] {
        assert!(help.contains(word), "{word} missing from:\n{help}");
    }
    let rate = text(&run(&["rate", "--help"]).stdout);
    for opt in [
        "--target",
        "--rate",
        "--content",
        "--expect-bytes",
        "--length",
        "--cooldown",
        "--timeout",
        "--local-ip",
        "--max-inflight",
        "--json",
        "--csv",
        "--report",
    ] {
        assert!(rate.contains(opt), "{opt} missing from:\n{rate}");
    }
    let server = text(&run(&["server", "--help"]).stdout);
    for opt in [
        "--listen",
        "--content",
        "--acceptors",
        "--backlog",
        "--mode",
        "--workers",
        "echo",
        "http",
        "--runtime",
        "tokio",
    ] {
        assert!(server.contains(opt), "{opt} missing from:\n{server}");
    }
    let saturate = text(&run(&["saturate", "--help"]).stdout);
    for opt in ["--start", "--increment", "--slowdown"] {
        assert!(saturate.contains(opt), "{opt} missing from:\n{saturate}");
    }
}

#[test]
fn refused_target_is_a_clean_error() {
    let addr = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().to_string();
    let out = run(&["rate", "--target", &addr, "--rate", "100", "--length", "0.1"]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    assert!(err.starts_with("error: the first exchange with"), "{err}");
    assert!(err.contains("refused"), "{err}");
    assert!(err.contains("heddle-connbench server"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn wrong_answer_length_is_caught_before_the_rounds() {
    let server = Server::start(&["--mode", "echo"]);
    let dir = std::env::temp_dir().join(format!("connbench-len-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let request = dir.join("req.bin");
    std::fs::write(&request, [1u8; 10]).unwrap();
    let args = ["rate", "--target", &server.addr, "--rate", "100", "--length", "0.05"];
    let out =
        Command::new(BIN).args(args).args(["--content", request.to_str().unwrap(), "--expect-bytes", "11"]).output();
    let out = out.unwrap();
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    assert!(err.contains("EOF after 10 of the expected 11 bytes (short_answer)"), "{err}");
    assert!(!text(&out.stdout).contains("round 1"), "no round runs");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn server_and_rate_rounds_with_json_and_csv() {
    let dir = std::env::temp_dir().join(format!("connbench-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let content = dir.join("answer.bin");
    std::fs::write(&content, vec![b'a'; 300]).unwrap();
    let server = Server::start(&["--content", content.to_str().unwrap(), "--acceptors", "2"]);
    let (json, csv) = (dir.join("out.json"), dir.join("out.csv"));
    let out = run(&[
        "rate",
        "--target",
        &server.addr,
        "--rate",
        "1000",
        "--rate",
        "2000",
        "--length",
        "0.3",
        "--cooldown",
        "0.1",
        "--expect-bytes",
        "300",
        "--workers",
        "1",
        "--json",
        json.to_str().unwrap(),
        "--csv",
        csv.to_str().unwrap(),
    ]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "stdout: {stdout}\nstderr: {}", text(&out.stderr));
    assert!(stdout.contains("round 1: target 1000/s"), "{stdout}");
    assert!(stdout.contains("round 2: target 2000/s"), "{stdout}");
    assert!(stdout.contains("p99.9"), "{stdout}");

    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["command"], "rate");
    let rounds = report["rounds"].as_array().unwrap();
    assert_eq!(rounds.len(), 2);
    for (round, target) in rounds.iter().zip([1000.0, 2000.0]) {
        assert_eq!(round["target_rate"], target);
        assert_eq!(round["scheduled"].as_f64().unwrap(), target * 0.3);
        assert_eq!(round["samples"], round["scheduled"], "{round}");
        assert_eq!(round["bytes_received"].as_f64().unwrap(), target * 0.3 * 300.0);
        for kind in ["refused", "reset", "timed_out", "short_answer", "other"] {
            assert_eq!(round["errors"][kind], 0, "{round}");
        }
        // Loose: a shared machine may stall the last answers of a short round.
        assert!(round["achieved_rate"].as_f64().unwrap() > target * 0.5, "{round}");
        assert!(round["latency"]["p50_us"].as_f64().unwrap() > 0.0);
    }
    let csv = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(csv.starts_with("round,target_rate,achieved_rate"), "{csv}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn saturate_reports_the_last_sustainable_rate() {
    let server = Server::start(&["--mode", "echo"]);
    let json = std::env::temp_dir().join(format!("connbench-sat-{}.json", std::process::id()));
    let out = run(&[
        "saturate",
        "--target",
        &server.addr,
        "--start",
        "500",
        "--increment",
        "2",
        "--max-rounds",
        "2",
        "--length",
        "0.2",
        "--cooldown",
        "0",
        "--workers",
        "1",
        "--json",
        json.to_str().unwrap(),
    ]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "stdout: {stdout}\nstderr: {}", text(&out.stderr));
    assert!(stdout.contains("last sustainable rate") || stdout.contains("no rate was sustained"), "{stdout}");
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let rounds = report["rounds"].as_array().unwrap();
    assert!(!rounds.is_empty() && rounds.len() <= 2);
    assert_eq!(rounds[0]["target_rate"], 500.0);
    assert!(rounds[0]["verdict"].is_string(), "{}", rounds[0]);
    std::fs::remove_file(&json).unwrap();
}

/// With a hard limit of 40 descriptors the client cannot raise its soft
/// limit; the round reports `no_fds` errors with advice and ends, instead of
/// hanging.
#[test]
fn out_of_descriptors_is_reported_and_survived() {
    // A listener that never accepts: connections sit in its queue until
    // the client's timeout.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap().to_string();
    let mut cmd = Command::new(BIN);
    cmd.args(["rate", "--target", &addr, "--rate", "2000", "--length", "0.2", "--timeout", "0.5"]);
    cmd.args(["--max-inflight", "1000", "--workers", "1", "--no-check"]);
    // SAFETY: the closure runs in the forked child before exec and only
    // calls setrlimit, which is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            let lim = libc::rlimit { rlim_cur: 40, rlim_max: 40 };
            // SAFETY: `lim` is a valid rlimit, read by the call only.
            if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        })
    };
    let began = Instant::now();
    let out = cmd.output().unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "stdout: {stdout}\nstderr: {stderr}");
    assert!(began.elapsed() < Duration::from_secs(10), "{:?}", began.elapsed());
    assert!(stderr.contains("--max-inflight 1000 exceeds the 40 file descriptors"), "{stderr}");
    assert!(stdout.contains("no_fds"), "{stdout}");
    assert!(stdout.contains("ran out of file descriptors"), "{stdout}");
    assert!(stderr.contains("warning: first no_fds error"), "{stderr}");
    drop(silent);
}

#[test]
fn echo_server_on_tokio_and_an_html_report() {
    let dir = std::env::temp_dir().join(format!("connbench-tokio-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let request = dir.join("request.bin");
    std::fs::write(&request, vec![b'r'; 300]).unwrap();
    let html = dir.join("report.html");
    for runtime in ["tokio", "heddle"] {
        let server = Server::start(&["--mode", "echo", "--runtime", runtime]);
        let out = run(&[
            "rate",
            "--target",
            &server.addr,
            "--rate",
            "1000,2000",
            "--length",
            "0.3",
            "--cooldown",
            "0.1",
            "--content",
            request.to_str().unwrap(),
            "--expect-bytes",
            "300",
            "--workers",
            "1",
            "--report",
            html.to_str().unwrap(),
        ]);
        let stdout = text(&out.stdout);
        assert!(out.status.success(), "{runtime}: {stdout}\n{}", text(&out.stderr));
        assert!(stdout.contains("round 2: target 2000/s"), "{stdout}");
        assert!(stdout.contains("errors: none"), "{runtime}: {stdout}");
        // stdout is a pipe: no progress bar.
        assert!(!stdout.contains(" started, "), "{stdout}");
        let page = std::fs::read_to_string(&html).unwrap();
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert_eq!(page.matches("<svg ").count(), 2 + 2, "two summary charts and a histogram per round");
        assert!(page.contains(r#"id="chart-histogram-2""#));
        assert!(page.matches(r#"class="bar""#).count() >= 2);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
