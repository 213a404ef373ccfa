//! A TCP echo server: one task per connection, idle clients dropped after
//! 30 s.
//!
//! ```sh
//! cargo run -p heddle --example echo -- 127.0.0.1:7000
//! # elsewhere: nc 127.0.0.1 7000
//! ```

use heddle::io::{AsyncReadExt, AsyncWriteExt};
use heddle::net::TcpListener;
use heddle::time::{timeout, Duration};

#[heddle::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:7000".into());
    let listener = TcpListener::bind(&addr).await?;
    println!("echo server on {}", listener.local_addr()?);
    loop {
        let (mut socket, peer) = listener.accept().await?;
        heddle::spawn(async move {
            let mut buf = vec![0; 16 * 1024];
            loop {
                match timeout(Duration::from_secs(30), socket.read(&mut buf)).await {
                    Ok(Ok(0)) => break,
                    Ok(Ok(n)) => {
                        if socket.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                    Ok(Err(e)) => {
                        eprintln!("{peer}: {e}");
                        break;
                    }
                    Err(_) => {
                        eprintln!("{peer}: idle for 30 s, closing");
                        break;
                    }
                }
            }
        });
    }
}
