//! [`ToSocketAddrs`]: the address arguments that `bind` and `connect` take,
//! and [`lookup_host`]. IP literals resolve on the spot; host names are
//! resolved by the system resolver on a helper thread, so a slow DNS lookup
//! never blocks a runtime worker.

use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

/// Something that names one or more socket addresses: a [`SocketAddr`], an
/// `(IpAddr, u16)` pair, a `"host:port"` string, a `(&str, u16)` pair, a
/// slice of addresses, or a reference to any of these. The same types as
/// [`std::net::ToSocketAddrs`], but host names resolve without blocking the
/// runtime.
///
/// The trait is sealed: its method is an implementation detail.
///
/// ```
/// # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use std::net::{Ipv4Addr, SocketAddr};
/// let a = heddle::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
/// let b = heddle::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
/// let c = heddle::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap();
/// # let _ = (a, b, c);
/// # });
/// ```
pub trait ToSocketAddrs: sealed::ToSocketAddrsPriv {}

pub(crate) mod sealed {
    use std::io;
    use std::net::SocketAddr;

    /// How an address argument resolves.
    #[derive(Debug)]
    pub enum Resolve {
        /// Already known (IP literals).
        Ready(io::Result<Vec<SocketAddr>>),
        /// A host name, resolved on a helper thread: `"host:port"`.
        Host(String),
        /// A host name and a port, resolved on a helper thread.
        HostPort(String, u16),
    }

    /// The hidden half of [`ToSocketAddrs`](super::ToSocketAddrs).
    pub trait ToSocketAddrsPriv {
        /// Resolves what can be resolved without blocking.
        fn to_addrs(&self) -> Resolve;
    }
}

use sealed::{Resolve, ToSocketAddrsPriv};

macro_rules! literal_impls {
    ($($ty:ty),*) => {$(
        impl ToSocketAddrs for $ty {}
        impl ToSocketAddrsPriv for $ty {
            fn to_addrs(&self) -> Resolve {
                Resolve::Ready(Ok(vec![SocketAddr::from(*self)]))
            }
        }
    )*};
}

literal_impls!(SocketAddr, SocketAddrV4, SocketAddrV6, (IpAddr, u16), (Ipv4Addr, u16), (Ipv6Addr, u16));

impl ToSocketAddrs for [SocketAddr] {}
impl ToSocketAddrsPriv for [SocketAddr] {
    fn to_addrs(&self) -> Resolve {
        Resolve::Ready(Ok(self.to_vec()))
    }
}

impl ToSocketAddrs for str {}
impl ToSocketAddrsPriv for str {
    fn to_addrs(&self) -> Resolve {
        match self.parse::<SocketAddr>() {
            Ok(addr) => Resolve::Ready(Ok(vec![addr])),
            Err(_) => Resolve::Host(self.to_owned()),
        }
    }
}

impl ToSocketAddrs for String {}
impl ToSocketAddrsPriv for String {
    fn to_addrs(&self) -> Resolve {
        self.as_str().to_addrs()
    }
}

impl ToSocketAddrs for (&str, u16) {}
impl ToSocketAddrsPriv for (&str, u16) {
    fn to_addrs(&self) -> Resolve {
        match self.0.parse::<IpAddr>() {
            Ok(ip) => Resolve::Ready(Ok(vec![SocketAddr::new(ip, self.1)])),
            Err(_) => Resolve::HostPort(self.0.to_owned(), self.1),
        }
    }
}

impl ToSocketAddrs for (String, u16) {}
impl ToSocketAddrsPriv for (String, u16) {
    fn to_addrs(&self) -> Resolve {
        (self.0.as_str(), self.1).to_addrs()
    }
}

impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {}
impl<T: ToSocketAddrsPriv + ?Sized> ToSocketAddrsPriv for &T {
    fn to_addrs(&self) -> Resolve {
        (**self).to_addrs()
    }
}

/// Resolves `addr` to its socket addresses (a host name may give several).
pub(crate) async fn resolve(addr: &(impl ToSocketAddrs + ?Sized)) -> io::Result<Vec<SocketAddr>> {
    match addr.to_addrs() {
        Resolve::Ready(result) => result,
        Resolve::Host(host) => off_thread(move || std::net::ToSocketAddrs::to_socket_addrs(host.as_str())).await,
        Resolve::HostPort(host, port) => {
            off_thread(move || std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), port))).await
        }
    }
}

/// Tries each address of `addr` in turn with `op`, returning the first
/// success, or the last error.
pub(crate) async fn each_addr<T, F, Fut>(addr: &(impl ToSocketAddrs + ?Sized), mut op: F) -> io::Result<T>
where
    F: FnMut(SocketAddr) -> Fut,
    Fut: Future<Output = io::Result<T>>,
{
    let mut last_err = None;
    for addr in resolve(addr).await? {
        match op(addr).await {
            Ok(value) => return Ok(value),
            Err(e) => last_err = Some(e),
        }
    }
    Err(last_err.unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "could not resolve to any address")))
}

/// Resolves `host` to socket addresses, like [`std::net::ToSocketAddrs`]
/// but without blocking the runtime: host names are looked up on a helper
/// thread.
///
/// ```
/// # heddle::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let addrs: Vec<_> = heddle::net::lookup_host("127.0.0.1:80").await.unwrap().collect();
/// assert_eq!(addrs, vec!["127.0.0.1:80".parse().unwrap()]);
/// # });
/// ```
pub async fn lookup_host(host: impl ToSocketAddrs) -> io::Result<std::vec::IntoIter<SocketAddr>> {
    resolve(&host).await.map(Vec::into_iter)
}

/// Runs a blocking resolver call on a helper thread and awaits its result.
async fn off_thread<I>(lookup: impl FnOnce() -> io::Result<I> + Send + 'static) -> io::Result<Vec<SocketAddr>>
where
    I: Iterator<Item = SocketAddr>,
{
    let slot = Arc::new(Mutex::new(Slot { result: None, waker: None }));
    let sender = slot.clone();
    std::thread::Builder::new().name("heddle-resolver".into()).spawn(move || {
        let result = lookup().map(Iterator::collect);
        let waker = {
            let mut slot = sender.lock().unwrap();
            slot.result = Some(result);
            slot.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    })?;
    Resolved(slot).await
}

struct Slot {
    result: Option<io::Result<Vec<SocketAddr>>>,
    waker: Option<Waker>,
}

struct Resolved(Arc<Mutex<Slot>>);

impl Future for Resolved {
    type Output = io::Result<Vec<SocketAddr>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut slot = self.0.lock().unwrap();
        match slot.result.take() {
            Some(result) => Poll::Ready(result),
            None => {
                slot.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}
