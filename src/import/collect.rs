//! Reads an account through the [`Provider`] the operator would use: the batched listing the
//! observer makes (pages of 100, attributes 30 ids a call), then what the sub-resources need
//! for the instances not managed yet. Only reads; nothing here writes to the cloud.

use std::collections::BTreeSet;

use crate::cloud::{
    AuditSettings, BackupPolicySettings, Cloud, CloudError, ErrorClass, Instance, ListInstances,
    Provider, SecurityIpGroup, SslState, UID_TAG,
};
use crate::observer::plan::{PAGE_SIZE, batches, pages};
use crate::reconcile::dbinstance::RUNNING;

/// One instance and what its sub-resources read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Found {
    pub instance: Instance,
    /// Aliyun: DescribeDBInstanceSSL, read while Running.
    pub ssl: Option<SslState>,
    /// Aliyun: the instance's groups (Atlas: see [`Account::access_list`]).
    pub ip_groups: Vec<SecurityIpGroup>,
    /// Aliyun: the instance's audit settings (Atlas: see [`Account::audit`]).
    pub audit: Option<AuditSettings>,
    /// The backup policy (Dds DescribeBackupPolicy while Running; the Atlas schedule of a
    /// cluster with cloud backup).
    pub backup_policy: Option<BackupPolicySettings>,
}

/// What an import read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Account {
    pub cloud: Cloud,
    /// Sorted by id.
    pub instances: Vec<Found>,
    /// Atlas: the project's access list, grouped by comment (it applies to every cluster).
    pub access_list: Vec<SecurityIpGroup>,
    /// Atlas: the project's auditing.
    pub audit: Option<AuditSettings>,
    /// Sub-resource reads the cloud refused (an instance that has no such setting), which
    /// leave that sub-resource out rather than the whole import.
    pub unread: Vec<String>,
}

/// The calls an import made, for the progress line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub pages: u32,
    pub batches: u32,
    /// Reads of one instance each (SSL, security IPs, audit, backup policy) or one project.
    pub single_reads: u32,
}

/// Lists every instance of `region` (Atlas: of the project, `region` empty for all), reads
/// their attributes in batches, and for each instance not carrying [`UID_TAG`] what an
/// import renders beside it.
pub async fn collect(
    provider: &dyn Provider,
    region: &str,
) -> Result<(Account, Tally), CloudError> {
    let mut tally = Tally::default();
    let mut ids = BTreeSet::new();
    let mut page = 1;
    loop {
        let answer = provider
            .list_instances(&ListInstances {
                region: region.to_owned(),
                page_number: page,
                page_size: PAGE_SIZE,
                tag: None,
            })
            .await?;
        tally.pages += 1;
        let short = answer.instances.len() < PAGE_SIZE as usize;
        ids.extend(answer.instances.into_iter().map(|i| i.id));
        if short || page >= pages(answer.total_count) {
            break;
        }
        page += 1;
    }
    let mut instances = Vec::with_capacity(ids.len());
    for batch in batches(&ids) {
        instances.extend(provider.describe_instances(&batch).await?);
        tally.batches += 1;
    }
    instances.sort_by(|a, b| a.id.cmp(&b.id));
    let cloud = provider.cloud();
    let mut account = Account {
        cloud,
        ..Account::default()
    };
    for instance in instances {
        let mut found = Found {
            instance,
            ..Found::default()
        };
        let id = found.instance.id.clone();
        if cloud == Cloud::Aliyun && found.instance.tags.get(UID_TAG).is_none() {
            let unread = &mut account.unread;
            if found.instance.status == RUNNING {
                found.ssl = optional(provider.describe_ssl(&id).await, &id, unread)?;
                tally.single_reads += 1;
            }
            found.ip_groups = optional(provider.describe_security_ips(&id).await, &id, unread)?
                .unwrap_or_default();
            found.audit = optional(provider.describe_audit(&id).await, &id, unread)?;
            tally.single_reads += 2;
        }
        let backed_up = match cloud {
            Cloud::Aliyun => found.instance.status == RUNNING,
            Cloud::Atlas => found.instance.backup_enabled == Some(true),
        };
        if backed_up && found.instance.tags.get(UID_TAG).is_none() {
            let read = provider.describe_backup_policy(&id).await;
            found.backup_policy = optional(read, &id, &mut account.unread)?;
            tally.single_reads += 1;
        }
        account.instances.push(found);
    }
    let unmanaged = account
        .instances
        .iter()
        .find(|f| f.instance.tags.get(UID_TAG).is_none());
    if let (Cloud::Atlas, Some(first)) = (cloud, unmanaged) {
        // Project-wide: any cluster id addresses them.
        let id = first.instance.id.clone();
        let unread = &mut account.unread;
        account.access_list =
            optional(provider.describe_security_ips(&id).await, "project", unread)?
                .unwrap_or_default();
        account.audit = optional(provider.describe_audit(&id).await, "project", unread)?;
        tally.single_reads += 2;
    }
    Ok((account, tally))
}

/// A read the cloud refuses for good (not found, not supported for this instance) leaves its
/// sub-resource out, with a line in the report; a read that may succeed later fails the import.
fn optional<T>(
    read: Result<T, CloudError>,
    what: &str,
    unread: &mut Vec<String>,
) -> Result<Option<T>, CloudError> {
    match read {
        Ok(value) => Ok(Some(value)),
        Err(e) if matches!(e.class, ErrorClass::NotFound | ErrorClass::Terminal) => {
            unread.push(format!("{what}: {e}"));
            Ok(None)
        }
        Err(e) => Err(e),
    }
}
