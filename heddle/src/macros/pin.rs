/// Pins values on the stack, tokio-style: `pin!(fut)` shadows the local
/// `fut` with a `Pin<&mut _>` to it.
///
/// Both forms of tokio's macro are accepted: a list of local variables, or
/// `let` declarations.
///
/// ```
/// # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let fut = async { 7 };
/// heddle::pin!(fut);
/// // `fut` is now `Pin<&mut impl Future>`: it can be polled by reference.
/// assert_eq!((&mut fut).await, 7);
///
/// heddle::pin! {
///     let a = async { 1 };
///     let b = async { 2 };
/// }
/// assert_eq!(a.await + b.await, 3);
/// # });
/// ```
#[macro_export]
macro_rules! pin {
    ($($x:ident),* $(,)?) => {
        $( let mut $x = $crate::macros::support::pin!($x); )*
    };
    ($(let $x:ident = $init:expr;)*) => {
        $( let $x = $init; $crate::pin!($x); )*
    };
}
