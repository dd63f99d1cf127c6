//! The client-side rate limiter: a leaky bucket like the portal's, so
//! that calls are spaced instead of refused.

use core::cell::RefCell;

/// A leaky bucket like the portal's (fact sheet §3.5): each request adds 1,
/// the level drains at `per_second`, and a request that would overflow
/// `burst` waits. Reservations are taken in call order, so concurrent calls
/// queue fairly instead of racing.
#[derive(Clone, Debug)]
pub struct LeakyBucket {
    burst: f64,
    per_second: f64,
    level: f64,
    at_ms: f64,
}

impl LeakyBucket {
    /// A bucket for `burst` requests at once and `per_second` after that.
    pub fn new(burst: u32, per_second: f64) -> Option<Self> {
        (burst >= 1 && per_second.is_finite() && per_second > 0.0).then_some(LeakyBucket {
            burst: f64::from(burst),
            per_second,
            level: 0.0,
            at_ms: f64::NEG_INFINITY,
        })
    }

    /// Takes a place for one request at `now_ms`; returns how long to wait
    /// before sending it.
    pub fn reserve(&mut self, now_ms: f64) -> f64 {
        let drained = (now_ms - self.at_ms).max(0.0) / 1000.0 * self.per_second;
        self.level = (self.level - drained).max(0.0);
        self.at_ms = now_ms.max(self.at_ms);
        // The portal refuses at `level >= burst`: wait until one has drained.
        let wait_ms = if self.level + 1.0 > self.burst {
            (self.level + 1.0 - self.burst) / self.per_second * 1000.0
        } else {
            0.0
        };
        self.level += 1.0;
        wait_ms
    }

    /// Gives back a place that was reserved but not used (the call was
    /// cancelled while it waited).
    pub fn release(&mut self) {
        self.level = (self.level - 1.0).max(0.0);
    }
}

/// A place taken in a client's bucket by a call still waiting to send. If
/// the call is dropped while it waits (timeout, abort), the place is given
/// back, so cancelled calls do not hold up the next ones.
pub struct Reservation<'a> {
    bucket: &'a RefCell<LeakyBucket>,
}

impl<'a> Reservation<'a> {
    /// Holds the place just reserved in `bucket`.
    pub fn new(bucket: &'a RefCell<LeakyBucket>) -> Self {
        Reservation { bucket }
    }

    /// The call sends: the place is used, not given back.
    pub fn keep(self) {
        core::mem::forget(self);
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        if let Ok(mut bucket) = self.bucket.try_borrow_mut() {
            bucket.release();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;

    #[test]
    fn bucket_lets_a_burst_through_then_spaces_requests() {
        let mut bucket = LeakyBucket::new(3, 2.0).unwrap();
        let waits: Vec<f64> = (0..6).map(|_| bucket.reserve(1000.0)).collect();
        assert_eq!(waits, vec![0.0, 0.0, 0.0, 500.0, 1000.0, 1500.0]);
        // After 10 s everything has drained.
        assert_eq!(bucket.reserve(11_000.0), 0.0);
        assert!(LeakyBucket::new(0, 1.0).is_none());
        assert!(LeakyBucket::new(1, 0.0).is_none());
    }

    #[test]
    fn bucket_throughput_matches_the_portal_limit() {
        // 200 calls at once under 10 burst / 20 per second: the last one
        // leaves at (200 - 10) / 20 s, the theoretical minimum.
        let mut bucket = LeakyBucket::new(10, 20.0).unwrap();
        let last = (0..200).map(|_| bucket.reserve(0.0)).fold(0.0, f64::max);
        assert_eq!(last, 9_500.0);
    }
}
