//! Pure parts of batched observation: which calls a tick makes and what changed.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use crate::cloud::Instance;

/// Most instances one DescribeDBInstances page returns.
pub const PAGE_SIZE: u32 = 100;
/// Most ids one DescribeDBInstanceAttribute call takes.
pub const BATCH: usize = 30;

/// Pages needed to list `total` instances (at least one, to learn the total).
pub fn pages(total: u32) -> u32 {
    total.div_ceil(PAGE_SIZE).max(1)
}

/// The attribute calls for a set of ids: sorted, in batches of [`BATCH`].
pub fn batches(ids: &BTreeSet<String>) -> Vec<Vec<String>> {
    let ids: Vec<String> = ids.iter().cloned().collect();
    ids.chunks(BATCH).map(<[String]>::to_vec).collect()
}

/// Fields a list answer carries; a difference in any of them means the instance changed.
fn listed_fields(i: &Instance) -> impl PartialEq + std::hash::Hash + '_ {
    (
        &i.status,
        &i.description,
        &i.instance_class,
        i.storage_gb,
        &i.lock_mode,
        &i.tags,
        &i.expire_time,
    )
}

/// A hash of the fields a listing carries, so a snapshot of thousands of instances stays small.
pub fn fingerprint(i: &Instance) -> u64 {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut hasher = DefaultHasher::new();
    listed_fields(i).hash(&mut hasher);
    hasher.finish()
}

/// Ids whose listed fields differ between two listings, plus ids that appeared or vanished.
pub fn changed(before: &HashMap<String, u64>, after: &HashMap<String, u64>) -> BTreeSet<String> {
    let mut ids: BTreeSet<String> = after
        .iter()
        .filter(|(id, now)| before.get(*id) != Some(*now))
        .map(|(id, _)| id.clone())
        .collect();
    ids.extend(before.keys().filter(|id| !after.contains_key(*id)).cloned());
    ids
}

/// How long fields that only an attribute call shows (maintenance window, endpoints, kernel
/// version) may go unread: the sweep re-reads every instance at least this often.
pub const ATTRIBUTE_MAX_AGE: Duration = Duration::from_secs(3600);

/// How many of `count` instances this listing's sweep re-reads so that each is read within
/// `max_age` at one listing per `tick`. Reads are owed a fraction at a time and spent in whole
/// batches, so a sweep never costs a call for a handful of ids: 1,000 instances listed every
/// 20 s need a batch of 30 every sixth listing.
pub fn sweep_size(owed: &mut f64, count: usize, tick: Duration, max_age: Duration) -> usize {
    if count == 0 {
        *owed = 0.0;
        return 0;
    }
    *owed += count as f64 * tick.as_secs_f64() / max_age.as_secs_f64().max(1.0);
    let batch = BATCH.min(count);
    let batches = (*owed / batch as f64).floor();
    if batches < 1.0 {
        return 0;
    }
    let take = (batches as usize).saturating_mul(batch).min(count);
    *owed = (*owed - take as f64).max(0.0);
    take
}

/// The `n` ids read longest ago.
pub fn oldest<'a, T: Ord>(
    read: impl IntoIterator<Item = (&'a String, T)>,
    n: usize,
) -> Vec<String> {
    let mut by_age: Vec<(T, &String)> = read.into_iter().map(|(id, at)| (at, id)).collect();
    by_age.sort_unstable();
    by_age
        .into_iter()
        .take(n)
        .map(|(_, id)| id.clone())
        .collect()
}

/// Whether the cloud is still moving this instance (so it is refreshed on the fast tick).
pub fn is_transitional(i: &Instance) -> bool {
    i.status != crate::reconcile::dbinstance::RUNNING
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance(id: &str, status: &str) -> Instance {
        Instance {
            id: id.into(),
            status: status.into(),
            ..Instance::default()
        }
    }

    fn snapshot(items: &[(&str, &str)]) -> HashMap<String, u64> {
        items
            .iter()
            .map(|(id, s)| (id.to_string(), fingerprint(&instance(id, s))))
            .collect()
    }

    #[test]
    fn pages_and_batches_cover_everything_once() {
        assert_eq!(pages(0), 1);
        assert_eq!(pages(100), 1);
        assert_eq!(pages(1000), 10);
        assert_eq!(pages(1001), 11);
        let ids: BTreeSet<String> = (0..61).map(|i| format!("dds-{i:03}")).collect();
        let calls = batches(&ids);
        assert_eq!(
            calls.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![30, 30, 1]
        );
        assert_eq!(calls.concat().len(), 61);
    }

    #[test]
    fn the_sweep_spends_whole_batches_as_the_hour_requires() {
        let hour = Duration::from_secs(3600);
        let tick = Duration::from_secs(20);
        let mut owed = 0.0;
        let sizes: Vec<usize> = (0..12)
            .map(|_| sweep_size(&mut owed, 1000, tick, hour))
            .collect();
        assert_eq!(sizes, [0, 0, 0, 0, 0, 30, 0, 0, 0, 0, 30, 0]);
        let per_hour: usize = (0..180)
            .map(|_| sweep_size(&mut owed, 1000, tick, hour))
            .sum();
        assert!(
            (990..=1020).contains(&per_hour),
            "every instance once an hour: {per_hour}"
        );

        let mut owed = 0.0;
        let big: Vec<usize> = (0..3)
            .map(|_| sweep_size(&mut owed, 10_000, tick, hour))
            .collect();
        assert_eq!(big, [30, 60, 60], "55.6 owed a listing, in batches of 30");

        let mut owed = 0.0;
        let small: Vec<usize> = (0..200)
            .map(|_| sweep_size(&mut owed, 3, tick, hour))
            .collect();
        assert_eq!(
            small.iter().sum::<usize>(),
            3,
            "three instances: one batch of three an hour"
        );
        assert!((179..=181).contains(&small.iter().position(|n| *n == 3).unwrap_or(0)));
        assert_eq!(sweep_size(&mut owed, 0, tick, hour), 0);
    }

    #[test]
    fn the_sweep_takes_the_longest_unread_first() {
        let read: HashMap<String, u32> = [("a", 5), ("b", 1), ("c", 3), ("d", 9)]
            .into_iter()
            .map(|(id, t)| (id.to_string(), t))
            .collect();
        assert_eq!(oldest(&read, 2), vec!["b", "c"]);
        assert_eq!(oldest(&read, 10).len(), 4);
        assert!(oldest(&HashMap::<String, u32>::new(), 30).is_empty());
    }

    #[test]
    fn changes_are_status_field_and_membership_moves() {
        let before = snapshot(&[("a", "Running"), ("b", "Creating"), ("c", "Running")]);
        let mut after = snapshot(&[("a", "Running"), ("b", "Running"), ("d", "Creating")]);
        assert_eq!(
            changed(&before, &after),
            BTreeSet::from(["b".into(), "c".into(), "d".into()])
        );
        let mut edited = instance("a", "Running");
        edited.description = Some("edited".into());
        after.insert("a".into(), fingerprint(&edited));
        assert!(changed(&before, &after).contains("a"));
    }
}
