//! File-system benchmarks on heddle and tokio, with the same code. Both
//! runtimes run file operations on their blocking pool, so these measure
//! the hand-off of one small blocking job after another: the workloads of
//! tokio's `benches/fs.rs` (written afresh here, not copied), plus whole
//! small-file reads and writes.
//!
//! * `fs_read_codec`: `/dev/zero` through `FramedRead` and `BytesCodec`
//!   (tokio-util), `BLOCK_COUNT` frames of up to `BUFFER_SIZE` bytes.
//! * `fs_read_buf`: `BLOCK_COUNT` reads of `BUFFER_SIZE` bytes from
//!   `/dev/zero` with `AsyncReadExt::read`.
//! * `fs_read_buf_in_task`: `fs_read_buf` in a spawned task, so a worker
//!   (not the `block_on` thread) waits for each read.
//! * `fs_read_small_file`: `fs::read` of a 4 KiB file, `FILE_OPS` times.
//! * `fs_write_small_file`: `fs::write` of 4 KiB to one file, `FILE_OPS`
//!   times (the page cache, not the disk: nothing is synced).
//!
//! A multi-thread runtime with 2 workers, as in tokio's bench. Run with
//! `-- --paired [FILTER]` for the alternating paired runner (see
//! `support/mod.rs`), or without for criterion groups.

mod support;

/// Reads per iteration of the `/dev/zero` workloads, and their size.
const BLOCK_COUNT: usize = 1_000;
const BUFFER_SIZE: usize = 4096;
const DEV_ZERO: &str = "/dev/zero";
/// Whole-file operations per iteration of the small-file workloads.
const FILE_OPS: usize = 100;

/// A 4 KiB file under the system's temporary directory for the small-file
/// workloads, removed when this drops.
struct SmallFile(std::path::PathBuf);

impl SmallFile {
    fn new(tag: &str) -> SmallFile {
        let path = std::env::temp_dir().join(format!("heddle-bench-fs-{}-{tag}", std::process::id()));
        std::fs::write(&path, [b'x'; 4096]).expect("writing the small file");
        SmallFile(path)
    }
}

impl Drop for SmallFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

macro_rules! workloads {
    ($runtime:ident) => {
        pub mod $runtime {
            use futures::StreamExt;
            use rt::io::AsyncReadExt;
            use tokio_util::codec::{BytesCodec, FramedRead};

            use super::*;
            use crate::support::Sink;
            use ::$runtime as rt;

            const NAME: &str = stringify!($runtime);

            fn runtime() -> rt::runtime::Runtime {
                rt::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
            }

            pub fn fs_read_codec(g: &mut impl Sink) {
                let rt = runtime();
                g.iteration(NAME, move || {
                    rt.block_on(async {
                        let file = rt::fs::File::open(DEV_ZERO).await.unwrap();
                        let mut frames = FramedRead::with_capacity(file, BytesCodec::new(), BUFFER_SIZE);
                        for _ in 0..BLOCK_COUNT {
                            let frame = frames.next().await.unwrap().unwrap();
                            assert!(!frame.is_empty());
                        }
                    })
                });
            }

            pub fn fs_read_buf(g: &mut impl Sink) {
                let rt = runtime();
                g.iteration(NAME, move || {
                    rt.block_on(async {
                        let mut file = rt::fs::File::open(DEV_ZERO).await.unwrap();
                        let mut buf = [1u8; BUFFER_SIZE];
                        for _ in 0..BLOCK_COUNT {
                            let n = file.read(&mut buf).await.unwrap();
                            assert!(n > 0 && buf[0] == 0);
                        }
                    })
                });
            }

            pub fn fs_read_buf_in_task(g: &mut impl Sink) {
                let rt = runtime();
                g.iteration(NAME, move || {
                    rt.block_on(rt.spawn(async {
                        let mut file = rt::fs::File::open(DEV_ZERO).await.unwrap();
                        let mut buf = [1u8; BUFFER_SIZE];
                        for _ in 0..BLOCK_COUNT {
                            let n = file.read(&mut buf).await.unwrap();
                            assert!(n > 0 && buf[0] == 0);
                        }
                    }))
                    .unwrap()
                });
            }

            pub fn fs_read_small_file(g: &mut impl Sink) {
                let rt = runtime();
                let file = SmallFile::new(concat!(stringify!($runtime), "-read"));
                g.iteration(NAME, move || {
                    rt.block_on(async {
                        for _ in 0..FILE_OPS {
                            assert_eq!(rt::fs::read(&file.0).await.unwrap().len(), 4096);
                        }
                    })
                });
            }

            pub fn fs_write_small_file(g: &mut impl Sink) {
                let rt = runtime();
                let file = SmallFile::new(concat!(stringify!($runtime), "-write"));
                let data = vec![b'y'; 4096];
                g.iteration(NAME, move || {
                    rt.block_on(async {
                        for _ in 0..FILE_OPS {
                            rt::fs::write(&file.0, &data).await.unwrap();
                        }
                    })
                });
            }
        }
    };
}

workloads!(heddle);
workloads!(tokio);

support::paired_groups!(
    fs:
    fs_read_codec,
    fs_read_buf,
    fs_read_buf_in_task,
    fs_read_small_file,
    fs_write_small_file,
);

fn main() {
    support::main(PAIRED, fs);
}
