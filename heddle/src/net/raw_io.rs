//! `try_io` and `async_io`: running a caller's own non-blocking system call
//! on a socket under heddle's readiness tracking. The same two methods for
//! every socket type (TCP, UDP, Unix stream and datagram), written once.

/// Expands, inside an `impl` block of a type with an `io: PollEvented<_>`
/// field, to the `try_io` and `async_io` methods.
macro_rules! raw_io_methods {
    () => {
        /// Runs `f`, a non-blocking operation on the raw socket (through
        /// `AsRawFd`), if the socket looks ready for `interest`; a
        /// `WouldBlock` from `f` clears that readiness so the next
        /// `ready`/`readable`/`writable` waits for a new event.
        ///
        /// # Errors
        /// `WouldBlock` if the socket is not ready, else whatever `f` returns.
        pub fn try_io<R>(
            &self,
            interest: crate::io::Interest,
            f: impl FnOnce() -> std::io::Result<R>,
        ) -> std::io::Result<R> {
            self.io.try_io(interest.direction(), |_| f())
        }

        /// Runs `f` (a non-blocking operation on the raw socket) until it
        /// does not return `WouldBlock`, waiting for `interest` readiness
        /// before each try.
        ///
        /// # Errors
        /// Whatever `f` returns other than `WouldBlock`.
        pub async fn async_io<R>(
            &self,
            interest: crate::io::Interest,
            mut f: impl FnMut() -> std::io::Result<R>,
        ) -> std::io::Result<R> {
            self.io.async_io(interest.direction(), |_| f()).await
        }
    };
}

pub(crate) use raw_io_methods;
