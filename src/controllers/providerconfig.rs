//! ProviderConfig: reads the credentials Secret, checks the account with a cheap call and
//! publishes the client to [`super::Providers`] for the resource controllers.

use std::sync::Arc;
use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use kube::ResourceExt;
use kube::api::{Api, ListParams};
use kube::runtime::controller::Action;

use super::kube_io::{
    add_finalizer, apply_status, has_finalizer, read_secret_key, remove_finalizer,
};
use super::managed::Managed;
use super::{Ctx, Error};
use crate::api::conditions::{self, Condition};
use crate::api::providerconfig::{CloudProvider, ProviderConfig, ProviderConfigStatus};
use crate::cloud::error::Redacted;
use crate::cloud::{AccountSettings, Cloud, ErrorClass};

/// Credentials are checked again this often while they work.
const RECHECK: Duration = Duration::from_secs(300);

/// Most users named in the status of a ProviderConfig whose deletion waits.
const USERS_SHOWN: usize = 20;

pub async fn reconcile(pc: Arc<ProviderConfig>, ctx: Arc<Ctx>) -> Result<Action, Error> {
    let name = pc.name_any();
    let api = Api::<ProviderConfig>::all(ctx.client.clone());
    let users = if pc.metadata.deletion_timestamp.is_some() {
        if !has_finalizer(&*pc) {
            ctx.providers.remove(&name);
            return Ok(Action::await_change());
        }
        let users = users(&ctx, &name).await?;
        if users.is_empty() {
            ctx.providers.remove(&name);
            remove_finalizer(&api, &*pc).await?;
            return Ok(Action::await_change());
        }
        // Its users still need the account, e.g. to delete their cloud resources.
        Some(users)
    } else {
        if !has_finalizer(&*pc) {
            add_finalizer(&api, &*pc).await?;
        }
        None
    };
    ctx.providers
        .set_allowed(&name, pc.spec.allowed_namespaces.clone());
    let accepted = || {
        Condition::ready(
            conditions::REASON_AVAILABLE,
            "credentials accepted by the cloud",
        )
    };
    let (ready, retry) = match check(&pc, &ctx).await {
        Ok(Checked::Accepted(provider, settings)) => {
            ctx.providers.set_ready(&name, provider, settings);
            (accepted(), RECHECK)
        }
        // A throttled or failed re-check says nothing against credentials the cloud already
        // took: the account stays usable, so a burst of throttling does not stop every
        // resource on it; the check is tried again soon.
        Ok(Checked::StillAccepted(why)) => {
            tracing::warn!(provider_config = %name, error = %why, "credential re-check failed; the account stays in use");
            (accepted(), ctx.timing.waiting)
        }
        Err((reason, message)) => {
            ctx.providers
                .set_not_ready(&name, format!("{reason}: {message}"));
            // A cloud that failed to answer is asked again soon (its resources wait for it);
            // refused credentials or a bad spec wait for a person.
            let retry = if reason == CLOUD_UNAVAILABLE {
                ctx.timing.waiting
            } else {
                Duration::from_secs(30)
            };
            (Condition::not_ready(reason, message), retry)
        }
    };
    let mut current = vec![ready];
    let (retry, shown, count) = match &users {
        Some(users) => {
            let count = users.len();
            let shown: Vec<String> = users.iter().take(USERS_SHOWN).cloned().collect();
            current.push(Condition::new_typed(
                "Deleting",
                false,
                "InUse",
                format!(
                    "deletion waits for {count} resource(s) still using this ProviderConfig ({}{}); delete them or point them at another ProviderConfig",
                    shown.join(", "),
                    if count > USERS_SHOWN { ", ..." } else { "" }
                ),
            ));
            (ctx.timing.waiting, shown, i64::try_from(count).ok())
        }
        None => (retry, Vec::new(), None),
    };
    let previous = pc.status.clone().unwrap_or_default();
    let now = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
    let status = ProviderConfigStatus {
        conditions: conditions::merge(&previous.conditions, current, pc.metadata.generation, &now),
        observed_generation: pc.metadata.generation,
        users: shown,
        user_count: count,
    };
    if Some(&status) != pc.status.as_ref() {
        apply_status(&api, &*pc, &status).await?;
    }
    Ok(Action::requeue(retry))
}

/// Every resource naming this ProviderConfig, as `Kind namespace/name`, in the watched
/// namespaces. Listed only while a deletion waits, so steady reconciles cost no list.
async fn users(ctx: &Ctx, name: &str) -> Result<Vec<String>, Error> {
    use crate::api::{AuditLogFilter, Backup, DBInstance, DatabaseUser, SecurityIpList};
    let mut users = users_of::<DBInstance>(ctx, name).await?;
    users.extend(users_of::<SecurityIpList>(ctx, name).await?);
    users.extend(users_of::<AuditLogFilter>(ctx, name).await?);
    users.extend(users_of::<Backup>(ctx, name).await?);
    users.extend(users_of::<DatabaseUser>(ctx, name).await?);
    Ok(users)
}

async fn users_of<K: Managed>(ctx: &Ctx, name: &str) -> Result<Vec<String>, Error> {
    let apis: Vec<Api<K>> = if ctx.namespaces.is_empty() {
        vec![Api::all(ctx.client.clone())]
    } else {
        ctx.namespaces
            .iter()
            .map(|ns| Api::namespaced(ctx.client.clone(), ns))
            .collect()
    };
    let mut users = Vec::new();
    for api in apis {
        let list = api
            .list(&ListParams::default())
            .await
            .map_err(Error::kube("list the users of a ProviderConfig"))?;
        users.extend(
            list.items
                .iter()
                .filter(|o| o.provider_config() == name)
                .map(|o| {
                    format!(
                        "{} {}/{}",
                        K::kind(&()),
                        o.namespace().unwrap_or_default(),
                        o.name_any()
                    )
                }),
        );
    }
    Ok(users)
}

pub fn error_policy(_pc: Arc<ProviderConfig>, error: &Error, ctx: Arc<Ctx>) -> Action {
    tracing::warn!(category = error.category(), %error, "ProviderConfig reconcile failed");
    Action::requeue(ctx.timing.waiting)
}

/// What a credential check found usable.
enum Checked {
    /// The cloud accepts the account's client, built for these settings.
    Accepted(Arc<dyn crate::cloud::Provider>, AccountSettings),
    /// A re-check of a client already accepted, with unchanged settings, failed transiently.
    StillAccepted(String),
}

/// The account's client (the one already built when nothing changed) and its settings when the
/// Secret is complete and the cloud accepts it; otherwise a
/// condition reason and message that say what to fix.
/// The reason of a credential check the cloud did not answer (throttled, failing, unreachable).
const CLOUD_UNAVAILABLE: &str = "CloudUnavailable";

async fn check(pc: &ProviderConfig, ctx: &Ctx) -> Result<Checked, (&'static str, String)> {
    let settings = account_settings(pc, &ctx.client).await?;
    let reused = ctx.providers.reuse(&pc.name_any(), &settings);
    let provider = match &reused {
        Some(provider) => provider.clone(),
        None => (ctx.factory)(settings.clone()).map_err(|e| ("InvalidEndpoint", e))?,
    };
    match provider.check_credentials().await {
        Ok(()) => Ok(Checked::Accepted(provider, settings)),
        Err(e) if e.class == ErrorClass::Terminal => Err(("InvalidCredentials", e.to_string())),
        Err(e) if reused.is_some() => Ok(Checked::StillAccepted(e.to_string())),
        Err(e) => Err((CLOUD_UNAVAILABLE, e.to_string())),
    }
}

/// The settings of the account a ProviderConfig names, its credentials read from the Secret;
/// otherwise a condition reason and a message that say what to fix. The operator and
/// `mongocloud-operator import` build their clients from this one reading.
pub async fn account_settings(
    pc: &ProviderConfig,
    client: &kube::Client,
) -> Result<AccountSettings, (&'static str, String)> {
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
    let read = |key: &'static str| read_secret_key(client, &secret.namespace, &secret.name, key);
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
        // The operator's --cloud-timeout applies.
        request_timeout: None,
    };
    Ok(settings)
}

/// A client for the account of the ProviderConfig `name` and its settings, built as the operator builds it (the
/// factory applies the operator's defaults), for tools that run outside the operator.
pub async fn connect(
    client: &kube::Client,
    name: &str,
    factory: &super::ProviderFactory,
) -> Result<(Arc<dyn crate::cloud::Provider>, AccountSettings), Error> {
    let pc = Api::<ProviderConfig>::all(client.clone())
        .get_opt(name)
        .await
        .map_err(Error::kube("read ProviderConfig"))?
        .ok_or_else(|| Error::Reference(format!("ProviderConfig {name} does not exist")))?;
    let settings = account_settings(&pc, client)
        .await
        .map_err(|(reason, message)| {
            Error::Reference(format!(
                "ProviderConfig {name} cannot be used ({reason}): {message}"
            ))
        })?;
    let provider = factory(settings.clone())
        .map_err(|e| Error::Reference(format!("ProviderConfig {name} cannot be used: {e}")))?;
    Ok((provider, settings))
}
