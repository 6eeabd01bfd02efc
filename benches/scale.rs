//! Scale benchmark (not a test): N DBInstances applied at once against the emulator, followed
//! to Ready, then held steady for several drift intervals — with batched observation and with
//! per-resource polling (`--no-batching`), side by side. Prints one markdown table row per run.
//! Each run then stops the operator and measures, with a trivial client on the same API server,
//! how fast it takes DBInstance status writes (merge patch and server-side apply): N instances
//! turning Ready together cannot be faster than N such writes, so the row also gives the Ready
//! lag target 1.5 × N ÷ rate + 1 s. Needs a cluster:
//!
//!     scripts/with-cluster.sh cargo bench --bench scale -- [N ...] [--steady SECS] [--batched-only]
//!
//! `--shards S` runs each N as S shards instead: one batched operator holding S × N
//! DBInstances, then (alone with `--sharded-only`) S shard operators (`--shard shard-0` ...)
//! holding N labelled ones each;
//! their peak RSS is printed per shard, and a line says how many objects were written by
//! exactly their own shard (their field managers).
//!
//! With `MONGOCLOUD_TEST_LOG` set (an operator `RUST_LOG`, e.g.
//! `info,mongocloud_operator=debug`), the operator's log lines about the two slowest instances
//! are printed after each run.

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use kube::api::{Api, ListParams, Patch, PatchParams};
use kube::runtime::{WatchStreamExt, watcher};
use mongocloud_operator::api::DBInstance;
use mongocloud_operator::controllers::MANAGER;
use mongocloud_operator::shard::SHARD_LABEL;
use serde_json::{Value, json};

const TRANSITION_MS: u64 = 3000;
const DRIFT: &str = "20s";
/// Concurrent writers of the status-write measurement, as many as the operator's reconciles.
const WRITERS: usize = 32;
/// Longest time spent measuring one kind of status write.
const WRITE_WINDOW: Duration = Duration::from_secs(15);

struct Run {
    n: usize,
    mode: String,
    to_ready: Duration,
    ready: usize,
    calls: Value,
    steady_per_min: f64,
    steady_by_action: String,
    lag_p50: i64,
    lag_p99: i64,
    /// One per operator process.
    peak_rss_mib: Vec<f64>,
    reconciles_per_s: f64,
    merge_per_s: f64,
    apply_per_s: f64,
}

/// How one run spreads its objects.
#[derive(Clone, Copy)]
enum Layout {
    /// One operator; `true` observes per resource (`--no-batching`).
    Single { per_resource: bool },
    /// This many shard operators, batched.
    Shards(usize),
}

#[tokio::main]
async fn main() {
    let mut steady = Duration::from_secs(60);
    let mut sizes: Vec<usize> = Vec::new();
    let mut modes: &[&'static str] = &["batched", "per-resource"];
    let mut shards = 0_usize;
    let mut sharded_only = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--steady" => {
                let secs = args
                    .next()
                    .and_then(|s| s.parse().ok())
                    .expect("--steady SECS");
                steady = Duration::from_secs(secs);
            }
            "--batched-only" => modes = &["batched"],
            // With --shards: only the sharded run, not the one operator holding everything.
            "--sharded-only" => sharded_only = true,
            "--shards" => {
                shards = args
                    .next()
                    .and_then(|s| s.parse().ok())
                    .expect("--shards S");
            }
            other => sizes.extend(other.parse::<usize>().ok()),
        }
    }
    if sizes.is_empty() {
        sizes = vec![100, 1000];
    }
    println!(
        "| N | observation | apply→all Ready | Ready | calls apply→Ready (by action) | per instance | steady calls/min (in the window) | Ready lag p50 / p99 | status writes/s merge / SSA | lag target p99 | met | peak RSS | reconciles/s |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for n in sizes {
        let layouts: Vec<(usize, Layout)> = if shards > 0 {
            let single = (
                n * shards,
                Layout::Single {
                    per_resource: false,
                },
            );
            let sharded = (n * shards, Layout::Shards(shards));
            if sharded_only {
                vec![sharded]
            } else {
                vec![single, sharded]
            }
        } else {
            modes
                .iter()
                .map(|mode| {
                    let per_resource = *mode == "per-resource";
                    (n, Layout::Single { per_resource })
                })
                .collect()
        };
        for (total, layout) in layouts {
            if run(total, layout, steady).await.is_none() {
                return;
            }
        }
    }
}

fn print_row(r: &Run) {
    let mut actions: Vec<(String, u64)> = r.calls["actions"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
        .collect();
    actions.sort_by_key(|a| std::cmp::Reverse(a.1));
    let actions: Vec<String> = actions.iter().map(|(k, v)| format!("{k} {v}")).collect();
    let rss: Vec<String> = r.peak_rss_mib.iter().map(|m| format!("{m:.1}")).collect();
    let total = r.calls["total"].as_u64().unwrap_or(0);
    // The operator writes statuses the cheaper way; its rate bounds a wave of Ready writes.
    let rate = r.merge_per_s.max(r.apply_per_s);
    let target_ms = (1.5 * r.n as f64 / rate + 1.0) * 1000.0;
    println!(
        "| {} | {} | {:.1} s | {}/{} | {} ({}) | {:.2} | {:.1} ({}) | {} / {} ms | {:.0} / {:.0} | {:.0} ms | {} | {} MiB | {:.1} |",
        r.n,
        r.mode,
        r.to_ready.as_secs_f64(),
        r.ready,
        r.n,
        total,
        actions.join(", "),
        total as f64 / r.n as f64,
        r.steady_per_min,
        r.steady_by_action,
        r.lag_p50,
        r.lag_p99,
        r.merge_per_s,
        r.apply_per_s,
        target_ms,
        if (r.lag_p99 as f64) <= target_ms {
            "yes"
        } else {
            "no"
        },
        rss.join(" / "),
        r.reconciles_per_s
    );
}

/// The operator flags of every run, with its metrics address.
fn operator_flags(metrics_addr: &str) -> Vec<&str> {
    vec![
        "--cloud-rate-limit",
        "500",
        "--concurrency",
        "32",
        "--metrics-addr",
        metrics_addr,
    ]
}

/// One run; prints its row. `None` when there is no cluster.
async fn run(n: usize, layout: Layout, steady: Duration) -> Option<()> {
    let mut h = support::harness("scale", TRANSITION_MS).await?;
    h.timing = ("2s", DRIFT);
    h.provider_config().await;
    let (mode, shard_count) = match layout {
        Layout::Single { per_resource: true } => ("per-resource".to_owned(), 0),
        Layout::Single {
            per_resource: false,
        } => ("batched".to_owned(), 0),
        Layout::Shards(s) => (format!("batched, {s} shards"), s),
    };
    let metrics_addrs: Vec<String> = (0..shard_count.max(1)).map(|_| free_addr()).collect();
    let mut shard_operators = Vec::new();
    let pids: Vec<u32> = if shard_count == 0 {
        let mut extra = operator_flags(&metrics_addrs[0]);
        if matches!(layout, Layout::Single { per_resource: true }) {
            extra.push("--no-batching");
        }
        h.start_operator(&extra);
        vec![h.operator_pid().expect("operator runs")]
    } else {
        for (i, addr) in metrics_addrs.iter().enumerate() {
            let name = format!("shard-{i}");
            let mut extra = operator_flags(addr);
            extra.extend(["--shard", name.as_str()]);
            shard_operators.push(h.spawn_extra_operator(&name, &[], &extra));
        }
        shard_operators
            .iter()
            .map(|o| o.pid().expect("shard operator runs"))
            .collect()
    };

    // First time each instance was seen Ready, from a watch (ms since the epoch).
    let ready_at: Arc<Mutex<HashMap<String, i64>>> = Arc::default();
    let recorder = tokio::spawn(record_ready(h.api::<DBInstance>(), ready_at.clone()));
    let started = Instant::now();
    futures::stream::iter(0..n)
        .for_each_concurrent(16, |i| {
            let h = &h;
            async move {
                let mut manifest = h.small_dbinstance(&format!("db-{i}"));
                if shard_count > 0 {
                    let shard = format!("shard-{}", i % shard_count);
                    manifest["metadata"]["labels"] = serde_json::json!({SHARD_LABEL: shard});
                }
                h.create::<DBInstance>(manifest).await;
            }
        })
        .await;
    let deadline = started + Duration::from_secs(900);
    while ready_count(&ready_at) < n && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let to_ready = started.elapsed();
    let calls = h.calls().await;

    tokio::time::sleep(steady).await;
    let after = h.calls().await;
    let steady_calls = after["total"].as_u64().unwrap_or(0) - calls["total"].as_u64().unwrap_or(0);
    let steady_by_action: Vec<String> = after["actions"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(action, n)| {
            let before = calls["actions"][action].as_u64().unwrap_or(0);
            (action, n.as_u64().unwrap_or(0) - before)
        })
        .filter(|(_, n)| *n > 0)
        .map(|(action, n)| format!("{action} {n}"))
        .collect();
    let steady_per_min = steady_calls as f64 * 60.0 / steady.as_secs_f64();
    let mut reconciles_total = 0.0;
    for addr in &metrics_addrs {
        reconciles_total += reconciles(addr).await;
    }
    if shard_count > 0 {
        let (own, total) = written_by_own_shard(&h).await;
        println!(
            "N = {n}, {shard_count} shards: {own}/{total} objects written by exactly their own shard"
        );
    }
    let elapsed = started.elapsed().as_secs_f64();
    recorder.abort();

    let cloud = h.cloud_instances().await;
    let mut lags: Vec<i64> = ready_at
        .lock()
        .expect("lock")
        .iter()
        .filter_map(|(id, seen)| {
            Some(seen - (cloud.get(id)?["createdMs"].as_i64()? + TRANSITION_MS as i64))
        })
        .collect();
    let mut slowest: Vec<(i64, String)> = ready_at
        .lock()
        .expect("lock")
        .iter()
        .filter_map(|(id, seen)| {
            Some((
                seen - (cloud.get(id)?["createdMs"].as_i64()? + TRANSITION_MS as i64),
                id.clone(),
            ))
        })
        .collect();
    slowest.sort_unstable();
    let log = h.log_tail(usize::MAX);
    if std::env::var_os("MONGOCLOUD_TEST_LOG").is_some() {
        for (lag, id) in slowest.iter().rev().take(2) {
            eprintln!("--- {id}: Ready {lag} ms after Running ---");
            for line in log.lines().filter(|l| l.contains(id.as_str())) {
                eprintln!("{line}");
            }
        }
    }
    let missed = log
        .lines()
        .filter(|l| l.contains("notifications missed") && l.contains("cloud changes"))
        .count();
    if missed > 0 {
        eprintln!("N = {n}: the change stream fell behind {missed} times");
    }
    lags.sort_unstable();
    let pct = |p: f64| {
        lags.get(((lags.len() as f64 - 1.0) * p).round() as usize)
            .copied()
            .unwrap_or(-1)
    };
    let peak_rss_mib = pids
        .iter()
        .map(|pid| peak_rss_kib(*pid) as f64 / 1024.0)
        .collect();
    // Measured alone: the operators' own writes would share the API server's rate.
    h.kill_operator();
    for operator in &mut shard_operators {
        operator.kill();
    }
    let api = h.api::<DBInstance>();
    let merge_per_s = status_write_rate(&api, Write::Merge).await;
    let apply_per_s = status_write_rate(&api, Write::Apply).await;
    // Printed before the harness is dropped: removing thousands of objects takes minutes.
    print_row(&Run {
        n,
        mode,
        to_ready,
        ready: ready_count(&ready_at),
        calls,
        steady_per_min,
        steady_by_action: steady_by_action.join(", "),
        lag_p50: pct(0.5),
        lag_p99: pct(0.99),
        peak_rss_mib,
        reconciles_per_s: reconciles_total / elapsed,
        merge_per_s,
        apply_per_s,
    });
    Some(())
}

/// Objects whose only field manager of this operator is the shard their label names, of all.
async fn written_by_own_shard(h: &support::Harness) -> (usize, usize) {
    let objects = h
        .api::<DBInstance>()
        .list(&Default::default())
        .await
        .expect("list");
    let own = objects
        .items
        .iter()
        .filter(|obj| {
            let Some(shard) = obj
                .metadata
                .labels
                .as_ref()
                .and_then(|l| l.get(SHARD_LABEL))
            else {
                return false;
            };
            let managers: std::collections::BTreeSet<&str> = obj
                .metadata
                .managed_fields
                .iter()
                .flatten()
                .filter_map(|f| f.manager.as_deref())
                .filter(|m| m.starts_with("mongocloud-operator"))
                .collect();
            managers
                .into_iter()
                .eq([format!("mongocloud-operator/{shard}").as_str()])
        })
        .count();
    (own, objects.items.len())
}

fn ready_count(ready_at: &Mutex<HashMap<String, i64>>) -> usize {
    ready_at.lock().expect("lock").len()
}

async fn record_ready(api: kube::Api<DBInstance>, ready_at: Arc<Mutex<HashMap<String, i64>>>) {
    let stream = watcher(api, watcher::Config::default()).applied_objects();
    let mut stream = std::pin::pin!(stream);
    while let Ok(Some(d)) = stream.try_next().await {
        let now = chrono::Utc::now().timestamp_millis();
        let st = d.status.clone().unwrap_or_default();
        let ready = support::condition(&st.conditions, "Ready").is_some_and(|c| c.is_true());
        if let (true, Some(id)) = (ready, st.instance_id) {
            ready_at.lock().expect("lock").entry(id).or_insert(now);
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Write {
    Merge,
    Apply,
}

/// Status writes per second the API server takes from a trivial client: every object's own
/// status written back with the Ready condition's message changed (so each is a real write),
/// [`WRITERS`] at a time, for at most [`WRITE_WINDOW`] — the operator's write without the
/// operator.
async fn status_write_rate(api: &Api<DBInstance>, how: Write) -> f64 {
    let objects = api.list(&ListParams::default()).await.expect("list");
    let started = Instant::now();
    let deadline = started + WRITE_WINDOW;
    let failed = std::sync::atomic::AtomicUsize::new(0);
    let written = std::sync::atomic::AtomicUsize::new(0);
    futures::stream::iter(objects.items.iter().enumerate())
        .for_each_concurrent(WRITERS, |(i, obj)| {
            let (failed, written) = (&failed, &written);
            async move {
                if Instant::now() >= deadline {
                    return;
                }
                let name = obj.metadata.name.clone().unwrap_or_default();
                let mut status = serde_json::to_value(&obj.status).expect("status");
                if let Some(conditions) = status["conditions"].as_array_mut() {
                    for c in conditions.iter_mut().filter(|c| c["type"] == "Ready") {
                        c["message"] = json!(format!("status write {how:?} {i}"));
                    }
                }
                let result = match how {
                    Write::Merge => {
                        let patch = Patch::Merge(json!({"status": status}));
                        api.patch_status(&name, &PatchParams::default(), &patch)
                            .await
                    }
                    Write::Apply => {
                        let patch = Patch::Apply(json!({
                            "apiVersion": "mongocloud.dev/v1alpha1",
                            "kind": "DBInstance",
                            "status": status,
                        }));
                        api.patch_status(&name, &PatchParams::apply(MANAGER).force(), &patch)
                            .await
                    }
                };
                let counter = if result.is_ok() { written } else { failed };
                counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        })
        .await;
    let elapsed = started.elapsed().as_secs_f64();
    let failed = failed.into_inner();
    let written = written.into_inner();
    if failed > 0 {
        eprintln!("{how:?} status writes: {failed} failed, {written} written");
    }
    written as f64 / elapsed
}

fn free_addr() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").to_string()
}

/// DBInstance reconciles so far, from the operator's /metrics.
async fn reconciles(addr: &str) -> f64 {
    let text = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .and_then(|r| r.error_for_status())
        .expect("metrics");
    let text = text.text().await.expect("metrics text");
    text.lines()
        .filter(|l| l.starts_with("mongocloud_reconciles_total{") && l.contains("DBInstance"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// The process's peak resident set (VmHWM), in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}
