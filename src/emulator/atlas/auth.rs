//! HTTP Digest as Atlas answers it for API keys: the recorded challenge, `qop=auth`, MD5.
//! Nonces the emulator issued stay valid for a few minutes and may be reused with a new `nc`
//! each time (the operator's client does); a replayed `nc`, an unknown or expired nonce, a
//! wrong key or a wrong digest all get a fresh challenge.

use std::collections::{HashMap, HashSet};

use rand::Rng;

use crate::cloud::atlas::digest::{self, Challenge};

pub const REALM: &str = "MMS Public API";
/// How long an issued nonce is accepted.
pub const NONCE_LIFETIME_MS: u64 = 5 * 60 * 1000;

/// Issued nonces: when, and the `nc` values already used with each.
#[derive(Debug, Default)]
pub struct Nonces(HashMap<String, (u64, HashSet<u32>)>);

/// A new challenge header (`Www-Authenticate`), remembering its nonce.
pub fn challenge(nonces: &mut Nonces, now: u64) -> String {
    nonces
        .0
        .retain(|_, (issued, _)| now.saturating_sub(*issued) < NONCE_LIFETIME_MS);
    let mut rng = rand::rng();
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let nonce: String = (0..32)
        .map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())]))
        .collect();
    nonces.0.insert(nonce.clone(), (now, HashSet::new()));
    format!(
        "Digest realm=\"{REALM}\", domain=\"\", nonce=\"{nonce}\", algorithm=MD5, qop=\"auth\", stale=false"
    )
}

/// Whether `header` authenticates this request with one of `keys` (public → private).
/// `uri` is the path and query as received.
pub fn verify(
    nonces: &mut Nonces,
    keys: &HashMap<String, String>,
    method: &str,
    uri: &str,
    header: Option<&str>,
    now: u64,
) -> bool {
    let Some(fields) = header.and_then(parse) else {
        return false;
    };
    let field = |name: &str| fields.get(name).map(String::as_str);
    let (
        Some(username),
        Some(realm),
        Some(nonce),
        Some(signed_uri),
        Some(response),
        Some(nc),
        Some(cnonce),
    ) = (
        field("username"),
        field("realm"),
        field("nonce"),
        field("uri"),
        field("response"),
        field("nc"),
        field("cnonce"),
    )
    else {
        return false;
    };
    if realm != REALM
        || field("qop") != Some("auth")
        || field("algorithm").is_some_and(|a| !a.eq_ignore_ascii_case("MD5"))
    {
        return false;
    }
    // An empty query is no query: Node's URL drops a bare `?` from what it signs.
    if signed_uri != uri && uri.strip_suffix('?') != Some(signed_uri) {
        return false;
    }
    let Some(private) = keys.get(username) else {
        return false;
    };
    let Ok(count) = u32::from_str_radix(nc, 16) else {
        return false;
    };
    let Some((issued, used)) = nonces.0.get_mut(nonce) else {
        return false;
    };
    if now.saturating_sub(*issued) >= NONCE_LIFETIME_MS || count == 0 || used.contains(&count) {
        return false;
    }
    let challenge = Challenge {
        realm: REALM.to_owned(),
        nonce: nonce.to_owned(),
        opaque: None,
        stale: false,
    };
    let expected = digest::response(
        &challenge, username, private, method, signed_uri, count, cnonce,
    );
    // The client's spelling of nc is what it hashed; ours is lowercase 8 hex.
    if expected != response || nc != format!("{count:08x}") {
        return false;
    }
    used.insert(count);
    true
}

/// The `key=value` fields of a `Digest` authorization header (commas inside quotes kept).
fn parse(header: &str) -> Option<HashMap<String, String>> {
    let rest = header.trim().strip_prefix("Digest ")?;
    let mut fields = HashMap::new();
    let (mut start, mut quoted) = (0, false);
    let mut push = |part: &str| {
        if let Some((key, value)) = part.split_once('=') {
            fields.insert(
                key.trim().to_ascii_lowercase(),
                value.trim().trim_matches('"').to_owned(),
            );
        }
    };
    for (i, c) in rest.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                push(&rest[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    push(&rest[start..]);
    Some(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nonce_of(header: &str) -> String {
        digest::parse_challenge(header).expect("challenge").nonce
    }

    #[test]
    fn a_nonce_is_reused_with_new_counts_but_no_count_twice() {
        let keys = HashMap::from([("pub".to_owned(), "priv".to_owned())]);
        let mut nonces = Nonces::default();
        let header = challenge(&mut nonces, 1000);
        assert!(header.starts_with("Digest realm=\"MMS Public API\", domain=\"\", nonce=\""));
        assert_eq!(nonce_of(&header).len(), 32);
        let parsed = digest::parse_challenge(&header).expect("challenge");
        let auth =
            |nc| digest::authorization(&parsed, "pub", "priv", "GET", "/x?a=1", nc, "c0ffee");
        let ok = |nonces: &mut Nonces, h: &str, uri: &str, now| {
            verify(nonces, &keys, "GET", uri, Some(h), now)
        };
        assert!(ok(&mut nonces, &auth(1), "/x?a=1", 1000));
        assert!(!ok(&mut nonces, &auth(1), "/x?a=1", 1000), "replayed nc");
        assert!(ok(&mut nonces, &auth(3), "/x?a=1", 1000));
        assert!(
            ok(&mut nonces, &auth(2), "/x?a=1", 1000),
            "out of order is fine"
        );
        assert!(!ok(&mut nonces, &auth(4), "/x?a=2", 1000), "other uri");
        assert!(
            !ok(&mut nonces, &auth(5), "/x?a=1", 1000 + NONCE_LIFETIME_MS),
            "expired"
        );
        let wrong = digest::authorization(&parsed, "pub", "nope", "GET", "/x?a=1", 6, "c0ffee");
        assert!(!ok(&mut nonces, &wrong, "/x?a=1", 1000), "wrong key");
    }
}
