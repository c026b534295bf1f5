//! Time as a port, so expiry rules can be tested without sleeping.

use std::time::{SystemTime, UNIX_EPOCH};

pub trait Clock: Send + Sync {
    /// Milliseconds since the Unix epoch.
    fn now_millis(&self) -> i64;

    fn now_secs(&self) -> i64 {
        self.now_millis().div_euclid(1000)
    }
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_millis(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0)
    }
}

/// Formatting time is the domain's (`domain::time`); re-exported where the clock is.
pub use crate::domain::time::rfc3339_millis;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::clock::ManualClock;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = ManualClock::at_millis(5_000);
        assert_eq!(clock.now_secs(), 5);
        clock.advance_secs(10);
        assert_eq!(clock.now_millis(), 15_000);
    }
}
