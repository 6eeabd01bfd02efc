//! Pure decisions: validation, plans, conditions and requeue delays.
//!
//! Nothing here does I/O, reads a clock or draws random numbers: `now` and jitter come in as
//! arguments, so every rule is a table-driven unit test.

pub mod auditlogfilter;
pub mod backup;
pub mod clouds;
pub mod databaseuser;
pub mod dbinstance;
pub mod dbinstance_backup;
pub mod dbinstance_inplace;
pub mod dbinstance_restore;
pub mod dbinstance_sharding;
pub mod policy;
pub mod preview;
pub mod securityiplist;
pub mod tenancy;

use std::time::Duration;

use crate::api::conditions::{self, Condition};
use crate::cloud::ErrorClass;

/// How far the controller may go for one resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Observe and write to the cloud.
    Active,
    /// The paused annotation is set: observe and plan, never write.
    Paused,
    /// The plan-only annotation is set: observe and plan, and show the plan instead of writing.
    Preview,
    /// A terminal error was reported for this generation: observe only until the spec changes.
    Blocked,
}

impl Mode {
    /// Whether planners work out writes at all. Whether a planned write is sent is decided per
    /// write by [`policy::gate`], which also weighs the management policies.
    pub fn plans_writes(self) -> bool {
        self != Mode::Blocked
    }
}

/// A spec the schema let through but that cannot work; shown as a `TerminalError`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid {
    /// Path from the object root, e.g. `spec.forProvider.regionId`.
    pub field: String,
    /// What is wrong and what is allowed.
    pub message: String,
}

impl Invalid {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.field, self.message)
    }
}

/// How one reconcile ended, for the `Synced` condition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Paused,
    Invalid(Invalid),
    /// Waiting for something outside this resource (its ProviderConfig, its instance).
    Waiting {
        reason: &'static str,
        message: String,
    },
    CloudError {
        class: ErrorClass,
        message: String,
    },
    /// Planned writes were not sent (plan-only, paused, or a policy without the verb).
    Withheld(policy::WithheldPlan),
    /// Plan-only, and there is nothing to do.
    NothingPlanned,
}

/// The `Synced` condition for an outcome.
pub fn synced_condition(outcome: &Outcome) -> Condition {
    match outcome {
        Outcome::Success => Condition::synced(),
        Outcome::Paused => Condition::not_synced(
            conditions::REASON_RECONCILE_PAUSED,
            format!(
                "annotation {} is \"true\": no cloud writes",
                crate::api::common::PAUSED_ANNOTATION
            ),
        ),
        Outcome::Invalid(invalid) => {
            Condition::not_synced(conditions::REASON_TERMINAL_ERROR, invalid.to_string())
        }
        Outcome::Waiting { reason, message } => Condition::not_synced(reason, message.clone()),
        Outcome::CloudError {
            class: ErrorClass::Terminal,
            message,
        } => Condition::not_synced(conditions::REASON_TERMINAL_ERROR, message.clone()),
        Outcome::CloudError { message, .. } => {
            Condition::not_synced(conditions::REASON_RECONCILE_ERROR, message.clone())
        }
        Outcome::Withheld(plan) => policy::withheld_condition(plan.why, &plan.actions),
        Outcome::NothingPlanned => Condition::synced_because(
            policy::REASON_PLAN_READY,
            "plan only: the cloud matches the spec; nothing to do",
        ),
    }
}

/// Requeue delays, configurable from the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    /// While the cloud is in a transitional state.
    pub transitional: Duration,
    /// Between drift checks of a steady resource.
    pub drift: Duration,
    /// While waiting on another object (ProviderConfig, instance).
    pub waiting: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            transitional: Duration::from_secs(2),
            drift: Duration::from_secs(60),
            waiting: Duration::from_secs(5),
        }
    }
}

/// `base` spread by ±10 % so that thousands of resources do not poll in lock-step. `unit` is a
/// number in `[0, 1)` the caller draws.
pub fn jittered(base: Duration, unit: f64) -> Duration {
    base.mul_f64(0.9 + 0.2 * unit.clamp(0.0, 1.0))
}

/// Backoff for retryable errors: 1 s doubling per consecutive failure, capped at `cap` (the drift
/// interval). A longer wait would make an object that failed during a fault storm the last to
/// notice the storm ended, while one try per drift interval is what a steady object costs anyway.
pub fn backoff(failures: u32, cap: Duration) -> Duration {
    Duration::from_secs(1u64 << failures.min(9)).min(cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synced_reasons_follow_the_outcome() {
        let cases = [
            (Outcome::Success, "True", "ReconcileSuccess"),
            (Outcome::Paused, "False", "ReconcilePaused"),
            (
                Outcome::Invalid(Invalid::new("spec.x", "is bad")),
                "False",
                "TerminalError",
            ),
            (
                Outcome::CloudError {
                    class: ErrorClass::Terminal,
                    message: "m".into(),
                },
                "False",
                "TerminalError",
            ),
            (
                Outcome::CloudError {
                    class: ErrorClass::Transient,
                    message: "m".into(),
                },
                "False",
                "ReconcileError",
            ),
            (
                Outcome::CloudError {
                    class: ErrorClass::Throttled { retry_after: None },
                    message: "m".into(),
                },
                "False",
                "ReconcileError",
            ),
            (
                Outcome::Waiting {
                    reason: "WaitingForInstance",
                    message: "m".into(),
                },
                "False",
                "WaitingForInstance",
            ),
        ];
        for (outcome, status, reason) in cases {
            let c = synced_condition(&outcome);
            assert_eq!(
                (c.status.as_str(), c.reason.as_str()),
                (status, reason),
                "outcome {outcome:?}"
            );
        }
    }

    #[test]
    fn invalid_message_names_the_field() {
        let c = synced_condition(&Outcome::Invalid(Invalid::new(
            "spec.forProvider.regionId",
            "cannot change",
        )));
        assert_eq!(c.message, "spec.forProvider.regionId cannot change");
    }

    #[test]
    fn jitter_stays_within_ten_percent() {
        let base = Duration::from_secs(60);
        assert_eq!(jittered(base, 0.0), Duration::from_secs(54));
        assert_eq!(jittered(base, 0.5), Duration::from_secs(60));
        assert!(jittered(base, 0.999) < Duration::from_secs(66));
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let drift = Duration::from_secs(60);
        assert_eq!(backoff(0, drift), Duration::from_secs(1));
        assert_eq!(backoff(3, drift), Duration::from_secs(8));
        assert_eq!(backoff(5, drift), Duration::from_secs(32));
        assert_eq!(backoff(6, drift), drift);
        assert_eq!(backoff(40, drift), drift);
        assert_eq!(backoff(2, Duration::from_secs(3)), Duration::from_secs(3));
    }
}

/// The instance a sub-resource targets: exactly one of `dbInstanceRef` and `dbInstanceId`
/// (the schema says so too, but clusters older than the schema rules may let both through).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Ref(String),
    Id(String),
}

pub fn instance_target(t: &crate::api::common::InstanceTarget) -> Result<Target, Invalid> {
    match (&t.db_instance_ref, &t.db_instance_id) {
        (Some(r), None) => Ok(Target::Ref(r.name.clone())),
        (None, Some(id)) => Ok(Target::Id(id.clone())),
        _ => Err(Invalid::new(
            "spec.forProvider",
            "needs exactly one of dbInstanceRef and dbInstanceId",
        )),
    }
}
