//! `DirBuilder`: creating directories with options (recursion, mode).

use std::io;
use std::path::Path;

/// Creates directories with options; the async counterpart of
/// [`std::fs::DirBuilder`].
///
/// ```
/// # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use std::os::unix::fs::PermissionsExt;
///
/// let base = std::env::temp_dir().join(format!("heddle-dirbuilder-doc-{}", std::process::id()));
/// let nested = base.join("a/b");
/// heddle::fs::DirBuilder::new().recursive(true).mode(0o750).create(&nested).await?;
/// let mode = heddle::fs::metadata(&nested).await?.permissions().mode();
/// assert_eq!(mode & 0o777 & !0o750, 0, "the umask can only clear bits");
/// heddle::fs::remove_dir_all(&base).await?;
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
#[derive(Debug, Default)]
pub struct DirBuilder {
    recursive: bool,
    mode: Option<u32>,
}

impl DirBuilder {
    /// A builder that creates one directory, with the default mode.
    pub fn new() -> DirBuilder {
        DirBuilder::default()
    }

    /// Also create missing parents (and succeed if the directory exists).
    pub fn recursive(&mut self, recursive: bool) -> &mut DirBuilder {
        self.recursive = recursive;
        self
    }

    /// Permission bits for the new directories (before the umask).
    #[cfg(unix)]
    pub fn mode(&mut self, mode: u32) -> &mut DirBuilder {
        self.mode = Some(mode);
        self
    }

    /// Creates the directory at `path` with these options.
    ///
    /// # Errors
    /// As [`std::fs::DirBuilder::create`]: the directory exists (unless
    /// recursive), a parent is missing (unless recursive), permissions.
    pub async fn create(&self, path: impl AsRef<Path>) -> io::Result<()> {
        let path = path.as_ref().to_owned();
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(self.recursive);
        #[cfg(unix)]
        if let Some(mode) = self.mode {
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, mode);
        }
        super::asyncify(move || builder.create(path)).await
    }
}
