//! Batched, shared observation of many instances: one observer per cloud account and region
//! lists every instance with DescribeDBInstances (100 a page) on a slow tick and refreshes the
//! instances in transition — or just asked about — with DescribeDBInstanceAttribute, 30 ids a
//! call, on a fast tick. Reconciles read its snapshot instead of calling the cloud and never
//! wait for it: a question about a stale instance is queued (concurrent questions share one
//! batched call) and its answer, like every change the observer sees, is broadcast so the
//! resource is reconciled again at once, not at its next timer.

pub mod packed;
pub mod plan;
pub mod registry;

pub use registry::Observers;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, broadcast};
use tokio::time::Instant;

use crate::cloud::{CloudError, Instance, ListInstances, Provider};
use packed::Packed;

/// How long a question waits for others to share its batched call.
const GATHER: Duration = Duration::from_millis(25);

/// How often the observer looks.
#[derive(Clone, Copy, Debug)]
pub struct Ticks {
    /// Full listing of the region.
    pub list: Duration,
    /// Attribute refresh of hot instances.
    pub hot: Duration,
}

#[derive(Default)]
struct State {
    /// A fingerprint of each instance's listed fields, as of the last listing.
    listed: HashMap<String, u64>,
    /// Each instance read and not since found gone.
    known: HashMap<String, Known>,
    /// Ids to refresh on the next fast tick.
    hot: BTreeSet<String>,
    /// Ids asked about and not yet answered, with when they were first asked.
    asked: HashMap<String, Instant>,
    /// Ids the last refresh found gone.
    gone: BTreeSet<String>,
    /// Sweep reads owed but not yet spent (see [`plan::sweep_size`]).
    owed: f64,
    /// When each instance was last mutated: an answer to a call sent before that is outdated.
    mutated: HashMap<String, Instant>,
}

struct Known {
    /// The last read, unless a mutation since made it outdated.
    held: Option<Held>,
    /// When the attributes were last read; the oldest are re-read by a sweep sized so fields a
    /// listing does not carry (maintenance window, endpoints) are checked within
    /// [`plan::ATTRIBUTE_MAX_AGE`].
    read: Instant,
}

/// An instance's full attributes and when they were last known current: read by an attribute
/// call, or confirmed by a listing that shows the same listed fields.
struct Held {
    instance: Packed,
    /// [`plan::fingerprint`] of the instance, to compare with listings without unpacking it.
    listed: u64,
    at: Instant,
    /// Read by a call sent after a question about it, which has not been told yet: the one who
    /// asked takes it as fresh whatever age it asks for (for a spec change, `max_age` is zero:
    /// only a read made after the question makes its plan safe).
    answers: bool,
}

impl State {
    fn held(&self, id: &str) -> Option<&Held> {
        self.known.get(id)?.held.as_ref()
    }

    /// The instance's attributes if they were known current within `max_age`, or read in
    /// answer to a question (which this call takes: a later question needs a later read).
    fn current(&mut self, id: &str, max_age: Duration) -> Option<Box<Instance>> {
        let held = self.known.get_mut(id)?.held.as_mut()?;
        if !held.answers && held.at.elapsed() > max_age {
            return None;
        }
        held.answers = false;
        match held.instance.unpack() {
            Ok(instance) => Some(Box::new(instance)),
            Err(error) => {
                tracing::warn!(%error, instance_id = %id, "held attributes do not unpack; reading them again");
                None
            }
        }
    }
}

pub struct Observer {
    provider: Arc<dyn Provider>,
    region: String,
    /// Only instances with this tag are listed (a shard's own, see [`crate::shard`]).
    tag: Option<(String, String)>,
    ticks: Ticks,
    state: Mutex<State>,
    wake: Notify,
    changes: broadcast::Sender<String>,
}

/// What the observer can say about one instance right now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Peek {
    Present(Box<Instance>),
    Gone,
    /// Not known fresh enough: queued for a batched refresh, whose answer is sent on the
    /// change stream.
    Queued,
    /// Asked about for longer than [`Observer::patience`] without an answer: the caller reads
    /// the cloud itself.
    Overdue,
}

impl Observer {
    /// An observer of one account's region, listing the instances with `tag` (all when
    /// `None`); ids whose observation changes are sent to `changes`.
    pub fn new(
        provider: Arc<dyn Provider>,
        region: String,
        tag: Option<(String, String)>,
        ticks: Ticks,
        changes: broadcast::Sender<String>,
    ) -> Arc<Self> {
        Arc::new(Observer {
            provider,
            region,
            tag,
            ticks,
            state: Mutex::default(),
            wake: Notify::new(),
            changes,
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// What is known about the instance, without waiting: its attributes if they were known
    /// current within `max_age` or were read in answer to an earlier question, else
    /// [`Peek::Queued`]: the id is refreshed in the next batched call (shared with every other
    /// question meanwhile) and sent on the change stream once answered, changed or not. A
    /// question unanswered for [`Observer::patience`] is [`Peek::Overdue`].
    pub fn peek(&self, id: &str, max_age: Duration) -> Peek {
        let mut state = self.state();
        if let Some(instance) = state.current(id, max_age) {
            return Peek::Present(instance);
        }
        if state.gone.contains(id) {
            return Peek::Gone;
        }
        let now = Instant::now();
        let asked = *state.asked.entry(id.to_owned()).or_insert(now);
        if now.duration_since(asked) >= self.patience() {
            state.asked.remove(id);
            return Peek::Overdue;
        }
        let age = state.held(id).map(|held| held.at.elapsed());
        tracing::debug!(instance_id = %id, ?age, ?max_age, "queued for a batched refresh");
        state.hot.insert(id.to_owned());
        drop(state);
        self.wake.notify_one();
        Peek::Queued
    }

    /// How long a question may stay unanswered before the caller asks the cloud itself (a
    /// refresh that keeps failing, a wake-up the change stream lost); also when a caller told
    /// [`Peek::Queued`] looks again at the latest.
    pub fn patience(&self) -> Duration {
        (self.ticks.hot * 4).max(Duration::from_secs(10))
    }

    /// Records a mutation: what is held about the instance is dropped (the next question waits
    /// for a fresh read, so a step is never planned twice from a pre-mutation view) and the
    /// instance is followed closely until it is steady again.
    pub fn touch(&self, id: &str) {
        let mut state = self.state();
        if let Some(known) = state.known.get_mut(id) {
            known.held = None;
        }
        state.gone.remove(id);
        state.mutated.insert(id.to_owned(), Instant::now());
        state.hot.insert(id.to_owned());
    }

    /// Runs the two ticks until the task is dropped.
    pub async fn run(self: Arc<Self>) {
        let mut list = tokio::time::interval(self.ticks.list);
        let mut hot = tokio::time::interval(self.ticks.hot);
        list.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        hot.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = list.tick() => {
                    if let Err(error) = self.list_all().await {
                        tracing::warn!(%error, region = %self.region, "listing instances failed");
                    }
                }
                _ = hot.tick() => self.refresh_hot().await,
                () = self.wake.notified() => {
                    // Questions come in bursts (a resync reconciles everything): let them gather.
                    tokio::time::sleep(GATHER).await;
                    self.refresh_hot().await;
                }
            }
        }
    }

    /// One full listing. Every instance whose listed fields moved, or that vanished, becomes hot;
    /// for the others the listing confirms the attributes already held, so a steady fleet needs
    /// no attribute calls at all.
    pub async fn list_all(&self) -> Result<(), CloudError> {
        // Pages are reduced to fingerprints as they arrive: holding thousands of listed
        // instances until the last page doubled the observer's memory at each listing.
        let mut fingerprints: HashMap<String, u64> = HashMap::new();
        let mut transitional = Vec::new();
        let mut page = 1;
        loop {
            let query = ListInstances {
                region: self.region.clone(),
                page_number: page,
                page_size: plan::PAGE_SIZE,
                tag: self.tag.clone(),
            };
            let answer = self.provider.list_instances(&query).await?;
            let short = answer.instances.len() < plan::PAGE_SIZE as usize;
            for listed in answer.instances {
                if plan::is_transitional(&listed) {
                    transitional.push(listed.id.clone());
                }
                let print = plan::fingerprint(&listed);
                fingerprints.insert(listed.id, print);
            }
            if short || page >= plan::pages(answer.total_count) {
                break;
            }
            page += 1;
        }
        let changed = {
            let mut state = self.state();
            let now = Instant::now();
            let mut vouched = BTreeSet::new();
            for (id, known) in state.known.iter_mut() {
                if let Some(held) = &mut known.held
                    && fingerprints.get(id) == Some(&held.listed)
                {
                    held.at = now;
                    vouched.insert(id.clone());
                }
            }
            // A move since the last listing that the refreshes already saw brings nothing new.
            let changed: BTreeSet<String> = plan::changed(&state.listed, &fingerprints)
                .into_iter()
                .filter(|id| !vouched.contains(id))
                .collect();
            state.hot.extend(changed.iter().cloned());
            state.hot.extend(transitional);
            // Instances asked about that this listing does not show: gone, or (with a tag
            // filter) adopted or created by another shard. The attribute calls read them, 30 a
            // call, where listing the whole account would cost every shard every page.
            let unlisted: Vec<String> = state
                .known
                .keys()
                .filter(|id| !fingerprints.contains_key(*id))
                .cloned()
                .collect();
            state.hot.extend(unlisted);
            let count = state.known.len();
            let size = plan::sweep_size(
                &mut state.owed,
                count,
                self.ticks.list,
                plan::ATTRIBUTE_MAX_AGE,
            );
            let sweep = plan::oldest(state.known.iter().map(|(id, known)| (id, known.read)), size);
            state.hot.extend(sweep);
            state.listed = fingerprints;
            changed
        };
        if !changed.is_empty() {
            self.wake.notify_one();
        }
        Ok(())
    }

    /// One batched attribute refresh of every hot instance.
    pub async fn refresh_hot(&self) {
        let hot = std::mem::take(&mut self.state().hot);
        let mut still_hot = BTreeSet::new();
        for batch in plan::batches(&hot) {
            let sent = Instant::now();
            match self.provider.describe_instances(&batch).await {
                Ok(found) => {
                    let answered: BTreeSet<&str> = found.iter().map(|i| i.id.as_str()).collect();
                    let missing: Vec<String> = batch
                        .iter()
                        .filter(|id| !answered.contains(id.as_str()))
                        .cloned()
                        .collect();
                    self.record(sent, found, missing, &mut still_hot);
                }
                Err(error) => {
                    tracing::warn!(%error, region = %self.region, "batched refresh failed; retrying next tick");
                    still_hot.extend(batch);
                }
            }
        }
        self.state().hot.extend(still_hot);
    }

    fn record(
        &self,
        sent: Instant,
        found: Vec<Instance>,
        missing: Vec<String>,
        still_hot: &mut BTreeSet<String>,
    ) {
        let now = Instant::now();
        // Ids whose observation changed, and ids asked about before this call was sent: an
        // unchanged answer must wake the one who asked too.
        let mut wake = Vec::new();
        {
            let mut state = self.state();
            let outdated =
                |state: &State, id: &str| state.mutated.get(id).is_some_and(|at| *at >= sent);
            let answered = |state: &mut State, id: &str| {
                let asked = state.asked.get(id).is_some_and(|at| *at <= sent);
                if asked {
                    state.asked.remove(id);
                }
                asked
            };
            for instance in found {
                if outdated(&state, &instance.id) {
                    still_hot.insert(instance.id);
                    continue;
                }
                if plan::is_transitional(&instance) {
                    still_hot.insert(instance.id.clone());
                } else {
                    state.mutated.remove(&instance.id);
                }
                state.gone.remove(&instance.id);
                let id = instance.id.clone();
                let asked = answered(&mut state, &id);
                let held = match Packed::new(&instance) {
                    Ok(packed) => {
                        let was = state.held(&id);
                        let untold = was.is_some_and(|was| was.answers);
                        if asked || was.is_none_or(|was| was.instance != packed) {
                            wake.push(id.clone());
                        }
                        Some(Held {
                            instance: packed,
                            listed: plan::fingerprint(&instance),
                            at: now,
                            answers: asked || untold,
                        })
                    }
                    Err(error) => {
                        tracing::warn!(%error, instance_id = %id, "attributes could not be held; they are read again when asked for");
                        None
                    }
                };
                state.known.insert(id, Known { held, read: now });
            }
            for id in missing {
                if outdated(&state, &id) {
                    still_hot.insert(id);
                    continue;
                }
                let asked = answered(&mut state, &id);
                state.known.remove(&id);
                state.listed.remove(&id);
                state.mutated.remove(&id);
                if state.gone.insert(id.clone()) || asked {
                    wake.push(id);
                }
            }
        }
        for id in wake {
            // Nobody listening is fine: resources are also reconciled on their timers.
            let _ = self.changes.send(id);
        }
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
