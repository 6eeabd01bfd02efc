//! What the controllers keep of each watched object. The cache holds what reconciles read;
//! what they rebuild from the cloud on every observation (a DBInstance's `status.atProvider`,
//! see [`Managed::forget_observation`]) is dropped from the cached copy and stands as a digest
//! of the status the API server holds, which is all a reconcile needs to tell whether its new
//! status would change anything. At ten thousand DBInstances the observation was a third of
//! the cache, and the observer holds the same facts already.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Mutex;

use kube::Resource;
use kube::runtime::watcher::Event;
use serde::Serialize;

use super::managed::Managed;

/// Digests of one object's status as the API server last showed it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Digests {
    /// The whole status.
    pub whole: u64,
    /// The status as cached, without the observation.
    pub kept: u64,
}

/// Values kept per watched object, keyed by [`identity`], that follow the watch: a delete
/// forgets its object, and a relist (`Init` … `InitDone`) replaces the table, so objects deleted
/// while the watch was away are forgotten too.
pub struct ByObject<V> {
    current: HashMap<u64, V>,
    /// Filled during a relist; replaces `current` when the relist is complete.
    relisted: Option<HashMap<u64, V>>,
}

impl<V> Default for ByObject<V> {
    fn default() -> Self {
        ByObject {
            current: HashMap::new(),
            relisted: None,
        }
    }
}

impl<V: Copy> ByObject<V> {
    pub fn get(&self, key: u64) -> Option<V> {
        self.current.get(&key).copied()
    }

    /// Sets the object's value; returns the one it replaces.
    pub fn insert(&mut self, key: u64, value: V) -> Option<V> {
        if let Some(relisted) = self.relisted.as_mut() {
            relisted.insert(key, value);
        }
        self.current.insert(key, value)
    }

    pub fn remove(&mut self, key: u64) {
        self.current.remove(&key);
        if let Some(relisted) = self.relisted.as_mut() {
            relisted.remove(&key);
        }
    }

    pub fn relist_started(&mut self) {
        self.relisted = Some(HashMap::with_capacity(self.current.len()));
    }

    pub fn relist_done(&mut self) {
        if let Some(relisted) = self.relisted.take() {
            self.current = relisted;
        }
    }

    #[cfg(test)]
    pub fn count(&self) -> usize {
        self.current.len()
    }
}

/// [`Digests`] of every cached object.
#[derive(Default)]
pub struct StatusDigests(Mutex<ByObject<Digests>>);

impl StatusDigests {
    pub fn get<K: Managed>(&self, obj: &K) -> Option<Digests> {
        self.lock().get(identity(obj))
    }

    /// After our own status write: what the API server holds is unknown until the watch
    /// delivers it. Keeping the old digests would let a reconcile that runs before then (an
    /// account becoming usable wakes every user at once) compare against a status the server
    /// no longer holds, find it equal, and skip the write that undoes the one just made.
    pub fn forget<K: Managed>(&self, obj: &K) {
        self.lock().remove(identity(obj));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ByObject<Digests>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The form an object is cached in; records its status digests (or forgets them when the
/// object is deleted) on the way.
pub fn cached_form<K: Managed>(event: Event<K>, digests: &StatusDigests) -> Event<K> {
    match event {
        Event::Apply(obj) => Event::Apply(cache(obj, digests)),
        Event::InitApply(obj) => Event::InitApply(cache(obj, digests)),
        Event::Delete(obj) => {
            digests.lock().remove(identity(&obj));
            Event::Delete(obj)
        }
        Event::Init => {
            digests.lock().relist_started();
            Event::Init
        }
        Event::InitDone => {
            digests.lock().relist_done();
            Event::InitDone
        }
    }
}

fn cache<K: Managed>(mut obj: K, digests: &StatusDigests) -> K {
    slim_metadata(&mut obj);
    let key = identity(&obj);
    let Some(status) = obj.current_status_mut() else {
        digests.lock().remove(key);
        return obj;
    };
    let whole = digest(status);
    K::forget_observation(status);
    let kept = digest(status);
    digests.lock().insert(key, Digests { whole, kept });
    obj
}

/// Managed fields and kubectl's last-applied copy of the spec are most of an object's size,
/// and no reconcile reads them.
fn slim_metadata<K: Resource>(obj: &mut K) {
    let meta = obj.meta_mut();
    meta.managed_fields = None;
    if let Some(annotations) = meta.annotations.as_mut() {
        annotations.remove("kubectl.kubernetes.io/last-applied-configuration");
        if annotations.is_empty() {
            // An empty map still holds its node (over 500 bytes for string pairs).
            meta.annotations = None;
        }
    }
}

/// Kind, namespace, name and UID: a recreated object with the same name is a new object.
pub fn identity<K: Resource<DynamicType = ()>>(obj: &K) -> u64 {
    let meta = obj.meta();
    hash(&(K::kind(&()), &meta.namespace, &meta.name, &meta.uid))
}

pub fn hash(value: &impl Hash) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

/// A digest of a status's JSON form: equal statuses serialise equally.
pub fn digest<S: Serialize>(status: &S) -> u64 {
    struct HashWriter(DefaultHasher);
    impl std::io::Write for HashWriter {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.write(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut writer = HashWriter(DefaultHasher::new());
    // Serialising plain data structures into a writer that cannot fail does not fail; if it
    // ever did, the digest matches nothing and the status is written.
    if serde_json::to_writer(&mut writer, status).is_err() {
        return 0;
    }
    writer.0.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::DBInstance;
    use crate::api::dbinstance::DBInstanceObservation;

    fn dbinstance(uid: &str, at_provider: Option<&str>) -> DBInstance {
        let mut obj: DBInstance = serde_json::from_value(serde_json::json!({
            "apiVersion": "mongocloud.dev/v1alpha1",
            "kind": "DBInstance",
            "metadata": {
                "name": "orders", "namespace": "shop", "uid": uid,
                "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"},
                "managedFields": [{"manager": "kubectl", "operation": "Apply"}],
            },
            "spec": {"forProvider": {"regionId": "cn-hangzhou", "engineVersion": "6.0",
                     "instanceClass": "dds.mongo.mid", "storageGB": 10}},
            "status": {"instanceId": "dds-1", "conditions": []},
        }))
        .expect("a valid DBInstance");
        if let (Some(status), Some(word)) = (obj.status.as_mut(), at_provider) {
            status.at_provider = Some(Box::new(DBInstanceObservation {
                status: word.to_owned(),
                ..Default::default()
            }));
        }
        obj
    }

    #[test]
    fn the_cached_copy_drops_the_observation_and_metadata_no_reconcile_reads() {
        let digests = StatusDigests::default();
        let obj = dbinstance("u1", Some("Running"));
        let whole = digest(&obj.status);
        let Event::Apply(cached) = cached_form(Event::Apply(obj), &digests) else {
            panic!("an Apply stays an Apply");
        };
        let status = cached.status.as_ref().expect("status kept");
        assert_eq!(status.at_provider, None);
        assert_eq!(status.instance_id.as_deref(), Some("dds-1"));
        assert_eq!(cached.metadata.managed_fields, None);
        assert_eq!(cached.metadata.annotations, None);
        let recorded = digests.get(&cached).expect("digests recorded");
        assert_eq!(recorded.whole, whole);
        assert_eq!(recorded.kept, digest(&cached.status));
        assert_ne!(recorded.whole, recorded.kept);
    }

    #[test]
    fn a_status_equal_to_the_servers_has_the_recorded_digest() {
        let digests = StatusDigests::default();
        let Event::Apply(cached) =
            cached_form(Event::Apply(dbinstance("u1", Some("Running"))), &digests)
        else {
            panic!("an Apply stays an Apply");
        };
        let same = dbinstance("u1", Some("Running")).status;
        let moved = dbinstance("u1", Some("Rebooting")).status;
        let recorded = digests.get(&cached).expect("digests recorded");
        assert_eq!(digest(&same.expect("status")), recorded.whole);
        assert_ne!(digest(&moved.expect("status")), recorded.whole);
    }

    #[test]
    fn our_own_write_forgets_until_the_watch_brings_the_new_status() {
        let digests = StatusDigests::default();
        let Event::Apply(cached) =
            cached_form(Event::Apply(dbinstance("u1", Some("Running"))), &digests)
        else {
            panic!("an Apply stays an Apply");
        };
        digests.forget(&cached);
        assert_eq!(digests.get(&cached), None, "nothing is known to be held");
        cached_form(Event::Apply(dbinstance("u1", Some("Rebooting"))), &digests);
        let moved = dbinstance("u1", Some("Rebooting")).status.expect("status");
        assert_eq!(digests.get(&cached).map(|d| d.whole), Some(digest(&moved)));
    }

    #[test]
    fn deletion_forgets_and_a_recreated_object_is_a_new_entry() {
        let digests = StatusDigests::default();
        let Event::Apply(cached) = cached_form(Event::Apply(dbinstance("u1", None)), &digests)
        else {
            panic!("an Apply stays an Apply");
        };
        cached_form(Event::Delete(cached.clone()), &digests);
        assert_eq!(digests.get(&cached), None);
        cached_form(Event::InitApply(dbinstance("u2", None)), &digests);
        assert_eq!(digests.get(&cached), None, "same name, other UID");
        assert!(digests.get(&dbinstance("u2", None)).is_some());
    }

    #[test]
    fn a_relist_forgets_objects_deleted_while_the_watch_was_away() {
        let digests = StatusDigests::default();
        let kept = dbinstance("kept", None);
        let deleted = dbinstance("deleted", None);
        cached_form(Event::Apply(kept.clone()), &digests);
        cached_form(Event::Apply(deleted.clone()), &digests);
        cached_form(Event::<DBInstance>::Init, &digests);
        cached_form(Event::InitApply(kept.clone()), &digests);
        assert!(
            digests.get(&deleted).is_some(),
            "known until the relist completes"
        );
        cached_form(Event::<DBInstance>::InitDone, &digests);
        assert!(digests.get(&kept).is_some());
        assert_eq!(digests.get(&deleted), None);
    }
}
