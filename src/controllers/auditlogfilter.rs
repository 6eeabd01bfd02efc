//! AuditLogFilter glue: wait for a Running three-node instance, then policy, then filter.

use async_trait::async_trait;
use kube::ResourceExt;

use super::Error;
use super::kube_io::publish;
use super::managed::{Cx, Managed, Synced};
use crate::api::auditlogfilter::{AuditLogFilter, AuditLogFilterObservation, AuditLogFilterStatus};
use crate::api::conditions::{self, Condition};
use crate::cloud::{AuditChange, Cloud, ErrorClass};
use crate::reconcile::auditlogfilter::{self as rules, Step};
use crate::reconcile::policy::{Verb, WithheldPlan};
use crate::reconcile::{Invalid, Outcome, jittered, preview};

#[async_trait]
impl Managed for AuditLogFilter {
    managed_fields!(AuditLogFilterStatus);

    fn validate(&self) -> Result<(), Invalid> {
        rules::validate(&self.spec).map(drop)
    }

    fn validate_for(&self, cloud: Cloud) -> Result<(), Invalid> {
        crate::reconcile::clouds::check_audit(&self.spec, cloud)
    }

    async fn sync(&self, cx: &Cx<'_>) -> Synced<AuditLogFilterStatus> {
        let mut status = self.status.clone().unwrap_or_default();
        let unknown = Condition::not_ready("Unknown", "not observed yet");
        let want = match rules::validate(&self.spec) {
            Ok(want) => want,
            Err(invalid) => return super::managed::rejected(status, unknown, invalid, cx),
        };
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
        let instance = match cx.provider.describe_instance(&id).await {
            Ok(found) => found,
            Err(error) => return Synced::failed(status, unknown, error.into()),
        };
        let Some(instance) = instance else {
            return super::managed::waiting(
                status,
                unknown,
                format!("instance {id} does not exist in the cloud"),
                cx,
            );
        };
        if let Some(why) = rules::precondition(&instance, cx.provider.cloud()) {
            // Preconditions change slowly (an instance being created, a node count): look rarely.
            let mut synced = super::managed::waiting(status, unknown, why, cx);
            synced.requeue = cx.ctx.timing.waiting * 6;
            return synced;
        }
        let seen = match cx.provider.describe_audit(&id).await {
            Ok(seen) => seen,
            Err(error) => return Synced::failed(status, unknown, error.into()),
        };
        status.at_provider = Some(AuditLogFilterObservation {
            filter: rules::sorted(&seen.filter),
            audit_status: Some(if seen.enabled { "Enable" } else { "Disabled" }.to_owned()),
        });
        let step = rules::plan(&want, &seen, cx.mode);
        let Step::Change(change) = step else {
            let ready = Condition::ready(
                conditions::REASON_AVAILABLE,
                "audit settings read back as specified",
            );
            let requeue = jittered(cx.ctx.timing.drift, rand::random());
            return Synced {
                status,
                ready,
                outcome: Outcome::Success,
                requeue,
                error: None,
                withheld: None,
            };
        };
        if let Err(why) = cx.gate(Verb::Update) {
            let ready = Condition::not_ready(
                "Differs",
                "the audit settings differ from the spec and the change was not sent (see Synced and status.plannedActions)",
            );
            let actions = preview::audit(cx.provider.cloud(), &want, &seen);
            return Synced {
                status,
                ready,
                outcome: Outcome::Success,
                requeue: jittered(cx.ctx.timing.drift, rand::random()),
                error: None,
                withheld: Some(WithheldPlan { why, actions }),
            };
        }
        let ready = Condition::not_ready("Applying", "audit settings are being written");
        if let Err(error) = cx.provider.modify_audit(&id, &change).await {
            return Synced::failed(status, ready, error.into());
        }
        let (action, note) = match &change {
            AuditChange::Policy { enabled, .. } => (
                "ModifyAuditPolicy",
                format!(
                    "audit {} on {id}",
                    if *enabled { "enabled" } else { "disabled" }
                ),
            ),
            AuditChange::Filter(filter) => (
                "ModifyAuditLogFilter",
                format!("filter {} on {id}", filter.join(",")),
            ),
            AuditChange::Raw { .. } => ("ModifyAuditLogFilter", format!("filter document on {id}")),
        };
        publish(cx.ctx, self, false, "WroteAuditSettings", action, note).await;
        Synced {
            status,
            ready,
            outcome: Outcome::Success,
            requeue: cx.ctx.timing.transitional,
            error: None,
            withheld: None,
        }
    }

    /// Aliyun: puts the cloud's default filter back; audit logging itself is left as it is,
    /// since it may have been on before this resource existed. Atlas has no default filter to
    /// restore: auditing is switched off, as Atlas' own tools do on removal.
    async fn cleanup(&self, cx: &Cx<'_>) -> Result<Option<String>, Error> {
        let Some(id) = self.status.as_ref().and_then(|s| s.instance_id.clone()) else {
            return Ok(None);
        };
        let (change, note) = match cx.provider.cloud() {
            Cloud::Aliyun => (
                AuditChange::Filter(
                    rules::DEFAULT_FILTER
                        .iter()
                        .map(|c| c.to_string())
                        .collect(),
                ),
                format!("default filter restored on {id}"),
            ),
            Cloud::Atlas => (
                AuditChange::Policy {
                    enabled: false,
                    storage_period_days: None,
                },
                format!("auditing switched off for the project of {id}"),
            ),
        };
        match cx.provider.modify_audit(&id, &change).await {
            Ok(()) => {
                publish(
                    cx.ctx,
                    self,
                    false,
                    "RestoredAuditFilter",
                    "ModifyAuditLogFilter",
                    note,
                )
                .await;
                Ok(None)
            }
            Err(e) if e.class == ErrorClass::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}
