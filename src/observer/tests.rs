//! The observer against an in-memory account that counts calls: paging, batching, coalescing,
//! snapshot ageing, questions and their answers, and the change stream.

use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;

use super::*;
use crate::cloud::*;

#[derive(Default)]
struct Cloud {
    instances: Mutex<Vec<Instance>>,
    lists: AtomicUsize,
    describes: AtomicUsize,
    largest_batch: AtomicUsize,
    /// Attribute calls fail while set (a cloud outage).
    failing: std::sync::atomic::AtomicBool,
}

impl Cloud {
    fn with(n: usize, status: &str) -> Arc<Self> {
        let cloud = Cloud::default();
        *cloud.instances.lock().expect("lock") = (0..n)
            .map(|i| Instance {
                id: format!("dds-{i:05}"),
                status: status.into(),
                ..Instance::default()
            })
            .collect();
        Arc::new(cloud)
    }

    fn set_status(&self, id: &str, status: &str) {
        for i in self
            .instances
            .lock()
            .expect("lock")
            .iter_mut()
            .filter(|i| i.id == id)
        {
            i.status = status.into();
        }
    }
}

fn unused() -> CloudError {
    CloudError {
        action: "Unused",
        class: ErrorClass::Terminal,
        code: "Unused".into(),
        message: String::new(),
        request_id: String::new(),
        source: None,
    }
}

#[async_trait]
impl Provider for Cloud {
    fn cloud(&self) -> crate::cloud::Cloud {
        crate::cloud::Cloud::Aliyun
    }

    async fn check_credentials(&self) -> Result<(), CloudError> {
        Ok(())
    }
    async fn list_instances(&self, q: &ListInstances) -> Result<InstancePage, CloudError> {
        self.lists.fetch_add(1, Ordering::SeqCst);
        let mut all = self.instances.lock().expect("lock").clone();
        if let Some((key, value)) = &q.tag {
            all.retain(|i| i.tags.get(key) == Some(value));
        }
        let start = ((q.page_number - 1) * q.page_size) as usize;
        let instances = all
            .iter()
            .skip(start)
            .take(q.page_size as usize)
            .cloned()
            .collect();
        Ok(InstancePage {
            instances,
            total_count: all.len() as u32,
            page_number: q.page_number,
            page_size: q.page_size,
        })
    }
    async fn describe_instances(&self, ids: &[String]) -> Result<Vec<Instance>, CloudError> {
        self.describes.fetch_add(1, Ordering::SeqCst);
        self.largest_batch.fetch_max(ids.len(), Ordering::SeqCst);
        if self.failing.load(Ordering::SeqCst) {
            return Err(CloudError {
                class: ErrorClass::Transient,
                ..unused()
            });
        }
        Ok(self
            .instances
            .lock()
            .expect("lock")
            .iter()
            .filter(|i| ids.contains(&i.id))
            .cloned()
            .collect())
    }
    async fn create_instance(&self, _: &CreateInstance) -> Result<String, CloudError> {
        Err(unused())
    }
    async fn delete_instance(&self, _: &str) -> Result<(), CloudError> {
        Err(unused())
    }
    async fn modify_instance(&self, _: &str, _: &InstanceChange) -> Result<(), CloudError> {
        Err(unused())
    }
    async fn tag_instance(
        &self,
        _: &str,
        _: &str,
        _: &[(String, String)],
    ) -> Result<(), CloudError> {
        Err(unused())
    }
    async fn describe_ssl(&self, _: &str) -> Result<SslState, CloudError> {
        Err(unused())
    }
    async fn describe_security_ips(&self, _: &str) -> Result<Vec<SecurityIpGroup>, CloudError> {
        Err(unused())
    }
    async fn cover_security_ips(&self, _: &str, _: &SecurityIpGroup) -> Result<(), CloudError> {
        Err(unused())
    }
    async fn delete_security_ip_group(&self, _: &str, _: &str) -> Result<(), CloudError> {
        Err(unused())
    }
    async fn describe_audit(&self, _: &str) -> Result<AuditSettings, CloudError> {
        Err(unused())
    }
    async fn modify_audit(&self, _: &str, _: &AuditChange) -> Result<(), CloudError> {
        Err(unused())
    }
    async fn create_backup(&self, _: &str, _: &str, _: &str) -> Result<String, CloudError> {
        Err(unused())
    }
    async fn delete_backup(&self, _: &str, _: &str) -> Result<(), CloudError> {
        Err(unused())
    }
    async fn describe_backups(
        &self,
        _: &str,
        _: Option<&str>,
    ) -> Result<Vec<BackupInfo>, CloudError> {
        Err(unused())
    }
    async fn describe_user(&self, _: &str, _: &str) -> Result<Option<DbUser>, CloudError> {
        Err(unused())
    }
    async fn create_user(&self, _: &str, _: &NewDbUser) -> Result<(), CloudError> {
        Err(unused())
    }
    async fn update_user(&self, _: &str, _: &str, _: &UserSettings) -> Result<(), CloudError> {
        Err(unused())
    }
    async fn set_user_password(
        &self,
        _: &str,
        _: &str,
        _: &crate::cloud::error::Redacted<String>,
        _: Option<&[UserLabel]>,
    ) -> Result<(), CloudError> {
        Err(unused())
    }
    async fn delete_user(&self, _: &str, _: &str) -> Result<(), CloudError> {
        Err(unused())
    }
}

fn ticks() -> Ticks {
    Ticks {
        list: Duration::from_secs(20),
        hot: Duration::from_millis(50),
    }
}

fn observer(cloud: &Arc<Cloud>) -> Arc<Observer> {
    let (changes, _) = broadcast::channel(1024);
    Observer::new(cloud.clone(), "cn-hangzhou".into(), None, ticks(), changes)
}

#[tokio::test]
async fn listing_pages_a_thousand_instances_in_ten_calls() {
    let cloud = Cloud::with(1000, "Running");
    let observer = observer(&cloud);
    observer.list_all().await.expect("list");
    assert_eq!(cloud.lists.load(Ordering::SeqCst), 10);
    assert_eq!(observer.state().listed.len(), 1000);
}

#[tokio::test]
async fn transitional_instances_are_refreshed_in_batches_of_thirty() {
    let cloud = Cloud::with(200, "Creating");
    let observer = observer(&cloud);
    observer.list_all().await.expect("list");
    observer.refresh_hot().await;
    assert_eq!(
        cloud.describes.load(Ordering::SeqCst),
        7,
        "ceil(200/30) attribute calls"
    );
    assert_eq!(cloud.largest_batch.load(Ordering::SeqCst), 30);
}

/// Ids sent on the change stream so far.
fn drain(changes: &mut broadcast::Receiver<String>) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    while let Ok(id) = changes.try_recv() {
        seen.insert(id);
    }
    seen
}

#[tokio::test]
async fn concurrent_questions_share_one_batched_call_and_each_asker_is_woken() {
    let cloud = Cloud::with(60, "Running");
    let observer = observer(&cloud);
    let mut changes = observer.changes.subscribe();
    let ids: Vec<String> = (0..60).map(|i| format!("dds-{i:05}")).collect();
    let first: Vec<Peek> = ids
        .iter()
        .map(|id| observer.peek(id, Duration::from_secs(30)))
        .collect();
    assert!(first.iter().all(|p| *p == Peek::Queued), "{first:?}");
    let runner = tokio::spawn(observer.clone().run());
    let mut woken = BTreeSet::new();
    let waited = tokio::time::timeout(Duration::from_secs(5), async {
        while woken.len() < ids.len() {
            woken.insert(changes.recv().await.expect("change stream"));
        }
    })
    .await;
    runner.abort();
    assert!(waited.is_ok(), "woken only: {woken:?}");
    for id in &ids {
        let seen = observer.peek(id, Duration::from_secs(30));
        assert!(matches!(seen, Peek::Present(_)), "{id}: {seen:?}");
    }
    let calls = cloud.describes.load(Ordering::SeqCst);
    assert!(calls <= 4, "60 questions made {calls} attribute calls");
}

#[tokio::test]
async fn fresh_snapshot_answers_without_a_call_and_stale_one_is_queued() {
    let cloud = Cloud::with(1, "Running");
    let observer = observer(&cloud);
    let id = "dds-00000";
    assert_eq!(observer.peek(id, Duration::from_secs(30)), Peek::Queued);
    observer.refresh_hot().await;
    let calls = cloud.describes.load(Ordering::SeqCst);
    assert!(matches!(
        observer.peek(id, Duration::from_secs(30)),
        Peek::Present(_)
    ));
    assert!(
        matches!(observer.peek(id, Duration::from_secs(30)), Peek::Present(_)),
        "fresh by age, with the answer taken"
    );
    assert_eq!(
        cloud.describes.load(Ordering::SeqCst),
        calls,
        "fresh: no call"
    );
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(observer.peek(id, Duration::from_millis(10)), Peek::Queued);
    assert!(observer.state().hot.contains(id), "stale: queued");
}

/// A spec change asks with `max_age` zero: only a read made after the question answers it,
/// the answer wakes the asker even when nothing changed, and it answers one question only.
#[tokio::test]
async fn an_unchanged_answer_wakes_the_asker_and_answers_one_question() {
    let cloud = Cloud::with(1, "Running");
    let observer = observer(&cloud);
    let mut changes = observer.changes.subscribe();
    let id = "dds-00000";
    observer.peek(id, Duration::ZERO);
    observer.refresh_hot().await;
    drain(&mut changes);
    assert!(matches!(
        observer.peek(id, Duration::ZERO),
        Peek::Present(_)
    ));

    assert_eq!(
        observer.peek(id, Duration::ZERO),
        Peek::Queued,
        "answer taken"
    );
    assert_eq!(
        observer.peek(id, Duration::ZERO),
        Peek::Queued,
        "asked again"
    );
    observer.refresh_hot().await;
    assert_eq!(
        drain(&mut changes),
        BTreeSet::from([id.to_owned()]),
        "unchanged, and still woken"
    );
    assert!(matches!(
        observer.peek(id, Duration::ZERO),
        Peek::Present(_)
    ));
    assert!(
        observer.state().asked.is_empty(),
        "the question is forgotten"
    );
    observer.state().hot.insert(id.to_owned());
    observer.refresh_hot().await;
    assert!(
        drain(&mut changes).is_empty(),
        "no question, no change: nobody is woken"
    );
}

#[tokio::test]
async fn an_answer_to_a_call_sent_before_the_question_does_not_count() {
    let cloud = Cloud::with(1, "Running");
    let observer = observer(&cloud);
    let mut changes = observer.changes.subscribe();
    let id = "dds-00000";
    observer.peek(id, Duration::ZERO);
    observer.refresh_hot().await;
    observer.peek(id, Duration::ZERO);
    drain(&mut changes);

    let sent = Instant::now();
    tokio::time::sleep(Duration::from_millis(2)).await;
    assert_eq!(observer.peek(id, Duration::ZERO), Peek::Queued);
    let answer = cloud.instances.lock().expect("lock").clone();
    observer.record(sent, answer, Vec::new(), &mut BTreeSet::new());
    assert!(
        drain(&mut changes).is_empty(),
        "not an answer: nobody woken"
    );
    assert_eq!(observer.peek(id, Duration::ZERO), Peek::Queued);
    assert!(observer.state().hot.contains(id), "still to be read");
}

#[tokio::test]
async fn a_question_about_a_vanished_instance_is_answered_gone() {
    let cloud = Cloud::with(1, "Running");
    let observer = observer(&cloud);
    let mut changes = observer.changes.subscribe();
    let id = "dds-00000";
    assert_eq!(observer.peek(id, Duration::ZERO), Peek::Queued);
    cloud.instances.lock().expect("lock").clear();
    observer.refresh_hot().await;
    assert_eq!(drain(&mut changes), BTreeSet::from([id.to_owned()]));
    assert_eq!(observer.peek(id, Duration::ZERO), Peek::Gone);
    assert!(observer.state().asked.is_empty());
}

/// A refresh that keeps failing wakes nobody; the asker's fallback timer finds the question
/// overdue and reads the cloud itself, and a later question starts its own wait.
#[tokio::test(start_paused = true)]
async fn a_question_a_failing_refresh_leaves_unanswered_becomes_overdue() {
    let cloud = Cloud::with(1, "Running");
    cloud.failing.store(true, Ordering::SeqCst);
    let observer = observer(&cloud);
    let mut changes = observer.changes.subscribe();
    let id = "dds-00000";
    assert_eq!(observer.peek(id, Duration::ZERO), Peek::Queued);
    observer.refresh_hot().await;
    assert!(drain(&mut changes).is_empty());
    assert!(observer.state().hot.contains(id), "retried next tick");
    tokio::time::advance(observer.patience() / 2).await;
    assert_eq!(observer.peek(id, Duration::ZERO), Peek::Queued);
    tokio::time::advance(observer.patience() / 2).await;
    assert_eq!(observer.peek(id, Duration::ZERO), Peek::Overdue);
    assert_eq!(
        observer.peek(id, Duration::ZERO),
        Peek::Queued,
        "a new question"
    );

    cloud.failing.store(false, Ordering::SeqCst);
    observer.refresh_hot().await;
    assert_eq!(drain(&mut changes), BTreeSet::from([id.to_owned()]));
    assert!(matches!(
        observer.peek(id, Duration::ZERO),
        Peek::Present(_)
    ));
}

#[tokio::test]
async fn status_changes_and_disappearances_are_broadcast() {
    let cloud = Cloud::with(2, "Creating");
    let observer = observer(&cloud);
    let mut changes = observer.changes.subscribe();
    observer.list_all().await.expect("list");
    observer.refresh_hot().await;
    cloud.set_status("dds-00001", "Running");
    cloud
        .instances
        .lock()
        .expect("lock")
        .retain(|i| i.id != "dds-00000");
    observer.refresh_hot().await;
    let seen = drain(&mut changes);
    assert!(
        seen.contains("dds-00001") && seen.contains("dds-00000"),
        "{seen:?}"
    );
    assert_eq!(
        observer.peek("dds-00000", Duration::from_secs(30)),
        Peek::Gone
    );
}

#[tokio::test(start_paused = true)]
async fn a_steady_fleet_is_confirmed_by_the_listing_without_attribute_calls() {
    let cloud = Cloud::with(100, "Running");
    let observer = observer(&cloud);
    observer.list_all().await.expect("list");
    observer.refresh_hot().await;
    let after_first_look = cloud.describes.load(Ordering::SeqCst);
    assert_eq!(after_first_look, 4, "ceil(100/30) calls to learn the fleet");

    tokio::time::advance(Duration::from_secs(120)).await;
    observer.list_all().await.expect("list");
    for i in 0..100 {
        let seen = observer.peek(&format!("dds-{i:05}"), Duration::from_secs(60));
        assert!(matches!(seen, Peek::Present(_)), "{i}: {seen:?}");
    }
    assert_eq!(
        cloud.describes.load(Ordering::SeqCst),
        after_first_look,
        "the listing vouched for every held instance"
    );
    assert_eq!(cloud.lists.load(Ordering::SeqCst), 2);
    assert!(
        observer.state().hot.is_empty(),
        "100 instances owe a sweep batch only every 54th listing (each read once an hour)"
    );
}

#[tokio::test]
async fn an_instance_edited_or_deleted_out_of_band_is_seen_within_one_tick() {
    let cloud = Cloud::with(3, "Running");
    let observer = observer(&cloud);
    let mut changes = observer.changes.subscribe();
    observer.list_all().await.expect("list");
    observer.refresh_hot().await;
    drain(&mut changes);

    cloud
        .instances
        .lock()
        .expect("lock")
        .retain(|i| i.id != "dds-00000");
    cloud.set_status("dds-00001", "Rebooting");
    observer.list_all().await.expect("list");
    observer.refresh_hot().await;
    assert_eq!(
        drain(&mut changes),
        BTreeSet::from(["dds-00000".into(), "dds-00001".into()])
    );
    assert_eq!(
        observer.peek("dds-00000", Duration::from_secs(30)),
        Peek::Gone
    );
}

#[tokio::test]
async fn one_observer_per_account_and_region_renewed_with_the_client() {
    let observers = Observers::new(ticks());
    let first: Arc<dyn Provider> = Cloud::with(1, "Running");
    let second: Arc<dyn Provider> = Cloud::with(1, "Running");
    let a = observers.get("default", "cn-hangzhou", &first);
    assert!(Arc::ptr_eq(
        &a,
        &observers.get("default", "cn-hangzhou", &first)
    ));
    assert!(!Arc::ptr_eq(
        &a,
        &observers.get("default", "cn-beijing", &first)
    ));
    assert!(!Arc::ptr_eq(
        &a,
        &observers.get("other", "cn-hangzhou", &first)
    ));
    let renewed = observers.get("default", "cn-hangzhou", &second);
    assert!(
        !Arc::ptr_eq(&a, &renewed),
        "a new client gets a new observer"
    );
    assert!(Arc::ptr_eq(
        &renewed,
        &observers.get("default", "cn-hangzhou", &second)
    ));
}

#[tokio::test]
async fn an_answer_sent_before_a_mutation_is_not_taken_as_current() {
    let cloud = Cloud::with(1, "Running");
    let observer = observer(&cloud);
    observer.list_all().await.expect("list");
    observer.refresh_hot().await;
    let id = "dds-00000";
    let sent = Instant::now();
    tokio::time::sleep(Duration::from_millis(2)).await;
    observer.touch(id);
    assert!(
        observer.state().held(id).is_none(),
        "a mutation drops the held view"
    );
    let pre_mutation = cloud.instances.lock().expect("lock").clone();
    let mut still_hot = BTreeSet::new();
    observer.record(sent, pre_mutation, Vec::new(), &mut still_hot);
    assert!(
        observer.state().held(id).is_none(),
        "outdated answer ignored"
    );
    assert!(still_hot.contains(id), "and asked again");

    cloud.set_status(id, "DBInstanceClassChanging");
    observer.refresh_hot().await;
    let seen = observer.peek(id, Duration::from_secs(30));
    assert!(
        matches!(&seen, Peek::Present(i) if i.status == "DBInstanceClassChanging"),
        "{seen:?}"
    );
}

#[tokio::test]
async fn a_listing_that_only_repeats_what_refreshes_saw_costs_no_attribute_calls() {
    let cloud = Cloud::with(60, "Creating");
    let observer = observer(&cloud);
    observer.list_all().await.expect("list");
    observer.refresh_hot().await;
    for i in 0..60 {
        cloud.set_status(&format!("dds-{i:05}"), "Running");
    }
    observer.refresh_hot().await;
    let before = cloud.describes.load(Ordering::SeqCst);
    observer.list_all().await.expect("list");
    observer.refresh_hot().await;
    assert_eq!(
        cloud.describes.load(Ordering::SeqCst) - before,
        0,
        "the listing's Creating -> Running was already known, and no sweep is owed yet"
    );
}

/// A shard's observer lists only its tagged instances; an instance it was asked about without
/// the tag (adopted, or created by another shard) is read by a batched attribute call at each
/// listing instead of costing every shard the whole account's pages.
#[tokio::test]
async fn a_tagged_listing_reads_only_the_shards_pages_and_untagged_instances_by_attributes() {
    let cloud = Cloud::with(1000, "Running");
    let tag = ("mongocloud-shard".to_owned(), "a".to_owned());
    for instance in cloud.instances.lock().expect("lock").iter_mut().take(300) {
        instance.tags = Tags::from_iter([tag.clone()]);
    }
    let (changes, _) = broadcast::channel(1024);
    let observer = Observer::new(
        cloud.clone(),
        "cn-hangzhou".into(),
        Some(tag),
        ticks(),
        changes,
    );
    observer.list_all().await.expect("list");
    assert_eq!(
        cloud.lists.load(Ordering::SeqCst),
        3,
        "300 tagged: 3 pages, not 10"
    );

    let adopted = "dds-00900";
    assert!(matches!(
        observer.peek(adopted, Duration::from_secs(60)),
        Peek::Queued
    ));
    observer.refresh_hot().await;
    let asked = observer.peek(adopted, Duration::from_secs(60));
    assert!(matches!(asked, Peek::Present(_)), "{asked:?}");
    let described = cloud.describes.load(Ordering::SeqCst);
    observer.list_all().await.expect("list");
    assert!(
        observer.state().hot.contains(adopted),
        "unlisted and known: read again"
    );
    observer.refresh_hot().await;
    assert_eq!(cloud.describes.load(Ordering::SeqCst), described + 1);
    assert!(
        observer
            .state()
            .current(adopted, Duration::from_secs(1))
            .is_some()
    );
    assert_eq!(cloud.lists.load(Ordering::SeqCst), 6);
}
