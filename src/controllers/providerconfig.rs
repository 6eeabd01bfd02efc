//! ProviderConfig: reads the credentials Secret, checks the account with a cheap call and
//! publishes the client to [`super::Providers`] for the resource controllers.

use std::sync::Arc;
use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use kube::ResourceExt;
use kube::api::Api;
use kube::runtime::controller::Action;

use super::kube_io::{apply_status, read_secret_key};
use super::{Ctx, Error};
use crate::api::conditions::{self, Condition};
use crate::api::providerconfig::{CloudProvider, ProviderConfig, ProviderConfigStatus};
use crate::cloud::error::Redacted;
use crate::cloud::{AccountSettings, Cloud, ErrorClass};

/// Credentials are checked again this often while they work.
const RECHECK: Duration = Duration::from_secs(300);

pub async fn reconcile(pc: Arc<ProviderConfig>, ctx: Arc<Ctx>) -> Result<Action, Error> {
    let name = pc.name_any();
    if pc.metadata.deletion_timestamp.is_some() {
        ctx.providers.remove(&name);
        return Ok(Action::await_change());
    }
    ctx.providers
        .set_allowed(&name, pc.spec.allowed_namespaces.clone());
    let (ready, retry) = match check(&pc, &ctx).await {
        Ok((provider, settings)) => {
            ctx.providers.set_ready(&name, provider, settings);
            (
                Condition::ready(
                    conditions::REASON_AVAILABLE,
                    "credentials accepted by the cloud",
                ),
                RECHECK,
            )
        }
        Err((reason, message)) => {
            ctx.providers
                .set_not_ready(&name, format!("{reason}: {message}"));
            (
                Condition::not_ready(reason, message),
                Duration::from_secs(30),
            )
        }
    };
    let previous = pc.status.clone().unwrap_or_default();
    let now = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
    let status = ProviderConfigStatus {
        conditions: conditions::merge(
            &previous.conditions,
            vec![ready],
            pc.metadata.generation,
            &now,
        ),
        observed_generation: pc.metadata.generation,
    };
    if Some(&status) != pc.status.as_ref() {
        apply_status(
            &Api::<ProviderConfig>::all(ctx.client.clone()),
            &*pc,
            &status,
        )
        .await?;
    }
    Ok(Action::requeue(retry))
}

pub fn error_policy(_pc: Arc<ProviderConfig>, error: &Error, ctx: Arc<Ctx>) -> Action {
    tracing::warn!(category = error.category(), %error, "ProviderConfig reconcile failed");
    Action::requeue(ctx.timing.waiting)
}

/// The account's client (the one already built when nothing changed) and its settings when the
/// Secret is complete and the cloud accepts it; otherwise a
/// condition reason and message that say what to fix.
async fn check(
    pc: &ProviderConfig,
    ctx: &Ctx,
) -> Result<(Arc<dyn crate::cloud::Provider>, AccountSettings), (&'static str, String)> {
    let cloud = match pc.spec.provider {
        CloudProvider::Aliyun => Cloud::Aliyun,
        CloudProvider::Atlas => Cloud::Atlas,
    };
    let project_id = match (cloud, &pc.spec.project_id) {
        (Cloud::Atlas, None) => {
            return Err((
                "InvalidSpec",
                "spec.projectId is required with provider Atlas (the project's 24-hex id)".into(),
            ));
        }
        (Cloud::Aliyun, Some(_)) => {
            return Err((
                "InvalidSpec",
                "spec.projectId applies only to provider Atlas".into(),
            ));
        }
        (_, project) => project.clone(),
    };
    let secret = &pc.spec.credentials.secret_ref;
    let read =
        |key: &'static str| read_secret_key(&ctx.client, &secret.namespace, &secret.name, key);
    let pair = |id_key, secret_key| async move {
        match (read(id_key).await, read(secret_key).await) {
            (Ok(id), Ok(key)) => Ok((id, key)),
            (Err(e), _) | (_, Err(e)) => Err(e.to_string()),
        }
    };
    let (id, key, service_account) = match cloud {
        Cloud::Aliyun => match pair("accessKeyId", "accessKeySecret").await {
            Ok((id, key)) => (id, key, false),
            Err(e) => return Err(("InvalidSecret", e)),
        },
        // An API key, else a service account.
        Cloud::Atlas => match pair("publicKey", "privateKey").await {
            Ok((id, key)) => (id, key, false),
            Err(api_key) => match pair("clientId", "clientSecret").await {
                Ok((id, key)) => (id, key, true),
                Err(_) => {
                    return Err((
                        "InvalidSecret",
                        format!(
                            "{api_key}; an Atlas Secret needs publicKey and privateKey (API key) or clientId and clientSecret (service account)"
                        ),
                    ));
                }
            },
        },
    };
    let settings = AccountSettings {
        cloud,
        project_id,
        service_account,
        endpoint: pc.spec.endpoint.clone(),
        region: pc.spec.region_id.clone(),
        access_key_id: id.trim().to_owned(),
        access_key_secret: Redacted(key.trim().to_owned()),
        // 0 lets the operator's --cloud-rate-limit apply.
        requests_per_second: pc.spec.requests_per_second.unwrap_or(0),
    };
    let provider = match ctx.providers.reuse(&pc.name_any(), &settings) {
        Some(provider) => provider,
        None => (ctx.factory)(settings.clone()).map_err(|e| ("InvalidEndpoint", e))?,
    };
    match provider.check_credentials().await {
        Ok(()) => Ok((provider, settings)),
        Err(e) if e.class == ErrorClass::Terminal => Err(("InvalidCredentials", e.to_string())),
        Err(e) => Err(("CloudUnavailable", e.to_string())),
    }
}
