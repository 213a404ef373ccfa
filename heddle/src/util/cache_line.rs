//! `CacheLine`: keeps a hot atomic off the cache lines of its neighbours.
//!
//! A field that one thread writes often and others read (a queue length, a
//! clock reading) drags every field sharing its line along with it: each
//! write invalidates the line in the readers' caches. Aligning the field to
//! 128 bytes gives it a line of its own (x86's adjacent-line prefetcher
//! moves lines in pairs, hence two).

/// `T`, aligned to a cache-line pair.
#[repr(align(128))]
#[derive(Debug, Default)]
pub(crate) struct CacheLine<T>(pub(crate) T);

impl<T> std::ops::Deref for CacheLine<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}
