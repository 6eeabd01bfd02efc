//! Leader election on a `coordination.k8s.io` Lease, so that of several replicas exactly one
//! writes to the cloud. The holder renews every third of the lease; a replica that cannot renew
//! in time stops itself rather than risk two writers.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, ObjectMeta, PostParams};

#[derive(Debug, thiserror::Error)]
pub enum LeaderError {
    #[error("failed to read or write Lease {0}")]
    Lease(String, #[source] kube::Error),
}

pub struct LeaseLock {
    api: Api<Lease>,
    name: String,
    identity: String,
    duration: Duration,
}

impl LeaseLock {
    pub fn new(
        client: kube::Client,
        namespace: &str,
        name: &str,
        identity: &str,
        duration: Duration,
    ) -> Self {
        LeaseLock {
            api: Api::namespaced(client, namespace),
            name: name.to_owned(),
            identity: identity.to_owned(),
            duration,
        }
    }

    pub fn renew_interval(&self) -> Duration {
        self.duration / 3
    }

    /// Takes the lease if it is free, expired or already ours; `Ok(false)` when someone else
    /// holds it. Writes carry the read resourceVersion, so two candidates never both win.
    pub async fn try_acquire(&self) -> Result<bool, LeaderError> {
        let now = Timestamp::now();
        let lease = self
            .api
            .get_opt(&self.name)
            .await
            .map_err(|e| LeaderError::Lease(self.name.clone(), e))?;
        let Some(mut lease) = lease else {
            let fresh = Lease {
                metadata: ObjectMeta {
                    name: Some(self.name.clone()),
                    ..ObjectMeta::default()
                },
                spec: Some(self.spec(now, now, 0)),
            };
            return self.settle(self.api.create(&PostParams::default(), &fresh).await);
        };
        let spec = lease.spec.clone().unwrap_or_default();
        let ours = spec.holder_identity.as_deref() == Some(self.identity.as_str());
        let renewed = spec.renew_time.as_ref().map_or(Timestamp::MIN, |t| t.0);
        let held_for = Duration::from_secs(
            u64::try_from(spec.lease_duration_seconds.unwrap_or(0)).unwrap_or(0),
        );
        let expired =
            Duration::try_from(now.duration_since(renewed)).is_ok_and(|age| age > held_for);
        if !ours && !expired {
            return Ok(false);
        }
        let acquired = if ours {
            spec.acquire_time.map(|t| t.0).unwrap_or(now)
        } else {
            now
        };
        let transitions = spec.lease_transitions.unwrap_or(0) + i32::from(!ours);
        lease.spec = Some(self.spec(acquired, now, transitions));
        self.settle(
            self.api
                .replace(&self.name, &PostParams::default(), &lease)
                .await,
        )
    }

    fn spec(&self, acquired: Timestamp, renewed: Timestamp, transitions: i32) -> LeaseSpec {
        LeaseSpec {
            holder_identity: Some(self.identity.clone()),
            lease_duration_seconds: i32::try_from(self.duration.as_secs()).ok(),
            acquire_time: Some(MicroTime(acquired)),
            renew_time: Some(MicroTime(renewed)),
            lease_transitions: Some(transitions),
            ..LeaseSpec::default()
        }
    }

    fn settle(&self, result: Result<Lease, kube::Error>) -> Result<bool, LeaderError> {
        match result {
            Ok(_) => Ok(true),
            // Another candidate wrote first.
            Err(kube::Error::Api(status)) if status.code == 409 => Ok(false),
            Err(e) => Err(LeaderError::Lease(self.name.clone(), e)),
        }
    }
}

/// Waits until this replica holds the lease.
pub async fn acquire(lock: &LeaseLock) {
    loop {
        match lock.try_acquire().await {
            Ok(true) => return,
            Ok(false) => {}
            Err(error) => tracing::warn!(%error, "leader election failed; retrying"),
        }
        tokio::time::sleep(lock.renew_interval()).await;
    }
}

/// Renews the lease until a renewal fails for a whole lease duration; then returns, and the
/// caller must stop writing.
pub async fn hold(lock: &LeaseLock) {
    let mut last_renewal = tokio::time::Instant::now();
    loop {
        tokio::time::sleep(lock.renew_interval()).await;
        match lock.try_acquire().await {
            Ok(true) => last_renewal = tokio::time::Instant::now(),
            Ok(false) => {
                tracing::error!("lost the leader lease to another replica");
                return;
            }
            Err(error) => tracing::warn!(%error, "failed to renew the leader lease"),
        }
        if last_renewal.elapsed() > lock.duration {
            tracing::error!("could not renew the leader lease in time");
            return;
        }
    }
}
