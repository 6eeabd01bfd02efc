//! Condition types and reasons shared by every kind.
//!
//! Conditions follow the `metav1.Condition` shape so that `kubectl wait --for=condition=Ready`
//! and Argo CD read them. Reasons are `PascalCase` constants; build conditions with the named
//! constructors so `observedGeneration` is never forgotten.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The resource exists in the cloud and can be used.
pub const READY: &str = "Ready";
/// The last reconcile applied the spec without error.
pub const SYNCED: &str = "Synced";

pub const REASON_RECONCILE_SUCCESS: &str = "ReconcileSuccess";
/// A retryable failure; the controller retries with backoff.
pub const REASON_RECONCILE_ERROR: &str = "ReconcileError";
/// The spec must change before another attempt can succeed; no cloud retries until then.
pub const REASON_TERMINAL_ERROR: &str = "TerminalError";
pub const REASON_RECONCILE_PAUSED: &str = "ReconcilePaused";
pub const REASON_WAITING_FOR_INSTANCE: &str = "WaitingForInstance";
pub const REASON_WAITING_FOR_PROVIDER: &str = "WaitingForProviderConfig";
pub const REASON_AVAILABLE: &str = "Available";
pub const REASON_DELETING: &str = "Deleting";
pub const REASON_BACKUP_FAILED: &str = "BackupFailed";
pub const REASON_INSTANCE_NOT_FOUND: &str = "InstanceNotFound";
/// The password in the referenced Secret breaks the cloud's rules; fixing the Secret is enough.
pub const REASON_PASSWORD_REJECTED: &str = "PasswordRejected";

/// One observation of the resource, in the shape of `metav1.Condition`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    /// `Ready` or `Synced`.
    #[serde(rename = "type")]
    pub type_: String,
    /// `True`, `False` or `Unknown`.
    pub status: String,
    /// The generation of the spec this condition was computed for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// When `status` last changed (RFC 3339).
    pub last_transition_time: String,
    /// A machine-readable `PascalCase` word: the cloud state for `Ready`, the outcome for `Synced`.
    pub reason: String,
    /// What a person needs to know, naming the field at fault when there is one.
    // Never sent empty: server-side apply on 1.20 turns "" into null, which the schema refuses.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
}

impl Condition {
    fn new(type_: &str, status: bool, reason: &str, message: impl Into<String>) -> Self {
        Condition {
            type_: type_.to_owned(),
            status: if status { "True" } else { "False" }.to_owned(),
            observed_generation: None,
            last_transition_time: String::new(),
            reason: reason.to_owned(),
            message: message.into(),
        }
    }

    /// A condition of another type than `Ready` and `Synced`.
    pub fn new_typed(type_: &str, status: bool, reason: &str, message: impl Into<String>) -> Self {
        Self::new(type_, status, reason, message)
    }

    pub fn ready(reason: &str, message: impl Into<String>) -> Self {
        Self::new(READY, true, reason, message)
    }

    pub fn not_ready(reason: &str, message: impl Into<String>) -> Self {
        Self::new(READY, false, reason, message)
    }

    pub fn synced() -> Self {
        Self::new(
            SYNCED,
            true,
            REASON_RECONCILE_SUCCESS,
            "the last reconcile applied the spec",
        )
    }

    /// `Synced=True` with another reason than a plain success (e.g. a plan with nothing to do).
    pub fn synced_because(reason: &str, message: impl Into<String>) -> Self {
        Self::new(SYNCED, true, reason, message)
    }

    pub fn not_synced(reason: &str, message: impl Into<String>) -> Self {
        Self::new(SYNCED, false, reason, message)
    }

    pub fn is_true(&self) -> bool {
        self.status == "True"
    }
}

/// Finds a condition by type.
pub fn find<'a>(conditions: &'a [Condition], type_: &str) -> Option<&'a Condition> {
    conditions.iter().find(|c| c.type_ == type_)
}

/// Stamps `observedGeneration` and `lastTransitionTime` on fresh conditions, keeping the old
/// transition time when the status did not change, so a steady resource writes nothing new.
pub fn merge(
    previous: &[Condition],
    fresh: Vec<Condition>,
    generation: Option<i64>,
    now: &str,
) -> Vec<Condition> {
    fresh
        .into_iter()
        .map(|mut c| {
            c.observed_generation = generation;
            c.last_transition_time = match find(previous, &c.type_) {
                Some(old) if old.status == c.status => old.last_transition_time.clone(),
                _ => now.to_owned(),
            };
            c
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_keeps_transition_time_when_status_is_unchanged() {
        let old = merge(
            &[],
            vec![Condition::ready(REASON_AVAILABLE, "")],
            Some(1),
            "t1",
        );
        let again = merge(
            &old,
            vec![Condition::ready(REASON_AVAILABLE, "")],
            Some(2),
            "t2",
        );
        assert_eq!(again[0].last_transition_time, "t1");
        assert_eq!(again[0].observed_generation, Some(2));
    }

    #[test]
    fn merge_moves_transition_time_when_status_flips() {
        let old = merge(
            &[],
            vec![Condition::ready(REASON_AVAILABLE, "")],
            Some(1),
            "t1",
        );
        let flipped = merge(
            &old,
            vec![Condition::not_ready("Rebooting", "")],
            Some(1),
            "t2",
        );
        assert_eq!(flipped[0].last_transition_time, "t2");
        assert!(!flipped[0].is_true());
    }
}
