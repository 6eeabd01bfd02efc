//! A MongoDB Atlas Administration API v2 subset under `/api/atlas/v2`, answering as the
//! recorded real Atlas does (see the Atlas reference notes): Digest authentication with the
//! recorded challenge, versioned media types resolved to the newest version not after the
//! requested date, `RateLimit-*` headers, error bodies `{detail, error, errorCode, parameters,
//! reason}` as `application/json`. Clusters, the project IP access list, auditing, on-demand
//! snapshots and database users; state machines advance lazily by `--transition-ms`, like the Dds instances.
//!
//! Projects: any 24-lowercase-hex group id is a project, created on first use, except
//! `000000000000000000000000`, which never exists (`GROUP_NOT_FOUND`, for tests); other
//! 24-hex spellings answer `GROUP_NOT_FOUND`, anything else `PATH_PARAM_PARSE_ERROR`.
//!
//! Deliberate simplifications:
//! - every cluster version answers in the 2024-08-05 shape; versions before it also get the
//!   top-level `diskSizeGB` and `numShards` of the old shape; no `effective*` fields.
//! - Digest `uri` must equal the request's path and query, except that an empty query (`x?`)
//!   equals no query: Node's urllib signs `pathname + search`, where `search` drops a bare `?`.
//! - a nonce is accepted for `auth::NONCE_LIFETIME_MS` (5 minutes); each `nc` once per nonce.
//!
//! Error codes not in the reference (invented; the real codes were not recorded):
//! - `CLUSTER_NOT_IDLE` (409): PATCH of a CREATING/DELETING cluster, snapshot of a non-IDLE one.
//! - `SNAPSHOT_ALREADY_IN_PROGRESS` (409): a second on-demand snapshot while one is
//!   queued/inProgress.
//! - `CLOUD_BACKUP_NOT_ENABLED` (400): snapshot of a cluster with `backupEnabled: false`.
//! - `INVALID_JSON` (400): a body that is not JSON; `UNSUPPORTED_MEDIA_TYPE` (415): a body
//!   that is neither `application/json` nor the versioned type.
//! - A missing snapshot is `RESOURCE_NOT_FOUND` (404); bad pagination is `VALIDATION_ERROR`.
//!
//! Test controls live under `/_emulator/atlas/` (see `admin`).

mod access_list;
pub(super) mod admin;
mod auditing;
mod auth;
mod backup_schedule;
mod clusters;
mod error;
mod oauth;
mod page;
mod snapshots;
mod users;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State as AxumState;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use rand::Rng;
use serde::Serialize;
use serde_json::Value;

use super::model::now_ms;
use super::{Shared, faults};
use crate::cloud::atlas::versions::resolve;
pub use error::AtlasError;

pub const PREFIX: &str = "/api/atlas/v2";
/// The project id that never exists.
const MISSING_GROUP: &str = "000000000000000000000000";

/// Everything the Atlas API holds; kept apart from the Dds state and never persisted.
#[derive(Debug, Default, Serialize)]
pub struct State {
    pub projects: BTreeMap<String, Project>,
    #[serde(skip)]
    nonces: auth::Nonces,
    #[serde(skip)]
    tokens: oauth::Tokens,
    #[serde(skip)]
    pub calls: BTreeMap<String, u64>,
    /// Per project: start of the current one-minute window and requests in it.
    #[serde(skip)]
    windows: HashMap<String, (u64, u32)>,
    /// Per project: requests still to refuse with 429, and the `Retry-After` to send.
    #[serde(skip)]
    throttles: HashMap<String, (u32, u64)>,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Project {
    pub clusters: BTreeMap<String, clusters::Cluster>,
    pub access_list: BTreeMap<String, access_list::Entry>,
    pub auditing: auditing::Auditing,
    pub database_users: users::Users,
}

impl State {
    /// Applies every transition due by `now` (clusters, snapshots, expired entries).
    pub fn settle(&mut self, now: u64) {
        for project in self.projects.values_mut() {
            clusters::settle(project, now);
            access_list::settle(project, now);
        }
    }
}

impl Shared {
    pub(in crate::emulator) fn atlas(&self) -> std::sync::MutexGuard<'_, State> {
        self.atlas.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A resource's versions, ascending, with the `Deprecation`/`Sunset` dates of the older ones.
struct Versions {
    dates: &'static [&'static str],
    /// (version, deprecated since, sunset) for versions that are no longer current.
    deprecated: &'static [(&'static str, &'static str, Option<&'static str>)],
}

const CLUSTER_WRITE: Versions = Versions {
    dates: &["2023-01-01", "2023-02-01", "2024-08-05", "2024-10-23"],
    deprecated: &[
        ("2023-01-01", "2023-02-01", None),
        ("2023-02-01", "2024-08-05", Some("2027-07-01")),
        ("2024-08-05", "2024-10-23", Some("2027-03-01")),
    ],
};
const CLUSTER_READ: Versions = Versions {
    dates: &["2023-01-01", "2023-02-01", "2024-08-05"],
    deprecated: &[
        ("2023-01-01", "2023-02-01", None),
        ("2023-02-01", "2024-08-05", Some("2027-07-01")),
    ],
};
const CLUSTER_DELETE: Versions = Versions {
    dates: &["2023-01-01", "2023-02-01"],
    deprecated: &[("2023-01-01", "2023-02-01", Some("2027-07-01"))],
};
const PROJECT_ONLY: Versions = Versions {
    dates: &["2023-01-01"],
    deprecated: &[],
};

/// One operation of the API, matched from method and path.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Op {
    ListClusters,
    CreateCluster,
    GetCluster(String),
    UpdateCluster(String),
    DeleteCluster(String),
    ListAccessList,
    CreateAccessList,
    GetAccessListEntry(String),
    DeleteAccessListEntry(String),
    GetAccessListStatus(String),
    GetAuditing,
    UpdateAuditing,
    ListSnapshots(String),
    TakeSnapshot(String),
    GetSnapshot(String, String),
    DeleteSnapshot(String, String),
    GetBackupSchedule(String),
    UpdateBackupSchedule(String),
    CreateRestoreJob(String),
    GetRestoreJob(String, String),
    ListDatabaseUsers,
    CreateDatabaseUser,
    GetDatabaseUser(String, String),
    UpdateDatabaseUser(String, String),
    DeleteDatabaseUser(String, String),
}

impl Op {
    /// The operation id Atlas documents (used by the calls counter).
    fn name(&self) -> &'static str {
        match self {
            Op::ListClusters => "listClusters",
            Op::CreateCluster => "createCluster",
            Op::GetCluster(_) => "getCluster",
            Op::UpdateCluster(_) => "updateCluster",
            Op::DeleteCluster(_) => "deleteCluster",
            Op::ListAccessList => "listProjectIpAccessLists",
            Op::CreateAccessList => "createAccessListEntries",
            Op::GetAccessListEntry(_) => "getProjectIpList",
            Op::DeleteAccessListEntry(_) => "deleteProjectIpAccessList",
            Op::GetAccessListStatus(_) => "getProjectIpAccessListStatus",
            Op::GetAuditing => "getAuditingConfiguration",
            Op::UpdateAuditing => "updateAuditingConfiguration",
            Op::ListSnapshots(_) => "listReplicaSetBackups",
            Op::TakeSnapshot(_) => "takeSnapshot",
            Op::GetSnapshot(..) => "getReplicaSetBackup",
            Op::DeleteSnapshot(..) => "deleteReplicaSetBackup",
            Op::GetBackupSchedule(_) => "getBackupSchedule",
            Op::UpdateBackupSchedule(_) => "updateBackupSchedule",
            Op::CreateRestoreJob(_) => "createBackupRestoreJob",
            Op::GetRestoreJob(..) => "getBackupRestoreJob",
            Op::ListDatabaseUsers => "listDatabaseUsers",
            Op::CreateDatabaseUser => "createDatabaseUser",
            Op::GetDatabaseUser(..) => "getDatabaseUser",
            Op::UpdateDatabaseUser(..) => "updateDatabaseUser",
            Op::DeleteDatabaseUser(..) => "deleteDatabaseUser",
        }
    }

    fn versions(&self) -> &'static Versions {
        match self {
            Op::CreateCluster | Op::UpdateCluster(_) => &CLUSTER_WRITE,
            Op::ListClusters | Op::GetCluster(_) => &CLUSTER_READ,
            Op::DeleteCluster(_) => &CLUSTER_DELETE,
            _ => &PROJECT_ONLY,
        }
    }
}

/// Percent-decoded path segment (`192.0.2.0%2F24` → `192.0.2.0/24`).
fn decode(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8_lossy()
        .into_owned()
}

/// The group id and operation a request names, if any.
fn route(method: &Method, path: &str) -> Option<(String, Op)> {
    let rest = path.strip_prefix(PREFIX)?.strip_prefix("/groups/")?;
    let segments: Vec<&str> = rest.split('/').collect();
    let group = decode(segments.first()?);
    let s = |i: usize| segments.get(i).map(|v| decode(v));
    let op = match (method.as_str(), &segments[1..]) {
        ("GET", ["clusters"]) => Op::ListClusters,
        ("POST", ["clusters"]) => Op::CreateCluster,
        ("GET", ["clusters", _]) => Op::GetCluster(s(2)?),
        ("PATCH", ["clusters", _]) => Op::UpdateCluster(s(2)?),
        ("DELETE", ["clusters", _]) => Op::DeleteCluster(s(2)?),
        ("GET", ["clusters", _, "backup", "snapshots"]) => Op::ListSnapshots(s(2)?),
        ("POST", ["clusters", _, "backup", "snapshots"]) => Op::TakeSnapshot(s(2)?),
        ("GET", ["clusters", _, "backup", "snapshots", _]) => Op::GetSnapshot(s(2)?, s(5)?),
        ("DELETE", ["clusters", _, "backup", "snapshots", _]) => Op::DeleteSnapshot(s(2)?, s(5)?),
        ("GET", ["clusters", _, "backup", "schedule"]) => Op::GetBackupSchedule(s(2)?),
        ("PATCH", ["clusters", _, "backup", "schedule"]) => Op::UpdateBackupSchedule(s(2)?),
        ("POST", ["clusters", _, "backup", "restoreJobs"]) => Op::CreateRestoreJob(s(2)?),
        ("GET", ["clusters", _, "backup", "restoreJobs", _]) => Op::GetRestoreJob(s(2)?, s(5)?),
        ("GET", ["accessList"]) => Op::ListAccessList,
        ("POST", ["accessList"]) => Op::CreateAccessList,
        ("GET", ["accessList", _]) => Op::GetAccessListEntry(s(2)?),
        ("DELETE", ["accessList", _]) => Op::DeleteAccessListEntry(s(2)?),
        ("GET", ["accessList", _, "status"]) => Op::GetAccessListStatus(s(2)?),
        ("GET", ["auditLog"]) => Op::GetAuditing,
        ("PATCH", ["auditLog"]) => Op::UpdateAuditing,
        ("GET", ["databaseUsers"]) => Op::ListDatabaseUsers,
        ("POST", ["databaseUsers"]) => Op::CreateDatabaseUser,
        ("GET", ["databaseUsers", _, _]) => Op::GetDatabaseUser(s(2)?, s(3)?),
        ("PATCH", ["databaseUsers", _, _]) => Op::UpdateDatabaseUser(s(2)?, s(3)?),
        ("DELETE", ["databaseUsers", _, _]) => Op::DeleteDatabaseUser(s(2)?, s(3)?),
        _ => return None,
    };
    Some((group, op))
}

/// Refuses ids that are not projects.
fn check_group(group: &str) -> Result<(), AtlasError> {
    let hex = group.len() == 24 && group.chars().all(|c| c.is_ascii_hexdigit());
    if !hex {
        return Err(AtlasError::new(
            400,
            "PATH_PARAM_PARSE_ERROR",
            format!("One or more path parameter is invalid. groupId {group} is not a valid id."),
        )
        .param(group));
    }
    if group == MISSING_GROUP || group.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(AtlasError::new(
            404,
            "GROUP_NOT_FOUND",
            format!("No group with ID {group} exists."),
        )
        .param(group));
    }
    Ok(())
}

/// What a handler needs besides the state and the body.
pub struct Ctx<'a> {
    pub group: &'a str,
    pub now: u64,
    pub transition_ms: u64,
    /// `http://host/api/atlas/v2`, for `links`.
    pub base: String,
    pub query: Vec<(String, String)>,
    /// The version being served.
    pub version: &'static str,
}

impl Ctx<'_> {
    pub fn link(&self, path: &str) -> Value {
        serde_json::json!([{"href": format!("{}{path}", self.base), "rel": "self"}])
    }
}

/// A successful answer: status and body (`None` for an empty body).
pub type Answer = Result<(StatusCode, Option<Value>), AtlasError>;

pub(super) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route(oauth::TOKEN_PATH, axum::routing::post(oauth::token))
        .route(PREFIX, any(handle))
        .route(&format!("{PREFIX}/{{*rest}}"), any(handle))
}

async fn handle(
    AxumState(shared): AxumState<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !shared.config.latency.is_zero() {
        tokio::time::sleep(shared.config.latency).await;
    }
    let (response, fault) = answer(&shared, &method, &uri, &headers, &body);
    // A challenge is not the operation's answer: only authenticated ones are held back.
    if let Some((_, op)) = route(&method, uri.path())
        && response.status() != StatusCode::UNAUTHORIZED
    {
        shared.delay_answer(op.name()).await;
    }
    match fault {
        Some(mode) => faults::spoil(&shared.faults, mode, response, &AtlasErrors).await,
        None => response,
    }
}

/// Atlas renders faults as its own 429 and 500 bodies.
struct AtlasErrors;

impl faults::CloudErrors for AtlasErrors {
    fn throttled(&self, retry_after: Option<u64>) -> Response {
        let mut error = AtlasError::rate_limited("api/atlas/v2", retry_after.unwrap_or(0));
        error.retry_after = retry_after;
        error.into_response()
    }

    fn server_error(&self) -> Response {
        AtlasError::new(500, "UNEXPECTED_ERROR", "Unexpected error.").into_response()
    }
}

/// Authenticates, routes and runs one request, all under the state lock; with the fault that
/// struck after the request was applied, if any.
fn answer(
    shared: &Shared,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> (Response, Option<faults::Mode>) {
    let mut fault = None;
    let response = authorized_answer(shared, method, uri, headers, body, &mut fault);
    (response, fault)
}

fn authorized_answer(
    shared: &Shared,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
    fault: &mut Option<faults::Mode>,
) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let as_sent = uri
        .path_and_query()
        .map_or_else(|| uri.path().to_owned(), |p| p.as_str().to_owned());
    let now = now_ms();
    let mut state = shared.atlas();
    let authorized = state.tokens.verify(header("authorization"), now)
        || auth::verify(
            &mut state.nonces,
            &shared.config.atlas_keys,
            method.as_str(),
            &as_sent,
            header("authorization"),
            now,
        );
    if !authorized {
        let challenge = auth::challenge(&mut state.nonces, now);
        return unauthorized(&challenge);
    }
    let Some((group, op)) = route(method, uri.path()) else {
        return AtlasError::new(
            404,
            "RESOURCE_NOT_FOUND",
            format!("Cannot find resource {}.", uri.path()),
        )
        .param(uri.path())
        .into_response();
    };
    *state.calls.entry(op.name().to_owned()).or_insert(0) += 1;
    let versions = op.versions();
    let Some(version) = header("accept").and_then(|accept| {
        accept
            .split(',')
            .find_map(|one| resolve(one.trim(), versions.dates))
    }) else {
        return AtlasError::new(
            406,
            "INVALID_VERSION_DATE",
            "Invalid accept header or version date.",
        )
        .into_response();
    };
    if let Err(error) = check_group(&group) {
        return error.into_response();
    }
    *fault = shared
        .faults
        .draw(&group, op.name(), *method != Method::GET);
    if let Some(refused) = fault.and_then(|mode| faults::refuse(&shared.faults, mode, &AtlasErrors))
    {
        *fault = None;
        return refused;
    }
    let limit = shared.config.atlas_rate_per_minute;
    let remaining = match rate(&mut state, &group, limit, now) {
        Ok(remaining) => remaining,
        Err(error) => return with_rate(error.into_response(), limit, 0),
    };
    let has_body = !body.iter().all(u8::is_ascii_whitespace);
    let json = if has_body {
        match parse_body(header("content-type"), body) {
            Ok(value) => value,
            Err(error) => return with_rate(error.into_response(), limit, remaining),
        }
    } else {
        Value::Null
    };
    let query = serde_urlencoded::from_str::<Vec<(String, String)>>(uri.query().unwrap_or(""))
        .unwrap_or_default();
    let pretty = query.iter().any(|(k, v)| k == "pretty" && v == "true");
    let ctx = Ctx {
        group: &group,
        now,
        transition_ms: u64::try_from(shared.config.transition.as_millis()).unwrap_or(u64::MAX),
        base: format!("http://{}{PREFIX}", header("host").unwrap_or("localhost")),
        query,
        version,
    };
    state.settle(now);
    let project = state.projects.entry(group.clone()).or_default();
    let answer = dispatch(project, &ctx, &op, &json);
    let response = match answer {
        Ok((status, body)) => success(status, body, version, versions, pretty),
        Err(error) => error.into_response(),
    };
    with_rate(response, limit, remaining)
}

fn dispatch(project: &mut Project, ctx: &Ctx<'_>, op: &Op, body: &Value) -> Answer {
    match op {
        Op::ListClusters => clusters::list(project, ctx),
        Op::CreateCluster => clusters::create(project, ctx, body),
        Op::GetCluster(name) => clusters::get(project, ctx, name),
        Op::UpdateCluster(name) => clusters::update(project, ctx, name, body),
        Op::DeleteCluster(name) => clusters::delete(project, ctx, name),
        Op::ListAccessList => access_list::list(project, ctx),
        Op::CreateAccessList => access_list::create(project, ctx, body),
        Op::GetAccessListEntry(entry) => access_list::get(project, ctx, entry),
        Op::DeleteAccessListEntry(entry) => access_list::delete(project, ctx, entry),
        Op::GetAccessListStatus(entry) => access_list::status(project, ctx, entry),
        Op::GetAuditing => auditing::get(project),
        Op::UpdateAuditing => auditing::update(project, body),
        Op::ListSnapshots(cluster) => snapshots::list(project, ctx, cluster),
        Op::TakeSnapshot(cluster) => snapshots::take(project, ctx, cluster, body),
        Op::GetSnapshot(cluster, id) => snapshots::get(project, ctx, cluster, id),
        Op::DeleteSnapshot(cluster, id) => snapshots::delete(project, ctx, cluster, id),
        Op::GetBackupSchedule(cluster) => backup_schedule::get(project, ctx, cluster),
        Op::UpdateBackupSchedule(cluster) => backup_schedule::update(project, ctx, cluster, body),
        Op::CreateRestoreJob(cluster) => {
            backup_schedule::create_restore(project, ctx, cluster, body)
        }
        Op::GetRestoreJob(cluster, id) => backup_schedule::get_restore(project, ctx, cluster, id),
        Op::ListDatabaseUsers => users::list(project, ctx),
        Op::CreateDatabaseUser => users::create(project, ctx, body),
        Op::GetDatabaseUser(db, name) => users::get(project, ctx, db, name),
        Op::UpdateDatabaseUser(db, name) => users::update(project, ctx, db, name, body),
        Op::DeleteDatabaseUser(db, name) => users::delete(project, ctx, db, name),
    }
}

/// Counts a request against its project's minute and any forced throttling; the requests left.
fn rate(state: &mut State, group: &str, limit: u32, now: u64) -> Result<u32, AtlasError> {
    let path = format!("api/atlas/v2/groups/{group}");
    if let Some((count, retry_after)) = state.throttles.get_mut(group)
        && *count > 0
    {
        *count -= 1;
        return Err(AtlasError::rate_limited(&path, *retry_after));
    }
    let window_start = now - now % 60_000;
    let window = state
        .windows
        .entry(group.to_owned())
        .or_insert((window_start, 0));
    if window.0 != window_start {
        *window = (window_start, 0);
    }
    if window.1 >= limit {
        let retry_after = (window_start + 60_000 - now).div_ceil(1000).max(1);
        return Err(AtlasError::rate_limited(&path, retry_after));
    }
    window.1 += 1;
    Ok(limit - window.1)
}

fn with_rate(mut response: Response, limit: u32, remaining: u32) -> Response {
    let headers = response.headers_mut();
    headers.insert("ratelimit-limit", HeaderValue::from(limit));
    headers.insert("ratelimit-remaining", HeaderValue::from(remaining));
    response
}

/// A request body: JSON, sent as `application/json` or the versioned type.
fn parse_body(content_type: Option<&str>, body: &[u8]) -> Result<Value, AtlasError> {
    let media = content_type
        .and_then(|c| c.split(';').next())
        .map(|c| c.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let accepted = media == "application/json"
        || (media.starts_with("application/vnd.atlas.") && media.ends_with("+json"));
    if !accepted {
        return Err(AtlasError::new(
            415,
            "UNSUPPORTED_MEDIA_TYPE",
            format!("Unsupported content type {media:?}."),
        ));
    }
    serde_json::from_slice(body).map_err(|e| {
        AtlasError::new(
            400,
            "INVALID_JSON",
            format!("Received JSON is malformed: {e}."),
        )
    })
}

fn unauthorized(challenge: &str) -> Response {
    let mut response = AtlasError::new(
        401,
        "UNEXPECTED_ERROR",
        "You are not authorized for this resource.",
    )
    .into_response();
    // The recorded 401 body has no `parameters`.
    *response.body_mut() = axum::body::Body::from(
        r#"{"error":401,"reason":"Unauthorized","detail":"You are not authorized for this resource.","errorCode":"UNEXPECTED_ERROR"}"#,
    );
    if let Ok(value) = HeaderValue::from_str(challenge) {
        response.headers_mut().insert("www-authenticate", value);
    }
    response
}

/// An HTTP date as Atlas writes `Deprecation`/`Sunset`: `Mon, 5 Aug 2024 00:00:00 GMT`.
fn http_date(date: &str) -> Option<String> {
    let day = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    Some(day.format("%a, %-d %b %Y 00:00:00 GMT").to_string())
}

fn success(
    status: StatusCode,
    body: Option<Value>,
    version: &'static str,
    versions: &Versions,
    pretty: bool,
) -> Response {
    let text = match (&body, pretty) {
        (None, _) => String::new(),
        (Some(v), true) => serde_json::to_string_pretty(v).unwrap_or_default(),
        (Some(v), false) => v.to_string(),
    };
    let mut response = (status, text).into_response();
    let headers = response.headers_mut();
    if body.is_some()
        && let Ok(value) = HeaderValue::from_str(&format!(
            "application/vnd.atlas.{version}+json;charset=utf-8"
        ))
    {
        headers.insert("content-type", value);
    } else {
        headers.remove("content-type");
    }
    if let Some((_, since, sunset)) = versions.deprecated.iter().find(|(v, ..)| *v == version) {
        for (name, date) in [("deprecation", Some(*since)), ("sunset", *sunset)] {
            if let Some(value) = date
                .and_then(http_date)
                .and_then(|d| HeaderValue::from_str(&d).ok())
            {
                headers.insert(name, value);
            }
        }
    }
    response
}

/// 24 lowercase hex digits, the shape of every Atlas id.
pub fn new_id() -> String {
    let mut rng = rand::rng();
    (0..24)
        .map(|_| char::from(b"0123456789abcdef"[rng.random_range(0..16)]))
        .collect()
}

/// `n` random lowercase letters and digits (host and replica set tags).
pub fn tag(n: usize) -> String {
    let mut rng = rand::rng();
    (0..n)
        .map(|_| char::from(b"abcdefghijklmnopqrstuvwxyz0123456789"[rng.random_range(0..36)]))
        .collect()
}

/// A UTC timestamp as Atlas writes them: `2026-08-10T03:08:14Z`.
pub fn iso(ms: u64) -> String {
    chrono::DateTime::from_timestamp_millis(i64::try_from(ms).unwrap_or(i64::MAX))
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}
