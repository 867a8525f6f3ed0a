//! The `le` values of a histogram, formatted once per family instead of once per series.
//!
//! Each is kept with the `"} ` that follows it in a bucket line, so that after a bucket line's
//! start (`name_bucket{labels,le="`) one copy brings the line to its count.
//!
//! Every series of a registered family shares its bucket bounds, and formatting a float is the
//! costliest part of writing a bucket line; so an encoder keeps the last bounds it formatted
//! and reuses the text while the next series has the same bounds. The bounds are compared by
//! value (a handful of floats), not by address: a collector's families are freed and
//! allocated again within one scrape, and a reused address must not bring back stale text.

/// Formatted bucket bounds, `+Inf` last, each followed by `"} `.
#[derive(Debug, Default)]
pub(crate) struct BoundCache {
    bounds: Vec<f64>,
    text: Vec<u8>,
    ends: Vec<usize>,
    valid: bool,
}

impl BoundCache {
    /// Makes the cache hold `bounds` (then `+Inf`), formatted by `float` and each followed by
    /// `"} `, unless it already does.
    pub(crate) fn prepare(&mut self, bounds: &[f64], float: fn(&mut Vec<u8>, f64)) {
        let same = self.valid
            && self.bounds.len() == bounds.len()
            && self
                .bounds
                .iter()
                .zip(bounds)
                .all(|(a, b)| a.to_bits() == b.to_bits());
        if same {
            return;
        }
        self.bounds.clear();
        self.text.clear();
        self.ends.clear();
        // One allocation each, sized for the usual bound text, rather than a string of
        // doublings on every scrape.
        self.bounds.reserve(bounds.len());
        self.ends.reserve(bounds.len() + 1);
        self.text.reserve(16 * (bounds.len() + 1));
        self.bounds.extend_from_slice(bounds);
        for &bound in bounds.iter().chain(std::iter::once(&f64::INFINITY)) {
            float(&mut self.text, bound);
            self.text.extend_from_slice(b"\"} ");
            self.ends.push(self.text.len());
        }
        self.valid = true;
    }

    /// The text of bucket `i` (the last one is `+Inf`) then `"} `; empty past the end.
    pub(crate) fn get(&self, i: usize) -> &[u8] {
        let start = match i.checked_sub(1) {
            Some(previous) => self.ends.get(previous).copied().unwrap_or(0),
            None => 0,
        };
        let end = self.ends.get(i).copied().unwrap_or(start);
        self.text.get(start..end).unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::number::write_go_float;

    #[test]
    fn reuses_equal_bounds_and_refreshes_on_change() {
        let mut cache = BoundCache::default();
        cache.prepare(&[0.5, 1.0], write_go_float);
        assert_eq!(
            (cache.get(0), cache.get(1), cache.get(2)),
            (&b"0.5\"} "[..], &b"1\"} "[..], &b"+Inf\"} "[..])
        );
        assert_eq!(cache.get(3), b"");
        // Same values from another allocation: kept. Other values: formatted again.
        let elsewhere: Vec<f64> = [0.5, 1.0].to_vec();
        cache.prepare(&elsewhere, write_go_float);
        assert_eq!(cache.get(1), b"1\"} ");
        cache.prepare(&[2.0], write_go_float);
        assert_eq!(
            (cache.get(0), cache.get(1)),
            (&b"2\"} "[..], &b"+Inf\"} "[..])
        );
        cache.prepare(&[], write_go_float);
        assert_eq!(cache.get(0), b"+Inf\"} ");
    }
}
