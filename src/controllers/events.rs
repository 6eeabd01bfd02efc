//! Kubernetes Events (`events.k8s.io/v1`) for what the operator did to a resource.
//!
//! kube's `Recorder` keeps every event it sent for six minutes to count repeats as a series; at
//! 10,000 resources that cache was the largest thing in the operator's heap, for events that
//! never repeat (one "created" per instance). Here only warnings are remembered — they are what
//! repeats, a refused delete retried — as small keys in a bounded map, and a repeat within six
//! minutes updates the event's series instead of making another.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::api::events::v1::{Event, EventSeries};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::json;

/// A repeat within this long joins the earlier event's series.
const REPEAT_WINDOW: Duration = Duration::from_secs(360);
/// At most this many warnings are remembered; the oldest make room.
const REMEMBERED: usize = 1024;

pub struct Events {
    client: kube::Client,
    controller: String,
    warnings: Mutex<Warnings>,
}

/// Warnings sent recently, by resource, reason and action.
#[derive(Default)]
struct Warnings(HashMap<WarningKey, Sent>);

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct WarningKey {
    uid: String,
    reason: String,
    action: String,
}

struct Sent {
    name: String,
    count: i32,
    at: Instant,
}

impl Warnings {
    /// The event to extend and its next count, when this warning was sent recently.
    fn repeat(&mut self, key: &WarningKey, now: Instant) -> Option<(String, i32)> {
        let sent = self.0.get_mut(key)?;
        if now.duration_since(sent.at) > REPEAT_WINDOW {
            self.0.remove(key);
            return None;
        }
        sent.count += 1;
        sent.at = now;
        Some((sent.name.clone(), sent.count))
    }

    fn remember(&mut self, key: WarningKey, name: String, now: Instant) {
        self.0
            .retain(|_, sent| now.duration_since(sent.at) <= REPEAT_WINDOW);
        if self.0.len() >= REMEMBERED
            && let Some(oldest) = self
                .0
                .iter()
                .min_by_key(|(_, sent)| sent.at)
                .map(|(k, _)| k.clone())
        {
            self.0.remove(&oldest);
        }
        self.0.insert(
            key,
            Sent {
                name,
                count: 1,
                at: now,
            },
        );
    }
}

/// One event to send.
pub struct Note<'a> {
    pub warning: bool,
    pub reason: &'a str,
    pub action: &'a str,
    pub note: String,
}

impl Events {
    pub fn new(client: kube::Client, controller: &str) -> Self {
        Events {
            client,
            controller: controller.to_owned(),
            warnings: Mutex::default(),
        }
    }

    pub async fn publish(
        &self,
        regarding: ObjectReference,
        note: Note<'_>,
    ) -> Result<(), kube::Error> {
        let namespace = regarding
            .namespace
            .clone()
            .unwrap_or_else(|| "default".to_owned());
        let api: Api<Event> = Api::namespaced(self.client.clone(), &namespace);
        let key = note.warning.then(|| WarningKey {
            uid: regarding.uid.clone().unwrap_or_default(),
            reason: note.reason.to_owned(),
            action: note.action.to_owned(),
        });
        let repeat = key
            .as_ref()
            .and_then(|k| self.lock().repeat(k, Instant::now()));
        if let Some((name, count)) = repeat {
            let series = EventSeries {
                count,
                last_observed_time: MicroTime(Timestamp::now()),
            };
            let patch = json!({"series": series, "note": note.note});
            return api
                .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
                .map(drop);
        }
        let event = self.event(regarding, &namespace, &note);
        let name = event.metadata.name.clone().unwrap_or_default();
        api.create(&PostParams::default(), &event).await?;
        if let Some(key) = key {
            self.lock().remember(key, name, Instant::now());
        }
        Ok(())
    }

    fn event(&self, regarding: ObjectReference, namespace: &str, note: &Note<'_>) -> Event {
        let now = Timestamp::now();
        let object = regarding
            .name
            .clone()
            .unwrap_or_else(|| self.controller.clone());
        Event {
            metadata: ObjectMeta {
                name: Some(format!("{object}.{:x}", now.as_nanosecond())),
                namespace: Some(namespace.to_owned()),
                ..ObjectMeta::default()
            },
            event_time: Some(MicroTime(now)),
            action: Some(note.action.to_owned()),
            reason: Some(note.reason.to_owned()),
            note: Some(note.note.clone()),
            type_: Some(if note.warning { "Warning" } else { "Normal" }.to_owned()),
            regarding: Some(regarding),
            reporting_controller: Some(self.controller.clone()),
            reporting_instance: Some(self.controller.clone()),
            ..Event::default()
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Warnings> {
        self.warnings.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(uid: &str) -> WarningKey {
        WarningKey {
            uid: uid.into(),
            reason: "CannotDelete".into(),
            action: "Delete".into(),
        }
    }

    #[test]
    fn a_warning_repeated_within_the_window_joins_its_series() {
        let start = Instant::now();
        let mut w = Warnings::default();
        assert_eq!(w.repeat(&key("a"), start), None);
        w.remember(key("a"), "db.1".into(), start);
        let later = start + Duration::from_secs(60);
        assert_eq!(w.repeat(&key("a"), later), Some(("db.1".into(), 2)));
        assert_eq!(w.repeat(&key("a"), later), Some(("db.1".into(), 3)));
        assert_eq!(w.repeat(&key("b"), later), None, "another resource");
        let much_later = later + REPEAT_WINDOW + Duration::from_secs(1);
        assert_eq!(
            w.repeat(&key("a"), much_later),
            None,
            "a new event after the window"
        );
    }

    #[test]
    fn at_most_a_bounded_number_of_warnings_is_remembered() {
        let start = Instant::now();
        let mut w = Warnings::default();
        for n in 0..REMEMBERED + 10 {
            w.remember(
                key(&n.to_string()),
                format!("e{n}"),
                start + Duration::from_millis(n as u64),
            );
        }
        assert_eq!(w.0.len(), REMEMBERED);
        let now = start + Duration::from_secs(1);
        assert_eq!(w.repeat(&key("0"), now), None, "the oldest made room");
        assert!(w.repeat(&key(&(REMEMBERED + 9).to_string()), now).is_some());
    }
}
