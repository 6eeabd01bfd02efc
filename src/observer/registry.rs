//! One observer per (ProviderConfig, region), started when a resource first needs it and
//! replaced when the account's client is (rotated credentials). All observers send changes to
//! one channel, which the DBInstance controller turns into reconciles.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use super::{Observer, Ticks};
use crate::cloud::Provider;

/// Room for changes not yet picked up; a receiver that falls further behind loses some, and
/// those resources are still reconciled on their timers. The receiver only forwards ids to the
/// controller's queue, so it keeps up with a refresh of 30 ids a call; each slot is allocated
/// up front (some fifty bytes).
const CHANGE_BUFFER: usize = 4_096;

struct Running {
    provider: Arc<dyn Provider>,
    observer: Arc<Observer>,
    task: JoinHandle<()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub struct Observers {
    ticks: Ticks,
    /// The tag every listing filters by (a shard's), or `None` for the whole account.
    tag: Option<(String, String)>,
    changes: broadcast::Sender<String>,
    running: Mutex<HashMap<(String, String), Running>>,
}

impl Observers {
    pub fn new(ticks: Ticks) -> Self {
        let (changes, _) = broadcast::channel(CHANGE_BUFFER);
        Observers {
            ticks,
            tag: None,
            changes,
            running: Mutex::default(),
        }
    }

    /// Lists only instances carrying `tag` (a shard's, see [`crate::shard`]); instances asked
    /// about that do not carry it are read by the batched attribute calls instead.
    pub fn listing_tag(mut self, tag: Option<(String, String)>) -> Self {
        self.tag = tag;
        self
    }

    /// The observer of `account`'s `region`, started (or restarted for a new client) on demand.
    /// Must be called inside a Tokio runtime.
    pub fn get(&self, account: &str, region: &str, provider: &Arc<dyn Provider>) -> Arc<Observer> {
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        let key = (account.to_owned(), region.to_owned());
        if let Some(current) = running.get(&key)
            && Arc::ptr_eq(&current.provider, provider)
        {
            return current.observer.clone();
        }
        let observer = Observer::new(
            provider.clone(),
            region.to_owned(),
            self.tag.clone(),
            self.ticks,
            self.changes.clone(),
        );
        let task = tokio::spawn(observer.clone().run());
        tracing::debug!(account, region, "observer started");
        running.insert(
            key,
            Running {
                provider: provider.clone(),
                observer: observer.clone(),
                task,
            },
        );
        observer
    }

    /// Ids of instances whose observation changed, from every observer.
    pub fn subscribe(&self) -> broadcast::Receiver<String> {
        self.changes.subscribe()
    }
}
