//! `serve_framed`: the connection handler of tokio's tinyhttp example,
//! reproduced for any runtime's socket.
//!
//! The connection is a `tokio_util::codec::Framed` over an [`Http`] codec.
//! The decoder parses one request head with httparse into an
//! `http::Request<()>`; [`respond`] builds an `http::Response<String>` (the
//! JSON body through serde_json, as the example does); and each response is
//! sent with `SinkExt::send`, which encodes it and flushes it on its own.
//! That per-response flush is the behaviour under test: with pipelined
//! requests every response is a separate small write, and with Nagle's
//! algorithm on (the example never sets `TCP_NODELAY`) the second write waits
//! for the client's ACK of the first. Don't "fix" it here; that is what
//! [`super::serve_batched`] is for.
//!
//! Like the example: no request bodies, only HTTP/1.1, at most 16 header
//! fields, no limit on the size of a head, and the connection ends on the
//! first malformed request without a response.

use std::io;

use bytes::{Buf, BytesMut};
use futures::{SinkExt, StreamExt};
use http::header::{HeaderValue, CONTENT_TYPE};
use http::{Method, Request, Response, StatusCode, Version};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_util::codec::{Decoder, Encoder, Framed};

use super::{date, routes};

/// Serves one connection the way tokio's tinyhttp example does.
pub async fn serve_framed<S>(stream: S) -> io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut transport = Framed::new(stream, Http);
    while let Some(request) = transport.next().await {
        let response = respond(request?)?;
        transport.send(response).await?;
    }
    Ok(())
}

/// Routes a request: `/plaintext`, `/json`, or an empty `404`.
pub fn respond(request: Request<()>) -> io::Result<Response<String>> {
    #[derive(serde::Serialize)]
    struct Message {
        message: &'static str,
    }

    let mut response = Response::builder();
    let body = match request.uri().path() {
        "/plaintext" => {
            response = response.header(CONTENT_TYPE, "text/plain");
            routes::PLAINTEXT.to_string()
        }
        "/json" => {
            response = response.header(CONTENT_TYPE, "application/json");
            serde_json::to_string(&Message { message: "Hello, World!" })?
        }
        _ => {
            response = response.status(StatusCode::NOT_FOUND);
            String::new()
        }
    };
    response.body(body).map_err(io::Error::other)
}

/// The request decoder and response encoder of tinyhttp.
#[derive(Debug, Default, Clone, Copy)]
pub struct Http;

impl Decoder for Http {
    type Item = Request<()>;
    type Error = io::Error;

    fn decode(&mut self, src: &mut BytesMut) -> io::Result<Option<Request<()>>> {
        let mut fields = [httparse::EMPTY_HEADER; 16];
        let mut parsed = httparse::Request::new(&mut fields);
        let len = match parsed.parse(src).map_err(invalid)? {
            httparse::Status::Complete(len) => len,
            httparse::Status::Partial => return Ok(None),
        };
        if parsed.version != Some(1) {
            return Err(invalid("only HTTP/1.1 accepted"));
        }
        let method = parsed.method.ok_or_else(|| invalid("no method"))?;
        let target = parsed.path.ok_or_else(|| invalid("no target"))?;
        let mut request = Request::builder()
            .method(Method::from_bytes(method.as_bytes()).map_err(invalid)?)
            .uri(target)
            .version(Version::HTTP_11);
        for field in parsed.headers.iter() {
            let value = HeaderValue::from_bytes(field.value).map_err(invalid)?;
            request = request.header(field.name, value);
        }
        let request = request.body(()).map_err(invalid)?;
        src.advance(len);
        Ok(Some(request))
    }
}

impl Encoder<Response<String>> for Http {
    type Error = io::Error;

    fn encode(&mut self, item: Response<String>, dst: &mut BytesMut) -> io::Result<()> {
        use std::fmt::Write;

        write!(
            dst,
            "HTTP/1.1 {}\r\nServer: Example\r\nContent-Length: {}\r\nDate: {}\r\n",
            item.status(),
            item.body().len(),
            date::now(),
        )
        .map_err(io::Error::other)?;
        for (name, value) in item.headers() {
            dst.extend_from_slice(name.as_str().as_bytes());
            dst.extend_from_slice(b": ");
            dst.extend_from_slice(value.as_bytes());
            dst.extend_from_slice(b"\r\n");
        }
        dst.extend_from_slice(b"\r\n");
        dst.extend_from_slice(item.body().as_bytes());
        Ok(())
    }
}

fn invalid(e: impl ToString) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("failed to parse http request: {}", e.to_string()))
}

#[cfg(test)]
mod tests {
    use tokio::io::{duplex, AsyncReadExt, AsyncWriteExt};

    use super::super::serve_batched;
    use super::*;

    /// Sends `input` (then EOF) to a handler over an in-memory pipe and
    /// returns everything it wrote, with each date replaced by `<date>`.
    async fn exchange<F, Fut>(serve: F, input: &[u8]) -> String
    where
        F: FnOnce(tokio::io::DuplexStream) -> Fut,
        Fut: std::future::Future<Output = io::Result<()>> + Send + 'static,
    {
        let (mut client, server) = duplex(64 * 1024);
        let task = tokio::spawn(serve(server));
        client.write_all(input).await.unwrap();
        client.shutdown().await.unwrap();
        let mut out = String::new();
        client.read_to_string(&mut out).await.unwrap();
        let _ = task.await.unwrap();
        let mut masked = String::new();
        for (i, part) in out.split("Date: ").enumerate() {
            if i > 0 {
                masked.push_str("Date: <date>");
                masked.push_str(&part[date::LEN..]);
            } else {
                masked.push_str(part);
            }
        }
        masked
    }

    const PIPELINE: &[u8] = b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n\
        GET /json HTTP/1.1\r\nHost: a\r\n\r\n\
        GET /missing HTTP/1.1\r\n\r\n\
        GET /json?q=1 HTTP/1.1\r\nUser-Agent: t\r\n\r\n";

    #[tokio::test]
    async fn framed_answers_pipelined_requests() {
        let out = exchange(serve_framed, PIPELINE).await;
        let expected = "HTTP/1.1 200 OK\r\nServer: Example\r\nContent-Length: 13\r\nDate: <date>\r\n\
            content-type: text/plain\r\n\r\nHello, World!\
            HTTP/1.1 200 OK\r\nServer: Example\r\nContent-Length: 27\r\nDate: <date>\r\n\
            content-type: application/json\r\n\r\n{\"message\":\"Hello, World!\"}\
            HTTP/1.1 404 Not Found\r\nServer: Example\r\nContent-Length: 0\r\nDate: <date>\r\n\r\n\
            HTTP/1.1 200 OK\r\nServer: Example\r\nContent-Length: 27\r\nDate: <date>\r\n\
            content-type: application/json\r\n\r\n{\"message\":\"Hello, World!\"}";
        assert_eq!(out, expected);
    }

    #[tokio::test]
    async fn both_handlers_send_the_same_bytes() {
        let framed = exchange(serve_framed, PIPELINE).await;
        let batched = exchange(serve_batched, PIPELINE).await;
        assert_eq!(framed, batched);
    }

    #[tokio::test]
    async fn framed_drops_connection_on_garbage() {
        let out = exchange(serve_framed, b"GET /json HTTP/1.1\r\n\r\nNOT HTTP\r\n\r\n").await;
        assert_eq!(out.matches("HTTP/1.1 200 OK").count(), 1);
        assert!(!out.contains("400"));
    }

    #[tokio::test]
    async fn batched_answers_garbage_with_400() {
        let out = exchange(serve_batched, b"GET /json HTTP/1.1\r\n\r\nNOT HTTP\r\n\r\n").await;
        assert_eq!(out.matches("HTTP/1.1 200 OK").count(), 1);
        assert!(out.ends_with("HTTP/1.1 400 Bad Request\r\nServer: Example\r\nContent-Length: 0\r\nDate: <date>\r\nconnection: close\r\n\r\n"));
    }
}
