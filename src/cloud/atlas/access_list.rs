//! Access-list entries in canonical form, so an IP and its `/32` are one entry and a reordered
//! or re-spelled list makes no call. Atlas stores `ipAddress` entries as `cidrBlock x/32` and
//! returns both fields.

use std::net::IpAddr;

use ipnet::IpNet;

/// The canonical CIDR of an entry: host bits cleared, a bare IP as `/32` (`/128` for IPv6).
pub fn canonical_cidr(entry: &str) -> Result<String, String> {
    let entry = entry.trim();
    let net = match entry.parse::<IpNet>() {
        Ok(net) => net.trunc(),
        Err(_) => match entry.parse::<IpAddr>() {
            Ok(ip) => IpNet::from(ip),
            Err(_) => {
                return Err(format!(
                    "{entry:?} is neither an IP address nor a CIDR block"
                ));
            }
        },
    };
    Ok(net.to_string())
}

/// The path segment naming an entry: `/` encoded as `%2F`, as Atlas expects.
pub fn entry_path(cidr: &str) -> String {
    cidr.replace('/', "%2F")
}

/// The bare address of a single-host CIDR. Strips the suffix, not a character set
/// (`10.0.0.32/32` is `10.0.0.32`).
pub fn single_host(cidr: &str) -> Option<&str> {
    cidr.strip_suffix("/32")
        .or_else(|| cidr.strip_suffix("/128"))
}

/// The comment that marks an entry as written for the group `group` (a SecurityIpList's UID,
/// or a comment taken over verbatim, see [`verbatim_group`]). Atlas access lists belong to the
/// project and have no groups: the comment carries the ownership, so entries made by hand or
/// by other resources are never touched.
pub fn owner_comment(group: &str) -> String {
    match group.strip_prefix(VERBATIM_PREFIX) {
        Some(comment) => comment.to_owned(),
        None => format!("{OWNER_PREFIX}{group}"),
    }
}

/// The group of the entries whose comment is exactly `comment` (entries made outside the
/// operator and taken over by a SecurityIpList with `atlas.comment`). UIDs never start with
/// the prefix, so such a group cannot be mistaken for a UID-owned one.
pub fn verbatim_group(comment: &str) -> String {
    format!("{VERBATIM_PREFIX}{comment}")
}

/// The comment of a group made by [`verbatim_group`].
pub fn verbatim_comment(group: &str) -> Option<&str> {
    group.strip_prefix(VERBATIM_PREFIX)
}

pub const OWNER_PREFIX: &str = "mongocloud:";
const VERBATIM_PREFIX: &str = "comment:";
/// The group of entries without a comment (made by hand, by other tools).
pub const UNMANAGED: &str = "atlas-unmanaged";

/// One entry as listed: canonical CIDR and comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    pub cidr: String,
    pub comment: Option<String>,
}

/// The group an entry belongs to: the UID its comment names, else its comment taken verbatim,
/// else (no comment) [`UNMANAGED`].
pub fn group_of(entry: &Listed) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    match entry.comment.as_deref().filter(|c| !c.is_empty()) {
        Some(comment) => match comment.strip_prefix(OWNER_PREFIX) {
            Some(uid) => Cow::Borrowed(uid),
            None => Cow::Owned(verbatim_group(comment)),
        },
        None => Cow::Borrowed(UNMANAGED),
    }
}

/// What setting `group` to `want` (canonical CIDRs) takes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cover {
    /// Entries to POST (in one array).
    pub add: Vec<String>,
    /// Entries of the group to DELETE.
    pub remove: Vec<String>,
    /// Wanted entries that exist under another owner; never taken over.
    pub conflicts: Vec<String>,
}

pub fn cover(listed: &[Listed], group: &str, want: &[String]) -> Cover {
    let mut plan = Cover::default();
    for cidr in want {
        match listed.iter().find(|e| &e.cidr == cidr) {
            None => plan.add.push(cidr.clone()),
            Some(entry) if group_of(entry) == *group => {}
            Some(_) => plan.conflicts.push(cidr.clone()),
        }
    }
    plan.remove = listed
        .iter()
        .filter(|e| group_of(e) == *group && !want.contains(&e.cidr))
        .map(|e| e.cidr.clone())
        .collect();
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(cidr: &str, comment: Option<&str>) -> Listed {
        Listed {
            cidr: cidr.into(),
            comment: comment.map(str::to_owned),
        }
    }

    #[test]
    fn cover_adds_missing_removes_only_its_own_and_never_takes_over() {
        let project = [
            listed("10.0.0.1/32", Some("mongocloud:office")),
            listed("10.0.0.2/32", Some("mongocloud:office")),
            listed("192.0.2.0/24", Some("added by hand")),
            listed("198.51.100.7/32", None),
            listed("203.0.113.0/24", Some("mongocloud:vpn")),
        ];
        let want = vec![
            "10.0.0.1/32".to_owned(),
            "10.0.0.9/32".to_owned(),
            "192.0.2.0/24".to_owned(),
        ];
        assert_eq!(
            cover(&project, "office", &want),
            Cover {
                add: vec!["10.0.0.9/32".into()],
                remove: vec!["10.0.0.2/32".into()],
                conflicts: vec!["192.0.2.0/24".into()],
            }
        );
        assert_eq!(
            cover(
                &project,
                "office",
                &["10.0.0.1/32".into(), "10.0.0.2/32".into()]
            ),
            Cover::default(),
            "already covered: nothing to do"
        );
    }

    #[test]
    fn comments_name_the_owner() {
        assert_eq!(owner_comment("office"), "mongocloud:office");
        assert_eq!(
            group_of(&listed("10.0.0.1/32", Some("mongocloud:office"))),
            "office"
        );
        assert_eq!(
            group_of(&listed("10.0.0.1/32", Some("office"))),
            "comment:office",
            "an unmarked comment is its own group"
        );
        assert_eq!(group_of(&listed("10.0.0.1/32", None)), UNMANAGED);
        assert_eq!(group_of(&listed("10.0.0.1/32", Some(""))), UNMANAGED);
        assert_eq!(owner_comment(&verbatim_group("office")), "office");
        assert_eq!(verbatim_comment("comment:office"), Some("office"));
        assert_eq!(verbatim_comment("0b6c8e1e"), None);
        let uid = "0b6c8e1e-6a3f-4c1d-9d55-8f0a7a3b2c11";
        assert!(
            owner_comment(uid).len() <= 80,
            "fits Atlas' 80-character comment"
        );
    }

    #[test]
    fn a_verbatim_group_covers_only_entries_with_exactly_its_comment() {
        let project = [
            listed("192.0.2.0/24", Some("office")),
            listed("192.0.2.9/32", Some("office vpn")),
            listed("10.0.0.1/32", Some("mongocloud:office")),
        ];
        let group = verbatim_group("office");
        assert_eq!(
            cover(&project, &group, &["192.0.2.0/24".into()]),
            Cover::default(),
            "its own entries are already there"
        );
        assert_eq!(
            cover(&project, &group, &["10.0.0.1/32".into()]),
            Cover {
                add: vec![],
                remove: vec!["192.0.2.0/24".into()],
                conflicts: vec!["10.0.0.1/32".into()],
            },
            "a UID-owned entry of the same text is not its"
        );
    }

    #[test]
    fn ips_and_their_host_cidrs_are_one_entry() {
        assert_eq!(
            canonical_cidr("192.168.0.243").as_deref(),
            Ok("192.168.0.243/32")
        );
        assert_eq!(
            canonical_cidr("192.168.0.243/32").as_deref(),
            Ok("192.168.0.243/32")
        );
        assert_eq!(
            canonical_cidr(" 10.1.2.3/24 ").as_deref(),
            Ok("10.1.2.0/24")
        );
        assert_eq!(canonical_cidr("0.0.0.0/0").as_deref(), Ok("0.0.0.0/0"));
        assert_eq!(
            canonical_cidr("2001:db8::1").as_deref(),
            Ok("2001:db8::1/128")
        );
        assert_eq!(
            canonical_cidr("2001:db8::1/64").as_deref(),
            Ok("2001:db8::/64")
        );
        assert!(canonical_cidr("sg-12345678").is_err());
        assert!(canonical_cidr("10.0.0.300").is_err());
    }

    #[test]
    fn paths_and_host_addresses() {
        assert_eq!(entry_path("192.0.2.0/24"), "192.0.2.0%2F24");
        assert_eq!(single_host("10.0.0.32/32"), Some("10.0.0.32"));
        assert_eq!(single_host("2001:db8::1/128"), Some("2001:db8::1"));
        assert_eq!(single_host("10.0.0.0/24"), None);
    }
}
