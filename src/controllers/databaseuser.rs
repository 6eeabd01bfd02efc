//! DatabaseUser glue: read the password from its Secret (inside the reconcile only), observe the
//! user, make at most one cloud write, and publish the connection Secret only after the cloud
//! accepted the password. The order of writes that makes rotation exactly-once is described in
//! [`crate::reconcile::databaseuser`]: pending digest (and, on Atlas, a random revision) → cloud
//! call (carrying the revision as a label) → connection Secret → applied digest.

use async_trait::async_trait;
use futures::StreamExt;
use k8s_openapi::api::core::v1::Secret;
use kube::ResourceExt;
use kube::api::Api;
use kube::core::PartialObjectMeta;
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::{WatchStreamExt, watcher};
use serde_json::json;

use super::kube_io::{apply_owned_secret, publish, read_secret_key, record_status};
use super::managed::{Cx, Managed, Synced};
use super::{Ctx, Error};
use crate::api::conditions::{self, Condition};
use crate::api::databaseuser::{DatabaseUser, DatabaseUserStatus};
use crate::cloud::error::Redacted;
use crate::cloud::{Cloud, DbUser, ErrorClass, NewDbUser};
use crate::reconcile::databaseuser::{self as rules, Passwords, Step};
use crate::reconcile::policy::WithheldPlan;
use crate::reconcile::preview;
use crate::reconcile::{Invalid, Outcome, jittered};

#[async_trait]
impl Managed for DatabaseUser {
    managed_fields!(DatabaseUserStatus);

    fn validate(&self) -> Result<(), Invalid> {
        rules::validate(&self.spec)
    }

    fn validate_for(&self, cloud: Cloud) -> Result<(), Invalid> {
        rules::validate_for(&self.spec, cloud)
    }

    async fn sync(&self, cx: &Cx<'_>) -> Synced<DatabaseUserStatus> {
        let mut status = self.status.clone().unwrap_or_default();
        let unknown = Condition::not_ready("Unknown", "not observed yet");
        let namespace = self.namespace().unwrap_or_default();
        let id = match super::instance_ref::target_id(
            cx,
            &namespace,
            &self.spec.for_provider.instance,
            &status,
        )
        .await
        {
            Ok(id) => id,
            Err(waiting) => return waiting,
        };
        status.instance_id = Some(id.clone());
        match converge(self, cx, &id, &mut status).await {
            Ok(synced) => synced,
            Err(error) => Synced::failed(status, unknown, error),
        }
    }

    /// Atlas deletes the user; Aliyun's root account cannot be deleted and stays as it is.
    async fn cleanup(&self, cx: &Cx<'_>) -> Result<Option<String>, Error> {
        let Some(id) = self.status.as_ref().and_then(|s| s.instance_id.clone()) else {
            return Ok(None);
        };
        let username = &self.spec.for_provider.username;
        if cx.provider.cloud() == Cloud::Aliyun {
            let note = format!("the {username} account of {id} cannot be deleted; it stays");
            publish(cx.ctx, self, false, "KeptAccount", "Delete", note).await;
            return Ok(None);
        }
        match cx.provider.delete_user(&id, username).await {
            Ok(()) => {
                let note = format!("user {username} deleted");
                publish(
                    cx.ctx,
                    self,
                    false,
                    "DeletedUser",
                    "DeleteDatabaseUser",
                    note,
                )
                .await;
                Ok(None)
            }
            Err(e) if e.class == ErrorClass::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn secret_changes(
        ctx: &Ctx,
        namespace: Option<&str>,
        store: Store<Self>,
    ) -> futures::stream::BoxStream<'static, ObjectRef<Self>> {
        // Metadata only: a `PartialObjectMeta` Api lists and watches without the data.
        let api: Api<PartialObjectMeta<Secret>> = match namespace {
            Some(ns) => Api::namespaced(ctx.client.clone(), ns),
            None => Api::all(ctx.client.clone()),
        };
        watcher(api, watcher::Config::default())
            .default_backoff()
            .touched_objects()
            .filter_map(|secret| async move { secret.ok() })
            .flat_map(move |secret| {
                let (ns, name) = (secret.namespace(), secret.name_any());
                let users: Vec<ObjectRef<Self>> = store
                    .state()
                    .iter()
                    .filter(|u| {
                        u.namespace() == ns && u.spec.for_provider.password_secret_ref.name == name
                    })
                    .map(|u| ObjectRef::from_obj(&**u))
                    .collect();
                futures::stream::iter(users)
            })
            .boxed()
    }
}

/// Everything after the instance is known; errors end the reconcile with what was observed.
async fn converge(
    obj: &DatabaseUser,
    cx: &Cx<'_>,
    id: &str,
    status: &mut DatabaseUserStatus,
) -> Result<Synced<DatabaseUserStatus>, Error> {
    let p = &obj.spec.for_provider;
    let cloud = cx.provider.cloud();
    let namespace = obj.namespace().unwrap_or_default();
    let secret = &p.password_secret_ref;
    let password =
        Redacted(read_secret_key(&cx.ctx.client, &namespace, &secret.name, &secret.key).await?);
    if let Err(invalid) = rules::check_password(cloud, &secret.name, &secret.key, password.expose())
    {
        return Ok(rejected_password(status, invalid, cx));
    }
    let digest = rules::password_digest(&obj.uid().unwrap_or_default(), password.expose());
    let seen = cx.provider.describe_user(id, &p.username).await?;
    status.at_provider = seen.as_ref().map(rules::observation);
    let want = rules::settings(p);
    let plan = |status: &DatabaseUserStatus| {
        rules::plan(
            &want,
            seen.as_ref(),
            passwords(&digest, status),
            cloud,
            cx.mode,
        )
    };
    let mut step = plan(status);
    if matches!(
        step,
        Step::Create | Step::SetPassword { .. } | Step::ConfirmPassword
    ) {
        // The cached object may predate this controller's last status write (the watch lags
        // behind it): a password is sent or confirmed only on the records the API server holds.
        refresh_digests(obj, cx, status).await?;
        step = plan(status);
    }
    let applied = rules::is_applied(passwords(&digest, status));
    if let Some(verb) = step.verb()
        && let Err(why) = cx.gate(verb)
    {
        let actions = preview::database_user(cloud, &step, &want, seen.as_ref(), applied);
        let ready = if seen.is_some() {
            Condition::not_ready(
                "Differs",
                format!(
                    "user {} differs from the spec and the change was not sent (see Synced and status.plannedActions)",
                    p.username
                ),
            )
        } else {
            Condition::not_ready(
                "NotCreated",
                format!("user {} does not exist in the cloud", p.username),
            )
        };
        return Ok(Synced {
            status: status.clone(),
            ready,
            outcome: Outcome::Success,
            requeue: jittered(cx.ctx.timing.drift, rand::random()),
            error: None,
            withheld: Some(WithheldPlan { why, actions }),
        });
    }
    let in_sync = seen
        .as_ref()
        .is_some_and(|s| !rules::settings_differ(&want, s))
        && applied;
    let username = &p.username;
    if step == Step::Missing {
        let message = format!("instance {id} has no account {username}");
        return Ok(Synced {
            status: status.clone(),
            ready: Condition::not_ready(conditions::REASON_INSTANCE_NOT_FOUND, message.clone()),
            outcome: Outcome::Waiting {
                reason: conditions::REASON_INSTANCE_NOT_FOUND,
                message,
            },
            requeue: cx.ctx.timing.drift,
            error: None,
            withheld: None,
        });
    }
    let ctx = Act {
        obj,
        cx,
        id,
        seen: seen.as_ref(),
        password: &password,
        digest: &digest,
    };
    act(&ctx, &step, want, applied, status).await?;
    let (ready, requeue) = match step {
        Step::Steady if in_sync => (
            Condition::ready(
                conditions::REASON_AVAILABLE,
                format!("user {username} has the spec's roles and password"),
            ),
            jittered(cx.ctx.timing.drift, rand::random()),
        ),
        // Paused or blocked: nothing is being written, so look again on the drift timer.
        _ if !cx.mode.plans_writes() => (
            Condition::not_ready(
                "NotApplied",
                format!("user {username} differs from the spec"),
            ),
            jittered(cx.ctx.timing.drift, rand::random()),
        ),
        _ => (
            Condition::not_ready("Applying", format!("user {username} is being written")),
            cx.ctx.timing.transitional,
        ),
    };
    Ok(Synced {
        status: status.clone(),
        ready,
        outcome: Outcome::Success,
        requeue,
        error: None,
        withheld: None,
    })
}

/// What a cloud step needs besides the step.
struct Act<'a> {
    obj: &'a DatabaseUser,
    cx: &'a Cx<'a>,
    id: &'a str,
    seen: Option<&'a DbUser>,
    password: &'a Redacted<String>,
    digest: &'a str,
}

/// Runs the one cloud step of this reconcile, with its status writes and Event.
async fn act(
    a: &Act<'_>,
    step: &Step,
    want: crate::cloud::UserSettings,
    applied: bool,
    status: &mut DatabaseUserStatus,
) -> Result<(), Error> {
    let (obj, cx, id) = (a.obj, a.cx, a.id);
    let username = &obj.spec.for_provider.username;
    match step {
        Step::Steady | Step::Missing => {
            if applied && connection_secret_missing(obj, cx).await? {
                write_connection_secret(obj, cx, id, a.password).await?;
            }
        }
        Step::Create => {
            let rev = mark_pending(obj, cx, status, a.digest).await?;
            let new = NewDbUser {
                username: username.clone(),
                password: a.password.clone(),
                settings: want,
                labels: rev
                    .map(|rev| rules::labels_with_rev(&[], &rev))
                    .unwrap_or_default(),
            };
            cx.provider.create_user(id, &new).await?;
            publish_accepted(obj, cx, id, a.password, status, a.digest).await?;
            let note = format!("user {username} created");
            publish(
                cx.ctx,
                obj,
                false,
                "CreatedUser",
                "CreateDatabaseUser",
                note,
            )
            .await;
        }
        Step::UpdateSettings => {
            cx.provider.update_user(id, username, &want).await?;
            let note = format!("roles, scopes and description of user {username} set");
            publish(
                cx.ctx,
                obj,
                false,
                "UpdatedUser",
                "UpdateDatabaseUser",
                note,
            )
            .await;
        }
        Step::SetPassword { resend } => {
            let rev = mark_pending(obj, cx, status, a.digest).await?;
            let labels = rev.map(|rev| {
                let kept = a.seen.map(|u| u.labels.as_slice()).unwrap_or_default();
                rules::labels_with_rev(kept, &rev)
            });
            cx.provider
                .set_user_password(id, username, a.password, labels.as_deref())
                .await?;
            publish_accepted(obj, cx, id, a.password, status, a.digest).await?;
            let secret = &obj.spec.for_provider.password_secret_ref.name;
            let note = if *resend {
                format!("password of user {username} sent again: an earlier call's answer was lost")
            } else {
                format!("password of user {username} set from Secret {secret}")
            };
            publish(cx.ctx, obj, false, "SetPassword", "SetPassword", note).await;
        }
        Step::ConfirmPassword => {
            publish_accepted(obj, cx, id, a.password, status, a.digest).await?;
            let note = format!(
                "password of user {username} was already set by an earlier call (its label {} is on the user); not sent again",
                rules::PASSWORD_REV_LABEL
            );
            publish(cx.ctx, obj, false, "ConfirmedPassword", "SetPassword", note).await;
        }
    }
    Ok(())
}

fn passwords<'a>(current: &'a str, status: &'a DatabaseUserStatus) -> Passwords<'a> {
    Passwords {
        current,
        applied: status.applied_password_digest.as_deref(),
        pending: status.pending_password_digest.as_deref(),
        pending_rev: status.pending_password_rev.as_deref(),
    }
}

/// Takes the password records from the object as stored, not as cached.
async fn refresh_digests(
    obj: &DatabaseUser,
    cx: &Cx<'_>,
    status: &mut DatabaseUserStatus,
) -> Result<(), Error> {
    let stored = api(obj, cx)
        .get_status(&obj.name_any())
        .await
        .map_err(Error::kube("read the DatabaseUser's status"))?
        .status
        .unwrap_or_default();
    status.applied_password_digest = stored.applied_password_digest;
    status.pending_password_digest = stored.pending_password_digest;
    status.pending_password_rev = stored.pending_password_rev;
    Ok(())
}

/// A password the cloud would refuse: reported without a call, and without blocking, since
/// fixing the Secret (not the spec) is the way out and a Secret change triggers a reconcile.
fn rejected_password(
    status: &DatabaseUserStatus,
    invalid: Invalid,
    cx: &Cx<'_>,
) -> Synced<DatabaseUserStatus> {
    let message = invalid.to_string();
    Synced {
        status: status.clone(),
        ready: Condition::not_ready(conditions::REASON_PASSWORD_REJECTED, message.clone()),
        outcome: Outcome::Waiting {
            reason: conditions::REASON_PASSWORD_REJECTED,
            message,
        },
        requeue: jittered(cx.ctx.timing.drift, rand::random()),
        error: None,
        withheld: None,
    }
}

fn api(obj: &DatabaseUser, cx: &Cx<'_>) -> Api<DatabaseUser> {
    Api::namespaced(cx.ctx.client.clone(), &obj.namespace().unwrap_or_default())
}

/// Records that a password is about to be sent, before the call, with the revision the call
/// will carry (Atlas), in one write; returns that revision. A record for this value is kept,
/// so a repeated call carries the revision of the first.
async fn mark_pending(
    obj: &DatabaseUser,
    cx: &Cx<'_>,
    status: &mut DatabaseUserStatus,
    digest: &str,
) -> Result<Option<String>, Error> {
    // Random, so the label tells nothing about the password.
    let fresh = format!("{:016x}", rand::random::<u64>());
    let rev = rules::rev_to_send(passwords(digest, status), cx.provider.cloud(), &fresh)
        .map(str::to_owned);
    if status.pending_password_digest.as_deref() != Some(digest)
        || status.pending_password_rev != rev
    {
        let record = json!({"pendingPasswordDigest": digest, "pendingPasswordRev": rev});
        record_status(&api(obj, cx), obj, record).await?;
        status.pending_password_digest = Some(digest.to_owned());
        status.pending_password_rev.clone_from(&rev);
    }
    Ok(rev)
}

/// After the cloud accepted a password: the connection Secret first, then the applied digest,
/// so an applied digest always means the Secret holds that password.
async fn publish_accepted(
    obj: &DatabaseUser,
    cx: &Cx<'_>,
    id: &str,
    password: &Redacted<String>,
    status: &mut DatabaseUserStatus,
    digest: &str,
) -> Result<(), Error> {
    write_connection_secret(obj, cx, id, password).await?;
    record_status(
        &api(obj, cx),
        obj,
        json!({"appliedPasswordDigest": digest, "pendingPasswordDigest": null, "pendingPasswordRev": null}),
    )
    .await?;
    status.applied_password_digest = Some(digest.to_owned());
    status.pending_password_digest = None;
    status.pending_password_rev = None;
    Ok(())
}

async fn connection_secret_missing(obj: &DatabaseUser, cx: &Cx<'_>) -> Result<bool, Error> {
    let Some(target) = &obj.spec.write_connection_secret_to_ref else {
        return Ok(false);
    };
    let secrets: Api<Secret> =
        Api::namespaced(cx.ctx.client.clone(), &obj.namespace().unwrap_or_default());
    let found = secrets
        .get_metadata_opt(&target.name)
        .await
        .map_err(Error::kube("read the connection Secret"))?;
    Ok(found.is_none())
}

async fn write_connection_secret(
    obj: &DatabaseUser,
    cx: &Cx<'_>,
    id: &str,
    password: &Redacted<String>,
) -> Result<(), Error> {
    let Some(target) = &obj.spec.write_connection_secret_to_ref else {
        return Ok(());
    };
    let instance = cx.provider.describe_instance(id).await?.unwrap_or_default();
    let data = rules::connection_details(
        &instance,
        &obj.spec.for_provider.username,
        password.expose(),
    );
    apply_owned_secret(&cx.ctx.client, obj, &target.name, data).await
}
