//! HTTP handlers: routing, PUT/GET/HEAD/DELETE of objects, listing.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};

use crate::auth::{Auth, Denied};
use crate::body::{empty, full, FileBody, RespBody};
use crate::key::Key;
use crate::range::{self, RangeOutcome};
use crate::rt;
use crate::store::{Store, StoreError, Upload};

/// Shared state of the handlers.
#[derive(Debug)]
pub struct App {
    /// The objects on disk.
    pub store: Store,
    /// Largest PUT body (`--max-body`).
    pub max_body: u64,
    /// Who may do what (`--token`, `--token-read`).
    pub auth: Auth,
    /// Longest wait for the next bytes of an upload (`--body-read-timeout`).
    pub body_read_timeout: Duration,
    /// File operations run on the worker instead of the blocking pool
    /// (`--file-io`).
    pub inline_io: bool,
}

impl App {
    /// Runs a file operation: on this worker if `inline_io`, else on the
    /// blocking pool.
    async fn file_op<R: Send + 'static>(&self, f: impl FnOnce() -> R + Send + 'static) -> Result<R, Resp> {
        if self.inline_io {
            return Ok(f());
        }
        rt::task::spawn_blocking(f).await.map_err(join_failed)
    }
}

/// A blocking-pool task that panicked or was cancelled: a 500.
fn join_failed(e: impl std::fmt::Display) -> Resp {
    tracing::error!(error = %e, "blocking task failed");
    status(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
}

/// Upload bytes gathered before one blocking write.
const WRITE_CHUNK: usize = 256 * 1024;
/// Body frames gathered before one blocking write, whatever their size.
const WRITE_PIECES: usize = 256;
/// Default and largest page of `GET /`.
const LIST_DEFAULT: usize = 1000;
const LIST_MAX: usize = 10_000;

type Resp = Response<RespBody>;

fn status(code: StatusCode, msg: &str) -> Resp {
    let mut r = Response::new(full(format!("{msg}\n")));
    *r.status_mut() = code;
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    r
}

fn store_error(e: StoreError) -> Resp {
    match e {
        StoreError::NotFound => status(StatusCode::NOT_FOUND, "not found"),
        StoreError::Symlink => status(StatusCode::BAD_REQUEST, "symlink on key path"),
        StoreError::Conflict => status(StatusCode::CONFLICT, "key conflicts with an existing directory or object"),
        StoreError::NoSpace => status(StatusCode::INSUFFICIENT_STORAGE, "no space left"),
        StoreError::Io(e) => {
            tracing::error!(error = %e, "I/O error");
            status(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        }
    }
}

/// The service function.
pub async fn handle(app: Arc<App>, req: Request<Incoming>) -> Result<Resp, Infallible> {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let resp = route(app, req).await.unwrap_or_else(|r| r);
    tracing::info!(%method, %path, status = resp.status().as_u16(), "request");
    Ok(resp)
}

fn unauthorized(why: Denied) -> Resp {
    let (msg, challenge) = match why {
        Denied::Missing => ("bearer token required", "Bearer realm=\"heddle-blobd\""),
        Denied::Invalid => ("invalid bearer token", "Bearer realm=\"heddle-blobd\", error=\"invalid_token\""),
    };
    let mut r = status(StatusCode::UNAUTHORIZED, msg);
    r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
    r
}

async fn route(app: Arc<App>, req: Request<Incoming>) -> Result<Resp, Resp> {
    let write = match *req.method() {
        Method::GET | Method::HEAD => false,
        Method::PUT | Method::DELETE => true,
        _ if req.uri().path() == "/" => return Ok(not_allowed("GET, HEAD")),
        _ => return Ok(not_allowed("GET, HEAD, PUT, DELETE")),
    };
    if req.uri().path() == "/" {
        if write {
            return Ok(not_allowed("GET, HEAD"));
        }
        app.auth.check(req.headers(), false).map_err(unauthorized)?;
        return list(app, &req).await;
    }
    app.auth.check(req.headers(), write).map_err(unauthorized)?;
    let key = Key::from_uri_path(req.uri().path()).map_err(|e| status(StatusCode::BAD_REQUEST, &e.to_string()))?;
    match *req.method() {
        Method::GET | Method::HEAD => get(app, req, key).await,
        Method::PUT => put(app, req, key).await,
        _ => delete(app, key).await,
    }
}

fn not_allowed(allow: &'static str) -> Resp {
    let mut r = status(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
    r.headers_mut().insert(header::ALLOW, HeaderValue::from_static(allow));
    r
}

async fn put(app: Arc<App>, req: Request<Incoming>, key: Key) -> Result<Resp, Resp> {
    let headers = req.headers();
    let content_length = match headers.get(header::CONTENT_LENGTH) {
        // hyper has already rejected malformed values with 400.
        Some(v) => v.to_str().ok().and_then(|s| s.parse::<u64>().ok()),
        None if headers.contains_key(header::TRANSFER_ENCODING) => None,
        None => return Ok(status(StatusCode::LENGTH_REQUIRED, "Content-Length or chunked body required")),
    };
    if content_length.is_some_and(|n| n > app.max_body) {
        return Ok(status(StatusCode::PAYLOAD_TOO_LARGE, "body larger than --max-body"));
    }

    let store_app = app.clone();
    // The upload owns its temporary file: returning early, or hyper dropping
    // this future because the client went away, drops it and so removes the
    // file (also when it is inside a blocking write at that moment: the
    // blocking task drops it when done).
    let upload = app.file_op(move || store_app.store.create_upload()).await?.map_err(store_error)?;
    let mut body = req.into_body();
    let mut total: u64 = 0;
    // Body frames gathered for the next write (kept as hyper's bytes, not
    // copied together), and the write in flight: the next batch is received
    // while the previous one is written.
    let mut pending: Vec<Bytes> = Vec::new();
    let mut pending_len = 0;
    let mut writer = Writer::Idle(upload);
    loop {
        let frame = match rt::time::timeout(app.body_read_timeout, body.frame()).await {
            Err(_) => {
                tracing::debug!(received = total, "upload stalled");
                return Err(status(StatusCode::REQUEST_TIMEOUT, "request body stalled"));
            }
            Ok(None) => break,
            Ok(Some(Ok(frame))) => frame,
            Ok(Some(Err(e))) => {
                tracing::debug!(error = %e, "upload aborted");
                return Err(status(StatusCode::BAD_REQUEST, "incomplete request body"));
            }
        };
        let Ok(data) = frame.into_data() else { continue };
        total += data.len() as u64;
        if total > app.max_body {
            return Err(status(StatusCode::PAYLOAD_TOO_LARGE, "body larger than --max-body"));
        }
        pending_len += data.len();
        pending.push(data);
        // Tiny chunks of a chunked body: write before the list gets long.
        if pending_len >= WRITE_CHUNK || pending.len() >= WRITE_PIECES {
            pending_len = 0;
            writer = writer.write(std::mem::take(&mut pending), app.inline_io).await?;
        }
    }
    if !pending.is_empty() {
        writer = writer.write(pending, app.inline_io).await?;
    }
    let upload = writer.finish().await?;
    let (replaced, tag) = app.clone().file_op(move || app.store.commit(upload, &key)).await?.map_err(store_error)?;
    let mut r = Response::new(empty());
    *r.status_mut() = if replaced { StatusCode::NO_CONTENT } else { StatusCode::CREATED };
    r.headers_mut().insert(header::ETAG, hv(tag));
    Ok(r)
}

/// An upload's file, with at most one write in flight on the blocking pool
/// (or, with inline file I/O, written at once).
///
/// If the request is dropped (the client went away), dropping the in-flight
/// write's handle detaches it; the blocking task then drops the upload when
/// the write is done, which removes its temporary file.
enum Writer {
    /// No write in flight.
    Idle(Upload),
    Writing(rt::task::JoinHandle<Result<Upload, StoreError>>),
}

impl Writer {
    /// Waits for the previous write, then writes `pieces` (or starts to).
    async fn write(self, pieces: Vec<Bytes>, inline: bool) -> Result<Writer, Resp> {
        let mut upload = self.finish().await?;
        if inline {
            upload.write_pieces(&pieces).map_err(store_error)?;
            return Ok(Writer::Idle(upload));
        }
        Ok(Writer::Writing(rt::task::spawn_blocking(move || upload.write_pieces(&pieces).map(|()| upload))))
    }

    /// Waits for the write in flight; the upload with every byte written.
    async fn finish(self) -> Result<Upload, Resp> {
        match self {
            Writer::Idle(upload) => Ok(upload),
            Writer::Writing(handle) => handle.await.map_err(join_failed)?.map_err(store_error),
        }
    }
}

fn hv(s: String) -> HeaderValue {
    HeaderValue::try_from(s).expect("generated header values are visible ASCII")
}

/// Weak comparison of `If-None-Match` (a list of entity tags, or `*`).
fn none_match(header: &str, tag: &str) -> bool {
    let strip = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    let ours = strip(tag);
    header.split(',').any(|t| t.trim() == "*" || strip(t) == ours)
}

async fn get(app: Arc<App>, req: Request<Incoming>, key: Key) -> Result<Resp, Resp> {
    let inline_io = app.inline_io;
    let (file, meta, tag) = app
        .clone()
        .file_op(move || {
            let (file, meta) = app.store.open_read(&key)?;
            let tag = crate::store::etag(&file, &meta);
            Ok::<_, StoreError>((file, meta, tag))
        })
        .await?
        .map_err(store_error)?;
    let size = meta.len();
    let mut r = Response::new(empty());
    let h = r.headers_mut();
    h.insert(header::ETAG, hv(tag.clone()));
    if let Ok(mtime) = meta.modified() {
        h.insert(header::LAST_MODIFIED, hv(httpdate::fmt_http_date(mtime)));
    }
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));

    if let Some(inm) = req.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) {
        if none_match(inm, &tag) {
            *r.status_mut() = StatusCode::NOT_MODIFIED;
            r.headers_mut().remove(header::CONTENT_TYPE);
            return Ok(r);
        }
    }
    let outcome = match req.headers().get(header::RANGE).and_then(|v| v.to_str().ok()) {
        Some(v) => range::parse(v, size),
        None => RangeOutcome::Full,
    };
    let (start, len) = match outcome {
        RangeOutcome::Full => (0, size),
        RangeOutcome::Partial { start, end } => {
            *r.status_mut() = StatusCode::PARTIAL_CONTENT;
            r.headers_mut().insert(header::CONTENT_RANGE, hv(format!("bytes {start}-{end}/{size}")));
            (start, end - start + 1)
        }
        RangeOutcome::Unsatisfiable => {
            let mut r = status(StatusCode::RANGE_NOT_SATISFIABLE, "range not satisfiable");
            r.headers_mut().insert(header::CONTENT_RANGE, hv(format!("bytes */{size}")));
            return Ok(r);
        }
    };
    r.headers_mut().insert(header::CONTENT_LENGTH, hv(len.to_string()));
    if req.method() == Method::HEAD || len == 0 {
        return Ok(r);
    }
    *r.body_mut() = FileBody::new(file, start, len, inline_io).boxed();
    Ok(r)
}

async fn delete(app: Arc<App>, key: Key) -> Result<Resp, Resp> {
    app.clone().file_op(move || app.store.delete(&key)).await?.map_err(store_error)?;
    let mut r = Response::new(empty());
    *r.status_mut() = StatusCode::NO_CONTENT;
    Ok(r)
}

/// `GET /?prefix=p&after=k&limit=n`: `{"keys":[{"key":..,"size":..}],"next_after":..}`;
/// `next_after` is null on the last page.
async fn list(app: Arc<App>, req: &Request<Incoming>) -> Result<Resp, Resp> {
    let (mut prefix, mut after, mut limit) = (String::new(), String::new(), LIST_DEFAULT);
    for pair in req.uri().query().unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = crate::key::percent_decode(value.as_bytes())
            .ok()
            .and_then(|v| String::from_utf8(v).ok())
            .ok_or_else(|| status(StatusCode::BAD_REQUEST, "bad query string"))?;
        match name {
            "prefix" => prefix = value,
            "after" => after = value,
            "limit" => {
                limit = value
                    .parse::<usize>()
                    .ok()
                    .filter(|&n| (1..=LIST_MAX).contains(&n))
                    .ok_or_else(|| status(StatusCode::BAD_REQUEST, "limit must be 1..=10000"))?
            }
            _ => return Err(status(StatusCode::BAD_REQUEST, "unknown query parameter")),
        }
    }
    let (keys, truncated) = app
        .clone()
        .file_op(move || app.store.list(&prefix, &after, limit))
        .await?
        .map_err(|e| store_error(e.into()))?;
    let next_after = if truncated { keys.last().map(|(k, _)| k.clone()) } else { None };
    let json = serde_json::json!({
        "keys": keys.iter().map(|(k, s)| serde_json::json!({"key": k, "size": s})).collect::<Vec<_>>(),
        "next_after": next_after,
    });
    let mut r = Response::new(full(Bytes::from(json.to_string())));
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(r)
}
