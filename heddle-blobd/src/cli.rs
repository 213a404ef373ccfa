//! Command-line options.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgGroup, Parser};

/// A REST blob store: PUT, GET, HEAD and DELETE objects kept as files in a
/// directory.
#[derive(Parser, Debug, Clone)]
#[command(name = "heddle-blobd", version)]
#[command(group(ArgGroup::new("token_source").args(["token", "token_file"])))]
pub struct Cli {
    /// Directory holding the objects (created if missing).
    #[arg(long, default_value = "data")]
    pub dir: PathBuf,
    /// Address to listen on. Prints `listening on ADDR` on stdout once bound.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Largest accepted PUT body, in bytes; suffixes K/KiB, M/MiB, G/GiB
    /// (powers of 1024).
    #[arg(long, default_value = "1GiB", value_parser = parse_size)]
    pub max_body: u64,
    /// fsync each object and its directory before answering a PUT or DELETE.
    #[arg(long)]
    pub fsync: bool,
    /// Worker threads (default: one per CPU).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Bearer token required (`Authorization: Bearer SECRET`) for PUT and
    /// DELETE; answered 401 without it.
    #[arg(long, value_name = "SECRET")]
    pub token: Option<String>,
    /// Read the bearer token from this file (surrounding whitespace
    /// trimmed), so it does not show in `ps`.
    #[arg(long, value_name = "PATH")]
    pub token_file: Option<PathBuf>,
    /// Require the token for GET, HEAD and the listing too.
    #[arg(long, requires = "token_source")]
    pub token_read: bool,
    /// Largest request head (request line and headers), in bytes (same
    /// suffixes as `--max-body`); larger answers 431.
    #[arg(long, default_value = "64KiB", value_parser = parse_size)]
    pub max_header_size: u64,
    /// Time a client may take to send a request's headers, counted from their
    /// first byte (`500ms`, `10s`, `2m`; a bare number is seconds).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub header_read_timeout: Duration,
    /// Time an upload may go without any body bytes arriving before it is
    /// aborted (408, nothing stored).
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub body_read_timeout: Duration,
    /// Time a kept-alive connection may stay idle between requests.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub idle_timeout: Duration,
    /// Time a response write may stay blocked (client not reading) before
    /// the connection is dropped.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub write_timeout: Duration,
    /// Where file reads and writes run: `pool` on the blocking thread pool
    /// (a disk may make them wait), `inline` on the worker serving the
    /// request (no thread hop; only for memory file systems), `auto`:
    /// inline when DIR is on tmpfs or ramfs, the pool otherwise.
    #[arg(long, value_enum, default_value_t = FileIo::Auto)]
    pub file_io: FileIo,
    /// Log only warnings and errors.
    #[arg(long)]
    pub quiet: bool,
}

/// `--file-io`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FileIo {
    /// Inline on a memory file system, else on the blocking pool.
    Auto,
    /// Always on the worker thread.
    Inline,
    /// Always on the blocking pool.
    Pool,
}

/// Parses `123`, `64KiB`, `10M`, `1GiB`, ... (binary multiples).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().map_err(|_| format!("invalid size {s:?}"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(format!("invalid size unit in {s:?}")),
    };
    n.checked_mul(mult).ok_or_else(|| format!("size {s:?} overflows"))
}

impl Cli {
    /// The bearer token, from `--token` or `--token-file`, if any.
    pub fn token(&self) -> std::io::Result<Option<String>> {
        if let Some(t) = &self.token {
            return Ok(Some(t.clone()));
        }
        let Some(path) = &self.token_file else { return Ok(None) };
        let t = std::fs::read_to_string(path)
            .map_err(|e| std::io::Error::new(e.kind(), format!("--token-file {}: {e}", path.display())))?;
        let t = t.trim();
        if t.is_empty() {
            return Err(std::io::Error::other(format!("--token-file {}: empty", path.display())));
        }
        Ok(Some(t.to_string()))
    }
}

/// Parses `250ms`, `10s`, `2m` or a bare number of seconds; must be > 0.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().map_err(|_| format!("invalid duration {s:?}"))?;
    let d = match unit.trim() {
        "ms" => Duration::from_millis(n),
        "" | "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n.saturating_mul(60)),
        _ => return Err(format!("invalid duration unit in {s:?} (ms, s, m)")),
    };
    if d.is_zero() {
        return Err("duration must be positive".into());
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("0"), Ok(0));
        assert_eq!(parse_size("123"), Ok(123));
        assert_eq!(parse_size("64KiB"), Ok(65536));
        assert_eq!(parse_size("10MiB"), Ok(10 << 20));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("2g"), Ok(2 << 30));
        assert!(parse_size("").is_err());
        assert!(parse_size("1TiB").is_err());
        assert!(parse_size("KiB").is_err());
        assert!(parse_size("99999999999999GiB").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("10"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("3s"), Ok(Duration::from_secs(3)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("0").is_err());
        assert!(parse_duration("1h").is_err());
        assert!(parse_duration("ms").is_err());
    }

    #[test]
    fn cli_parses() {
        Cli::command_debug_assert();
        let c = Cli::try_parse_from(["x", "--dir", "d", "--max-body", "1MiB", "--fsync", "--workers", "2"]).unwrap();
        assert_eq!(c.max_body, 1 << 20);
        assert!(c.fsync);
        assert_eq!(c.workers, Some(2));
        assert!(c.token.is_none());
        assert!(Cli::try_parse_from(["x", "--token-read"]).is_err(), "--token-read needs --token");
        assert!(Cli::try_parse_from(["x", "--token", "a", "--token-file", "f"]).is_err(), "one token source");
        assert!(Cli::try_parse_from(["x", "--token-file", "f", "--token-read"]).is_ok());
        let c = Cli::try_parse_from(["x", "--token", "s", "--token-read", "--idle-timeout", "500ms"]).unwrap();
        assert_eq!((c.token.as_deref(), c.token_read), (Some("s"), true));
        assert_eq!(c.idle_timeout, Duration::from_millis(500));
    }

    impl Cli {
        fn command_debug_assert() {
            use clap::CommandFactory;
            Cli::command().debug_assert();
        }
    }
}
