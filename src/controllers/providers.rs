//! The cloud accounts the ProviderConfig controller has checked, by ProviderConfig name.
//!
//! Resource controllers look their account up here instead of reading Secrets themselves, so a
//! Secret is read once per change, not once per reconcile of every resource. The lookup also
//! decides whether the resource's namespace may use the account (`spec.allowedNamespaces`).

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

use futures::FutureExt;
use k8s_openapi::api::core::v1::Namespace;
use kube::core::PartialObjectMeta;
use kube::runtime::reflector::{ObjectRef, Store};
use tokio::sync::broadcast;

use crate::api::ProviderConfig;
use crate::api::conditions;
use crate::api::providerconfig::AllowedNamespaces;
use crate::cloud::{AccountSettings, Provider};
use crate::reconcile::tenancy;

/// Builds a client for an account. Injected so tests and other clouds can supply their own.
pub type ProviderFactory =
    Arc<dyn Fn(AccountSettings) -> Result<Arc<dyn Provider>, String> + Send + Sync>;

/// The state of one ProviderConfig as the resource controllers see it.
#[derive(Clone)]
enum Account {
    /// The client and the settings it was built from.
    Ready(Arc<dyn Provider>, AccountSettings),
    NotReady(String),
}

pub struct Providers {
    accounts: RwLock<HashMap<String, Account>>,
    /// Names of ProviderConfigs whose account just became usable, so the resources waiting for
    /// it are reconciled at once rather than on their requeue timers.
    ready: broadcast::Sender<String>,
    /// `spec.allowedNamespaces` of every ProviderConfig seen (`None`: all namespaces).
    allowed: RwLock<HashMap<String, Option<AllowedNamespaces>>>,
    /// Namespace metadata (names and labels), for label selectors.
    namespaces: OnceLock<Store<PartialObjectMeta<Namespace>>>,
    /// The ProviderConfigs the API server holds, to tell one not checked yet from one that
    /// does not exist.
    provider_configs: OnceLock<Store<ProviderConfig>>,
}

impl Default for Providers {
    fn default() -> Self {
        Providers {
            accounts: RwLock::default(),
            ready: broadcast::channel(64).0,
            allowed: RwLock::default(),
            namespaces: OnceLock::new(),
            provider_configs: OnceLock::new(),
        }
    }
}

/// Why a resource gets no client: the `Synced` condition's reason and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unavailable {
    pub reason: &'static str,
    pub message: String,
    /// The ProviderConfig exists (or may: its list is not in yet) and this process has not
    /// checked its account yet, as after every start. Nothing is known about the resource's
    /// account, so its status keeps what it says; the check's outcome wakes the resource.
    pub unchecked: bool,
}

impl Providers {
    /// The checked account of a ProviderConfig for a resource in `namespace`, or why there is
    /// none. A namespace the ProviderConfig does not allow is refused before anything else, so
    /// it learns nothing about the account and costs no cloud call.
    pub fn get(&self, name: &str, namespace: &str) -> Result<Arc<dyn Provider>, Unavailable> {
        let waiting = |message| Unavailable {
            reason: conditions::REASON_WAITING_FOR_PROVIDER,
            message,
            unchecked: false,
        };
        let not_checked = || {
            let message = match self.provider_configs.get() {
                Some(_) => format!("ProviderConfig {name} does not exist"),
                None => format!("ProviderConfig {name} does not exist or was not checked yet"),
            };
            Unavailable {
                unchecked: self.may_exist(name),
                ..waiting(message)
            }
        };
        let allowed = self.read_allowed().get(name).cloned();
        let Some(allowed) = allowed else {
            return Err(not_checked());
        };
        let labels = self
            .namespaces
            .get()
            .and_then(|store| store.get(&ObjectRef::new(namespace)))
            .map(|ns| ns.metadata.labels.clone().unwrap_or_default());
        tenancy::check(name, allowed.as_ref(), namespace, labels.as_ref()).map_err(|message| {
            Unavailable {
                reason: tenancy::REASON_NOT_ALLOWED,
                message,
                unchecked: false,
            }
        })?;
        match self.read().get(name) {
            Some(Account::Ready(provider, _)) => Ok(provider.clone()),
            Some(Account::NotReady(why)) => Err(waiting(format!(
                "ProviderConfig {name} is not Ready: {why}"
            ))),
            None => Err(not_checked()),
        }
    }

    /// Whether the ProviderConfig `name` is in the API server's list, or the list is not in
    /// yet. Without a list (no ProviderConfig controller) nothing says it exists.
    fn may_exist(&self, name: &str) -> bool {
        self.provider_configs.get().is_some_and(|store| {
            store.wait_until_ready().now_or_never().is_none()
                || store.get(&ObjectRef::new(name)).is_some()
        })
    }

    /// The ProviderConfigs' cache (set once at start).
    pub fn watch_provider_configs(&self, store: Store<ProviderConfig>) {
        // A second call would only offer the same store again.
        let _ = self.provider_configs.set(store);
    }

    /// Records which namespaces may use a ProviderConfig; called on every ProviderConfig
    /// reconcile, before its credentials are checked.
    pub fn set_allowed(&self, name: &str, allowed: Option<AllowedNamespaces>) {
        self.allowed
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(name.to_owned(), allowed);
    }

    /// The namespace cache that label selectors are matched against (set once at start).
    pub fn watch_namespaces(&self, store: Store<PartialObjectMeta<Namespace>>) {
        // A second call would only offer the same store again.
        let _ = self.namespaces.set(store);
    }

    /// The client already built for exactly these settings, so a periodic re-check keeps it
    /// (and the observers, rate limits and snapshots that hang on it).
    pub fn reuse(&self, name: &str, settings: &AccountSettings) -> Option<Arc<dyn Provider>> {
        match self.read().get(name) {
            Some(Account::Ready(provider, built_from)) if built_from == settings => {
                Some(provider.clone())
            }
            _ => None,
        }
    }

    pub fn set_ready(&self, name: &str, provider: Arc<dyn Provider>, settings: AccountSettings) {
        let was = self
            .write()
            .insert(name.to_owned(), Account::Ready(provider, settings));
        if !matches!(was, Some(Account::Ready(..))) {
            // Nobody listening is fine: the waiting resources also retry on their timers.
            let _ = self.ready.send(name.to_owned());
        }
    }

    /// Names of ProviderConfigs as their accounts become usable (see `set_ready`).
    pub fn subscribe_ready(&self) -> broadcast::Receiver<String> {
        self.ready.subscribe()
    }

    pub fn set_not_ready(&self, name: &str, why: String) {
        self.write().insert(name.to_owned(), Account::NotReady(why));
    }

    pub fn remove(&self, name: &str) {
        self.write().remove(name);
        self.allowed
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(name);
    }

    fn read_allowed(
        &self,
    ) -> std::sync::RwLockReadGuard<'_, HashMap<String, Option<AllowedNamespaces>>> {
        self.allowed
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Account>> {
        self.accounts
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, Account>> {
        // A panic while holding the lock cannot leave the map half-written: every write is one call.
        self.accounts
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::error::Redacted;

    fn settings(secret: &str) -> AccountSettings {
        AccountSettings {
            endpoint: None,
            region: Some("cn-hangzhou".into()),
            access_key_id: "LTAIexample".into(),
            access_key_secret: Redacted(secret.into()),
            requests_per_second: 10,
            ..AccountSettings::default()
        }
    }

    fn client(settings: AccountSettings) -> Arc<dyn Provider> {
        Arc::new(crate::cloud::aliyun::AliyunClient::new(settings, None).expect("client"))
    }

    #[test]
    fn an_account_announces_only_that_it_became_usable() {
        let providers = Providers::default();
        let mut ready = providers.subscribe_ready();
        providers.set_ready("default", client(settings("one")), settings("one"));
        assert_eq!(ready.try_recv().ok().as_deref(), Some("default"));
        providers.set_ready("default", client(settings("one")), settings("one"));
        assert!(
            ready.try_recv().is_err(),
            "a re-check of a usable account is no news"
        );
        providers.set_not_ready("default", "cloud unavailable".into());
        assert!(ready.try_recv().is_err(), "becoming unusable wakes nobody");
        providers.set_ready("default", client(settings("two")), settings("two"));
        assert_eq!(ready.try_recv().ok().as_deref(), Some("default"));
    }

    #[test]
    fn a_provider_config_not_checked_yet_is_told_from_a_missing_one() {
        use kube::runtime::watcher::Event;
        let unchecked = |p: &Providers, name: &str| p.get(name, "ns").err().map(|u| u.unchecked);
        let providers = Providers::default();
        assert_eq!(
            unchecked(&providers, "pc"),
            Some(false),
            "without a list nothing says it exists"
        );
        let (store, mut writer) = kube::runtime::reflector::store::<ProviderConfig>();
        providers.watch_provider_configs(store);
        assert_eq!(
            unchecked(&providers, "pc"),
            Some(true),
            "the list is not in yet"
        );
        let pc: ProviderConfig = serde_json::from_value(serde_json::json!({
            "apiVersion": "mongocloud.dev/v1alpha1", "kind": "ProviderConfig",
            "metadata": {"name": "pc"},
            "spec": {"provider": "Aliyun", "credentials": {"secretRef": {"namespace": "ns", "name": "s"}}}
        }))
        .expect("a ProviderConfig");
        writer.apply_watcher_event(&Event::Init);
        writer.apply_watcher_event(&Event::InitApply(pc));
        writer.apply_watcher_event(&Event::InitDone);
        assert_eq!(
            unchecked(&providers, "pc"),
            Some(true),
            "listed, not checked"
        );
        assert_eq!(
            unchecked(&providers, "other"),
            Some(false),
            "not listed: it does not exist"
        );
        assert_eq!(
            providers.get("other", "ns").err().map(|u| u.message),
            Some("ProviderConfig other does not exist".to_owned())
        );
        providers.set_allowed("pc", None);
        assert_eq!(
            unchecked(&providers, "pc"),
            Some(true),
            "its check is under way"
        );
        providers.set_not_ready("pc", "bad key".into());
        assert_eq!(
            unchecked(&providers, "pc"),
            Some(false),
            "checked and not usable"
        );
    }

    #[test]
    fn a_recheck_with_the_same_settings_keeps_the_client_and_a_rotated_key_replaces_it() {
        let providers = Providers::default();
        let first = client(settings("one"));
        providers.set_ready("default", first.clone(), settings("one"));
        let kept = providers
            .reuse("default", &settings("one"))
            .expect("same settings");
        assert!(Arc::ptr_eq(&first, &kept));
        assert!(providers.reuse("default", &settings("two")).is_none());
        assert!(providers.reuse("other", &settings("one")).is_none());
        providers.set_not_ready("default", "bad key".into());
        assert!(providers.reuse("default", &settings("one")).is_none());
    }
}
