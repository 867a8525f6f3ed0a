//! A tiny xorshift generator: the simulation needs variety, not statistical quality, and
//! this keeps the binary free of a dependency for it.

use std::time::{SystemTime, UNIX_EPOCH};

/// Marsaglia's xorshift64.
#[derive(Debug, Clone)]
pub(crate) struct XorShift(u64);

impl XorShift {
    /// Seeded from the clock, so that each run of the demo looks a little different.
    pub(crate) fn from_clock() -> Self {
        let seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0x9E37_79B9_7F4A_7C15, |d| {
                d.as_secs() ^ u64::from(d.subsec_nanos()) << 32
            });
        // Zero is the one state xorshift never leaves.
        Self(seed | 1)
    }

    fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number in `0..n` (`n` must be above zero; the slight modulo bias does not matter here).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        // usize is at most 64 bits on every target Rust supports, so the remainder fits.
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// A number in `[0, 1)`.
    pub(crate) fn unit(&mut self) -> f64 {
        // The top 53 bits fill an f64 mantissa exactly.
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}
