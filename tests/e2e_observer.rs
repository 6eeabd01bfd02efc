//! Batched observation end to end: with requeue timers far longer than the test, a few dozen (60)
//! DBInstances still reach Ready, because the observer's batched refreshes see each instance
//! reach Running and trigger its reconcile. The emulator's call counts show the batching.

mod support;

use std::time::Duration;

use mongocloud_operator::api::DBInstance;
use serde_json::json;
use support::has_condition;

const INSTANCES: usize = 60;

#[tokio::test]
async fn ready_comes_from_the_observer_in_batched_calls() {
    let Some(mut h) = support::harness("observer", 1500).await else {
        return;
    };
    h.provider_config().await;
    // Timers of 10 minutes: nothing but the observer's change stream can bring Ready in time.
    h.timing = ("600s", "600s");
    h.start_operator(&["--observe-interval", "500ms", "--cloud-rate-limit", "50"]);
    for i in 0..INSTANCES {
        h.create::<DBInstance>(h.small_dbinstance(&format!("db-{i:02}")))
            .await;
    }
    for i in 0..INSTANCES {
        h.wait_for::<DBInstance, _>(
            &format!("db-{i:02}"),
            "Ready=True from the observer",
            Duration::from_secs(40),
            |d| has_condition(d, &d.status.as_ref()?.conditions, "Ready", "True", None),
        )
        .await;
    }
    let calls = h.calls().await;
    let count = |action: &str| calls["actions"][action].as_u64().unwrap_or(0);
    assert_eq!(
        count("CreateDBInstance"),
        INSTANCES as u64,
        "one create each: {calls}"
    );
    let attribute_calls = count("DescribeDBInstanceAttribute");
    println!("cloud calls from apply to all Ready: {calls}");
    // Per-resource polling needs at least one attribute call per instance after its create.
    assert!(
        attribute_calls < INSTANCES as u64 / 2,
        "{attribute_calls} attribute calls for {INSTANCES} instances followed from Creating to Running: not batched ({calls})"
    );

    // Steady: the listing vouches for every instance; no more attribute calls per resource.
    let before = h.calls().await["total"].as_u64().unwrap_or(0);
    for i in 0..INSTANCES {
        h.merge::<DBInstance>(
            &format!("db-{i:02}"),
            json!({"metadata": {"annotations": {"test/poke": "1"}}}),
        )
        .await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = h.calls().await["total"].as_u64().unwrap_or(0);
    assert_eq!(
        after - before,
        0,
        "{INSTANCES} reconciles of steady instances were answered from the snapshot: {}",
        h.calls().await
    );
}
