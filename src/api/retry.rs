//! When to try a failed call again.

use std::time::Duration;

/// Exponential backoff with full jitter, for a bounded number of retries.
///
/// Only errors that [`super::ApiError::is_retryable`] accepts are retried: each call that
/// reaches the vendor may be billed, so authentication, quota and input errors never are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt; 0 disables retrying.
    pub max_retries: u32,
    /// The backoff ceiling before the first retry; it doubles for each further one.
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
        }
    }
}

impl RetryPolicy {
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// The pause before the next attempt, after `attempts_made` attempts have failed, or
    /// `None` when the retries are spent.
    pub fn delay_before_retry(&self, attempts_made: u32) -> Option<Duration> {
        if attempts_made == 0 || attempts_made > self.max_retries {
            return None;
        }
        let exponent = (attempts_made - 1).min(16);
        let ceiling = self
            .base_delay
            .saturating_mul(1 << exponent)
            .min(self.max_delay);
        // Full jitter: clients throttled together should not come back together.
        let millis = ceiling.as_millis() as u64;
        Some(Duration::from_millis(fastrand::u64(
            millis / 2..=millis.max(1),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_and_stay_under_the_cap() {
        let policy = RetryPolicy {
            max_retries: 6,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
        };
        for _ in 0..50 {
            let first = policy.delay_before_retry(1).expect("first retry allowed");
            assert!(first <= Duration::from_millis(100) && first >= Duration::from_millis(50));
            let fourth = policy.delay_before_retry(4).expect("fourth retry allowed");
            assert!(fourth >= Duration::from_millis(400) && fourth <= Duration::from_millis(800));
            let sixth = policy.delay_before_retry(6).expect("sixth retry allowed");
            assert!(sixth <= Duration::from_millis(1000));
        }
    }

    #[test]
    fn retries_are_bounded() {
        let policy = RetryPolicy {
            max_retries: 2,
            ..RetryPolicy::default()
        };
        assert!(policy.delay_before_retry(2).is_some());
        assert!(policy.delay_before_retry(3).is_none());
        assert!(RetryPolicy::none().delay_before_retry(1).is_none());
    }
}
