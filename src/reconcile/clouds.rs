//! Which spec fields apply to which cloud. The schema cannot say it (the cloud is chosen by the
//! ProviderConfig), so a field that does not apply is refused here, by name, before any cloud
//! call — never silently ignored.

use super::Invalid;
use crate::api::auditlogfilter::{AuditCategory, AuditLogFilterSpec};
use crate::api::dbinstance::{
    ChargeType, DBInstanceSpec, EngineVersion, StorageEngine, StorageType,
};
use crate::api::dbinstance_changes::SrvAddress;
use crate::cloud::Cloud;

const FP: &str = "spec.forProvider";

/// The DBInstance rules of one cloud. `name` is the object's name (the default Atlas cluster
/// name).
pub fn check_dbinstance(spec: &DBInstanceSpec, name: &str, cloud: Cloud) -> Result<(), Invalid> {
    match cloud {
        Cloud::Aliyun => check_aliyun(spec)?,
        Cloud::Atlas => check_atlas(spec, name)?,
    }
    super::dbinstance_sharding::check_cloud(&spec.for_provider, cloud)?;
    super::dbinstance_backup::check(&spec.for_provider, cloud)?;
    super::dbinstance_restore::check(&spec.for_provider, cloud)
}

fn check_aliyun(spec: &DBInstanceSpec) -> Result<(), Invalid> {
    let p = &spec.for_provider;
    if p.atlas.is_some() {
        return Err(Invalid::new(
            format!("{FP}.atlas"),
            "applies only to Atlas ProviderConfigs; remove it for Aliyun",
        ));
    }
    if !p.region_id.contains('-') {
        return Err(Invalid::new(
            format!("{FP}.regionId"),
            format!(
                "must be an Aliyun region such as cn-hangzhou (is {:?})",
                p.region_id
            ),
        ));
    }
    if let Some(class) = p.instance_class.as_deref().filter(|c| !c.contains('.')) {
        return Err(Invalid::new(
            format!("{FP}.instanceClass"),
            format!("must be an Aliyun instance class such as dds.mongo.mid (is {class:?})"),
        ));
    }
    if p.srv_address == Some(SrvAddress::Enabled) && p.storage_type == Some(StorageType::LocalSsd) {
        return Err(Invalid::new(
            format!("{FP}.srvAddress"),
            "needs a cloud-disk instance: the cloud offers SRV addresses only on cloud_essd and cloud_auto disks, not local_ssd (remove srvAddress, or choose a cloud disk)",
        ));
    }
    Ok(())
}

fn check_atlas(spec: &DBInstanceSpec, name: &str) -> Result<(), Invalid> {
    let p = &spec.for_provider;
    let aliyun_only = [
        ("instanceId", p.instance_id.is_some()),
        ("zoneId", p.zone_id.is_some()),
        ("storageType", p.storage_type.is_some()),
        (
            "storageEngine",
            p.storage_engine != StorageEngine::WiredTiger,
        ),
        ("chargeType", p.charge_type != ChargeType::PostPaid),
        ("period", p.period.is_some()),
        ("vpcId", p.vpc_id.is_some()),
        ("vSwitchId", p.v_switch_id.is_some()),
        ("description", p.description.is_some()),
        ("maintenanceWindow", p.maintenance_window.is_some()),
        ("ssl", p.ssl.is_some()),
        ("tde", p.tde.is_some()),
        ("parameters", !p.parameters.is_empty()),
        ("publicAddress", p.public_address.is_some()),
        ("srvAddress", p.srv_address.is_some()),
        ("resourceGroupId", p.resource_group_id.is_some()),
        (
            "accountPasswordSecretRef",
            p.account_password_secret_ref.is_some(),
        ),
    ];
    if let Some((field, _)) = aliyun_only.iter().find(|(_, set)| *set) {
        let allowed = match *field {
            "storageEngine" => "; Atlas runs only WiredTiger",
            "chargeType" => "; Atlas bills only PostPaid",
            _ => "",
        };
        return Err(Invalid::new(
            format!("{FP}.{field}"),
            format!("does not apply to Atlas ProviderConfigs{allowed}; remove it"),
        ));
    }
    if spec.operations.is_some() {
        return Err(Invalid::new(
            "spec.operations",
            "restart, upgradeKernel and rotateSslCertificate are Aliyun operations; remove them for Atlas",
        ));
    }
    if p.region_id.contains('-') || p.region_id.chars().any(|c| c.is_ascii_lowercase()) {
        return Err(Invalid::new(
            format!("{FP}.regionId"),
            format!(
                "must be an Atlas region name such as US_EAST_1 (is {:?})",
                p.region_id
            ),
        ));
    }
    let size = p.instance_class.as_deref().unwrap_or_default();
    if size.contains('.') {
        return Err(Invalid::new(
            format!("{FP}.instanceClass"),
            format!("must be an Atlas instance size such as M10 (is {size:?})"),
        ));
    }
    if matches!(size, "M0" | "M2" | "M5") {
        return Err(Invalid::new(
            format!("{FP}.instanceClass"),
            format!(
                "{size} is a shared (free or Flex) tier that the Atlas cluster API does not manage; use M10 or larger"
            ),
        ));
    }
    if p.engine_version < EngineVersion::V6_0 {
        return Err(Invalid::new(
            format!("{FP}.engineVersion"),
            format!(
                "Atlas creates MongoDB 6.0 and later (is {})",
                p.engine_version.as_str()
            ),
        ));
    }
    super::dbinstance_inplace::check_scaling(p)?;
    let cluster = cluster_name(spec, name);
    if !cluster
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-')
        || cluster.len() > 64
    {
        return Err(Invalid::new(
            format!("{FP}.atlas.clusterName"),
            format!(
                "is needed: the object's name {name:?} is not a valid Atlas cluster name (letters, digits and -, at most 64)"
            ),
        ));
    }
    Ok(())
}

/// The Atlas cluster a DBInstance manages: `atlas.clusterName`, else the object's name.
pub fn cluster_name(spec: &DBInstanceSpec, name: &str) -> String {
    spec.for_provider
        .atlas
        .as_ref()
        .and_then(|a| a.cluster_name.clone())
        .unwrap_or_else(|| name.to_owned())
}

/// An Atlas access list has no groups: a SecurityIpList owns the entries whose comment carries
/// its UID, so neither a group name nor a group attribute applies.
pub fn check_ip_group(has_name: bool, has_attribute: bool, cloud: Cloud) -> Result<(), Invalid> {
    let field = match (cloud, has_name, has_attribute) {
        (Cloud::Atlas, true, _) => "groupName",
        (Cloud::Atlas, _, true) => "groupAttribute",
        _ => return Ok(()),
    };
    Err(Invalid::new(
        format!("spec.forProvider.{field}"),
        "does not apply to Atlas ProviderConfigs (the project access list has no groups; entries carry this resource's UID in their comment); remove it",
    ))
}

/// `atlas.comment` of a SecurityIpList: Atlas only, and never the prefix that marks the entries
/// of UID-owned lists (taking those over would take another resource's entries).
pub fn check_access_list_comment(comment: Option<&str>, cloud: Cloud) -> Result<(), Invalid> {
    const FIELD: &str = "spec.forProvider.atlas";
    let prefix = crate::cloud::atlas::access_list::OWNER_PREFIX;
    match (cloud, comment) {
        (Cloud::Aliyun, Some(_)) => Err(Invalid::new(
            FIELD,
            "applies only to Atlas ProviderConfigs; remove it for Aliyun",
        )),
        (Cloud::Atlas, Some(c)) if c.starts_with(prefix) => Err(Invalid::new(
            format!("{FIELD}.comment"),
            format!(
                "must not start with {prefix} (that marks entries owned by other SecurityIpLists)"
            ),
        )),
        _ => Ok(()),
    }
}

/// AuditLogFilter fields of one cloud: Atlas has no retention setting and no `slow` events;
/// a filter document is Atlas' alone.
pub fn check_audit(spec: &AuditLogFilterSpec, cloud: Cloud) -> Result<(), Invalid> {
    let p = &spec.for_provider;
    check_target(p.instance.db_instance_id.as_deref(), cloud)?;
    match cloud {
        Cloud::Aliyun if p.atlas.is_some() => Err(Invalid::new(
            "spec.forProvider.atlas",
            "applies only to Atlas ProviderConfigs; remove it for Aliyun",
        )),
        Cloud::Atlas if p.storage_period_days.is_some() => Err(Invalid::new(
            "spec.forProvider.storagePeriodDays",
            "does not apply to Atlas ProviderConfigs (Atlas keeps audit logs itself); remove it",
        )),
        Cloud::Atlas if p.filter.contains(&AuditCategory::Slow) => Err(Invalid::new(
            "spec.forProvider.filter",
            "slow has no Atlas audit event (slow operations are in the Atlas profiler); use admin, query, insert, update, delete or command",
        )),
        _ => Ok(()),
    }
}

/// Sub-resources name Atlas clusters through a DBInstance: `dbInstanceId` holds Aliyun ids.
pub fn check_target(db_instance_id: Option<&str>, cloud: Cloud) -> Result<(), Invalid> {
    match (cloud, db_instance_id) {
        (Cloud::Atlas, Some(_)) => Err(Invalid::new(
            "spec.forProvider.dbInstanceId",
            "holds Aliyun instance ids; with Atlas name the cluster through dbInstanceRef",
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::dbinstance::AtlasClusterParameters;

    fn spec(fp: serde_json::Value) -> DBInstanceSpec {
        let mut base = serde_json::json!({
            "regionId": "US_EAST_1", "engineVersion": "7.0", "instanceClass": "M10",
            "storageGB": 10
        });
        if let (Some(base), Some(extra)) = (base.as_object_mut(), fp.as_object()) {
            base.extend(extra.clone());
        }
        serde_json::from_value(serde_json::json!({"forProvider": base})).expect("spec")
    }

    fn field(result: Result<(), Invalid>) -> String {
        result.expect_err("refused").field
    }

    #[test]
    fn an_atlas_spec_with_shared_fields_only_passes() {
        assert_eq!(
            check_dbinstance(&spec(serde_json::json!({})), "orders", Cloud::Atlas),
            Ok(())
        );
        let with_block =
            spec(serde_json::json!({"atlas": {"clusterName": "orders-1", "providerName": "GCP"}}));
        assert_eq!(check_dbinstance(&with_block, "x.y", Cloud::Atlas), Ok(()));
    }

    #[test]
    fn every_aliyun_only_field_is_refused_for_atlas_by_name() {
        let cases = [
            (
                serde_json::json!({"instanceId": "dds-bp1234567890"}),
                "instanceId",
            ),
            (serde_json::json!({"zoneId": "cn-hangzhou-h"}), "zoneId"),
            (
                serde_json::json!({"storageType": "cloud_essd1"}),
                "storageType",
            ),
            (
                serde_json::json!({"storageEngine": "RocksDB"}),
                "storageEngine",
            ),
            (serde_json::json!({"chargeType": "PrePaid"}), "chargeType"),
            (serde_json::json!({"period": 1}), "period"),
            (serde_json::json!({"vpcId": "vpc-1"}), "vpcId"),
            (serde_json::json!({"vSwitchId": "vsw-1"}), "vSwitchId"),
            (serde_json::json!({"description": "orders"}), "description"),
            (
                serde_json::json!({"maintenanceWindow": {"startTime": "02:00Z", "endTime": "03:00Z"}}),
                "maintenanceWindow",
            ),
            (serde_json::json!({"ssl": "Enabled"}), "ssl"),
            (serde_json::json!({"tde": "Enabled"}), "tde"),
            (
                serde_json::json!({"publicAddress": "Enabled"}),
                "publicAddress",
            ),
            (serde_json::json!({"srvAddress": "Enabled"}), "srvAddress"),
            (
                serde_json::json!({"parameters": {"operationProfiling.mode": "slowOp"}}),
                "parameters",
            ),
            (
                serde_json::json!({"resourceGroupId": "rg-1"}),
                "resourceGroupId",
            ),
            (
                serde_json::json!({"accountPasswordSecretRef": {"name": "s", "key": "k"}}),
                "accountPasswordSecretRef",
            ),
        ];
        for (extra, name) in cases {
            let invalid = check_dbinstance(&spec(extra), "orders", Cloud::Atlas).expect_err(name);
            assert_eq!(invalid.field, format!("spec.forProvider.{name}"));
            assert!(invalid.message.contains("Atlas"), "{}", invalid.message);
        }
    }

    #[test]
    fn atlas_values_are_checked() {
        let cases = [
            (
                serde_json::json!({"regionId": "us-east-1"}),
                "spec.forProvider.regionId",
            ),
            (
                serde_json::json!({"instanceClass": "dds.mongo.mid"}),
                "spec.forProvider.instanceClass",
            ),
            (
                serde_json::json!({"instanceClass": "M0"}),
                "spec.forProvider.instanceClass",
            ),
            (
                serde_json::json!({"engineVersion": "5.0"}),
                "spec.forProvider.engineVersion",
            ),
        ];
        for (extra, expected) in cases {
            assert_eq!(
                field(check_dbinstance(
                    &spec(extra.clone()),
                    "orders",
                    Cloud::Atlas
                )),
                expected,
                "{extra}"
            );
        }
        assert_eq!(
            field(check_dbinstance(
                &spec(serde_json::json!({})),
                "orders.v1",
                Cloud::Atlas
            )),
            "spec.forProvider.atlas.clusterName"
        );
        let mut ops = spec(serde_json::json!({}));
        ops.operations = Some(Default::default());
        assert_eq!(
            field(check_dbinstance(&ops, "orders", Cloud::Atlas)),
            "spec.operations"
        );
    }

    #[test]
    fn aliyun_refuses_the_atlas_block_and_atlas_spellings() {
        let aliyun = |extra: serde_json::Value| {
            let mut fp =
                serde_json::json!({"regionId": "cn-hangzhou", "instanceClass": "dds.mongo.mid"});
            if let (Some(fp), Some(extra)) = (fp.as_object_mut(), extra.as_object()) {
                fp.extend(extra.clone());
            }
            check_dbinstance(&spec(fp), "orders", Cloud::Aliyun)
        };
        assert_eq!(aliyun(serde_json::json!({})), Ok(()));
        assert_eq!(
            field(aliyun(serde_json::json!({"atlas": {}}))),
            "spec.forProvider.atlas"
        );
        assert_eq!(
            field(aliyun(serde_json::json!({"regionId": "EU_WEST_1"}))),
            "spec.forProvider.regionId"
        );
        assert_eq!(
            field(aliyun(serde_json::json!({"instanceClass": "M30"}))),
            "spec.forProvider.instanceClass"
        );
        assert_eq!(
            field(aliyun(
                serde_json::json!({"srvAddress": "Enabled", "storageType": "local_ssd"})
            )),
            "spec.forProvider.srvAddress"
        );
        assert_eq!(
            aliyun(serde_json::json!({"srvAddress": "Enabled", "storageType": "cloud_essd1"})),
            Ok(())
        );
        assert_eq!(
            aliyun(serde_json::json!({"srvAddress": "Disabled", "storageType": "local_ssd"})),
            Ok(())
        );
    }

    #[test]
    fn the_cluster_name_defaults_to_the_object_name() {
        let mut s = spec(serde_json::json!({}));
        assert_eq!(cluster_name(&s, "orders"), "orders");
        s.for_provider.atlas = Some(AtlasClusterParameters {
            cluster_name: Some("orders-prod".into()),
            ..AtlasClusterParameters::default()
        });
        assert_eq!(cluster_name(&s, "orders"), "orders-prod");
    }

    #[test]
    fn sub_resources_name_atlas_clusters_by_reference() {
        assert_eq!(check_target(None, Cloud::Atlas), Ok(()));
        assert_eq!(check_target(Some("dds-bp1"), Cloud::Aliyun), Ok(()));
        assert_eq!(
            field(check_target(Some("dds-bp1"), Cloud::Atlas)),
            "spec.forProvider.dbInstanceId"
        );
    }

    #[test]
    fn atlas_ip_lists_have_no_group_name_or_attribute() {
        assert_eq!(check_ip_group(false, false, Cloud::Atlas), Ok(()));
        assert_eq!(
            field(check_ip_group(true, false, Cloud::Atlas)),
            "spec.forProvider.groupName"
        );
        assert_eq!(
            field(check_ip_group(false, true, Cloud::Atlas)),
            "spec.forProvider.groupAttribute"
        );
        assert_eq!(check_ip_group(true, true, Cloud::Aliyun), Ok(()));
    }

    #[test]
    fn an_access_list_comment_is_atlas_only_and_never_a_uid_mark() {
        assert_eq!(check_access_list_comment(None, Cloud::Aliyun), Ok(()));
        assert_eq!(
            check_access_list_comment(Some("office"), Cloud::Atlas),
            Ok(())
        );
        assert_eq!(
            field(check_access_list_comment(Some("office"), Cloud::Aliyun)),
            "spec.forProvider.atlas"
        );
        assert_eq!(
            field(check_access_list_comment(
                Some("mongocloud:0b6c"),
                Cloud::Atlas
            )),
            "spec.forProvider.atlas.comment"
        );
    }

    #[test]
    fn audit_fields_follow_the_cloud() {
        let audit = |fp: serde_json::Value| -> AuditLogFilterSpec {
            serde_json::from_value(serde_json::json!({"forProvider": fp})).expect("spec")
        };
        let categories = audit(
            serde_json::json!({"dbInstanceRef": {"name": "db"}, "filter": ["admin", "insert"]}),
        );
        assert_eq!(check_audit(&categories, Cloud::Atlas), Ok(()));
        assert_eq!(check_audit(&categories, Cloud::Aliyun), Ok(()));
        let slow = audit(serde_json::json!({"dbInstanceRef": {"name": "db"}, "filter": ["slow"]}));
        assert_eq!(
            field(check_audit(&slow, Cloud::Atlas)),
            "spec.forProvider.filter"
        );
        let days = audit(
            serde_json::json!({"dbInstanceRef": {"name": "db"}, "filter": ["admin"], "storagePeriodDays": 30}),
        );
        assert_eq!(
            field(check_audit(&days, Cloud::Atlas)),
            "spec.forProvider.storagePeriodDays"
        );
        let raw = audit(
            serde_json::json!({"dbInstanceRef": {"name": "db"}, "atlas": {"auditFilter": "{}"}}),
        );
        assert_eq!(check_audit(&raw, Cloud::Atlas), Ok(()));
        assert_eq!(
            field(check_audit(&raw, Cloud::Aliyun)),
            "spec.forProvider.atlas"
        );
        let by_id = audit(serde_json::json!({"dbInstanceId": "dds-bp1234", "filter": ["admin"]}));
        assert_eq!(
            field(check_audit(&by_id, Cloud::Atlas)),
            "spec.forProvider.dbInstanceId"
        );
    }
}
