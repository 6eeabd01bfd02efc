//! The Argo CD health check (deploy/argocd/health.lua) on a real Lua 5.1 interpreter, as Argo CD
//! runs it, for every kind and state — on hand-made statuses and on the statuses the real
//! controllers write; and the argocd-cm snippet embeds exactly that script.

mod support;

use std::time::Duration;

use mlua::{Lua, LuaSerdeExt, Table};
use mongocloud_operator::api::DBInstance;
use serde_json::{Value, json};

const SCRIPT: &str = include_str!("../deploy/argocd/health.lua");
const KINDS: [&str; 6] = [
    "ProviderConfig",
    "DBInstance",
    "SecurityIpList",
    "AuditLogFilter",
    "Backup",
    "DatabaseUser",
];

fn health(obj: &Value) -> (String, String) {
    let lua = Lua::new();
    let table = lua
        .to_value_with(
            obj,
            mlua::serde::SerializeOptions::new()
                .serialize_none_to_null(false)
                .serialize_unit_to_null(false),
        )
        .expect("obj to Lua");
    lua.globals().set("obj", table).expect("obj global");
    let result: Table = lua.load(SCRIPT).eval().expect("script runs");
    (
        result.get("status").expect("status"),
        result
            .get::<Option<String>>("message")
            .expect("message")
            .unwrap_or_default(),
    )
}

fn cond(type_: &str, status: &str, reason: &str, message: &str) -> Value {
    json!({"type": type_, "status": status, "reason": reason, "message": message, "observedGeneration": 2})
}

fn object(kind: &str, generation: i64, observed: Option<i64>, conditions: Vec<Value>) -> Value {
    let mut obj = json!({"apiVersion": "mongocloud.dev/v1alpha1", "kind": kind, "metadata": {"name": "x", "generation": generation}});
    if let Some(observed) = observed {
        obj["status"] = json!({"observedGeneration": observed, "conditions": conditions});
    }
    obj
}

#[test]
fn health_rules_for_every_kind() {
    let synced = || cond("Synced", "True", "ReconcileSuccess", "ok");
    for kind in KINDS {
        let mut paused = object(
            kind,
            2,
            Some(2),
            vec![cond("Ready", "True", "Available", "up"), synced()],
        );
        paused["metadata"]["annotations"] = json!({"mongocloud.dev/paused": "true"});
        let mut plan_only = object(
            kind,
            2,
            Some(2),
            vec![
                cond("Ready", "True", "Available", "up"),
                cond(
                    "Synced",
                    "False",
                    "PlanReady",
                    "plan only: 1 call planned: X",
                ),
            ],
        );
        plan_only["metadata"]["annotations"] = json!({"mongocloud.dev/plan-only": "true"});
        let cases = [
            (
                "no status yet",
                object(kind, 1, None, vec![]),
                "Progressing",
                "",
            ),
            (
                "spec not observed yet",
                object(
                    kind,
                    3,
                    Some(2),
                    vec![cond("Ready", "True", "Available", "up"), synced()],
                ),
                "Progressing",
                "latest spec",
            ),
            (
                "ready",
                object(
                    kind,
                    2,
                    Some(2),
                    vec![
                        cond("Ready", "True", "Available", "instance is Running"),
                        synced(),
                    ],
                ),
                "Healthy",
                "Running",
            ),
            (
                "terminal error",
                object(
                    kind,
                    2,
                    Some(2),
                    vec![
                        cond("Ready", "True", "Available", "up"),
                        cond(
                            "Synced",
                            "False",
                            "TerminalError",
                            "spec.forProvider.regionId cannot change",
                        ),
                    ],
                ),
                "Degraded",
                "regionId",
            ),
            (
                "retryable error",
                object(
                    kind,
                    2,
                    Some(2),
                    vec![
                        cond("Ready", "False", "Unknown", "?"),
                        cond("Synced", "False", "ReconcileError", "Throttling"),
                    ],
                ),
                "Degraded",
                "Throttling",
            ),
            ("paused", paused, "Suspended", "paused"),
            (
                "plan only",
                plan_only.clone(),
                "Suspended",
                "1 call planned",
            ),
            (
                "a missing resource the policies may not create",
                object(
                    kind,
                    2,
                    Some(2),
                    vec![
                        cond("Ready", "False", "Creating", "not created"),
                        cond(
                            "Synced",
                            "False",
                            "CreateNotAllowed",
                            "does not include Create",
                        ),
                    ],
                ),
                "Degraded",
                "does not include Create",
            ),
        ];
        for (name, obj, status, message) in cases {
            let (got, text) = health(&obj);
            assert_eq!(got, status, "{kind}: {name} ({text})");
            assert!(
                text.contains(message),
                "{kind}: {name}: message {text:?} lacks {message:?}"
            );
        }
    }
}

#[test]
fn transitional_states_are_progressing_and_failures_degraded() {
    let creating = object(
        "DBInstance",
        1,
        Some(1),
        vec![
            cond("Ready", "False", "Creating", "instance dds-1 is Creating"),
            cond("Synced", "True", "ReconcileSuccess", "ok"),
        ],
    );
    assert_eq!(
        health(&creating),
        (
            "Progressing".to_owned(),
            "Creating: instance dds-1 is Creating".to_owned()
        )
    );
    let rebooting = object(
        "DBInstance",
        1,
        Some(1),
        vec![
            cond("Ready", "False", "Rebooting", "r"),
            cond("Synced", "True", "ReconcileSuccess", "ok"),
        ],
    );
    assert_eq!(health(&rebooting).0, "Progressing");
    let running_backup = object(
        "Backup",
        1,
        Some(1),
        vec![
            cond("Ready", "False", "Running", "backup 1 is Running"),
            cond("Synced", "True", "ReconcileSuccess", "ok"),
        ],
    );
    assert_eq!(health(&running_backup).0, "Progressing");
    let failed_backup = object(
        "Backup",
        1,
        Some(1),
        vec![
            cond("Ready", "False", "BackupFailed", "backup 1 failed"),
            cond("Synced", "True", "ReconcileSuccess", "ok"),
        ],
    );
    assert_eq!(
        health(&failed_backup),
        ("Degraded".to_owned(), "backup 1 failed".to_owned())
    );
    let weak_password = object(
        "DatabaseUser",
        1,
        Some(1),
        vec![
            cond(
                "Ready",
                "False",
                "PasswordRejected",
                "key \"password\" of Secret app-pw: too short",
            ),
            cond(
                "Synced",
                "False",
                "PasswordRejected",
                "key \"password\" of Secret app-pw: too short",
            ),
        ],
    );
    assert_eq!(health(&weak_password).0, "Degraded");
    let user_ready = object(
        "DatabaseUser",
        1,
        Some(1),
        vec![
            cond(
                "Ready",
                "True",
                "Available",
                "user app has the spec's roles and password",
            ),
            cond("Synced", "True", "ReconcileSuccess", "ok"),
        ],
    );
    assert_eq!(health(&user_ready).0, "Healthy");
    let waiting = object(
        "SecurityIpList",
        1,
        Some(1),
        vec![cond(
            "Synced",
            "False",
            "WaitingForInstance",
            "DBInstance db is not Ready yet",
        )],
    );
    assert_eq!(health(&waiting).0, "Progressing");
    let bad_credentials = object(
        "ProviderConfig",
        1,
        Some(1),
        vec![cond(
            "Ready",
            "False",
            "InvalidCredentials",
            "SignatureDoesNotMatch",
        )],
    );
    assert_eq!(health(&bad_credentials).0, "Degraded");
}

#[test]
fn argocd_cm_embeds_the_same_script_for_every_kind() {
    let cm: serde_yaml::Value =
        serde_yaml::from_str(include_str!("../deploy/argocd/argocd-cm.yaml")).expect("yaml");
    for kind in KINDS {
        let key = format!("resource.customizations.health.mongocloud.dev_{kind}");
        assert_eq!(
            cm["data"][key.as_str()].as_str(),
            Some(SCRIPT),
            "{key} differs from health.lua"
        );
    }
}

/// The statuses the operator writes, read back from the API server, go through the script:
/// Progressing while the cloud creates, Healthy when Ready, Suspended when paused, Degraded on
/// a terminal error.
#[tokio::test]
async fn statuses_written_by_the_real_controller() {
    let Some(mut h) = support::harness("argocd", 1500).await else {
        return;
    };
    h.provider_config().await;
    h.start_operator(&[]);
    h.create::<DBInstance>(h.small_dbinstance("db")).await;
    let health_of = |d: &DBInstance| health(&serde_json::to_value(d).expect("json"));
    let limit = Duration::from_secs(30);
    h.wait_for::<DBInstance, _>("db", "Progressing while Creating", limit, |d| {
        let at = d.status.as_ref()?.at_provider.as_ref()?;
        (at.status == "Creating" && health_of(d).0 == "Progressing").then_some(())
    })
    .await;
    h.wait_for::<DBInstance, _>("db", "Healthy when Ready", limit, |d| {
        (health_of(d).0 == "Healthy").then_some(())
    })
    .await;

    h.merge::<DBInstance>(
        "db",
        json!({"metadata": {"annotations": {"mongocloud.dev/paused": "true"}}}),
    )
    .await;
    h.wait_for::<DBInstance, _>("db", "Suspended when paused", limit, |d| {
        (health_of(d).0 == "Suspended").then_some(())
    })
    .await;

    h.merge::<DBInstance>(
        "db",
        json!({"metadata": {"annotations": {"mongocloud.dev/paused": "false"}},
               "spec": {"forProvider": {"regionId": "cn-beijing"}}}),
    )
    .await;
    let (status, message) = h
        .wait_for::<DBInstance, _>("db", "Degraded on a terminal error", limit, |d| {
            let (status, message) = health_of(d);
            (status == "Degraded").then_some((status, message))
        })
        .await;
    assert!(message.contains("regionId"), "{status}: {message}");
}
