//! Creates share a kind's concurrency slots with every other reconcile. A wave of creates
//! (thousands of DBInstances applied at once) used to take every slot, so an instance that
//! turned Running waited behind all the queued creates for its Ready write. Creates now hold at
//! most a set number of slots; a create that finds them taken ends its pass without writing and
//! is queued again at a reserved time, spaced by how long creates have been taking, so the
//! other slots stay free for everything else and waiting creates are not spun.

use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::{Semaphore, SemaphorePermit};
use tokio::time::Instant;

/// Assumed length of one create (its guarded record, the cloud call and the id record) until
/// one has been measured.
const FIRST_GUESS: Duration = Duration::from_millis(100);
/// Weight of the newest create in the running average of their length.
const NEW_WEIGHT: f64 = 0.2;

pub struct CreatePacing {
    slots: Semaphore,
    size: u32,
    schedule: Mutex<Schedule>,
}

/// When the next deferred create may come back, and how long creates take.
#[derive(Clone, Copy, Debug)]
struct Schedule {
    next_free: Instant,
    average: Duration,
}

/// A create in progress: dropping it frees its slot and records how long it took.
pub struct CreateSlot<'a> {
    _permit: SemaphorePermit<'a>,
    started: Instant,
    pacing: &'a CreatePacing,
}

impl CreatePacing {
    /// At most `slots` creates at once (at least one).
    pub fn new(slots: u32) -> Self {
        let size = slots.max(1);
        CreatePacing {
            slots: Semaphore::new(size as usize),
            size,
            schedule: Mutex::new(Schedule {
                next_free: Instant::now(),
                average: FIRST_GUESS,
            }),
        }
    }

    /// A slot for one create, or how long to wait before asking again (a reserved turn: each
    /// deferred create gets its own, one create-length apart per slot).
    pub fn try_start(&self) -> Result<CreateSlot<'_>, Duration> {
        match self.slots.try_acquire() {
            Ok(permit) => Ok(CreateSlot {
                _permit: permit,
                started: Instant::now(),
                pacing: self,
            }),
            Err(_) => Err(self.reserve(Instant::now())),
        }
    }

    fn reserve(&self, now: Instant) -> Duration {
        let mut schedule = self.lock();
        let (turn, wait) = reserve(*schedule, self.size, now);
        schedule.next_free = turn;
        wait
    }

    fn finished(&self, took: Duration) {
        let mut schedule = self.lock();
        schedule.average = blend(schedule.average, took);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Schedule> {
        // The schedule is two plain values: a panic while holding it leaves them usable.
        self.schedule
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Drop for CreateSlot<'_> {
    fn drop(&mut self) {
        self.pacing.finished(self.started.elapsed());
    }
}

/// The next free turn after `schedule.next_free` (or now, when that has passed) and the wait
/// until it: `slots` creates finish every average create length.
fn reserve(schedule: Schedule, slots: u32, now: Instant) -> (Instant, Duration) {
    let spacing = schedule.average / slots;
    let turn = schedule.next_free.max(now) + spacing;
    (turn, turn - now)
}

fn blend(average: Duration, took: Duration) -> Duration {
    average.mul_f64(1.0 - NEW_WEIGHT) + took.mul_f64(NEW_WEIGHT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(next_free: Instant, average_ms: u64) -> Schedule {
        Schedule {
            next_free,
            average: Duration::from_millis(average_ms),
        }
    }

    #[test]
    fn turns_are_spaced_by_the_create_length_per_slot() {
        let now = Instant::now();
        let cases = [
            ("first deferral, nothing reserved", now, 100, 4, 25),
            (
                "behind an earlier reservation",
                now + Duration::from_millis(50),
                100,
                4,
                75,
            ),
            (
                "a past reservation counts from now",
                now - Duration::from_secs(5),
                100,
                4,
                25,
            ),
            ("one slot waits a whole create", now, 200, 1, 200),
        ];
        for (name, next_free, average, slots, want_ms) in cases {
            let (turn, wait) = reserve(schedule(next_free, average), slots, now);
            assert_eq!(wait, Duration::from_millis(want_ms), "{name}");
            assert_eq!(turn, now + wait, "{name}");
        }
    }

    #[test]
    fn the_average_follows_the_creates_measured() {
        let mut average = FIRST_GUESS;
        for _ in 0..40 {
            average = blend(average, Duration::from_millis(500));
        }
        assert!(
            average > Duration::from_millis(495) && average <= Duration::from_millis(500),
            "{average:?}"
        );
        assert_eq!(
            blend(Duration::from_millis(100), Duration::from_millis(100)),
            Duration::from_millis(100)
        );
    }

    #[tokio::test]
    async fn creates_beyond_the_slots_get_their_own_turns_and_a_freed_slot_is_reused() {
        let pacing = CreatePacing::new(2);
        let first = pacing.try_start().expect("a slot");
        let _second = pacing.try_start().expect("a slot");
        let waits: Vec<Duration> = (0..3)
            .map(|_| pacing.try_start().err().expect("deferred"))
            .collect();
        assert!(
            waits.windows(2).all(|w| w[1] > w[0]),
            "each deferred create has a later turn: {waits:?}"
        );
        drop(first);
        assert!(pacing.try_start().is_ok(), "a freed slot is taken again");
    }

    #[test]
    fn at_least_one_create_runs() {
        let pacing = CreatePacing::new(0);
        let _running = pacing.try_start().expect("one slot");
        assert!(pacing.try_start().is_err());
    }
}
