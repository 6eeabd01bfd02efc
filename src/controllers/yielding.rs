//! Settled objects yield a spent budget to the ones catching up.
//!
//! An account's calls share one rate limit. When it is spent, every call queues behind the
//! others, so a change waits behind the drift re-checks of every settled object: after a
//! restart, a few hundred Backups re-reading their snapshots held a DBInstance's create for
//! most of a minute at Atlas' default budget. A re-check of a settled object is the one pass
//! that may wait: the cloud is as it was last seen unless something says otherwise. So when the
//! budget has no call to spare, such a pass makes none and comes back a drift interval later,
//! and the budget goes to objects that are not where they should be.
//!
//! "Something says otherwise" is a change the operator was told about without the object's
//! generation moving: the cloud changed under it (batched observation) or a Secret it reads
//! changed. Those triggers mark the object, and a marked pass never yields.

use std::collections::HashSet;
use std::sync::Mutex;

use crate::api::conditions::{self, Condition};

/// Objects woken by a cloud or Secret change since their last pass, by reconcile key.
#[derive(Default)]
pub struct Woken(Mutex<HashSet<String>>);

impl Woken {
    pub fn mark(&self, key: String) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).insert(key);
    }

    /// Whether `key` was marked, forgetting the mark: one pass answers it.
    pub fn take(&self, key: &str) -> bool {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).remove(key)
    }
}

/// Whether the last pass left the object where its spec says: `Ready` and `Synced` (applied
/// successfully) both true for the current generation. Anything else — a new generation, an
/// error, a wait, a transitional state, a withheld plan — is catching up and never yields.
pub fn settled(conditions: &[Condition], generation: Option<i64>) -> bool {
    let current = |type_: &str| {
        conditions::find(conditions, type_)
            .filter(|c| c.is_true() && c.observed_generation == generation)
    };
    current(conditions::READY).is_some()
        && current(conditions::SYNCED)
            .is_some_and(|c| c.reason == conditions::REASON_RECONCILE_SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn condition(type_: &str, status: bool, reason: &str, generation: i64) -> Condition {
        Condition {
            observed_generation: Some(generation),
            ..Condition::new_typed(type_, status, reason, "m")
        }
    }

    #[test]
    fn only_ready_and_applied_for_the_current_generation_is_settled() {
        let ready = |g| condition(conditions::READY, true, conditions::REASON_AVAILABLE, g);
        let synced = |g| {
            condition(
                conditions::SYNCED,
                true,
                conditions::REASON_RECONCILE_SUCCESS,
                g,
            )
        };
        let cases: Vec<(&str, Vec<Condition>, bool)> = vec![
            ("ready and applied", vec![ready(2), synced(2)], true),
            ("no conditions yet", vec![], false),
            ("ready only", vec![ready(2)], false),
            ("a new generation", vec![ready(1), synced(1)], false),
            (
                "synced for an older generation",
                vec![ready(2), synced(1)],
                false,
            ),
            (
                "not ready (Creating)",
                vec![
                    condition(conditions::READY, false, "Creating", 2),
                    synced(2),
                ],
                false,
            ),
            (
                "the last pass failed",
                vec![
                    ready(2),
                    condition(
                        conditions::SYNCED,
                        false,
                        conditions::REASON_RECONCILE_ERROR,
                        2,
                    ),
                ],
                false,
            ),
            (
                "waiting for its ProviderConfig",
                vec![
                    ready(2),
                    condition(
                        conditions::SYNCED,
                        false,
                        conditions::REASON_WAITING_FOR_PROVIDER,
                        2,
                    ),
                ],
                false,
            ),
            (
                "synced true for another reason (a withheld plan)",
                vec![
                    ready(2),
                    condition(conditions::SYNCED, true, "PlanReady", 2),
                ],
                false,
            ),
        ];
        for (name, conditions, want) in cases {
            assert_eq!(settled(&conditions, Some(2)), want, "{name}");
        }
    }

    #[test]
    fn a_mark_is_answered_by_one_pass() {
        let woken = Woken::default();
        assert!(!woken.take("DBInstance/ns/a"));
        woken.mark("DBInstance/ns/a".into());
        assert!(!woken.take("DBInstance/ns/b"), "marks are per object");
        assert!(woken.take("DBInstance/ns/a"));
        assert!(!woken.take("DBInstance/ns/a"), "taken once");
    }
}
