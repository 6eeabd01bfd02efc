//! DBInstance settings that change in place with their own cloud action (beyond class and
//! storage): data only. Which field changes how, per cloud, is `reconcile::dbinstance_inplace`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Transparent data encryption of a Dds instance. The cloud turns it on (ModifyDBInstanceTDE)
/// but never off, so `Disabled` on an instance that has it is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum TdeMode {
    Enabled,
    Disabled,
}

/// The public (internet) address of a Dds instance (AllocatePublicNetworkAddress /
/// ReleasePublicNetworkAddress). Never opened unless the spec says `Enabled`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum PublicAddress {
    Enabled,
    Disabled,
}

/// The private SRV address of a Dds instance (AllocateDBInstanceSrvNetworkAddress /
/// ReleaseNodePrivateNetworkAddress): one `mongodb+srv://` name that follows the nodes, for
/// cloud-disk instances only. Never allocated unless the spec says `Enabled`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum SrvAddress {
    Enabled,
    Disabled,
}

/// Atlas compute and disk autoscaling (`autoScaling` of the cluster's regions). While it is on,
/// Atlas resizes the cluster itself: `instanceClass` / `storageGB` are where it starts, drift
/// detection leaves the size Atlas chose alone, and `status.atProvider` reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AtlasAutoScaling {
    #[serde(default)]
    pub compute: ComputeAutoScaling,
    #[serde(default, rename = "diskGB")]
    pub disk_gb: DiskAutoScaling,
}

/// Instance size autoscaling between two sizes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ComputeAutoScaling {
    #[serde(default)]
    pub enabled: bool,
    /// Whether Atlas may also scale down (to `minInstanceSize`).
    #[serde(default)]
    pub scale_down_enabled: bool,
    /// Smallest size Atlas may pick, e.g. `M10`; required with `scaleDownEnabled`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = super::patterns::INSTANCE_CLASS), length(max = 64))]
    pub min_instance_size: Option<String>,
    /// Largest size Atlas may pick, e.g. `M40`; required when `enabled`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = super::patterns::INSTANCE_CLASS), length(max = 64))]
    pub max_instance_size: Option<String>,
}

/// Disk autoscaling: Atlas grows the disk when it fills.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DiskAutoScaling {
    #[serde(default)]
    pub enabled: bool,
}

/// What Atlas reports of the autoscaling it runs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AutoScalingObservation {
    pub compute_enabled: bool,
    #[serde(rename = "diskGBEnabled")]
    pub disk_gb_enabled: bool,
    /// The size Atlas runs now, which may differ from `spec.forProvider.instanceClass`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_class: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none", rename = "storageGB")]
    pub storage_gb: Option<i32>,
}
