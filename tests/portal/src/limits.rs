//! The two REST limits (fact sheet §3.5): the portal-wide leaky bucket (503
//! `QUERY_LIMIT_EXCEEDED`) and the per-method, per-caller operating-time limit (429
//! `OPERATION_TIME_LIMIT`) summed over ten one-minute buckets.

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

/// The operating window: ten one-minute buckets.
pub const WINDOW_SECS: i64 = 600;
const BUCKET_SECS: i64 = 60;

/// A leaky bucket rate: requests above `burst` are refused, and the level drains at
/// `per_second`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub burst: f64,
    pub per_second: f64,
}

impl Rate {
    /// The portal's default (non-Enterprise plans): 50 burst, 2 per second.
    pub const DEFAULT: Rate = Rate {
        burst: 50.0,
        per_second: 2.0,
    };

    /// Parses `BURST/PER_SECOND` or `off` (`None`).
    pub fn parse(text: &str) -> Result<Option<Rate>, String> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("off") {
            return Ok(None);
        }
        let (b, p) = text
            .split_once('/')
            .ok_or_else(|| format!("rate must be BURST/PER_SECOND or off, got {text:?}"))?;
        let burst: f64 = b
            .trim()
            .parse()
            .map_err(|_| format!("bad burst in rate {text:?}"))?;
        let per_second: f64 = p
            .trim()
            .parse()
            .map_err(|_| format!("bad drain rate in rate {text:?}"))?;
        if !(burst >= 1.0 && burst.is_finite() && per_second >= 0.0 && per_second.is_finite()) {
            return Err(format!("rate out of range: {text:?}"));
        }
        Ok(Some(Rate { burst, per_second }))
    }
}

/// The portal-wide leaky bucket.
#[derive(Debug)]
pub struct LeakyBucket {
    pub rate: Option<Rate>,
    level: f64,
    last: Instant,
}

impl LeakyBucket {
    pub fn new(rate: Option<Rate>) -> LeakyBucket {
        LeakyBucket {
            rate,
            level: 0.0,
            last: Instant::now(),
        }
    }

    /// Admits a request (adding 1 to the level) or refuses it (adding nothing).
    pub fn admit(&mut self) -> bool {
        let now = Instant::now();
        let Some(rate) = self.rate else {
            self.last = now;
            return true;
        };
        let elapsed = now.duration_since(self.last).as_secs_f64();
        self.last = now;
        self.level = (self.level - elapsed * rate.per_second).max(0.0);
        if self.level >= rate.burst {
            return false;
        }
        self.level += 1.0;
        true
    }

    /// Changes the rate and empties the bucket.
    pub fn set_rate(&mut self, rate: Option<Rate>) {
        self.rate = rate;
        self.level = 0.0;
        self.last = Instant::now();
    }
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    minute: i64,
    seconds: f64,
    first_at: i64,
}

/// Operating time per `(method, caller)`.
#[derive(Debug, Default)]
pub struct Operating {
    /// The limit in seconds; `None` disables blocking (the time is still reported).
    pub limit: Option<f64>,
    usage: HashMap<(String, String), VecDeque<Slot>>,
}

impl Operating {
    pub fn new(limit: Option<f64>) -> Operating {
        Operating {
            limit,
            usage: HashMap::new(),
        }
    }

    fn prune(slots: &mut VecDeque<Slot>, now: i64) {
        let current = now.div_euclid(BUCKET_SECS);
        while slots
            .front()
            .is_some_and(|s| s.minute <= current - WINDOW_SECS / BUCKET_SECS)
        {
            slots.pop_front();
        }
    }

    /// `(operating, operating_reset_at)` for this key now.
    pub fn status(&mut self, method: &str, caller: &str, now: i64) -> (f64, i64) {
        let key = (method.to_string(), caller.to_string());
        match self.usage.get_mut(&key) {
            Some(slots) => {
                Self::prune(slots, now);
                let total = slots.iter().map(|s| s.seconds).sum();
                let reset = slots
                    .front()
                    .map_or(now + WINDOW_SECS, |s| s.first_at + WINDOW_SECS);
                (total, reset)
            }
            None => (0.0, now + WINDOW_SECS),
        }
    }

    /// Whether this key is blocked now.
    pub fn blocked(&mut self, method: &str, caller: &str, now: i64) -> bool {
        match self.limit {
            Some(limit) => self.status(method, caller, now).0 > limit,
            None => false,
        }
    }

    /// Adds processing time to the current bucket.
    pub fn record(&mut self, method: &str, caller: &str, now: i64, seconds: f64) {
        let slots = self
            .usage
            .entry((method.to_string(), caller.to_string()))
            .or_default();
        Self::prune(slots, now);
        let minute = now.div_euclid(BUCKET_SECS);
        match slots.back_mut() {
            Some(last) if last.minute == minute => last.seconds += seconds,
            _ => slots.push_back(Slot {
                minute,
                seconds,
                first_at: now,
            }),
        }
    }

    /// Forgets all usage.
    pub fn clear(&mut self) {
        self.usage.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_rates() {
        assert_eq!(Rate::parse("off"), Ok(None));
        assert_eq!(
            Rate::parse("5/10"),
            Ok(Some(Rate {
                burst: 5.0,
                per_second: 10.0
            }))
        );
        assert!(Rate::parse("5").is_err());
        assert!(Rate::parse("x/1").is_err());
        assert!(Rate::parse("0/1").is_err());
    }

    #[test]
    fn bucket_refuses_over_burst() {
        let mut b = LeakyBucket::new(Some(Rate {
            burst: 3.0,
            per_second: 0.0,
        }));
        assert!(b.admit() && b.admit() && b.admit());
        assert!(!b.admit());
        b.set_rate(None);
        assert!((0..100).all(|_| b.admit()));
    }

    #[test]
    fn operating_window() {
        let mut o = Operating::new(Some(1.0));
        o.record("m", "c", 1000, 0.7);
        assert!(!o.blocked("m", "c", 1000));
        o.record("m", "c", 1070, 0.7);
        assert!(o.blocked("m", "c", 1070));
        assert!(!o.blocked("m", "other", 1070));
        assert_eq!(o.status("m", "c", 1070).1, 1600);
        // the first bucket falls out after ten minutes
        assert!(!o.blocked("m", "c", 1000 + 600));
    }
}
