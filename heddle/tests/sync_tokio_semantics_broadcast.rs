//! `broadcast::Receiver::len` as in tokio: it counts every value sent
//! since the receiver's position, including ones already overwritten, so a
//! value above the ring size says the next receive will report `Lagged`.

use heddle::sync::broadcast::{self, error::TryRecvError};

#[test]
fn len_counts_overwritten_values() {
    // Capacity 3: a ring of 4.
    let (tx, mut rx) = broadcast::channel(3);
    for i in 1..=4 {
        tx.send(i).unwrap();
    }
    assert_eq!(rx.len(), 4);
    assert_eq!(rx.try_recv(), Ok(1));
    tx.send(5).unwrap();
    tx.send(6).unwrap();
    assert_eq!(rx.len(), 5, "one more than the ring holds");
    assert_eq!(rx.try_recv(), Err(TryRecvError::Lagged(1)));
    assert_eq!(rx.len(), 4);
    for i in 3..=6 {
        assert_eq!(rx.try_recv(), Ok(i));
    }
    assert_eq!(rx.len(), 0);
    assert!(rx.is_empty());
}

/// A `Clone` that panics while a receiver copies a value out does not
/// break the channel: the receiver has moved past that value, and other
/// receivers still get it.
#[test]
fn panic_in_clone_skips_the_value() {
    #[derive(Debug, PartialEq)]
    struct Touchy(u32);
    impl Clone for Touchy {
        fn clone(&self) -> Self {
            assert_ne!(self.0, 0, "clone of 0 panics (expected by the test)");
            Touchy(self.0)
        }
    }

    let (tx, mut rx1) = broadcast::channel(4);
    let mut rx2 = tx.subscribe();
    tx.send(Touchy(0)).unwrap();
    tx.send(Touchy(1)).unwrap();
    let res = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rx1.try_recv()));
    assert!(res.is_err(), "two receivers: the first one clones");
    assert_eq!(rx1.try_recv(), Ok(Touchy(1)));
    // The last reader takes the value itself, without cloning.
    assert_eq!(rx2.try_recv(), Ok(Touchy(0)));
    assert_eq!(rx2.try_recv(), Ok(Touchy(1)));
    assert_eq!(tx.len(), 0);
}
