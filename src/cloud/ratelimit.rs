//! A token bucket per account, so a thousand resources never burst the cloud; and the
//! account's `Retry-After`, so no call of the account goes out before a throttle said it may.

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

pub struct RateLimit {
    per_second: f64,
    burst: f64,
    state: Mutex<(f64, Instant)>,
    /// No token is handed out before this instant (the cloud's `Retry-After`).
    paused_until: std::sync::Mutex<Option<Instant>>,
}

impl RateLimit {
    /// `per_second` requests a second on average, bursts of up to one second's worth.
    pub fn new(per_second: u32) -> Self {
        let per_second = f64::from(per_second.max(1));
        Self::with(per_second, per_second)
    }

    /// `per_minute` requests a minute on average (Atlas counts per minute), bursts of up to a
    /// tenth of that.
    pub fn per_minute(per_minute: u32) -> Self {
        let per_minute = f64::from(per_minute.max(1));
        Self::with(per_minute / 60.0, (per_minute / 10.0).max(1.0))
    }

    fn with(per_second: f64, burst: f64) -> Self {
        RateLimit {
            per_second,
            burst,
            state: Mutex::new((burst, Instant::now())),
            paused_until: std::sync::Mutex::new(None),
        }
    }

    /// The cloud throttled the account: hold its calls for the `Retry-After` it sent, or a
    /// second when it sent none.
    pub fn throttled(&self, retry_after: Option<Duration>) {
        self.pause(retry_after.unwrap_or(Duration::from_secs(1)));
    }

    /// Holds every call of the account for `wait`.
    pub fn pause(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut paused = self.paused_until.lock().unwrap_or_else(|p| p.into_inner());
        if paused.is_none_or(|current| current < until) {
            *paused = Some(until);
        }
    }

    async fn wait_for_pause(&self) {
        loop {
            let until = *self.paused_until.lock().unwrap_or_else(|p| p.into_inner());
            match until {
                // A longer pause may have been set while we slept: look again.
                Some(until) if until > Instant::now() => tokio::time::sleep_until(until).await,
                _ => return,
            }
        }
    }

    /// Whether a call could go out now without waiting: no pause, and a token in the bucket
    /// that no queued call has claimed.
    pub async fn has_spare(&self) -> bool {
        let paused = *self.paused_until.lock().unwrap_or_else(|p| p.into_inner());
        if paused.is_some_and(|until| until > Instant::now()) {
            return false;
        }
        let (tokens, last) = *self.state.lock().await;
        let accrued = Instant::now().duration_since(last).as_secs_f64() * self.per_second;
        (tokens + accrued).min(self.burst) >= 1.0
    }

    /// Waits for the end of any pause, then for a token; how long that took, so a budget too
    /// small for the work shows in the metrics rather than only as slow reconciles.
    pub async fn acquire(&self) -> Duration {
        let started = Instant::now();
        self.wait_for_pause().await;
        let wait = {
            let mut state = self.state.lock().await;
            let (tokens, last) = &mut *state;
            let now = Instant::now();
            *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * self.per_second)
                .min(self.burst);
            *last = now;
            *tokens -= 1.0;
            // A negative balance is the queue ahead of us: wait until our token has accrued.
            (*tokens < 0.0).then(|| Duration::from_secs_f64(-*tokens / self.per_second))
        };
        if let Some(wait) = wait {
            tokio::time::sleep(wait).await;
        }
        started.elapsed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn bursts_then_paces() {
        let limit = RateLimit::new(10);
        let start = Instant::now();
        for _ in 0..10 {
            limit.acquire().await;
        }
        assert!(
            start.elapsed() < Duration::from_millis(1),
            "a second's worth passes at once"
        );
        for _ in 0..20 {
            limit.acquire().await;
        }
        let took = start.elapsed();
        assert!(
            took >= Duration::from_millis(1990) && took <= Duration::from_millis(2100),
            "20 more take ~2 s, took {took:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_holds_every_call_until_it_ends_and_never_shortens() {
        let limit = RateLimit::new(100);
        let start = Instant::now();
        limit.pause(Duration::from_secs(3));
        limit.pause(Duration::from_secs(1));
        assert_eq!(
            limit.acquire().await,
            Duration::from_secs(3),
            "the longer pause holds"
        );
        assert_eq!(
            limit.acquire().await,
            Duration::ZERO,
            "after the pause calls flow"
        );
        assert_eq!(start.elapsed().as_secs(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn spare_only_when_a_call_would_not_wait() {
        let limit = RateLimit::new(2);
        assert!(limit.has_spare().await, "a fresh bucket");
        limit.acquire().await;
        limit.acquire().await;
        assert!(!limit.has_spare().await, "the burst is spent");
        tokio::time::advance(Duration::from_millis(500)).await;
        assert!(limit.has_spare().await, "a token accrued");
        limit.acquire().await;
        limit.acquire().await;
        assert!(
            !limit.has_spare().await,
            "a queued call claimed the next token"
        );
        tokio::time::advance(Duration::from_secs(2)).await;
        assert!(limit.has_spare().await);
        limit.throttled(Some(Duration::from_secs(5)));
        assert!(!limit.has_spare().await, "a Retry-After holds the account");
    }

    #[tokio::test(start_paused = true)]
    async fn per_minute_bursts_a_tenth_then_paces() {
        let limit = RateLimit::per_minute(100);
        let start = Instant::now();
        for _ in 0..10 {
            limit.acquire().await;
        }
        assert!(start.elapsed() < Duration::from_millis(1));
        let waited = limit.acquire().await;
        assert_eq!(waited, start.elapsed(), "the wait is reported");
        assert!(
            waited >= Duration::from_millis(590) && waited <= Duration::from_millis(610),
            "the 11th waits 0.6 s, waited {waited:?}"
        );
    }
}
