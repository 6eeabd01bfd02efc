//! The Dds actions behind each [`Provider`] operation.

use async_trait::async_trait;
use serde_json::Value;

use super::client::{AliyunClient, Params};
use super::wire::{self, list, text};
use crate::cloud::*;

fn params<const N: usize>(pairs: [(&str, &str); N]) -> Params {
    pairs
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// Adds `Tag.N.Key`/`Tag.N.Value`, 1-based as the cloud flattens lists.
fn add_tags<'a>(p: &mut Params, tags: impl IntoIterator<Item = (&'a String, &'a String)>) {
    for (n, (key, value)) in tags.into_iter().enumerate() {
        p.insert(format!("Tag.{}.Key", n + 1), key.clone());
        p.insert(format!("Tag.{}.Value", n + 1), value.clone());
    }
}

fn set_opt<T: ToString>(p: &mut Params, key: &str, value: Option<T>) {
    if let Some(value) = value {
        p.insert(key.to_owned(), value.to_string());
    }
}

fn required_text(action: &'static str, v: &Value, key: &str) -> Result<String, CloudError> {
    text(v, key).ok_or_else(|| CloudError {
        action,
        class: ErrorClass::Transient,
        code: "InvalidResponse".to_owned(),
        message: format!("the answer has no {key}"),
        request_id: text(v, "RequestId").unwrap_or_default(),
        source: None,
    })
}

impl AliyunClient {
    /// ListTagResources: `(instance id, key, value)` for the given instances of a region.
    pub async fn list_tag_resources(
        &self,
        region: &str,
        ids: &[String],
    ) -> Result<Vec<(String, String, String)>, CloudError> {
        let mut p = params([("RegionId", region), ("ResourceType", "INSTANCE")]);
        for (n, id) in ids.iter().enumerate() {
            p.insert(format!("ResourceId.{}", n + 1), id.clone());
        }
        let v = self.call("ListTagResources", region, p).await?;
        Ok(list(&v, "TagResources", "TagResource")
            .into_iter()
            .filter_map(|t| {
                Some((
                    text(t, "ResourceId")?,
                    text(t, "TagKey")?,
                    text(t, "TagValue").unwrap_or_default(),
                ))
            })
            .collect())
    }
}

#[async_trait]
impl Provider for AliyunClient {
    fn cloud(&self) -> Cloud {
        Cloud::Aliyun
    }

    async fn has_spare_budget(&self) -> bool {
        self.limit.has_spare().await
    }

    async fn check_credentials(&self) -> Result<(), CloudError> {
        self.call("DescribeRegions", "", Params::new())
            .await
            .map(drop)
    }

    async fn list_instances(&self, q: &ListInstances) -> Result<InstancePage, CloudError> {
        let mut p = params([("RegionId", q.region.as_str())]);
        p.insert("PageNumber".to_owned(), q.page_number.max(1).to_string());
        p.insert(
            "PageSize".to_owned(),
            q.page_size.clamp(30, 100).to_string(),
        );
        if let Some((key, value)) = &q.tag {
            add_tags(&mut p, [(key, value)]);
        }
        let v = self.call("DescribeDBInstances", &q.region, p).await?;
        let number = |key| {
            wire::int(&v, key)
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(0)
        };
        Ok(InstancePage {
            instances: list(&v, "DBInstances", "DBInstance")
                .into_iter()
                .map(wire::instance)
                .collect(),
            total_count: number("TotalCount"),
            page_number: number("PageNumber"),
            page_size: number("PageSize"),
        })
    }

    async fn describe_instances(&self, ids: &[String]) -> Result<Vec<Instance>, CloudError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let joined = ids.join(",");
        match self
            .call(
                "DescribeDBInstanceAttribute",
                "",
                params([("DBInstanceId", joined.as_str())]),
            )
            .await
        {
            Ok(v) => Ok(list(&v, "DBInstances", "DBInstance")
                .into_iter()
                .map(wire::instance)
                .collect()),
            // The cloud answers NotFound when none of the ids exists.
            Err(e) if e.class == ErrorClass::NotFound => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    async fn create_instance(&self, r: &CreateInstance) -> Result<String, CloudError> {
        let mut p = params([
            ("RegionId", r.region.as_str()),
            ("Engine", "MongoDB"),
            ("EngineVersion", r.engine_version.as_str()),
            ("ChargeType", r.charge_type.as_str()),
            ("ClientToken", r.client_token.as_str()),
        ]);
        let action = match &r.sharding {
            Some(sharded) => {
                add_sharded_nodes(&mut p, sharded);
                "CreateShardingDBInstance"
            }
            None => {
                p.insert("DBInstanceClass".to_owned(), r.instance_class.clone());
                p.insert("DBInstanceStorage".to_owned(), r.storage_gb.to_string());
                p.insert(
                    "ReplicationFactor".to_owned(),
                    r.replication_factor.to_string(),
                );
                set_opt(&mut p, "ReadonlyReplicas", r.readonly_replicas);
                "CreateDBInstance"
            }
        };
        set_opt(&mut p, "ZoneId", r.zone.as_ref());
        set_opt(&mut p, "StorageEngine", r.storage_engine.as_ref());
        set_opt(&mut p, "StorageType", r.storage_type.as_ref());
        set_opt(&mut p, "Period", r.period);
        set_opt(&mut p, "VpcId", r.vpc_id.as_ref());
        set_opt(&mut p, "VSwitchId", r.vswitch_id.as_ref());
        set_opt(&mut p, "DBInstanceDescription", r.description.as_ref());
        set_opt(&mut p, "ResourceGroupId", r.resource_group_id.as_ref());
        set_opt(
            &mut p,
            "AccountPassword",
            r.password.as_ref().map(|s| s.expose()),
        );
        if r.vpc_id.is_some() {
            p.insert("NetworkType".to_owned(), "VPC".to_owned());
        }
        if let Some(restore) = &r.restore {
            p.insert("SrcDBInstanceId".to_owned(), restore.source_id.clone());
            set_opt(&mut p, "BackupId", restore.backup_id.as_ref());
            set_opt(
                &mut p,
                "RestoreTime",
                restore.restore_time.as_deref().map(dds_time),
            );
        }
        add_tags(&mut p, &r.tags);
        let v = self.call(action, &r.region, p).await?;
        required_text(action, &v, "DBInstanceId")
    }

    async fn delete_instance(&self, id: &str) -> Result<(), CloudError> {
        self.call("DeleteDBInstance", "", params([("DBInstanceId", id)]))
            .await
            .map(drop)
    }

    async fn modify_instance(&self, id: &str, change: &InstanceChange) -> Result<(), CloudError> {
        let mut p = params([("DBInstanceId", id)]);
        let action = match change {
            InstanceChange::Spec {
                instance_class,
                storage_gb,
            } => {
                set_opt(&mut p, "DBInstanceClass", instance_class.as_ref());
                set_opt(&mut p, "DBInstanceStorage", *storage_gb);
                "ModifyDBInstanceSpec"
            }
            InstanceChange::Description(d) => {
                p.insert("DBInstanceDescription".to_owned(), d.clone());
                "ModifyDBInstanceDescription"
            }
            InstanceChange::MaintainTime { start, end } => {
                p.insert("MaintainStartTime".to_owned(), start.clone());
                p.insert("MaintainEndTime".to_owned(), end.clone());
                "ModifyDBInstanceMaintainTime"
            }
            InstanceChange::Ssl(action) => {
                p.insert("SSLAction".to_owned(), format!("{action:?}"));
                "ModifyDBInstanceSSL"
            }
            InstanceChange::Restart { node_id } => {
                set_opt(&mut p, "NodeId", node_id.as_ref());
                "RestartDBInstance"
            }
            InstanceChange::UpgradeKernel => "UpgradeDBInstanceKernelVersion",
            InstanceChange::DeletionProtection(on) => {
                p.insert("DBInstanceReleaseProtection".to_owned(), on.to_string());
                "ModifyDBInstanceAttribute"
            }
            InstanceChange::Nodes {
                replication_factor,
                readonly_replicas,
            } => {
                set_opt(&mut p, "ReplicationFactor", *replication_factor);
                set_opt(&mut p, "ReadonlyReplicas", *readonly_replicas);
                "ModifyDBInstanceSpec"
            }
            InstanceChange::EngineVersion(version) => {
                p.insert("EngineVersion".to_owned(), version.clone());
                "UpgradeDBInstanceEngineVersion"
            }
            InstanceChange::EnableTde => {
                p.insert("TDEStatus".to_owned(), "enabled".to_owned());
                "ModifyDBInstanceTDE"
            }
            InstanceChange::StorageType(disk) => {
                p.insert("DbInstanceStorageType".to_owned(), disk.clone());
                "ModifyDBInstanceDiskType"
            }
            InstanceChange::PublicAddress(true) => "AllocatePublicNetworkAddress",
            InstanceChange::PublicAddress(false) => "ReleasePublicNetworkAddress",
            InstanceChange::SrvAddress(true) => {
                p.insert("SrvConnectionType".to_owned(), "vpc".to_owned());
                "AllocateDBInstanceSrvNetworkAddress"
            }
            InstanceChange::SrvAddress(false) => {
                p.insert("NetworkType".to_owned(), "VPC".to_owned());
                p.insert("ConnectionType".to_owned(), "SRV".to_owned());
                "ReleaseNodePrivateNetworkAddress"
            }
            InstanceChange::Parameters(values) => {
                p.insert(
                    "Parameters".to_owned(),
                    serde_json::to_string(values).unwrap_or_default(),
                );
                "ModifyParameters"
            }
            InstanceChange::AddNode {
                kind,
                class,
                storage_gb,
            } => {
                p.insert("NodeType".to_owned(), kind.as_str().to_owned());
                p.insert("NodeClass".to_owned(), class.clone());
                set_opt(&mut p, "NodeStorage", *storage_gb);
                "CreateNode"
            }
            InstanceChange::RemoveNode { node_id } => {
                p.insert("NodeId".to_owned(), node_id.clone());
                "DeleteNode"
            }
            // The spec check refuses `atlas` for Aliyun, so no plan gets here.
            InstanceChange::AutoScaling(_) => {
                return Err(CloudError {
                    action: "ModifyDBInstanceSpec",
                    class: ErrorClass::Terminal,
                    code: "Unsupported".to_owned(),
                    message: "Dds instances have no autoscaling".to_owned(),
                    request_id: String::new(),
                    source: None,
                });
            }
        };
        self.call(action, "", p).await.map(drop)
    }

    async fn tag_instance(
        &self,
        region: &str,
        id: &str,
        tags: &[(String, String)],
    ) -> Result<(), CloudError> {
        let mut p = params([
            ("RegionId", region),
            ("ResourceType", "INSTANCE"),
            ("ResourceId.1", id),
        ]);
        add_tags(&mut p, tags.iter().map(|(k, v)| (k, v)));
        self.call("TagResources", region, p).await.map(drop)
    }

    async fn describe_ssl(&self, id: &str) -> Result<SslState, CloudError> {
        let v = self
            .call("DescribeDBInstanceSSL", "", params([("DBInstanceId", id)]))
            .await?;
        Ok(SslState {
            status: text(&v, "SSLStatus").unwrap_or_else(|| "Closed".to_owned()),
            expire_time: text(&v, "SSLExpiredTime"),
        })
    }

    async fn describe_tde(&self, id: &str) -> Result<Option<bool>, CloudError> {
        let v = self
            .call(
                "DescribeDBInstanceTDEInfo",
                "",
                params([("DBInstanceId", id)]),
            )
            .await?;
        Ok(Some(
            text(&v, "TDEStatus").is_some_and(|s| s.eq_ignore_ascii_case("enabled")),
        ))
    }

    async fn describe_srv_address(&self, id: &str) -> Result<Option<String>, CloudError> {
        let v = self
            .call(
                "DescribeAllNetworkAddress",
                "",
                params([("DBInstanceId", id)]),
            )
            .await?;
        Ok(text(&v, "PrivateSrvConnectionStringUri")
            .filter(|uri| !uri.is_empty())
            .map(|uri| srv_uri(&uri)))
    }

    /// A parameter is pending a restart when its configured value is not the running one.
    async fn describe_parameters(
        &self,
        id: &str,
    ) -> Result<Option<crate::cloud::InstanceParameters>, CloudError> {
        let v = self
            .call("DescribeParameters", "", params([("DBInstanceId", id)]))
            .await?;
        let values = |group: &str| -> std::collections::BTreeMap<String, String> {
            list(&v, group, "Parameter")
                .iter()
                .filter_map(|p| Some((text(p, "ParameterName")?, text(p, "ParameterValue")?)))
                .collect()
        };
        let (config, running) = (values("ConfigParameters"), values("RunningParameters"));
        let pending_restart = config
            .iter()
            .filter(|(name, value)| running.get(*name) != Some(*value))
            .map(|(name, _)| name.clone())
            .collect();
        Ok(Some(crate::cloud::InstanceParameters {
            config,
            pending_restart,
        }))
    }

    async fn describe_security_ips(&self, id: &str) -> Result<Vec<SecurityIpGroup>, CloudError> {
        let v = self
            .call("DescribeSecurityIps", "", params([("DBInstanceId", id)]))
            .await?;
        Ok(list(&v, "SecurityIpGroups", "SecurityIpGroup")
            .into_iter()
            .map(wire::security_ip_group)
            .collect())
    }

    async fn cover_security_ips(
        &self,
        id: &str,
        group: &SecurityIpGroup,
    ) -> Result<(), CloudError> {
        let ips = group.ips.join(",");
        let mut p = params([
            ("DBInstanceId", id),
            ("ModifyMode", "Cover"),
            ("SecurityIpGroupName", group.name.as_str()),
            ("SecurityIps", ips.as_str()),
        ]);
        set_opt(&mut p, "SecurityIpGroupAttribute", group.attribute.as_ref());
        self.call("ModifySecurityIps", "", p).await.map(drop)
    }

    /// The cloud removes a group when its last IP is deleted (ModifySecurityIps `Delete`).
    async fn delete_security_ip_group(&self, id: &str, group_name: &str) -> Result<(), CloudError> {
        let groups = self.describe_security_ips(id).await?;
        let Some(group) = groups.into_iter().find(|g| g.name == group_name) else {
            return Ok(());
        };
        if group.ips.is_empty() {
            return Ok(());
        }
        let ips = group.ips.join(",");
        let p = params([
            ("DBInstanceId", id),
            ("ModifyMode", "Delete"),
            ("SecurityIpGroupName", group_name),
            ("SecurityIps", ips.as_str()),
        ]);
        self.call("ModifySecurityIps", "", p).await.map(drop)
    }

    async fn describe_audit(&self, id: &str) -> Result<AuditSettings, CloudError> {
        let policy = self
            .call("DescribeAuditPolicy", "", params([("DBInstanceId", id)]))
            .await?;
        let filter = self
            .call(
                "DescribeAuditLogFilter",
                "",
                params([("DBInstanceId", id), ("RoleType", "db")]),
            )
            .await?;
        let config = self
            .call(
                "DescribeMongoDBLogConfig",
                "",
                params([("DBInstanceId", id)]),
            )
            .await?;
        Ok(AuditSettings {
            enabled: text(&policy, "LogAuditStatus")
                .is_some_and(|s| s.eq_ignore_ascii_case("enable")),
            filter: text(&filter, "Filter")
                .map(|f| {
                    f.split(',')
                        .map(|c| c.trim().to_owned())
                        .filter(|c| !c.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            storage_period_days: wire::int(&config, "TtlForStandard")
                .and_then(|n| i32::try_from(n).ok()),
            ..AuditSettings::default()
        })
    }

    async fn modify_audit(&self, id: &str, change: &AuditChange) -> Result<(), CloudError> {
        match change {
            AuditChange::Policy {
                enabled,
                storage_period_days,
            } => {
                let mut p = params([
                    ("DBInstanceId", id),
                    ("AuditStatus", if *enabled { "enable" } else { "disabled" }),
                ]);
                set_opt(&mut p, "StoragePeriod", *storage_period_days);
                self.call("ModifyAuditPolicy", "", p).await.map(drop)
            }
            AuditChange::Filter(filter) => {
                let joined = filter.join(",");
                self.call(
                    "ModifyAuditLogFilter",
                    "",
                    params([
                        ("DBInstanceId", id),
                        ("Filter", joined.as_str()),
                        ("RoleType", "db"),
                    ]),
                )
                .await
                .map(drop)
            }
            AuditChange::Raw { .. } => Err(CloudError {
                action: "ModifyAuditLogFilter",
                class: ErrorClass::Terminal,
                code: "Unsupported".to_owned(),
                message: "ApsaraDB for MongoDB takes audit categories, not a filter document"
                    .to_owned(),
                request_id: String::new(),
                source: None,
            }),
        }
    }

    /// CreateBackup has no description or tag: the owner is not recorded.
    async fn create_backup(
        &self,
        id: &str,
        method: &str,
        _owner: &str,
    ) -> Result<String, CloudError> {
        let v = self
            .call(
                "CreateBackup",
                "",
                params([("DBInstanceId", id), ("BackupMethod", method)]),
            )
            .await?;
        required_text("CreateBackup", &v, "BackupId")
    }

    async fn delete_backup(&self, id: &str, backup_id: &str) -> Result<(), CloudError> {
        self.call(
            "DeleteBackup",
            "",
            params([("DBInstanceId", id), ("BackupId", backup_id)]),
        )
        .await
        .map(drop)
    }

    async fn describe_backups(
        &self,
        id: &str,
        backup_id: Option<&str>,
    ) -> Result<Vec<BackupInfo>, CloudError> {
        let mut p = params([("DBInstanceId", id), ("PageSize", "100")]);
        set_opt(&mut p, "BackupId", backup_id);
        let v = self.call("DescribeBackups", "", p).await?;
        Ok(list(&v, "Backups", "Backup")
            .into_iter()
            .map(wire::backup)
            .collect())
    }

    async fn describe_user(&self, id: &str, username: &str) -> Result<Option<DbUser>, CloudError> {
        self.describe_account(id, username).await
    }

    async fn create_user(&self, _id: &str, _user: &NewDbUser) -> Result<(), CloudError> {
        self.create_account()
    }

    async fn update_user(
        &self,
        id: &str,
        username: &str,
        settings: &UserSettings,
    ) -> Result<(), CloudError> {
        self.modify_account(id, username, settings).await
    }

    async fn set_user_password(
        &self,
        id: &str,
        username: &str,
        password: &crate::cloud::error::Redacted<String>,
        _labels: Option<&[UserLabel]>,
    ) -> Result<(), CloudError> {
        self.reset_account_password(id, username, password).await
    }

    async fn delete_user(&self, _id: &str, _username: &str) -> Result<(), CloudError> {
        self.delete_account()
    }

    async fn describe_backup_policy(&self, id: &str) -> Result<BackupPolicySettings, CloudError> {
        let v = self
            .call("DescribeBackupPolicy", "", params([("DBInstanceId", id)]))
            .await?;
        Ok(wire::backup_policy(&v))
    }

    async fn modify_backup_policy(
        &self,
        id: &str,
        policy: &BackupPolicySettings,
    ) -> Result<(), CloudError> {
        let mut p = params([("DBInstanceId", id)]);
        set_opt(&mut p, "PreferredBackupTime", policy.window.as_ref());
        if !policy.days.is_empty() {
            p.insert("PreferredBackupPeriod".to_owned(), policy.days.join(","));
        }
        set_opt(&mut p, "BackupRetentionPeriod", policy.retention_days);
        set_opt(&mut p, "EnableBackupLog", policy.log_backup.map(i32::from));
        set_opt(
            &mut p,
            "LogBackupRetentionPeriod",
            policy.log_retention_days,
        );
        set_opt(&mut p, "BackupInterval", policy.interval_minutes);
        set_opt(&mut p, "SnapshotBackupType", policy.snapshot_type.as_ref());
        set_opt(
            &mut p,
            "BackupRetentionPolicyOnClusterDeletion",
            policy.retention_on_deletion,
        );
        self.call("ModifyBackupPolicy", "", p).await.map(drop)
    }

    /// DescribeBackups for the newest successful backup, DescribeInstanceRecoverTime for the
    /// window: two calls.
    async fn describe_restore_window(&self, id: &str) -> Result<RestoreWindow, CloudError> {
        let latest = self
            .describe_backups(id, None)
            .await?
            .into_iter()
            .find(|b| b.status == "Success");
        let v = self
            .call(
                "DescribeInstanceRecoverTime",
                "",
                params([("DBInstanceId", id)]),
            )
            .await?;
        let ranges = list(&v, "RestoreRanges", "RestoreRange");
        Ok(RestoreWindow {
            latest_backup_id: latest.as_ref().map(|b| b.id.clone()),
            latest_backup_time: latest.and_then(|b| b.end_time),
            earliest: ranges
                .iter()
                .filter_map(|r| text(r, "RestoreBeginTime"))
                .min(),
            latest: ranges
                .iter()
                .filter_map(|r| text(r, "RestoreEndTime"))
                .max(),
        })
    }
}

/// CreateShardingDBInstance lists every node: `Mongos.N.Class`, `ReplicaSet.N.Class` and
/// `.Storage` (the shards), `ConfigServer.1.Class` and `.Storage`.
fn add_sharded_nodes(p: &mut Params, s: &ShardedCreate) {
    if let Some((count, class)) = &s.mongos {
        for n in 1..=*count {
            p.insert(format!("Mongos.{n}.Class"), class.clone());
        }
    }
    for n in 1..=s.shard_count {
        p.insert(format!("ReplicaSet.{n}.Class"), s.shard_class.clone());
        p.insert(
            format!("ReplicaSet.{n}.Storage"),
            s.shard_storage_gb.to_string(),
        );
    }
    if let Some((class, gb)) = &s.config_server {
        p.insert("ConfigServer.1.Class".to_owned(), class.clone());
        p.insert("ConfigServer.1.Storage".to_owned(), gb.to_string());
    }
}

/// Dds takes restore times as `yyyy-MM-ddTHH:mm:ssZ` (UTC, no fraction); the spec may carry an
/// offset.
fn dds_time(stamp: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(stamp)
        .map(|t| {
            t.with_timezone(&chrono::Utc)
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string()
        })
        .unwrap_or_else(|_| stamp.to_owned())
}

/// The SRV address as a connection string: the cloud documents it as a URI; a bare host is
/// given the `mongodb+srv://` scheme.
fn srv_uri(published: &str) -> String {
    if published.starts_with("mongodb+srv://") {
        published.to_owned()
    } else {
        format!("mongodb+srv://{published}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_srv_address_is_published_as_a_connection_string() {
        for (published, want) in [
            (
                "mongodb+srv://dds-bp1-srv.mongodb.rds.aliyuncs.com",
                "mongodb+srv://dds-bp1-srv.mongodb.rds.aliyuncs.com",
            ),
            (
                "dds-bp1-srv.mongodb.rds.aliyuncs.com",
                "mongodb+srv://dds-bp1-srv.mongodb.rds.aliyuncs.com",
            ),
        ] {
            assert_eq!(srv_uri(published), want, "{published}");
        }
    }
}
