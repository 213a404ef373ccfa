//! `is_rt_shutdown_err`: recognising the I/O error a resource returns once
//! its runtime is gone.

use std::io;

/// The message of the error an I/O resource returns once the runtime whose
/// reactor it was registered with has shut down (`io::Error::other` with
/// exactly this text, as the I/O driver builds it).
pub(crate) const SHUTDOWN_MESSAGE: &str = "heddle: the runtime's reactor has shut down";

/// True if `err` is the error heddle gives for I/O on a resource whose
/// runtime has shut down (rather than an error from the OS or the peer).
///
/// A socket belongs to the runtime it was created in; once that runtime is
/// dropped, using the socket fails with this error even from another
/// runtime. Only that exact error qualifies: one that merely wraps or
/// quotes it does not.
///
/// ```
/// use heddle::net::TcpListener;
///
/// let rt1 = heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// let rt2 = heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap();
/// let listener = rt1.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
/// drop(rt1);
/// rt2.block_on(async {
///     let err = listener.accept().await.unwrap_err();
///     assert!(heddle::runtime::is_rt_shutdown_err(&err));
/// });
/// assert!(!heddle::runtime::is_rt_shutdown_err(&std::io::Error::other("elsewhere")));
/// ```
pub fn is_rt_shutdown_err(err: &io::Error) -> bool {
    match err.get_ref() {
        Some(inner) => {
            err.kind() == io::ErrorKind::Other && inner.source().is_none() && inner.to_string() == SHUTDOWN_MESSAGE
        }
        None => false,
    }
}
