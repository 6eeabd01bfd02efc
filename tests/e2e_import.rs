//! `mongocloud-operator import` end to end: an emulator account of 25 instances (IP groups,
//! auditing on, three already managed), the import binary reading its ProviderConfig from the
//! real API server, the output applied as written, and the operator taking it over: every
//! object Ready and not one mutating cloud call (the emulator's own call counts). Both clouds.

mod support;

#[path = "support/accounts.rs"]
mod accounts;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use kube::api::{Api, ApiResource, DynamicObject, ListParams, PostParams};
use kube::{Resource, ResourceExt};
use mongocloud_operator::api::{AuditLogFilter, DBInstance, ProviderConfig, SecurityIpList};
use serde_json::Value;
use support::Harness;
use tokio::process::Command;

const LIMIT: Duration = Duration::from_secs(60);

/// Runs the import binary as a user would, with the test's KUBECONFIG; returns its stderr. The
/// emulator serves from this test's runtime, so the wait must not block it.
async fn import(h: &Harness, out: &Path) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_mongocloud-operator"))
        .args([
            "import",
            "--provider-config",
            &h.pc,
            "--namespace",
            &h.ns,
            "--out",
        ])
        .arg(out)
        .output()
        .await
        .expect("import runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "import failed:\n{stderr}");
    stderr
}

/// Creates every manifest in `dir` as written (no typed round trip, so no field is dropped on
/// the way); returns how many of each kind.
async fn apply_all(h: &Harness, dir: &Path) -> BTreeMap<String, usize> {
    let mut applied = BTreeMap::new();
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("out dir")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    for path in files {
        let text = std::fs::read_to_string(&path).expect("manifest");
        let body: Value = serde_yaml::from_str(&text).expect("YAML");
        let kind = body["kind"].as_str().expect("kind").to_owned();
        let resource = match kind.as_str() {
            "DBInstance" => ApiResource::erase::<DBInstance>(&()),
            "SecurityIpList" => ApiResource::erase::<SecurityIpList>(&()),
            "AuditLogFilter" => ApiResource::erase::<AuditLogFilter>(&()),
            other => panic!("unexpected kind {other} in {}", path.display()),
        };
        let object: DynamicObject = serde_json::from_value(body).expect("object");
        Api::<DynamicObject>::namespaced_with(h.client.clone(), &h.ns, &resource)
            .create(&PostParams::default(), &object)
            .await
            .unwrap_or_else(|e| panic!("{} refused: {e}", path.display()));
        *applied.entry(kind).or_default() += 1;
    }
    applied
}

fn ready_of<K: Resource>(
    obj: &K,
    conditions: Option<&Vec<mongocloud_operator::api::conditions::Condition>>,
) -> Option<String> {
    let c = conditions.and_then(|c| support::condition(c, "Ready"));
    match c {
        Some(c) if c.status == "True" => None,
        Some(c) => Some(format!(
            "{} Ready={} {}: {}",
            obj.meta().name.clone().unwrap_or_default(),
            c.status,
            c.reason,
            c.message
        )),
        None => Some(format!(
            "{} not observed",
            obj.meta().name.clone().unwrap_or_default()
        )),
    }
}

/// Waits until every object of the namespace is Ready; on timeout names those that are not.
async fn wait_all_ready(h: &Harness, expected: usize) {
    let deadline = Instant::now() + LIMIT;
    loop {
        let lp = ListParams::default();
        let mut waiting = Vec::new();
        let mut total = 0;
        for d in h.api::<DBInstance>().list(&lp).await.expect("list").items {
            total += 1;
            waiting.extend(ready_of(&d, d.status.as_ref().map(|s| &s.conditions)));
        }
        for l in h
            .api::<SecurityIpList>()
            .list(&lp)
            .await
            .expect("list")
            .items
        {
            total += 1;
            waiting.extend(ready_of(&l, l.status.as_ref().map(|s| &s.conditions)));
        }
        for a in h
            .api::<AuditLogFilter>()
            .list(&lp)
            .await
            .expect("list")
            .items
        {
            total += 1;
            waiting.extend(ready_of(&a, a.status.as_ref().map(|s| &s.conditions)));
        }
        if waiting.is_empty() && total == expected {
            return;
        }
        if Instant::now() > deadline {
            panic!(
                "{} of {total} objects not Ready after {LIMIT:?}:\n{}\n--- operator log tail ---\n{}",
                waiting.len(),
                waiting.join("\n"),
                h.log_tail(40)
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn provider_config_ready(h: &Harness) {
    let api = Api::<ProviderConfig>::all(h.client.clone());
    let deadline = Instant::now() + LIMIT;
    loop {
        let pc = api.get(&h.pc).await.expect("pc");
        if pc
            .status
            .as_ref()
            .and_then(|s| support::condition(&s.conditions, "Ready"))
            .is_some_and(|c| c.status == "True")
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "ProviderConfig not Ready: {:?}\n{}",
            pc.status,
            h.log_tail(30)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Given the account and a Ready ProviderConfig; when the import's output is applied; then
/// everything turns Ready and the cloud saw no mutating call, also one drift interval later.
async fn import_apply_and_take_over(
    mut h: Harness,
    calls_path: &str,
    seeded: accounts::Seeded,
    expected: [usize; 3],
) {
    h.start_operator(&[]);
    provider_config_ready(&h).await;
    let out = tempfile::tempdir().expect("tmp");
    let stderr = import(&h, out.path()).await;
    println!("{stderr}");
    assert!(
        stderr
            .contains("listed 25 instances in 1 page, 1 batch of attributes; skipped 3 managed: "),
        "{stderr}"
    );
    for id in seeded.managed_ids() {
        assert!(stderr.contains(&id), "managed {id} reported:\n{stderr}");
    }
    let calls = || async {
        accounts::mutating(
            &reqwest::get(format!("{}/_emulator/{calls_path}", h.emulator.url()))
                .await
                .expect("calls")
                .json::<Value>()
                .await
                .expect("json"),
        )
    };
    let before = calls().await;
    let applied = apply_all(&h, out.path()).await;
    let [dbs, lists, audits] = expected;
    assert_eq!(
        applied.get("DBInstance").copied().unwrap_or(0),
        dbs,
        "{applied:?}"
    );
    assert_eq!(
        applied.get("SecurityIpList").copied().unwrap_or(0),
        lists,
        "{applied:?}"
    );
    assert_eq!(
        applied.get("AuditLogFilter").copied().unwrap_or(0),
        audits,
        "{applied:?}"
    );
    let started = Instant::now();
    wait_all_ready(&h, dbs + lists + audits).await;
    println!(
        "{} objects Ready {:?} after the apply",
        dbs + lists + audits,
        started.elapsed()
    );
    assert_eq!(
        calls().await,
        before,
        "mutating cloud calls while taking over"
    );
    // Absence of writes is only shown over time: one drift interval (3 s) and a margin, in
    // which every object is checked against the cloud again.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(
        calls().await,
        before,
        "mutating cloud calls after a drift check\n{}",
        h.log_tail(40)
    );
    for d in h
        .api::<DBInstance>()
        .list(&ListParams::default())
        .await
        .expect("list")
        .items
    {
        let synced = d
            .status
            .as_ref()
            .and_then(|s| support::condition(&s.conditions, "Synced"));
        assert!(
            synced.as_ref().is_some_and(|c| c.status == "True"),
            "{}: {synced:?}",
            d.name_any()
        );
    }
}

#[tokio::test]
async fn an_imported_aliyun_account_is_taken_over_without_a_cloud_write() {
    let Some(h) = support::harness("e2e_import_aliyun", 100).await else {
        return;
    };
    h.provider_config().await;
    let seeded = accounts::seed_aliyun(&h.emulator.url()).await;
    let expected = [
        accounts::INSTANCES - accounts::MANAGED.len(),
        accounts::WITH_IPS.len() - 1,
        accounts::AUDITED.len(),
    ];
    import_apply_and_take_over(h, "calls", seeded, expected).await;
}

#[tokio::test]
async fn an_imported_atlas_project_is_taken_over_without_a_cloud_write() {
    let Some(h) = support::harness("e2e_import_atlas", 100).await else {
        return;
    };
    h.atlas_provider_config().await;
    let seeded = accounts::seed_atlas(&h.emulator.url()).await;
    import_apply_and_take_over(
        h,
        "atlas/calls",
        seeded,
        [accounts::INSTANCES - accounts::MANAGED.len(), 1, 1],
    )
    .await;
}

/// Given a cluster made outside the operator; when a DBInstance names it without
/// `atlas.adoptExisting`, then it is refused naming that field and nothing is created; when the
/// field is set, the cluster is adopted as it is: Ready, no write.
#[tokio::test]
async fn an_atlas_cluster_of_another_owner_is_adopted_only_when_asked() {
    let Some(mut h) = support::harness("e2e_import_adopt", 100).await else {
        return;
    };
    h.atlas_provider_config().await;
    let atlas = accounts::atlas_provider(&h.emulator.url());
    use mongocloud_operator::cloud::Provider as _;
    atlas
        .create_instance(&mongocloud_operator::cloud::CreateInstance {
            region: "US_EAST_1".into(),
            engine_version: "8.0".into(),
            instance_class: "M10".into(),
            storage_gb: 10,
            replication_factor: 3,
            charge_type: "PostPaid".into(),
            name: Some("billing".into()),
            ..Default::default()
        })
        .await
        .expect("foreign cluster");
    h.start_operator(&[]);
    provider_config_ready(&h).await;
    let manifest = serde_json::json!({
        "apiVersion": "mongocloud.dev/v1alpha1", "kind": "DBInstance", "metadata": {"name": "billing"},
        "spec": {"providerConfigRef": {"name": h.pc},
                 "forProvider": {"regionId": "US_EAST_1", "engineVersion": "8.0", "instanceClass": "M10",
                                 "storageGB": 10, "readonlyReplicas": 0, "atlas": {"clusterName": "billing"}}}});
    h.create::<DBInstance>(manifest).await;
    let message = h
        .wait_for::<DBInstance, _>("billing", "Synced=False TerminalError", LIMIT, |d| {
            let c = support::condition(&d.status.as_ref()?.conditions, "Synced")?;
            (c.reason == "TerminalError").then_some(c.message)
        })
        .await;
    assert!(
        message.contains("spec.forProvider.atlas.adoptExisting"),
        "{message}"
    );
    let state = reqwest::get(format!("{}/_emulator/atlas/state", h.emulator.url()))
        .await
        .expect("state")
        .json::<Value>()
        .await
        .expect("json");
    let clusters = state["projects"][accounts::ATLAS_PROJECT]["clusters"]
        .as_object()
        .map(|c| c.len())
        .or_else(|| {
            state["projects"][accounts::ATLAS_PROJECT]["clusters"]
                .as_array()
                .map(Vec::len)
        });
    assert_eq!(clusters, Some(1), "nothing created: {state}");
    let calls = || async {
        accounts::mutating(
            &reqwest::get(format!("{}/_emulator/atlas/calls", h.emulator.url()))
                .await
                .expect("calls")
                .json::<Value>()
                .await
                .expect("json"),
        )
    };
    let before = calls().await;
    h.merge::<DBInstance>(
        "billing",
        serde_json::json!({"spec": {"forProvider": {"atlas": {"adoptExisting": true}}}}),
    )
    .await;
    h.wait_for::<DBInstance, _>("billing", "Ready=True", LIMIT, |d| {
        support::has_condition(d, &d.status.as_ref()?.conditions, "Ready", "True", None)
    })
    .await;
    h.wait_for::<DBInstance, _>("billing", "Synced=True", LIMIT, |d| {
        support::has_condition(d, &d.status.as_ref()?.conditions, "Synced", "True", None)
    })
    .await;
    assert_eq!(calls().await, before, "the adopted cluster is not written");
    h.kill_operator();
}
