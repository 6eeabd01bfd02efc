//! Prometheus metrics. Labels are bounded words (kind, action, outcome), never object names or
//! instance ids, so the series count does not grow with the number of resources.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::cloud::Cloud;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindResult {
    pub kind: String,
    pub result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Kind {
    pub kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CloudCall {
    pub action: &'static str,
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CloudLabel {
    pub cloud: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindReady {
    pub kind: String,
    pub ready: &'static str,
}

/// Every metric the operator exports.
pub struct Metrics {
    pub registry: Registry,
    reconciles: Family<KindResult, Counter>,
    reconcile_seconds: Family<Kind, Histogram>,
    cloud_calls: Family<CloudCall, Counter>,
    budget_wait_seconds: Family<CloudLabel, Histogram>,
    resources: Family<KindReady, Gauge>,
    /// The Ready value last counted for each object (keys unique across kinds), so the gauge
    /// moves instead of growing.
    readiness: Mutex<HashMap<String, &'static str>>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("mongocloud");
        let reconciles = Family::<KindResult, Counter>::default();
        registry.register(
            "reconciles",
            "Reconciles by kind and result (ok, error)",
            reconciles.clone(),
        );
        let reconcile_seconds = Family::<Kind, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.005, 2.0, 14))
        });
        registry.register(
            "reconcile_duration_seconds",
            "Time spent in one reconcile",
            reconcile_seconds.clone(),
        );
        let cloud_calls = Family::<CloudCall, Counter>::default();
        registry.register(
            "cloud_calls",
            "Cloud API calls by action and outcome (ok, Throttled, Transient, ...)",
            cloud_calls.clone(),
        );
        // From a millisecond to about a minute: a call waits for a token, a burst or a
        // cloud's Retry-After.
        let budget_wait_seconds = Family::<CloudLabel, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.001, 2.0, 17))
        });
        registry.register(
            "cloud_budget_wait_seconds",
            "Time a cloud call waited for its account's rate limit or Retry-After before going out",
            budget_wait_seconds.clone(),
        );
        let resources = Family::<KindReady, Gauge>::default();
        registry.register(
            "resources",
            "Resources by kind and Ready condition, as of their last reconcile",
            resources.clone(),
        );
        Metrics {
            registry,
            reconciles,
            reconcile_seconds,
            cloud_calls,
            budget_wait_seconds,
            resources,
            readiness: Mutex::default(),
        }
    }
}

impl Metrics {
    pub fn reconciled(&self, kind: &str, ok: bool, took: Duration) {
        let result = if ok { "ok" } else { "error" };
        self.reconciles
            .get_or_create(&KindResult {
                kind: kind.to_owned(),
                result,
            })
            .inc();
        self.reconcile_seconds
            .get_or_create(&Kind {
                kind: kind.to_owned(),
            })
            .observe(took.as_secs_f64());
    }

    pub fn cloud_call(&self, action: &'static str, outcome: &'static str) {
        self.cloud_calls
            .get_or_create(&CloudCall { action, outcome })
            .inc();
    }

    pub fn budget_wait(&self, cloud: Cloud, waited: Duration) {
        let cloud = match cloud {
            Cloud::Aliyun => "aliyun",
            Cloud::Atlas => "atlas",
        };
        self.budget_wait_seconds
            .get_or_create(&CloudLabel { cloud })
            .observe(waited.as_secs_f64());
    }

    /// Counts `object` (a unique key) under its current Ready value.
    pub fn observe_ready(&self, object: &str, kind: &str, ready: &'static str) {
        let mut seen = self.readiness.lock().unwrap_or_else(|p| p.into_inner());
        let previous = match seen.get_mut(object) {
            Some(was) => Some(std::mem::replace(was, ready)),
            None => seen.insert(object.to_owned(), ready),
        };
        if let Some(was) = previous {
            if was == ready {
                return;
            }
            self.resources
                .get_or_create(&KindReady {
                    kind: kind.to_owned(),
                    ready: was,
                })
                .dec();
        }
        self.resources
            .get_or_create(&KindReady {
                kind: kind.to_owned(),
                ready,
            })
            .inc();
    }

    /// Stops counting a deleted object.
    pub fn forget(&self, object: &str, kind: &str) {
        let mut seen = self.readiness.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(was) = seen.remove(object) {
            self.resources
                .get_or_create(&KindReady {
                    kind: kind.to_owned(),
                    ready: was,
                })
                .dec();
        }
    }

    /// The text exposition format.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

impl crate::cloud::CallObserver for Metrics {
    fn cloud_call(&self, action: &'static str, outcome: &'static str) {
        Metrics::cloud_call(self, action, outcome);
    }

    fn budget_wait(&self, cloud: Cloud, waited: Duration) {
        Metrics::budget_wait(self, cloud, waited);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_are_labelled_by_kind_and_outcome_only() {
        let m = Metrics::default();
        m.reconciled("DBInstance", true, Duration::from_millis(20));
        m.cloud_call("DescribeDBInstanceAttribute", "ok");
        m.observe_ready("ns/a", "DBInstance", "False");
        m.observe_ready("ns/a", "DBInstance", "True");
        m.observe_ready("ns/a", "DBInstance", "True");
        m.observe_ready("ns/b", "DBInstance", "True");
        m.forget("ns/b", "DBInstance");
        let text = m.encode();
        assert!(
            text.contains(r#"mongocloud_reconciles_total{kind="DBInstance",result="ok"} 1"#),
            "{text}"
        );
        assert!(text.contains(r#"mongocloud_cloud_calls_total{action="DescribeDBInstanceAttribute",outcome="ok"} 1"#), "{text}");
        assert!(
            text.contains(r#"mongocloud_resources{kind="DBInstance",ready="True"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"mongocloud_resources{kind="DBInstance",ready="False"} 0"#),
            "{text}"
        );
    }

    #[test]
    fn budget_waits_are_a_histogram_per_cloud() {
        let m = Metrics::default();
        m.budget_wait(Cloud::Atlas, Duration::from_millis(600));
        m.budget_wait(Cloud::Atlas, Duration::ZERO);
        m.budget_wait(Cloud::Aliyun, Duration::from_secs(2));
        let text = m.encode();
        assert!(
            text.contains(r#"mongocloud_cloud_budget_wait_seconds_count{cloud="atlas"} 2"#),
            "{text}"
        );
        assert!(
            text.contains(r#"mongocloud_cloud_budget_wait_seconds_sum{cloud="atlas"} 0.6"#),
            "{text}"
        );
        assert!(
            text.contains(
                r#"mongocloud_cloud_budget_wait_seconds_bucket{le="0.001",cloud="atlas"} 1"#
            ),
            "{text}"
        );
        assert!(
            text.contains(r#"mongocloud_cloud_budget_wait_seconds_count{cloud="aliyun"} 1"#),
            "{text}"
        );
    }
}
