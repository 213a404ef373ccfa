//! Command-line options.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;

/// A REST blob store: PUT, GET, HEAD and DELETE objects kept as files in a
/// directory.
#[derive(Parser, Debug, Clone)]
#[command(name = "heddle-blobd", version)]
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
    /// Seconds a client may take to send a request's headers (also the idle
    /// limit between kept-alive requests).
    #[arg(long, default_value_t = 10)]
    pub header_read_timeout: u64,
    /// Log only warnings and errors.
    #[arg(long)]
    pub quiet: bool,
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
    fn cli_parses() {
        Cli::command_debug_assert();
        let c = Cli::try_parse_from(["x", "--dir", "d", "--max-body", "1MiB", "--fsync", "--workers", "2"]).unwrap();
        assert_eq!(c.max_body, 1 << 20);
        assert!(c.fsync);
        assert_eq!(c.workers, Some(2));
    }

    impl Cli {
        fn command_debug_assert() {
            use clap::CommandFactory;
            Cli::command().debug_assert();
        }
    }
}
