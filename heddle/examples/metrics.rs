//! Prints the runtime's metrics every 200 ms while a load of echo
//! connections and timers runs on loopback for two seconds.
//!
//! ```sh
//! cargo run --release -p heddle --example metrics
//! ```

use heddle::io::{AsyncReadExt, AsyncWriteExt};
use heddle::net::{TcpListener, TcpStream};
use heddle::time::{interval, sleep, Duration, Instant};

#[heddle::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> std::io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    heddle::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            heddle::spawn(async move {
                let mut buf = [0u8; 64];
                while let Ok(n) = s.read(&mut buf).await {
                    if n == 0 || s.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    let end = Instant::now() + Duration::from_secs(2);
    for _ in 0..50 {
        heddle::spawn(async move {
            let mut s = TcpStream::connect(addr).await?;
            let mut buf = [0u8; 5];
            while Instant::now() < end {
                s.write_all(b"hello").await?;
                s.read_exact(&mut buf).await?;
                sleep(Duration::from_micros(500)).await;
            }
            std::io::Result::Ok(())
        });
    }
    let metrics = heddle::runtime::Handle::current().metrics();
    let mut ticks = interval(Duration::from_millis(200));
    while Instant::now() < end {
        ticks.tick().await;
        let polls: Vec<u64> = (0..metrics.num_workers()).map(|w| metrics.worker_poll_count(w)).collect();
        let steals: Vec<u64> = (0..metrics.num_workers()).map(|w| metrics.worker_steal_count(w)).collect();
        println!(
            "tasks {:>3} | polls {:?} | steals {:?} | io events {:>7} | timers fired {:>6} pending {:>3} | forced yields {}",
            metrics.num_alive_tasks(),
            polls,
            steals,
            metrics.io_driver_ready_count(),
            metrics.timers_fired_count(),
            metrics.num_pending_timers(),
            metrics.budget_forced_yield_count(),
        );
    }
    Ok(())
}
