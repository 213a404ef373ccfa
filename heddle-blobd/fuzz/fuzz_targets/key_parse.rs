//! Fuzz target: arbitrary bytes through heddle-blobd's key parser and
//! validation (`src/key.rs`), checking the invariants in `src/key_check.rs`:
//! no panic, and an accepted key is 1..=1024 bytes with no `.`/`..` or
//! dot-name segment, no NUL, control character or backslash, no leading
//! `/` or empty segment, and joined onto DATA it stays inside DATA.
//!
//! Both files are included by path, so this crate needs neither the server
//! nor its runtime.

#![no_main]
#![allow(dead_code)]

#[path = "../../src/key.rs"]
mod key;
#[path = "../../src/key_check.rs"]
mod key_check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    key_check::check(data);
});
