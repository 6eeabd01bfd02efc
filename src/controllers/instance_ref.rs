//! Resolving the instance a sub-resource targets.

use kube::ResourceExt;
use kube::api::Api;

use super::{Ctx, Error};
use crate::api::DBInstance;
use crate::api::common::InstanceTarget;
use crate::api::conditions::{self, READY};
use crate::reconcile::{Target, instance_target};

/// The cloud id of the targeted instance, or (inner `Err`) why it cannot be used yet.
pub async fn resolve(
    ctx: &Ctx,
    namespace: &str,
    target: &InstanceTarget,
) -> Result<Result<String, String>, Error> {
    let name = match instance_target(target) {
        Ok(Target::Id(id)) => return Ok(Ok(id)),
        Ok(Target::Ref(name)) => name,
        Err(invalid) => return Ok(Err(invalid.to_string())),
    };
    let Some(dbi) = Api::<DBInstance>::namespaced(ctx.client.clone(), namespace)
        .get_opt(&name)
        .await
        .map_err(Error::kube("read the referenced DBInstance"))?
    else {
        return Ok(Err(format!(
            "DBInstance {name} does not exist in namespace {namespace}"
        )));
    };
    // Read from the API server, so an object of another shard is found too: it is refused
    // rather than used, since that shard reconciles it and this one never sees its changes.
    if let Some(why) = ctx.shard.mismatch("DBInstance", &name, dbi.labels()) {
        return Ok(Err(why));
    }
    let status = dbi.status.unwrap_or_default();
    let ready = conditions::find(&status.conditions, READY);
    match (ready, status.instance_id) {
        (Some(c), Some(id)) if c.is_true() => Ok(Ok(id)),
        (Some(c), _) => Ok(Err(format!(
            "DBInstance {name} is not Ready yet ({}: {})",
            c.reason, c.message
        ))),
        (None, _) => Ok(Err(format!("DBInstance {name} is not Ready yet"))),
    }
}

/// The targeted instance's id for a sub-resource's `sync`, or the result to return while it is
/// not usable (waiting) or could not be read (error).
pub async fn target_id<S: Clone>(
    cx: &super::managed::Cx<'_>,
    namespace: &str,
    target: &InstanceTarget,
    status: &S,
) -> Result<String, super::managed::Synced<S>> {
    let unknown = crate::api::conditions::Condition::not_ready("Unknown", "not observed yet");
    match resolve(cx.ctx, namespace, target).await {
        Ok(Ok(id)) => Ok(id),
        Ok(Err(why)) => Err(super::managed::waiting(status.clone(), unknown, why, cx)),
        Err(error) => Err(super::managed::Synced::failed(
            status.clone(),
            unknown,
            error,
        )),
    }
}
