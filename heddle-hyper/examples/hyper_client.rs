//! A hyper HTTP/1 client on heddle: GETs a URL and prints the response.
//!
//! ```text
//! cargo run -p heddle-hyper --example hyper_server &
//! cargo run -p heddle-hyper --example hyper_client -- http://127.0.0.1:3000/
//! ```
//!
//! Plain `http://` only (no TLS).

use bytes::Bytes;
use heddle_hyper::HeddleIo;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1;
use hyper::{Request, Uri};

type Error = Box<dyn std::error::Error + Send + Sync>;

#[heddle::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let url: Uri = std::env::args().nth(1).unwrap_or_else(|| "http://127.0.0.1:3000/".into()).parse()?;
    if url.scheme_str() != Some("http") {
        return Err("only http:// URLs are supported".into());
    }
    let host = url.host().ok_or("URL has no host")?.to_string();
    let port = url.port_u16().unwrap_or(80);

    let stream = heddle::net::TcpStream::connect((host.as_str(), port)).await?;
    let (mut sender, conn) = http1::handshake(HeddleIo::new(stream)).await?;
    // The connection object does the I/O; it runs until the sender is dropped.
    heddle::spawn(async move {
        if let Err(e) = conn.await {
            eprintln!("connection error: {e}");
        }
    });

    let authority = url.authority().ok_or("URL has no authority")?.clone();
    let path = url.path_and_query().map_or("/", |p| p.as_str());
    let req = Request::get(path).header(hyper::header::HOST, authority.as_str()).body(Empty::<Bytes>::new())?;
    let res = sender.send_request(req).await?;

    println!("{:?} {}", res.version(), res.status());
    for (name, value) in res.headers() {
        println!("{name}: {}", value.to_str().unwrap_or("<binary>"));
    }
    println!();
    let body = res.into_body().collect().await?.to_bytes();
    println!("{}", String::from_utf8_lossy(&body));
    Ok(())
}
