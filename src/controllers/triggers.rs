//! What wakes a managed kind's controller: changes to an object's spec, annotations or
//! finalizers (our own status writes do not), as compact references; and a ProviderConfig
//! whose account became usable, for the objects that use it.
//!
//! kube's `predicate_filter` keeps three strings per object and its `ObjectRef`s carry the
//! resource version and UID, which the scheduler then holds for every requeued object; at
//! ten thousand objects that was several MiB for what a pair of hashes per object answers.

use futures::stream::BoxStream;
use futures::{Stream, StreamExt, future};
use kube::Resource;
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::watcher::{self, Event};
use tokio::sync::broadcast;

use super::Ctx;
use super::managed::Managed;

use super::cache::{ByObject, hash, identity};

/// A reference to each object that appeared, or whose spec, annotations or finalizers
/// changed, since the stream last saw it. A relist forgets objects deleted meanwhile.
pub fn spec_changes<K, S>(events: S) -> impl Stream<Item = ObjectRef<K>>
where
    K: Resource<DynamicType = ()>,
    S: Stream<Item = Result<Event<K>, watcher::Error>>,
{
    let mut seen = Seen::default();
    events.filter_map(move |event| {
        let changed = match event {
            Ok(event) => seen.apply(&event),
            Err(error) => {
                tracing::warn!(kind = %K::kind(&()), %error, "watch failed; retrying");
                None
            }
        };
        future::ready(changed)
    })
}

/// The objects of each ProviderConfig whose account just became usable: after a restart, or a
/// cloud outage during the credential check, they would otherwise wait out their requeue timers.
pub fn account_ready<K: Managed>(ctx: &Ctx, store: Store<K>) -> BoxStream<'static, ObjectRef<K>> {
    received(ctx.providers.subscribe_ready(), "ProviderConfig readiness")
        .flat_map(move |name| {
            let users: Vec<ObjectRef<K>> = store
                .state()
                .iter()
                .filter(|obj| obj.provider_config() == name)
                .map(|obj| reference(&**obj))
                .collect();
            futures::stream::iter(users)
        })
        .boxed()
}

/// What a broadcast channel carries, as a stream; a receiver that fell behind logs what it
/// missed (`what`) and goes on, since every object also has its requeue timer.
pub fn received<T: Clone + Send + 'static>(
    receiver: broadcast::Receiver<T>,
    what: &'static str,
) -> BoxStream<'static, T> {
    futures::stream::unfold(receiver, move |mut receiver| async move {
        loop {
            match receiver.recv().await {
                Ok(item) => return Some((item, receiver)),
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(
                        missed,
                        what,
                        "notifications missed: their resources wait for their requeue timers"
                    );
                }
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    })
    .boxed()
}

/// Fingerprints of what triggers a reconcile, by object.
#[derive(Default)]
struct Seen(ByObject<u64>);

impl Seen {
    fn apply<K: Resource<DynamicType = ()>>(&mut self, event: &Event<K>) -> Option<ObjectRef<K>> {
        match event {
            Event::Apply(obj) | Event::InitApply(obj) => {
                let fingerprint = trigger_fingerprint(obj);
                let previous = self.0.insert(identity(obj), fingerprint);
                (previous != Some(fingerprint)).then(|| reference(obj))
            }
            Event::Delete(obj) => {
                self.0.remove(identity(obj));
                None
            }
            Event::Init => {
                self.0.relist_started();
                None
            }
            Event::InitDone => {
                self.0.relist_done();
                None
            }
        }
    }
}

fn trigger_fingerprint<K: Resource>(obj: &K) -> u64 {
    let meta = obj.meta();
    hash(&(&meta.generation, &meta.annotations, &meta.finalizers))
}

/// Name and namespace only: lookups in the store ignore the rest.
pub fn reference<K: Resource<DynamicType = ()>>(obj: &K) -> ObjectRef<K> {
    let meta = obj.meta();
    let name = meta.name.as_deref().unwrap_or_default();
    match meta.namespace.as_deref() {
        Some(namespace) => ObjectRef::new(name).within(namespace),
        None => ObjectRef::new(name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Backup;

    fn backup(name: &str, uid: &str, generation: i64) -> Backup {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "mongocloud.dev/v1alpha1",
            "kind": "Backup",
            "metadata": {"name": name, "namespace": "ns", "uid": uid, "generation": generation,
                         "resourceVersion": "7"},
            "spec": {"forProvider": {"dbInstanceRef": {"name": "db"}, "method": "Physical"}},
        }))
        .expect("a valid Backup")
    }

    fn names(out: Vec<Option<ObjectRef<Backup>>>) -> Vec<Option<String>> {
        out.into_iter().map(|r| r.map(|r| r.name)).collect()
    }

    #[test]
    fn new_objects_and_spec_changes_trigger_status_writes_do_not() {
        let mut seen = Seen::default();
        let a1 = backup("a", "u-a", 1);
        let mut a1_status = a1.clone();
        a1_status.meta_mut().resource_version = Some("8".to_owned());
        let out = vec![
            seen.apply(&Event::Apply(a1.clone())),
            seen.apply(&Event::Apply(a1_status)),
            seen.apply(&Event::Apply(backup("a", "u-a", 2))),
            seen.apply(&Event::Apply(backup("b", "u-b", 1))),
        ];
        assert_eq!(
            names(out),
            vec![Some("a".into()), None, Some("a".into()), Some("b".into())]
        );
    }

    #[test]
    fn annotations_and_finalizers_trigger() {
        let mut seen = Seen::default();
        let plain = backup("a", "u-a", 1);
        let mut annotated = plain.clone();
        annotated
            .meta_mut()
            .annotations
            .get_or_insert_default()
            .insert("mongocloud.dev/paused".into(), "true".into());
        let mut finalized = annotated.clone();
        finalized.meta_mut().finalizers = Some(vec!["mongocloud.dev/cleanup".into()]);
        let out = vec![
            seen.apply(&Event::Apply(plain)),
            seen.apply(&Event::Apply(annotated)),
            seen.apply(&Event::Apply(finalized.clone())),
            seen.apply(&Event::Apply(finalized)),
        ];
        assert_eq!(
            names(out),
            vec![Some("a".into()), Some("a".into()), Some("a".into()), None]
        );
    }

    #[test]
    fn a_recreated_object_triggers_even_with_the_same_spec() {
        let mut seen = Seen::default();
        assert!(seen.apply(&Event::Apply(backup("a", "u-1", 1))).is_some());
        assert!(seen.apply(&Event::Delete(backup("a", "u-1", 1))).is_none());
        assert!(seen.apply(&Event::Apply(backup("a", "u-1", 1))).is_some());
        assert!(seen.apply(&Event::Apply(backup("a", "u-2", 1))).is_some());
    }

    #[test]
    fn a_relist_triggers_only_what_changed_and_forgets_the_deleted() {
        let mut seen = Seen::default();
        seen.apply(&Event::Apply(backup("a", "u-a", 1)));
        seen.apply(&Event::Apply(backup("b", "u-b", 1)));
        let out = vec![
            seen.apply(&Event::Init),
            seen.apply(&Event::InitApply(backup("a", "u-a", 1))),
            seen.apply(&Event::InitApply(backup("c", "u-c", 1))),
            seen.apply(&Event::InitDone),
        ];
        assert_eq!(names(out), vec![None, None, Some("c".into()), None]);
        assert_eq!(seen.0.count(), 2, "b was deleted during the relist");
        assert!(seen.apply(&Event::Apply(backup("b", "u-b", 1))).is_some());
    }

    #[test]
    fn references_carry_name_and_namespace_only() {
        let r = reference(&backup("a", "u-a", 1));
        assert_eq!((r.name.as_str(), r.namespace.as_deref()), ("a", Some("ns")));
        assert!(r.extra.resource_version.is_none() && r.extra.uid.is_none());
    }

    #[tokio::test]
    async fn watch_errors_are_skipped() {
        let events = futures::stream::iter(vec![
            Err(watcher::Error::NoResourceVersion),
            Ok(Event::Apply(backup("a", "u-a", 1))),
        ]);
        let out: Vec<ObjectRef<Backup>> = spec_changes(events).collect().await;
        assert_eq!(out.len(), 1);
    }
}
