//! The chaos driver: a seeded workload on both clouds (creates, spec changes, IP-list edits,
//! audit changes, backups, deletes under both policies) while the operator is SIGKILLed at
//! random points, the API server is restarted (etcd kept) and the emulator switches fault
//! modes. After the faults stop it waits for convergence and checks, from the emulator's own
//! state: duplicates, leaked instances, lost updates, objects stuck in deletion, and that no
//! secret value appears in the operator's log, the Events or any status. It prints a figures
//! table (see docs/reliability.md).
//!
//! `CHAOS_KEEP_LOG=FILE` keeps a copy of the operator's complete log (with
//! `MONGOCLOUD_TEST_LOG=info,mongocloud_operator=debug` it shows every cloud call and how long it
//! waited for its budget).
//!
//! The short version runs in `make test`. The full one is
//! `CHAOS_KILLS=50 CHAOS_APISERVER_RESTARTS=3 CHAOS_SECONDS=420 scripts/with-cluster.sh cargo test --test chaos chaos_keeps -- --nocapture`.
//! Bounded in time and count; everything it starts (emulator, operator) stops with the harness;
//! API-server restarts use `scripts/local-cluster.sh restart-apiserver` on the cluster of
//! `KUBECONFIG`, and are skipped (and reported) on a cluster that script did not start.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Event, Secret};
use kube::api::{Api, DeleteParams, ListParams, PostParams};
use mongocloud_operator::api::{
    AuditLogFilter, Backup, DBInstance, ProviderConfig, SecurityIpList,
};
use mongocloud_operator::cloud::atlas::provider::DEFAULT_PER_MINUTE;
use mongocloud_operator::cloud::atlas::{access_list, audit};
use rand::{Rng, SeedableRng, rngs::StdRng};
use serde_json::{Value, json};
use support::{ATLAS_PRIVATE, ATLAS_PROJECT, ATLAS_PUBLIC, Harness, KEY_SECRET};

/// Values that must never leave the operator.
const PASSWORD: &str = "Chaos-Passw0rd-7f3a";

/// How long and how hard one run is, from the environment (defaults: the short version).
struct Settings {
    kills: u32,
    apiserver_restarts: u32,
    seconds: u64,
    seed: u64,
    /// Share of requests the storms fault (`CHAOS_FAULT_PERCENT`, default 30); 0 runs the same
    /// workload fault-free, the baseline for calls per minute.
    fault_rate: f64,
    /// The Atlas ProviderConfig's `requestsPerSecond` (`CHAOS_ATLAS_RPS`, default 15); 0 leaves
    /// it unset, so the operator budgets the project at its default of 100 calls a minute.
    atlas_rps: u32,
    /// The operator's `--drift-interval` in seconds (`CHAOS_DRIFT_SECS`, default 3; the
    /// operator's own default is 60).
    drift_secs: u64,
}

impl Settings {
    fn from_env() -> Self {
        let num = |name: &str, default: u64| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(default)
        };
        Settings {
            kills: u32::try_from(num("CHAOS_KILLS", 10)).unwrap_or(10),
            apiserver_restarts: u32::try_from(num("CHAOS_APISERVER_RESTARTS", 1)).unwrap_or(1),
            seconds: num("CHAOS_SECONDS", 100),
            seed: num("CHAOS_SEED", 22),
            fault_rate: num("CHAOS_FAULT_PERCENT", 30) as f64 / 100.0,
            atlas_rps: u32::try_from(num("CHAOS_ATLAS_RPS", 15)).unwrap_or(15),
            drift_secs: num("CHAOS_DRIFT_SECS", 3),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Cloud {
    Aliyun,
    Atlas,
}

/// What the driver asked for, to compare with the cloud at the end.
#[derive(Default)]
struct Model {
    /// DBInstance name → (cloud, deletion policy, desired description or tag).
    instances: BTreeMap<String, (Cloud, &'static str, String)>,
    /// UIDs of DBInstances deleted with `Orphan`: their cloud instances stay by design.
    orphaned: BTreeSet<String>,
    deleted: BTreeSet<String>,
    /// SecurityIpList name → (cloud, entries).
    ip_lists: BTreeMap<String, (Cloud, Vec<String>)>,
    /// AuditLogFilter name → (cloud, filter).
    audits: BTreeMap<String, (Cloud, Vec<&'static str>)>,
    next: u32,
}

/// Fault plans the driver cycles through, each at `rate`.
fn storms(rate: f64) -> Vec<Value> {
    let plan = |modes: &[&str]| json!({"rate": rate, "modes": modes, "burst": 3, "retryAfterSecs": 1, "hangMs": 4000, "slowMs": 1500});
    vec![
        plan(&["throttle", "throttleNoRetryAfter"]),
        plan(&["serverError", "htmlError", "reset"]),
        plan(&["lostAnswer", "errorAfterApply"]),
        plan(&["hang", "slow"]),
        plan(&["malformed", "wrongContentType"]),
        plan(&[
            "throttle",
            "serverError",
            "htmlError",
            "reset",
            "lostAnswer",
            "errorAfterApply",
            "hang",
            "slow",
            "malformed",
            "wrongContentType",
        ]),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_keeps_both_clouds_exact() {
    let settings = Settings::from_env();
    let config = mongocloud_operator::emulator::Config {
        transition: Duration::from_millis(300),
        ..Default::default()
    };
    let Some(mut h) = support::harness_with("chaos", config).await else {
        return;
    };
    // Leaked once per run: the harness keeps its timings as static text.
    h.timing.1 = Box::leak(format!("{}s", settings.drift_secs).into_boxed_str());
    h.provider_config().await;
    let atlas_pc = atlas_provider_config(&h, settings.atlas_rps).await;
    password_secret(&h).await;
    h.start_operator(&["--cloud-timeout", "3s"]);
    let mut rng = StdRng::seed_from_u64(settings.seed);
    let mut model = Model::default();
    for cloud in [Cloud::Aliyun, Cloud::Atlas] {
        create_base(&h, &atlas_pc, cloud, &mut model).await;
    }

    let started = Instant::now();
    let run = Duration::from_secs(settings.seconds);
    let kill_every = run / (settings.kills + 1);
    let restart_every = run / (settings.apiserver_restarts + 1);
    let cluster_dir = cluster_dir();
    let (mut kills, mut restarts, mut storm) = (0, 0, 0);
    let plans = storms(settings.fault_rate);
    let mut calls_before = 0;
    while started.elapsed() < run {
        let elapsed = started.elapsed();
        if elapsed >= kill_every * (kills + 1) && kills < settings.kills {
            h.kill_operator();
            tokio::time::sleep(Duration::from_millis(rng.random_range(0..400))).await;
            h.start_operator(&["--cloud-timeout", "3s"]);
            kills += 1;
        }
        if elapsed >= restart_every * (restarts + 1) && restarts < settings.apiserver_restarts {
            if let Some(dir) = &cluster_dir {
                restart_apiserver(dir);
            }
            restarts += 1;
        }
        let wanted = usize::try_from(elapsed.as_secs() / 10).unwrap_or(0) % plans.len();
        if wanted != storm || calls_before == 0 {
            storm = wanted;
            h.set_faults(&plans[storm]).await;
            calls_before = 1;
        }
        step(&h, &atlas_pc, &mut rng, &mut model).await;
        tokio::time::sleep(Duration::from_millis(rng.random_range(300..1200))).await;
    }
    // Lost answers strike mutations only, so a short run's storms can draw none: the workload
    // then goes on under lost answers alone until one has struck (at most a minute).
    if settings.fault_rate > 0.0 && lost_answers(&h).await == 0 {
        h.set_faults(&json!({"rate": 0.5, "modes": ["lostAnswer"]}))
            .await;
        let top_up = Instant::now();
        while lost_answers(&h).await == 0 && top_up.elapsed() < Duration::from_secs(60) {
            step(&h, &atlas_pc, &mut rng, &mut model).await;
            tokio::time::sleep(Duration::from_millis(rng.random_range(300..1200))).await;
        }
    }
    let storm_calls = total_calls(&h).await;
    let storm_minutes = started.elapsed().as_secs_f64() / 60.0;
    let faults = h.faults().await;
    h.set_faults(&json!({"rate": 0.0})).await;
    let calm = Instant::now();
    let drift = Duration::from_secs(settings.drift_secs);
    let converged = converge(&h, &model, Duration::from_secs(180), drift).await;
    let converge_secs = calm.elapsed().as_secs_f64();
    if let Ok(path) = std::env::var("CHAOS_KEEP_LOG") {
        std::fs::copy(h.log_path(), &path).expect("operator log copied to CHAOS_KEEP_LOG");
    }
    let report = check(&h, &model).await;
    let calls_after = total_calls(&h).await - storm_calls;
    print_figures(&Figures {
        settings: &settings,
        kills,
        restarts: if cluster_dir.is_some() { restarts } else { 0 },
        faults: &faults,
        storm_calls_per_minute: storm_calls as f64 / storm_minutes,
        calm_calls: calls_after,
        converge_secs,
        converged,
        drift,
        report: &report,
    });
    delete_atlas_pc(&h, &atlas_pc).await;
    assert!(
        converged,
        "objects did not converge within 180 s after the faults stopped:\n{}",
        h.log_tail(60)
    );
    assert_eq!(report.duplicates, Vec::<String>::new(), "duplicates");
    assert_eq!(report.leaked, Vec::<String>::new(), "leaked");
    assert_eq!(report.lost_updates, Vec::<String>::new(), "lost updates");
    assert_eq!(report.stuck, Vec::<String>::new(), "stuck in deletion");
    assert_eq!(report.secrets, Vec::<String>::new(), "secrets leaked");
    assert!(
        settings.fault_rate == 0.0 || faults["struck"]["lostAnswer"].as_u64().unwrap_or(0) > 0,
        "lost answers struck: {faults}"
    );
}

/// The cluster directory made by `scripts/local-cluster.sh up` (beside the kubeconfig).
fn cluster_dir() -> Option<PathBuf> {
    let kubeconfig = PathBuf::from(std::env::var_os("KUBECONFIG")?);
    let dir = kubeconfig.parent()?.to_owned();
    dir.join(".local-control-plane").exists().then_some(dir)
}

fn restart_apiserver(dir: &std::path::Path) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/local-cluster.sh");
    let out = std::process::Command::new(script)
        .arg("restart-apiserver")
        .arg(dir)
        .output()
        .expect("restart script runs");
    assert!(
        out.status.success(),
        "API server restart failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn lost_answers(h: &Harness) -> u64 {
    h.faults().await["struck"]["lostAnswer"]
        .as_u64()
        .unwrap_or(0)
}

async fn total_calls(h: &Harness) -> u64 {
    let dds = h.calls().await["total"].as_u64().unwrap_or(0);
    let atlas = h.atlas_calls().await["total"].as_u64().unwrap_or(0);
    dds + atlas
}

/// The Atlas ProviderConfig; `rps` 0 leaves `requestsPerSecond` unset (the operator's default
/// budget of 100 calls a minute for the project).
///
/// The chaos driver compresses time twentyfold (a 3 s drift interval against the default 60 s),
/// so a budget held at its real-time value would leave catching-up objects queueing behind the
/// drift reads of settled ones. Its default of 15 a second scales the budget the same way, kept
/// under the emulator's own Atlas limit of 1,000 a minute so that limit still answers 429 to an
/// operator that exceeds it.
async fn atlas_provider_config(h: &Harness, rps: u32) -> String {
    let name = format!("{}-atlas", h.pc);
    let secret: Secret = serde_json::from_value(json!({
        "metadata": {"name": "atlas-credentials", "namespace": h.ns},
        "stringData": {"publicKey": ATLAS_PUBLIC, "privateKey": ATLAS_PRIVATE}
    }))
    .expect("secret");
    h.api::<Secret>()
        .create(&PostParams::default(), &secret)
        .await
        .expect("secret created");
    let mut pc: ProviderConfig = serde_json::from_value(json!({
        "apiVersion": "mongocloud.dev/v1alpha1", "kind": "ProviderConfig", "metadata": {"name": name},
        "spec": {"provider": "Atlas", "projectId": ATLAS_PROJECT,
                 "endpoint": format!("{}/api/atlas/v2", h.emulator.url()),
                 "credentials": {"secretRef": {"namespace": h.ns, "name": "atlas-credentials"}}}
    }))
    .expect("pc");
    if rps > 0 {
        pc.spec.requests_per_second = Some(rps);
    }
    Api::<ProviderConfig>::all(h.client.clone())
        .create(&PostParams::default(), &pc)
        .await
        .expect("pc created");
    name
}

async fn delete_atlas_pc(h: &Harness, name: &str) {
    let api = Api::<ProviderConfig>::all(h.client.clone());
    let _ = api
        .patch(
            name,
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(json!({"metadata": {"finalizers": null}})),
        )
        .await;
    let _ = api.delete(name, &DeleteParams::default()).await;
}

async fn password_secret(h: &Harness) {
    let secret: Secret = serde_json::from_value(json!({
        "metadata": {"name": "db-password", "namespace": h.ns},
        "stringData": {"password": PASSWORD}
    }))
    .expect("secret");
    h.api::<Secret>()
        .create(&PostParams::default(), &secret)
        .await
        .expect("secret created");
}

fn pc_of<'a>(h: &'a Harness, atlas_pc: &'a str, cloud: Cloud) -> &'a str {
    match cloud {
        Cloud::Aliyun => &h.pc,
        Cloud::Atlas => atlas_pc,
    }
}

fn instance_manifest(pc: &str, cloud: Cloud, name: &str, policy: &str, rev: &str) -> Value {
    let for_provider = match cloud {
        Cloud::Aliyun => json!({"regionId": "cn-hangzhou", "engineVersion": "6.0",
            "instanceClass": "dds.mongo.mid", "storageGB": 20, "description": rev,
            "accountPasswordSecretRef": {"name": "db-password", "key": "password"}}),
        Cloud::Atlas => json!({"regionId": "US_EAST_1", "engineVersion": "8.0",
            "instanceClass": "M10", "storageGB": 10, "tags": {"rev": rev},
            "atlas": {"providerName": "AWS", "backupEnabled": true}}),
    };
    json!({"apiVersion": "mongocloud.dev/v1alpha1", "kind": "DBInstance", "metadata": {"name": name},
           "spec": {"providerConfigRef": {"name": pc}, "deletionPolicy": policy,
                    "forProvider": for_provider,
                    "writeConnectionSecretToRef": {"name": format!("{name}-conn")}}})
}

/// The instance every sub-resource of one cloud points at, with its IP list and audit filter.
async fn create_base(h: &Harness, atlas_pc: &str, cloud: Cloud, model: &mut Model) {
    let pc = pc_of(h, atlas_pc, cloud);
    let base = base_name(cloud);
    h.create::<DBInstance>(instance_manifest(pc, cloud, &base, "Delete", "r0"))
        .await;
    model
        .instances
        .insert(base.clone(), (cloud, "Delete", "r0".to_owned()));
    let ips = vec!["192.0.2.1".to_owned()];
    h.create::<SecurityIpList>(ip_list_manifest(pc, cloud, &base, &ips))
        .await;
    model.ip_lists.insert(format!("{base}-ips"), (cloud, ips));
    let filter = vec!["admin"];
    h.create::<AuditLogFilter>(audit_manifest(pc, &base, &filter))
        .await;
    model
        .audits
        .insert(format!("{base}-audit"), (cloud, filter));
}

fn base_name(cloud: Cloud) -> String {
    match cloud {
        Cloud::Aliyun => "ali-base".to_owned(),
        Cloud::Atlas => "atlas-base".to_owned(),
    }
}

/// An IP list of `base`; on Aliyun the group `chaos` (Atlas has no groups: the entries carry the
/// object's UID in their comment).
fn ip_list_manifest(pc: &str, cloud: Cloud, base: &str, ips: &[String]) -> Value {
    let entries: Vec<Value> = ips.iter().map(|ip| json!({"ip": ip})).collect();
    let mut for_provider = json!({"dbInstanceRef": {"name": base}, "entries": entries});
    if cloud == Cloud::Aliyun {
        for_provider["groupName"] = json!("chaos");
    }
    json!({"apiVersion": "mongocloud.dev/v1alpha1", "kind": "SecurityIpList", "metadata": {"name": format!("{base}-ips")},
           "spec": {"providerConfigRef": {"name": pc}, "forProvider": for_provider}})
}

fn audit_manifest(pc: &str, base: &str, filter: &[&str]) -> Value {
    json!({"apiVersion": "mongocloud.dev/v1alpha1", "kind": "AuditLogFilter", "metadata": {"name": format!("{base}-audit")},
           "spec": {"providerConfigRef": {"name": pc}, "forProvider": {"dbInstanceRef": {"name": base}, "filter": filter}}})
}

/// One random operation of the workload. API errors (the API server restarting) are skipped:
/// the model only records what the API server accepted.
async fn step(h: &Harness, atlas_pc: &str, rng: &mut StdRng, model: &mut Model) {
    let cloud = if rng.random_bool(0.5) {
        Cloud::Aliyun
    } else {
        Cloud::Atlas
    };
    let pc = pc_of(h, atlas_pc, cloud).to_owned();
    model.next += 1;
    let rev = format!("r{}", model.next);
    let live: Vec<String> = model
        .instances
        .iter()
        .filter(|(name, (c, ..))| *c == cloud && !name.ends_with("-base"))
        .map(|(name, _)| name.clone())
        .collect();
    match rng.random_range(0..6) {
        0 => {
            let name = format!(
                "{}-{}",
                if cloud == Cloud::Aliyun {
                    "ali"
                } else {
                    "atlas"
                },
                model.next
            );
            let policy = if rng.random_bool(0.5) {
                "Delete"
            } else {
                "Orphan"
            };
            let manifest = instance_manifest(&pc, cloud, &name, policy, &rev);
            if try_create::<DBInstance>(h, manifest).await {
                model.instances.insert(name, (cloud, policy, rev));
            }
        }
        1 => {
            let target = live
                .get(rng.random_range(0..live.len().max(1)))
                .cloned()
                .unwrap_or_else(|| base_name(cloud));
            let patch = match cloud {
                Cloud::Aliyun => json!({"spec": {"forProvider": {"description": rev}}}),
                Cloud::Atlas => json!({"spec": {"forProvider": {"tags": {"rev": rev}}}}),
            };
            if try_merge::<DBInstance>(h, &target, patch).await
                && let Some(entry) = model.instances.get_mut(&target)
            {
                entry.2 = rev;
            }
        }
        2 => {
            let name = format!("{}-ips", base_name(cloud));
            let ips = vec![
                format!("192.0.2.{}", model.next % 250 + 1),
                format!("10.{}.0.0/16", model.next % 250),
            ];
            let entries: Vec<Value> = ips.iter().map(|ip| json!({"ip": ip})).collect();
            if try_merge::<SecurityIpList>(
                h,
                &name,
                json!({"spec": {"forProvider": {"entries": entries}}}),
            )
            .await
            {
                model.ip_lists.insert(name, (cloud, ips));
            }
        }
        3 => {
            let name = format!("{}-audit", base_name(cloud));
            // Atlas has no `slow` audit category (its profiler has them).
            let choices: &[&'static str] = match cloud {
                Cloud::Aliyun => &[
                    "admin", "slow", "insert", "update", "delete", "command", "query",
                ],
                Cloud::Atlas => &["admin", "insert", "update", "delete", "command", "query"],
            };
            let filter: Vec<&'static str> = choices
                .iter()
                .copied()
                .filter(|_| rng.random_bool(0.5))
                .collect();
            let filter = if filter.is_empty() {
                vec!["admin"]
            } else {
                filter
            };
            if try_merge::<AuditLogFilter>(
                h,
                &name,
                json!({"spec": {"forProvider": {"filter": filter}}}),
            )
            .await
            {
                model.audits.insert(name, (cloud, filter));
            }
        }
        4 => {
            let name = format!("{}-backup-{}", base_name(cloud), model.next);
            let manifest = json!({"apiVersion": "mongocloud.dev/v1alpha1", "kind": "Backup", "metadata": {"name": name},
                "spec": {"providerConfigRef": {"name": pc}, "deletionPolicy": "Orphan",
                         "forProvider": {"dbInstanceRef": {"name": base_name(cloud)}, "method": "Logical"}}});
            // Backups are counted from the API server at the end.
            try_create::<Backup>(h, manifest).await;
        }
        _ => {
            let Some(target) = live.first().cloned() else {
                return;
            };
            let uid = h
                .api::<DBInstance>()
                .get_opt(&target)
                .await
                .ok()
                .flatten()
                .and_then(|d| d.metadata.uid);
            if h.api::<DBInstance>()
                .delete(&target, &DeleteParams::default())
                .await
                .is_ok()
                && let Some((_, policy, _)) = model.instances.remove(&target)
            {
                if policy == "Orphan"
                    && let Some(uid) = uid
                {
                    model.orphaned.insert(uid);
                }
                model.deleted.insert(target);
            }
        }
    }
}

async fn try_create<K>(h: &Harness, mut body: Value) -> bool
where
    K: kube::Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + serde::Serialize
        + std::fmt::Debug,
{
    body["metadata"]["namespace"] = json!(h.ns);
    let obj: K = serde_json::from_value(body).expect("manifest parses");
    h.api::<K>()
        .create(&PostParams::default(), &obj)
        .await
        .is_ok()
}

async fn try_merge<K>(h: &Harness, name: &str, patch: Value) -> bool
where
    K: kube::Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
{
    h.api::<K>()
        .patch(
            name,
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(patch),
        )
        .await
        .is_ok()
}

/// Whether every live object is Ready and Synced for its generation and every deleted one is
/// gone, within `limit`.
async fn converge(h: &Harness, model: &Model, limit: Duration, trace_every: Duration) -> bool {
    let started = Instant::now();
    let deadline = started + limit;
    let mut traced = Duration::ZERO;
    while Instant::now() < deadline {
        let left = pending(h, model).await;
        if left.is_empty() {
            return true;
        }
        // What holds convergence up, once a drift interval: the figure is explained by it.
        if started.elapsed() >= traced {
            println!(
                "converging, {:.0} s: {} left: {left:?}",
                started.elapsed().as_secs_f64(),
                left.len()
            );
            traced += trace_every;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let left = pending(h, model).await;
    println!("not converged: {left:?}");
    false
}

/// Objects not yet where they should be.
async fn pending(h: &Harness, model: &Model) -> Vec<String> {
    let mut left = Vec::new();
    let Ok(instances) = h.api::<DBInstance>().list(&ListParams::default()).await else {
        return vec!["API server unavailable".to_owned()];
    };
    for d in instances {
        let name = d.metadata.name.clone().unwrap_or_default();
        let st = d
            .status
            .as_ref()
            .map(|s| s.conditions.clone())
            .unwrap_or_default();
        if !settled(d.metadata.generation, &st) {
            left.push(format!("DBInstance/{name} {}", why(&st)));
        }
    }
    macro_rules! kind {
        ($k:ty) => {
            if let Ok(list) = h.api::<$k>().list(&ListParams::default()).await {
                for o in list {
                    let st = o
                        .status
                        .as_ref()
                        .map(|s| s.conditions.clone())
                        .unwrap_or_default();
                    if !settled(o.metadata.generation, &st) {
                        left.push(format!(
                            "{}/{} {}",
                            stringify!($k),
                            o.metadata.name.unwrap_or_default(),
                            why(&st)
                        ));
                    }
                }
            }
        };
    }
    kind!(SecurityIpList);
    kind!(AuditLogFilter);
    kind!(Backup);
    for name in &model.deleted {
        if h.api::<DBInstance>()
            .get_opt(name)
            .await
            .ok()
            .flatten()
            .is_some()
        {
            left.push(format!("deleting DBInstance/{name}"));
        }
    }
    left
}

/// The conditions, for a report of what did not converge.
fn why(conditions: &[mongocloud_operator::api::conditions::Condition]) -> String {
    conditions
        .iter()
        .map(|c| format!("{}={} {}: {}", c.type_, c.status, c.reason, c.message))
        .collect::<Vec<_>>()
        .join("; ")
}

fn settled(
    generation: Option<i64>,
    conditions: &[mongocloud_operator::api::conditions::Condition],
) -> bool {
    ["Ready", "Synced"].iter().all(|t| {
        support::condition(conditions, t)
            .is_some_and(|c| c.status == "True" && c.observed_generation == generation)
    })
}

#[derive(Default)]
struct Report {
    duplicates: Vec<String>,
    leaked: Vec<String>,
    lost_updates: Vec<String>,
    stuck: Vec<String>,
    secrets: Vec<String>,
    cloud_instances: usize,
    cloud_backups: usize,
}

/// The end-state checks, from the emulator's own state.
async fn check(h: &Harness, model: &Model) -> Report {
    let mut report = Report::default();
    let objects: Vec<DBInstance> = h
        .api::<DBInstance>()
        .list(&ListParams::default())
        .await
        .map(|l| l.items)
        .unwrap_or_default();
    let live_uids: BTreeSet<String> = objects
        .iter()
        .filter_map(|d| d.metadata.uid.clone())
        .collect();
    let mut by_uid: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut cloud_backups: Vec<String> = Vec::new();
    let dds = h.cloud_instances().await;
    for (id, i) in &dds {
        if i["status"] == "Deleting" {
            continue;
        }
        report.cloud_instances += 1;
        cloud_backups.extend(
            i["backups"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|b| b["id"].as_str().map(str::to_owned)),
        );
        if let Some(uid) = i["tags"]["mongocloud-uid"].as_str() {
            by_uid.entry(uid.to_owned()).or_default().push(id.clone());
        }
    }
    let atlas = h.atlas_state().await;
    let clusters = atlas["projects"][ATLAS_PROJECT]["clusters"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for (name, c) in &clusters {
        if c["stateName"] == "DELETING" {
            continue;
        }
        report.cloud_instances += 1;
        cloud_backups.extend(
            c["snapshots"]
                .as_object()
                .into_iter()
                .flat_map(|s| s.keys().cloned()),
        );
        let uid = c["tags"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|t| t["key"] == "mongocloud-uid")
            .and_then(|t| t["value"].as_str());
        if let Some(uid) = uid {
            by_uid.entry(uid.to_owned()).or_default().push(name.clone());
        }
    }
    for (uid, ids) in &by_uid {
        if ids.len() > 1 {
            report.duplicates.push(format!("{uid}: {ids:?}"));
        }
        if !live_uids.contains(uid) && !model.orphaned.contains(uid) {
            report.leaked.push(format!("{uid}: {ids:?}"));
        }
    }
    report.cloud_backups = cloud_backups.len();
    backup_duplicates(h, &cloud_backups, &mut report).await;
    lost_updates(h, model, &objects, &dds, &clusters, &mut report).await;
    report.stuck = objects
        .iter()
        .filter(|d| d.metadata.deletion_timestamp.is_some())
        .filter_map(|d| d.metadata.name.clone())
        .collect();
    report.secrets = secrets_found(h).await;
    report
}

/// A backup in the cloud no Backup object recorded is a second start; one id recorded by two
/// objects is an adoption of a neighbour's backup. Counted from the API server's objects (a
/// create the driver saw fail during an API-server restart may still have been stored).
async fn backup_duplicates(h: &Harness, cloud_backups: &[String], report: &mut Report) {
    let objects = h
        .api::<Backup>()
        .list(&ListParams::default())
        .await
        .map(|l| l.items)
        .unwrap_or_default();
    let mut owners: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for b in &objects {
        if let Some(id) = b.status.as_ref().and_then(|s| s.backup_id.clone()) {
            owners
                .entry(id)
                .or_default()
                .push(b.metadata.name.clone().unwrap_or_default());
        }
    }
    for id in cloud_backups {
        match owners.get(id) {
            None => report
                .duplicates
                .push(format!("backup {id} in the cloud, recorded by no Backup")),
            Some(names) if names.len() > 1 => report
                .duplicates
                .push(format!("backup {id} recorded by {names:?}")),
            Some(_) => {}
        }
    }
}

async fn lost_updates(
    h: &Harness,
    model: &Model,
    objects: &[DBInstance],
    dds: &serde_json::Map<String, Value>,
    clusters: &serde_json::Map<String, Value>,
    report: &mut Report,
) {
    let cloud_of = |name: &str| {
        let d = objects
            .iter()
            .find(|d| d.metadata.name.as_deref() == Some(name))?;
        let id = d.status.as_ref()?.instance_id.clone()?;
        dds.get(&id)
            .or_else(|| clusters.get(&id))
            .or_else(|| clusters.values().find(|c| c["id"] == id.as_str()))
            .cloned()
    };
    for (name, (cloud, _, rev)) in &model.instances {
        let found = cloud_of(name);
        let actual = match (cloud, &found) {
            (Cloud::Aliyun, Some(i)) => i["description"].as_str().map(str::to_owned),
            (Cloud::Atlas, Some(c)) => c["tags"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|t| t["key"] == "rev")
                .and_then(|t| t["value"].as_str())
                .map(str::to_owned),
            (_, None) => None,
        };
        if actual.as_deref() != Some(rev.as_str()) {
            report
                .lost_updates
                .push(format!("DBInstance/{name}: want {rev}, cloud {actual:?}"));
        }
    }
    for (name, (cloud, ips)) in &model.ip_lists {
        let want = canonical(ips.iter().cloned());
        let base = base_name(*cloud);
        let listed: Vec<String> = match cloud {
            Cloud::Aliyun => cloud_of(&base)
                .and_then(|i| i["securityGroups"]["chaos"]["ips"].as_array().cloned())
                .unwrap_or_default()
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            Cloud::Atlas => h.atlas_state().await["projects"][ATLAS_PROJECT]["accessList"]
                .as_object()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default(),
        };
        let got = canonical(listed);
        if got != want {
            report.lost_updates.push(format!(
                "SecurityIpList/{name}: want {want:?}, cloud {got:?}"
            ));
        }
    }
    for (name, (cloud, filter)) in &model.audits {
        let want: BTreeSet<&str> = filter.iter().copied().collect();
        let got: BTreeSet<String> = match cloud {
            Cloud::Aliyun => cloud_of(&base_name(*cloud))
                .and_then(|i| {
                    i["auditFilter"]
                        .as_str()
                        .map(|f| f.split(',').map(str::to_owned).collect())
                })
                .unwrap_or_default(),
            Cloud::Atlas => {
                let auditing = h.atlas_state().await["projects"][ATLAS_PROJECT]["auditing"].clone();
                audit_filter_of_atlas(&auditing)
            }
        };
        let want: BTreeSet<String> = want.into_iter().map(str::to_owned).collect();
        if got != want {
            report.lost_updates.push(format!(
                "AuditLogFilter/{name}: want {want:?}, cloud {got:?}"
            ));
        }
    }
}

/// The categories of Atlas' auditing filter, as the operator wrote it.
fn audit_filter_of_atlas(auditing: &Value) -> BTreeSet<String> {
    auditing["auditFilter"]
        .as_str()
        .and_then(audit::categories_of)
        .unwrap_or_default()
        .into_iter()
        .collect()
}

fn canonical(ips: impl IntoIterator<Item = String>) -> BTreeSet<String> {
    ips.into_iter()
        .map(|ip| access_list::canonical_cidr(&ip).unwrap_or(ip))
        .collect()
}

/// Every secret value found in the operator's log, the namespace's Events or any status.
async fn secrets_found(h: &Harness) -> Vec<String> {
    let log = h.log_tail(usize::MAX);
    let events = Api::<Event>::namespaced(h.client.clone(), &h.ns)
        .list(&ListParams::default())
        .await
        .map(|l| serde_json::to_string(&l.items).unwrap_or_default())
        .unwrap_or_default();
    let mut statuses = String::new();
    macro_rules! statuses {
        ($k:ty) => {
            if let Ok(list) = h.api::<$k>().list(&ListParams::default()).await {
                for o in list {
                    statuses.push_str(&serde_json::to_string(&o.status).unwrap_or_default());
                }
            }
        };
    }
    statuses!(DBInstance);
    statuses!(SecurityIpList);
    statuses!(AuditLogFilter);
    statuses!(Backup);
    let mut found = Vec::new();
    for (place, text) in [
        ("operator log", &log),
        ("Events", &events),
        ("statuses", &statuses),
    ] {
        for (what, secret) in [
            ("Dds access key secret", KEY_SECRET),
            ("Atlas private key", ATLAS_PRIVATE),
            ("database password", PASSWORD),
        ] {
            if text.contains(secret) {
                found.push(format!("{what} in {place}"));
            }
        }
    }
    found
}

struct Figures<'a> {
    settings: &'a Settings,
    kills: u32,
    restarts: u32,
    faults: &'a Value,
    storm_calls_per_minute: f64,
    calm_calls: u64,
    converge_secs: f64,
    converged: bool,
    /// The operator's drift interval: the convergence target is two of them.
    drift: Duration,
    report: &'a Report,
}

fn print_figures(f: &Figures<'_>) {
    let r = f.report;
    println!("\n| chaos figure | value |\n|---|---|");
    let rows = [
        (
            "seed / run seconds / fault rate",
            format!(
                "{} / {} / {}",
                f.settings.seed, f.settings.seconds, f.settings.fault_rate
            ),
        ),
        ("operator SIGKILLs", f.kills.to_string()),
        ("API-server restarts (etcd kept)", f.restarts.to_string()),
        ("faults struck (total)", f.faults["total"].to_string()),
        ("faults struck by mode", f.faults["struck"].to_string()),
        (
            "cloud calls / minute under faults",
            format!("{:.0}", f.storm_calls_per_minute),
        ),
        ("cloud calls while converging", f.calm_calls.to_string()),
        (
            "Atlas budget (requestsPerSecond)",
            match f.settings.atlas_rps {
                0 => format!("unset: {DEFAULT_PER_MINUTE} calls a minute"),
                n => format!("{n} a second"),
            },
        ),
        (
            "converged after faults stopped",
            format!("{} in {:.1} s", f.converged, f.converge_secs),
        ),
        (
            "within 2 drift intervals",
            format!(
                "{} (2 × {:.0} s)",
                if f.converged && f.converge_secs <= 2.0 * f.drift.as_secs_f64() {
                    "met"
                } else {
                    "missed"
                },
                f.drift.as_secs_f64()
            ),
        ),
        (
            "cloud instances / backups at the end",
            format!("{} / {}", r.cloud_instances, r.cloud_backups),
        ),
        ("duplicates", r.duplicates.len().to_string()),
        ("leaked", r.leaked.len().to_string()),
        ("lost updates", r.lost_updates.len().to_string()),
        ("stuck in deletion", r.stuck.len().to_string()),
        ("secret values found", r.secrets.len().to_string()),
    ];
    for (name, value) in rows {
        println!("| {name} | {value} |");
    }
    for (what, list) in [
        ("duplicates", &r.duplicates),
        ("leaked", &r.leaked),
        ("lost updates", &r.lost_updates),
        ("stuck", &r.stuck),
        ("secrets", &r.secrets),
    ] {
        for item in list {
            println!("{what}: {item}");
        }
    }
}

/// The soak: `SOAK_RESOURCES` mixed resources (DBInstances on both clouds, a SecurityIpList and
/// a Backup per Aliyun instance) for `SOAK_MINUTES` at 10 % faults with churn (a spec change and
/// a delete + re-create every few seconds), sampling the operator's RSS and the cloud calls per
/// minute. Writes `docs/soak.svg` and prints the samples. Long, so not part of `make test`:
/// `SOAK_RESOURCES=300 SOAK_MINUTES=30 scripts/with-cluster.sh cargo test --test chaos soak -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "long: see docs/reliability.md"]
async fn soak() {
    let env = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (resources, minutes) = (env("SOAK_RESOURCES", 100), env("SOAK_MINUTES", 10));
    let config = mongocloud_operator::emulator::Config {
        transition: Duration::from_millis(300),
        ..Default::default()
    };
    let Some(mut h) = support::harness_with("soak", config).await else {
        return;
    };
    h.timing = ("2s", "60s");
    h.provider_config().await;
    let atlas_pc = atlas_provider_config(&h, 0).await;
    password_secret(&h).await;
    h.start_operator(&[]);
    h.set_faults(&json!({"rate": 0.1, "modes": ["throttle", "serverError", "htmlError", "reset", "lostAnswer", "errorAfterApply", "slow", "malformed", "wrongContentType"], "slowMs": 1000})).await;
    let mut rng = StdRng::seed_from_u64(env("CHAOS_SEED", 22));
    let names = populate(&h, &atlas_pc, resources).await;
    let started = Instant::now();
    let mut samples: Vec<Sample> = Vec::new();
    let mut last_calls = total_calls(&h).await;
    let mut last_sample = Instant::now();
    let mut churn = 0u32;
    while started.elapsed() < Duration::from_secs(minutes * 60) {
        churn_once(&h, &atlas_pc, &names, &mut rng, &mut churn).await;
        if last_sample.elapsed() >= Duration::from_secs(30) {
            let calls = total_calls(&h).await;
            let per_minute =
                (calls - last_calls) as f64 * 60.0 / last_sample.elapsed().as_secs_f64();
            samples.push(Sample {
                minute: started.elapsed().as_secs_f64() / 60.0,
                rss_mib: h.operator_pid().map_or(0.0, rss_mib),
                calls_per_minute: per_minute,
            });
            (last_calls, last_sample) = (calls, Instant::now());
        }
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    delete_atlas_pc(&h, &atlas_pc).await;
    println!("\n| minute | operator RSS (MiB) | cloud calls / minute |\n|---|---|---|");
    for s in &samples {
        println!(
            "| {:.1} | {:.1} | {:.0} |",
            s.minute, s.rss_mib, s.calls_per_minute
        );
    }
    let after = |m: f64| samples.iter().find(|s| s.minute >= m).map(|s| s.rss_mib);
    let growth = match (after(5.0), samples.last().map(|s| s.rss_mib)) {
        (Some(at5), Some(end)) if at5 > 0.0 => Some((end - at5) / at5 * 100.0),
        _ => None,
    };
    if let Some(growth) = growth {
        println!("RSS growth from minute 5 to the end: {growth:+.1} %");
    }
    let secrets = secrets_found(&h).await;
    println!("secret values found: {secrets:?}");
    let svg = soak_svg(&samples, resources, minutes);
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/soak.svg");
    std::fs::write(path, svg).expect("write docs/soak.svg");
    assert_eq!(
        secrets,
        Vec::<String>::new(),
        "secret values in the log, Events or statuses"
    );
    if minutes > 5 {
        let growth = growth.expect("RSS sampled at minute 5 and at the end");
        assert!(
            growth <= 10.0,
            "RSS grew {growth:.1} % from minute 5 to the end"
        );
    }
}

struct Sample {
    minute: f64,
    rss_mib: f64,
    calls_per_minute: f64,
}

fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Creates the soak's resources: a third Atlas clusters, the rest Aliyun instances with an IP
/// list each and a Backup for every other one. Returns the DBInstance names with their cloud.
async fn populate(h: &Harness, atlas_pc: &str, resources: u64) -> Vec<(String, Cloud)> {
    let mut names = Vec::new();
    let mut made = 0;
    let mut i = 0;
    while made < resources {
        i += 1;
        let cloud = if i % 3 == 0 {
            Cloud::Atlas
        } else {
            Cloud::Aliyun
        };
        let name = format!("soak-{i}");
        let pc = pc_of(h, atlas_pc, cloud);
        h.create::<DBInstance>(instance_manifest(pc, cloud, &name, "Delete", "r0"))
            .await;
        made += 1;
        if cloud == Cloud::Aliyun && made < resources {
            h.create::<SecurityIpList>(ip_list_manifest(
                pc,
                cloud,
                &name,
                &["192.0.2.1".to_owned()],
            ))
            .await;
            made += 1;
        }
        if cloud == Cloud::Aliyun && i % 2 == 0 && made < resources {
            h.create::<Backup>(json!({"apiVersion": "mongocloud.dev/v1alpha1", "kind": "Backup", "metadata": {"name": format!("{name}-backup")},
                "spec": {"providerConfigRef": {"name": pc}, "deletionPolicy": "Orphan",
                         "forProvider": {"dbInstanceRef": {"name": name}, "method": "Logical"}}})).await;
            made += 1;
        }
        names.push((name, cloud));
    }
    names
}

/// One round of churn: a spec change of a random instance, and every fifth round a delete
/// and re-create of another.
async fn churn_once(
    h: &Harness,
    atlas_pc: &str,
    names: &[(String, Cloud)],
    rng: &mut StdRng,
    churn: &mut u32,
) {
    *churn += 1;
    let (name, cloud) = &names[rng.random_range(0..names.len())];
    let rev = format!("r{churn}");
    let patch = match cloud {
        Cloud::Aliyun => json!({"spec": {"forProvider": {"description": rev}}}),
        Cloud::Atlas => json!({"spec": {"forProvider": {"tags": {"rev": rev}}}}),
    };
    try_merge::<DBInstance>(h, name, patch).await;
    if churn.is_multiple_of(5) {
        let (name, cloud) = &names[rng.random_range(0..names.len())];
        if h.api::<DBInstance>()
            .delete(name, &DeleteParams::default())
            .await
            .is_ok()
        {
            h.wait_gone::<DBInstance>(name, Duration::from_secs(120))
                .await;
            let pc = pc_of(h, atlas_pc, *cloud);
            try_create::<DBInstance>(h, instance_manifest(pc, *cloud, name, "Delete", &rev)).await;
        }
    }
}

/// A line chart of RSS (left axis) and calls per minute (right axis) over minutes, as SVG.
fn soak_svg(samples: &[Sample], resources: u64, minutes: u64) -> String {
    let (w, h, left, right, top, bottom) = (720.0, 360.0, 60.0, 660.0, 40.0, 300.0);
    let max_minute = samples.iter().map(|s| s.minute).fold(1.0, f64::max);
    let max_rss = samples.iter().map(|s| s.rss_mib).fold(1.0, f64::max) * 1.2;
    let max_calls = samples
        .iter()
        .map(|s| s.calls_per_minute)
        .fold(1.0, f64::max)
        * 1.2;
    let x = |m: f64| left + (right - left) * m / max_minute;
    let y = |v: f64, max: f64| bottom - (bottom - top) * v / max;
    let line = |value: &dyn Fn(&Sample) -> f64, max: f64| {
        samples
            .iter()
            .map(|s| format!("{:.1},{:.1}", x(s.minute), y(value(s), max)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="{left}" y="20" font-size="14">Soak: {resources} resources, {minutes} min, 10 % faults with churn</text>
<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="black"/>
<line x1="{left}" y1="{top}" x2="{left}" y2="{bottom}" stroke="#1f77b4"/>
<line x1="{right}" y1="{top}" x2="{right}" y2="{bottom}" stroke="#d62728"/>
<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="{rss}"/>
<polyline fill="none" stroke="#d62728" stroke-width="2" points="{calls}"/>
<text x="{left}" y="{label}" text-anchor="middle">0</text>
<text x="{right}" y="{label}" text-anchor="middle">{max_minute:.0} min</text>
<text x="10" y="{top}" fill="#1f77b4">{max_rss:.0} MiB</text>
<text x="10" y="{bottom}" fill="#1f77b4">0</text>
<text x="{rl}" y="{top}" fill="#d62728">{max_calls:.0}/min</text>
<text x="{rl}" y="{bottom}" fill="#d62728">0</text>
<text x="{left}" y="340" fill="#1f77b4">operator RSS (MiB, left)</text>
<text x="300" y="340" fill="#d62728">cloud calls per minute (right)</text>
"##,
        rss = line(&|s| s.rss_mib, max_rss),
        calls = line(&|s| s.calls_per_minute, max_calls),
        label = bottom + 16.0,
        rl = right + 4.0,
    );
    svg.push_str("</svg>\n");
    svg
}
