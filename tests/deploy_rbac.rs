//! The kustomize base installs on the real API server, and its RBAC is enough: the operator
//! binary, running out of cluster with the ServiceAccount's token, takes a DBInstance to Ready,
//! while an action outside its role is forbidden.

mod support;

use std::process::{Command, Stdio};
use std::time::Duration;

use mongocloud_operator::api::DBInstance;
use serde_json::json;
use support::has_condition;

fn kubectl(args: &[&str]) -> String {
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

#[tokio::test]
async fn base_installs_and_its_rbac_is_sufficient_and_no_more() {
    let Some(h) = support::harness("rbac", 300).await else {
        return;
    };
    let root = env!("CARGO_MANIFEST_DIR");
    kubectl(&[
        "apply",
        "--server-side",
        "--force-conflicts",
        "-k",
        &format!("{root}/deploy/base"),
    ]);
    let token = kubectl(&[
        "create",
        "token",
        "mongocloud-operator",
        "-n",
        "mongocloud-system",
    ])
    .trim()
    .to_owned();

    let dir = tempfile::tempdir().expect("tmp");
    let kubeconfig = dir.path().join("sa.kubeconfig");
    std::fs::copy(
        std::env::var("KUBECONFIG").expect("KUBECONFIG"),
        &kubeconfig,
    )
    .expect("copy kubeconfig");
    let kc = kubeconfig.to_str().expect("path");
    let cluster = kubectl(&[
        "--kubeconfig",
        kc,
        "config",
        "view",
        "-o",
        "jsonpath={.contexts[?(@.name==\"admin\")].context.cluster}",
    ]);
    kubectl(&[
        "--kubeconfig",
        kc,
        "config",
        "set-credentials",
        "operator-sa",
        &format!("--token={token}"),
    ]);
    kubectl(&[
        "--kubeconfig",
        kc,
        "config",
        "set-context",
        "operator-sa",
        &format!("--cluster={cluster}"),
        "--user=operator-sa",
    ]);
    kubectl(&["--kubeconfig", kc, "config", "use-context", "operator-sa"]);
    let forbidden = Command::new("kubectl")
        .args(["--kubeconfig", kc, "auth", "can-i", "delete", "namespaces"])
        .output()
        .expect("can-i");
    assert_eq!(
        String::from_utf8_lossy(&forbidden.stdout).trim(),
        "no",
        "the operator may not delete namespaces"
    );
    let denied = Command::new("kubectl")
        .args(["--kubeconfig", kc, "get", "pods", "-A"])
        .output()
        .expect("get pods");
    assert!(
        !denied.status.success() && String::from_utf8_lossy(&denied.stderr).contains("forbidden"),
        "pods are outside the role"
    );

    h.provider_config().await;
    let log = std::fs::File::create(dir.path().join("operator.log")).expect("log");
    let mut operator = Command::new(env!("CARGO_BIN_EXE_mongocloud-operator"))
        .args([
            "run",
            "--namespaces",
            &h.ns,
            "--metrics-addr",
            "127.0.0.1:0",
            "--health-addr",
            "127.0.0.1:0",
            "--transitional-interval",
            "200ms",
        ])
        .env("KUBECONFIG", &kubeconfig)
        .env("RUST_LOG", "info,kube=warn")
        .stdout(Stdio::from(log.try_clone().expect("log")))
        .stderr(Stdio::from(log))
        .spawn()
        .expect("operator starts");
    h.create::<DBInstance>(json!({"apiVersion": "mongocloud.dev/v1alpha1", "kind": "DBInstance", "metadata": {"name": "db"},
        "spec": {"providerConfigRef": {"name": h.pc}, "writeConnectionSecretToRef": {"name": "db-conn"},
                 "forProvider": {"regionId": "cn-hangzhou", "engineVersion": "6.0", "instanceClass": "dds.mongo.mid", "storageGB": 20}}}))
    .await;
    let ready = tokio::time::timeout(Duration::from_secs(40), async {
        loop {
            let d = h.api::<DBInstance>().get("db").await.expect("db");
            let ok = d
                .status
                .as_ref()
                .is_some_and(|s| has_condition(&d, &s.conditions, "Ready", "True", None).is_some());
            let secret = h
                .api::<k8s_openapi::api::core::v1::Secret>()
                .get_opt("db-conn")
                .await
                .expect("secret");
            if ok && secret.is_some() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await;
    let _ = operator.kill();
    let _ = operator.wait();
    let log = std::fs::read_to_string(dir.path().join("operator.log")).unwrap_or_default();
    assert!(
        ready.is_ok(),
        "no Ready DBInstance and connection Secret under the ServiceAccount:\n{log}"
    );
    assert!(
        !log.contains("forbidden"),
        "a request was forbidden:\n{log}"
    );
}
