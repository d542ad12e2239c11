//! Per-client rate limits (the rule and its numbers are `domain::rate`), kept in this process.
//!
//! Per process on purpose: what a limit protects belongs to the process (its upload spool, its
//! pdfium lock, its connections, its model client), so each API process behind a balancer
//! guards its own share. A deployment of N API processes that wants a total of T requests per
//! minute per client sets T/N; a client the balancer spreads over the processes then meets
//! the limit at about T. Metering, which must be exact across processes, is the ledger's job
//! (Postgres), not this one's.

use domain::rate::{RateKey, RateLimit, RateLimits, RequestKind};
use governor::{clock::Clock, DefaultKeyedRateLimiter, Quota};
use std::{
    num::NonZeroU32,
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

/// How often (in checks) idle clients' state is dropped, so the maps stay as small as the set
/// of recent clients.
const RETAIN_EVERY: u64 = 4096;

/// The limiters of every limited kind.
pub struct RateLimiter {
    kinds: Vec<(RequestKind, RateLimit, DefaultKeyedRateLimiter<RateKey>)>,
    checks: AtomicU64,
}

/// A refused request: which limit it met and when the client may come back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limited {
    /// The kind of request.
    pub kind: RequestKind,
    /// The limit met.
    pub limit: RateLimit,
    /// Whole seconds until a request of this kind would be allowed (at least 1).
    pub retry_after_secs: u64,
}

impl RateLimiter {
    /// Limiters for every kind `limits` limits.
    pub fn new(limits: RateLimits) -> RateLimiter {
        let kinds = RequestKind::ALL
            .into_iter()
            .filter_map(|kind| {
                let limit = limits.of(kind)?;
                let per_minute = NonZeroU32::new(limit.per_minute)?;
                let burst = NonZeroU32::new(limit.burst.max(1))?;
                let quota = Quota::with_period(Duration::from_secs(60) / per_minute.get())?
                    .allow_burst(burst);
                Some((kind, limit, DefaultKeyedRateLimiter::keyed(quota)))
            })
            .collect();
        RateLimiter {
            kinds,
            checks: AtomicU64::new(0),
        }
    }

    /// Counts one request of `kind` by `key`, or says how long it must wait.
    pub fn check(&self, kind: RequestKind, key: &RateKey) -> Result<(), Limited> {
        let Some((_, limit, limiter)) = self.kinds.iter().find(|(k, ..)| *k == kind) else {
            return Ok(());
        };
        if self.checks.fetch_add(1, Ordering::Relaxed) % RETAIN_EVERY == RETAIN_EVERY - 1 {
            for (_, _, limiter) in &self.kinds {
                limiter.retain_recent();
                limiter.shrink_to_fit();
            }
        }
        limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(governor::clock::DefaultClock::default().now());
            Limited {
                kind,
                limit: *limit,
                retry_after_secs: (wait.as_secs_f64().ceil() as u64).max(1),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_gets_its_burst_then_waits_while_others_are_unaffected() {
        let limits = RateLimits {
            submit: Some(RateLimit {
                per_minute: 6,
                burst: 3,
            }),
            ..RateLimits::OFF
        };
        let limiter = RateLimiter::new(limits);
        let me = RateKey::Ip("192.0.2.1".into());
        for _ in 0..3 {
            limiter.check(RequestKind::Submit, &me).unwrap();
        }
        let refused = limiter.check(RequestKind::Submit, &me).unwrap_err();
        assert_eq!(refused.kind, RequestKind::Submit);
        // One request every 10 s replenishes: the wait is at most that.
        assert!((1..=10).contains(&refused.retry_after_secs), "{refused:?}");
        let other = RateKey::Account(domain::AccountId(uuid::Uuid::nil()));
        limiter.check(RequestKind::Submit, &other).unwrap();
        // Unlimited kinds are never refused.
        for _ in 0..100 {
            limiter.check(RequestKind::Read, &me).unwrap();
        }
    }
}
