//! Waiting on a DBInstance's conditions, and counting cloud writes, for the end-to-end tests
//! of DBInstance changes.

use std::future::Future;
use std::time::Duration;

use k8s_openapi::api::core::v1::Secret;
use mongocloud_operator::api::DBInstance;
use serde_json::Value;

use super::{Harness, condition, has_condition};

/// How long a DBInstance change may take to show.
pub const LIMIT: Duration = Duration::from_secs(40);

pub async fn ready(h: &Harness, name: &str) -> DBInstance {
    h.wait_for::<DBInstance, _>(name, "Ready=True", LIMIT, |d| {
        let st = d.status.as_ref()?;
        has_condition(d, &st.conditions, "Ready", "True", None).map(|()| d.clone())
    })
    .await
}

/// Waits until the object reports the cloud in `state` (Ready=False with that reason).
pub async fn seen_in(h: &Harness, name: &str, state: &str) {
    h.wait_for::<DBInstance, _>(name, state, LIMIT, |d| {
        has_condition(
            d,
            &d.status.as_ref()?.conditions,
            "Ready",
            "False",
            Some(state),
        )
    })
    .await;
}

/// The Synced=False TerminalError message once it names `field` (any message for "").
pub async fn terminal_message(h: &Harness, name: &str, field: &str) -> String {
    let what = format!("Synced=False TerminalError naming {field}");
    h.wait_for::<DBInstance, _>(name, &what, LIMIT, |d| {
        let st = d.status.as_ref()?;
        has_condition(d, &st.conditions, "Synced", "False", Some("TerminalError"))?;
        condition(&st.conditions, "Synced")
            .map(|c| c.message)
            .filter(|m| m.contains(field))
    })
    .await
}

/// Mutating calls so far, from the emulator's counts: every action or operation that is no read.
pub fn writes(calls: &Value) -> u64 {
    ["actions", "operations"]
        .iter()
        .filter_map(|k| calls[k].as_object())
        .flatten()
        .filter(|(k, _)| {
            !k.starts_with("Describe")
                && !k.starts_with("List")
                && !k.starts_with("get")
                && !k.starts_with("list")
        })
        .map(|(_, v)| v.as_u64().unwrap_or(0))
        .sum()
}

/// After a refusal, waits long enough for a wrongly planned write to be sent, then checks that
/// no cloud write was made since `before` (the counts `calls` reads: Dds or Atlas).
pub async fn no_writes_since<F: Future<Output = Value>>(before: &Value, calls: impl Fn() -> F) {
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = calls().await;
    assert_eq!(
        writes(&after),
        writes(before),
        "before {before}, after {after}"
    );
}

/// One key of a Secret, as text.
fn secret_text(s: &Secret, key: &str) -> Option<String> {
    s.data
        .as_ref()?
        .get(key)
        .map(|v| String::from_utf8_lossy(&v.0).into_owned())
}

/// Waits until the Secret `name` holds `key`, and returns its value.
pub async fn secret_key(h: &Harness, name: &str, key: &str) -> String {
    let what = format!("{key} in the Secret");
    h.wait_for::<Secret, _>(name, &what, LIMIT, |s| secret_text(s, key))
        .await
}

/// Waits until the Secret `name` no longer holds `key`.
pub async fn secret_key_gone(h: &Harness, name: &str, key: &str) {
    let what = format!("no {key} in the Secret");
    h.wait_for::<Secret, _>(name, &what, LIMIT, |s| {
        secret_text(s, key).is_none().then_some(())
    })
    .await;
}
