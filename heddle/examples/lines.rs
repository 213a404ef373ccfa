//! A line protocol with tokio-util's `Framed` + `LinesCodec` on heddle
//! sockets, unchanged: the server answers each line with the line in upper
//! case, and says goodbye when the client sends `quit`.
//!
//! ```sh
//! cargo run -p heddle --example lines -- 127.0.0.1:7001
//! # elsewhere: nc 127.0.0.1 7001   (type lines; "quit" ends the session)
//! cargo run -p heddle --example lines -- --demo   # server and client in one process
//! ```

use futures::{SinkExt, StreamExt};
use heddle::net::{TcpListener, TcpStream};
use tokio_util::codec::{Framed, LinesCodec, LinesCodecError};

/// Longest line accepted; a longer one ends the connection with an error
/// instead of growing the buffer without bound.
const MAX_LINE: usize = 8 * 1024;

/// Serves one connection until the client quits or disconnects.
async fn serve(socket: TcpStream) -> Result<(), LinesCodecError> {
    let mut lines = Framed::new(socket, LinesCodec::new_with_max_length(MAX_LINE));
    while let Some(line) = lines.next().await {
        let line = line?;
        if line.trim() == "quit" {
            lines.send("bye").await?;
            break;
        }
        lines.send(line.to_uppercase()).await?;
    }
    Ok(())
}

/// A client that sends a few lines and prints the answers.
async fn demo_client(addr: std::net::SocketAddr) -> Result<(), LinesCodecError> {
    let mut lines = Framed::new(TcpStream::connect(addr).await?, LinesCodec::new());
    for line in ["hello heddle", "framed codecs work unchanged", "quit"] {
        lines.send(line).await?;
        let answer = lines.next().await.transpose()?.unwrap_or_default();
        println!("> {line}\n< {answer}");
    }
    Ok(())
}

#[heddle::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let arg = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:7001".into());
    let demo = arg == "--demo";
    let listener = TcpListener::bind(if demo { "127.0.0.1:0" } else { arg.as_str() }).await?;
    let addr = listener.local_addr()?;
    if demo {
        let server = heddle::spawn(async move {
            let (socket, _) = listener.accept().await?;
            serve(socket).await
        });
        demo_client(addr).await?;
        server.await??;
        return Ok(());
    }
    println!("lines server on {addr}");
    loop {
        let (socket, peer) = listener.accept().await?;
        heddle::spawn(async move {
            if let Err(e) = serve(socket).await {
                eprintln!("{peer}: {e}");
            }
        });
    }
}
