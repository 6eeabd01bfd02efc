//! Cloud access: the [`Provider`] trait controllers use, the error classes, and one module per
//! cloud. Controllers never build HTTP requests and never match cloud error codes: codes are
//! classified once, here, into [`ErrorClass`].

pub mod aliyun;
pub mod atlas;
pub mod backups;
pub mod error;
pub mod model;
pub mod ratelimit;
pub mod sharding;
pub mod users;

use std::sync::Arc;

use async_trait::async_trait;

pub use backups::*;
pub use error::{CloudError, ErrorClass};
pub use model::*;
pub use sharding::*;
pub use users::*;

/// Told about every cloud call, for metrics. Labels are bounded words.
pub trait CallObserver: Send + Sync {
    fn cloud_call(&self, action: &'static str, outcome: &'static str);

    /// How long a call waited for its account's budget (rate limit or `Retry-After`) before
    /// it could go out.
    fn budget_wait(&self, _cloud: Cloud, _waited: std::time::Duration) {}
}

/// Tells `observer` how long a call of `cloud` waited for its budget.
pub fn report_budget_wait(
    observer: Option<&Arc<dyn CallObserver>>,
    cloud: Cloud,
    waited: std::time::Duration,
) {
    if let Some(observer) = observer {
        observer.budget_wait(cloud, waited);
    }
}

/// How a call ended (`ok` or the error's class), told to `observer` when there is one.
pub fn report<T>(
    observer: Option<&Arc<dyn CallObserver>>,
    action: &'static str,
    result: &Result<T, CloudError>,
) -> &'static str {
    let outcome = result
        .as_ref()
        .map_or_else(|e| e.class.category(), |_| "ok");
    if let Some(observer) = observer {
        observer.cloud_call(action, outcome);
    }
    outcome
}

/// A client for the account described by `settings`.
pub fn connect(
    settings: AccountSettings,
    observer: Arc<dyn CallObserver>,
) -> Result<Arc<dyn Provider>, String> {
    Ok(match settings.cloud {
        Cloud::Aliyun => Arc::new(aliyun::AliyunClient::new(settings, Some(observer))?),
        Cloud::Atlas => Arc::new(atlas::AtlasProvider::new(settings, Some(observer))?),
    })
}

/// One cloud account. Every method is one logical cloud operation; implementations own signing,
/// retries of safe requests, rate limiting and error classification.
#[async_trait]
pub trait Provider: Send + Sync {
    /// The cloud this account is in; decides which spec fields apply.
    fn cloud(&self) -> Cloud;

    /// Whether a call could go out now without waiting for the account's rate limit or a
    /// `Retry-After`; re-checks of settled objects make none when it could not.
    async fn has_spare_budget(&self) -> bool {
        true
    }

    /// A cheap authenticated call that proves the credentials work.
    async fn check_credentials(&self) -> Result<(), CloudError>;

    /// One page (1-based) of the instances of a region, at most `page_size` (≤ 100) a page.
    async fn list_instances(&self, query: &ListInstances) -> Result<InstancePage, CloudError>;

    /// Full attributes of up to 30 instances in one call; ids that do not exist are absent
    /// from the answer (no error).
    async fn describe_instances(&self, ids: &[String]) -> Result<Vec<Instance>, CloudError>;

    /// One instance's full attributes; `None` when it does not exist.
    async fn describe_instance(&self, id: &str) -> Result<Option<Instance>, CloudError> {
        Ok(self
            .describe_instances(&[id.to_owned()])
            .await?
            .into_iter()
            .next())
    }

    /// Creates an instance. Repeating a call with the same `client_token` returns the same id.
    async fn create_instance(&self, request: &CreateInstance) -> Result<String, CloudError>;

    async fn delete_instance(&self, id: &str) -> Result<(), CloudError>;

    async fn modify_instance(&self, id: &str, change: &InstanceChange) -> Result<(), CloudError>;

    /// Replaces the tags of an instance (only the keys given; other keys stay).
    async fn tag_instance(
        &self,
        region: &str,
        id: &str,
        tags: &[(String, String)],
    ) -> Result<(), CloudError>;

    async fn describe_ssl(&self, id: &str) -> Result<SslState, CloudError>;

    /// Whether TDE is on (Dds DescribeDBInstanceTDEInfo); `None` where the cloud has no such
    /// setting (Atlas encrypts at rest at the project level).
    async fn describe_tde(&self, _id: &str) -> Result<Option<bool>, CloudError> {
        Ok(None)
    }

    /// The private SRV address when one is allocated (Dds DescribeAllNetworkAddress); `None`
    /// where there is none, or the cloud publishes it with the instance (Atlas).
    async fn describe_srv_address(&self, _id: &str) -> Result<Option<String>, CloudError> {
        Ok(None)
    }

    /// The instance's parameters (Dds DescribeParameters); `None` where the cloud has none.
    async fn describe_parameters(
        &self,
        _id: &str,
    ) -> Result<Option<InstanceParameters>, CloudError> {
        Ok(None)
    }

    async fn describe_security_ips(&self, id: &str) -> Result<Vec<SecurityIpGroup>, CloudError>;

    /// Sets one group to exactly `ips` (ModifySecurityIps `Cover` on that group only).
    async fn cover_security_ips(&self, id: &str, group: &SecurityIpGroup)
    -> Result<(), CloudError>;

    /// Removes a whole group.
    async fn delete_security_ip_group(&self, id: &str, group_name: &str) -> Result<(), CloudError>;

    async fn describe_audit(&self, id: &str) -> Result<AuditSettings, CloudError>;

    async fn modify_audit(&self, id: &str, change: &AuditChange) -> Result<(), CloudError>;

    /// Starts a backup and returns its id.
    /// `owner` is the Backup object's UID, recorded with the backup where the cloud has a
    /// field for it, so a lost answer is matched to its own backup only.
    async fn create_backup(
        &self,
        id: &str,
        method: &str,
        owner: &str,
    ) -> Result<String, CloudError>;

    /// Deletes one backup (DeleteBackup). NotFound when it is already gone.
    async fn delete_backup(&self, id: &str, backup_id: &str) -> Result<(), CloudError>;

    /// The instance's backups, newest first; with `backup_id`, only that one.
    async fn describe_backups(
        &self,
        id: &str,
        backup_id: Option<&str>,
    ) -> Result<Vec<BackupInfo>, CloudError>;

    /// One user of an instance (Aliyun: an account of the instance; Atlas: a SCRAM user on
    /// `admin` of the project); `None` when it does not exist.
    async fn describe_user(&self, id: &str, username: &str) -> Result<Option<DbUser>, CloudError>;

    /// Creates a user with its password and settings. Atlas answers a user that exists with
    /// `USER_ALREADY_EXISTS`; Aliyun has no such action for replica sets (its `root` exists).
    async fn create_user(&self, id: &str, user: &NewDbUser) -> Result<(), CloudError>;

    /// Sets roles, scopes and description in one call.
    async fn update_user(
        &self,
        id: &str,
        username: &str,
        settings: &UserSettings,
    ) -> Result<(), CloudError>;

    /// Sets the password. Setting the password a user already has changes nothing, so a call
    /// whose answer was lost may be repeated. With `labels`, the same call replaces the user's
    /// labels (Atlas PATCH `{password, labels}`), so a later read shows whether it was applied;
    /// Dds accounts have no labels (ResetAccountPassword takes the password only) and ignore them.
    async fn set_user_password(
        &self,
        id: &str,
        username: &str,
        password: &crate::cloud::error::Redacted<String>,
        labels: Option<&[UserLabel]>,
    ) -> Result<(), CloudError>;

    /// Deletes a user; NotFound when it is already gone.
    async fn delete_user(&self, id: &str, username: &str) -> Result<(), CloudError>;

    /// The instance's backup policy (Dds DescribeBackupPolicy; Atlas GET backup schedule).
    async fn describe_backup_policy(&self, id: &str) -> Result<BackupPolicySettings, CloudError> {
        Err(unsupported("describeBackupPolicy", id))
    }

    /// Sets the fields `policy` holds; the others stay (Dds ModifyBackupPolicy; Atlas PATCH
    /// backup schedule).
    async fn modify_backup_policy(
        &self,
        id: &str,
        policy: &BackupPolicySettings,
    ) -> Result<(), CloudError> {
        let _ = policy;
        Err(unsupported("modifyBackupPolicy", id))
    }

    /// The newest successful backup and the restorable window of an instance.
    async fn describe_restore_window(&self, id: &str) -> Result<RestoreWindow, CloudError> {
        Err(unsupported("describeRestoreWindow", id))
    }

    /// Atlas: starts a restore job delivering `source` into the existing cluster `target`.
    /// Dds restores by creating the instance ([`CreateInstance::restore`]) instead.
    async fn start_restore(
        &self,
        target: &str,
        source: &RestoreSource,
    ) -> Result<String, CloudError> {
        let _ = source;
        Err(unsupported("createBackupRestoreJob", target))
    }

    /// Atlas: one restore job of the source cluster.
    async fn describe_restore(
        &self,
        source_id: &str,
        job_id: &str,
    ) -> Result<RestoreJob, CloudError> {
        let _ = job_id;
        Err(unsupported("getBackupRestoreJob", source_id))
    }
}

/// The answer of an operation a cloud does not have.
fn unsupported(action: &'static str, id: &str) -> CloudError {
    CloudError {
        action,
        class: ErrorClass::Terminal,
        code: "Unsupported".to_owned(),
        message: format!("this cloud has no {action} (for {id})"),
        request_id: String::new(),
        source: None,
    }
}
