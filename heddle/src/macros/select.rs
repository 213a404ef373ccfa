/// Waits on several futures and runs the handler of the first one to
/// finish, dropping (cancelling) the others.
///
/// ```text
/// heddle::select! {
///     [biased;]
///     <pattern> = <future> [, if <precondition>] => <handler>,
///     ...
///     [else => <handler>]
/// }
/// ```
///
/// 1. Every precondition is evaluated; a branch whose precondition is
///    false is disabled.
/// 2. Every `<future>` expression is evaluated, once (disabled ones too).
/// 3. The enabled futures are polled, starting from a random branch (or
///    from the first, with `biased;`). When one finishes, its output is
///    matched against its `<pattern>`: on a match, all futures are dropped
///    and the branch's handler runs with the pattern's bindings; otherwise
///    that branch is disabled and the others keep running.
/// 4. If every branch is disabled, the `else` handler runs; without an
///    `else`, `select!` panics.
///
/// Like any resource, a `select!` counts against the task's cooperative
/// budget: once the task has spent it, the `select!` yields before polling
/// its branches, even if one of them is ready.
///
/// Handlers run after the futures are dropped, so they may use whatever
/// the futures borrowed, and `break`, `continue`, `return` and `?` in a
/// handler apply to the surrounding code. Up to 64 branches; a `select!`
/// with only an `else` branch runs it.
///
/// Cancellation: a future dropped because another branch won is simply
/// dropped. Use futures that are cancel-safe (such as
/// [`mpsc::Receiver::recv`](crate::sync::mpsc::Receiver::recv)) in loops
/// so no message is lost.
///
/// ```
/// # heddle::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// use std::time::Duration;
/// use heddle::sync::mpsc;
///
/// let (tx, mut rx) = mpsc::channel::<u32>(8);
/// heddle::spawn(async move {
///     for i in 0..3 {
///         tx.send(i).await.unwrap();
///     }
/// });
/// let mut got = Vec::new();
/// let deadline = heddle::time::sleep(Duration::from_secs(5));
/// heddle::pin!(deadline);
/// let mut timed_out = false;
/// loop {
///     heddle::select! {
///         // `None` (channel closed) does not match: the branch is disabled.
///         Some(v) = rx.recv() => got.push(v),
///         // Disabled by its precondition once fired.
///         _ = &mut deadline, if !timed_out => timed_out = true,
///         // Runs when every branch is disabled.
///         else => break,
///     }
///     if got.len() == 3 {
///         break;
///     }
/// }
/// assert_eq!(got, [0, 1, 2]);
/// # });
/// ```
#[macro_export]
macro_rules! select {
    (biased; $($rest:tt)*) => {
        $crate::__select_impl!(@start [true] [$($rest)*])
    };
    ($($rest:tt)*) => {
        $crate::__select_impl!(@start [false] [$($rest)*])
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __select_impl {
    // ----- the branch slots: index, future and output names (64 at most,
    // one bit each in the `disabled` mask) -----
    (@start $b:tt $input:tt) => {
        $crate::__select_impl!(@parse $b [] [] $input
            [(0 __s0 __o0) (1 __s1 __o1) (2 __s2 __o2) (3 __s3 __o3) (4 __s4 __o4) (5 __s5 __o5)
             (6 __s6 __o6) (7 __s7 __o7) (8 __s8 __o8) (9 __s9 __o9) (10 __s10 __o10) (11 __s11 __o11)
             (12 __s12 __o12) (13 __s13 __o13) (14 __s14 __o14) (15 __s15 __o15) (16 __s16 __o16) (17 __s17 __o17)
             (18 __s18 __o18) (19 __s19 __o19) (20 __s20 __o20) (21 __s21 __o21) (22 __s22 __o22) (23 __s23 __o23)
             (24 __s24 __o24) (25 __s25 __o25) (26 __s26 __o26) (27 __s27 __o27) (28 __s28 __o28) (29 __s29 __o29)
             (30 __s30 __o30) (31 __s31 __o31) (32 __s32 __o32) (33 __s33 __o33) (34 __s34 __o34) (35 __s35 __o35)
             (36 __s36 __o36) (37 __s37 __o37) (38 __s38 __o38) (39 __s39 __o39) (40 __s40 __o40) (41 __s41 __o41)
             (42 __s42 __o42) (43 __s43 __o43) (44 __s44 __o44) (45 __s45 __o45) (46 __s46 __o46) (47 __s47 __o47)
             (48 __s48 __o48) (49 __s49 __o49) (50 __s50 __o50) (51 __s51 __o51) (52 __s52 __o52) (53 __s53 __o53)
             (54 __s54 __o54) (55 __s55 __o55) (56 __s56 __o56) (57 __s57 __o57) (58 __s58 __o58) (59 __s59 __o59)
             (60 __s60 __o60) (61 __s61 __o61) (62 __s62 __o62) (63 __s63 __o63)])
    };
    // ----- parsing: [biased] [branches] [else] [input] [free indices] -----
    (@parse $b:tt $d:tt [] [] $i:tt) => {
        $crate::__select_impl!(@gen $b $d [])
    };
    (@parse $b:tt $d:tt $e:tt [] $i:tt) => {
        $crate::__select_impl!(@gen $b $d $e)
    };
    (@parse $b:tt $d:tt [] [else => $h:block, $($r:tt)*] $i:tt) => {
        $crate::__select_impl!(@parse $b $d [$h] [$($r)*] $i)
    };
    (@parse $b:tt $d:tt [] [else => $h:block $($r:tt)*] $i:tt) => {
        $crate::__select_impl!(@parse $b $d [$h] [$($r)*] $i)
    };
    (@parse $b:tt $d:tt [] [else => $h:expr, $($r:tt)*] $i:tt) => {
        $crate::__select_impl!(@parse $b $d [{ $h }] [$($r)*] $i)
    };
    (@parse $b:tt $d:tt [] [else => $h:expr] $i:tt) => {
        $crate::__select_impl!(@parse $b $d [{ $h }] [] $i)
    };
    (@parse $b:tt [$($d:tt)*] $e:tt [$p:pat = $f:expr, if $c:expr => $h:block, $($r:tt)*] [$n:tt $($i:tt)*]) => {
        $crate::__select_impl!(@parse $b [$($d)* ($n [$p] [$f] [$c] [$h])] $e [$($r)*] [$($i)*])
    };
    (@parse $b:tt [$($d:tt)*] $e:tt [$p:pat = $f:expr, if $c:expr => $h:block $($r:tt)*] [$n:tt $($i:tt)*]) => {
        $crate::__select_impl!(@parse $b [$($d)* ($n [$p] [$f] [$c] [$h])] $e [$($r)*] [$($i)*])
    };
    (@parse $b:tt [$($d:tt)*] $e:tt [$p:pat = $f:expr, if $c:expr => $h:expr, $($r:tt)*] [$n:tt $($i:tt)*]) => {
        $crate::__select_impl!(@parse $b [$($d)* ($n [$p] [$f] [$c] [{ $h }])] $e [$($r)*] [$($i)*])
    };
    (@parse $b:tt [$($d:tt)*] $e:tt [$p:pat = $f:expr, if $c:expr => $h:expr] [$n:tt $($i:tt)*]) => {
        $crate::__select_impl!(@parse $b [$($d)* ($n [$p] [$f] [$c] [{ $h }])] $e [] [$($i)*])
    };
    (@parse $b:tt [$($d:tt)*] $e:tt [$p:pat = $f:expr => $h:block, $($r:tt)*] [$n:tt $($i:tt)*]) => {
        $crate::__select_impl!(@parse $b [$($d)* ($n [$p] [$f] [true] [$h])] $e [$($r)*] [$($i)*])
    };
    (@parse $b:tt [$($d:tt)*] $e:tt [$p:pat = $f:expr => $h:block $($r:tt)*] [$n:tt $($i:tt)*]) => {
        $crate::__select_impl!(@parse $b [$($d)* ($n [$p] [$f] [true] [$h])] $e [$($r)*] [$($i)*])
    };
    (@parse $b:tt [$($d:tt)*] $e:tt [$p:pat = $f:expr => $h:expr, $($r:tt)*] [$n:tt $($i:tt)*]) => {
        $crate::__select_impl!(@parse $b [$($d)* ($n [$p] [$f] [true] [{ $h }])] $e [$($r)*] [$($i)*])
    };
    (@parse $b:tt [$($d:tt)*] $e:tt [$p:pat = $f:expr => $h:expr] [$n:tt $($i:tt)*]) => {
        $crate::__select_impl!(@parse $b [$($d)* ($n [$p] [$f] [true] [{ $h }])] $e [] [$($i)*])
    };
    (@parse $b:tt $d:tt $e:tt [$($r:tt)+] []) => {
        ::core::compile_error!("select! supports at most 64 branches")
    };
    (@parse $b:tt $d:tt $e:tt [$($r:tt)+] $i:tt) => {
        ::core::compile_error!("select!: expected `<pattern> = <future> [, if <condition>] => <handler>,` or `else => <handler>`")
    };

    // ----- code generation -----
    (@gen [$biased:tt] [] []) => {
        ::core::compile_error!("select! needs at least one branch or an `else`")
    };
    (@gen [$biased:tt] [] [$else:tt]) => {
        $else
    };
    (@gen [$biased:tt] [$( (($n:tt $fut:ident $out:ident) [$p:pat] [$f:expr] [$c:expr] [$h:tt]) )+] [$($else:tt)*]) => {{
        // The winning branch and its output, or `AllDisabled`: returned by
        // the poll rather than kept in a slot per branch.
        #[allow(non_camel_case_types, dead_code)]
        enum __SelectOut<$($out,)+> {
            $( $out($out), )+
            AllDisabled,
        }
        let mut disabled: u64 = 0;
        $( if !$c { disabled |= 1u64 << $n; } )+
        // Mutable, for patterns that bind `ref mut`.
        #[allow(unused_mut)]
        let mut output = {
            // Evaluated inside a tuple expression, so that temporaries in
            // a branch's operand (`&mut make_future()`) live as long as
            // the `select!`.
            let ( $( $fut, )+ ) = ( $( $f, )+ );
            // One tuple reached through one reference: the `poll_fn`
            // closure holds the reference, and the futures stay put.
            let mut futures = ( $( $crate::macros::support::into_future($fut), )+ );
            let futures = &mut futures;
            $crate::macros::support::poll_fn(move |cx| {
                // Like any resource, `select!` yields once the task has
                // spent its budget, even if a branch is ready.
                if $crate::macros::support::poll_budget_available(cx).is_pending() {
                    return $crate::macros::support::Pending;
                }
                let count: u32 = 0 $( + $crate::macros::support::one($n) )+;
                let start = if $biased { 0 } else { $crate::macros::support::thread_rng_n(count) };
                for k in 0..count {
                    match $crate::macros::support::rotate(start, k, count) {
                        $(
                            // A branch whose output type is `!` makes the rest
                            // of its arm unreachable; that is fine.
                            #[allow(unreachable_code)]
                            $n => {
                                if disabled & (1u64 << $n) != 0 {
                                    continue;
                                }
                                // SAFETY: the tuple is never moved: the only
                                // name for it is the `&mut` the closure holds,
                                // and the closure lives inside the awaiting
                                // (pinned) future.
                                let fut = unsafe { $crate::macros::support::Pin::new_unchecked(&mut (*futures).$n) };
                                // A `match` with a diverging arm (not `if let`): then an
                                // output type nothing else constrains, such as that of
                                // `poll_fn(|_| panic!())`, falls back to `()` as in tokio.
                                let value = match $crate::macros::support::poll(fut, cx) {
                                    $crate::macros::support::Ready(value) => value,
                                    $crate::macros::support::Pending => continue,
                                };
                                disabled |= 1u64 << $n;
                                // Mutable, for patterns that bind `ref mut`.
                                #[allow(unused_mut)]
                                let mut value = value;
                                // Does the output match the pattern? The guard
                                // only borrows `value`, so it is not moved.
                                let mut matched = false;
                                #[allow(unused_variables, unused_mut, unreachable_patterns, unreachable_code)]
                                match value {
                                    $p if {
                                        matched = true;
                                        false
                                    } => ::core::unreachable!(),
                                    _ => {}
                                }
                                if matched {
                                    return $crate::macros::support::Ready(__SelectOut::$out(value));
                                }
                            }
                        )+
                        _ => ::core::unreachable!(),
                    }
                }
                if disabled == 0 $( | (1u64 << $n) )+ {
                    $crate::macros::support::Ready(__SelectOut::AllDisabled)
                } else {
                    $crate::macros::support::Pending
                }
            })
            .await
        };
        #[allow(unreachable_patterns)]
        match output {
            $( __SelectOut::$out($p) => $h, )+
            __SelectOut::AllDisabled => $crate::__select_impl!(@else $($else)*),
            _ => ::core::unreachable!(),
        }
    }};
    (@else) => {
        ::core::panic!("all branches are disabled and there is no else branch")
    };
    (@else $h:tt) => {
        $h
    };
}
