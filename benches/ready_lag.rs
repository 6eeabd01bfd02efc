//! Ready-detection lag (a benchmark, not a test): N DBInstances are applied at once; for each,
//! the time from the emulator reaching Running to the operator's Ready=True, and the cloud calls
//! per instance from apply to Ready. Needs a cluster:
//!
//!     scripts/with-cluster.sh cargo bench --bench ready_lag [-- N]

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use kube::api::ListParams;
use mongocloud_operator::api::DBInstance;
use serde_json::json;

const TRANSITION_MS: u64 = 3000;

#[tokio::main]
async fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(50);
    let Some(mut h) = support::harness("ready-lag", TRANSITION_MS).await else {
        return;
    };
    h.timing = ("2s", "60s"); // the operator's defaults
    h.provider_config().await;
    h.start_operator(&[]);
    for i in 0..n {
        h.create::<DBInstance>(json!({
            "apiVersion": "mongocloud.dev/v1alpha1", "kind": "DBInstance", "metadata": {"name": format!("db-{i}")},
            "spec": {"providerConfigRef": {"name": h.pc}, "forProvider": {"regionId": "cn-hangzhou", "engineVersion": "6.0", "instanceClass": "dds.mongo.mid", "storageGB": 20}}
        }))
        .await;
    }
    // When each object was first seen Ready (ms since the epoch), polled every 50 ms.
    let mut ready_at: BTreeMap<String, i64> = BTreeMap::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(180);
    while ready_at.len() < n && std::time::Instant::now() < deadline {
        let now = chrono::Utc::now().timestamp_millis();
        for d in h
            .api::<DBInstance>()
            .list(&ListParams::default())
            .await
            .expect("list")
        {
            let st = d.status.clone().unwrap_or_default();
            let ready = support::condition(&st.conditions, "Ready").is_some_and(|c| c.is_true());
            if let (true, Some(id)) = (ready, st.instance_id) {
                ready_at.entry(id).or_insert(now);
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let cloud = h.cloud_instances().await;
    let mut lags: Vec<i64> = ready_at
        .iter()
        .filter_map(|(id, seen)| {
            Some(seen - (cloud.get(id)?["createdMs"].as_i64()? + TRANSITION_MS as i64))
        })
        .collect();
    lags.sort_unstable();
    let pct = |p: f64| {
        lags.get(((lags.len() as f64 - 1.0) * p).round() as usize)
            .copied()
            .unwrap_or(-1)
    };
    let calls = h.calls().await;
    println!("instances Ready: {} of {n}", lags.len());
    println!(
        "Ready lag after the cloud reached Running (ms): p50 {} p99 {} max {}",
        pct(0.5),
        pct(0.99),
        pct(1.0)
    );
    println!(
        "cloud calls from apply to all Ready: {} ({:.1} per instance): {}",
        calls["total"],
        calls["total"].as_f64().unwrap_or(0.0) / n as f64,
        calls["actions"]
    );
}
