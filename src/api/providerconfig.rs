//! `ProviderConfig`: a cloud account the other kinds use (cluster-scoped).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::conditions::Condition;
use super::patterns;

/// Which cloud, where its API is and which Secret holds the credentials.
#[derive(CustomResource, Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[kube(
    group = "mongocloud.dev",
    version = "v1alpha1",
    kind = "ProviderConfig",
    plural = "providerconfigs",
    shortname = "mcpc",
    category = "mongocloud",
    status = "ProviderConfigStatus",
    derive = "PartialEq",
    doc = "A cloud account used by DBInstances and their sub-resources.",
    printcolumn = r#"{"name":"PROVIDER","type":"string","jsonPath":".spec.provider"}"#,
    printcolumn = r#"{"name":"REGION","type":"string","jsonPath":".spec.regionId"}"#,
    printcolumn = r#"{"name":"READY","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"AGE","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct ProviderConfigSpec {
    /// The cloud. `Aliyun` is Alibaba Cloud ApsaraDB for MongoDB, `Atlas` is MongoDB Atlas.
    #[serde(default)]
    pub provider: CloudProvider,
    /// Atlas only: the project (group) id, 24 hex digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::ATLAS_PROJECT_ID))]
    pub project_id: Option<String>,
    /// Aliyun only: region used when a resource names none, e.g. `cn-hangzhou`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::ALIYUN_REGION_ID), length(max = 64))]
    pub region_id: Option<String>,
    /// API endpoint instead of the cloud's, e.g. a private endpoint or the local emulator
    /// (`http://127.0.0.1:9780` for Aliyun, `http://127.0.0.1:9780/api/atlas/v2` for Atlas).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = patterns::ENDPOINT), length(max = 2048))]
    pub endpoint: Option<String>,
    /// Where the credentials are.
    pub credentials: Credentials,
    /// Most cloud requests per second for this account. Default: the operator's
    /// `--cloud-rate-limit` (10) for Aliyun, 100 a minute for an Atlas project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1000))]
    pub requests_per_second: Option<u32>,
    /// Namespaces whose resources may use this account. Absent: every namespace (a
    /// ProviderConfig is cluster-scoped). Present: a namespace listed in `names` or matching
    /// `namespaceSelector`; `{}` allows none. A resource elsewhere gets `Synced=False`
    /// (`ProviderConfigNotAllowed`) and makes no cloud call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_namespaces: Option<AllowedNamespaces>,
}

/// The namespaces allowed to use a ProviderConfig: by name, by label, or both (either suffices).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AllowedNamespaces {
    /// Namespaces allowed by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(
        length(max = 1000),
        inner(regex(pattern = patterns::DNS1123_LABEL), length(min = 1, max = 63)),
        extend("x-kubernetes-list-type" = "set")
    )]
    pub names: Vec<String>,
    /// Namespaces allowed by their labels (`matchLabels`, `matchExpressions`), e.g.
    /// `matchLabels: {mongocloud.dev/tenant: payments}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<LabelSelector>,
}

/// Supported clouds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum CloudProvider {
    #[default]
    Aliyun,
    Atlas,
}

/// Credentials held in a Secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Credentials {
    /// A Secret with the keys `accessKeyId` and `accessKeySecret` (Aliyun); for Atlas
    /// `publicKey` and `privateKey` (a programmatic API key) or `clientId` and `clientSecret` (a
    /// service account).
    pub secret_ref: NamespacedSecretReference,
}

/// A Secret anywhere in the cluster.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NamespacedSecretReference {
    #[schemars(length(min = 1, max = 63), regex(pattern = patterns::DNS1123_LABEL))]
    pub namespace: String,
    #[schemars(length(min = 1, max = 253), regex(pattern = patterns::DNS1123_SUBDOMAIN))]
    pub name: String,
}

/// What the operator last saw.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProviderConfigStatus {
    #[serde(default)]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["type"]))]
    pub conditions: Vec<Condition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// While its deletion waits: the resources still using this ProviderConfig (`Kind
    /// namespace/name`, the first 20), which must go or move to another ProviderConfig first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<String>,
    /// How many resources use it, counted while its deletion waits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_count: Option<i64>,
}
