//! Shards: several operator Deployments, each owning a disjoint set of objects. An object
//! belongs to the shard named by its `mongocloud.dev/shard` label; each shard's watches carry
//! that label as a server-side selector (so it caches only its own objects) and it elects its
//! leader on a Lease of its own. Kubernetes does all the coordination: no shard talks to another.
//! Pure: what a shard watches, which Lease it takes, how it names itself and its instances.

use std::collections::BTreeMap;

/// The label naming an object's shard.
pub const SHARD_LABEL: &str = "mongocloud.dev/shard";

/// The cloud tag on instances a shard creates, so its observer lists only those.
pub const SHARD_TAG: &str = "mongocloud-shard";

/// The base of Lease and field manager names.
const BASE: &str = "mongocloud-operator";

/// Longest shard name: it must fit a label value (63), and `mongocloud-operator-` before it a
/// Lease name read as a DNS label.
const MAX_NAME: usize = 63 - BASE.len() - 1;

/// Which objects this operator process owns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Shard {
    /// Every object, labelled or not: one operator for the whole cluster (no shards).
    #[default]
    All,
    /// Only objects without the shard label: the operator beside shards that keeps the rest.
    Unlabelled,
    /// Only objects labelled with this name.
    Named(String),
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    #[error(
        "--shard {0:?}: a shard name is 1-{MAX_NAME} lower-case letters, digits and '-', starting and ending with a letter or digit"
    )]
    InvalidName(String),
    #[error("--shard and --unsharded-only exclude each other: a process owns one set of objects")]
    Both,
}

impl Shard {
    /// The shard of `--shard NAME` / `--unsharded-only`.
    pub fn from_args(name: Option<&str>, unsharded_only: bool) -> Result<Shard, ShardError> {
        match (name, unsharded_only) {
            (Some(_), true) => Err(ShardError::Both),
            (None, true) => Ok(Shard::Unlabelled),
            (None, false) => Ok(Shard::All),
            (Some(name), false) if is_shard_name(name) => Ok(Shard::Named(name.to_owned())),
            (Some(name), false) => Err(ShardError::InvalidName(name.to_owned())),
        }
    }

    /// The label selector of every namespaced watch; `None` watches everything.
    pub fn label_selector(&self) -> Option<String> {
        match self {
            Shard::All => None,
            Shard::Unlabelled => Some(format!("!{SHARD_LABEL}")),
            Shard::Named(name) => Some(format!("{SHARD_LABEL}={name}")),
        }
    }

    /// Whether an object with these labels is this shard's (what its selector lets through).
    pub fn owns(&self, labels: &BTreeMap<String, String>) -> bool {
        match self {
            Shard::All => true,
            Shard::Unlabelled => !labels.contains_key(SHARD_LABEL),
            Shard::Named(name) => labels.get(SHARD_LABEL) == Some(name),
        }
    }

    /// Why a reference from one of this shard's objects to `kind name` (with `labels`) is not
    /// followed, or `None` when that object is this shard's too.
    pub fn mismatch(
        &self,
        kind: &str,
        name: &str,
        labels: &BTreeMap<String, String>,
    ) -> Option<String> {
        if self.owns(labels) {
            return None;
        }
        let theirs = match labels.get(SHARD_LABEL) {
            Some(shard) => format!("is in shard {shard:?} ({SHARD_LABEL}={shard})"),
            None => format!("has no {SHARD_LABEL} label"),
        };
        let ours = match self {
            Shard::Named(shard) => format!("this object is in shard {shard:?}"),
            _ => format!("this object has no {SHARD_LABEL} label"),
        };
        Some(format!(
            "{kind} {name} {theirs} but {ours}: a shard reads only its own objects; give both the same {SHARD_LABEL} label"
        ))
    }

    /// The leader-election Lease: one per shard, so each elects its leader among its replicas.
    pub fn lease_name(&self) -> String {
        match self {
            Shard::Named(name) => format!("{BASE}-{name}"),
            _ => BASE.to_owned(),
        }
    }

    /// The field manager of every write, so the objects' managed fields show which shard wrote
    /// them.
    pub fn field_manager(&self) -> String {
        match self {
            Shard::Named(name) => format!("{BASE}/{name}"),
            _ => BASE.to_owned(),
        }
    }

    /// The tag this shard puts on instances it creates and filters its listings by; `None`
    /// lists the whole account.
    pub fn cloud_tag(&self) -> Option<(String, String)> {
        match self {
            Shard::Named(name) => Some((SHARD_TAG.to_owned(), name.clone())),
            _ => None,
        }
    }
}

/// A DNS-1123 label short enough for the Lease name.
fn is_shard_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    let edge = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    !bytes.is_empty()
        && bytes.len() <= MAX_NAME
        && bytes.first().is_some_and(edge)
        && bytes.last().is_some_and(edge)
        && bytes.iter().all(|b| edge(b) || *b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn flags_choose_the_shard() {
        let named = |n: &str| Ok(Shard::Named(n.to_owned()));
        let invalid = |n: &str| Err(ShardError::InvalidName(n.to_owned()));
        let long = "a".repeat(MAX_NAME + 1);
        let longest = "a".repeat(MAX_NAME);
        type Case<'a> = (&'a str, Option<&'a str>, bool, Result<Shard, ShardError>);
        let cases: [Case; 11] = [
            ("no flag: every object", None, false, Ok(Shard::All)),
            ("unsharded only", None, true, Ok(Shard::Unlabelled)),
            ("a plain name", Some("a"), false, named("a")),
            ("digits and dashes", Some("eu-1"), false, named("eu-1")),
            ("longest name", Some(&longest), false, named(&longest)),
            ("too long for the Lease", Some(&long), false, invalid(&long)),
            ("empty", Some(""), false, invalid("")),
            ("upper case", Some("A"), false, invalid("A")),
            ("leading dash", Some("-a"), false, invalid("-a")),
            ("a dot", Some("a.b"), false, invalid("a.b")),
            ("both flags", Some("a"), true, Err(ShardError::Both)),
        ];
        for (case, name, unsharded, expected) in cases {
            assert_eq!(Shard::from_args(name, unsharded), expected, "case: {case}");
        }
    }

    #[test]
    fn each_object_belongs_to_exactly_one_shard_of_a_sharded_install() {
        let shards = [
            Shard::Unlabelled,
            Shard::Named("a".into()),
            Shard::Named("b".into()),
        ];
        let objects = [
            ("no labels", labels(&[]), 0),
            ("other labels only", labels(&[("team", "orders")]), 0),
            ("shard a", labels(&[(SHARD_LABEL, "a"), ("team", "x")]), 1),
            ("shard b", labels(&[(SHARD_LABEL, "b")]), 2),
        ];
        for (case, labels, owner) in objects {
            let owners: Vec<usize> = (0..shards.len())
                .filter(|i| shards[*i].owns(&labels))
                .collect();
            assert_eq!(owners, vec![owner], "case: {case}");
            assert!(Shard::All.owns(&labels), "case: {case}: no shards own all");
        }
        let orphan = labels(&[(SHARD_LABEL, "c")]);
        assert!(
            shards.iter().all(|s| !s.owns(&orphan)),
            "a label naming no running shard is nobody's"
        );
    }

    #[test]
    fn selectors_leases_managers_and_tags_name_the_shard() {
        let cases = [
            (Shard::All, None, BASE, BASE, None),
            (
                Shard::Unlabelled,
                Some("!mongocloud.dev/shard"),
                BASE,
                BASE,
                None,
            ),
            (
                Shard::Named("eu-1".into()),
                Some("mongocloud.dev/shard=eu-1"),
                "mongocloud-operator-eu-1",
                "mongocloud-operator/eu-1",
                Some(("mongocloud-shard", "eu-1")),
            ),
        ];
        for (shard, selector, lease, manager, tag) in cases {
            assert_eq!(shard.label_selector().as_deref(), selector, "{shard:?}");
            assert_eq!(shard.lease_name(), lease, "{shard:?}");
            assert_eq!(shard.field_manager(), manager, "{shard:?}");
            let tag = tag.map(|(k, v)| (k.to_owned(), v.to_owned()));
            assert_eq!(shard.cloud_tag(), tag, "{shard:?}");
        }
    }

    #[test]
    fn a_reference_across_shards_names_both_labels() {
        let a = Shard::Named("a".into());
        assert_eq!(
            a.mismatch("DBInstance", "orders", &labels(&[(SHARD_LABEL, "a")])),
            None
        );
        let other = a
            .mismatch("DBInstance", "orders", &labels(&[(SHARD_LABEL, "b")]))
            .expect("b is not a's");
        assert!(
            other.starts_with("DBInstance orders is in shard \"b\" (mongocloud.dev/shard=b) but this object is in shard \"a\""),
            "{other}"
        );
        let unlabelled = a
            .mismatch("DBInstance", "orders", &labels(&[]))
            .expect("unlabelled is not a's");
        assert!(
            unlabelled.contains("has no mongocloud.dev/shard label"),
            "{unlabelled}"
        );
        let from_rest = Shard::Unlabelled
            .mismatch("DBInstance", "orders", &labels(&[(SHARD_LABEL, "a")]))
            .expect("a is not the rest's");
        assert!(
            from_rest.contains("this object has no mongocloud.dev/shard label"),
            "{from_rest}"
        );
        assert_eq!(
            Shard::All.mismatch("DBInstance", "orders", &labels(&[(SHARD_LABEL, "a")])),
            None
        );
    }
}
