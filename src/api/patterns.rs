//! The schema's string patterns, in one place so the unit tests below can hold each one against
//! the parser the operator uses later (std/ipnet for addresses, chrono for time stamps): a value
//! the API server lets in must never be refused by the planner. The server (v1.20) has no CEL,
//! so every check a pattern can do is done here, in the RE2 syntax both Go and the `regex`
//! crate share (no look-around, no back-references).

/// One IPv4 octet, 0-255, without leading zeros (std refuses `010` as ambiguous octal).
macro_rules! octet {
    () => {
        "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
    };
}

macro_rules! ipv4 {
    () => {
        concat!(octet!(), r"\.", octet!(), r"\.", octet!(), r"\.", octet!())
    };
}

/// One IPv6 group: 1-4 hex digits.
macro_rules! h16 {
    () => {
        "[0-9a-fA-F]{1,4}"
    };
}

/// Every IPv6 text form RFC 4291 allows, spelled out by the number of groups before `::`
/// (`::` stands for at least one zero group), with and without a trailing embedded IPv4.
macro_rules! ipv6 {
    () => {
        concat!(
            "(",
            "(",
            h16!(),
            ":){7}(",
            h16!(),
            "|:)",
            "|(",
            h16!(),
            ":){6}(:|(:",
            h16!(),
            ")|",
            ipv4!(),
            ")",
            "|(",
            h16!(),
            ":){5}(:|(:",
            h16!(),
            "){1,2}|:",
            ipv4!(),
            ")",
            "|(",
            h16!(),
            ":){4}(:|(:",
            h16!(),
            "){1,3}|:(",
            h16!(),
            ":){0,1}",
            ipv4!(),
            ")",
            "|(",
            h16!(),
            ":){3}(:|(:",
            h16!(),
            "){1,4}|:(",
            h16!(),
            ":){0,2}",
            ipv4!(),
            ")",
            "|(",
            h16!(),
            ":){2}(:|(:",
            h16!(),
            "){1,5}|:(",
            h16!(),
            ":){0,3}",
            ipv4!(),
            ")",
            "|(",
            h16!(),
            ":){1}(:|(:",
            h16!(),
            "){1,6}|:(",
            h16!(),
            ":){0,4}",
            ipv4!(),
            ")",
            "|:(:|(:",
            h16!(),
            "){1,7}|:(",
            h16!(),
            ":){0,5}",
            ipv4!(),
            ")",
            ")"
        )
    };
}

/// A SecurityIpList entry: an IPv4 address or block (prefix 0-32) or an IPv6 address or block
/// (prefix 0-128). Prefixes without leading zeros.
pub const IP_ENTRY: &str = concat!(
    "^(",
    ipv4!(),
    "(/(3[0-2]|[12]?[0-9]))?|",
    ipv6!(),
    "(/(12[0-8]|1[01][0-9]|[1-9]?[0-9]))?",
    ")$"
);

/// Longest entry: eight groups in the IPv4-tail form (`ffff:…:ffff:255.255.255.255`, 45
/// characters) plus `/128`.
pub const IP_ENTRY_MAX_LENGTH: u32 = 49;

/// An RFC 3339 time stamp with seconds and an offset (`Z` or `±HH:MM`), as chrono's
/// `parse_from_rfc3339` needs it. The schema also sets `format: date-time`, which makes the
/// server check the calendar (no 30 February); the format alone accepts a stamp without an
/// offset, which the planner would refuse.
pub const RFC3339: &str = concat!(
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])",
    r"T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?",
    r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
);

/// `HH:mmZ` (UTC), the cloud's maintenance-window format.
pub const HH_MM_Z: &str = r"^([01][0-9]|2[0-3]):[0-5][0-9]Z$";

/// A one-hour backup window, `HH:mmZ-HH:mmZ` (Dds PreferredBackupTime).
pub const HH_MM_Z_RANGE: &str = r"^([01][0-9]|2[0-3]):[0-5][0-9]Z-([01][0-9]|2[0-3]):[0-5][0-9]Z$";

/// A backup id: Dds numeric ids, Atlas 24-hex snapshot ids.
pub const BACKUP_ID: &str = r"^[0-9A-Za-z][0-9A-Za-z_-]{0,63}$";

/// An Aliyun Dds instance id, e.g. `dds-bp1234567890abcd`.
pub const DDS_INSTANCE_ID: &str = r"^dds-[a-z0-9]{4,40}$";

/// A region: Aliyun (`cn-hangzhou`, `ap-southeast-1`) or Atlas (`US_EAST_1`, `EUROPE_WEST_1`).
pub const REGION_ID: &str = r"^([a-z]{2,}(-[a-z0-9]+)+|[A-Z]{2,}(_[A-Z0-9]+)+)$";

/// An Aliyun region or zone (`cn-hangzhou`, `cn-hangzhou-h`).
pub const ALIYUN_REGION_ID: &str = r"^[a-z]{2,}(-[a-z0-9]+)+$";

/// An instance class: Aliyun (`dds.mongo.mid`, `mdb.shard.4x.large.d`) or an Atlas instance
/// size (`M10`, `R40`, `M40_NVME`: a letter and a number without leading zeros).
pub const INSTANCE_CLASS: &str = r"^([a-z0-9]+(\.[a-z0-9]+)+|[MR](0|[1-9][0-9]{0,3})(_NVME)?)$";

/// Aliyun ids with their type prefix: `vpc-…`, `vsw-…`, `rg-…`.
pub const VPC_ID: &str = r"^vpc-[a-z0-9]{1,60}$";
pub const VSWITCH_ID: &str = r"^vsw-[a-z0-9]{1,60}$";
pub const RESOURCE_GROUP_ID: &str = r"^rg-[a-z0-9]{1,60}$";

/// A node of an Aliyun instance (`d-bp1234…` for a replica-set member, `s-…`, `cs-…`).
pub const NODE_ID: &str = r"^[a-z]{1,3}-[a-z0-9]{1,60}$";

/// Descriptions the cloud refuses: ones that start like a URL.
pub const URL_START: &str = r"^https?://";

/// An Atlas cluster name: ASCII letters, digits and hyphens, starting and ending with a letter
/// or digit.
pub const ATLAS_CLUSTER_NAME: &str = r"^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$";

/// An Atlas project id (a 24-digit hex ObjectId).
pub const ATLAS_PROJECT_ID: &str = r"^[0-9a-f]{24}$";

/// A cloud endpoint: `http(s)://host[:port][/path]`, host a DNS name, an IPv4 address or a
/// bracketed IPv6 address, port 1-65535, no query, fragment or white space.
pub const ENDPOINT: &str = concat!(
    r"^https?://",
    r"([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*",
    r"|\[",
    ipv6!(),
    r"\])",
    r"(:([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?",
    r"(/[^\s?#]*)?$"
);

/// A security-IP group name: 2-120 lower-case letters, digits and `_`, starting with a letter.
pub const IP_GROUP_NAME: &str = r"^[a-z][a-z0-9_]{0,118}[a-z0-9]$";
/// The group's attribute (a label the console shows).
pub const IP_GROUP_ATTRIBUTE: &str = r"^[A-Za-z0-9_-]*$";

/// A Kubernetes object name (DNS-1123 subdomain, at most 253 characters): Secrets,
/// ProviderConfigs, DBInstances.
pub const DNS1123_SUBDOMAIN: &str =
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
/// A namespace name (DNS-1123 label, at most 63 characters).
pub const DNS1123_LABEL: &str = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
/// A key in a Secret's data, as the API server allows it.
pub const SECRET_KEY: &str = r"^[-._a-zA-Z0-9]+$";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reconcile::securityiplist::normalize;
    use regex::Regex;

    fn re(pattern: &str) -> Regex {
        Regex::new(pattern).unwrap_or_else(|e| panic!("{pattern}: {e}"))
    }

    /// Candidate entries built from pieces, so the odd corners (too many groups, `::` twice,
    /// IPv4 in the wrong place, leading zeros) are all tried, not only the ones we thought of.
    fn candidates() -> Vec<String> {
        let v4 = [
            "0.0.0.0",
            "10.0.0.1",
            "255.255.255.255",
            "10.0.0.256",
            "1.2.3",
            "01.2.3.4",
            "1.2.3.4.5",
            "300.1.1.1",
        ];
        let pieces = ["1", "ab", "FFFF", "0db8", "12345", "g1", ""];
        let mut out: Vec<String> = v4.iter().map(|s| s.to_string()).collect();
        for n in 0..=9 {
            for p in pieces {
                let groups: Vec<&str> = std::iter::repeat_n(p, n).collect();
                let full = groups.join(":");
                out.push(full.clone());
                for cut in 0..=n {
                    let (a, b) = groups.split_at(cut);
                    out.push(format!("{}::{}", a.join(":"), b.join(":")));
                    for tail in v4 {
                        out.push(format!(
                            "{}::{}{}{tail}",
                            a.join(":"),
                            b.join(":"),
                            if b.is_empty() { "" } else { ":" }
                        ));
                    }
                }
                for tail in v4 {
                    out.push(format!("{full}:{tail}"));
                }
            }
        }
        out.extend(
            [
                "::",
                ":::",
                "1:::2",
                "::1::",
                "1::2::3",
                ":1::",
                "::ffff:10.0.0.1",
                "fe80::1%eth0",
            ]
            .map(String::from),
        );
        let mut with_prefix = Vec::new();
        for c in &out {
            for prefix in [
                "/0", "/8", "/32", "/33", "/64", "/128", "/129", "/", "/08", "/-1",
            ] {
                with_prefix.push(format!("{c}{prefix}"));
            }
        }
        out.extend(with_prefix);
        out
    }

    /// What the planner takes when ipnet's looser block parser is held to std's address rules:
    /// ipnet takes leading zeros (`01.2.3.4/8`, `10.0.0.0/08`) and a `::` standing for no
    /// group at all (`::1:1:1:1:1:1:10.0.0.1/64`), which the schema refuses on purpose.
    fn strict_planner(entry: &str) -> bool {
        let zero_led = |p: &str| p.len() > 1 && p.starts_with('0');
        normalize(entry).is_some()
            && match entry.split_once('/') {
                None => true,
                Some((addr, prefix)) => {
                    addr.parse::<std::net::IpAddr>().is_ok() && !zero_led(prefix)
                }
            }
    }

    /// The schema's entry pattern agrees with the planner's parser on every candidate: nothing
    /// the API server accepts is refused later, and nothing the planner would take is refused by
    /// the schema, except the odd block spellings of [`strict_planner`].
    #[test]
    fn ip_entry_pattern_agrees_with_the_planners_parser() {
        let pattern = re(IP_ENTRY);
        let mut disagreements = Vec::new();
        let mut accepted = 0;
        for c in candidates() {
            let schema = pattern.is_match(&c) && c.len() <= IP_ENTRY_MAX_LENGTH as usize;
            accepted += usize::from(schema);
            if schema && normalize(&c).is_none() {
                disagreements.push(format!("{c:?}: the schema accepts, the planner refuses"));
            } else if schema != strict_planner(&c) {
                disagreements.push(format!("{c:?}: the schema refuses a plain spelling"));
            }
        }
        assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
        assert!(
            accepted > 500,
            "the corpus exercises accepted forms too ({accepted})"
        );
    }

    #[test]
    fn ip_entry_pattern_takes_the_edge_cases_and_refuses_the_near_misses() {
        let pattern = re(IP_ENTRY);
        let longest = "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128";
        assert_eq!(longest.len(), IP_ENTRY_MAX_LENGTH as usize);
        for good in [
            "255.255.255.255",
            "10.0.0.0/32",
            "0.0.0.0/0",
            "::/0",
            "2001:db8::/32",
            "::ffff:10.0.0.1",
            longest,
        ] {
            assert!(pattern.is_match(good), "{good}");
        }
        for bad in [
            "10.0.0.256",
            "10.0.0.0/33",
            "2001:db8::/129",
            "1.2.3.04",
            "1:2:3:4:5:6:7:8:9",
            "1::2::3",
            " 10.0.0.1",
        ] {
            assert!(!pattern.is_match(bad), "{bad}");
        }
    }

    /// Every stamp the schema's pattern takes (on a real calendar day) parses for the planner.
    #[test]
    fn rfc3339_pattern_accepts_only_what_chrono_parses() {
        let pattern = re(RFC3339);
        let dates = [
            "2026-12-03",
            "2026-02-28",
            "2024-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-1-01",
            "26-12-03",
        ];
        let times = [
            "T09:20:00",
            "T23:59:59",
            "T24:00:00",
            "T09:60:00",
            "T9:20:00",
            "T09:20",
            " 09:20:00",
            "t09:20:00",
        ];
        let fractions = ["", ".5", ".123456789", ".1234567890", "."];
        let zones = ["Z", "+08:00", "-23:59", "+24:00", "+0800", "", "z", "UTC"];
        let mut accepted = 0;
        for d in dates {
            for t in times {
                for f in fractions {
                    for z in zones {
                        let stamp = format!("{d}{t}{f}{z}");
                        let chrono = chrono::DateTime::parse_from_rfc3339(&stamp).is_ok();
                        if pattern.is_match(&stamp) {
                            accepted += 1;
                            assert!(chrono, "{stamp}: the schema accepts, the planner refuses");
                        } else if chrono {
                            // Refused by the schema though chrono parses it: only the lower-case
                            // or space separators RFC 3339 allows and nobody writes, and more
                            // than nanosecond digits.
                            let odd = stamp.contains(' ')
                                || stamp.contains('t')
                                || stamp.contains('z')
                                || f.len() > 10;
                            assert!(odd, "{stamp}");
                        }
                    }
                }
            }
        }
        assert!(accepted > 20, "{accepted}");
    }

    #[test]
    fn endpoint_pattern() {
        let pattern = re(ENDPOINT);
        for good in [
            "http://127.0.0.1:9780",
            "http://127.0.0.1:9780/api/atlas/v2",
            "https://mongodb.aliyuncs.com",
            "https://cloud.mongodb.com/api/atlas/v2",
            "http://[::1]:9780",
            "http://localhost:65535/",
        ] {
            assert!(pattern.is_match(good), "{good}");
        }
        for bad in [
            "127.0.0.1:9780",
            "ftp://host",
            "http://",
            "http://host:0",
            "http://host:65536",
            "http://ho st",
            "http://host/a b",
            "http://host/?x=1",
            "http://-host",
            "http://[::1",
        ] {
            assert!(!pattern.is_match(bad), "{bad}");
        }
    }

    /// The small patterns, each with a value it must take and near misses it must refuse.
    #[test]
    fn name_and_id_patterns() {
        let table: [(&str, &[&str], &[&str]); 16] = [
            (
                HH_MM_Z,
                &["00:00Z", "23:59Z"],
                &["24:00Z", "2:00Z", "02:00", "02:60Z"],
            ),
            (
                HH_MM_Z_RANGE,
                &["02:00Z-03:00Z", "23:00Z-00:00Z"],
                &["02:00Z", "02:00-03:00", "02:00Z-24:00Z", "02:00Z 03:00Z"],
            ),
            (
                BACKUP_ID,
                &["100000001", "6746cea8a3b0f86a2fbdc1f1"],
                &["", "-1", "a b", "x/y"],
            ),
            (
                DDS_INSTANCE_ID,
                &["dds-bp1234567890abcd"],
                &["dds-ab", "i-123", "DDS-bp12345"],
            ),
            (
                REGION_ID,
                &[
                    "cn-hangzhou",
                    "ap-southeast-1",
                    "US_EAST_1",
                    "EUROPE_WEST_1",
                ],
                &["Hangzhou", "cn-", "us_east_1", "cn-Hangzhou"],
            ),
            (ALIYUN_REGION_ID, &["cn-hangzhou-h"], &["US_EAST_1", "cn"]),
            (
                INSTANCE_CLASS,
                &[
                    "dds.mongo.mid",
                    "mdb.shard.4x.large.d",
                    "M10",
                    "R40",
                    "M40_NVME",
                    "M0",
                ],
                &["M010", "m10", "dds", "M10_nvme", "X10"],
            ),
            (
                VPC_ID,
                &["vpc-bp1orders0000000000"],
                &["vpc-", "vsw-1", "VPC-1"],
            ),
            (VSWITCH_ID, &["vsw-1"], &["vpc-1"]),
            (
                RESOURCE_GROUP_ID,
                &["rg-acfmz7u4zzr2gbq"],
                &["rg-", "group-1"],
            ),
            (NODE_ID, &["d-bp1234", "cs-bp1"], &["bp1234", "d-"]),
            (
                ATLAS_CLUSTER_NAME,
                &["orders", "a", "Orders-2"],
                &["-orders", "orders-", "or_ders"],
            ),
            (
                DNS1123_SUBDOMAIN,
                &["default", "orders.v2", "a"],
                &["Default", "-a", "a..b", "a_b"],
            ),
            (DNS1123_LABEL, &["kube-system"], &["a.b", "A"]),
            (
                SECRET_KEY,
                &["password", "tls.crt", "ACCESS_KEY-1"],
                &["a/b", "", "a b"],
            ),
            (
                IP_GROUP_NAME,
                &["app_servers", "ab"],
                &["AppServers", "a", "1abc", "abc_"],
            ),
        ];
        for (pattern, good, bad) in table {
            let r = re(pattern);
            for g in good {
                assert!(r.is_match(g), "{pattern} refuses {g:?}");
            }
            for b in bad {
                assert!(!r.is_match(b), "{pattern} takes {b:?}");
            }
        }
        assert!(re(URL_START).is_match("https://x") && !re(URL_START).is_match("orders http://"));
    }
}
