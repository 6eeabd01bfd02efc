//! SecurityIpList rules: one named group, normalised sets, expiry, the instance-wide limit.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use chrono::{DateTime, SecondsFormat, Utc};
use ipnet::IpNet;

use super::{Invalid, Mode};
use crate::api::securityiplist::{MAX_ENTRIES, SecurityIpListSpec};
use crate::cloud::{Cloud, SecurityIpGroup};

const FP: &str = "spec.forProvider";

/// Groups this operator must never write: the console's group and the cloud's hidden ones.
const FOREIGN_GROUPS: [&str; 1] = ["default"];

/// A validated list: the group to own and every entry, normalised.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredList {
    pub group: String,
    pub attribute: Option<String>,
    pub entries: Vec<Entry>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Canonical text: a plain address for a single host, else `network/prefix`.
    pub ip: String,
    pub expires_at: Option<DateTime<Utc>>,
}

/// The canonical form of an address or block: `10.0.0.1/32` and `10.0.0.1` are the same
/// entry, host bits of a block are cleared, IPv6 is compressed and lower-case.
pub fn normalize(text: &str) -> Option<String> {
    let text = text.trim();
    if let Ok(ip) = text.parse::<IpAddr>() {
        return Some(ip.to_string());
    }
    let net: IpNet = text.parse().ok()?;
    let net = net.trunc();
    if net.prefix_len() == net.max_prefix_len() {
        Some(net.addr().to_string())
    } else {
        Some(net.to_string())
    }
}

/// The group name for a resource that names none: its own name in the cloud's alphabet.
pub fn default_group_name(resource_name: &str) -> String {
    let mut name: String = resource_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        name.insert_str(0, "k8s_");
    }
    name.truncate(120);
    while name.ends_with('_') {
        name.pop();
    }
    if name.len() < 2 {
        name.push_str("_list");
    }
    name
}

/// The group a resource owns. Atlas' access list belongs to the whole project, where two
/// resources may share a name: there the group is the resource's UID, kept in each entry's
/// comment — or the comment `atlas.comment` names, taken over verbatim.
pub fn owned_group(
    spec: &SecurityIpListSpec,
    resource_name: &str,
    uid: &str,
    cloud: Cloud,
) -> String {
    match (cloud, &spec.for_provider.atlas) {
        (Cloud::Atlas, Some(atlas)) => {
            crate::cloud::atlas::access_list::verbatim_group(&atlas.comment)
        }
        (Cloud::Atlas, None) => uid.to_owned(),
        (Cloud::Aliyun, _) => spec
            .for_provider
            .group_name
            .clone()
            .unwrap_or_else(|| default_group_name(resource_name)),
    }
}

/// Parses and checks the spec; costs no cloud call.
pub fn validate(spec: &SecurityIpListSpec, resource_name: &str) -> Result<DesiredList, Invalid> {
    let p = &spec.for_provider;
    let group = p
        .group_name
        .clone()
        .unwrap_or_else(|| default_group_name(resource_name));
    if FOREIGN_GROUPS.contains(&group.as_str()) {
        return Err(Invalid::new(
            format!("{FP}.groupName"),
            format!(
                "must not be {group:?}: that group belongs to the console and is never written; choose another name"
            ),
        ));
    }
    super::instance_target(&p.instance)?;
    if p.entries.len() > MAX_ENTRIES {
        return Err(Invalid::new(
            format!("{FP}.entries"),
            format!(
                "has {} entries; the cloud allows {MAX_ENTRIES} per instance",
                p.entries.len()
            ),
        ));
    }
    let mut seen = BTreeSet::new();
    let mut entries = Vec::with_capacity(p.entries.len());
    for (i, entry) in p.entries.iter().enumerate() {
        let field = format!("{FP}.entries[{i}]");
        let ip = normalize(&entry.ip).ok_or_else(|| {
            Invalid::new(
                format!("{field}.ip"),
                format!("{:?} is not an IPv4/IPv6 address or CIDR block", entry.ip),
            )
        })?;
        if (ip == "0.0.0.0/0" || ip == "::/0") && !p.allow_public_access {
            return Err(Invalid::new(
                format!("{field}.ip"),
                format!(
                    "{ip} opens the instance to the whole internet; set {FP}.allowPublicAccess: true to allow it"
                ),
            ));
        }
        if !seen.insert(ip.clone()) {
            return Err(Invalid::new(
                format!("{field}.ip"),
                format!("{:?} repeats an earlier entry (both are {ip})", entry.ip),
            ));
        }
        let expires_at = match &entry.expires_at {
            Some(stamp) => Some(
                DateTime::parse_from_rfc3339(stamp)
                    .map_err(|_| {
                        Invalid::new(
                            format!("{field}.expiresAt"),
                            format!("must be an RFC 3339 time (is {stamp:?})"),
                        )
                    })?
                    .with_timezone(&Utc),
            ),
            None => None,
        };
        entries.push(Entry { ip, expires_at });
    }
    Ok(DesiredList {
        group,
        attribute: p.group_attribute.clone().filter(|a| !a.is_empty()),
        entries,
    })
}

impl DesiredList {
    /// The entries still valid at `now`, sorted.
    pub fn active(&self, now: DateTime<Utc>) -> Vec<String> {
        let set: BTreeSet<&str> = self
            .entries
            .iter()
            .filter(|e| e.expires_at.is_none_or(|t| t > now))
            .map(|e| e.ip.as_str())
            .collect();
        set.into_iter().map(str::to_owned).collect()
    }

    /// The expiry of each of `ips` that has one (RFC 3339).
    pub fn expiries(&self, ips: &[String]) -> BTreeMap<String, String> {
        self.entries
            .iter()
            .filter(|e| ips.contains(&e.ip))
            .filter_map(|e| {
                let at = e.expires_at?;
                Some((e.ip.clone(), at.to_rfc3339_opts(SecondsFormat::Secs, true)))
            })
            .collect()
    }

    /// When the next entry expires, to requeue at that moment.
    pub fn next_expiry(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.entries
            .iter()
            .filter_map(|e| e.expires_at)
            .filter(|t| *t > now)
            .min()
    }
}

/// The one thing to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Steady,
    /// Set the group to exactly these entries.
    Cover(SecurityIpGroup),
    /// Every entry expired: remove the group.
    DeleteGroup(String),
    Reject(Invalid),
}

/// Compares normalised sets, so order and `/32` spellings never cause a write.
pub fn plan(
    want: &DesiredList,
    groups: &[SecurityIpGroup],
    now: DateTime<Utc>,
    mode: Mode,
) -> Step {
    let active = want.active(now);
    let ours = groups.iter().find(|g| g.name == want.group);
    let others: usize = groups
        .iter()
        .filter(|g| g.name != want.group)
        .map(|g| g.ips.len())
        .sum();
    if others + active.len() > MAX_ENTRIES {
        return Step::Reject(Invalid::new(
            format!("{FP}.entries"),
            format!(
                "{} entries plus {others} in the instance's other groups exceed the cloud's limit of {MAX_ENTRIES} per instance",
                active.len()
            ),
        ));
    }
    if !mode.plans_writes() {
        return Step::Steady;
    }
    match ours {
        None if active.is_empty() => Step::Steady,
        Some(group) if active.is_empty() => Step::DeleteGroup(group.name.clone()),
        Some(group) if normalized(&group.ips) == active && attribute_matches(want, group) => {
            Step::Steady
        }
        _ => Step::Cover(SecurityIpGroup {
            name: want.group.clone(),
            attribute: want.attribute.clone(),
            expires: want.expiries(&active),
            ips: active,
        }),
    }
}

fn attribute_matches(want: &DesiredList, group: &SecurityIpGroup) -> bool {
    want.attribute.is_none() || want.attribute == group.attribute
}

/// The cloud's list, normalised and sorted (unparseable entries kept verbatim).
pub fn normalized(ips: &[String]) -> Vec<String> {
    let set: BTreeSet<String> = ips
        .iter()
        .map(|ip| normalize(ip).unwrap_or_else(|| ip.clone()))
        .collect();
    set.into_iter().collect()
}

#[cfg(test)]
#[path = "securityiplist_tests.rs"]
mod tests;
