//! `/_emulator/`: test and demo controls, not part of the cloud API and not signed.
//!
//! - `GET  /_emulator/state`              every instance, as stored
//! - `GET  /_emulator/calls`              `{"total": N, "actions": {"DescribeDBInstances": n, ...}}`
//! - `POST /_emulator/reset`              forget everything (instances, tokens, call counts,
//!   delays) and return to the fault plan the emulator started with, strikes uncounted
//! - `POST /_emulator/instances`          create a Running instance directly (for adoption);
//!   body: CreateDBInstance parameters as a JSON object of strings; answers `{"DBInstanceId": ...}`
//! - `POST /_emulator/instances/{id}`     change an instance out of band (a console edit, drift):
//!   any of `description`, `instanceClass`, `storageGB`, `status` (forced, no transition),
//!   `maintainStartTime`, `maintainEndTime`, `chargeType`, `sslOpen`, `releaseProtection`, `tags` (merged),
//!   `securityIps` (`{"group": ["ip", ...]}`, replacing those groups), `backupPolicy`
//!   (ModifyBackupPolicy parameters by their Dds names, e.g. `{"BackupRetentionPeriod": "30"}`)
//! - `DELETE /_emulator/instances/{id}`   make an instance vanish
//! - `POST /_emulator/delays`             `{"action": "ResetAccountPassword", "ms": 3000, "count": 1}`:
//!   the next `count` answers to that Dds action (or Atlas operation id, e.g.
//!   `updateDatabaseUser`) are held back `ms` after the action was applied (a lost answer)
//! - `GET  /_emulator/faults`             the fault plan and strikes so far:
//!   `{"plan": {...}, "struck": {"lostAnswer": n, ...}, "byAction": {...}, "total": N}`
//! - `PUT  /_emulator/faults`             replace the plan during a run (both clouds), e.g.
//!   `{"rate": 0.1, "modes": ["throttle", "lostAnswer"], "actions": {"CreateBackup":
//!   {"rate": 1, "modes": ["lostAnswer"], "count": 1}}, "burst": 3, "retryAfterSecs": 2,
//!   "hangMs": 35000, "slowMs": 3000, "seed": 7}`; omitted fields take their defaults, `seed`
//!   (optional) restarts the generator. Modes are listed in `faults`
//! - `/_emulator/atlas/...`               Atlas controls, see `atlas::admin`; reset covers Atlas too

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State as AxumState};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::model::{SecurityGroup, State, now_ms};
use super::{Call, Params, Shared};

pub(super) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/state", get(state))
        .route("/calls", get(calls))
        .route("/reset", post(reset))
        .route("/instances", post(create))
        .route("/instances/{id}", post(edit).delete(remove))
        .route("/delays", post(delay))
        .route("/faults", get(faults).put(set_faults))
        .nest("/atlas", super::atlas::admin::router())
}

async fn state(AxumState(shared): AxumState<Arc<Shared>>) -> Json<Value> {
    let mut state = shared.state();
    state.settle(now_ms());
    Json(serde_json::to_value(&*state).unwrap_or(Value::Null))
}

async fn calls(AxumState(shared): AxumState<Arc<Shared>>) -> Json<Value> {
    let state = shared.state();
    let total: u64 = state.calls.values().sum();
    Json(json!({"total": total, "actions": state.calls}))
}

async fn reset(AxumState(shared): AxumState<Arc<Shared>>) -> StatusCode {
    *shared.state() = State::default();
    *shared.atlas() = super::atlas::State::default();
    shared.faults.reset();
    shared
        .delays
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clear();
    shared.dirty.notify_one();
    StatusCode::NO_CONTENT
}

async fn create(
    AxumState(shared): AxumState<Arc<Shared>>,
    Json(body): Json<Value>,
) -> (StatusCode, Json<Value>) {
    let mut p: Params = body
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str().map_or_else(|| v.to_string(), str::to_owned),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    for (key, default) in [
        ("RegionId", "cn-hangzhou"),
        ("DBInstanceClass", "dds.mongo.mid"),
        ("DBInstanceStorage", "20"),
        ("EngineVersion", "6.0"),
    ] {
        p.entry(key.to_owned())
            .or_insert_with(|| default.to_owned());
    }
    let owner = shared
        .config
        .access_keys
        .keys()
        .next()
        .cloned()
        .unwrap_or_default();
    let mut state = shared.state();
    match super::instances::create(
        &mut state,
        &Call {
            access_key: owner,
            transition_ms: 0,
        },
        &p,
    ) {
        Ok(answer) => {
            if let Some(i) = answer["DBInstanceId"]
                .as_str()
                .and_then(|id| state.instances.get_mut(id))
            {
                i.status = "Running".to_owned();
                i.pending = None;
            }
            shared.dirty.notify_one();
            (StatusCode::CREATED, Json(answer))
        }
        Err(e) => (
            StatusCode::BAD_REQUEST,
            Json(json!({"Code": e.code, "Message": e.message})),
        ),
    }
}

async fn edit(
    AxumState(shared): AxumState<Arc<Shared>>,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> StatusCode {
    let mut state = shared.state();
    state.settle(now_ms());
    let Some(i) = state.instances.get_mut(&id) else {
        return StatusCode::NOT_FOUND;
    };
    let text = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_owned);
    if let Some(v) = text("description") {
        i.description = v;
    }
    if let Some(v) = text("instanceClass") {
        i.class = v;
    }
    if let Some(v) = body.get("storageGB").and_then(Value::as_i64) {
        i.storage_gb = v;
    }
    if let Some(v) = body.get("releaseProtection").and_then(Value::as_bool) {
        i.release_protection = v;
    }
    if let Some(v) = text("status") {
        i.status = v;
        i.pending = None;
    }
    if let Some(v) = text("maintainStartTime") {
        i.maintain_start = v;
    }
    if let Some(v) = text("maintainEndTime") {
        i.maintain_end = v;
    }
    if let Some(v) = text("chargeType") {
        i.charge_type = v;
    }
    if let Some(v) = body.get("sslOpen").and_then(Value::as_bool) {
        i.ssl_open = v;
    }
    if let Some(tags) = body.get("tags").and_then(Value::as_object) {
        i.tags.extend(
            tags.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned())),
        );
    }
    if let Some(policy) = body.get("backupPolicy").and_then(Value::as_object)
        && super::backups::edit(i, policy).is_err()
    {
        return StatusCode::BAD_REQUEST;
    }
    if let Some(groups) = body.get("securityIps").and_then(Value::as_object) {
        for (name, ips) in groups {
            let ips: Vec<String> = ips
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect();
            i.security_groups.insert(
                name.clone(),
                SecurityGroup {
                    attribute: String::new(),
                    ips,
                },
            );
        }
    }
    shared.dirty.notify_one();
    StatusCode::NO_CONTENT
}

async fn remove(AxumState(shared): AxumState<Arc<Shared>>, Path(id): Path<String>) -> StatusCode {
    let removed = shared.state().instances.remove(&id).is_some();
    shared.dirty.notify_one();
    if removed {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::NOT_FOUND
    }
}

async fn delay(AxumState(shared): AxumState<Arc<Shared>>, Json(body): Json<Value>) -> StatusCode {
    let Some(action) = body.get("action").and_then(Value::as_str) else {
        return StatusCode::BAD_REQUEST;
    };
    let wait =
        std::time::Duration::from_millis(body.get("ms").and_then(Value::as_u64).unwrap_or(0));
    let count = body
        .get("count")
        .and_then(Value::as_u64)
        .and_then(|c| u32::try_from(c).ok())
        .unwrap_or(1);
    shared
        .delays
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(action.to_owned(), (wait, count));
    StatusCode::NO_CONTENT
}

async fn faults(AxumState(shared): AxumState<Arc<Shared>>) -> Json<Value> {
    Json(shared.faults.report())
}

/// A new plan, and optionally a new seed.
#[derive(serde::Deserialize)]
struct FaultsBody {
    #[serde(flatten)]
    plan: super::faults::Plan,
    seed: Option<u64>,
}

async fn set_faults(
    AxumState(shared): AxumState<Arc<Shared>>,
    Json(body): Json<FaultsBody>,
) -> StatusCode {
    if !(0.0..=1.0).contains(&body.plan.rate) {
        return StatusCode::UNPROCESSABLE_ENTITY;
    }
    shared.faults.set(body.plan, body.seed);
    StatusCode::NO_CONTENT
}
