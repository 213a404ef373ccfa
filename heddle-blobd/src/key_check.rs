//! Invariants of key parsing and validation, shared by the cargo-fuzz target
//! `fuzz/fuzz_targets/key_parse.rs` (which includes this file and `key.rs`
//! by path) and the unit test `key::tests::generated_inputs_keep_invariants`,
//! which runs them on generated inputs so CI exercises them without nightly.

use std::path::{Component, Path};

use crate::key::{Key, MAX_KEY_LEN, MAX_SEGMENT_LEN};

/// Feeds `input` to the key parser three ways (as a path with and without
/// its leading `/` when it is UTF-8, and with every byte percent-encoded so
/// arbitrary decoded bytes reach validation) and panics if an accepted key
/// breaks an invariant. Returns how many of the three were accepted.
pub fn check(input: &[u8]) -> usize {
    let mut accepted = 0;
    if let Ok(s) = std::str::from_utf8(input) {
        accepted += usize::from(check_path(s));
        accepted += usize::from(check_path(&format!("/{s}")));
    }
    accepted += usize::from(check_path(&format!("/{}", encode(input))));
    accepted
}

/// Every byte as `%XX`.
fn encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("%{b:02X}")).collect()
}

/// Parses one request path; if accepted, checks the key. Returns whether it
/// was accepted.
fn check_path(path: &str) -> bool {
    let Ok(key) = Key::from_uri_path(path) else { return false };
    let segs: Vec<&str> = key.segments().collect();
    let joined = segs.join("/");
    assert!(!joined.is_empty() && joined.len() <= MAX_KEY_LEN, "{path:?}: length {}", joined.len());
    assert!(!joined.starts_with('/'), "{path:?}: absolute");
    assert!(!joined.bytes().any(|b| b == 0 || b == b'\\' || b < 0x20 || b == 0x7f), "{path:?}: forbidden byte");
    assert!(!joined.chars().any(char::is_control), "{path:?}: control character");
    for seg in &segs {
        assert!(!seg.is_empty(), "{path:?}: empty segment");
        assert!(*seg != "." && *seg != "..", "{path:?}: dot segment");
        assert!(!seg.starts_with('.'), "{path:?}: dot-name");
        assert!(seg.len() <= MAX_SEGMENT_LEN, "{path:?}: long segment");
    }
    // Joined onto DATA it stays inside DATA, one normal component per
    // segment (nothing that a path normalization would fold).
    let data = Path::new("/data");
    let full = data.join(&joined);
    let rel = full.strip_prefix(data).unwrap_or_else(|_| panic!("{path:?} escapes DATA: {full:?}"));
    let comps: Vec<Component<'_>> = rel.components().collect();
    assert_eq!(comps.len(), segs.len(), "{path:?}: {full:?}");
    assert!(comps.iter().all(|c| matches!(c, Component::Normal(_))), "{path:?}: {comps:?}");
    // Encoding the key again and parsing it gives the same key.
    assert_eq!(Key::from_uri_path(&format!("/{}", encode(joined.as_bytes()))), Ok(key), "{path:?}");
    true
}
