//! Which namespaces may spend a ProviderConfig's account. A ProviderConfig is cluster-scoped, so
//! without `spec.allowedNamespaces` any namespace that can create a DBInstance can use it; with
//! it, the decision below is made before any cloud call.

use std::collections::BTreeMap;

use kube::core::{Selector, SelectorExt};

use crate::api::providerconfig::AllowedNamespaces;

/// Condition reason for a resource whose namespace may not use its ProviderConfig.
pub const REASON_NOT_ALLOWED: &str = "ProviderConfigNotAllowed";

/// Whether a resource in `namespace` (with `labels`, when known) may use ProviderConfig `pc`.
/// `Err` carries the message for the resource's `Synced` condition: it names the
/// ProviderConfig, the namespace and how to allow it. Unknown labels and an unusable selector
/// refuse (fail closed): the selector was meant to keep namespaces out.
pub fn check(
    pc: &str,
    allowed: Option<&AllowedNamespaces>,
    namespace: &str,
    labels: Option<&BTreeMap<String, String>>,
) -> Result<(), String> {
    let Some(allowed) = allowed else {
        return Ok(());
    };
    if allowed.names.iter().any(|n| n == namespace) {
        return Ok(());
    }
    let selector = match allowed.namespace_selector.clone().map(Selector::try_from) {
        None => None,
        Some(Ok(selector)) => Some(selector),
        Some(Err(e)) => {
            return Err(format!(
                "ProviderConfig {pc} has an unusable spec.allowedNamespaces.namespaceSelector ({e}); no namespace outside spec.allowedNamespaces.names may use it until it is fixed"
            ));
        }
    };
    if let Some(selector) = &selector {
        match labels {
            Some(labels) if selector.matches(labels) => return Ok(()),
            Some(_) => {}
            None => {
                return Err(format!(
                    "ProviderConfig {pc} allows namespaces by label and the labels of namespace {namespace} are not known yet"
                ));
            }
        }
    }
    let by_name =
        (!allowed.names.is_empty()).then(|| format!("named {}", allowed.names.join(", ")));
    let by_label = selector.map(|s| format!("labelled {s}"));
    let allowed_text = match (by_name, by_label) {
        (Some(n), Some(l)) => format!("namespaces {n} or {l}"),
        (Some(n), None) => format!("namespaces {n}"),
        (None, Some(l)) => format!("namespaces {l}"),
        (None, None) => "no namespace".to_owned(),
    };
    Err(format!(
        "ProviderConfig {pc} may not be used from namespace {namespace}: its spec.allowedNamespaces allows {allowed_text}; ask its owner to allow {namespace}, or use another ProviderConfig"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement};

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn names(list: &[&str]) -> AllowedNamespaces {
        AllowedNamespaces {
            names: list.iter().map(|s| s.to_string()).collect(),
            namespace_selector: None,
        }
    }

    fn selector(
        match_labels: &[(&str, &str)],
        expressions: &[(&str, &str, &[&str])],
    ) -> AllowedNamespaces {
        AllowedNamespaces {
            names: vec![],
            namespace_selector: Some(LabelSelector {
                match_labels: (!match_labels.is_empty()).then(|| labels(match_labels)),
                match_expressions: (!expressions.is_empty()).then(|| {
                    expressions
                        .iter()
                        .map(|(key, operator, values)| LabelSelectorRequirement {
                            key: key.to_string(),
                            operator: operator.to_string(),
                            values: (!values.is_empty())
                                .then(|| values.iter().map(|v| v.to_string()).collect()),
                        })
                        .collect()
                }),
            }),
        }
    }

    /// (case, policy, namespace, labels, allowed, texts a refusal must contain)
    type Case<'a> = (
        &'a str,
        Option<AllowedNamespaces>,
        &'a str,
        Option<&'a BTreeMap<String, String>>,
        bool,
        &'a [&'a str],
    );

    /// Every way a namespace is let in or kept out, and that a refusal names the ProviderConfig,
    /// the namespace and what is allowed.
    #[test]
    fn namespaces_are_allowed_by_name_or_label_and_refused_otherwise() {
        let team = labels(&[("mongocloud.dev/tenant", "payments"), ("env", "prod")]);
        let other = labels(&[("mongocloud.dev/tenant", "search")]);
        let both = AllowedNamespaces {
            names: vec!["ops".into()],
            ..selector(&[("mongocloud.dev/tenant", "payments")], &[])
        };
        let cases: Vec<Case> = vec![
            ("absent: every namespace", None, "anything", None, true, &[]),
            (
                "listed by name",
                Some(names(&["team-a", "team-b"])),
                "team-b",
                None,
                true,
                &[],
            ),
            (
                "not listed",
                Some(names(&["team-a"])),
                "team-c",
                Some(&team),
                false,
                &["ProviderConfig default", "namespace team-c", "named team-a"],
            ),
            (
                "empty policy allows none",
                Some(AllowedNamespaces::default()),
                "team-a",
                Some(&team),
                false,
                &["allows no namespace"],
            ),
            (
                "matchLabels matches",
                Some(selector(&[("mongocloud.dev/tenant", "payments")], &[])),
                "pay",
                Some(&team),
                true,
                &[],
            ),
            (
                "matchLabels does not match",
                Some(selector(&[("mongocloud.dev/tenant", "payments")], &[])),
                "search",
                Some(&other),
                false,
                &[
                    "namespace search",
                    "labelled mongocloud.dev/tenant=payments",
                ],
            ),
            (
                "In matches",
                Some(selector(&[], &[("env", "In", &["prod", "staging"])])),
                "pay",
                Some(&team),
                true,
                &[],
            ),
            (
                "NotIn refuses",
                Some(selector(&[], &[("env", "NotIn", &["prod"])])),
                "pay",
                Some(&team),
                false,
                &["namespace pay"],
            ),
            (
                "Exists matches",
                Some(selector(&[], &[("env", "Exists", &[])])),
                "pay",
                Some(&team),
                true,
                &[],
            ),
            (
                "DoesNotExist refuses",
                Some(selector(&[], &[("env", "DoesNotExist", &[])])),
                "pay",
                Some(&team),
                false,
                &["namespace pay"],
            ),
            (
                "labels and expressions both needed",
                Some(selector(
                    &[("mongocloud.dev/tenant", "payments")],
                    &[("env", "In", &["staging"])],
                )),
                "pay",
                Some(&team),
                false,
                &["namespace pay"],
            ),
            (
                "name or label: by name",
                Some(both.clone()),
                "ops",
                None,
                true,
                &[],
            ),
            (
                "name or label: by label",
                Some(both.clone()),
                "pay",
                Some(&team),
                true,
                &[],
            ),
            (
                "name or label: neither",
                Some(both.clone()),
                "search",
                Some(&other),
                false,
                &["named ops or labelled"],
            ),
            (
                "labels not known yet",
                Some(both),
                "new",
                None,
                false,
                &["labels of namespace new are not known yet"],
            ),
            (
                "unusable operator",
                Some(selector(&[], &[("env", "Near", &["prod"])])),
                "pay",
                Some(&team),
                false,
                &["unusable spec.allowedNamespaces.namespaceSelector"],
            ),
            (
                "empty selector matches all",
                Some(selector(&[], &[])),
                "any",
                Some(&other),
                true,
                &[],
            ),
        ];
        for (case, policy, namespace, labels, allowed, texts) in cases {
            let got = check("default", policy.as_ref(), namespace, labels);
            assert_eq!(got.is_ok(), allowed, "{case}: {got:?}");
            if let Err(message) = got {
                for text in texts {
                    assert!(message.contains(text), "{case}: {message:?} lacks {text:?}");
                }
            }
        }
    }
}
