//! `TcpListener::accept` under file-descriptor exhaustion (EMFILE).
//!
//! The test re-runs this binary as a child process (so lowering
//! `RLIMIT_NOFILE` cannot disturb other tests). The child fills its fd table
//! so the server can accept only a few of the connections waiting in the
//! backlog, checks that the accept loop neither fails nor spins while it is
//! stuck on EMFILE, then frees descriptors and checks that every waiting
//! connection, and new ones, get accepted and served. The parent checks the
//! child's exit status and output.

use std::fs::File;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use heddle::io::{AsyncReadExt, AsyncWriteExt};
use heddle::net::{TcpListener, TcpStream};

mod support;

const CHILD_ENV: &str = "HEDDLE_EMFILE_CHILD";
const TEST_NAME: &str = "accept_survives_emfile";
/// Connections waiting in the backlog when the fd table fills up.
const WAITING: usize = 10;
/// How many of them the server can accept before hitting EMFILE.
const FREE_SLOTS: usize = 3;
/// Connections made after descriptors are freed.
const LATER: usize = 5;
/// How long the child watches the stuck accept loop.
const STUCK_FOR: Duration = Duration::from_millis(300);

#[test]
fn accept_survives_emfile() {
    if std::env::var_os(CHILD_ENV).is_some() {
        child();
        return;
    }
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([TEST_NAME, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn child");
    // Bound the child's run time: read its output on threads, poll for exit.
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || std::io::read_to_string(&mut stdout).unwrap());
    let err = std::thread::spawn(move || std::io::read_to_string(&mut stderr).unwrap());
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("child timed out\nstdout:\n{}\nstderr:\n{}", out.join().unwrap(), err.join().unwrap());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let (stdout, stderr) = (out.join().unwrap(), err.join().unwrap());
    let report = format!("status: {status}\nstdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(status.success(), "child failed\n{report}");
    assert!(stdout.contains("EMFILE-CHILD-OK"), "child did not finish\n{report}");
    // The runtime reported the exhaustion, once (rate-limited), not per retry.
    let logged = stderr.matches("heddle: accept on").count();
    assert_eq!(logged, 1, "expected one exhaustion message\n{report}");
    assert!(stderr.contains("Too many open files"), "message should name the error\n{report}");
    eprintln!("{report}");
}

/// Sets the soft `RLIMIT_NOFILE`.
fn set_fd_limit(limit: u64) {
    let mut rl = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: valid pointer to an rlimit.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl) }, 0);
    rl.rlim_cur = limit as libc::rlim_t;
    // SAFETY: valid pointer to an rlimit.
    let rc = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &rl) };
    assert_eq!(rc, 0, "setrlimit: {}", std::io::Error::last_os_error());
}

/// The highest open fd of this process.
fn highest_fd() -> u64 {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u64>().ok())
        .max()
        .unwrap()
}

/// Opens /dev/null until the fd table is full.
fn fill_fd_table() -> Vec<File> {
    let mut fillers = Vec::new();
    loop {
        match File::open("/dev/null") {
            Ok(f) => fillers.push(f),
            Err(e) if e.raw_os_error() == Some(libc::EMFILE) => return fillers,
            Err(e) => panic!("unexpected error filling the fd table: {e}"),
        }
    }
}

/// Sends a line on `stream` and checks the echo server sends it back.
async fn ping(stream: &mut TcpStream, i: usize) {
    let msg = format!("ping {i:04}");
    stream.write_all(msg.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; msg.len()];
    stream.read_exact(&mut buf).await.unwrap();
    assert_eq!(buf, msg.as_bytes());
}

fn child() {
    let rt = heddle::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        heddle::time::timeout(Duration::from_secs(15), child_main()).await.expect("child timed out");
    });
    println!("EMFILE-CHILD-OK");
}

async fn child_main() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();

    // Connections waiting in the backlog (the kernel completes the
    // handshake before anyone accepts).
    let mut waiting = Vec::new();
    for _ in 0..WAITING {
        waiting.push(TcpStream::connect(addr).await.unwrap());
    }

    // Fill the fd table, leaving exactly FREE_SLOTS free descriptors, and
    // keep enough fillers to release for the rest of the test.
    set_fd_limit(highest_fd() + 1 + 2 * (WAITING + LATER) as u64 + 8);
    let mut fillers = fill_fd_table();
    assert!(fillers.len() >= 2 * (WAITING + LATER), "only {} fillers", fillers.len());
    fillers.truncate(fillers.len() - FREE_SLOTS);

    // The server: echo every connection; record accept errors instead of
    // panicking so the test can report them.
    let accepted = Arc::new(AtomicUsize::new(0));
    let accept_error = Arc::new(Mutex::new(None));
    let server = heddle::spawn({
        let (accepted, accept_error) = (accepted.clone(), accept_error.clone());
        async move {
            loop {
                match listener.accept().await {
                    Ok((mut socket, _)) => {
                        accepted.fetch_add(1, Ordering::SeqCst);
                        heddle::spawn(async move {
                            let mut buf = [0u8; 256];
                            loop {
                                match socket.read(&mut buf).await {
                                    Ok(0) | Err(_) => break,
                                    Ok(n) => {
                                        if socket.write_all(&buf[..n]).await.is_err() {
                                            break;
                                        }
                                    }
                                }
                            }
                        });
                    }
                    Err(e) => {
                        *accept_error.lock().unwrap() = Some(e);
                        return;
                    }
                }
            }
        }
    });

    // The server takes FREE_SLOTS connections, then is stuck on EMFILE.
    let start = Instant::now();
    while accepted.load(Ordering::SeqCst) < FREE_SLOTS {
        assert!(start.elapsed() < Duration::from_secs(5), "server did not accept the first connections");
        heddle::time::sleep(Duration::from_millis(5)).await;
    }
    // Those are served although accept is failing meanwhile.
    for (i, stream) in waiting.iter_mut().enumerate().take(FREE_SLOTS) {
        ping(stream, i).await;
    }
    let error = accept_error.lock().unwrap().take();
    assert!(error.is_none(), "accept returned an error: {error:?}");
    // Still nothing fd-consuming is possible in this process.
    assert_eq!(File::open("/dev/null").unwrap_err().raw_os_error(), Some(libc::EMFILE));

    // Stuck on EMFILE: the loop must neither die nor spin.
    let (cpu_before, wall_before) = (support::cpu_time(libc::RUSAGE_SELF), Instant::now());
    heddle::time::sleep(STUCK_FOR).await;
    let (cpu, wall) = (support::cpu_time(libc::RUSAGE_SELF) - cpu_before, wall_before.elapsed());
    let share = cpu.as_secs_f64() / wall.as_secs_f64();
    println!("while stuck on EMFILE: {cpu:?} CPU over {wall:?} wall ({:.1} %)", share * 100.0);
    assert!(share < 0.25, "accept loop burns CPU on EMFILE: {cpu:?} over {wall:?}");
    assert_eq!(accepted.load(Ordering::SeqCst), FREE_SLOTS, "accepted beyond the fd limit?");
    assert!(!server.is_finished(), "accept loop ended: {:?}", accept_error.lock().unwrap().take());

    // Free descriptors: the waiting connections get accepted and served.
    drop(fillers);
    for (i, stream) in waiting.iter_mut().enumerate().skip(FREE_SLOTS) {
        ping(stream, i).await;
    }
    // And new ones too.
    for i in 0..LATER {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        ping(&mut stream, WAITING + i).await;
        waiting.push(stream);
    }
    assert_eq!(accepted.load(Ordering::SeqCst), WAITING + LATER);
    assert!(accept_error.lock().unwrap().is_none());
    println!("accepted {} connections, all served", WAITING + LATER);
    server.abort();
}
