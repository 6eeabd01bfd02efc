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

#[cfg(test)]
mod tests {
    use super::*;

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
