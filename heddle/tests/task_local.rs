//! `task_local!` scopes across polls and tasks.

use std::time::Duration;

heddle::task_local! {
    static ID: u32;
    static NAME: String;
}

#[heddle::test(flavor = "multi_thread", worker_threads = 2)]
async fn value_follows_the_future_across_polls() {
    let tasks: Vec<_> = (0..8u32)
        .map(|i| {
            heddle::spawn(ID.scope(i, async move {
                for _ in 0..10 {
                    heddle::time::sleep(Duration::from_millis(1)).await;
                    assert_eq!(ID.get(), i);
                }
                ID.with(|v| *v)
            }))
        })
        .collect();
    for (i, t) in tasks.into_iter().enumerate() {
        assert_eq!(t.await.unwrap(), i as u32);
    }
    assert!(ID.try_with(|_| ()).is_err());
}

#[heddle::test]
async fn nested_scopes_and_sync_scope() {
    NAME.scope("outer".to_string(), async {
        assert_eq!(NAME.get(), "outer");
        NAME.scope("inner".to_string(), async {
            heddle::task::yield_now().await;
            assert_eq!(NAME.get(), "inner");
        })
        .await;
        assert_eq!(NAME.get(), "outer");
        let len = NAME.sync_scope("x".into(), || NAME.with(|s| s.len()));
        assert_eq!(len, 1);
        assert_eq!(NAME.get(), "outer");
    })
    .await;
}

#[test]
#[should_panic(expected = "task-local")]
fn with_outside_scope_panics() {
    ID.with(|_| ());
}
