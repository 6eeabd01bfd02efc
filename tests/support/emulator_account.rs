//! The account settings of the emulator's default keys, for tests that drive the operator's
//! cloud clients directly (no API server).

use mongocloud_operator::cloud::error::Redacted;
use mongocloud_operator::cloud::{AccountSettings, Cloud};
use mongocloud_operator::emulator::Running;

/// The Atlas project these tests use.
pub const PROJECT: &str = "5f0a1b2c3d4e5f60718293a4";

/// Settings for `cloud` on the emulator `e`, with a rate limit high enough never to slow a test.
pub fn settings(e: &Running, cloud: Cloud) -> AccountSettings {
    let (endpoint, id, secret, project) = match cloud {
        Cloud::Aliyun => (e.url(), "LTAIemulator", "emulator-secret", None),
        Cloud::Atlas => (
            format!("{}/api/atlas/v2", e.url()),
            "emulator-public",
            "emulator-private",
            Some(PROJECT.to_owned()),
        ),
    };
    AccountSettings {
        cloud,
        project_id: project,
        endpoint: Some(endpoint),
        region: Some("cn-hangzhou".to_owned()),
        access_key_id: id.to_owned(),
        access_key_secret: Redacted(secret.to_owned()),
        requests_per_second: 1000,
        ..AccountSettings::default()
    }
}
