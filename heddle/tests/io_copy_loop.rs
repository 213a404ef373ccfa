//! heddle's own copy loop (`io::copy`, `io::copy_bidirectional`) against
//! readers and writers that misbehave in the ways real ones do: interrupted
//! calls are retried, a writer that is not ready yet makes the loop read
//! ahead so its next write is larger, a writer that accepts nothing is an
//! error, a zero-sized buffer is refused, and uneven reads into the
//! (uninitialised) buffer with busy, partial writes lose no byte.

use std::collections::VecDeque;
use std::io::{self, ErrorKind};
use std::pin::Pin;
use std::task::{Context, Poll};

use heddle::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Replays a script of read results.
struct ScriptedReader(VecDeque<io::Result<&'static [u8]>>);

impl AsyncRead for ScriptedReader {
    fn poll_read(mut self: Pin<&mut Self>, _: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.0.pop_front() {
            None => Poll::Ready(Ok(())),
            Some(Ok(bytes)) => {
                buf.put_slice(bytes);
                Poll::Ready(Ok(()))
            }
            Some(Err(e)) => Poll::Ready(Err(e)),
        }
    }
}

/// What a scripted writer does on one call.
enum Step {
    Fail(ErrorKind),
    /// Not ready: wakes itself and returns Pending.
    Busy,
    /// Accepts at most this many bytes.
    Take(usize),
}

/// Follows a script of write outcomes (then accepts everything), and
/// records each write it accepted.
struct ScriptedWriter {
    script: VecDeque<Step>,
    writes: Vec<Vec<u8>>,
}

impl AsyncWrite for ScriptedWriter {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let take = match self.script.pop_front() {
            Some(Step::Fail(kind)) => return Poll::Ready(Err(kind.into())),
            Some(Step::Busy) => {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            Some(Step::Take(n)) => n.min(buf.len()),
            None => buf.len(),
        };
        self.writes.push(buf[..take].to_vec());
        Poll::Ready(Ok(take))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
}

#[test]
fn interrupted_reads_and_writes_are_retried() {
    let mut reader = ScriptedReader(VecDeque::from([
        Err(ErrorKind::Interrupted.into()),
        Ok(&b"ab"[..]),
        Err(ErrorKind::Interrupted.into()),
        Ok(&b"cd"[..]),
    ]));
    let mut writer =
        ScriptedWriter { script: VecDeque::from([Step::Fail(ErrorKind::Interrupted), Step::Take(1)]), writes: vec![] };
    assert_eq!(block_on(heddle::io::copy(&mut reader, &mut writer)).unwrap(), 4);
    assert_eq!(writer.writes.concat(), b"abcd");
}

#[test]
fn a_busy_writer_gets_a_larger_write_next() {
    let mut reader = ScriptedReader(VecDeque::from([Ok(&b"ab"[..]), Ok(&b"cd"[..])]));
    let mut writer = ScriptedWriter { script: VecDeque::from([Step::Take(1), Step::Busy]), writes: vec![] };
    assert_eq!(block_on(heddle::io::copy(&mut reader, &mut writer)).unwrap(), 4);
    // "a" went out, the writer was busy, "cd" was read meanwhile, and the
    // rest went out as one write.
    assert_eq!(writer.writes, vec![b"a".to_vec(), b"bcd".to_vec()]);
}

#[test]
fn other_errors_end_the_copy() {
    let mut reader = ScriptedReader(VecDeque::from([Ok(&b"ab"[..]), Err(ErrorKind::ConnectionReset.into())]));
    let mut writer = ScriptedWriter { script: VecDeque::new(), writes: vec![] };
    let err = block_on(heddle::io::copy(&mut reader, &mut writer)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionReset);

    let mut reader = ScriptedReader(VecDeque::from([Ok(&b"ab"[..])]));
    let mut writer = ScriptedWriter { script: VecDeque::from([Step::Take(0)]), writes: vec![] };
    let err = block_on(heddle::io::copy(&mut reader, &mut writer)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WriteZero);
}

#[test]
#[should_panic(expected = "`b_to_a_buf_size` must be greater than 0")]
fn a_zero_sized_bidirectional_buffer_is_refused() {
    let (mut a, _a_peer) = heddle::io::duplex(16);
    let (mut b, _b_peer) = heddle::io::duplex(16);
    let _ = block_on(heddle::io::copy_bidirectional_with_sizes(&mut a, &mut b, 1, 0));
}

/// Serves `data` in reads of uneven sizes; every other read first
/// initialises the whole free tail (as `read` into a `Vec` does), so the
/// copy's buffer sees every mix of initialised and uninitialised space.
struct UnevenReader {
    data: Vec<u8>,
    at: usize,
    calls: usize,
}

impl AsyncRead for UnevenReader {
    fn poll_read(mut self: Pin<&mut Self>, _: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        self.calls += 1;
        if self.calls % 2 == 0 {
            buf.initialize_unfilled();
        }
        let want = 1 + (self.calls * 7919) % 9000;
        let n = want.min(buf.remaining()).min(self.data.len() - self.at);
        let at = self.at;
        buf.put_slice(&self.data[at..at + n]);
        self.at += n;
        Poll::Ready(Ok(()))
    }
}

#[test]
fn uneven_reads_and_busy_partial_writes_pass_every_byte_in_order() {
    let data: Vec<u8> = (0..1_000_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    let mut reader = UnevenReader { data: data.clone(), at: 0, calls: 0 };
    let script = (0..2_000).map(|i| if i % 3 == 0 { Step::Busy } else { Step::Take(1 + (i * 131) % 5000) });
    let mut writer = ScriptedWriter { script: script.collect(), writes: Vec::new() };
    assert_eq!(block_on(heddle::io::copy(&mut reader, &mut writer)).unwrap(), data.len() as u64);
    assert_eq!(writer.writes.concat(), data);
}
