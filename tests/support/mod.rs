//! End-to-end test harness: a real API server (from KUBECONFIG, started by
//! `scripts/with-cluster.sh`), the CRDs, a namespace per test, an emulator on a free port and the
//! operator binary as a process. Everything a test starts is stopped when its `Harness` drops.
//! Tests that use it run one at a time (they share the cluster-scoped ProviderConfig kind).

#![allow(dead_code)] // each test binary uses a different part of the harness

pub mod dbinstance;

use std::fmt::Debug;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Namespace, Secret};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::{Client, Resource, ResourceExt};
use mongocloud_operator::api::conditions::{self, Condition};
use mongocloud_operator::api::{
    AuditLogFilter, Backup, DBInstance, DatabaseUser, ProviderConfig, SecurityIpList, crds,
};
use mongocloud_operator::emulator::{self, Config, Running};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tokio::sync::{Mutex, OwnedMutexGuard};

static SERIAL: LazyLock<Arc<Mutex<()>>> = LazyLock::new(|| Arc::new(Mutex::new(())));
static CRDS: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();

pub const KEY_ID: &str = "LTAIemulator";
pub const KEY_SECRET: &str = "emulator-secret";
/// The emulator's default Atlas API key and a project id (projects exist on first use).
pub const ATLAS_PUBLIC: &str = "emulator-public";
pub const ATLAS_PRIVATE: &str = "emulator-private";
pub const ATLAS_PROJECT: &str = "6746cea8a3b0f86a2fbdc1f1";

/// A client on the test cluster, or `None` (with a printed SKIP) when there is none and the run
/// does not require one. Under `CI=true` a missing cluster fails the test.
pub async fn cluster(test: &str) -> Option<Client> {
    if std::env::var_os("KUBECONFIG").is_none() {
        let required = std::env::var("CI").is_ok_and(|v| v == "true")
            || std::env::var_os("MONGOCLOUD_REQUIRE_CLUSTER").is_some();
        assert!(
            !required,
            "{test}: no KUBECONFIG; run the tests through `make test` (scripts/with-cluster.sh starts a local API server)"
        );
        println!("SKIP {test}: no KUBECONFIG (run through `make test` or scripts/with-cluster.sh)");
        return None;
    }
    let client = Client::try_default().await.expect("client from KUBECONFIG");
    CRDS.get_or_init(|| install_crds(client.clone())).await;
    Some(client)
}

async fn install_crds(client: Client) {
    let api: Api<CustomResourceDefinition> = Api::all(client);
    for (_, crd) in crds::all() {
        let name = crd.metadata.name.clone().expect("crd name");
        api.patch(
            &name,
            &PatchParams::apply("mongocloud-tests").force(),
            &Patch::Apply(&crd),
        )
        .await
        .expect("CRD applied");
        let established = kube::runtime::conditions::is_crd_established();
        tokio::time::timeout(
            Duration::from_secs(30),
            kube::runtime::wait::await_condition(api.clone(), &name, established),
        )
        .await
        .expect("CRD established within 30 s")
        .expect("watch CRD");
    }
}

/// One test's world.
pub struct Harness {
    pub client: Client,
    pub ns: String,
    /// The ProviderConfig (cluster-scoped, so named after the namespace).
    pub pc: String,
    pub emulator: Running,
    operator: Option<Child>,
    work: tempfile::TempDir,
    operator_args: Vec<String>,
    /// Credentials of the operator process, when not the test's own (see `start_operator_as`).
    operator_kubeconfig: Option<PathBuf>,
    /// `--transitional-interval` and `--drift-interval` of the operator (short by default).
    pub timing: (&'static str, &'static str),
    _serial: OwnedMutexGuard<()>,
}

/// Starts the emulator (transitions of `transition_ms`) and a namespace; the operator is started
/// with [`Harness::start_operator`].
pub async fn harness(test: &str, transition_ms: u64) -> Option<Harness> {
    harness_with(
        test,
        Config {
            transition: Duration::from_millis(transition_ms),
            ..Config::default()
        },
    )
    .await
}

pub async fn harness_with(test: &str, mut config: Config) -> Option<Harness> {
    let client = cluster(test).await?;
    let serial = SERIAL.clone().lock_owned().await;
    config.listen = "127.0.0.1:0".parse().expect("addr");
    let emulator = emulator::start(config).await.expect("emulator starts");
    let ns = format!(
        "{}-{}",
        test.replace('_', "-").chars().take(40).collect::<String>(),
        &uuid::Uuid::new_v4().simple().to_string()[..6]
    );
    let namespace: Namespace =
        serde_json::from_value(json!({"metadata": {"name": ns}})).expect("namespace");
    Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), &namespace)
        .await
        .expect("namespace created");
    let pc = format!("pc-{ns}");
    Some(Harness {
        client,
        ns,
        pc,
        emulator,
        operator: None,
        work: tempfile::tempdir().expect("tmp"),
        operator_args: Vec::new(),
        operator_kubeconfig: None,
        timing: ("200ms", "3s"),
        _serial: serial,
    })
}

impl Harness {
    pub fn api<K: Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>>(
        &self,
    ) -> Api<K> {
        Api::namespaced(self.client.clone(), &self.ns)
    }

    /// The credentials Secret and a ProviderConfig pointing at this test's emulator.
    pub async fn provider_config(&self) {
        self.credentials(KEY_SECRET).await;
        let pc: ProviderConfig = serde_json::from_value(json!({
            "apiVersion": "mongocloud.dev/v1alpha1", "kind": "ProviderConfig", "metadata": {"name": self.pc},
            "spec": {"regionId": "cn-hangzhou", "endpoint": self.emulator.url(),
                     "credentials": {"secretRef": {"namespace": self.ns, "name": "cloud-credentials"}}}
        }))
        .expect("pc");
        Api::<ProviderConfig>::all(self.client.clone())
            .create(&PostParams::default(), &pc)
            .await
            .expect("pc created");
    }

    /// An Atlas API-key Secret and an Atlas ProviderConfig on this test's emulator.
    pub async fn atlas_provider_config(&self) {
        let secret: Secret = serde_json::from_value(json!({
            "metadata": {"name": "atlas-credentials", "namespace": self.ns},
            "stringData": {"publicKey": ATLAS_PUBLIC, "privateKey": ATLAS_PRIVATE}
        }))
        .expect("secret");
        self.api::<Secret>()
            .create(&PostParams::default(), &secret)
            .await
            .expect("secret created");
        let pc: ProviderConfig = serde_json::from_value(json!({
            "apiVersion": "mongocloud.dev/v1alpha1", "kind": "ProviderConfig", "metadata": {"name": self.pc},
            "spec": {"provider": "Atlas", "projectId": ATLAS_PROJECT,
                     "endpoint": format!("{}/api/atlas/v2", self.emulator.url()),
                     "credentials": {"secretRef": {"namespace": self.ns, "name": "atlas-credentials"}}}
        }))
        .expect("pc");
        Api::<ProviderConfig>::all(self.client.clone())
            .create(&PostParams::default(), &pc)
            .await
            .expect("pc created");
    }

    /// The Atlas emulator's per-operation call counts.
    pub async fn atlas_calls(&self) -> Value {
        self.emulator_get("/_emulator/atlas/calls").await
    }

    /// The Atlas emulator's projects as stored.
    pub async fn atlas_state(&self) -> Value {
        self.emulator_get("/_emulator/atlas/state").await
    }

    /// Posts an Atlas admin control (`/_emulator/atlas/...`), which must succeed.
    pub async fn atlas_admin(&self, path: &str, body: Value) {
        let status = reqwest::Client::new()
            .post(format!("{}/_emulator/atlas{path}", self.emulator.url()))
            .json(&body)
            .send()
            .await
            .expect("admin call")
            .status();
        assert!(status.is_success(), "emulator {path} answered {status}");
    }

    /// Replaces the emulator's fault plan (`PUT /_emulator/faults`).
    pub async fn set_faults(&self, plan: &Value) {
        let status = reqwest::Client::new()
            .put(format!("{}/_emulator/faults", self.emulator.url()))
            .json(plan)
            .send()
            .await
            .expect("faults")
            .status();
        assert!(status.is_success(), "fault plan refused: {status}");
    }

    /// The faults struck so far, by mode and by action.
    pub async fn faults(&self) -> Value {
        self.emulator_get("/_emulator/faults").await
    }

    async fn emulator_get(&self, path: &str) -> Value {
        reqwest::get(format!("{}{path}", self.emulator.url()))
            .await
            .expect("emulator admin")
            .json()
            .await
            .expect("json")
    }

    /// Creates or replaces the credentials Secret.
    pub async fn credentials(&self, secret: &str) {
        let body: Secret = serde_json::from_value(json!({
            "metadata": {"name": "cloud-credentials", "namespace": self.ns},
            "stringData": {"accessKeyId": KEY_ID, "accessKeySecret": secret}
        }))
        .expect("secret");
        self.api::<Secret>()
            .patch(
                "cloud-credentials",
                &PatchParams::apply("mongocloud-tests").force(),
                &Patch::Apply(&body),
            )
            .await
            .expect("secret applied");
    }

    /// Starts the operator binary watching this namespace, with short timers.
    pub fn start_operator(&mut self, extra: &[&str]) {
        self.operator_args = extra.iter().map(|s| s.to_string()).collect();
        self.spawn_operator();
    }

    /// Starts the operator as the ServiceAccount `sa` of namespace `ns` (its token in a copy of
    /// the test's kubeconfig), to prove that account's RBAC is enough. Returns that kubeconfig.
    pub fn start_operator_as(&mut self, ns: &str, sa: &str, extra: &[&str]) -> PathBuf {
        let kubeconfig = service_account_kubeconfig(self.work.path(), ns, sa);
        self.operator_kubeconfig = Some(kubeconfig.clone());
        self.start_operator(extra);
        kubeconfig
    }

    fn spawn_operator(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .expect("log file");
        let mut command = Command::new(env!("CARGO_BIN_EXE_mongocloud-operator"));
        if let Some(kubeconfig) = &self.operator_kubeconfig {
            command.env("KUBECONFIG", kubeconfig);
        }
        command.args(["run", "--namespaces", &self.ns]);
        for (flag, default) in [
            ("--metrics-addr", "127.0.0.1:0"),
            ("--health-addr", "127.0.0.1:0"),
        ] {
            if !self.operator_args.iter().any(|a| a == flag) {
                command.args([flag, default]);
            }
        }
        let child = command
            .args([
                "--transitional-interval",
                self.timing.0,
                "--drift-interval",
                self.timing.1,
                "--log-format",
                "text",
            ])
            .args(&self.operator_args)
            .env(
                "RUST_LOG",
                std::env::var("MONGOCLOUD_TEST_LOG").unwrap_or_else(|_| "info,kube=warn".into()),
            )
            .stdout(Stdio::from(log.try_clone().expect("log")))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("operator starts");
        self.operator = Some(child);
    }

    /// Starts one more operator process beside the main one (another shard, or a standby),
    /// logging to its own file; `env` sets variables such as `POD_NAME`. It stops when the
    /// returned handle drops.
    pub fn spawn_extra_operator(
        &self,
        label: &str,
        env: &[(&str, &str)],
        extra: &[&str],
    ) -> ExtraOperator {
        let log_path = self.work.path().join(format!("operator-{label}.log"));
        let log = std::fs::File::create(&log_path).expect("log file");
        let mut command = Command::new(env!("CARGO_BIN_EXE_mongocloud-operator"));
        command.args(["run", "--namespaces", &self.ns]);
        for flag in ["--metrics-addr", "--health-addr"] {
            if !extra.contains(&flag) {
                command.args([flag, "127.0.0.1:0"]);
            }
        }
        let child = command
            .args(["--transitional-interval", self.timing.0])
            .args(["--drift-interval", self.timing.1, "--log-format", "text"])
            .args(extra)
            .envs(env.iter().copied())
            .env(
                "RUST_LOG",
                std::env::var("MONGOCLOUD_TEST_LOG").unwrap_or_else(|_| "info,kube=warn".into()),
            )
            .stdout(Stdio::from(log.try_clone().expect("log")))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("operator starts");
        ExtraOperator {
            child: Some(child),
            log_path,
        }
    }

    /// Kills the operator at once (SIGKILL: no chance to finish anything).
    pub fn kill_operator(&mut self) {
        if let Some(mut child) = self.operator.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The operator process's id, while it runs.
    pub fn operator_pid(&self) -> Option<u32> {
        self.operator.as_ref().map(Child::id)
    }

    pub fn restart_operator(&mut self) {
        self.kill_operator();
        self.spawn_operator();
    }

    pub fn log_path(&self) -> PathBuf {
        self.work.path().join("operator.log")
    }

    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// Creates a namespaced object from JSON (namespace filled in).
    pub async fn create<K>(&self, mut body: Value) -> K
    where
        K: Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
            + Clone
            + DeserializeOwned
            + Serialize
            + Debug,
    {
        body["metadata"]["namespace"] = json!(self.ns);
        let obj: K = serde_json::from_value(body).expect("object parses");
        self.api::<K>()
            .create(&PostParams::default(), &obj)
            .await
            .expect("object created")
    }

    pub async fn merge<K>(&self, name: &str, patch: Value) -> K
    where
        K: Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
            + Clone
            + DeserializeOwned
            + Debug,
    {
        self.api::<K>()
            .patch(name, &PatchParams::default(), &Patch::Merge(patch))
            .await
            .expect("patched")
    }

    /// The emulator's per-action call counts.
    pub async fn calls(&self) -> Value {
        reqwest::get(format!("{}/_emulator/calls", self.emulator.url()))
            .await
            .expect("calls")
            .json()
            .await
            .expect("json")
    }

    pub async fn calls_of(&self, action: &str) -> u64 {
        self.calls().await["actions"][action].as_u64().unwrap_or(0)
    }

    /// Every instance the emulator holds.
    pub async fn cloud_instances(&self) -> serde_json::Map<String, Value> {
        let state: Value = reqwest::get(format!("{}/_emulator/state", self.emulator.url()))
            .await
            .expect("state")
            .json()
            .await
            .expect("json");
        state["instances"].as_object().cloned().unwrap_or_default()
    }

    /// Changes an instance out of band, as a console edit would.
    pub async fn edit_in_cloud(&self, id: &str, change: Value) {
        let status = reqwest::Client::new()
            .post(format!("{}/_emulator/instances/{id}", self.emulator.url()))
            .json(&change)
            .send()
            .await
            .expect("edit")
            .status();
        assert!(
            status.is_success(),
            "emulator edit of {id} answered {status}"
        );
    }

    /// Polls `check` until it returns `Some`, for at most `limit`; on timeout panics with the
    /// object's status, the cloud calls and the operator log tail.
    pub async fn wait_for<K, T>(
        &self,
        name: &str,
        what: &str,
        limit: Duration,
        check: impl Fn(&K) -> Option<T>,
    ) -> T
    where
        K: Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
            + Clone
            + DeserializeOwned
            + Serialize
            + Debug,
    {
        let deadline = Instant::now() + limit;
        loop {
            let obj = self.api::<K>().get_opt(name).await.expect("read object");
            if let Some(found) = obj.as_ref().and_then(&check) {
                return found;
            }
            if Instant::now() > deadline {
                let yaml = obj
                    .map(|o| serde_yaml::to_string(&o).unwrap_or_default())
                    .unwrap_or_else(|| "<gone>".to_owned());
                panic!(
                    "no {what} for {name} after {limit:?}\n--- object ---\n{yaml}\n--- cloud calls ---\n{}\n--- operator log tail ---\n{}",
                    self.calls().await,
                    self.log_tail(40)
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The manifest of a small DBInstance `name` on this test's ProviderConfig.
    pub fn small_dbinstance(&self, name: &str) -> Value {
        json!({"apiVersion": "mongocloud.dev/v1alpha1", "kind": "DBInstance", "metadata": {"name": name},
               "spec": {"providerConfigRef": {"name": self.pc},
                        "forProvider": {"regionId": "cn-hangzhou", "engineVersion": "6.0", "instanceClass": "dds.mongo.mid", "storageGB": 20}}})
    }

    /// Applies a small DBInstance `name` writing the Secret `{name}-conn`, and waits for it to
    /// be Ready with that Secret written.
    pub async fn dbinstance_ready_with_secret(&self, name: &str, limit: Duration) {
        let conn = format!("{name}-conn");
        let mut manifest = self.small_dbinstance(name);
        manifest["spec"]["writeConnectionSecretToRef"] = json!({"name": conn});
        self.create::<DBInstance>(manifest).await;
        self.wait_for::<DBInstance, _>(name, "Ready=True", limit, |d| {
            has_condition(d, &d.status.as_ref()?.conditions, "Ready", "True", None)
        })
        .await;
        self.wait_for::<Secret, _>(&conn, "connection Secret", Duration::from_secs(10), |_| {
            Some(())
        })
        .await;
    }

    /// Waits until the object is gone.
    pub async fn wait_gone<K>(&self, name: &str, limit: Duration)
    where
        K: Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
            + Clone
            + DeserializeOwned
            + Serialize
            + Debug,
    {
        let deadline = Instant::now() + limit;
        while self.api::<K>().get_opt(name).await.expect("read").is_some() {
            if Instant::now() > deadline {
                let obj = self.api::<K>().get_opt(name).await.expect("read");
                panic!(
                    "{name} still exists after {limit:?}: {obj:#?}\n--- operator log tail ---\n{}",
                    self.log_tail(40)
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// An operator process of [`Harness::spawn_extra_operator`].
pub struct ExtraOperator {
    child: Option<Child>,
    log_path: PathBuf,
}

impl ExtraOperator {
    /// Kills it at once (SIGKILL).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.log_path).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

impl Drop for ExtraOperator {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Runs kubectl (KUBECONFIG from the environment) and returns its standard output; panics with
/// its error output when it fails.
pub fn kubectl(args: &[&str]) -> String {
    let out = Command::new("kubectl")
        .args(args)
        .output()
        .expect("kubectl runs");
    assert!(
        out.status.success(),
        "kubectl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A kubeconfig in `dir` whose current context is ServiceAccount `ns/sa` on the test cluster.
pub fn service_account_kubeconfig(dir: &std::path::Path, ns: &str, sa: &str) -> PathBuf {
    let token = kubectl(&["create", "token", sa, "-n", ns])
        .trim()
        .to_owned();
    let path = dir.join(format!("{sa}.kubeconfig"));
    std::fs::copy(std::env::var("KUBECONFIG").expect("KUBECONFIG"), &path)
        .expect("copy kubeconfig");
    let kc = path.to_str().expect("utf-8 path");
    let cluster = kubectl(&[
        "--kubeconfig",
        kc,
        "config",
        "view",
        "-o",
        "jsonpath={.contexts[?(@.name==\"admin\")].context.cluster}",
    ]);
    let token_arg = format!("--token={token}");
    let cluster_arg = format!("--cluster={cluster}");
    kubectl(&[
        "--kubeconfig",
        kc,
        "config",
        "set-credentials",
        sa,
        &token_arg,
    ]);
    let user_arg = format!("--user={sa}");
    kubectl(&[
        "--kubeconfig",
        kc,
        "config",
        "set-context",
        sa,
        &cluster_arg,
        &user_arg,
    ]);
    kubectl(&["--kubeconfig", kc, "config", "use-context", sa]);
    path
}

/// `kubectl auth can-i` under `kubeconfig`: whether the action is allowed.
pub fn can_i(kubeconfig: &std::path::Path, args: &[&str]) -> bool {
    let out = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(["auth", "can-i"])
        .args(args)
        .output()
        .expect("kubectl auth can-i runs");
    String::from_utf8_lossy(&out.stdout).trim() == "yes"
}

/// A condition of an object's status, by type.
pub fn condition(conditions: &[Condition], type_: &str) -> Option<Condition> {
    conditions::find(conditions, type_).cloned()
}

/// `Some(())` when the condition is current (observedGeneration matches) and has `status`/`reason`.
pub fn has_condition<K: Resource>(
    obj: &K,
    conditions: &[Condition],
    type_: &str,
    status: &str,
    reason: Option<&str>,
) -> Option<()> {
    let c = condition(conditions, type_)?;
    let current = c.observed_generation == obj.meta().generation;
    (current && c.status == status && reason.is_none_or(|r| c.reason == r)).then_some(())
}

impl Drop for Harness {
    /// Stops the operator, then removes this test's objects (finalizers first: without a
    /// controller manager nothing else would) and its ProviderConfig. The emulator stops with
    /// its handle.
    fn drop(&mut self) {
        self.kill_operator();
        let (ns, pc) = (self.ns.clone(), self.pc.clone());
        // A fresh client: the test's own runs on the runtime this drop is blocking.
        let cleanup = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                let Ok(client) = Client::try_default().await else {
                    return;
                };
                strip_and_delete::<DBInstance>(&client, &ns).await;
                strip_and_delete::<SecurityIpList>(&client, &ns).await;
                strip_and_delete::<AuditLogFilter>(&client, &ns).await;
                strip_and_delete::<Backup>(&client, &ns).await;
                strip_and_delete::<DatabaseUser>(&client, &ns).await;
                let pcs = Api::<ProviderConfig>::all(client.clone());
                let _ = pcs
                    .patch(
                        &pc,
                        &PatchParams::default(),
                        &Patch::Merge(json!({"metadata": {"finalizers": null}})),
                    )
                    .await;
                let _ = pcs.delete(&pc, &DeleteParams::default()).await;
                let _ = Api::<Namespace>::all(client)
                    .delete(&ns, &DeleteParams::default())
                    .await;
            });
        });
        let _ = cleanup.join();
    }
}

async fn strip_and_delete<K>(client: &Client, ns: &str)
where
    K: Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + DeserializeOwned
        + Debug,
{
    let api: Api<K> = Api::namespaced(client.clone(), ns);
    let Ok(list) = api.list(&ListParams::default()).await else {
        return;
    };
    for obj in list {
        let name = obj.name_any();
        let _ = api
            .patch(
                &name,
                &PatchParams::default(),
                &Patch::Merge(json!({"metadata": {"finalizers": null}})),
            )
            .await;
        let _ = api.delete(&name, &DeleteParams::default()).await;
    }
}
