//! Small Kubernetes writes every controller uses: status, finalizers, Secrets, Events.

use std::collections::BTreeMap;
use std::fmt::Debug;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::api::{Api, ObjectMeta, Patch, PatchParams};
use kube::{Resource, ResourceExt};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use super::{Ctx, Error, MANAGER, field_manager};
use crate::api::common::FINALIZER;

/// Parameters of a merge or JSON patch: named after this process's shard, like its applies.
pub fn writes() -> PatchParams {
    PatchParams {
        field_manager: Some(field_manager().to_owned()),
        ..PatchParams::default()
    }
}

/// Writes the whole status with server-side apply under our field manager.
pub async fn apply_status<K, S>(api: &Api<K>, obj: &K, status: &S) -> Result<(), Error>
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug,
    S: Serialize,
{
    let patch = json!({
        "apiVersion": K::api_version(&()),
        "kind": K::kind(&()),
        "status": status,
    });
    api.patch_status(
        &obj.name_any(),
        &PatchParams::apply(field_manager()).force(),
        &Patch::Apply(&patch),
    )
    .await
    .map_err(Error::kube("write status"))?;
    Ok(())
}

/// Records part of the status at once (a new instance id, a handled operation) with a merge
/// patch, so a crash right after a cloud call cannot forget its result.
pub async fn record_status<K>(
    api: &Api<K>,
    obj: &K,
    partial: serde_json::Value,
) -> Result<(), Error>
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug,
{
    record_status_at(api, obj, None, partial).await
}

/// [`record_status`], and with a `resource_version` only if the object is still at it (a
/// conflict otherwise): for a record that must not rest on a stale cached copy.
pub async fn record_status_at<K>(
    api: &Api<K>,
    obj: &K,
    resource_version: Option<&str>,
    partial: serde_json::Value,
) -> Result<(), Error>
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug,
{
    let mut patch = json!({ "status": partial });
    if let Some(version) = resource_version {
        patch["metadata"] = json!({ "resourceVersion": version });
    }
    api.patch_status(&obj.name_any(), &writes(), &Patch::Merge(patch))
        .await
        .map_err(Error::kube("record status"))?;
    Ok(())
}

/// Adds our finalizer, guarded by the object's resource version; returns the new resource
/// version, so later writes of the same reconcile can be guarded too.
pub async fn add_finalizer<K>(api: &Api<K>, obj: &K) -> Result<Option<String>, Error>
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug,
{
    let mut finalizers = obj.finalizers().to_vec();
    finalizers.push(FINALIZER.to_owned());
    let patch =
        json!({"metadata": {"finalizers": finalizers, "resourceVersion": obj.resource_version()}});
    let patched = api
        .patch(&obj.name_any(), &writes(), &Patch::Merge(patch))
        .await
        .map_err(Error::kube("add finalizer"))?;
    Ok(patched.resource_version())
}

/// Removes our finalizer with a JSON patch guarded by a `test`, so another controller's
/// finalizer added meanwhile is never dropped.
pub async fn remove_finalizer<K>(api: &Api<K>, obj: &K) -> Result<(), Error>
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug,
{
    let Some(index) = obj.finalizers().iter().position(|f| f == FINALIZER) else {
        return Ok(());
    };
    let path = format!("/metadata/finalizers/{index}");
    let patch: json_patch::Patch = serde_json::from_value(json!([
        {"op": "test", "path": path, "value": FINALIZER},
        {"op": "remove", "path": path},
    ]))
    .map_err(|e| Error::Reference(format!("finalizer patch: {e}")))?;
    match api
        .patch(&obj.name_any(), &writes(), &Patch::<()>::Json(patch))
        .await
    {
        Ok(_) => Ok(()),
        // The object is already gone: nothing left to release.
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
        Err(source) => Err(Error::Kube {
            what: "remove finalizer",
            source,
        }),
    }
}

pub fn has_finalizer<K: Resource>(obj: &K) -> bool {
    obj.finalizers().iter().any(|f| f == FINALIZER)
}

/// One key of a Secret, as text.
pub async fn read_secret_key(
    client: &kube::Client,
    namespace: &str,
    name: &str,
    key: &str,
) -> Result<String, Error> {
    let secret = Api::<Secret>::namespaced(client.clone(), namespace)
        .get_opt(name)
        .await
        .map_err(Error::kube("read Secret"))?
        .ok_or_else(|| Error::Reference(format!("Secret {namespace}/{name} does not exist")))?;
    let bytes = secret
        .data
        .as_ref()
        .and_then(|d| d.get(key))
        .ok_or_else(|| Error::Reference(format!("Secret {namespace}/{name} has no key {key:?}")))?;
    String::from_utf8(bytes.0.clone()).map_err(|_| {
        Error::Reference(format!(
            "key {key:?} of Secret {namespace}/{name} is not UTF-8"
        ))
    })
}

/// Writes a Secret owned by `owner` (deleted with it by the garbage collector).
pub async fn apply_owned_secret<K>(
    client: &kube::Client,
    owner: &K,
    name: &str,
    data: BTreeMap<String, String>,
) -> Result<(), Error>
where
    K: Resource<DynamicType = ()>,
{
    let namespace = owner.namespace().unwrap_or_default();
    let owner_ref = OwnerReference {
        api_version: K::api_version(&()).into_owned(),
        kind: K::kind(&()).into_owned(),
        name: owner.name_any(),
        uid: owner.uid().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    };
    let secret = Secret {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            namespace: Some(namespace.clone()),
            owner_references: Some(vec![owner_ref]),
            labels: Some(BTreeMap::from([(
                "app.kubernetes.io/managed-by".to_owned(),
                MANAGER.to_owned(),
            )])),
            ..ObjectMeta::default()
        },
        data: Some(
            data.into_iter()
                .map(|(k, v)| (k, ByteString(v.into_bytes())))
                .collect(),
        ),
        type_: Some("Opaque".to_owned()),
        ..Secret::default()
    };
    Api::<Secret>::namespaced(client.clone(), &namespace)
        .patch(
            name,
            &PatchParams::apply(field_manager()).force(),
            &Patch::Apply(&secret),
        )
        .await
        .map_err(Error::kube("write connection Secret"))?;
    Ok(())
}

/// Publishes an Event about `obj`; a failure to publish is logged, never fatal.
pub async fn publish<K: Resource<DynamicType = ()>>(
    ctx: &Ctx,
    obj: &K,
    warning: bool,
    reason: &str,
    action: &str,
    note: String,
) {
    let note = super::events::Note {
        warning,
        reason,
        action,
        note: truncate(note, 1024),
    };
    if let Err(error) = ctx.events.publish(obj.object_ref(&()), note).await {
        tracing::warn!(%error, reason, "failed to publish event");
    }
}

fn truncate(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut cut = max;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    text
}
