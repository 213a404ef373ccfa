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
/// Handlers run after the futures are dropped, so they may use whatever
/// the futures borrowed, and `break`, `continue`, `return` and `?` in a
/// handler apply to the surrounding code. Up to 12 branches.
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
        $crate::__select_impl!(@parse [true] [] [] [$($rest)*]
            [(0 __s0 __o0) (1 __s1 __o1) (2 __s2 __o2) (3 __s3 __o3) (4 __s4 __o4) (5 __s5 __o5)
             (6 __s6 __o6) (7 __s7 __o7) (8 __s8 __o8) (9 __s9 __o9) (10 __s10 __o10) (11 __s11 __o11)])
    };
    ($($rest:tt)*) => {
        $crate::__select_impl!(@parse [false] [] [] [$($rest)*]
            [(0 __s0 __o0) (1 __s1 __o1) (2 __s2 __o2) (3 __s3 __o3) (4 __s4 __o4) (5 __s5 __o5)
             (6 __s6 __o6) (7 __s7 __o7) (8 __s8 __o8) (9 __s9 __o9) (10 __s10 __o10) (11 __s11 __o11)])
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __select_impl {
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
        ::core::compile_error!("select! supports at most 12 branches")
    };
    (@parse $b:tt $d:tt $e:tt [$($r:tt)+] $i:tt) => {
        ::core::compile_error!("select!: expected `<pattern> = <future> [, if <condition>] => <handler>,` or `else => <handler>`")
    };

    // ----- code generation -----
    (@gen [$biased:tt] [] $e:tt) => {
        ::core::compile_error!("select! needs at least one branch")
    };
    (@gen [$biased:tt] [$( (($n:tt $fut:ident $out:ident) [$p:pat] [$f:expr] [$c:expr] [$h:tt]) )+] [$($else:tt)*]) => {{
        let mut disabled: u64 = 0;
        $( if !$c { disabled |= 1u64 << $n; } )+
        $( let mut $out = $crate::macros::support::None; )+
        let winner: usize = {
            $(
                let mut $fut = $crate::macros::support::pin!($crate::macros::support::into_future($f));
            )+
            $crate::macros::support::poll_fn(|cx| {
                const COUNT: u32 = 0 $( + $crate::macros::support::one($n) )+;
                const ALL: u64 = 0 $( | (1u64 << $n) )+;
                let start = if $biased { 0 } else { $crate::macros::support::thread_rng_n(COUNT) };
                for k in 0..COUNT {
                    match $crate::macros::support::rotate(start, k, COUNT) {
                        $(
                            $n => {
                                if disabled & (1u64 << $n) != 0 {
                                    continue;
                                }
                                if let $crate::macros::support::Ready(value) =
                                    $crate::macros::support::poll($fut.as_mut(), cx)
                                {
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
                                        $out = $crate::macros::support::Some(value);
                                        return $crate::macros::support::Ready($n);
                                    }
                                    disabled |= 1u64 << $n;
                                }
                            }
                        )+
                        _ => ::core::unreachable!(),
                    }
                }
                if disabled == ALL {
                    $crate::macros::support::Ready(usize::MAX)
                } else {
                    $crate::macros::support::Pending
                }
            })
            .await
        };
        match winner {
            $(
                $n => {
                    #[allow(unreachable_patterns)]
                    match $out {
                        $crate::macros::support::Some($p) => $h,
                        _ => ::core::unreachable!(),
                    }
                }
            )+
            _ => $crate::__select_impl!(@else $($else)*),
        }
    }};
    (@else) => {
        ::core::panic!("all branches are disabled and there is no else branch")
    };
    (@else $h:tt) => {
        $h
    };
}
