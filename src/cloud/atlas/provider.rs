//! The Atlas calls behind each [`Provider`] operation, for one project.
//!
//! A DBInstance is a replica-set cluster addressed by its name. Atlas has no idempotency key:
//! a create whose answer was lost is found again by the UID tag (the controller looks before it
//! creates) or, on `DUPLICATE_CLUSTER_NAME`, by reading the cluster and checking that tag.
//! The access list belongs to the project, not to a cluster: a SecurityIpList group is the set
//! of entries whose comment names it. Auditing is the project's too (see [`super::audit`]).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use reqwest::Method;
use serde_json::{Value, json};

use super::access_list;
use super::audit;
use super::client::AtlasClient;
use super::clusters;
use super::versions::Endpoint;
use crate::cloud::error::Redacted;
use crate::cloud::ratelimit::RateLimit;
use crate::cloud::*;

/// Atlas' own default budget for one project's API calls.
pub const DEFAULT_PER_MINUTE: u32 = 100;
/// The most items a page may hold.
const PAGE: u32 = 500;
/// Safe reads are retried this often on a transient error.
const READ_RETRIES: u32 = 2;

pub struct AtlasProvider {
    client: AtlasClient,
    project: String,
    limit: RateLimit,
    observer: Option<Arc<dyn CallObserver>>,
    /// Atlas does not support concurrent writes to one project's access list.
    access_writes: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for AtlasProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AtlasProvider")
            .field("project", &self.project)
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}

impl AtlasProvider {
    /// A provider for the project of `settings`; `requests_per_second` 0 means Atlas' default
    /// of 100 requests a minute.
    pub fn new(
        settings: AccountSettings,
        observer: Option<Arc<dyn CallObserver>>,
    ) -> Result<Self, String> {
        let project = settings
            .project_id
            .filter(|p| p.len() == 24 && p.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or("an Atlas account needs projectId: 24 hex digits")?;
        if let Some(endpoint) = &settings.endpoint {
            check_endpoint(endpoint)?;
        }
        let secret = Redacted(settings.access_key_secret.expose().clone());
        let timeout = settings.request_timeout.unwrap_or(super::client::TIMEOUT);
        let client = if settings.service_account {
            AtlasClient::with_service_account(
                settings.endpoint.as_deref(),
                settings.access_key_id,
                secret,
                timeout,
            )?
        } else {
            AtlasClient::with_timeout(
                settings.endpoint.as_deref(),
                settings.access_key_id,
                secret,
                timeout,
            )?
        };
        let limit = match settings.requests_per_second {
            0 => RateLimit::per_minute(DEFAULT_PER_MINUTE),
            n => RateLimit::new(n),
        };
        Ok(AtlasProvider {
            client,
            project,
            limit,
            observer,
            access_writes: tokio::sync::Mutex::new(()),
        })
    }

    pub(super) fn project(&self) -> &str {
        &self.project
    }

    pub(super) fn path(&self, rest: &str) -> String {
        format!("/groups/{}{rest}", self.project)
    }

    /// One call under the rate limit, counted; reads are retried on transient errors.
    pub(super) async fn call(
        &self,
        action: &'static str,
        method: Method,
        path: &str,
        endpoint: Endpoint,
        body: Option<&Value>,
    ) -> Result<Value, CloudError> {
        let mut attempt = 0;
        loop {
            let waited = self.limit.acquire().await;
            report_budget_wait(self.observer.as_ref(), Cloud::Atlas, waited);
            let started = std::time::Instant::now();
            let result = self
                .client
                .send(action, method.clone(), path, endpoint, body)
                .await;
            let outcome = report(self.observer.as_ref(), action, &result);
            tracing::debug!(
                cloud.action = action,
                attempt,
                outcome,
                budget_wait_ms = waited.as_millis() as u64,
                took_ms = started.elapsed().as_millis() as u64,
                "cloud call"
            );
            if let Err(CloudError {
                class: ErrorClass::Throttled { retry_after },
                ..
            }) = &result
            {
                self.limit.throttled(*retry_after);
            }
            match result {
                Err(e)
                    if method == Method::GET
                        && e.class == ErrorClass::Transient
                        && attempt < READ_RETRIES =>
                {
                    tracing::warn!(action, attempt, code = %e.code, "retrying Atlas read");
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(500 << attempt)).await;
                }
                other => return other,
            }
        }
    }

    async fn cluster(&self, name: &str) -> Result<Option<Value>, CloudError> {
        let path = self.path(&format!("/clusters/{}", encode(name)));
        match self
            .call(
                "getCluster",
                Method::GET,
                &path,
                Endpoint::ClusterRead,
                None,
            )
            .await
        {
            Ok(cluster) => Ok(Some(cluster)),
            Err(e) if e.class == ErrorClass::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn existing_cluster(
        &self,
        action: &'static str,
        name: &str,
    ) -> Result<Value, CloudError> {
        self.cluster(name)
            .await?
            .ok_or_else(|| not_found(action, format!("no cluster named {name} in the project")))
    }

    /// Every cluster of the project, all pages.
    async fn all_clusters(&self) -> Result<Vec<Value>, CloudError> {
        self.all_pages("listClusters", "/clusters", Endpoint::ClusterRead)
            .await
    }

    async fn all_pages(
        &self,
        action: &'static str,
        rest: &str,
        endpoint: Endpoint,
    ) -> Result<Vec<Value>, CloudError> {
        let mut items = Vec::new();
        for page in 1.. {
            let path = self.path(&format!("{rest}?pageNum={page}&itemsPerPage={PAGE}"));
            let answer = self
                .call(action, Method::GET, &path, endpoint, None)
                .await?;
            let results = answer
                .get("results")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let total = answer
                .get("totalCount")
                .and_then(Value::as_u64)
                .unwrap_or(0);
            let short = results.len() < PAGE as usize;
            items.extend(results);
            if short || items.len() as u64 >= total {
                break;
            }
        }
        Ok(items)
    }

    /// Every access-list entry of the project, canonical.
    async fn access_list(&self) -> Result<Vec<access_list::Listed>, CloudError> {
        let entries = self
            .all_pages("listAccessListEntries", "/accessList", Endpoint::Project)
            .await?;
        Ok(entries
            .iter()
            .filter_map(|e| {
                let raw = e
                    .get("cidrBlock")
                    .or_else(|| e.get("ipAddress"))
                    .and_then(Value::as_str)?;
                Some(access_list::Listed {
                    cidr: access_list::canonical_cidr(raw).ok()?,
                    comment: e.get("comment").and_then(Value::as_str).map(str::to_owned),
                })
            })
            .collect())
    }

    /// Deletes one entry; one already gone is fine.
    async fn delete_entry(&self, cidr: &str) -> Result<(), CloudError> {
        let path = self.path(&format!("/accessList/{}", access_list::entry_path(cidr)));
        match self
            .call(
                "deleteAccessListEntry",
                Method::DELETE,
                &path,
                Endpoint::Project,
                None,
            )
            .await
        {
            Err(e) if e.class != ErrorClass::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    async fn patch_cluster(&self, name: &str, body: &Value) -> Result<(), CloudError> {
        let path = self.path(&format!("/clusters/{}", encode(name)));
        self.call(
            "updateCluster",
            Method::PATCH,
            &path,
            Endpoint::ClusterWrite,
            Some(body),
        )
        .await
        .map(drop)
    }
}

#[async_trait]
impl Provider for AtlasProvider {
    fn cloud(&self) -> Cloud {
        Cloud::Atlas
    }

    async fn has_spare_budget(&self) -> bool {
        self.limit.has_spare().await
    }

    async fn check_credentials(&self) -> Result<(), CloudError> {
        let path = self.path("/clusters?pageNum=1&itemsPerPage=1&includeCount=false");
        self.call(
            "listClusters",
            Method::GET,
            &path,
            Endpoint::ClusterRead,
            None,
        )
        .await
        .map(drop)
    }

    /// Atlas lists a project, not a region, and cannot filter by tag: the whole project is read
    /// (a project holds few clusters) and filtered here, answered as one page.
    async fn list_instances(&self, query: &ListInstances) -> Result<InstancePage, CloudError> {
        let mut instances: Vec<Instance> = self
            .all_clusters()
            .await?
            .iter()
            .map(clusters::instance)
            .filter(|i| query.region.is_empty() || i.region.eq_ignore_ascii_case(&query.region))
            .filter(|i| match &query.tag {
                Some((key, value)) => i.tags.get(key) == Some(value),
                None => true,
            })
            .collect();
        let total_count = u32::try_from(instances.len()).unwrap_or(u32::MAX);
        if query.page_number > 1 {
            instances.clear();
        }
        Ok(InstancePage {
            instances,
            total_count,
            page_number: query.page_number,
            page_size: total_count.max(query.page_size),
        })
    }

    /// One read for one cluster; one listing for several.
    async fn describe_instances(&self, ids: &[String]) -> Result<Vec<Instance>, CloudError> {
        match ids {
            [] => Ok(Vec::new()),
            [id] => Ok(self
                .cluster(id)
                .await?
                .map(|c| clusters::instance(&c))
                .into_iter()
                .collect()),
            _ => Ok(self
                .all_clusters()
                .await?
                .iter()
                .map(clusters::instance)
                .filter(|i| ids.contains(&i.id))
                .collect()),
        }
    }

    async fn create_instance(&self, request: &CreateInstance) -> Result<String, CloudError> {
        let name = request
            .name
            .clone()
            .ok_or_else(|| terminal("createCluster", "a cluster needs a name"))?;
        let body = clusters::create_body(request);
        let path = self.path("/clusters");
        match self
            .call(
                "createCluster",
                Method::POST,
                &path,
                Endpoint::ClusterWrite,
                Some(&body),
            )
            .await
        {
            Ok(_) => Ok(name),
            Err(e) if e.code == "DUPLICATE_CLUSTER_NAME" => {
                // Ours when it carries our UID tag: a create whose answer was lost.
                let ours = self.cluster(&name).await?.is_some_and(|c| {
                    let theirs = clusters::instance(&c).tags;
                    request
                        .tags
                        .get(UID_TAG)
                        .is_some_and(|uid| theirs.get(UID_TAG) == Some(uid))
                });
                if ours {
                    Ok(name)
                } else {
                    Err(CloudError {
                        message: format!(
                            "a cluster named {name} already exists in the project and was not created by this resource; choose another spec.forProvider.atlas.clusterName, or set spec.forProvider.atlas.adoptExisting: true to take it over"
                        ),
                        class: ErrorClass::Terminal,
                        ..e
                    })
                }
            }
            Err(e) => Err(e),
        }
    }

    async fn delete_instance(&self, id: &str) -> Result<(), CloudError> {
        let path = self.path(&format!("/clusters/{}", encode(id)));
        self.call(
            "deleteCluster",
            Method::DELETE,
            &path,
            Endpoint::ClusterDelete,
            None,
        )
        .await
        .map(drop)
    }

    async fn modify_instance(&self, id: &str, change: &InstanceChange) -> Result<(), CloudError> {
        match change {
            InstanceChange::Spec {
                instance_class,
                storage_gb,
            } => {
                let cluster = self.existing_cluster("updateCluster", id).await?;
                let body = clusters::resize_body(&cluster, instance_class.as_deref(), *storage_gb);
                self.patch_cluster(id, &body).await
            }
            InstanceChange::DeletionProtection(on) => {
                self.patch_cluster(id, &json!({"terminationProtectionEnabled": on}))
                    .await
            }
            InstanceChange::Nodes {
                replication_factor,
                readonly_replicas,
            } => {
                let cluster = self.existing_cluster("updateCluster", id).await?;
                let body = clusters::nodes_body(&cluster, *replication_factor, *readonly_replicas);
                self.patch_cluster(id, &body).await
            }
            InstanceChange::AutoScaling(scaling) => {
                let cluster = self.existing_cluster("updateCluster", id).await?;
                let body = clusters::auto_scaling_body(&cluster, scaling);
                self.patch_cluster(id, &body).await
            }
            InstanceChange::EngineVersion(major) => {
                self.patch_cluster(id, &json!({"mongoDBMajorVersion": major}))
                    .await
            }
            InstanceChange::AddNode {
                kind: NodeKind::Shard,
                ..
            } => {
                let cluster = self.existing_cluster("updateCluster", id).await?;
                self.patch_cluster(id, &clusters::add_shard_body(&cluster))
                    .await
            }
            other => Err(terminal(
                "updateCluster",
                format!("Atlas clusters have no such change: {other:?}"),
            )),
        }
    }

    async fn tag_instance(
        &self,
        _region: &str,
        id: &str,
        tags: &[(String, String)],
    ) -> Result<(), CloudError> {
        let cluster = self.existing_cluster("updateCluster", id).await?;
        self.patch_cluster(id, &clusters::tags_patch(&cluster, tags))
            .await
    }

    /// Atlas always serves TLS.
    async fn describe_ssl(&self, _id: &str) -> Result<SslState, CloudError> {
        Ok(SslState {
            status: "Open".to_owned(),
            expire_time: None,
        })
    }

    /// The project's access list (it applies to every cluster of the project), grouped by the
    /// owner each entry's comment names.
    async fn describe_security_ips(&self, _id: &str) -> Result<Vec<SecurityIpGroup>, CloudError> {
        let mut groups: BTreeMap<String, SecurityIpGroup> = BTreeMap::new();
        for entry in self.access_list().await? {
            let name = access_list::group_of(&entry).into_owned();
            let group = groups
                .entry(name.clone())
                .or_insert_with(|| SecurityIpGroup {
                    name,
                    ..SecurityIpGroup::default()
                });
            group.ips.push(entry.cidr);
        }
        Ok(groups.into_values().collect())
    }

    /// Adds the group's missing entries in one POST and deletes the ones it no longer wants,
    /// one project at a time (Atlas loses entries under concurrent writes). An entry that exists
    /// under another owner is refused before anything is written.
    async fn cover_security_ips(
        &self,
        _id: &str,
        group: &SecurityIpGroup,
    ) -> Result<(), CloudError> {
        let _serial = self.access_writes.lock().await;
        let mut want = Vec::with_capacity(group.ips.len());
        let mut expires = BTreeMap::new();
        for ip in &group.ips {
            let cidr = access_list::canonical_cidr(ip)
                .map_err(|e| terminal("createAccessListEntries", e))?;
            if let Some(at) = group.expires.get(ip).and_then(|t| native_expiry(t)) {
                expires.insert(cidr.clone(), at);
            }
            want.push(cidr);
        }
        let plan = access_list::cover(&self.access_list().await?, &group.name, &want);
        if !plan.conflicts.is_empty() {
            return Err(CloudError {
                code: "AccessListEntryNotOwned".to_owned(),
                ..terminal(
                    "createAccessListEntries",
                    format!(
                        "{} already in the project access list but not written by this resource (whose entries carry the comment {}); remove them there or from spec.forProvider.entries",
                        plan.conflicts.join(", "),
                        access_list::owner_comment(&group.name)
                    ),
                )
            });
        }
        if !plan.add.is_empty() {
            let comment = access_list::owner_comment(&group.name);
            let body: Vec<Value> = plan
                .add
                .iter()
                .map(|cidr| {
                    let mut entry = json!({"cidrBlock": cidr, "comment": comment});
                    if let Some(at) = expires.get(cidr) {
                        entry["deleteAfterDate"] = json!(at);
                    }
                    entry
                })
                .collect();
            self.call(
                "createAccessListEntries",
                Method::POST,
                &self.path("/accessList"),
                Endpoint::Project,
                Some(&Value::Array(body)),
            )
            .await?;
        }
        for cidr in &plan.remove {
            self.delete_entry(cidr).await?;
        }
        Ok(())
    }

    async fn delete_security_ip_group(&self, _id: &str, group: &str) -> Result<(), CloudError> {
        let _serial = self.access_writes.lock().await;
        let listed = self.access_list().await?;
        for entry in listed.iter().filter(|e| access_list::group_of(e) == *group) {
            self.delete_entry(&entry.cidr).await?;
        }
        Ok(())
    }

    /// The project's auditing (it applies to every cluster of the project).
    async fn describe_audit(&self, _id: &str) -> Result<AuditSettings, CloudError> {
        let answer = self
            .call(
                "getAuditLog",
                Method::GET,
                &self.path("/auditLog"),
                Endpoint::Project,
                None,
            )
            .await?;
        let raw_filter = answer
            .get("auditFilter")
            .and_then(Value::as_str)
            .map(str::to_owned);
        Ok(AuditSettings {
            enabled: answer
                .get("enabled")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            filter: raw_filter
                .as_deref()
                .and_then(audit::categories_of)
                .unwrap_or_default(),
            storage_period_days: None,
            raw_filter,
            authorization_success: answer
                .get("auditAuthorizationSuccess")
                .and_then(Value::as_bool),
        })
    }

    async fn modify_audit(&self, _id: &str, change: &AuditChange) -> Result<(), CloudError> {
        let body = match change {
            AuditChange::Policy { enabled, .. } => json!({"enabled": enabled}),
            AuditChange::Filter(categories) => {
                let (filter, authorization_success) = audit::filter_for(categories);
                json!({"auditFilter": filter.to_string(),
                       "auditAuthorizationSuccess": authorization_success})
            }
            AuditChange::Raw {
                filter,
                authorization_success,
            } => json!({"auditFilter": filter, "auditAuthorizationSuccess": authorization_success}),
        };
        self.call(
            "updateAuditLog",
            Method::PATCH,
            &self.path("/auditLog"),
            Endpoint::Project,
            Some(&body),
        )
        .await
        .map(drop)
    }

    /// An on-demand snapshot. Atlas has no idempotency key either: the Backup controller
    /// records the returned id before anything else.
    async fn create_backup(
        &self,
        id: &str,
        _method: &str,
        owner: &str,
    ) -> Result<String, CloudError> {
        let path = self.path(&format!("/clusters/{}/backup/snapshots", encode(id)));
        let body =
            json!({"description": clusters::snapshot_description(owner), "retentionInDays": 7});
        let answer = self
            .call(
                "takeSnapshot",
                Method::POST,
                &path,
                Endpoint::Project,
                Some(&body),
            )
            .await?;
        id_of(&answer, "takeSnapshot", "snapshot")
    }

    async fn delete_backup(&self, id: &str, backup_id: &str) -> Result<(), CloudError> {
        let path = self.path(&format!(
            "/clusters/{}/backup/snapshots/{}",
            encode(id),
            encode(backup_id)
        ));
        self.call(
            "deleteSnapshot",
            Method::DELETE,
            &path,
            Endpoint::Project,
            None,
        )
        .await
        .map(drop)
    }

    async fn describe_backups(
        &self,
        id: &str,
        backup_id: Option<&str>,
    ) -> Result<Vec<BackupInfo>, CloudError> {
        let snapshots = format!("/clusters/{}/backup/snapshots", encode(id));
        let Some(backup_id) = backup_id else {
            let all = self
                .all_pages("listSnapshots", &snapshots, Endpoint::Project)
                .await?;
            return Ok(all.iter().map(clusters::backup).collect());
        };
        let path = self.path(&format!("{snapshots}/{}", encode(backup_id)));
        match self
            .call("getSnapshot", Method::GET, &path, Endpoint::Project, None)
            .await
        {
            Ok(snapshot) => Ok(vec![clusters::backup(&snapshot)]),
            Err(e) if e.class == ErrorClass::NotFound => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// Users belong to the project: `id` (the cluster) plays no part.
    async fn describe_user(&self, _id: &str, username: &str) -> Result<Option<DbUser>, CloudError> {
        self.get_user(username).await
    }

    async fn create_user(&self, _id: &str, user: &NewDbUser) -> Result<(), CloudError> {
        self.post_user(user).await
    }

    async fn update_user(
        &self,
        _id: &str,
        username: &str,
        settings: &UserSettings,
    ) -> Result<(), CloudError> {
        self.patch_user(username, &super::users::settings_body(settings))
            .await
    }

    async fn set_user_password(
        &self,
        _id: &str,
        username: &str,
        password: &Redacted<String>,
        labels: Option<&[UserLabel]>,
    ) -> Result<(), CloudError> {
        self.patch_user(username, &super::users::password_body(password, labels))
            .await
    }

    async fn delete_user(&self, _id: &str, username: &str) -> Result<(), CloudError> {
        self.remove_user(username).await
    }

    async fn describe_backup_policy(&self, id: &str) -> Result<BackupPolicySettings, CloudError> {
        self.get_schedule(id).await
    }

    async fn modify_backup_policy(
        &self,
        id: &str,
        policy: &BackupPolicySettings,
    ) -> Result<(), CloudError> {
        self.patch_schedule(id, policy).await
    }

    async fn describe_restore_window(&self, id: &str) -> Result<RestoreWindow, CloudError> {
        self.window(id).await
    }

    async fn start_restore(
        &self,
        target: &str,
        source: &RestoreSource,
    ) -> Result<String, CloudError> {
        self.post_restore_job(target, source).await
    }

    async fn describe_restore(
        &self,
        source_id: &str,
        job_id: &str,
    ) -> Result<RestoreJob, CloudError> {
        self.get_restore_job(source_id, job_id).await
    }
}

/// Atlas removes an entry itself at `deleteAfterDate`, which must lie at most a week ahead;
/// later expiries are left to the operator, which removes the entry when it expires.
fn native_expiry(at: &str) -> Option<String> {
    let at = chrono::DateTime::parse_from_rfc3339(at)
        .ok()?
        .with_timezone(&chrono::Utc);
    let now = chrono::Utc::now();
    (at > now && at <= now + chrono::Duration::days(7))
        .then(|| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// Only the cloud's own host over https, or plain http on loopback (the local emulator).
fn check_endpoint(endpoint: &str) -> Result<(), String> {
    let url = reqwest::Url::parse(endpoint)
        .map_err(|e| format!("endpoint {endpoint:?} is not a URL: {e}"))?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    match url.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(format!(
            "endpoint {endpoint:?} must use https (plain http only on loopback)"
        )),
    }
}

/// Path segments are names and ids the operator validated; encoding keeps a stray character
/// from changing the path.
pub(super) fn encode(segment: &str) -> String {
    const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(segment, SEGMENT).to_string()
}

fn terminal(action: &'static str, message: impl Into<String>) -> CloudError {
    CloudError {
        action,
        class: ErrorClass::Terminal,
        code: "Unsupported".to_owned(),
        message: message.into(),
        request_id: String::new(),
        source: None,
    }
}

fn not_found(action: &'static str, message: String) -> CloudError {
    CloudError {
        action,
        class: ErrorClass::NotFound,
        code: "CLUSTER_NOT_FOUND".to_owned(),
        message,
        request_id: String::new(),
        source: None,
    }
}

/// The `id` of a created object from an answer; an answer without one is a bad answer, which
/// the caller reads back like any lost answer.
pub(super) fn id_of(
    answer: &Value,
    action: &'static str,
    what: &str,
) -> Result<String, CloudError> {
    answer
        .get("id")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| CloudError {
            action,
            class: ErrorClass::Transient,
            code: "InvalidResponse".to_owned(),
            message: format!("the answer has no {what} id"),
            request_id: String::new(),
            source: None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(project: Option<&str>, endpoint: Option<&str>) -> AccountSettings {
        AccountSettings {
            cloud: Cloud::Atlas,
            project_id: project.map(str::to_owned),
            endpoint: endpoint.map(str::to_owned),
            access_key_id: "pub".into(),
            access_key_secret: Redacted("priv".into()),
            ..AccountSettings::default()
        }
    }

    #[test]
    fn a_project_id_is_24_hex_digits() {
        let good = "6746cea8a3b0f86a2fbdc1f1";
        assert!(AtlasProvider::new(settings(Some(good), None), None).is_ok());
        for bad in [None, Some("6746cea8"), Some("6746cea8a3b0f86a2fbdc1fz")] {
            let error = AtlasProvider::new(settings(bad, None), None).expect_err("refused");
            assert!(error.contains("projectId"), "{error}");
        }
    }

    #[test]
    fn plain_http_only_on_loopback() {
        let project = Some("6746cea8a3b0f86a2fbdc1f1");
        for ok in [
            "https://cloud.mongodb.com/api/atlas/v2",
            "http://127.0.0.1:9780/api/atlas/v2",
        ] {
            assert!(
                AtlasProvider::new(settings(project, Some(ok)), None).is_ok(),
                "{ok}"
            );
        }
        let error = AtlasProvider::new(settings(project, Some("http://atlas.example/api")), None)
            .expect_err("refused");
        assert!(error.contains("https"), "{error}");
    }

    #[test]
    fn only_expiries_within_a_week_are_left_to_atlas() {
        let at = |days: i64| {
            (chrono::Utc::now() + chrono::Duration::days(days))
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        };
        let soon = at(3);
        assert_eq!(native_expiry(&soon), Some(soon.clone()));
        assert_eq!(native_expiry(&at(8)), None, "beyond a week: the operator");
        assert_eq!(native_expiry(&at(-1)), None, "past");
        assert_eq!(native_expiry("not a time"), None);
    }

    #[test]
    fn names_are_encoded_as_one_segment() {
        assert_eq!(encode("orders-1"), "orders-1");
        assert_eq!(encode("a/b"), "a%2Fb");
    }
}
