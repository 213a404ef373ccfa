//! A tiny per-worker xorshift generator, for picking steal victims.
//! Not cryptographic; it only needs to spread workers over each other.

/// xorshift64* state.
#[derive(Debug, Clone)]
pub(crate) struct FastRand(u64);

impl FastRand {
    /// A generator seeded with `seed` (any value; 0 is remapped).
    pub(crate) fn new(seed: u64) -> FastRand {
        FastRand(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// A value in `0..n` (n > 0).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let r = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D);
        ((r >> 32) as usize * n) >> 32
    }
}
