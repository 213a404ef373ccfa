//! `heddle::fs` against a real temporary directory.

use std::io::{ErrorKind, SeekFrom};
use std::time::Duration;

use heddle::fs::{self, File, OpenOptions};
use heddle::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use heddle::time::timeout;

mod support;
use support::TempDir;

const LIMIT: Duration = Duration::from_secs(10);

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

/// A full disk (`/dev/full` takes no bytes): the error reaches the caller
/// whole, with its OS code, from `fs::write` and from a buffered `File`
/// write (by the flush at the latest); nothing reports success, and the
/// file reports the next failure too rather than sticking.
#[heddle::test]
async fn full_disk_errors_reach_the_caller() {
    let full = std::path::Path::new("/dev/full");
    if !full.exists() {
        eprintln!("no /dev/full here: skipped");
        return;
    }
    let err = fs::write(full, vec![7u8; 64 * 1024]).await.unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ENOSPC), "{err}");

    let mut file = OpenOptions::new().write(true).open(full).await.unwrap();
    for round in 0..2 {
        let res = match file.write_all(&[1u8; 10_000]).await {
            Err(e) => Err(e),
            Ok(()) => file.flush().await,
        };
        let err = res.expect_err("a write to a full disk reported success");
        assert_eq!(err.raw_os_error(), Some(libc::ENOSPC), "round {round}: {err}");
    }
}

#[heddle::test]
async fn links_permissions_and_existence() {
    use std::os::unix::fs::PermissionsExt;
    timeout(LIMIT, async {
        let dir = TempDir::new("links");
        let target = dir.0.join("target.txt");
        fs::write(&target, "payload").await.unwrap();

        assert!(fs::try_exists(&target).await.unwrap());
        assert!(!fs::try_exists(dir.0.join("absent")).await.unwrap());

        // Symlink: relative target, read back, followed by reads, not by
        // symlink_metadata.
        let link = dir.0.join("link");
        fs::symlink("target.txt", &link).await.unwrap();
        assert_eq!(fs::read_link(&link).await.unwrap(), std::path::Path::new("target.txt"));
        assert_eq!(fs::read_to_string(&link).await.unwrap(), "payload");
        assert!(fs::symlink_metadata(&link).await.unwrap().file_type().is_symlink());
        assert!(fs::metadata(&link).await.unwrap().is_file());
        assert_eq!(fs::symlink(&target, &link).await.unwrap_err().kind(), ErrorKind::AlreadyExists);
        assert_eq!(fs::read_link(&target).await.unwrap_err().kind(), ErrorKind::InvalidInput);
        // A dangling link: exists as a link, not as a path.
        let dangling = dir.0.join("dangling");
        fs::symlink(dir.0.join("nowhere"), &dangling).await.unwrap();
        assert!(!fs::try_exists(&dangling).await.unwrap());

        // Hard link: same inode, survives removing the original name.
        let hard = dir.0.join("hard.txt");
        fs::hard_link(&target, &hard).await.unwrap();
        use std::os::unix::fs::MetadataExt;
        assert_eq!(fs::metadata(&hard).await.unwrap().ino(), fs::metadata(&target).await.unwrap().ino());
        assert_eq!(fs::metadata(&hard).await.unwrap().nlink(), 2);

        // Permissions, by path and through an open file.
        fs::set_permissions(&hard, std::fs::Permissions::from_mode(0o600)).await.unwrap();
        assert_eq!(fs::metadata(&target).await.unwrap().permissions().mode() & 0o777, 0o600);
        let file = File::open(&target).await.unwrap();
        file.set_permissions(std::fs::Permissions::from_mode(0o640)).await.unwrap();
        assert_eq!(fs::metadata(&hard).await.unwrap().permissions().mode() & 0o777, 0o640);
        fs::remove_file(&target).await.unwrap();
        assert_eq!(fs::read_to_string(&hard).await.unwrap(), "payload");
        assert_eq!(
            fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).await.unwrap_err().kind(),
            ErrorKind::NotFound
        );
    })
    .await
    .unwrap();
}

#[heddle::test(flavor = "multi_thread", worker_threads = 2)]
async fn dir_builder_recursive_and_mode() {
    use std::os::unix::fs::PermissionsExt;
    timeout(LIMIT, async {
        let dir = TempDir::new("dirbuilder");
        let nested = dir.0.join("x/y/z");
        // Not recursive: the parent is missing.
        assert_eq!(fs::DirBuilder::new().create(&nested).await.unwrap_err().kind(), ErrorKind::NotFound);
        fs::DirBuilder::new().recursive(true).mode(0o700).create(&nested).await.unwrap();
        assert!(fs::metadata(&nested).await.unwrap().is_dir());
        assert_eq!(fs::metadata(&nested).await.unwrap().permissions().mode() & 0o777, 0o700);
        // Recursive on an existing directory succeeds; non-recursive fails.
        fs::DirBuilder::new().recursive(true).create(&nested).await.unwrap();
        assert_eq!(fs::DirBuilder::new().create(&nested).await.unwrap_err().kind(), ErrorKind::AlreadyExists);
        fs::remove_dir_all(dir.0.join("x")).await.unwrap();
        assert!(!fs::try_exists(dir.0.join("x")).await.unwrap());
    })
    .await
    .unwrap();
}

#[heddle::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_try_clone_shares_the_position() {
    timeout(LIMIT, async {
        let dir = TempDir::new("clone");
        let path = dir.0.join("f");
        let mut file = OpenOptions::new().read(true).write(true).create(true).truncate(true).open(&path).await.unwrap();
        file.write_all(b"0123456789").await.unwrap();
        file.flush().await.unwrap();
        let mut clone = file.try_clone().await.unwrap();
        clone.seek(SeekFrom::Start(2)).await.unwrap();
        let mut buf = [0u8; 3];
        file.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"234", "the original reads from where the clone moved the shared offset");
        // The original read 3 bytes from the shared offset: the clone goes on after them.
        let mut rest = String::new();
        clone.read_to_string(&mut rest).await.unwrap();
        assert_eq!(rest, "56789");
        assert_eq!(clone.metadata().await.unwrap().len(), 10);
    })
    .await
    .unwrap();
}

#[heddle::test]
async fn open_options_mode_and_custom_flags() {
    use std::os::unix::fs::PermissionsExt;
    timeout(LIMIT, async {
        let dir = TempDir::new("openmode");
        let path = dir.0.join("secret");
        let mut file = OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path).await.unwrap();
        file.write_all(b"s").await.unwrap();
        file.flush().await.unwrap();
        assert_eq!(fs::metadata(&path).await.unwrap().permissions().mode() & 0o777, 0o600);
        // O_NOFOLLOW refuses to open through a symlink.
        let link = dir.0.join("link");
        fs::symlink(&path, &link).await.unwrap();
        let err = OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW).open(&link).await.unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ELOOP));
        assert!(OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW).open(&path).await.is_ok());
    })
    .await
    .unwrap();
}
