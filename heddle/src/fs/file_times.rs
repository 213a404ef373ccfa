//! [`FileTimes`]: the timestamps [`File::set_times`](super::File::set_times)
//! applies to a file.

use std::time::SystemTime;

/// Access and modification times to set on a file with
/// [`File::set_times`](super::File::set_times); a time left unset keeps
/// the file's current value. A builder, like [`std::fs::FileTimes`].
///
/// ```
/// use std::time::{Duration, SystemTime};
/// # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let path = std::env::temp_dir().join(format!("heddle-file-times-doc-{}", std::process::id()));
/// let file = heddle::fs::File::create(&path).await?;
/// let accessed = SystemTime::UNIX_EPOCH + Duration::from_secs(1_600_000_000);
/// let modified = SystemTime::UNIX_EPOCH + Duration::from_secs(1_500_000_000);
/// let times = heddle::fs::FileTimes::new().set_accessed(accessed).set_modified(modified);
/// file.set_times(times).await?;
/// let meta = file.metadata().await?;
/// assert_eq!((meta.accessed()?, meta.modified()?), (accessed, modified));
/// heddle::fs::remove_file(&path).await?;
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone, Default)]
#[must_use = "FileTimes does nothing until given to `File::set_times`"]
pub struct FileTimes {
    accessed: Option<SystemTime>,
    modified: Option<SystemTime>,
}

impl FileTimes {
    /// No times set: applying it changes nothing.
    pub fn new() -> FileTimes {
        FileTimes::default()
    }

    /// Sets the last access time.
    pub fn set_accessed(mut self, time: SystemTime) -> FileTimes {
        self.accessed = Some(time);
        self
    }

    /// Sets the last modification time.
    pub fn set_modified(mut self, time: SystemTime) -> FileTimes {
        self.modified = Some(time);
        self
    }

    /// The `std` equivalent, for the blocking call.
    pub(crate) fn into_std(self) -> std::fs::FileTimes {
        let mut times = std::fs::FileTimes::new();
        if let Some(accessed) = self.accessed {
            times = times.set_accessed(accessed);
        }
        if let Some(modified) = self.modified {
            times = times.set_modified(modified);
        }
        times
    }
}
