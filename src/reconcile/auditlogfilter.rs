//! AuditLogFilter rules: audit on/off and retention first, then the filter, compared as sets.

use std::collections::BTreeSet;

use super::{Invalid, Mode};
use crate::api::auditlogfilter::AuditLogFilterSpec;
use crate::cloud::{AuditChange, AuditSettings, Cloud, Instance};

/// What the cloud sets on a new instance; restored when the resource is deleted.
pub const DEFAULT_FILTER: [&str; 2] = ["admin", "slow"];

/// Audit logs need a three-node replica set (the cloud refuses others).
const AUDIT_NODES: i32 = 3;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredAudit {
    pub filter: Vec<String>,
    pub enabled: bool,
    pub storage_period_days: Option<i32>,
    /// An Atlas filter document and `auditAuthorizationSuccess`, instead of `filter`.
    pub raw: Option<(String, bool)>,
}

pub fn validate(spec: &AuditLogFilterSpec) -> Result<DesiredAudit, Invalid> {
    let p = &spec.for_provider;
    super::instance_target(&p.instance)?;
    let set: BTreeSet<&str> = p.filter.iter().map(|c| c.as_str()).collect();
    let raw = match &p.atlas {
        Some(atlas) => match serde_json::from_str::<serde_json::Value>(&atlas.audit_filter) {
            Ok(serde_json::Value::Object(_)) => Some((
                atlas.audit_filter.clone(),
                atlas.audit_authorization_success,
            )),
            _ => {
                return Err(Invalid::new(
                    "spec.forProvider.atlas.auditFilter",
                    "must be a JSON document (an object), e.g. {\"atype\": \"authenticate\"}",
                ));
            }
        },
        None => None,
    };
    match (raw.is_some(), set.is_empty()) {
        (true, false) => {
            return Err(Invalid::new(
                "spec.forProvider.filter",
                "and atlas.auditFilter are alternatives; give one",
            ));
        }
        (false, true) => {
            return Err(Invalid::new(
                "spec.forProvider.filter",
                "needs at least one category: admin, slow, query, insert, update, delete, command",
            ));
        }
        _ => {}
    }
    if set.len() != p.filter.len() {
        return Err(Invalid::new(
            "spec.forProvider.filter",
            "lists a category twice",
        ));
    }
    if let Some(days) = p.storage_period_days
        && !(1..=365).contains(&days)
    {
        return Err(Invalid::new(
            "spec.forProvider.storagePeriodDays",
            format!("must be 1-365 (is {days})"),
        ));
    }
    Ok(DesiredAudit {
        filter: set.into_iter().map(str::to_owned).collect(),
        enabled: p.audit_enabled,
        storage_period_days: p.storage_period_days,
        raw,
    })
}

/// Why the instance cannot take audit settings yet, if it cannot. The three-node rule is
/// ApsaraDB's; Atlas audits every dedicated cluster.
pub fn precondition(instance: &Instance, cloud: Cloud) -> Option<String> {
    if instance.status != super::dbinstance::RUNNING {
        return Some(format!(
            "instance {} is {}; audit settings are applied once it is Running",
            instance.id, instance.status
        ));
    }
    match instance.replication_factor {
        Some(n) if n != AUDIT_NODES && cloud == Cloud::Aliyun => Some(format!(
            "instance {} has {n} nodes; the cloud supports audit logs only on {AUDIT_NODES}-node replica sets",
            instance.id
        )),
        _ => None,
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Steady,
    Change(AuditChange),
}

pub fn plan(want: &DesiredAudit, seen: &AuditSettings, mode: Mode) -> Step {
    if !mode.plans_writes() {
        return Step::Steady;
    }
    let period_differs = want.enabled
        && want.storage_period_days.is_some()
        && want.storage_period_days != seen.storage_period_days;
    if want.enabled != seen.enabled || period_differs {
        return Step::Change(AuditChange::Policy {
            enabled: want.enabled,
            storage_period_days: want.storage_period_days,
        });
    }
    if let Some((filter, authorization_success)) = &want.raw {
        let same = seen
            .raw_filter
            .as_deref()
            .is_some_and(|have| crate::cloud::atlas::audit::same_filter(have, filter))
            && seen.authorization_success == Some(*authorization_success);
        return if same {
            Step::Steady
        } else {
            Step::Change(AuditChange::Raw {
                filter: filter.clone(),
                authorization_success: *authorization_success,
            })
        };
    }
    if sorted(&seen.filter) != want.filter {
        return Step::Change(AuditChange::Filter(want.filter.clone()));
    }
    Step::Steady
}

/// The cloud's filter as a sorted set.
pub fn sorted(filter: &[String]) -> Vec<String> {
    let set: BTreeSet<String> = filter
        .iter()
        .map(|c| c.trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty())
        .collect();
    set.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn want(filter: &[&str], enabled: bool) -> DesiredAudit {
        DesiredAudit {
            filter: sorted(&filter.iter().map(|s| s.to_string()).collect::<Vec<_>>()),
            enabled,
            storage_period_days: None,
            raw: None,
        }
    }

    fn seen(filter: &[&str], enabled: bool) -> AuditSettings {
        AuditSettings {
            enabled,
            filter: filter.iter().map(|s| s.to_string()).collect(),
            storage_period_days: None,
            ..AuditSettings::default()
        }
    }

    #[test]
    fn plan_rules() {
        let policy = |enabled| {
            Step::Change(AuditChange::Policy {
                enabled,
                storage_period_days: None,
            })
        };
        let cases = [
            (
                "same set in another order writes nothing",
                want(&["admin", "slow"], true),
                seen(&["slow", "admin"], true),
                Mode::Active,
                Step::Steady,
            ),
            (
                "audit is switched on first",
                want(&["admin", "delete"], true),
                seen(&["admin"], false),
                Mode::Active,
                policy(true),
            ),
            (
                "audit is switched off",
                want(&["admin"], false),
                seen(&["admin"], true),
                Mode::Active,
                policy(false),
            ),
            (
                "filter follows",
                want(&["admin", "delete"], true),
                seen(&["admin"], true),
                Mode::Active,
                Step::Change(AuditChange::Filter(vec!["admin".into(), "delete".into()])),
            ),
            (
                "blocked writes nothing",
                want(&["delete"], true),
                seen(&["admin"], false),
                Mode::Blocked,
                Step::Steady,
            ),
        ];
        for (name, want, seen, mode, expected) in cases {
            assert_eq!(plan(&want, &seen, mode), expected, "case {name}");
        }
        let mut with_period = want(&["admin"], true);
        with_period.storage_period_days = Some(30);
        assert_eq!(
            plan(&with_period, &seen(&["admin"], true), Mode::Active),
            Step::Change(AuditChange::Policy {
                enabled: true,
                storage_period_days: Some(30)
            })
        );
    }

    #[test]
    fn preconditions_need_a_running_three_node_set() {
        let running = Instance {
            id: "dds-a".into(),
            status: "Running".into(),
            replication_factor: Some(3),
            ..Instance::default()
        };
        assert_eq!(precondition(&running, Cloud::Aliyun), None);
        assert!(
            precondition(
                &Instance {
                    status: "Creating".into(),
                    ..running.clone()
                },
                Cloud::Atlas
            )
            .is_some_and(|m| m.contains("Creating"))
        );
        let five = Instance {
            replication_factor: Some(5),
            ..running
        };
        assert!(precondition(&five, Cloud::Aliyun).is_some_and(|m| m.contains("5 nodes")));
        assert_eq!(
            precondition(&five, Cloud::Atlas),
            None,
            "Atlas audits any size"
        );
    }

    #[test]
    fn categories_or_a_filter_document_one_of_them() {
        let spec = |fp: serde_json::Value| -> AuditLogFilterSpec {
            let mut fp = fp;
            fp["dbInstanceRef"] = serde_json::json!({"name": "db"});
            serde_json::from_value(serde_json::json!({"forProvider": fp})).expect("spec")
        };
        let field = |fp| validate(&spec(fp)).expect_err("refused").field;
        assert_eq!(field(serde_json::json!({})), "spec.forProvider.filter");
        assert_eq!(
            field(serde_json::json!({"filter": []})),
            "spec.forProvider.filter"
        );
        assert_eq!(
            field(serde_json::json!({"filter": ["admin"], "atlas": {"auditFilter": "{}"}})),
            "spec.forProvider.filter"
        );
        assert_eq!(
            field(serde_json::json!({"atlas": {"auditFilter": "[1]"}})),
            "spec.forProvider.atlas.auditFilter"
        );
        assert_eq!(
            field(serde_json::json!({"atlas": {"auditFilter": "{not json"}})),
            "spec.forProvider.atlas.auditFilter"
        );
        let raw = validate(&spec(serde_json::json!({"atlas": {"auditFilter": "{\"atype\": \"authenticate\"}", "auditAuthorizationSuccess": true}})))
            .expect("valid");
        assert_eq!(
            raw.raw,
            Some(("{\"atype\": \"authenticate\"}".into(), true))
        );
        assert!(raw.filter.is_empty());
    }

    #[test]
    fn an_atlas_filter_document_is_compared_as_json() {
        let want = DesiredAudit {
            filter: Vec::new(),
            enabled: true,
            storage_period_days: None,
            raw: Some((r#"{"atype": "authenticate"}"#.into(), false)),
        };
        let seen = |filter: &str, success| AuditSettings {
            enabled: true,
            raw_filter: Some(filter.into()),
            authorization_success: Some(success),
            ..AuditSettings::default()
        };
        assert_eq!(
            plan(
                &want,
                &seen("{\n \"atype\":\"authenticate\"}", false),
                Mode::Active
            ),
            Step::Steady
        );
        let write = Step::Change(AuditChange::Raw {
            filter: r#"{"atype": "authenticate"}"#.into(),
            authorization_success: false,
        });
        assert_eq!(
            plan(&want, &seen(r#"{"atype": "logout"}"#, false), Mode::Active),
            write
        );
        assert_eq!(
            plan(
                &want,
                &seen(r#"{"atype": "authenticate"}"#, true),
                Mode::Active
            ),
            write
        );
        assert_eq!(
            plan(
                &want,
                &AuditSettings {
                    enabled: true,
                    ..AuditSettings::default()
                },
                Mode::Active
            ),
            write
        );
    }
}
