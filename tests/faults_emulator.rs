//! Every fault mode of the emulator, on both clouds, against the operator's real clients over
//! loopback: each mode strikes (the emulator counts it) and the client classifies it right —
//! reads and token-carrying creates are retried, changes that may have been applied are not
//! repeated, and a throttled account gets no call before its `Retry-After`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use mongocloud_operator::cloud::aliyun::AliyunClient;
use mongocloud_operator::cloud::atlas::provider::AtlasProvider;
use mongocloud_operator::cloud::*;
use mongocloud_operator::emulator::faults::{ActionRule, Mode, Plan};
use mongocloud_operator::emulator::{self, Config, Running};
use mongocloud_operator::metrics::Metrics;
use serde_json::Value;

#[path = "support/emulator_account.rs"]
mod emulator_account;
use emulator_account::PROJECT;

async fn start() -> Running {
    emulator::start(Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        transition: Duration::from_millis(50),
        ..Config::default()
    })
    .await
    .expect("emulator starts")
}

/// The next `count` calls of `action` fault in `mode`; hangs last 1.5 s, slow answers 300 ms.
fn once(action: &str, mode: Mode, count: u32, retry_after_secs: u64) -> Plan {
    Plan {
        actions: [(
            action.to_owned(),
            ActionRule {
                rate: 1.0,
                modes: vec![mode],
                count: Some(count),
            },
        )]
        .into(),
        retry_after_secs,
        hang_ms: 1500,
        slow_ms: 300,
        ..Plan::default()
    }
}

async fn set_plan(e: &Running, plan: &Plan) {
    let status = reqwest::Client::new()
        .put(format!("{}/_emulator/faults", e.url()))
        .json(plan)
        .send()
        .await
        .expect("admin")
        .status();
    assert!(status.is_success(), "plan refused: {status}");
}

async fn admin(e: &Running, path: &str) -> Value {
    reqwest::get(format!("{}{path}", e.url()))
        .await
        .expect("admin")
        .json()
        .await
        .expect("json")
}

async fn struck(e: &Running, action: &str, mode: Mode) -> u64 {
    admin(e, "/_emulator/faults").await["byAction"][action][mode.name()]
        .as_u64()
        .unwrap_or(0)
}

fn settings(e: &Running, cloud: Cloud) -> AccountSettings {
    AccountSettings {
        // Shorter than the emulator's 1.5 s hang.
        request_timeout: Some(Duration::from_millis(700)),
        ..emulator_account::settings(e, cloud)
    }
}

fn dds(e: &Running) -> AliyunClient {
    AliyunClient::new(settings(e, Cloud::Aliyun), None).expect("client")
}

fn atlas(e: &Running) -> AtlasProvider {
    AtlasProvider::new(settings(e, Cloud::Atlas), None).expect("provider")
}

fn dds_create(token: &str) -> CreateInstance {
    CreateInstance {
        region: "cn-hangzhou".into(),
        engine_version: "6.0".into(),
        instance_class: "dds.mongo.mid".into(),
        storage_gb: 20,
        replication_factor: 3,
        charge_type: "PostPaid".into(),
        tags: [(UID_TAG.to_owned(), token.to_owned())].into(),
        client_token: token.into(),
        ..CreateInstance::default()
    }
}

fn atlas_create(name: &str) -> CreateInstance {
    CreateInstance {
        region: "US_EAST_1".into(),
        engine_version: "8.0".into(),
        instance_class: "M10".into(),
        storage_gb: 10,
        replication_factor: 3,
        tags: [(UID_TAG.to_owned(), name.to_owned())].into(),
        client_token: name.into(),
        name: Some(name.into()),
        cloud_provider: Some("AWS".into()),
        ..CreateInstance::default()
    }
}

/// Reads survive every mode that refuses or spoils an answer: the client retries them.
#[tokio::test]
async fn dds_reads_are_retried_through_every_mode() {
    let e = start().await;
    let c = dds(&e);
    for mode in [
        Mode::Throttle,
        Mode::ThrottleNoRetryAfter,
        Mode::ServerError,
        Mode::HtmlError,
        Mode::Reset,
        Mode::Hang,
        Mode::Slow,
        Mode::Malformed,
        Mode::WrongContentType,
    ] {
        set_plan(&e, &once("DescribeRegions", mode, 1, 1)).await;
        c.check_credentials()
            .await
            .unwrap_or_else(|err| panic!("{mode:?}: the read was not retried: {err}"));
        assert_eq!(
            struck(&e, "DescribeRegions", mode).await,
            1,
            "{mode:?} struck"
        );
    }
    e.stop().await;
}

#[tokio::test]
async fn atlas_reads_are_retried_through_passing_faults_and_throttling_goes_to_the_caller() {
    let e = start().await;
    let p = atlas(&e);
    for mode in [
        Mode::ServerError,
        Mode::HtmlError,
        Mode::Reset,
        Mode::Hang,
        Mode::Slow,
        Mode::Malformed,
        Mode::WrongContentType,
    ] {
        set_plan(&e, &once("listClusters", mode, 1, 1)).await;
        p.check_credentials()
            .await
            .unwrap_or_else(|err| panic!("{mode:?}: the read was not retried: {err}"));
        assert_eq!(struck(&e, "listClusters", mode).await, 1, "{mode:?} struck");
    }
    for (mode, retry_after) in [
        (Mode::Throttle, Some(Duration::from_secs(1))),
        (Mode::ThrottleNoRetryAfter, None),
    ] {
        set_plan(&e, &once("listClusters", mode, 1, 1)).await;
        let err = p.check_credentials().await.expect_err("throttled");
        assert_eq!(err.class, ErrorClass::Throttled { retry_after }, "{mode:?}");
    }
    e.stop().await;
}

/// A lost answer to a create with a ClientToken is repeated and finds the same instance.
#[tokio::test]
async fn dds_create_whose_answer_is_lost_is_repeated_and_makes_one_instance() {
    let e = start().await;
    let c = dds(&e);
    for mode in [
        Mode::LostAnswer,
        Mode::ErrorAfterApply,
        Mode::Hang,
        Mode::Malformed,
    ] {
        set_plan(&e, &once("CreateDBInstance", mode, 1, 1)).await;
        let token = format!("token-{}", mode.name());
        let id = c
            .create_instance(&dds_create(&token))
            .await
            .unwrap_or_else(|err| panic!("{mode:?}: {err}"));
        let state = admin(&e, "/_emulator/state").await;
        let tagged = state["instances"]
            .as_object()
            .expect("instances")
            .values()
            .filter(|i| i["tags"][UID_TAG] == token.as_str())
            .count();
        assert_eq!(tagged, 1, "{mode:?}: one instance for {id}");
        assert_eq!(struck(&e, "CreateDBInstance", mode).await, 1, "{mode:?}");
    }
    e.stop().await;
}

/// A change whose answer is lost was applied; the client does not repeat it (a second backup
/// or restart would be a duplicate), it reports a passing fault for the controller to observe.
#[tokio::test]
async fn dds_changes_whose_answer_is_lost_are_applied_once_and_not_repeated() {
    let e = start().await;
    let c = dds(&e);
    let id = c
        .create_instance(&dds_create("backups"))
        .await
        .expect("create");
    wait_running(&c, &id).await;
    for (n, mode) in [
        Mode::LostAnswer,
        Mode::ErrorAfterApply,
        Mode::Hang,
        Mode::Malformed,
        Mode::WrongContentType,
    ]
    .into_iter()
    .enumerate()
    {
        set_plan(&e, &once("CreateBackup", mode, 1, 1)).await;
        let err = c
            .create_backup(&id, "Logical", "uid-1")
            .await
            .expect_err("the answer was lost");
        assert_eq!(err.class, ErrorClass::Transient, "{mode:?}: {err}");
        let state = admin(&e, "/_emulator/state").await;
        let backups = state["instances"][&id]["backups"]
            .as_array()
            .map_or(0, Vec::len);
        assert_eq!(backups, n + 1, "{mode:?}: applied once, not repeated");
        wait_backups_done(&e, &c, &id).await;
    }
    e.stop().await;
}

/// A refused change (throttled) was not applied, so any action may be repeated after it.
#[tokio::test]
async fn dds_throttled_backup_is_repeated_after_retry_after() {
    let e = start().await;
    let c = dds(&e);
    let id = c
        .create_instance(&dds_create("throttled"))
        .await
        .expect("create");
    wait_running(&c, &id).await;
    set_plan(&e, &once("CreateBackup", Mode::Throttle, 1, 1)).await;
    let started = Instant::now();
    c.create_backup(&id, "Logical", "uid-1")
        .await
        .expect("repeated after the throttle");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After honoured"
    );
    assert_eq!(struck(&e, "CreateBackup", Mode::Throttle).await, 1);
    e.stop().await;
}

/// After a throttle with a Retry-After too long to wait inline, no call of the account goes
/// out before it ends, on either cloud; the held call's wait shows in the metrics.
#[tokio::test]
async fn a_throttled_account_makes_no_call_before_retry_after() {
    let e = start().await;
    let metrics = Arc::new(Metrics::default());
    let observer: Arc<dyn CallObserver> = metrics.clone();
    let c = AliyunClient::new(settings(&e, Cloud::Aliyun), Some(observer.clone())).expect("client");
    set_plan(&e, &once("DescribeRegions", Mode::Throttle, 1, 6)).await;
    let err = c.check_credentials().await.expect_err("throttled");
    assert!(
        matches!(err.class, ErrorClass::Throttled { retry_after: Some(d) } if d == Duration::from_secs(6))
    );
    let throttled_at = Instant::now();
    let before = admin(&e, "/_emulator/calls").await["total"].as_u64();
    let next = tokio::spawn(async move {
        c.list_instances(&ListInstances {
            region: "cn-hangzhou".into(),
            page_number: 1,
            page_size: 10,
            tag: None,
        })
        .await
        .map(drop)
    });
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        admin(&e, "/_emulator/calls").await["total"].as_u64(),
        before,
        "no Dds call during the Retry-After"
    );
    next.await.expect("join").expect("the held call goes out");
    assert!(throttled_at.elapsed() >= Duration::from_millis(5900));
    assert!(
        budget_waited(&metrics, "aliyun") >= 5.8,
        "the held Dds call's wait is reported: {}",
        metrics.encode()
    );

    let p = AtlasProvider::new(settings(&e, Cloud::Atlas), Some(observer)).expect("provider");
    set_plan(&e, &once("listClusters", Mode::Throttle, 1, 3)).await;
    p.check_credentials().await.expect_err("throttled");
    let throttled_at = Instant::now();
    p.check_credentials().await.expect("after the Retry-After");
    assert!(
        throttled_at.elapsed() >= Duration::from_millis(2900),
        "the Atlas project was held for its Retry-After"
    );
    assert!(
        budget_waited(&metrics, "atlas") >= 2.8,
        "the held Atlas call's wait is reported: {}",
        metrics.encode()
    );
    e.stop().await;
}

/// Seconds the calls of `cloud` waited for their budget, from the exported histogram.
fn budget_waited(metrics: &Metrics, cloud: &str) -> f64 {
    let prefix = format!("mongocloud_cloud_budget_wait_seconds_sum{{cloud=\"{cloud}\"}} ");
    metrics
        .encode()
        .lines()
        .find_map(|line| line.strip_prefix(&prefix)?.parse().ok())
        .unwrap_or(0.0)
}

/// A lost answer to an Atlas create: the cluster exists, the client reports a passing fault and
/// sends no second create.
#[tokio::test]
async fn atlas_create_whose_answer_is_lost_is_applied_once() {
    let e = start().await;
    let p = atlas(&e);
    set_plan(&e, &once("createCluster", Mode::LostAnswer, 1, 1)).await;
    let err = p
        .create_instance(&atlas_create("lost"))
        .await
        .expect_err("lost");
    assert_eq!(err.class, ErrorClass::Transient, "{err}");
    let calls = admin(&e, "/_emulator/atlas/calls").await;
    assert_eq!(calls["operations"]["createCluster"], 1, "not repeated");
    let state = admin(&e, "/_emulator/atlas/state").await;
    assert!(
        state["projects"][PROJECT]["clusters"]["lost"].is_object(),
        "applied: {state}"
    );
    e.stop().await;
}

#[tokio::test]
async fn a_reset_returns_to_the_plan_of_the_start_and_forgets_the_strikes() {
    let e = start().await;
    set_plan(&e, &once("DescribeRegions", Mode::ServerError, 5, 1)).await;
    let c = dds(&e);
    let _ = c.check_credentials().await;
    assert!(struck(&e, "DescribeRegions", Mode::ServerError).await > 0);

    let status = reqwest::Client::new()
        .post(format!("{}/_emulator/reset", e.url()))
        .send()
        .await
        .expect("admin")
        .status();
    assert!(status.is_success(), "reset refused: {status}");

    let report = admin(&e, "/_emulator/faults").await;
    assert_eq!(report["total"].as_u64(), Some(0), "{report}");
    assert_eq!(
        report["plan"],
        serde_json::to_value(Plan::default()).expect("plan"),
        "the start plan (none) is back: {report}"
    );
    c.check_credentials()
        .await
        .expect("no fault is left to strike after the reset");
    assert_eq!(struck(&e, "DescribeRegions", Mode::ServerError).await, 0);
    e.stop().await;
}

#[tokio::test]
async fn the_run_wide_rate_strikes_about_that_share_and_is_counted() {
    let e = start().await;
    let plan = Plan {
        rate: 0.5,
        modes: vec![Mode::ServerError, Mode::HtmlError],
        ..Plan::default()
    };
    set_plan(&e, &plan).await;
    let c = dds(&e);
    for _ in 0..20 {
        let _ = c.check_credentials().await;
    }
    let report = admin(&e, "/_emulator/faults").await;
    let total = report["total"].as_u64().unwrap_or(0);
    assert!(total >= 5, "half of the calls fault: {report}");
    assert!(
        report["struck"]["serverError"].as_u64() > Some(0),
        "{report}"
    );
    assert!(report["struck"]["htmlError"].as_u64() > Some(0), "{report}");
    e.stop().await;
}

async fn wait_running(c: &AliyunClient, id: &str) {
    for _ in 0..200 {
        let found = c.describe_instance(id).await.ok().flatten();
        if found.is_some_and(|i| i.status == "Running") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{id} never Running");
}

/// Waits until the instance runs and no backup of it is running (a second one would be refused).
async fn wait_backups_done(e: &Running, c: &AliyunClient, id: &str) {
    wait_running(c, id).await;
    for _ in 0..200 {
        let state = admin(e, "/_emulator/state").await;
        let busy = state["instances"][id]["backups"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|b| b["status"] == "Running");
        if !busy {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("a backup of {id} never finished");
}
