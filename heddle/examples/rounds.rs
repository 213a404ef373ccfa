//! Synchronous code driving async rounds on one runtime (seed 002's shape):
//! each round opens connections to a local echo server at a fixed rate
//! with microsecond-accurate pacing, and reports the exchange latencies.
//!
//! ```sh
//! cargo run --release -p heddle --example rounds
//! ```

use heddle::io::{AsyncReadExt, AsyncWriteExt};
use heddle::net::{TcpListener, TcpStream};
use heddle::runtime::Builder;
use heddle::time::{sleep_until, timeout, Duration, Instant};

fn main() -> std::io::Result<()> {
    let rt = Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    // Start an echo server on the runtime, from synchronous code.
    let listener = rt.block_on(TcpListener::bind("127.0.0.1:0"))?;
    let addr = listener.local_addr()?;
    rt.spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            heddle::spawn(async move {
                let mut buf = [0u8; 300];
                if s.read_exact(&mut buf).await.is_ok() {
                    let _ = s.write_all(&buf).await;
                }
            });
        }
    });
    for rate in [500u32, 1000, 2000] {
        let mut latencies = rt.block_on(async move {
            let start = Instant::now();
            let count = rate / 2; // half a second per round
            let mut tasks = Vec::with_capacity(count as usize);
            for i in 0..count {
                // Connection i starts at start + i/rate exactly, not "1 ms
                // after the previous one".
                sleep_until(start + Duration::from_secs(1) * i / rate).await;
                tasks.push(heddle::spawn(async move {
                    let begin = Instant::now();
                    let exchange = async {
                        let mut s = TcpStream::connect(addr).await?;
                        s.write_all(&[7u8; 300]).await?;
                        let mut back = [0u8; 300];
                        s.read_exact(&mut back).await?;
                        std::io::Result::Ok(())
                    };
                    timeout(Duration::from_secs(5), exchange).await.ok()?.ok()?;
                    Some(begin.elapsed())
                }));
            }
            let mut latencies = Vec::new();
            for t in tasks {
                latencies.extend(t.await.ok().flatten());
            }
            latencies
        });
        latencies.sort();
        let p = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize];
        println!(
            "rate {rate}/s: {} ok, p50 {:?}, p99 {:?}, max {:?}",
            latencies.len(),
            p(0.5),
            p(0.99),
            latencies.last().unwrap()
        );
    }
    Ok(())
}
