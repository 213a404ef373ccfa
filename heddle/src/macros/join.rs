/// Waits on several futures at once, in the current task, and returns all
/// their outputs as a tuple.
///
/// The futures run concurrently (each is polled when woken) but not in
/// parallel: to use several threads, [`spawn`](crate::spawn) them instead.
///
/// Fairness: each time the `join!` is polled it starts with the next
/// future in turn, so one that spends the task's whole cooperative budget
/// cannot keep the others from running. With `biased;` first, the futures
/// are always polled in the order written instead; keeping that fair is
/// then up to the caller. `join!()` is `()`.
///
/// ```
/// # heddle::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let (a, b, c) = heddle::join!(async { 1 }, async { "two" }, async { 3.0 });
/// assert_eq!((a, b, c), (1, "two", 3.0));
///
/// let in_order = heddle::join!(biased; async { 'x' }, async { 'y' });
/// assert_eq!(in_order, ('x', 'y'));
/// # });
/// ```
#[macro_export]
macro_rules! join {
    (biased; $($f:expr),+ $(,)?) => {
        $crate::__join_impl!(@count join [$crate::macros::support::InOrder] [] [] [0] [$($f,)+])
    };
    ($($f:expr),+ $(,)?) => {
        $crate::__join_impl!(@count join [$crate::macros::support::Rotating] [] [] [0] [$($f,)+])
    };
    (biased;) => {
        async {}.await
    };
    () => {
        async {}.await
    };
}

/// Like [`join!`](crate::join) for futures returning `Result<_, E>` (the
/// same `E` for all): `Ok` with every value, or the first `Err` as soon as
/// one fails, dropping the others. Takes `biased;` like `join!`;
/// `try_join!()` is `Ok(())`.
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
    (biased; $($f:expr),+ $(,)?) => {
        $crate::__join_impl!(@count try_join [$crate::macros::support::InOrder] [] [] [0] [$($f,)+])
    };
    ($($f:expr),+ $(,)?) => {
        $crate::__join_impl!(@count try_join [$crate::macros::support::Rotating] [] [] [0] [$($f,)+])
    };
    (biased;) => {
        async { $crate::macros::support::Ok(()) }.await
    };
    () => {
        async { $crate::macros::support::Ok(()) }.await
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __join_impl {
    // ----- counting: each future gets the `_`s that skip the tuple
    // fields before its own; the count adds up as `0 + 1 + ...` -----
    (@count $kind:ident $order:tt [$($done:tt)*] [$($skip:tt)*] [$($n:tt)*] [$f:expr, $($rest:expr,)*]) => {
        $crate::__join_impl!(@count $kind $order [$($done)* ([$($skip)*] $f)] [$($skip)* _] [$($n)* + 1] [$($rest,)*])
    };
    (@count $kind:ident $order:tt $done:tt $skip:tt $n:tt []) => {
        $crate::__join_impl!(@gen $kind $order $n $done)
    };

    // ----- code generation -----
    (@gen $kind:ident [$order:path] [$($count:tt)*] [$(([$($skip:tt)*] $f:expr))*]) => {{
        // One tuple, reached through one reference: the `poll_fn` closure
        // holds the reference rather than the futures, which stay put.
        let mut futures = ( $( $crate::macros::support::MaybeDone::new($crate::macros::support::into_future($f)), )* );
        let futures = &mut futures;
        let mut order = <$order as ::core::default::Default>::default();
        $crate::macros::support::poll_fn(move |cx| {
            let count: u32 = $($count)*;
            let start = order.next_start(count);
            let mut pending = false;
            // Two passes over the futures: those from `start` on, then the
            // ones before it.
            for pass in 0..2u32 {
                let mut index = 0u32;
                $(
                    if (index >= start) == (pass == 0) {
                        let ( $($skip,)* fut, .. ) = &mut *futures;
                        // SAFETY: the tuple is never moved: the only name
                        // for it is the `&mut` the closure holds, and the
                        // closure lives inside the awaiting (pinned) future.
                        let fut = unsafe { $crate::macros::support::Pin::new_unchecked(fut) };
                        $crate::__join_impl!(@poll $kind fut cx pending);
                    }
                    index += 1;
                )*
                let _ = index;
            }
            if pending {
                return $crate::macros::support::Pending;
            }
            // Unreachable when an output type is uninhabited.
            #[allow(unreachable_code)]
            {
                $crate::__join_impl!(@finish $kind futures [$(([$($skip)*]))*])
            }
        })
        .await
    }};

    (@poll join $fut:ident $cx:ident $pending:ident) => {
        if $fut.poll_done($cx).is_pending() {
            $pending = true;
        }
    };
    (@poll try_join $fut:ident $cx:ident $pending:ident) => {
        let mut pinned = $fut;
        if pinned.as_mut().poll_done($cx).is_pending() {
            $pending = true;
        } else if let $crate::macros::support::Some(e) = pinned.take_err() {
            return $crate::macros::support::Ready($crate::macros::support::Err(e));
        }
    };

    (@finish join $futures:ident [$(([$($skip:tt)*]))*]) => {
        $crate::macros::support::Ready(($({
            let ( $($skip,)* fut, .. ) = &mut *$futures;
            // SAFETY: as above; the tuple is not moved.
            unsafe { $crate::macros::support::Pin::new_unchecked(fut) }.take_output()
        },)*))
    };
    (@finish try_join $futures:ident [$(([$($skip:tt)*]))*]) => {
        $crate::macros::support::Ready($crate::macros::support::Ok(($({
            let ( $($skip,)* fut, .. ) = &mut *$futures;
            // SAFETY: as above; the tuple is not moved.
            unsafe { $crate::macros::support::Pin::new_unchecked(fut) }.take_ok()
        },)*)))
    };
}
