//! The kustomize base installs on the real API server, and its RBAC is enough: the operator
//! binary, running out of cluster with the ServiceAccount's token, takes a DBInstance to Ready,
//! while an action outside its role is forbidden.

mod support;

use std::time::Duration;

use support::{can_i, kubectl};

#[tokio::test]
async fn base_installs_and_its_rbac_is_sufficient_and_no_more() {
    let Some(mut h) = support::harness("rbac", 300).await else {
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
    h.provider_config().await;
    let kubeconfig = h.start_operator_as("mongocloud-system", "mongocloud-operator", &[]);
    assert!(
        !can_i(&kubeconfig, &["delete", "namespaces"]),
        "the operator may not delete namespaces"
    );
    assert!(
        !can_i(&kubeconfig, &["list", "pods", "-A"]),
        "pods are outside the role"
    );
    assert!(
        !can_i(&kubeconfig, &["delete", "secrets", "-n", &h.ns]),
        "owned Secrets go with their owner; the operator never deletes Secrets"
    );

    h.dbinstance_ready_with_secret("db", Duration::from_secs(40))
        .await;
    let log = h.log_tail(10_000);
    assert!(
        !log.contains("forbidden"),
        "a request was forbidden:\n{log}"
    );
}
