//! A clock that moves only when told to.

use crate::ports::clock::Clock;
use std::sync::atomic::{AtomicI64, Ordering};

/// A clock that only moves when told to.
#[derive(Debug)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn at_millis(millis: i64) -> Self {
        ManualClock(AtomicI64::new(millis))
    }

    pub fn advance_secs(&self, secs: i64) {
        self.0.fetch_add(secs * 1000, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_millis(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}
