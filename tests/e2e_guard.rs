//! One bad object never wedges a watch, on the real API server: a DBInstance stored under an
//! older, looser schema (`engineVersion: "3.2"`, which the current type refuses) sits in the
//! namespace when the operator starts. The operator still starts, names the object and its
//! decode error in a warning Event and its log, makes no cloud call for it, and takes a good
//! DBInstance created beside it to Ready; once the bad one is fixed it is reconciled too.

mod support;

use std::time::{Duration, Instant};

use k8s_openapi::api::events::v1::Event;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::core::{DeserializeGuard, DynamicObject};
use mongocloud_operator::api::{DBInstance, crds};
use serde_json::{Value, json};
use support::has_condition;

/// The DBInstance CRD, optionally with "3.2" among the engine versions (the "older schema").
fn dbinstance_crd(with_old_engine: bool) -> Value {
    let (_, crd) = crds::all()
        .into_iter()
        .find(|(_, c)| c.metadata.name.as_deref() == Some("dbinstances.mongocloud.dev"))
        .expect("DBInstance CRD");
    let mut crd = serde_json::to_value(crd).expect("crd json");
    if with_old_engine {
        let engine = &mut crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
            ["properties"]["forProvider"]["properties"]["engineVersion"]["enum"];
        engine
            .as_array_mut()
            .expect("engineVersion is an enum")
            .push(json!("3.2"));
    }
    crd
}

async fn apply_crd(client: &kube::Client, crd: &Value) {
    Api::<CustomResourceDefinition>::all(client.clone())
        .patch(
            "dbinstances.mongocloud.dev",
            &PatchParams::apply("mongocloud-tests").force(),
            &Patch::Apply(crd),
        )
        .await
        .expect("CRD applied");
}

/// Retries `attempt` until it returns true (the API server takes a moment to use a new schema).
async fn eventually(what: &str, mut attempt: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !attempt().await {
        assert!(Instant::now() < deadline, "{what}: not within 20 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn an_undecodable_object_is_reported_and_every_other_object_keeps_reconciling() {
    let Some(mut h) = support::harness("guard", 300).await else {
        return;
    };
    h.provider_config().await;
    let raw: Api<DynamicObject> = Api::namespaced_with(
        h.client.clone(),
        &h.ns,
        &kube::core::ApiResource::erase::<DBInstance>(&()),
    );
    let mut manifest = h.small_dbinstance("old");
    manifest["metadata"]["namespace"] = json!(h.ns);
    manifest["spec"]["forProvider"]["engineVersion"] = json!("3.2");
    let old: DynamicObject = serde_json::from_value(manifest.clone()).expect("object");

    // Store the object under the looser schema, then put the current schema back.
    apply_crd(&h.client, &dbinstance_crd(true)).await;
    eventually("created under the old schema", async || {
        raw.create(&PostParams::default(), &old).await.is_ok()
    })
    .await;
    apply_crd(&h.client, &dbinstance_crd(false)).await;
    manifest["metadata"]["name"] = json!("probe");
    let probe: DynamicObject = serde_json::from_value(manifest).expect("object");
    eventually("the current schema refuses 3.2 again", async || {
        let dry = PostParams {
            dry_run: true,
            ..PostParams::default()
        };
        raw.create(&dry, &probe).await.is_err()
    })
    .await;
    let typed = h.api::<DBInstance>();
    assert!(
        typed.get("old").await.is_err(),
        "the stored object does not decode as a DBInstance"
    );

    h.start_operator(&[]);
    h.dbinstance_ready_with_secret("good", Duration::from_secs(40))
        .await;

    // The bad object is named, with its decode error, in a warning Event and in the log.
    let events: Api<Event> = Api::namespaced(h.client.clone(), &h.ns);
    eventually("a CannotDecode Event on old", async || {
        events
            .list(&Default::default())
            .await
            .expect("events")
            .items
            .iter()
            .any(|e| {
                e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some("old")
                    && e.reason.as_deref() == Some("CannotDecode")
                    && e.type_.as_deref() == Some("Warning")
                    && e.note.as_deref().is_some_and(|n| n.contains("3.2"))
            })
    })
    .await;
    let log = h.log_tail(10_000);
    assert!(
        log.lines()
            .any(|l| l.contains("cannot be decoded") && l.contains("old") && l.contains("3.2")),
        "no log line names the object and its error:\n{log}"
    );
    // Left alone: no status written, no finalizer, one instance in the cloud (the good one's).
    let guarded: Api<DeserializeGuard<DBInstance>> = Api::namespaced(h.client.clone(), &h.ns);
    let stored = raw.get("old").await.expect("old");
    assert!(
        stored.data.get("status").is_none(),
        "old was not reconciled: {stored:?}"
    );
    assert!(guarded.get("old").await.expect("guarded get").0.is_err());
    assert_eq!(h.cloud_instances().await.len(), 1, "only good was created");

    // Fixed, it is reconciled like any other.
    h.merge::<DBInstance>(
        "old",
        json!({"spec": {"forProvider": {"engineVersion": "6.0"}}}),
    )
    .await;
    h.wait_for::<DBInstance, _>("old", "Ready=True", Duration::from_secs(40), |d| {
        has_condition(d, &d.status.as_ref()?.conditions, "Ready", "True", None)
    })
    .await;
    assert_eq!(h.cloud_instances().await.len(), 2);
}
