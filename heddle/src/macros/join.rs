/// Waits on several futures at once, in the current task, and returns all
/// their outputs as a tuple.
///
/// The futures run concurrently (each is polled when woken) but not in
/// parallel: to use several threads, [`spawn`](crate::spawn) them instead.
/// Up to 12 futures.
///
/// ```
/// # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let (a, b, c) = heddle::join!(async { 1 }, async { "two" }, async { 3.0 });
/// assert_eq!((a, b, c), (1, "two", 3.0));
/// # });
/// ```
#[macro_export]
macro_rules! join {
    ($($f:expr),+ $(,)?) => {
        $crate::__join_impl!(@munch join [] [$($f,)+]
            [__j0 __j1 __j2 __j3 __j4 __j5 __j6 __j7 __j8 __j9 __j10 __j11])
    };
}

/// Like [`join!`](crate::join) for futures returning `Result<_, E>` (the
/// same `E` for all): `Ok` with every value, or the first `Err` as soon as
/// one fails, dropping the others.
///
/// ```
/// # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let ok: Result<(i32, i32), &str> = heddle::try_join!(async { Ok(1) }, async { Ok(2) });
/// assert_eq!(ok, Ok((1, 2)));
/// let err: Result<(i32, i32), &str> = heddle::try_join!(async { Ok(1) }, async { Err("no") });
/// assert_eq!(err, Err("no"));
/// # });
/// ```
#[macro_export]
macro_rules! try_join {
    ($($f:expr),+ $(,)?) => {
        $crate::__join_impl!(@munch try_join [] [$($f,)+]
            [__j0 __j1 __j2 __j3 __j4 __j5 __j6 __j7 __j8 __j9 __j10 __j11])
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __join_impl {
    (@munch $kind:ident [$($done:tt)*] [$f:expr, $($rest:expr,)*] [$id:ident $($ids:ident)*]) => {
        $crate::__join_impl!(@munch $kind [$($done)* ($id $f)] [$($rest,)*] [$($ids)*])
    };
    (@munch $kind:ident [$($done:tt)*] [$f:expr, $($rest:expr,)*] []) => {
        ::core::compile_error!("join!/try_join! support at most 12 futures")
    };
    (@munch join [$(($id:ident $f:expr))*] [] [$($ids:ident)*]) => {{
        $(
            let mut $id = $crate::macros::support::pin!(
                $crate::macros::support::MaybeDone::new($crate::macros::support::into_future($f))
            );
        )*
        $crate::macros::support::poll_fn(|cx| {
            let mut all_done = true;
            $( all_done &= $id.as_mut().poll_done(cx).is_ready(); )*
            if all_done {
                $crate::macros::support::Ready(($( $id.as_mut().take_output(), )*))
            } else {
                $crate::macros::support::Pending
            }
        })
        .await
    }};
    (@munch try_join [$(($id:ident $f:expr))*] [] [$($ids:ident)*]) => {{
        $(
            let mut $id = $crate::macros::support::pin!(
                $crate::macros::support::MaybeDone::new($crate::macros::support::into_future($f))
            );
        )*
        $crate::macros::support::poll_fn(|cx| {
            let mut all_done = true;
            $(
                if $id.as_mut().poll_done(cx).is_ready() {
                    if let $crate::macros::support::Some(e) = $id.as_mut().take_err() {
                        return $crate::macros::support::Ready($crate::macros::support::Err(e));
                    }
                } else {
                    all_done = false;
                }
            )*
            if all_done {
                $crate::macros::support::Ready($crate::macros::support::Ok(($( $id.as_mut().take_ok(), )*)))
            } else {
                $crate::macros::support::Pending
            }
        })
        .await
    }};
}
