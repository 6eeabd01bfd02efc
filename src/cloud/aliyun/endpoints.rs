//! Where the Dds API of a region is served.

/// Regions the SDK tables serve from the global host.
const GLOBAL_HOST_REGIONS: [&str; 7] = [
    "cn-hangzhou",
    "cn-shanghai",
    "cn-beijing",
    "cn-wulanchabu",
    "cn-heyuan",
    "cn-hangzhou-finance",
    "cn-shenzhen-finance-1",
];

/// The base URL for `region`: the override when one is configured (a private endpoint, the
/// local emulator), else the cloud's regional host.
pub fn base_url(endpoint: Option<&str>, region: &str) -> String {
    match endpoint {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None if region.is_empty() || GLOBAL_HOST_REGIONS.contains(&region) => {
            "https://mongodb.aliyuncs.com".to_owned()
        }
        None => format!("https://mongodb.{region}.aliyuncs.com"),
    }
}

/// Checks an endpoint override before any call is made.
pub fn check_override(endpoint: &str) -> Result<(), String> {
    let url = reqwest::Url::parse(endpoint)
        .map_err(|e| format!("endpoint {endpoint:?} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!(
            "endpoint {endpoint:?} must be http:// or https:// with a host"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_rules() {
        assert_eq!(
            base_url(None, "cn-hangzhou"),
            "https://mongodb.aliyuncs.com"
        );
        assert_eq!(
            base_url(None, "ap-southeast-1"),
            "https://mongodb.ap-southeast-1.aliyuncs.com"
        );
        assert_eq!(
            base_url(Some("http://127.0.0.1:9780/"), "eu-central-1"),
            "http://127.0.0.1:9780"
        );
        assert!(check_override("http://127.0.0.1:9780").is_ok());
        assert!(check_override("ftp://x").is_err());
        assert!(check_override("127.0.0.1:9780").is_err());
    }
}
