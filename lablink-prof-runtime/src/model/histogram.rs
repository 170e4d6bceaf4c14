//! Latency histograms: how the times of single hits (or calls) are spread, in log-linear
//! buckets as HdrHistogram keeps them.
//!
//! # The bucket scheme
//!
//! Every power of two is cut into [`SUB_BUCKETS`] (16) buckets of equal width: values below 32
//! have a bucket each; a value `v` of `2^e` or more (`e >= 5`) is in bucket
//! `(e - 4) * 16 + (v >> (e - 4))`. A bucket is at most 1/16 of its lower bound wide, so the
//! middle of a bucket is within 1/32 (3.1%) of any value in it.
//!
//! The recorder counts hits in ticks in these buckets; the snapshot moves each tick bucket's
//! count to the nanosecond bucket holding its middle, which adds at most another 1/32. So a
//! percentile read from a profile is within [`RELATIVE_ERROR`] (1/16, 6.25%) of the time of
//! the hit at that rank, and never outside the exact `min_ns`..`max_ns`.
//!
//! # In JSON
//!
//! `"hist": [[bucket, count], ...]`: the buckets that counted something, by bucket index
//! ascending, as the scheme above numbers them in nanoseconds (see [`Histogram::bucket_range`]).
//! `[[37, 99], [270, 1]]` is 99 hits of 42 or 43 ns and one of 983,040 to 1,015,807 ns.
//!
//! Histograms add up bucket by bucket: the sum of two profiles' histograms is the histogram of
//! both runs.

use serde::{Deserialize, Serialize};

/// Bits of the sub-bucket index: each power of two has `2^SUB_BITS` buckets.
pub const SUB_BITS: u32 = 4;
/// Buckets per power of two.
pub const SUB_BUCKETS: u64 = 1 << SUB_BITS;
/// The largest relative error of a percentile read from a profile (see the module's docs).
pub const RELATIVE_ERROR: f64 = 1.0 / SUB_BUCKETS as f64;
/// How many buckets cover every `u64`.
pub const BUCKETS: usize = ((64 - SUB_BITS) as usize + 1) * SUB_BUCKETS as usize;

/// The bucket holding `value`.
#[inline(always)]
pub fn bucket_of(value: u64) -> usize {
    // `value | SUB_BUCKETS` puts values below 2^(SUB_BITS+1) in the linear part (e == SUB_BITS).
    let e = 63 - (value | SUB_BUCKETS).leading_zeros();
    let shift = e - SUB_BITS;
    (shift as usize) * SUB_BUCKETS as usize + (value >> shift) as usize
}

/// The values bucket `index` holds: `low..=high`.
pub fn bucket_bounds(index: usize) -> (u64, u64) {
    let sub = SUB_BUCKETS as usize;
    if index < 2 * sub {
        return (index as u64, index as u64);
    }
    let shift = (index / sub - 1) as u32;
    let mantissa = (index - (shift as usize) * sub) as u64;
    let low = mantissa << shift;
    let high = low.saturating_add((1u64 << shift) - 1);
    (low, high)
}

/// The middle of bucket `index`: the value a percentile in it is read as.
pub fn bucket_middle(index: usize) -> u64 {
    let (low, high) = bucket_bounds(index);
    low + (high - low) / 2
}

/// A histogram of times in nanoseconds, kept sparse: `(bucket, count)` pairs by bucket.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Histogram {
    /// The buckets that counted something, ascending by index, none with a count of 0.
    pub buckets: Vec<(u32, u64)>,
}

impl Histogram {
    /// An empty histogram.
    pub fn new() -> Self {
        Histogram::default()
    }

    /// Counts `count` values of `ns`.
    pub fn record(&mut self, ns: u64, count: u64) {
        self.add_to_bucket(bucket_of(ns) as u32, count);
    }

    /// Adds `count` to bucket `index`.
    pub fn add_to_bucket(&mut self, index: u32, count: u64) {
        if count == 0 {
            return;
        }
        match self.buckets.binary_search_by_key(&index, |b| b.0) {
            Ok(at) => self.buckets[at].1 = self.buckets[at].1.saturating_add(count),
            Err(at) => self.buckets.insert(at, (index, count)),
        }
    }

    /// Adds `more` bucket by bucket.
    pub fn add(&mut self, more: &Histogram) {
        for &(index, count) in &more.buckets {
            self.add_to_bucket(index, count);
        }
    }

    /// How many values it counts.
    pub fn count(&self) -> u64 {
        self.buckets
            .iter()
            .fold(0u64, |sum, b| sum.saturating_add(b.1))
    }

    /// Whether it counts nothing.
    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }

    /// The values bucket `index` holds, `low..=high` nanoseconds.
    pub fn bucket_range(index: u32) -> (u64, u64) {
        bucket_bounds(index as usize)
    }

    /// The `q` quantile (`0.0..=1.0`; 0.99 is p99) as the middle of the bucket holding the value
    /// of rank `ceil(q * count)`, clamped to `min..=max` when given: within [`RELATIVE_ERROR`]
    /// of that value. The first rank is `min` and the last `max`, when given. `None` when
    /// empty.
    pub fn quantile(&self, q: f64, min: Option<u64>, max: Option<u64>) -> Option<u64> {
        let count = self.count();
        if count == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * count as f64).ceil() as u64).max(1);
        // The first and last ranks are the exact extremes, when known.
        match (rank, min, max) {
            (1, Some(min), _) => return Some(min),
            (r, _, Some(max)) if r >= count => return Some(max),
            _ => {}
        }
        let mut seen = 0u64;
        let mut value = 0;
        for &(index, n) in &self.buckets {
            seen = seen.saturating_add(n);
            value = bucket_middle(index as usize);
            if seen >= rank {
                break;
            }
        }
        let value = max.map_or(value, |m| value.min(m));
        Some(min.map_or(value, |m| value.max(m)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_contiguous_and_at_most_a_sixteenth_wide() {
        let mut next = 0u64;
        for index in 0..BUCKETS {
            let (low, high) = bucket_bounds(index);
            assert_eq!(low, next, "bucket {index}");
            assert!(high >= low);
            assert!((high - low) as f64 <= low as f64 / 16.0, "bucket {index}");
            assert_eq!(bucket_of(low), index);
            assert_eq!(bucket_of(high), index);
            next = high.wrapping_add(1);
        }
        assert_eq!(next, 0, "the last bucket ends at u64::MAX");
    }

    #[test]
    fn quantiles_are_within_the_stated_error() {
        let mut h = Histogram::new();
        for v in 1..=1000u64 {
            h.record(v * 1000, 1);
        }
        for (q, exact) in [(0.5, 500_000.0), (0.9, 900_000.0), (0.99, 990_000.0)] {
            let got = h.quantile(q, None, None).unwrap() as f64;
            assert!(
                (got - exact).abs() <= exact * RELATIVE_ERROR / 2.0,
                "q {q}: {got} vs {exact}"
            );
        }
        assert_eq!(h.count(), 1000);
    }

    #[test]
    fn adding_is_bucket_wise() {
        let (mut a, mut b, mut both) = (Histogram::new(), Histogram::new(), Histogram::new());
        for v in [3u64, 900, 1_000_000, 5] {
            a.record(v, 2);
            both.record(v, 2);
        }
        for v in [900u64, 7, 1 << 40] {
            b.record(v, 1);
            both.record(v, 1);
        }
        a.add(&b);
        assert_eq!(a, both);
        assert_eq!(
            serde_json::to_string(&Histogram {
                buckets: vec![(3, 2)]
            })
            .unwrap(),
            "[[3,2]]"
        );
    }
}
