//! HTTP Digest authentication (RFC 2617, `qop=auth`) as Atlas uses it for programmatic API keys:
//! username = public key, password = private key, realm `MMS Public API`.

use md5::{Digest, Md5};

/// The parts of a `WWW-Authenticate: Digest ...` challenge a response needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Challenge {
    pub realm: String,
    pub nonce: String,
    pub opaque: Option<String>,
    pub stale: bool,
}

/// Why a challenge cannot be answered.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChallengeError {
    #[error("not a Digest challenge: {0:?}")]
    NotDigest(String),
    #[error("the Digest challenge has no {0}")]
    Missing(&'static str),
    #[error("unsupported Digest {field} {value:?} (only MD5 with qop=auth)")]
    Unsupported { field: &'static str, value: String },
}

/// Parses a challenge header. Atlas sends
/// `Digest realm="MMS Public API", domain="", nonce="...", algorithm=MD5, qop="auth", stale=false`.
pub fn parse_challenge(header: &str) -> Result<Challenge, ChallengeError> {
    let rest = header
        .trim()
        .strip_prefix("Digest ")
        .ok_or_else(|| ChallengeError::NotDigest(header.to_owned()))?;
    let mut realm = None;
    let mut nonce = None;
    let mut opaque = None;
    let mut stale = false;
    for part in split_params(rest) {
        let Some((key, value)) = part.split_once('=') else {
            continue;
        };
        let value = value.trim().trim_matches('"').to_owned();
        match key.trim().to_ascii_lowercase().as_str() {
            "realm" => realm = Some(value),
            "nonce" => nonce = Some(value),
            "opaque" => opaque = Some(value),
            "stale" => stale = value.eq_ignore_ascii_case("true"),
            "algorithm" if !value.eq_ignore_ascii_case("MD5") => {
                return Err(ChallengeError::Unsupported {
                    field: "algorithm",
                    value,
                });
            }
            "qop" if !value.split(',').any(|q| q.trim() == "auth") => {
                return Err(ChallengeError::Unsupported {
                    field: "qop",
                    value,
                });
            }
            _ => {}
        }
    }
    Ok(Challenge {
        realm: realm.ok_or(ChallengeError::Missing("realm"))?,
        nonce: nonce.ok_or(ChallengeError::Missing("nonce"))?,
        opaque,
        stale,
    })
}

/// Splits `a="x, y", b=z` on the commas outside quotes.
fn split_params(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (i, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                parts.push(text[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(text[start..].trim());
    parts.retain(|p| !p.is_empty());
    parts
}

fn md5_hex(text: &str) -> String {
    hex::encode(Md5::digest(text.as_bytes()))
}

/// The request digest: MD5(HA1:nonce:nc:cnonce:auth:HA2).
pub fn response(
    challenge: &Challenge,
    username: &str,
    password: &str,
    method: &str,
    uri: &str,
    nc: u32,
    cnonce: &str,
) -> String {
    let ha1 = md5_hex(&format!("{username}:{}:{password}", challenge.realm));
    let ha2 = md5_hex(&format!("{method}:{uri}"));
    md5_hex(&format!(
        "{ha1}:{}:{nc:08x}:{cnonce}:auth:{ha2}",
        challenge.nonce
    ))
}

/// The `Authorization` header answering `challenge` for one request. `uri` is the path and
/// query exactly as sent.
pub fn authorization(
    challenge: &Challenge,
    username: &str,
    password: &str,
    method: &str,
    uri: &str,
    nc: u32,
    cnonce: &str,
) -> String {
    let digest = response(challenge, username, password, method, uri, nc, cnonce);
    let mut header = format!(
        "Digest username=\"{username}\", realm=\"{}\", nonce=\"{}\", uri=\"{uri}\", response=\"{digest}\", algorithm=MD5, qop=auth, nc={nc:08x}, cnonce=\"{cnonce}\"",
        challenge.realm, challenge.nonce
    );
    if let Some(opaque) = &challenge.opaque {
        header.push_str(&format!(", opaque=\"{opaque}\""));
    }
    header
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 2617 section 3.5: the one published known answer.
    #[test]
    fn rfc_2617_example() {
        let challenge = parse_challenge(
            r#"Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41""#,
        )
        .expect("challenge");
        assert_eq!(
            challenge.opaque.as_deref(),
            Some("5ccc069c403ebaf9f0171e9517f40e41")
        );
        assert_eq!(
            response(
                &challenge,
                "Mufasa",
                "Circle Of Life",
                "GET",
                "/dir/index.html",
                1,
                "0a4f113b"
            ),
            "6629fae49393a05397450978507c4ef1"
        );
    }

    #[test]
    fn atlas_challenge_as_recorded() {
        let challenge = parse_challenge(
            r#"Digest realm="MMS Public API", domain="", nonce="669gyxpgL6MGDuSZvQ80Spv3k+Jc99ed", algorithm=MD5, qop="auth", stale=false"#,
        )
        .expect("challenge");
        assert_eq!(
            challenge,
            Challenge {
                realm: "MMS Public API".into(),
                nonce: "669gyxpgL6MGDuSZvQ80Spv3k+Jc99ed".into(),
                opaque: None,
                stale: false,
            }
        );
        let header = authorization(
            &challenge,
            "pubkey",
            "privkey",
            "POST",
            "/api/atlas/v2/groups/0123456789abcdef01234567/accessList?pageNum=1",
            1,
            "0123456789abcdef",
        );
        assert!(header.starts_with("Digest username=\"pubkey\", realm=\"MMS Public API\""));
        assert!(header.contains(
            "uri=\"/api/atlas/v2/groups/0123456789abcdef01234567/accessList?pageNum=1\""
        ));
        assert!(header.contains("qop=auth, nc=00000001, cnonce=\"0123456789abcdef\""));
        assert!(!header.contains("privkey"), "the private key never travels");
    }

    #[test]
    fn unusable_challenges_are_refused_with_the_reason() {
        assert!(matches!(
            parse_challenge("Basic realm=\"x\""),
            Err(ChallengeError::NotDigest(_))
        ));
        assert_eq!(
            parse_challenge(r#"Digest realm="r", nonce="n", qop="auth-int""#),
            Err(ChallengeError::Unsupported {
                field: "qop",
                value: "auth-int".into()
            })
        );
        assert_eq!(
            parse_challenge(r#"Digest realm="r", nonce="n", algorithm=SHA-512-256, qop="auth""#),
            Err(ChallengeError::Unsupported {
                field: "algorithm",
                value: "SHA-512-256".into()
            })
        );
        assert_eq!(
            parse_challenge(r#"Digest realm="r", qop="auth""#),
            Err(ChallengeError::Missing("nonce"))
        );
    }
}
