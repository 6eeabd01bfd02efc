//! DatabaseUser end to end, both clouds: the real API server, the operator process and the
//! emulator. A user becomes Ready; a roles change is one PATCH; a new Secret value is one
//! password call, and the connection Secret shows it only after the cloud took it; an operator
//! killed while the cloud's answer is in flight leaves a consistent Secret and, on Atlas, never
//! sends that password again (the label the call carried proves it was applied; a lost answer
//! likewise), while on Aliyun it sends the same password at most once more (nothing there can be
//! read back); deletion follows the policy. No password may appear in the operator's log, an
//! Event or a status.

mod support;

use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::api::events::v1::Event;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams};
use mongocloud_operator::api::DatabaseUser;
use mongocloud_operator::reconcile::databaseuser::{PASSWORD_REV_LABEL, password_digest};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use support::{ATLAS_PROJECT, Harness, has_condition};

const LIMIT: Duration = Duration::from_secs(40);
/// Longer than two drift intervals of the test operator (3 s): enough reconciles to see a
/// repeated call if there were one.
const QUIET: Duration = Duration::from_secs(7);

fn sha256(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Creates or replaces the password Secret `name`.
async fn password_secret(h: &Harness, name: &str, password: &str) {
    let body: Secret = serde_json::from_value(json!({
        "metadata": {"name": name, "namespace": h.ns},
        "stringData": {"password": password}
    }))
    .expect("secret");
    h.api::<Secret>()
        .patch(
            name,
            &PatchParams::apply("mongocloud-tests").force(),
            &Patch::Apply(&body),
        )
        .await
        .expect("secret applied");
}

async fn secret_key(h: &Harness, name: &str, key: &str) -> Option<String> {
    let secret = h
        .api::<Secret>()
        .get_opt(name)
        .await
        .expect("read secret")?;
    let bytes = secret.data?.get(key)?.0.clone();
    String::from_utf8(bytes).ok()
}

fn user_manifest(h: &Harness, name: &str, for_provider: Value, policy: &str) -> Value {
    json!({"apiVersion": "mongocloud.dev/v1alpha1", "kind": "DatabaseUser", "metadata": {"name": name},
           "spec": {"providerConfigRef": {"name": h.pc}, "deletionPolicy": policy,
                    "forProvider": for_provider,
                    "writeConnectionSecretToRef": {"name": format!("{name}-conn")}}})
}

async fn ready_user(h: &Harness, name: &str) -> DatabaseUser {
    h.wait_for::<DatabaseUser, _>(name, "Ready=True", LIMIT, |u| {
        let st = u.status.as_ref()?;
        has_condition(u, &st.conditions, "Ready", "True", None).map(|()| u.clone())
    })
    .await
}

/// Waits until the user is Ready with `digests` recorded: Ready may still be True from before a
/// rotation while the new password's digests are being written.
async fn ready_with(
    h: &Harness,
    name: &str,
    digests: (Option<String>, Option<String>),
) -> DatabaseUser {
    h.wait_for::<DatabaseUser, _>(name, "Ready=True with the digests", LIMIT, |u| {
        let st = u.status.as_ref()?;
        has_condition(u, &st.conditions, "Ready", "True", None)?;
        (status_digests(u) == digests).then(|| u.clone())
    })
    .await
}

/// Waits until the connection Secret holds `password`; at that moment the cloud must hold it
/// already (the Secret is written only after the cloud accepted the password).
async fn connection_secret_shows(
    h: &Harness,
    name: &str,
    password: &str,
    cloud_sha: impl AsyncFn() -> String,
) {
    let deadline = Instant::now() + LIMIT;
    loop {
        if secret_key(h, &format!("{name}-conn"), "password")
            .await
            .as_deref()
            == Some(password)
        {
            assert_eq!(
                cloud_sha().await,
                sha256(password),
                "the connection Secret was written before the cloud held the password"
            );
            return;
        }
        assert!(
            Instant::now() < deadline,
            "connection Secret of {name} never showed the new password\n{}",
            h.log_tail(40)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Polls `count` for `QUIET` and fails if it moves from `expected`.
async fn stays(h: &Harness, what: &str, expected: u64, count: impl AsyncFn() -> u64) {
    let until = Instant::now() + QUIET;
    while Instant::now() < until {
        let now = count().await;
        assert_eq!(now, expected, "{what} changed\n{}", h.log_tail(40));
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Holds back the cloud's answer to `action` once, after the action was applied.
async fn delay_answer(h: &Harness, action: &str, ms: u64) {
    let status = reqwest::Client::new()
        .post(format!("{}/_emulator/delays", h.emulator.url()))
        .json(&json!({"action": action, "ms": ms, "count": 1}))
        .send()
        .await
        .expect("delay")
        .status();
    assert!(status.is_success(), "delay answered {status}");
}

/// Waits until `check` holds, for at most `LIMIT`.
async fn until(h: &Harness, what: &str, check: impl AsyncFn() -> bool) {
    let deadline = Instant::now() + LIMIT;
    while !check().await {
        assert!(
            Instant::now() < deadline,
            "no {what} after {LIMIT:?}\n{}",
            h.log_tail(40)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Neither the operator's whole log, nor an Event, nor a DatabaseUser (status included) holds
/// any of `passwords`.
async fn assert_no_password_leaked(h: &Harness, passwords: &[&str]) {
    let log = h.log_tail(usize::MAX);
    let events = h
        .api::<Event>()
        .list(&ListParams::default())
        .await
        .expect("events");
    let events = serde_json::to_string(&events.items).expect("json");
    let users = h
        .api::<DatabaseUser>()
        .list(&ListParams::default())
        .await
        .expect("users");
    let users = serde_json::to_string(&users.items).expect("json");
    assert!(!log.is_empty() && events.contains("SetPassword"));
    for password in passwords {
        assert!(!log.contains(password), "the operator log holds a password");
        assert!(!events.contains(password), "an Event holds a password");
        assert!(!users.contains(password), "a DatabaseUser holds a password");
    }
}

fn status_digests(u: &DatabaseUser) -> (Option<String>, Option<String>) {
    let st = u.status.clone().unwrap_or_default();
    (st.applied_password_digest, st.pending_password_digest)
}

async fn root_account(h: &Harness, id: &str) -> Value {
    h.cloud_instances().await[id]["accounts"]["root"].clone()
}

#[tokio::test]
async fn aliyun_root_password_rotates_once_per_value_and_survives_a_kill() {
    let Some(mut h) = support::harness("dbu_aliyun", 300).await else {
        return;
    };
    h.provider_config().await;
    h.start_operator(&[]);
    h.dbinstance_ready_with_secret("db", LIMIT).await;
    let id = h
        .api::<mongocloud_operator::api::DBInstance>()
        .get("db")
        .await
        .expect("db")
        .status
        .and_then(|s| s.instance_id)
        .expect("instance id");
    let (p1, p2, p3) = ("First-pass-11", "Second-pass-22", "Third-pass-33");

    // given a root user whose password Secret holds p1
    password_secret(&h, "root-pw", p1).await;
    let spec = json!({"dbInstanceRef": {"name": "db"}, "username": "root", "description": "ops",
                      "passwordSecretRef": {"name": "root-pw", "key": "password"}});
    h.create::<DatabaseUser>(user_manifest(&h, "root", spec, "Delete"))
        .await;
    let user = ready_user(&h, "root").await;
    let uid = user.metadata.uid.clone().expect("uid");
    let account = root_account(&h, &id).await;
    assert_eq!(account["passwordSha256"], sha256(p1));
    assert_eq!(account["description"], "ops");
    assert_eq!(h.calls_of("ResetAccountPassword").await, 1);
    assert_eq!(
        status_digests(&user),
        (Some(password_digest(&uid, p1)), None)
    );
    let conn = secret_key(&h, "root-conn", "connectionString")
        .await
        .expect("connection string");
    assert!(
        conn.starts_with("mongodb://root:First%2Dpass%2D11@"),
        "{conn}"
    );

    // when the Secret's value changes, then exactly one password call, Secret after the cloud
    password_secret(&h, "root-pw", p2).await;
    let sha = async || root_password_sha(&h, &id).await;
    connection_secret_shows(&h, "root", p2, sha).await;
    stays(&h, "ResetAccountPassword calls", 2, async || {
        h.calls_of("ResetAccountPassword").await
    })
    .await;

    // when the operator is killed while the cloud's answer is in flight
    delay_answer(&h, "ResetAccountPassword", 5000).await;
    password_secret(&h, "root-pw", p3).await;
    until(&h, "p3 in the cloud", async || {
        root_account(&h, &id).await["passwordSha256"] == sha256(p3)
    })
    .await;
    h.kill_operator();
    let killed = h.api::<DatabaseUser>().get("root").await.expect("user");
    assert_eq!(
        status_digests(&killed),
        (
            Some(password_digest(&uid, p2)),
            Some(password_digest(&uid, p3))
        ),
        "the pending marker is written before the call"
    );
    assert_eq!(
        secret_key(&h, "root-conn", "password").await.as_deref(),
        Some(p2),
        "the connection Secret waits for the cloud's answer"
    );
    // then after a restart the Secret catches up, with at most one more call of the same value:
    // DescribeAccounts shows nothing ResetAccountPassword could have left behind, so the operator
    // cannot tell whether the call in flight at the kill was applied, and sends it again
    h.restart_operator();
    let sha = async || root_password_sha(&h, &id).await;
    connection_secret_shows(&h, "root", p3, sha).await;
    ready_with(&h, "root", (Some(password_digest(&uid, p3)), None)).await;
    let calls = h.calls_of("ResetAccountPassword").await;
    assert!(calls == 3 || calls == 4, "p3 was sent {} times", calls - 2);
    stays(&h, "ResetAccountPassword calls", calls, async || {
        h.calls_of("ResetAccountPassword").await
    })
    .await;
    println!("p3 sent {} time(s) across the kill", calls - 2);

    // a weak password is refused naming the key, without a call
    password_secret(&h, "root-pw", "weakpass").await;
    h.wait_for::<DatabaseUser, _>("root", "PasswordRejected", LIMIT, |u| {
        let c = support::condition(&u.status.as_ref()?.conditions, "Synced")?;
        (c.reason == "PasswordRejected" && c.message.contains("\"password\"")).then_some(())
    })
    .await;
    assert_eq!(h.calls_of("ResetAccountPassword").await, calls);
    assert_eq!(
        secret_key(&h, "root-conn", "password").await.as_deref(),
        Some(p3),
        "a refused password never reaches the connection Secret"
    );

    // roles cannot be granted on Aliyun: refused by name, no call
    h.merge::<DatabaseUser>(
        "root",
        json!({"spec": {"forProvider": {"roles": [{"roleName": "read", "databaseName": "shop"}]}}}),
    )
    .await;
    h.wait_for::<DatabaseUser, _>("root", "TerminalError on roles", LIMIT, |u| {
        let st = u.status.as_ref()?;
        has_condition(u, &st.conditions, "Synced", "False", Some("TerminalError"))?;
        support::condition(&st.conditions, "Synced")?
            .message
            .contains("spec.forProvider.roles")
            .then_some(())
    })
    .await;
    assert_eq!(h.calls_of("ModifyAccountDescription").await, 1);

    // deleting the object leaves the root account (it cannot be deleted)
    h.api::<DatabaseUser>()
        .delete("root", &DeleteParams::default())
        .await
        .expect("delete");
    h.wait_gone::<DatabaseUser>("root", LIMIT).await;
    assert_eq!(root_account(&h, &id).await["passwordSha256"], sha256(p3));
    assert_no_password_leaked(&h, &[p1, p2, p3, "weakpass"]).await;
}

async fn atlas_user(h: &Harness, name: &str) -> Option<Value> {
    let state = h.atlas_state().await;
    state["projects"][ATLAS_PROJECT]["databaseUsers"]
        .get(name)
        .cloned()
}

/// The SHA-256 of the password the Atlas emulator holds for `name` (empty when none).
async fn atlas_password_sha(h: &Harness, name: &str) -> String {
    atlas_user(h, name)
        .await
        .map(|u| u["passwordSha256"].as_str().unwrap_or_default().to_owned())
        .unwrap_or_default()
}

/// The SHA-256 of the root password the Dds emulator holds for instance `id`.
async fn root_password_sha(h: &Harness, id: &str) -> String {
    root_account(h, id).await["passwordSha256"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn atlas_count(h: &Harness, operation: &str) -> u64 {
    h.atlas_calls().await["operations"][operation]
        .as_u64()
        .unwrap_or(0)
}

/// The value of the user's `mongocloud-password-rev` label in Atlas.
async fn rev_label(h: &Harness, name: &str) -> Option<String> {
    let user = atlas_user(h, name).await?;
    user["labels"]
        .as_array()?
        .iter()
        .find(|l| l["key"] == PASSWORD_REV_LABEL)
        .and_then(|l| l["value"].as_str())
        .map(str::to_owned)
}

async fn events_of(h: &Harness, reason: &str) -> usize {
    h.api::<Event>()
        .list(&ListParams::default())
        .await
        .expect("events")
        .items
        .iter()
        .filter(|e| e.reason.as_deref() == Some(reason))
        .count()
}

async fn lost_answers(h: &Harness) -> u64 {
    h.faults().await["byAction"]["updateDatabaseUser"]["lostAnswer"]
        .as_u64()
        .unwrap_or(0)
}

#[tokio::test]
async fn atlas_user_is_created_patched_once_rotated_once_and_deleted_per_policy() {
    let Some(mut h) = support::harness("dbu_atlas", 300).await else {
        return;
    };
    h.atlas_provider_config().await;
    h.start_operator(&[]);
    let cluster = json!({"apiVersion": "mongocloud.dev/v1alpha1", "kind": "DBInstance", "metadata": {"name": "orders"},
        "spec": {"providerConfigRef": {"name": h.pc},
                 "forProvider": {"regionId": "US_EAST_1", "engineVersion": "8.0", "instanceClass": "M10",
                                 "storageGB": 10, "atlas": {"providerName": "AWS"}}}});
    h.create::<mongocloud_operator::api::DBInstance>(cluster)
        .await;
    let (p1, p2, p3, p4) = (
        "atlas-pass-one",
        "atlas-pass-two",
        "atlas-pass-three",
        "atlas-pass-four",
    );

    // given a SCRAM user with one role, scoped to the cluster
    password_secret(&h, "app-pw", p1).await;
    let spec = json!({"dbInstanceRef": {"name": "orders"}, "username": "app",
                      "passwordSecretRef": {"name": "app-pw", "key": "password"},
                      "roles": [{"roleName": "readWrite", "databaseName": "shop"}],
                      "scopes": [{"name": "orders", "type": "CLUSTER"}]});
    h.create::<DatabaseUser>(user_manifest(&h, "app", spec, "Delete"))
        .await;
    let user = ready_user(&h, "app").await;
    let uid = user.metadata.uid.clone().expect("uid");
    let cloud = atlas_user(&h, "app").await.expect("user in Atlas");
    assert_eq!(cloud["passwordSha256"], sha256(p1));
    assert_eq!(cloud["roles"].as_array().map(Vec::len), Some(1));
    assert_eq!(atlas_count(&h, "createDatabaseUser").await, 1);
    assert_eq!(atlas_count(&h, "updateDatabaseUser").await, 0);
    let at = user
        .status
        .as_ref()
        .and_then(|s| s.at_provider.clone())
        .expect("atProvider");
    assert_eq!(at.scopes[0].name, "orders");
    assert_eq!(
        secret_key(&h, "app-conn", "username").await.as_deref(),
        Some("app")
    );

    // when a role is added, then one PATCH and no password sent
    h.merge::<DatabaseUser>(
        "app",
        json!({"spec": {"forProvider": {"roles": [
            {"roleName": "readWrite", "databaseName": "shop"},
            {"roleName": "read", "databaseName": "reports", "collectionName": "daily"}]}}}),
    )
    .await;
    until(&h, "two roles in Atlas", async || {
        atlas_user(&h, "app")
            .await
            .is_some_and(|u| u["roles"].as_array().map(Vec::len) == Some(2))
    })
    .await;
    stays(&h, "updateDatabaseUser calls", 1, async || {
        atlas_count(&h, "updateDatabaseUser").await
    })
    .await;
    assert_eq!(
        atlas_user(&h, "app").await.expect("user")["passwordSets"],
        0
    );

    // when the Secret's value changes, then one password PATCH, Secret after the cloud
    password_secret(&h, "app-pw", p2).await;
    let sha = async || atlas_password_sha(&h, "app").await;
    connection_secret_shows(&h, "app", p2, sha).await;
    stays(&h, "updateDatabaseUser calls", 2, async || {
        atlas_count(&h, "updateDatabaseUser").await
    })
    .await;
    assert_eq!(
        atlas_user(&h, "app").await.expect("user")["passwordSets"],
        1
    );

    // when the operator is killed while Atlas' answer is in flight
    delay_answer(&h, "updateDatabaseUser", 5000).await;
    password_secret(&h, "app-pw", p3).await;
    until(&h, "p3 in Atlas", async || {
        atlas_user(&h, "app")
            .await
            .is_some_and(|u| u["passwordSha256"] == sha256(p3))
    })
    .await;
    h.kill_operator();
    let killed = h.api::<DatabaseUser>().get("app").await.expect("user");
    assert_eq!(
        status_digests(&killed).1,
        Some(password_digest(&uid, p3)),
        "the pending marker is written before the call"
    );
    let rev = killed
        .status
        .as_ref()
        .and_then(|s| s.pending_password_rev.clone())
        .expect("a revision recorded with the pending digest");
    assert!(
        rev.len() == 16 && rev.chars().all(|c| c.is_ascii_hexdigit()),
        "{rev}"
    );
    assert_eq!(
        rev_label(&h, "app").await.as_deref(),
        Some(rev.as_str()),
        "the password call carried the pending revision"
    );
    assert_eq!(
        secret_key(&h, "app-conn", "password").await.as_deref(),
        Some(p2)
    );
    // then after a restart: the label shows the call was applied, so no second call; the
    // connection Secret catches up
    h.restart_operator();
    let sha = async || atlas_password_sha(&h, "app").await;
    connection_secret_shows(&h, "app", p3, sha).await;
    ready_with(&h, "app", (Some(password_digest(&uid, p3)), None)).await;
    let sets = async || {
        atlas_user(&h, "app").await.expect("user")["passwordSets"]
            .as_u64()
            .unwrap_or(0)
    };
    assert_eq!(sets().await, 2, "p3 was sent again after the kill");
    stays(&h, "password PATCHes", 2, sets).await;
    assert!(
        events_of(&h, "ConfirmedPassword").await >= 1,
        "no ConfirmedPassword Event\n{}",
        h.log_tail(40)
    );
    println!("p3 sent {} time(s) across the kill", sets().await - 1);

    // when the answer to the next password PATCH is lost (applied, then the connection drops),
    // then the next reconcile reads the label back and sends nothing more
    h.set_faults(
        &json!({"actions": {"updateDatabaseUser": {"rate": 1, "modes": ["lostAnswer"], "count": 1}}}),
    )
    .await;
    password_secret(&h, "app-pw", p4).await;
    let sha = async || atlas_password_sha(&h, "app").await;
    connection_secret_shows(&h, "app", p4, sha).await;
    ready_with(&h, "app", (Some(password_digest(&uid, p4)), None)).await;
    assert_eq!(lost_answers(&h).await, 1, "the lost answer struck");
    assert_eq!(sets().await, 3, "p4 was sent more than once");
    stays(&h, "password PATCHes", 3, sets).await;
    assert_eq!(
        atlas_user(&h, "app").await.expect("user")["labels"]
            .as_array()
            .map(Vec::len),
        Some(1),
        "one label, replaced on each rotation"
    );

    // an Orphan user stays in Atlas; the Delete one goes
    password_secret(&h, "keep-pw", "keep-pass-1").await;
    let keep = json!({"dbInstanceRef": {"name": "orders"}, "username": "keeper",
                      "passwordSecretRef": {"name": "keep-pw", "key": "password"},
                      "roles": [{"roleName": "read", "databaseName": "shop"}]});
    h.create::<DatabaseUser>(user_manifest(&h, "keeper", keep, "Orphan"))
        .await;
    ready_user(&h, "keeper").await;
    for name in ["app", "keeper"] {
        h.api::<DatabaseUser>()
            .delete(name, &DeleteParams::default())
            .await
            .expect("delete");
        h.wait_gone::<DatabaseUser>(name, LIMIT).await;
    }
    assert!(
        atlas_user(&h, "app").await.is_none(),
        "Delete removes the user"
    );
    assert!(
        atlas_user(&h, "keeper").await.is_some(),
        "Orphan keeps the user"
    );
    assert_eq!(atlas_count(&h, "deleteDatabaseUser").await, 1);
    assert_no_password_leaked(&h, &[p1, p2, p3, p4, "keep-pass-1"]).await;
}

/// Other authentication kinds are refused by field name before any Atlas call.
#[tokio::test]
async fn atlas_refuses_x509_users_by_field_without_a_call() {
    let Some(mut h) = support::harness("dbu_x509", 300).await else {
        return;
    };
    h.atlas_provider_config().await;
    h.start_operator(&[]);
    password_secret(&h, "x-pw", "x509-pass-1").await;
    let spec = json!({"dbInstanceRef": {"name": "orders"}, "username": "CN=app", "x509Type": "MANAGED",
                      "passwordSecretRef": {"name": "x-pw", "key": "password"},
                      "roles": [{"roleName": "read", "databaseName": "shop"}]});
    h.create::<DatabaseUser>(user_manifest(&h, "x509", spec, "Delete"))
        .await;
    h.wait_for::<DatabaseUser, _>("x509", "TerminalError naming x509Type", LIMIT, |u| {
        let c = support::condition(&u.status.as_ref()?.conditions, "Synced")?;
        (c.reason == "TerminalError" && c.message.contains("spec.forProvider.x509Type"))
            .then_some(())
    })
    .await;
    let calls = h.atlas_calls().await;
    for op in [
        "createDatabaseUser",
        "getDatabaseUser",
        "updateDatabaseUser",
    ] {
        assert_eq!(calls["operations"][op].as_u64().unwrap_or(0), 0, "{op}");
    }
}
