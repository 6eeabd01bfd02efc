//! One stored object the operator cannot decode (written before a schema change, or holding a
//! value the type refuses) must not stop the watch of its kind. Watched through kube's
//! [`DeserializeGuard`] (Stackable's idea), a list or watch event never fails on one object:
//! good objects pass on as before, a bad one is named in a warning Event and a log line with
//! its decode error, and left alone (no reconcile, no cloud call) until it is fixed.

use std::sync::Arc;

use kube::core::DeserializeGuard;
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::watcher::Event;
use kube::{Resource, ResourceExt};

use super::Ctx;
use super::kube_io::publish;

/// Event reason for an object that cannot be decoded.
pub const REASON_UNDECODABLE: &str = "CannotDecode";

/// What a guarded watch event becomes: the event on decoded objects (if anything is left of
/// it), and the object that could not be decoded.
pub struct Split<K: Resource> {
    pub event: Option<Event<K>>,
    pub invalid: Option<DeserializeGuard<K>>,
}

/// Splits a guarded event. A bad object in a (re)list is simply left out: the store is rebuilt
/// from the list. A good object that turns bad in a watch event leaves the store as a delete of
/// its last good version (`last_good`), so the operator never acts on a spec that is no longer
/// there.
pub fn split<K: Resource + Clone>(
    event: Event<DeserializeGuard<K>>,
    last_good: impl FnOnce(&DeserializeGuard<K>) -> Option<K>,
) -> Split<K> {
    let good = |event: Option<Event<K>>| Split {
        event,
        invalid: None,
    };
    match event {
        Event::Init => good(Some(Event::Init)),
        Event::InitDone => good(Some(Event::InitDone)),
        Event::InitApply(DeserializeGuard(Ok(obj))) => good(Some(Event::InitApply(obj))),
        Event::Apply(DeserializeGuard(Ok(obj))) => good(Some(Event::Apply(obj))),
        Event::Delete(DeserializeGuard(Ok(obj))) => good(Some(Event::Delete(obj))),
        Event::InitApply(bad) => Split {
            event: None,
            invalid: Some(bad),
        },
        Event::Apply(bad) => Split {
            event: last_good(&bad).map(Event::Delete),
            invalid: Some(bad),
        },
        // Gone while undecodable: the store already dropped it when it turned bad.
        Event::Delete(bad) => good(last_good(&bad).map(Event::Delete)),
    }
}

/// The watch-stream step every managed kind's controller runs: decoded events pass, a bad
/// object is reported (log line now, Event in the background so the watch never waits).
pub fn unguard<K>(
    event: Event<DeserializeGuard<K>>,
    store: &Store<K>,
    ctx: &Arc<Ctx>,
) -> Option<Event<K>>
where
    K: Resource<DynamicType = ()> + Clone + Send + Sync + 'static,
{
    let last_good = |bad: &DeserializeGuard<K>| {
        let mut reference = ObjectRef::<K>::new(&bad.name_any());
        if let Some(ns) = bad.namespace() {
            reference = reference.within(&ns);
        }
        store.get(&reference).map(|obj| (*obj).clone())
    };
    let Split { event, invalid } = split(event, last_good);
    if let Some(bad) = invalid {
        report(bad, ctx.clone());
    }
    event
}

fn report<K>(bad: DeserializeGuard<K>, ctx: Arc<Ctx>)
where
    K: Resource<DynamicType = ()> + Clone + Send + Sync + 'static,
{
    let Err(invalid) = &bad.0 else {
        return;
    };
    let kind = K::kind(&());
    let (ns, name) = (bad.namespace().unwrap_or_default(), bad.name_any());
    tracing::warn!(kind = kind.as_ref(), namespace = %ns, object = %name, error = %invalid.error, "object cannot be decoded; it is not reconciled until it is fixed");
    let note = format!(
        "the operator cannot read this {kind} ({}); it is not reconciled, and no cloud call is made for it, until it is fixed (kubectl edit {} {name} -n {ns}); other objects are not affected",
        invalid.error,
        kind.to_lowercase()
    );
    tokio::spawn(async move {
        publish(&ctx, &bad, true, REASON_UNDECODABLE, "Decode", note).await;
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::DBInstance;
    use serde_json::json;

    fn guarded(engine: &str) -> DeserializeGuard<DBInstance> {
        serde_json::from_value(json!({
            "apiVersion": "mongocloud.dev/v1alpha1", "kind": "DBInstance",
            "metadata": {"name": "orders", "namespace": "shop", "uid": "u1"},
            "spec": {"forProvider": {"regionId": "cn-hangzhou", "engineVersion": engine,
                                     "instanceClass": "dds.mongo.mid", "storageGB": 20}}
        }))
        .expect("a guard always decodes")
    }

    fn decoded(engine: &str) -> DBInstance {
        guarded(engine).0.expect("valid")
    }

    /// A stored object from before a schema change decodes as an invalid object that keeps its
    /// name and the decode error, instead of failing the whole list.
    #[test]
    fn an_undecodable_object_keeps_its_name_and_error() {
        let bad = guarded("3.2");
        let invalid = bad.0.as_ref().expect_err("3.2 is not an engine version");
        assert_eq!(bad.name_any(), "orders");
        assert_eq!(bad.namespace().as_deref(), Some("shop"));
        assert!(invalid.error.contains("3.2"), "{}", invalid.error);
        let list: Vec<DeserializeGuard<DBInstance>> =
            serde_json::from_value(json!([{"metadata": {"name": "x"}, "spec": 1}]))
                .expect("a list with a bad item still decodes");
        assert!(list[0].0.is_err());
    }

    /// Every event shape: good objects pass unchanged, a bad one is reported and never reaches
    /// the store, and a good object turning bad leaves the store.
    #[test]
    fn events_are_split_into_decoded_events_and_objects_to_report() {
        let none = |_: &DeserializeGuard<DBInstance>| None;
        let previous = |_: &DeserializeGuard<DBInstance>| Some(decoded("6.0"));
        let cases: Vec<(&str, Split<DBInstance>, Option<&str>, bool)> = vec![
            ("init", split(Event::Init, none), Some("Init"), false),
            (
                "init done",
                split(Event::InitDone, none),
                Some("InitDone"),
                false,
            ),
            (
                "good in a list",
                split(Event::InitApply(guarded("6.0")), none),
                Some("InitApply"),
                false,
            ),
            (
                "good applied",
                split(Event::Apply(guarded("6.0")), none),
                Some("Apply"),
                false,
            ),
            (
                "good deleted",
                split(Event::Delete(guarded("6.0")), none),
                Some("Delete"),
                false,
            ),
            (
                "bad in a list",
                split(Event::InitApply(guarded("3.2")), previous),
                None,
                true,
            ),
            (
                "bad, never good",
                split(Event::Apply(guarded("3.2")), none),
                None,
                true,
            ),
            (
                "good turned bad",
                split(Event::Apply(guarded("3.2")), previous),
                Some("Delete"),
                true,
            ),
            (
                "bad deleted",
                split(Event::Delete(guarded("3.2")), none),
                None,
                false,
            ),
        ];
        for (case, got, event, reported) in cases {
            let shape = got.event.as_ref().map(|e| match e {
                Event::Init => "Init",
                Event::InitDone => "InitDone",
                Event::InitApply(_) => "InitApply",
                Event::Apply(_) => "Apply",
                Event::Delete(_) => "Delete",
            });
            assert_eq!(shape, event, "{case}");
            assert_eq!(got.invalid.is_some(), reported, "{case}");
        }
    }
}
