//! Seeded fault injection shared by both clouds: which requests fail and how. A plan holds a
//! run-wide rate and set of modes, rules per action (Dds action or Atlas operation id) and the
//! timing of the slow modes; the seed makes a run repeatable. The plan can be replaced during a
//! run (`PUT /_emulator/faults`) and every strike is counted, by mode and by action, so a test
//! can prove a mode struck.
//!
//! Each mode either refuses the request before it is applied or spoils the answer after it was
//! applied (the change is made, the client never learns it). Modes that only exist on the wire
//! (HTML pages, dropped connections, bad bodies) are rendered here; the cloud's own error shapes
//! (throttling, 5xx) are rendered by the cloud through [`CloudErrors`].

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rand::{Rng, SeedableRng, rngs::StdRng};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// One way a request can go wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Mode {
    /// The cloud's throttling answer with a `Retry-After`; strikes `burst` requests in a row
    /// of the same account.
    Throttle,
    /// The same burst without `Retry-After`.
    ThrottleNoRetryAfter,
    /// The cloud's 5xx error body; nothing applied.
    ServerError,
    /// A 502/503 HTML page from a gateway in front of the cloud; nothing applied.
    HtmlError,
    /// The connection drops before anything is applied.
    Reset,
    /// Applied, then the connection drops: the answer is lost.
    LostAnswer,
    /// Applied, then the cloud's 5xx error body.
    ErrorAfterApply,
    /// Applied, then no answer until `hangMs` (past the client's deadline), then the connection
    /// drops.
    Hang,
    /// Applied, answered after `slowMs` (within the client's deadline).
    Slow,
    /// Applied, answered 200 with the body cut in half.
    Malformed,
    /// Applied, answered 200 with an HTML page as `text/html` instead of JSON.
    WrongContentType,
}

impl Mode {
    pub const ALL: [Mode; 11] = [
        Mode::Throttle,
        Mode::ThrottleNoRetryAfter,
        Mode::ServerError,
        Mode::HtmlError,
        Mode::Reset,
        Mode::LostAnswer,
        Mode::ErrorAfterApply,
        Mode::Hang,
        Mode::Slow,
        Mode::Malformed,
        Mode::WrongContentType,
    ];

    /// Whether the request is applied before the fault strikes.
    pub fn strikes_after_apply(self) -> bool {
        matches!(
            self,
            Mode::LostAnswer
                | Mode::ErrorAfterApply
                | Mode::Hang
                | Mode::Slow
                | Mode::Malformed
                | Mode::WrongContentType
        )
    }

    /// The name used in plans and stats.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Throttle => "throttle",
            Mode::ThrottleNoRetryAfter => "throttleNoRetryAfter",
            Mode::ServerError => "serverError",
            Mode::HtmlError => "htmlError",
            Mode::Reset => "reset",
            Mode::LostAnswer => "lostAnswer",
            Mode::ErrorAfterApply => "errorAfterApply",
            Mode::Hang => "hang",
            Mode::Slow => "slow",
            Mode::Malformed => "malformed",
            Mode::WrongContentType => "wrongContentType",
        }
    }

    pub fn parse(name: &str) -> Result<Mode, String> {
        Mode::ALL
            .into_iter()
            .find(|m| m.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Mode::ALL.iter().map(|m| m.name()).collect();
                format!("unknown fault mode {name:?}; one of {}", names.join(", "))
            })
    }
}

/// Faults for one action, overriding the run-wide rate and modes.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ActionRule {
    pub rate: f64,
    /// Empty: the run's modes.
    pub modes: Vec<Mode>,
    /// Strikes left before the rule is spent; `None`: no limit.
    pub count: Option<u32>,
}

/// What fails, how often and how.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Plan {
    /// Share of requests (0-1) that fault, unless a rule of their action says otherwise.
    pub rate: f64,
    pub modes: Vec<Mode>,
    pub actions: BTreeMap<String, ActionRule>,
    /// Consecutive requests of one account a throttling strike refuses.
    pub burst: u32,
    pub retry_after_secs: u64,
    pub hang_ms: u64,
    pub slow_ms: u64,
}

impl Default for Plan {
    fn default() -> Self {
        Plan {
            rate: 0.0,
            modes: vec![Mode::Throttle, Mode::ServerError, Mode::ErrorAfterApply],
            actions: BTreeMap::new(),
            burst: 1,
            retry_after_secs: 1,
            // The clients give up after 30 s.
            hang_ms: 35_000,
            slow_ms: 3_000,
        }
    }
}

/// Strikes so far: by mode, and by action and mode.
#[derive(Debug, Default, Serialize)]
struct Stats {
    struck: BTreeMap<&'static str, u64>,
    by_action: BTreeMap<String, BTreeMap<&'static str, u64>>,
}

struct Inner {
    plan: Plan,
    rng: StdRng,
    /// Per account: the throttling mode in force and the requests it still refuses.
    bursts: HashMap<String, (Mode, u32)>,
    stats: Stats,
}

impl Inner {
    fn new(plan: Plan, seed: u64) -> Self {
        Inner {
            plan,
            rng: StdRng::seed_from_u64(seed),
            bursts: HashMap::new(),
            stats: Stats::default(),
        }
    }
}

/// The fault state of one emulator, and the plan and seed it started with (a reset returns to
/// them, so a test that resets between cases does not inherit the faults of the one before).
pub struct Faults {
    inner: Mutex<Inner>,
    start: (Plan, u64),
}

impl Faults {
    pub fn new(plan: Plan, seed: u64) -> Self {
        Faults {
            inner: Mutex::new(Inner::new(plan.clone(), seed)),
            start: (plan, seed),
        }
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Back to the plan and seed of the start, with no strikes counted.
    pub fn reset(&self) {
        let (plan, seed) = &self.start;
        *self.inner() = Inner::new(plan.clone(), *seed);
    }

    /// Replaces the plan (and the generator, when a seed is given); stats are kept.
    pub fn set(&self, plan: Plan, seed: Option<u64>) {
        let mut inner = self.inner();
        inner.plan = plan;
        inner.bursts.clear();
        if let Some(seed) = seed {
            inner.rng = StdRng::seed_from_u64(seed);
        }
    }

    /// The plan and the strikes so far, for the admin endpoint.
    pub fn report(&self) -> Value {
        let inner = self.inner();
        json!({
            "plan": inner.plan,
            "struck": inner.stats.struck,
            "byAction": inner.stats.by_action,
            "total": inner.stats.struck.values().sum::<u64>(),
        })
    }

    /// The fault for one request of `account`, counted when it strikes. A read has no change
    /// to lose: its lost answer is a reset and its error after applying a plain 5xx.
    pub fn draw(&self, account: &str, action: &str, mutation: bool) -> Option<Mode> {
        let mut inner = self.inner();
        let mode = inner
            .burst(account)
            .or_else(|| inner.roll(account, action))?;
        let mode = match mode {
            Mode::LostAnswer if !mutation => Mode::Reset,
            Mode::ErrorAfterApply if !mutation => Mode::ServerError,
            other => other,
        };
        *inner.stats.struck.entry(mode.name()).or_insert(0) += 1;
        *inner
            .stats
            .by_action
            .entry(action.to_owned())
            .or_default()
            .entry(mode.name())
            .or_insert(0) += 1;
        Some(mode)
    }

    pub fn timing(&self) -> (Duration, Duration, u64) {
        let plan = &self.inner().plan;
        (
            Duration::from_millis(plan.hang_ms),
            Duration::from_millis(plan.slow_ms),
            plan.retry_after_secs,
        )
    }
}

impl Inner {
    /// A throttling burst still in force for the account.
    fn burst(&mut self, account: &str) -> Option<Mode> {
        let (mode, left) = self.bursts.get_mut(account)?;
        let mode = *mode;
        *left -= 1;
        if *left == 0 {
            self.bursts.remove(account);
        }
        Some(mode)
    }

    fn roll(&mut self, account: &str, action: &str) -> Option<Mode> {
        let (rate, modes) = match self.plan.actions.get(action) {
            Some(rule) if rule.count != Some(0) => (
                rule.rate,
                if rule.modes.is_empty() {
                    self.plan.modes.clone()
                } else {
                    rule.modes.clone()
                },
            ),
            _ => (self.plan.rate, self.plan.modes.clone()),
        };
        if modes.is_empty() || rate <= 0.0 || self.rng.random::<f64>() >= rate {
            return None;
        }
        if let Some(rule) = self.plan.actions.get_mut(action)
            && let Some(count) = rule.count.as_mut()
        {
            *count = count.saturating_sub(1);
        }
        let mode = modes[self.rng.random_range(0..modes.len())];
        if matches!(mode, Mode::Throttle | Mode::ThrottleNoRetryAfter) && self.plan.burst > 1 {
            self.bursts
                .insert(account.to_owned(), (mode, self.plan.burst - 1));
        }
        Some(mode)
    }
}

/// The cloud's own rendering of the errors a fault stands for.
pub trait CloudErrors {
    /// Throttling, with `Retry-After: retry_after` when given.
    fn throttled(&self, retry_after: Option<u64>) -> Response;
    /// A 5xx in the cloud's error shape.
    fn server_error(&self) -> Response;
}

/// The answer to a request refused before it was applied; `None` when `mode` strikes after.
pub fn refuse(faults: &Faults, mode: Mode, cloud: &impl CloudErrors) -> Option<Response> {
    let (_, _, retry_after) = faults.timing();
    Some(match mode {
        Mode::Throttle => cloud.throttled(Some(retry_after)),
        Mode::ThrottleNoRetryAfter => cloud.throttled(None),
        Mode::ServerError => cloud.server_error(),
        Mode::HtmlError => html(StatusCode::BAD_GATEWAY, "502 Bad Gateway"),
        Mode::Reset => dropped(),
        _ => return None,
    })
}

/// Spoils the answer to a request that was applied.
pub async fn spoil(
    faults: &Faults,
    mode: Mode,
    answer: Response,
    cloud: &impl CloudErrors,
) -> Response {
    let (hang, slow, _) = faults.timing();
    match mode {
        Mode::LostAnswer => dropped(),
        Mode::ErrorAfterApply => cloud.server_error(),
        Mode::Hang => {
            tokio::time::sleep(hang).await;
            dropped()
        }
        Mode::Slow => {
            tokio::time::sleep(slow).await;
            answer
        }
        Mode::Malformed => truncated(answer).await,
        Mode::WrongContentType => html(StatusCode::OK, "Please sign in"),
        _ => answer,
    }
}

/// A gateway's HTML page: what a load balancer or captive portal answers.
fn html(status: StatusCode, title: &str) -> Response {
    let body = format!(
        "<!DOCTYPE html><html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"
    );
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

/// A response whose body fails at once: the server closes the connection without a complete
/// answer, which the client sees as a reset or an incomplete message.
fn dropped() -> Response {
    let failing = futures::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "fault: connection dropped",
        ))
    });
    Response::new(Body::from_stream(failing))
}

/// The answer with its body cut in half (status and headers kept, length fixed).
async fn truncated(answer: Response) -> Response {
    let (mut parts, body) = answer.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let half = bytes.slice(..bytes.len() / 2);
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(half))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(rate: f64, modes: &[Mode]) -> Plan {
        Plan {
            rate,
            modes: modes.to_vec(),
            ..Plan::default()
        }
    }

    #[test]
    fn the_same_seed_strikes_the_same_requests() {
        let run = || {
            let faults = Faults::new(plan(0.3, &Mode::ALL), 7);
            (0..200)
                .map(|i| faults.draw("a", &format!("A{}", i % 5), true))
                .collect::<Vec<_>>()
        };
        let first = run();
        assert_eq!(first, run());
        let struck = first.iter().flatten().count();
        assert!((30..=90).contains(&struck), "about 30 % struck: {struck}");
    }

    #[test]
    fn an_action_rule_overrides_the_run_and_is_spent_after_its_count() {
        let mut p = plan(0.0, &[Mode::ServerError]);
        p.actions.insert(
            "CreateBackup".into(),
            ActionRule {
                rate: 1.0,
                modes: vec![Mode::LostAnswer],
                count: Some(2),
            },
        );
        let faults = Faults::new(p, 1);
        assert_eq!(faults.draw("a", "DescribeBackups", false), None);
        assert_eq!(
            faults.draw("a", "CreateBackup", true),
            Some(Mode::LostAnswer)
        );
        assert_eq!(
            faults.draw("a", "CreateBackup", true),
            Some(Mode::LostAnswer)
        );
        assert_eq!(faults.draw("a", "CreateBackup", true), None);
        let report = faults.report();
        assert_eq!(report["struck"]["lostAnswer"], 2);
        assert_eq!(report["byAction"]["CreateBackup"]["lostAnswer"], 2);
    }

    #[test]
    fn a_throttling_burst_refuses_the_next_requests_of_that_account_only() {
        let mut p = plan(0.0, &[Mode::Throttle]);
        p.burst = 3;
        p.actions.insert(
            "X".into(),
            ActionRule {
                rate: 1.0,
                count: Some(1),
                ..ActionRule::default()
            },
        );
        let faults = Faults::new(p, 1);
        assert_eq!(faults.draw("a", "X", false), Some(Mode::Throttle));
        assert_eq!(faults.draw("b", "Y", false), None, "other accounts pass");
        assert_eq!(faults.draw("a", "Y", false), Some(Mode::Throttle));
        assert_eq!(faults.draw("a", "Y", false), Some(Mode::Throttle));
        assert_eq!(faults.draw("a", "Y", false), None, "the burst is over");
    }

    #[test]
    fn reads_never_lose_an_answer_they_have_not_got() {
        let faults = Faults::new(plan(1.0, &[Mode::LostAnswer, Mode::ErrorAfterApply]), 3);
        for _ in 0..20 {
            let mode = faults.draw("a", "DescribeDBInstances", false);
            assert!(
                matches!(mode, Some(Mode::Reset | Mode::ServerError)),
                "{mode:?}"
            );
        }
    }

    #[test]
    fn every_mode_has_a_name_that_parses_back() {
        for mode in Mode::ALL {
            assert_eq!(Mode::parse(mode.name()), Ok(mode));
        }
        assert!(Mode::parse("flaky").is_err_and(|e| e.contains("lostAnswer")));
    }
}
