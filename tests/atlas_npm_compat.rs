//! Runs the community npm Atlas client `mongodb-atlas-api-client` (tests/compat/atlas_client.mjs,
//! installed by `scripts/compat-npm.sh`) against the emulator's Atlas API, and checks through
//! the admin API that its calls really reached the emulator. Without Node.js the test fails
//! under `make test`/CI and skips elsewhere, never silently.

use std::path::Path;
use std::time::Duration;

use mongocloud_operator::emulator::{self, Config};
use serde_json::Value;
use tokio::process::Command;

const GROUP: &str = "6a1b2c3d4e5f60718293a4b5";

fn required() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
        || std::env::var_os("MONGOCLOUD_REQUIRE_CLUSTER").is_some()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn npm_atlas_client_drives_a_full_life_cycle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let node = Command::new("node").arg("--version").output().await;
    if !node.is_ok_and(|out| out.status.success()) {
        assert!(
            !required(),
            "Node.js is required for the npm compatibility test"
        );
        println!("SKIP npm_atlas_client_drives_a_full_life_cycle: no Node.js");
        return;
    }
    let install = Command::new(root.join("scripts/compat-npm.sh"))
        .output()
        .await;
    let modules = match install {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        other => {
            let why = match other {
                Ok(out) => String::from_utf8_lossy(&out.stderr).into_owned(),
                Err(e) => e.to_string(),
            };
            assert!(!required(), "scripts/compat-npm.sh failed: {why}");
            println!("SKIP npm_atlas_client_drives_a_full_life_cycle: {why}");
            return;
        }
    };

    let e = emulator::start(Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        transition: Duration::from_millis(200),
        atlas_keys: [("npm-public".to_owned(), "npm-private".to_owned())].into(),
        ..Config::default()
    })
    .await
    .expect("start");
    let out = Command::new("node")
        .arg(root.join("tests/compat/atlas_client.mjs"))
        .arg(format!("{}/api/atlas/v2", e.url()))
        .args(["npm-public", "npm-private", GROUP])
        .env("ATLAS_NPM_MODULES", &modules)
        .output()
        .await
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "npm client compatibility failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("checks passed"), "{stdout}");

    let calls: Value = reqwest::get(format!("{}/_emulator/atlas/calls", e.url()))
        .await
        .expect("calls")
        .json()
        .await
        .expect("json");
    let count = |op: &str| calls["operations"][op].as_u64().unwrap_or(0);
    for op in [
        "createCluster",
        "listClusters",
        "updateCluster",
        "deleteCluster",
        "createAccessListEntries",
        "listProjectIpAccessLists",
        "deleteProjectIpAccessList",
        "getAuditingConfiguration",
        "updateAuditingConfiguration",
        "takeSnapshot",
        "listReplicaSetBackups",
    ] {
        assert_eq!(count(op), 1, "{op}: {calls}");
    }
    assert!(count("getCluster") >= 3, "{calls}");
    assert!(count("getProjectIpList") >= 3, "{calls}");
    assert!(count("getReplicaSetBackup") >= 1, "{calls}");
    // The client cleaned up after itself: the cluster is gone, the auditing stays.
    let state: Value = reqwest::get(format!("{}/_emulator/atlas/state", e.url()))
        .await
        .expect("state")
        .json()
        .await
        .expect("json");
    let project = &state["projects"][GROUP];
    assert_eq!(project["clusters"], serde_json::json!({}), "{state}");
    assert_eq!(project["auditing"]["enabled"], true, "{state}");
    assert_eq!(
        project["accessList"].as_object().map(|l| l.len()),
        Some(1),
        "{state}"
    );
    e.stop().await;
}
