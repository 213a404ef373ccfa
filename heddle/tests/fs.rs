//! `heddle::fs` against a real temporary directory.

use std::io::{ErrorKind, SeekFrom};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use heddle::fs::{self, File, OpenOptions};
use heddle::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use heddle::time::timeout;

const LIMIT: Duration = Duration::from_secs(10);

/// A fresh directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
        let path = std::env::temp_dir().join(format!("heddle-fs-{tag}-{}-{n}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[heddle::test]
async fn round_trips() {
    timeout(LIMIT, async {
        let dir = TempDir::new("round");
        let nested = dir.0.join("a/b/c");
        fs::create_dir_all(&nested).await.unwrap();
        let path = nested.join("f.txt");
        fs::write(&path, b"bytes \xff").await.unwrap();
        assert_eq!(fs::read(&path).await.unwrap(), b"bytes \xff");
        fs::write(&path, "text").await.unwrap();
        assert_eq!(fs::read_to_string(&path).await.unwrap(), "text");
        assert_eq!(fs::metadata(&path).await.unwrap().len(), 4);
        assert!(fs::metadata(&nested).await.unwrap().is_dir());

        let copy = dir.0.join("copy.txt");
        assert_eq!(fs::copy(&path, &copy).await.unwrap(), 4);
        let moved = dir.0.join("moved.txt");
        fs::rename(&copy, &moved).await.unwrap();
        assert_eq!(fs::read_to_string(&moved).await.unwrap(), "text");
        assert_eq!(fs::metadata(&copy).await.unwrap_err().kind(), ErrorKind::NotFound);

        let mut names = Vec::new();
        let mut entries = fs::read_dir(&dir.0).await.unwrap();
        while let Some(entry) = entries.next_entry().await.unwrap() {
            names.push(entry.file_name().into_string().unwrap());
        }
        names.sort();
        assert_eq!(names, ["a", "moved.txt"]);

        fs::remove_file(&moved).await.unwrap();
        assert_eq!(fs::remove_file(&moved).await.unwrap_err().kind(), ErrorKind::NotFound);
    })
    .await
    .unwrap();
}

#[heddle::test]
async fn read_dir_many_entries() {
    let dir = TempDir::new("many");
    for i in 0..100 {
        std::fs::write(dir.0.join(i.to_string()), []).unwrap();
    }
    let mut count = 0;
    let mut entries = fs::read_dir(&dir.0).await.unwrap();
    while let Some(entry) = timeout(LIMIT, entries.next_entry()).await.unwrap().unwrap() {
        assert!(entry.file_type().await.unwrap().is_file());
        assert_eq!(entry.metadata().await.unwrap().len(), 0);
        count += 1;
    }
    assert_eq!(count, 100);
}

#[heddle::test]
async fn missing_file_is_not_found() {
    let dir = TempDir::new("missing");
    let path = dir.0.join("nope");
    assert_eq!(fs::read(&path).await.unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(fs::read_to_string(&path).await.unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(File::open(&path).await.unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(fs::read_dir(&path).await.unwrap_err().kind(), ErrorKind::NotFound);
    std::fs::write(&path, "x").unwrap();
    let err = OpenOptions::new().write(true).create_new(true).open(&path).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);
}

#[heddle::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_write_seek_read() {
    timeout(LIMIT, async {
        let dir = TempDir::new("file");
        let path = dir.0.join("data.bin");
        let mut file = OpenOptions::new().read(true).write(true).create(true).truncate(true).open(&path).await.unwrap();
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        file.write_all(&data).await.unwrap();
        file.flush().await.unwrap();
        assert_eq!(file.metadata().await.unwrap().len(), data.len() as u64);

        assert_eq!(file.seek(SeekFrom::Start(0)).await.unwrap(), 0);
        let mut back = Vec::new();
        file.read_to_end(&mut back).await.unwrap();
        assert_eq!(back, data);

        // Read a little (the file reads ahead), then write: the write lands
        // right after the bytes we consumed, not after the read-ahead.
        file.seek(SeekFrom::Start(10)).await.unwrap();
        let mut two = [0u8; 2];
        file.read_exact(&mut two).await.unwrap();
        assert_eq!(two, [10, 11]);
        file.write_all(b"XY").await.unwrap();
        file.flush().await.unwrap();
        assert_eq!(file.seek(SeekFrom::Current(0)).await.unwrap(), 14);
        file.seek(SeekFrom::Start(12)).await.unwrap();
        let mut four = [0u8; 4];
        file.read_exact(&mut four).await.unwrap();
        assert_eq!(&four, &[b'X', b'Y', 14, 15]);
        // A relative seek after read-ahead counts from the logical position.
        assert_eq!(file.seek(SeekFrom::Current(-2)).await.unwrap(), 14);

        file.set_len(5).await.unwrap();
        file.sync_all().await.unwrap();
        assert_eq!(fs::metadata(&path).await.unwrap().len(), 5);
        drop(file);

        let mut f = File::create(&path).await.unwrap();
        f.write_all(b"fresh").await.unwrap();
        f.shutdown().await.unwrap();
        drop(f);
        let mut s = String::new();
        File::open(&path).await.unwrap().read_to_string(&mut s).await.unwrap();
        assert_eq!(s, "fresh");
    })
    .await
    .unwrap();
}

#[heddle::test]
async fn write_to_read_only_file_fails() {
    let dir = TempDir::new("ro");
    let path = dir.0.join("ro.txt");
    std::fs::write(&path, "x").unwrap();
    let mut file = File::open(&path).await.unwrap();
    // The write is accepted into the buffer; the OS error surfaces by flush.
    let res = match file.write_all(b"nope").await {
        Err(e) => Err(e),
        Ok(()) => file.flush().await,
    };
    assert!(res.is_err());
}
