//! The versioned media type each Atlas endpoint is called with. Pinned to exact dates: Atlas
//! serves the newest resource version not after the requested date, so a newer date could
//! silently change a response's shape.

/// What is being called, for picking its version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    ClusterWrite,
    ClusterRead,
    ClusterDelete,
    /// Access list, auditing, snapshots, database users: one version only.
    Project,
}

pub fn version(endpoint: Endpoint) -> &'static str {
    match endpoint {
        Endpoint::ClusterWrite => "2024-10-23",
        Endpoint::ClusterRead => "2024-08-05",
        Endpoint::ClusterDelete => "2023-02-01",
        Endpoint::Project => "2023-01-01",
    }
}

/// The `Accept` (and body `Content-Type`) value for an endpoint.
pub fn media_type(endpoint: Endpoint) -> String {
    format!("application/vnd.atlas.{}+json", version(endpoint))
}

/// The version a server would serve for a requested date, given the dates a resource exists
/// in (ascending): the newest not after the request; `None` (406) when the request predates
/// them all or is not a version media type.
pub fn resolve<'a>(accept: &str, available: &[&'a str]) -> Option<&'a str> {
    let date = accept
        .split(';')
        .next()?
        .trim()
        .strip_prefix("application/vnd.atlas.")?
        .strip_suffix("+json")?;
    let valid = date.len() == 10
        && date.chars().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                c == '-'
            } else {
                c.is_ascii_digit()
            }
        });
    if !valid {
        return None;
    }
    available.iter().rev().find(|v| **v <= date).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinned_media_types() {
        assert_eq!(
            media_type(Endpoint::ClusterWrite),
            "application/vnd.atlas.2024-10-23+json"
        );
        assert_eq!(
            media_type(Endpoint::Project),
            "application/vnd.atlas.2023-01-01+json"
        );
    }

    #[test]
    fn the_newest_version_not_after_the_request_is_served() {
        let clusters = ["2023-01-01", "2023-02-01", "2024-08-05"];
        let at = |accept: &str| resolve(accept, &clusters);
        assert_eq!(
            at("application/vnd.atlas.2024-08-05+json"),
            Some("2024-08-05")
        );
        assert_eq!(
            at("application/vnd.atlas.2025-03-12+json"),
            Some("2024-08-05")
        );
        assert_eq!(
            at("application/vnd.atlas.2023-06-01+json;charset=utf-8"),
            Some("2023-02-01")
        );
        assert_eq!(at("application/vnd.atlas.2022-12-31+json"), None);
        assert_eq!(at("application/json"), None);
        assert_eq!(at("application/vnd.atlas.latest+json"), None);
    }
}
