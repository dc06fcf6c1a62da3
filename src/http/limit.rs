//! Requests per key: a fixed one-minute window per key and instance.
//!
//! Each instance counts on its own, so with several instances a key gets
//! up to the limit on each; that bounds abuse without a shared counter.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The length of a window.
const WINDOW: Duration = Duration::from_secs(60);

/// Counts requests per key.
#[derive(Debug)]
pub struct RateLimiter {
    per_minute: u32,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl RateLimiter {
    /// A limiter allowing `per_minute` requests per key; 0 turns it off.
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a request of `key_id`: `Ok` when allowed, or the seconds to
    /// wait before the next window.
    pub fn check(&self, key_id: &str) -> Result<(), u64> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let now = Instant::now();
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if windows.len() > 100_000 {
            // Keys that went quiet free their slot.
            windows.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let (start, count) = windows.entry(key_id.to_owned()).or_insert((now, 0));
        if now.duration_since(*start) >= WINDOW {
            *start = now;
            *count = 0;
        }
        if *count >= self.per_minute {
            let wait = WINDOW.saturating_sub(now.duration_since(*start));
            return Err(wait.as_secs().max(1));
        }
        *count += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_over_its_limit_is_told_how_long_to_wait() {
        let limiter = RateLimiter::new(2);
        assert!(limiter.check("a").is_ok());
        assert!(limiter.check("a").is_ok());
        let wait = limiter.check("a").expect_err("third request refused");
        assert!((1..=60).contains(&wait));
        assert!(limiter.check("b").is_ok(), "keys are counted apart");
        assert!(RateLimiter::new(0).check("a").is_ok());
    }
}
