//! The operator as a process: leader election between two replicas (one writes; the other takes
//! over when it dies) and the HTTP endpoints (/metrics, /healthz, /readyz).

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mongocloud_operator::api::DBInstance;
use serde_json::json;
use support::{Harness, has_condition};

struct Replica {
    child: Child,
    log: PathBuf,
}

impl Replica {
    fn start(h: &Harness, dir: &Path, name: &str) -> Replica {
        let log = dir.join(format!("{name}.log"));
        let file = std::fs::File::create(&log).expect("log");
        let child = Command::new(env!("CARGO_BIN_EXE_mongocloud-operator"))
            .args([
                "run",
                "--namespaces",
                &h.ns,
                "--metrics-addr",
                "127.0.0.1:0",
                "--health-addr",
                "127.0.0.1:0",
            ])
            .args([
                "--leader-elect",
                "--leader-election-namespace",
                &h.ns,
                "--lease-duration",
                "3s",
            ])
            .args(["--transitional-interval", "200ms", "--drift-interval", "3s"])
            .env("POD_NAME", name)
            .env("RUST_LOG", "info,kube=warn")
            .env("NO_COLOR", "1")
            .stdout(Stdio::from(file.try_clone().expect("log")))
            .stderr(Stdio::from(file))
            .spawn()
            .expect("operator starts");
        Replica { child, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    async fn wait_log(&self, text: &str, limit: Duration) -> Duration {
        let started = Instant::now();
        while !self.log().contains(text) {
            assert!(
                started.elapsed() < limit,
                "no {text:?} in {limit:?}:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        started.elapsed()
    }

    /// The address the HTTP endpoints were bound to, from the start-up log line.
    fn http_addr(&self) -> String {
        let log = self.log();
        let line = log
            .lines()
            .find(|l| l.contains("serving /healthz"))
            .expect("serving line");
        let start = line.find("address=").expect("address field") + "address=".len();
        line[start..]
            .split_whitespace()
            .next()
            .expect("address")
            .to_owned()
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn dbinstance(h: &Harness) -> serde_json::Value {
    json!({"apiVersion": "mongocloud.dev/v1alpha1", "kind": "DBInstance", "metadata": {"name": "db"},
           "spec": {"providerConfigRef": {"name": h.pc}, "forProvider": {"regionId": "cn-hangzhou", "engineVersion": "6.0", "instanceClass": "dds.mongo.mid", "storageGB": 20, "description": "v1"}}})
}

#[tokio::test]
async fn one_replica_writes_and_the_other_takes_over() {
    let Some(h) = support::harness("leader", 300).await else {
        return;
    };
    h.provider_config().await;
    let dir = tempfile::tempdir().expect("tmp");
    let mut a = Replica::start(&h, dir.path(), "replica-a");
    a.wait_log("became leader", Duration::from_secs(20)).await;
    let b = Replica::start(&h, dir.path(), "replica-b");
    b.wait_log("waiting for the leader lease", Duration::from_secs(20))
        .await;

    h.create::<DBInstance>(dbinstance(&h)).await;
    let id = h
        .wait_for::<DBInstance, _>("db", "Ready=True", Duration::from_secs(30), |d| {
            let st = d.status.as_ref()?;
            has_condition(d, &st.conditions, "Ready", "True", None)?;
            st.instance_id.clone()
        })
        .await;
    assert!(
        !b.log().contains("became leader") && !b.log().contains("instance created"),
        "the standby wrote:\n{}",
        b.log()
    );
    assert!(a.log().contains("instance created"));

    let _ = a.child.kill();
    let _ = a.child.wait();
    let takeover = b.wait_log("became leader", Duration::from_secs(15)).await;
    println!("standby took over {takeover:?} after the leader was killed (lease 3 s)");
    h.merge::<DBInstance>(
        "db",
        json!({"spec": {"forProvider": {"description": "v2"}}}),
    )
    .await;
    for _ in 0..100 {
        if h.cloud_instances().await[&id]["description"] == "v2" {
            assert_eq!(h.calls_of("CreateDBInstance").await, 1);
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the new leader did not apply the change:\n{}", b.log());
}

#[tokio::test]
async fn metrics_and_probes_report_sane_values() {
    let Some(h) = support::harness("metrics", 300).await else {
        return;
    };
    h.provider_config().await;
    let dir = tempfile::tempdir().expect("tmp");
    let op = Replica::start(&h, dir.path(), "metrics");
    op.wait_log("serving /healthz", Duration::from_secs(20))
        .await;
    h.create::<DBInstance>(dbinstance(&h)).await;
    h.wait_for::<DBInstance, _>("db", "Ready=True", Duration::from_secs(30), |d| {
        let st = d.status.as_ref()?;
        has_condition(d, &st.conditions, "Ready", "True", None)
    })
    .await;
    let base = format!("http://{}", op.http_addr());
    assert_eq!(
        reqwest::get(format!("{base}/healthz"))
            .await
            .expect("healthz")
            .status()
            .as_u16(),
        200
    );
    assert_eq!(
        reqwest::get(format!("{base}/readyz"))
            .await
            .expect("readyz")
            .status()
            .as_u16(),
        200
    );
    let text = reqwest::get(format!("{base}/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("body");
    for series in [
        r#"mongocloud_cloud_calls_total{action="CreateDBInstance",outcome="ok"} 1"#,
        r#"mongocloud_cloud_calls_total{action="DescribeRegions",outcome="ok"}"#,
        r#"mongocloud_reconciles_total{kind="DBInstance",result="ok"}"#,
        r#"mongocloud_reconcile_duration_seconds_count{kind="DBInstance"}"#,
        r#"mongocloud_resources{kind="DBInstance",ready="True"} 1"#,
    ] {
        assert!(text.contains(series), "missing {series} in\n{text}");
    }
    assert!(
        !text.contains(&h.ns) && !text.contains("dds-"),
        "no names or ids in metric labels"
    );
}
