//! The local cloud: a faithful ApsaraDB for MongoDB (Dds 2015-12-01) RPC endpoint on loopback,
//! accepted unchanged by the official SDKs, for tests, the demo and benchmarks. Instance state
//! machines advance lazily (no timers), faults are reproducible from a seed, and state can
//! persist to a file. `/_emulator/` (not part of the cloud API) is described in `admin`.
//! The same process serves a MongoDB Atlas Admin API v2 subset under `/api/atlas/v2` (`atlas`).

mod access;
mod accounts;
mod admin;
mod atlas;
mod auth;
mod backups;
pub mod faults;
mod instances;
mod model;
mod parameters;
mod render;
mod sharding;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State as AxumState};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use serde_json::Value;

use model::State;
use render::ApiError;

pub type Params = BTreeMap<String, String>;

/// How the emulator runs.
#[derive(Clone, Debug)]
pub struct Config {
    pub listen: SocketAddr,
    /// Access key id → secret.
    pub access_keys: HashMap<String, String>,
    pub state_file: Option<PathBuf>,
    pub transition: Duration,
    /// Faults to inject from the start (see `faults`); `PUT /_emulator/faults` changes them.
    pub faults: faults::Plan,
    pub fault_seed: u64,
    pub latency: Duration,
    /// Atlas API keys: public key → private key.
    pub atlas_keys: HashMap<String, String>,
    /// Atlas requests per minute and project before 429 `RATE_LIMITED`.
    pub atlas_rate_per_minute: u32,
    /// Atlas service accounts: client id → client secret.
    pub atlas_service_accounts: HashMap<String, String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 9780)),
            access_keys: HashMap::from([("LTAIemulator".to_owned(), "emulator-secret".to_owned())]),
            state_file: None,
            transition: Duration::from_millis(2000),
            faults: faults::Plan::default(),
            fault_seed: 0,
            latency: Duration::ZERO,
            atlas_keys: HashMap::from([(
                "emulator-public".to_owned(),
                "emulator-private".to_owned(),
            )]),
            atlas_rate_per_minute: 1000,
            atlas_service_accounts: HashMap::from([(
                "mdb_sa_id_emulator".to_owned(),
                "mdb_sa_sk_emulator".to_owned(),
            )]),
        }
    }
}

/// What a handler needs besides the state.
pub struct Call {
    pub access_key: String,
    pub transition_ms: u64,
}

struct Shared {
    config: Config,
    state: Mutex<State>,
    atlas: Mutex<atlas::State>,
    faults: faults::Faults,
    dirty: tokio::sync::Notify,
    /// Answers to hold back, by action (Dds) or operation id (Atlas): delay and calls left.
    delays: Mutex<HashMap<String, (Duration, u32)>>,
}

impl Shared {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Holds back the answer to `action` when a delay was asked for it (see `admin`). The
    /// action has been applied by then: this is how a lost answer is staged.
    async fn delay_answer(&self, action: &str) {
        let wait = {
            let mut delays = self.delays.lock().unwrap_or_else(|p| p.into_inner());
            match delays.get_mut(action) {
                Some((wait, left)) if *left > 0 => {
                    *left -= 1;
                    Some(*wait)
                }
                _ => None,
            }
        };
        if let Some(wait) = wait {
            tokio::time::sleep(wait).await;
        }
    }
}

/// A running emulator; dropping it stops the server and flushes the state file.
pub struct Running {
    pub addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Running {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops serving and waits until the state is flushed.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {0}")]
    Bind(SocketAddr, #[source] std::io::Error),
    #[error("{0}")]
    State(String),
}

/// Binds and serves in the background; the returned address accepts connections.
pub async fn start(config: Config) -> Result<Running, StartError> {
    let state = match &config.state_file {
        Some(path) => State::load(path).map_err(StartError::State)?,
        None => State::default(),
    };
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| StartError::Bind(config.listen, e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| StartError::Bind(config.listen, e))?;
    let shared = Arc::new(Shared {
        faults: faults::Faults::new(config.faults.clone(), config.fault_seed),
        config,
        state: Mutex::new(state),
        atlas: Mutex::new(atlas::State::default()),
        dirty: tokio::sync::Notify::new(),
        delays: Mutex::default(),
    });
    let app = Router::new()
        .nest("/_emulator", admin::router())
        .merge(atlas::router())
        .fallback(rpc)
        .with_state(shared.clone());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let flusher = tokio::spawn(flush_loop(shared.clone()));
        let served = axum::serve(listener, app).with_graceful_shutdown(async move {
            let _ = rx.await;
        });
        if let Err(error) = served.await {
            tracing::error!(%error, "emulator server failed");
        }
        flusher.abort();
        save(&shared);
    });
    Ok(Running {
        addr,
        shutdown: Some(tx),
        task: Some(task),
    })
}

/// Saves at most every 200 ms after a change, so bursts of writes cost one file write.
async fn flush_loop(shared: Arc<Shared>) {
    if shared.config.state_file.is_none() {
        return;
    }
    loop {
        shared.dirty.notified().await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        save(&shared);
    }
}

fn save(shared: &Shared) {
    if let Some(path) = &shared.config.state_file {
        let snapshot = shared.state().clone();
        if let Err(error) = snapshot.save(path) {
            tracing::error!(%error, "cannot save emulator state");
        }
    }
}

/// Whether an action changes state (faults on those may strike after applying).
fn is_mutation(action: &str) -> bool {
    !(action.starts_with("Describe") || action.starts_with("List"))
}

/// Dds renders faults in its own error shape, JSON or XML as asked.
struct DdsErrors<'a> {
    format: render::Format,
    action: &'a str,
    request_id: &'a str,
}

impl faults::CloudErrors for DdsErrors<'_> {
    fn throttled(&self, retry_after: Option<u64>) -> Response {
        let error = ApiError {
            retry_after: retry_after.map(|secs| u32::try_from(secs).unwrap_or(u32::MAX)),
            ..ApiError::new(
                400,
                "Throttling.User",
                "Request was denied due to user flow control.",
            )
        };
        render::respond(self.format, self.action, self.request_id, Err(error))
    }

    fn server_error(&self) -> Response {
        let error = ApiError::new(
            503,
            "ServiceUnavailable",
            "The request has failed due to a temporary failure of the server.",
        );
        render::respond(self.format, self.action, self.request_id, Err(error))
    }
}

async fn rpc(
    AxumState(shared): AxumState<Arc<Shared>>,
    method: Method,
    uri: Uri,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !shared.config.latency.is_zero() {
        tokio::time::sleep(shared.config.latency).await;
    }
    let request_id = uuid::Uuid::new_v4().to_string().to_uppercase();
    let decode =
        |text: &str| serde_urlencoded::from_str::<Vec<(String, String)>>(text).unwrap_or_default();
    let is_form = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    let raw = auth::Raw {
        method: method.as_str(),
        path: uri.path(),
        query: decode(query.as_deref().unwrap_or_default()),
        form: if is_form {
            decode(&String::from_utf8_lossy(&body))
        } else {
            Vec::new()
        },
        headers: &headers,
        body: &body,
    };
    let request = match auth::authenticate(&raw, &shared.config.access_keys) {
        Ok(request) => request,
        Err(error) => {
            let format = if raw
                .query
                .iter()
                .chain(&raw.form)
                .any(|(k, v)| k == "Format" && v.eq_ignore_ascii_case("json"))
                || headers.contains_key("authorization")
            {
                render::Format::Json
            } else {
                render::Format::Xml
            };
            return render::respond(format, "Error", &request_id, Err(error));
        }
    };
    let fault = shared.faults.draw(
        &request.access_key,
        &request.action,
        is_mutation(&request.action),
    );
    let errors = DdsErrors {
        format: request.format,
        action: &request.action,
        request_id: &request_id,
    };
    let result = {
        let mut state = shared.state();
        *state.calls.entry(request.action.clone()).or_insert(0) += 1;
        let now = model::now_ms();
        if !state.fresh_nonce(&request.nonce, now) {
            Err(ApiError::new(
                400,
                "SignatureNonceUsed",
                "Specified signature nonce was used already.",
            ))
        } else if let Some(refused) =
            fault.and_then(|mode| faults::refuse(&shared.faults, mode, &errors))
        {
            return refused;
        } else {
            state.settle(now);
            let call = Call {
                access_key: request.access_key.clone(),
                transition_ms: u64::try_from(shared.config.transition.as_millis())
                    .unwrap_or(u64::MAX),
            };
            dispatch(&mut state, &call, &request.action, &request.params)
        }
    };
    if is_mutation(&request.action) {
        shared.dirty.notify_one();
    }
    shared.delay_answer(&request.action).await;
    let answer = render::respond(request.format, &request.action, &request_id, result);
    match fault {
        Some(mode) => faults::spoil(&shared.faults, mode, answer, &errors).await,
        None => answer,
    }
}

fn dispatch(state: &mut State, call: &Call, action: &str, p: &Params) -> Result<Value, ApiError> {
    match action {
        "CreateDBInstance" => instances::create(state, call, p),
        "CreateShardingDBInstance" => sharding::create(state, call, p),
        "CreateNode" => sharding::create_node(state, call, p),
        "DeleteNode" => sharding::delete_node(state, call, p),
        "DescribeDBInstances" => instances::describe_instances(state, p),
        "DescribeDBInstanceAttribute" => instances::describe_attribute(state, p),
        "DeleteDBInstance" => instances::delete(state, call, p),
        "ModifyDBInstanceSpec" => instances::modify_spec(state, call, p),
        "ModifyDBInstanceDescription" => instances::modify_description(state, p),
        "ModifyDBInstanceAttribute" => instances::modify_attribute(state, p),
        "ModifyDBInstanceMaintainTime" => instances::modify_maintain_time(state, p),
        "RestartDBInstance" => instances::restart(state, call, p),
        "UpgradeDBInstanceKernelVersion" => instances::upgrade_kernel(state, call, p),
        "ModifyDBInstanceSSL" => instances::modify_ssl(state, call, p),
        "DescribeDBInstanceSSL" => instances::describe_ssl(state, p),
        "UpgradeDBInstanceEngineVersion" => instances::upgrade_engine(state, call, p),
        "ModifyDBInstanceTDE" => instances::modify_tde(state, call, p),
        "ModifyDBInstanceDiskType" => instances::modify_disk_type(state, call, p),
        "DescribeDBInstanceTDEInfo" => instances::describe_tde(state, p),
        "AllocatePublicNetworkAddress" => instances::public_address(state, call, p, true),
        "ReleasePublicNetworkAddress" => instances::public_address(state, call, p, false),
        "AllocateDBInstanceSrvNetworkAddress" => instances::srv_address(state, call, p, true),
        "ReleaseNodePrivateNetworkAddress" => instances::srv_address(state, call, p, false),
        "DescribeAllNetworkAddress" => instances::describe_all_network_address(state, p),
        "DescribeParameters" => parameters::describe(state, p),
        "ModifyParameters" => parameters::modify(state, p),
        "DescribeRegions" => Ok(instances::describe_regions()),
        "TagResources" => instances::tag_resources(state, p),
        "UntagResources" => instances::untag_resources(state, p),
        "ListTagResources" => instances::list_tag_resources(state, p),
        "DescribeSecurityIps" => access::describe_security_ips(state, p),
        "ModifySecurityIps" => access::modify_security_ips(state, p),
        "DescribeAuditPolicy" => access::describe_audit_policy(state, p),
        "ModifyAuditPolicy" => access::modify_audit_policy(state, p),
        "DescribeAuditLogFilter" => access::describe_audit_filter(state, p),
        "ModifyAuditLogFilter" => access::modify_audit_filter(state, p),
        "DescribeMongoDBLogConfig" => access::describe_log_config(state, p),
        "CreateBackup" => access::create_backup(state, call, p),
        "DescribeBackups" => access::describe_backups(state, p),
        "DeleteBackup" => access::delete_backup(state, p),
        "DescribeBackupPolicy" => backups::describe_policy(state, p),
        "ModifyBackupPolicy" => backups::modify_policy(state, p),
        "DescribeInstanceRecoverTime" => backups::describe_recover_time(state, p),
        "DescribeAccounts" => accounts::describe(state, p),
        "ModifyAccountDescription" => accounts::modify_description(state, p),
        "ResetAccountPassword" => accounts::reset_password(state, p),
        other => Err(ApiError::new(
            404,
            "InvalidAction.NotFound",
            format!("Specified api {other} is not found, please check your url and method."),
        )),
    }
}

/// A parameter, treating an empty value as absent (as the cloud does).
pub fn param(p: &Params, name: &str) -> Option<String> {
    p.get(name).filter(|v| !v.is_empty()).cloned()
}

pub fn required(p: &Params, name: &str) -> Result<String, ApiError> {
    param(p, name).ok_or_else(|| ApiError::missing(name))
}
