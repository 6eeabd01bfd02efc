//! `/_emulator/atlas/`: Atlas test controls, not part of the API and not signed.
//!
//! - `GET  /_emulator/atlas/state`  every project: clusters (with snapshots), access list,
//!   auditing, as stored
//! - `GET  /_emulator/atlas/calls`  `{"total": N, "operations": {"createCluster": n, ...}}`,
//!   authenticated requests per operation id (challenged 401s are not counted)
//! - `POST /_emulator/atlas/groups/{groupId}/clusters/{name}`  change a cluster out of band:
//!   any of `stateName` (forced, no transition), `instanceSize`, `diskSizeGB` (every hardware
//!   spec), `tags` (`[{"key", "value"}]`, replacing), `paused`, `backupSchedule` (a schedule
//!   PATCH body: `referenceHourOfDay`, `restoreWindowDays`, `policies`...)
//! - `POST /_emulator/atlas/groups/{groupId}/throttle`  `{"count": N, "retryAfter": S}`: the next
//!   N authenticated requests of the project answer 429 `RATE_LIMITED` with `Retry-After: S`
//!
//! `POST /_emulator/reset` also forgets all Atlas state.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State as AxumState};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::super::Shared;
use super::super::model::now_ms;

pub(in crate::emulator) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/state", get(state))
        .route("/calls", get(calls))
        .route("/groups/{group}/clusters/{name}", post(edit))
        .route("/groups/{group}/throttle", post(throttle))
}

async fn state(AxumState(shared): AxumState<Arc<Shared>>) -> Json<Value> {
    let mut state = shared.atlas();
    state.settle(now_ms());
    Json(serde_json::to_value(&*state).unwrap_or(Value::Null))
}

async fn calls(AxumState(shared): AxumState<Arc<Shared>>) -> Json<Value> {
    let state = shared.atlas();
    let total: u64 = state.calls.values().sum();
    Json(json!({"total": total, "operations": state.calls}))
}

async fn edit(
    AxumState(shared): AxumState<Arc<Shared>>,
    Path((group, name)): Path<(String, String)>,
    Json(body): Json<Value>,
) -> StatusCode {
    let mut state = shared.atlas();
    state.settle(now_ms());
    let Some(cluster) = state
        .projects
        .get_mut(&group)
        .and_then(|p| p.clusters.get_mut(&name))
    else {
        return StatusCode::NOT_FOUND;
    };
    if let Some(value) = body.get("stateName").and_then(Value::as_str) {
        cluster.state_name = value.to_owned();
        cluster.until_ms = None;
        if value == "IDLE" {
            cluster.ready = true;
        }
    }
    if let Some(value) = body.get("instanceSize").filter(|v| v.is_string()) {
        cluster.set_hardware("instanceSize", value);
    }
    if let Some(value) = body.get("diskSizeGB").filter(|v| v.is_number()) {
        cluster.set_hardware("diskSizeGB", value);
    }
    if let Some(tags) = body.get("tags").and_then(Value::as_array) {
        cluster.tags = tags.clone();
    }
    if let Some(paused) = body.get("paused").and_then(Value::as_bool) {
        cluster.paused = paused;
    }
    if let Some(schedule) = body.get("backupSchedule")
        && super::backup_schedule::apply(&mut cluster.schedule, schedule).is_err()
    {
        return StatusCode::BAD_REQUEST;
    }
    StatusCode::NO_CONTENT
}

async fn throttle(
    AxumState(shared): AxumState<Arc<Shared>>,
    Path(group): Path<String>,
    Json(body): Json<Value>,
) -> StatusCode {
    let count = body
        .get("count")
        .and_then(Value::as_u64)
        .and_then(|c| u32::try_from(c).ok())
        .unwrap_or(1);
    let retry_after = body.get("retryAfter").and_then(Value::as_u64).unwrap_or(1);
    shared.atlas().throttles.insert(group, (count, retry_after));
    StatusCode::NO_CONTENT
}
