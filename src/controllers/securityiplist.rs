//! SecurityIpList glue: read the instance's groups, cover ours, report what the cloud holds.

use async_trait::async_trait;
use chrono::Utc;
use kube::ResourceExt;

use super::Error;
use super::kube_io::publish;
use super::managed::{Cx, Managed, Synced};
use crate::api::conditions::{self, Condition};
use crate::api::securityiplist::{SecurityIpList, SecurityIpListObservation, SecurityIpListStatus};
use crate::cloud::{Cloud, ErrorClass};
use crate::reconcile::policy::{Verb, WithheldPlan};
use crate::reconcile::securityiplist::{self as rules, Step};
use crate::reconcile::{Invalid, Outcome, clouds, jittered, preview};

#[async_trait]
impl Managed for SecurityIpList {
    managed_fields!(SecurityIpListStatus);

    fn validate(&self) -> Result<(), Invalid> {
        rules::validate(&self.spec, &self.name_any()).map(drop)
    }

    fn validate_for(&self, cloud: Cloud) -> Result<(), Invalid> {
        let p = &self.spec.for_provider;
        clouds::check_target(p.instance.db_instance_id.as_deref(), cloud)?;
        clouds::check_ip_group(p.group_name.is_some(), p.group_attribute.is_some(), cloud)?;
        clouds::check_access_list_comment(p.atlas.as_ref().map(|a| a.comment.as_str()), cloud)
    }

    async fn sync(&self, cx: &Cx<'_>) -> Synced<SecurityIpListStatus> {
        let mut status = self.status.clone().unwrap_or_default();
        let unknown = Condition::not_ready("Unknown", "not observed yet");
        let mut want = match rules::validate(&self.spec, &self.name_any()) {
            Ok(want) => want,
            Err(invalid) => return super::managed::rejected(status, unknown, invalid, cx),
        };
        want.group = self.group(cx.provider.cloud());
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
        let groups = match cx.provider.describe_security_ips(&id).await {
            Ok(groups) => groups,
            Err(error) => return Synced::failed(status, unknown, error.into()),
        };
        let now = Utc::now();
        let ours = groups.iter().find(|g| g.name == want.group);
        status.at_provider = Some(SecurityIpListObservation {
            group_name: want.group.clone(),
            group_attribute: ours.and_then(|g| g.attribute.clone()),
            entries: ours.map(|g| rules::normalized(&g.ips)).unwrap_or_default(),
            instance_total: i32::try_from(groups.iter().map(|g| g.ips.len()).sum::<usize>()).ok(),
        });
        status.next_expiry = want
            .next_expiry(now)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        let step = rules::plan(&want, &groups, now, cx.mode);
        let cloud = cx.provider.cloud();
        let (verb, planned) = match &step {
            Step::Cover(group) => (
                if ours.is_some() {
                    Verb::Update
                } else {
                    Verb::Create
                },
                preview::security_ips(cloud, group, ours),
            ),
            Step::DeleteGroup(_) => (
                Verb::Update,
                ours.map(|g| preview::delete_security_ip_group(cloud, g))
                    .unwrap_or_default(),
            ),
            Step::Steady | Step::Reject(_) => (Verb::Update, Vec::new()),
        };
        if !planned.is_empty()
            && let Err(why) = cx.gate(verb)
        {
            let ready = match ours {
                Some(_) => Condition::not_ready(
                    "Differs",
                    format!(
                        "group {} differs from the spec and the change was not sent (see Synced and status.plannedActions)",
                        want.group
                    ),
                ),
                None => Condition::not_ready(
                    "NotCreated",
                    format!("group {} does not exist in the cloud", want.group),
                ),
            };
            return Synced {
                status,
                ready,
                outcome: Outcome::Success,
                requeue: jittered(cx.ctx.timing.drift, rand::random()),
                error: None,
                withheld: Some(WithheldPlan {
                    why,
                    actions: planned,
                }),
            };
        }
        let result = match &step {
            Step::Cover(group) => cx
                .provider
                .cover_security_ips(&id, group)
                .await
                .map(|()| format!("group {} set to {} entries", group.name, group.ips.len())),
            Step::DeleteGroup(name) => cx
                .provider
                .delete_security_ip_group(&id, name)
                .await
                .map(|()| format!("group {name} removed: every entry expired")),
            Step::Steady | Step::Reject(_) => Ok(String::new()),
        };
        let ready = match &step {
            Step::Steady => Condition::ready(
                conditions::REASON_AVAILABLE,
                format!("group {} matches the spec", want.group),
            ),
            _ => Condition::not_ready("Applying", format!("group {} is being written", want.group)),
        };
        match result {
            Ok(note) if !note.is_empty() => {
                status.applied_entries = want.active(now);
                publish(
                    cx.ctx,
                    self,
                    false,
                    "WroteSecurityIps",
                    "ModifySecurityIps",
                    format!("{note} on {id}"),
                )
                .await;
            }
            Ok(_) => {
                status.applied_entries = status
                    .at_provider
                    .as_ref()
                    .map(|o| o.entries.clone())
                    .unwrap_or_default()
            }
            Err(error) => return Synced::failed(status, ready, error.into()),
        }
        let until_expiry = want.next_expiry(now).and_then(|t| (t - now).to_std().ok());
        let base = if step == Step::Steady {
            jittered(cx.ctx.timing.drift, rand::random())
        } else {
            cx.ctx.timing.transitional
        };
        let requeue = until_expiry.map_or(base, |d| d.min(base));
        let outcome = match step {
            Step::Reject(invalid) => Outcome::Invalid(invalid),
            _ => Outcome::Success,
        };
        Synced {
            status,
            ready,
            outcome,
            requeue,
            error: None,
            withheld: None,
        }
    }

    async fn cleanup(&self, cx: &Cx<'_>) -> Result<Option<String>, Error> {
        let Some(id) = self.status.as_ref().and_then(|s| s.instance_id.clone()) else {
            return Ok(None);
        };
        let group = self.group(cx.provider.cloud());
        let groups = match cx.provider.describe_security_ips(&id).await {
            Ok(groups) => groups,
            Err(e) if e.class == ErrorClass::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        if groups.iter().any(|g| g.name == group) {
            match cx.provider.delete_security_ip_group(&id, &group).await {
                Ok(()) => {
                    publish(
                        cx.ctx,
                        self,
                        false,
                        "DeletedSecurityIpGroup",
                        "ModifySecurityIps",
                        format!("group {group} removed from {id}"),
                    )
                    .await
                }
                Err(e) if e.class == ErrorClass::NotFound => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(None)
    }
}

impl SecurityIpList {
    fn group(&self, cloud: Cloud) -> String {
        let uid = self.uid().unwrap_or_else(|| self.name_any());
        rules::owned_group(&self.spec, &self.name_any(), &uid, cloud)
    }
}
