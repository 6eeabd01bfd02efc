//! The cloud accounts the ProviderConfig controller has checked, by ProviderConfig name.
//!
//! Resource controllers look their account up here instead of reading Secrets themselves, so a
//! Secret is read once per change, not once per reconcile of every resource.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::cloud::{AccountSettings, Provider};

/// Builds a client for an account. Injected so tests and other clouds can supply their own.
pub type ProviderFactory =
    Arc<dyn Fn(AccountSettings) -> Result<Arc<dyn Provider>, String> + Send + Sync>;

/// The state of one ProviderConfig as the resource controllers see it.
#[derive(Clone)]
enum Account {
    Ready(Arc<dyn Provider>),
    NotReady(String),
}

#[derive(Default)]
pub struct Providers {
    accounts: RwLock<HashMap<String, Account>>,
}

impl Providers {
    /// The checked account of a ProviderConfig, or why there is none.
    pub fn get(&self, name: &str) -> Result<Arc<dyn Provider>, String> {
        let accounts = self
            .accounts
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        match accounts.get(name) {
            Some(Account::Ready(provider)) => Ok(provider.clone()),
            Some(Account::NotReady(why)) => {
                Err(format!("ProviderConfig {name} is not Ready: {why}"))
            }
            None => Err(format!(
                "ProviderConfig {name} does not exist or was not checked yet"
            )),
        }
    }

    pub fn set_ready(&self, name: &str, provider: Arc<dyn Provider>) {
        self.write()
            .insert(name.to_owned(), Account::Ready(provider));
    }

    pub fn set_not_ready(&self, name: &str, why: String) {
        self.write().insert(name.to_owned(), Account::NotReady(why));
    }

    pub fn remove(&self, name: &str) {
        self.write().remove(name);
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, Account>> {
        // A panic while holding the lock cannot leave the map half-written: every write is one call.
        self.accounts
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
