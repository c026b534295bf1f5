//! Exponential back-off for fetches that every request would otherwise retry (the pool's JWKS;
//! in actas also the two-step signing keys): after a failure, the next attempt waits 1 s, then 2,
//! 4, ... up to 30 s; requests in between fail fast instead of queueing behind a lock for a dead
//! upstream.

use std::sync::Mutex;
use std::time::{Duration, Instant};

const FIRST: Duration = Duration::from_secs(1);

const LONGEST: Duration = Duration::from_secs(30);

#[derive(Debug, Default)]
pub struct Backoff {
    state: Mutex<Option<(Instant, u32)>>,
}

impl Backoff {
    /// The wait after `failures` consecutive failures.
    pub fn delay(failures: u32) -> Duration {
        let doubled = FIRST.saturating_mul(1u32 << failures.saturating_sub(1).min(5));
        doubled.min(LONGEST)
    }

    /// Whether an attempt may be made now.
    pub fn ready(&self) -> bool {
        match self.state.lock().ok().and_then(|s| *s) {
            Some((at, failures)) => at.elapsed() >= Self::delay(failures),
            None => true,
        }
    }

    pub fn failed(&self) {
        if let Ok(mut state) = self.state.lock() {
            let failures = state.map_or(0, |(_, n)| n).saturating_add(1);
            *state = Some((Instant::now(), failures));
        }
    }

    pub fn succeeded(&self) {
        if let Ok(mut state) = self.state.lock() {
            *state = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_up_to_a_ceiling_and_reset_on_success() {
        assert_eq!(Backoff::delay(1), Duration::from_secs(1));
        assert_eq!(Backoff::delay(2), Duration::from_secs(2));
        assert_eq!(Backoff::delay(4), Duration::from_secs(8));
        assert_eq!(Backoff::delay(20), LONGEST);
        let backoff = Backoff::default();
        assert!(backoff.ready());
        backoff.failed();
        assert!(!backoff.ready(), "a failure holds the next attempt back");
        backoff.succeeded();
        assert!(backoff.ready());
    }
}
