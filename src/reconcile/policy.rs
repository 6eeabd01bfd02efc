//! Management policies: which verbs the operator may use on a cloud resource, how they combine
//! with `deletionPolicy` and the annotations, and how a withheld plan is reported.

use crate::api::common::{DeletionPolicy, ManagementPolicy, PlannedAction};
use crate::api::conditions::{self, Condition};

use super::{Invalid, Mode};

const FIELD: &str = "spec.managementPolicies";

/// A cloud write the operator may be allowed or not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    Create,
    Update,
}

impl Verb {
    fn policy(self) -> ManagementPolicy {
        match self {
            Verb::Create => ManagementPolicy::Create,
            Verb::Update => ManagementPolicy::Update,
        }
    }
}

/// A checked policy list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policies {
    create: bool,
    update: bool,
    delete: bool,
    late_initialize: bool,
}

impl Default for Policies {
    /// `["*"]`: today's behaviour, everything but late initialization (observed values are
    /// never written into a spec unless asked for).
    fn default() -> Self {
        Policies {
            create: true,
            update: true,
            delete: true,
            late_initialize: false,
        }
    }
}

impl Policies {
    /// Checks a policy list: `["*"]` alone, or distinct verbs that include `Observe`
    /// (`*` may be joined only by `LateInitialize`).
    pub fn parse(list: &[ManagementPolicy]) -> Result<Policies, Invalid> {
        use ManagementPolicy::*;
        let allowed = "allowed: [\"*\"], [\"*\", \"LateInitialize\"], or a list of Observe, Create, Update, Delete, LateInitialize that includes Observe";
        if list.is_empty() {
            return Err(Invalid::new(FIELD, format!("is empty; {allowed}")));
        }
        for (i, p) in list.iter().enumerate() {
            if list[..i].contains(p) {
                return Err(Invalid::new(
                    FIELD,
                    format!("lists {} twice; {allowed}", name(*p)),
                ));
            }
        }
        let has = |p: ManagementPolicy| list.contains(&p);
        if has(All) {
            if let Some(other) = list.iter().find(|p| !matches!(p, All | LateInitialize)) {
                return Err(Invalid::new(
                    FIELD,
                    format!(
                        "combines \"*\" with {}, which \"*\" already includes; {allowed}",
                        name(*other)
                    ),
                ));
            }
            return Ok(Policies {
                late_initialize: has(LateInitialize),
                ..Policies::default()
            });
        }
        if !has(Observe) {
            return Err(Invalid::new(
                FIELD,
                format!(
                    "lacks Observe: the operator cannot create, change or delete what it does not observe; {allowed}"
                ),
            ));
        }
        Ok(Policies {
            create: has(Create),
            update: has(Update),
            delete: has(Delete),
            late_initialize: has(LateInitialize),
        })
    }

    /// The policies of a spec, or the default when the list is invalid (validation reports it;
    /// deletion must still work on an invalid spec, and the default deletes only under
    /// `deletionPolicy: Delete`).
    pub fn of(list: &[ManagementPolicy]) -> Policies {
        Policies::parse(list).unwrap_or_default()
    }

    pub fn allows(self, verb: Verb) -> bool {
        match verb {
            Verb::Create => self.create,
            Verb::Update => self.update,
        }
    }

    pub fn late_initialize(self) -> bool {
        self.late_initialize
    }

    /// The cloud resource is deleted only when `deletionPolicy` is `Delete` *and* the policies
    /// include `Delete` (or `*`); either one can keep it.
    pub fn deletion(self, policy: DeletionPolicy) -> DeletionPolicy {
        if self.delete {
            policy
        } else {
            DeletionPolicy::Orphan
        }
    }
}

fn name(p: ManagementPolicy) -> &'static str {
    match p {
        ManagementPolicy::All => "\"*\"",
        ManagementPolicy::Observe => "Observe",
        ManagementPolicy::Create => "Create",
        ManagementPolicy::Update => "Update",
        ManagementPolicy::Delete => "Delete",
        ManagementPolicy::LateInitialize => "LateInitialize",
    }
}

/// Why a planned write was not made, when it was not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Withheld {
    /// The plan-only annotation: a preview.
    Preview,
    /// The paused annotation.
    Paused,
    /// The policies lack this verb.
    NotAllowed(Verb),
}

/// A plan that was not sent, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WithheldPlan {
    pub why: Withheld,
    pub actions: Vec<PlannedAction>,
}

/// Whether a write of `verb` may be made now, and if not, why.
pub fn gate(mode: Mode, policies: Policies, verb: Verb) -> Result<(), Withheld> {
    match mode {
        Mode::Preview => Err(Withheld::Preview),
        Mode::Paused => Err(Withheld::Paused),
        // A blocked resource plans nothing, so it never asks.
        Mode::Active | Mode::Blocked if policies.allows(verb) => Ok(()),
        Mode::Active | Mode::Blocked => Err(Withheld::NotAllowed(verb)),
    }
}

pub const REASON_PLAN_READY: &str = "PlanReady";
pub const REASON_CREATE_NOT_ALLOWED: &str = "CreateNotAllowed";
pub const REASON_UPDATE_NOT_ALLOWED: &str = "UpdateNotAllowed";

/// The `Synced` condition for a plan that was withheld.
pub fn withheld_condition(why: Withheld, plan: &[PlannedAction]) -> Condition {
    let summary = summary(plan);
    match why {
        Withheld::Preview => Condition::not_synced(
            REASON_PLAN_READY,
            format!(
                "plan only: {summary}; nothing was sent. Remove the annotation {} to apply exactly this plan (kubectl get <kind> <name> -o jsonpath='{{.status.plannedActions}}')",
                crate::api::common::PLAN_ONLY_ANNOTATION
            ),
        ),
        Withheld::Paused => Condition::not_synced(
            conditions::REASON_RECONCILE_PAUSED,
            format!(
                "annotation {} is \"true\": no cloud writes; {summary} once resumed",
                crate::api::common::PAUSED_ANNOTATION
            ),
        ),
        Withheld::NotAllowed(Verb::Create) => Condition::not_synced(
            REASON_CREATE_NOT_ALLOWED,
            format!(
                "the cloud resource does not exist and {FIELD} does not include Create: add Create (or \"*\"), or point the spec at an existing resource"
            ),
        ),
        Withheld::NotAllowed(verb) => Condition::not_synced(
            REASON_UPDATE_NOT_ALLOWED,
            format!(
                "the cloud differs from the spec and {FIELD} does not include {}: {summary}, not sent",
                name(verb.policy())
            ),
        ),
    }
}

/// `2 calls planned: ModifyDBInstanceSpec (instanceClass a → b), TagResources (tags.team → x)`.
pub fn summary(plan: &[PlannedAction]) -> String {
    let calls: Vec<String> = plan
        .iter()
        .map(|a| {
            let changes: Vec<String> = a
                .changes
                .iter()
                .map(|c| match (&c.from, &c.to) {
                    (Some(from), Some(to)) => format!("{} {from} → {to}", c.field),
                    (None, Some(to)) => format!("{} → {to}", c.field),
                    (Some(from), None) => format!("{} {from} → (removed)", c.field),
                    (None, None) => c.field.clone(),
                })
                .collect();
            if changes.is_empty() {
                a.action.clone()
            } else {
                format!("{} ({})", a.action, changes.join(", "))
            }
        })
        .collect();
    let n = plan.len();
    format!(
        "{n} call{} planned: {}",
        if n == 1 { "" } else { "s" },
        calls.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use ManagementPolicy::*;

    #[test]
    fn policy_lists_parse_or_name_what_is_wrong() {
        let all = Policies::default();
        let cases: [(&[ManagementPolicy], Result<Policies, &str>); 10] = [
            (&[All], Ok(all)),
            (
                &[All, LateInitialize],
                Ok(Policies {
                    late_initialize: true,
                    ..all
                }),
            ),
            (
                &[Observe],
                Ok(Policies {
                    create: false,
                    update: false,
                    delete: false,
                    late_initialize: false,
                }),
            ),
            (
                &[Observe, Create, Update],
                Ok(Policies {
                    create: true,
                    update: true,
                    delete: false,
                    late_initialize: false,
                }),
            ),
            (
                &[Update, Observe, Delete, LateInitialize],
                Ok(Policies {
                    create: false,
                    update: true,
                    delete: true,
                    late_initialize: true,
                }),
            ),
            (&[], Err("is empty")),
            (&[Create, Update], Err("lacks Observe")),
            (&[All, Delete], Err("combines \"*\" with Delete")),
            (&[Observe, Observe], Err("lists Observe twice")),
            (&[All, All], Err("lists \"*\" twice")),
        ];
        for (list, expected) in cases {
            match (Policies::parse(list), expected) {
                (Ok(got), Ok(want)) => assert_eq!(got, want, "{list:?}"),
                (Err(got), Err(want)) => {
                    assert_eq!(got.field, FIELD, "{list:?}");
                    assert!(got.message.contains(want), "{list:?}: {}", got.message);
                    assert!(
                        got.message.contains("allowed:"),
                        "{list:?}: {}",
                        got.message
                    );
                }
                (got, want) => panic!("{list:?}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn the_cloud_resource_is_deleted_only_when_both_policies_allow_it() {
        let cases = [
            (&[All][..], DeletionPolicy::Delete, DeletionPolicy::Delete),
            (&[All][..], DeletionPolicy::Orphan, DeletionPolicy::Orphan),
            (
                &[Observe, Delete][..],
                DeletionPolicy::Delete,
                DeletionPolicy::Delete,
            ),
            (
                &[Observe, Create, Update][..],
                DeletionPolicy::Delete,
                DeletionPolicy::Orphan,
            ),
            (
                &[Observe][..],
                DeletionPolicy::Delete,
                DeletionPolicy::Orphan,
            ),
            (
                &[Observe, Delete][..],
                DeletionPolicy::Orphan,
                DeletionPolicy::Orphan,
            ),
            // An invalid list falls back to the default: deletionPolicy alone decides.
            (
                &[Create][..],
                DeletionPolicy::Delete,
                DeletionPolicy::Delete,
            ),
        ];
        for (list, policy, expected) in cases {
            assert_eq!(
                Policies::of(list).deletion(policy),
                expected,
                "{list:?} {policy:?}"
            );
        }
    }

    #[test]
    fn writes_pass_the_gate_only_when_active_and_allowed() {
        let observe_only = Policies::of(&[Observe]);
        let create_only = Policies::of(&[Observe, Create]);
        let cases = [
            (Mode::Active, Policies::default(), Verb::Update, Ok(())),
            (Mode::Active, Policies::default(), Verb::Create, Ok(())),
            (
                Mode::Preview,
                Policies::default(),
                Verb::Update,
                Err(Withheld::Preview),
            ),
            (
                Mode::Paused,
                Policies::default(),
                Verb::Create,
                Err(Withheld::Paused),
            ),
            (
                Mode::Active,
                observe_only,
                Verb::Create,
                Err(Withheld::NotAllowed(Verb::Create)),
            ),
            (
                Mode::Active,
                create_only,
                Verb::Update,
                Err(Withheld::NotAllowed(Verb::Update)),
            ),
            (Mode::Active, create_only, Verb::Create, Ok(())),
            (
                Mode::Preview,
                observe_only,
                Verb::Update,
                Err(Withheld::Preview),
            ),
        ];
        for (mode, policies, verb, expected) in cases {
            assert_eq!(
                gate(mode, policies, verb),
                expected,
                "{mode:?} {policies:?} {verb:?}"
            );
        }
    }

    fn action(name: &str, changes: &[(&str, Option<&str>, Option<&str>)]) -> PlannedAction {
        PlannedAction {
            action: name.to_owned(),
            changes: changes
                .iter()
                .map(|(f, from, to)| crate::api::common::PlannedChange {
                    field: (*f).to_owned(),
                    from: from.map(str::to_owned),
                    to: to.map(str::to_owned),
                })
                .collect(),
        }
    }

    #[test]
    fn withheld_plans_are_summarised_in_the_synced_condition() {
        let plan = [
            action(
                "ModifyDBInstanceSpec",
                &[(
                    "instanceClass",
                    Some("dds.mongo.mid"),
                    Some("dds.mongo.standard"),
                )],
            ),
            action("TagResources", &[("tags.team", None, Some("db"))]),
        ];
        let cases = [
            (
                Withheld::Preview,
                "PlanReady",
                "plan only: 2 calls planned: ModifyDBInstanceSpec (instanceClass dds.mongo.mid → dds.mongo.standard), TagResources (tags.team → db); nothing was sent. Remove the annotation mongocloud.dev/plan-only",
            ),
            (
                Withheld::Paused,
                "ReconcilePaused",
                "annotation mongocloud.dev/paused is \"true\": no cloud writes; 2 calls planned",
            ),
            (
                Withheld::NotAllowed(Verb::Update),
                "UpdateNotAllowed",
                "does not include Update: 2 calls planned",
            ),
            (
                Withheld::NotAllowed(Verb::Create),
                "CreateNotAllowed",
                "does not exist and spec.managementPolicies does not include Create",
            ),
        ];
        for (why, reason, message) in cases {
            let c = withheld_condition(why, &plan);
            assert_eq!((c.status.as_str(), c.reason.as_str()), ("False", reason));
            assert!(c.message.contains(message), "{why:?}: {}", c.message);
        }
        assert_eq!(
            summary(&[
                action("DeleteBackup", &[]),
                action("X", &[("f", Some("a"), None)])
            ]),
            "2 calls planned: DeleteBackup, X (f a → (removed))"
        );
    }
}
