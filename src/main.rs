use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use mongocloud_operator::controllers::{self, Ctx};
use mongocloud_operator::emulator::faults as emulator_faults;
use mongocloud_operator::metrics::Metrics;
use mongocloud_operator::reconcile::Timing;
use mongocloud_operator::server::{self, Health};
use mongocloud_operator::shard::Shard;
use mongocloud_operator::telemetry::{self, LogFormat};
use mongocloud_operator::{api, cloud, leader};

// jemalloc rather than glibc's allocator: with a cache of thousands of objects built and
// replaced from several threads, glibc's per-thread arenas kept a fifth of the process's memory
// in fragments (N = 10,000 scale benchmark, docs/scale.md).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Managed MongoDB in the cloud as Kubernetes resources.
#[derive(Parser)]
#[command(name = "mongocloud-operator", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the controllers against the cluster of the current kubeconfig (or in-cluster).
    Run(RunArgs),
    /// Serve the local cloud emulator (ApsaraDB for MongoDB, Dds 2015-12-01) on loopback.
    Emulator(EmulatorArgs),
    /// Write the CustomResourceDefinitions as YAML, or check that written ones are current.
    Crds {
        /// Directory to write one file per kind into; without it, all CRDs go to stdout.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Compare the files in --out (default `crds`) with the types instead of writing.
        #[arg(long)]
        check: bool,
    },
    /// Rewrite the README's generated table "what can change in place, per cloud" from the
    /// planner's rules, or check that it is current.
    Docs {
        /// The README holding the table's markers.
        #[arg(long, default_value = "README.md")]
        readme: PathBuf,
        /// Fail when the table is stale instead of rewriting it.
        #[arg(long)]
        check: bool,
    },
    /// Write adoptable manifests for the existing instances of an account (Atlas: project):
    /// YAML on stdout, or one file per object in --out; progress on stderr. Reads only.
    Import(ImportArgs),
}

#[derive(Args)]
struct ImportArgs {
    /// The ProviderConfig (in the cluster of the current kubeconfig) whose account to import.
    #[arg(long)]
    provider_config: String,
    /// Aliyun: the region to list (default: the ProviderConfig's regionId). Atlas: only clusters
    /// in this Atlas region (default: all).
    #[arg(long)]
    region: Option<String>,
    /// Namespace of the manifests.
    #[arg(long, default_value = "default")]
    namespace: String,
    /// Directory to write one file per object into (created if missing); without it, stdout.
    #[arg(long)]
    out: Option<PathBuf>,
    /// spec.managementPolicies of every manifest, comma-separated: Observe, Create, Update,
    /// Delete, LateInitialize, or * for all.
    #[arg(long, value_delimiter = ',', default_value = "Observe")]
    management_policies: Vec<String>,
    /// Cloud requests per second when the ProviderConfig sets none (Aliyun).
    #[arg(long, default_value_t = 10)]
    cloud_rate_limit: u32,
}

#[derive(Args)]
struct RunArgs {
    /// Namespaces to watch, comma-separated; empty watches the whole cluster.
    #[arg(long, env = "MONGOCLOUD_NAMESPACES", value_delimiter = ',')]
    namespaces: Vec<String>,
    /// Address of /metrics.
    #[arg(long, env = "MONGOCLOUD_METRICS_ADDR", default_value = "0.0.0.0:8080")]
    metrics_addr: SocketAddr,
    /// Address of /healthz and /readyz (may equal --metrics-addr).
    #[arg(long, env = "MONGOCLOUD_HEALTH_ADDR", default_value = "0.0.0.0:8081")]
    health_addr: SocketAddr,
    /// Own only the objects labelled mongocloud.dev/shard=NAME: the watches select them on the
    /// server, the leader Lease is mongocloud-operator-NAME, writes are made as field manager
    /// mongocloud-operator/NAME and created instances carry the cloud tag mongocloud-shard=NAME.
    #[arg(long, env = "MONGOCLOUD_SHARD")]
    shard: Option<String>,
    /// Beside shards: own only the objects without a mongocloud.dev/shard label.
    #[arg(long, env = "MONGOCLOUD_UNSHARDED_ONLY")]
    unsharded_only: bool,
    /// Take a Lease before reconciling, so only one replica writes.
    #[arg(long, env = "MONGOCLOUD_LEADER_ELECT")]
    leader_elect: bool,
    /// Namespace of the leader Lease.
    #[arg(long, env = "POD_NAMESPACE", default_value = "default")]
    leader_election_namespace: String,
    /// How long a leader holds the Lease without renewing.
    #[arg(long, default_value = "15s", value_parser = humantime::parse_duration)]
    lease_duration: Duration,
    #[arg(
        long,
        env = "MONGOCLOUD_LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    log_format: LogFormat,
    /// error, warn, info, debug or trace (RUST_LOG overrides).
    #[arg(long, env = "MONGOCLOUD_LOG_LEVEL", default_value = "info")]
    log_level: String,
    /// Between drift checks of a steady resource (jittered by ±10 %).
    #[arg(long, env = "MONGOCLOUD_DRIFT_INTERVAL", default_value = "60s", value_parser = humantime::parse_duration)]
    drift_interval: Duration,
    /// Between looks at a resource whose cloud state is transitional (Creating, Rebooting, ...).
    #[arg(long, env = "MONGOCLOUD_TRANSITIONAL_INTERVAL", default_value = "2s", value_parser = humantime::parse_duration)]
    transitional_interval: Duration,
    /// Ask the cloud about each DBInstance on its own instead of observing all instances of an
    /// account and region in batches (one listing per drift interval, attribute calls of up to
    /// 30 instances at a time).
    #[arg(long, env = "MONGOCLOUD_NO_BATCHING")]
    no_batching: bool,
    /// Between batched refreshes of instances in transition or just changed.
    #[arg(long, env = "MONGOCLOUD_OBSERVE_INTERVAL", default_value = "1s", value_parser = humantime::parse_duration)]
    observe_interval: Duration,
    /// Cloud requests per second per account when its ProviderConfig sets none.
    #[arg(long, env = "MONGOCLOUD_CLOUD_RATE_LIMIT", default_value_t = 10)]
    cloud_rate_limit: u32,
    /// Resources reconciled at once, per kind.
    #[arg(long, env = "MONGOCLOUD_CONCURRENCY", default_value_t = 16)]
    concurrency: u16,
    /// How long one cloud request may take before it is given up as a timeout.
    #[arg(long, env = "MONGOCLOUD_CLOUD_TIMEOUT", default_value = "30s", value_parser = humantime::parse_duration)]
    cloud_timeout: Duration,
}

#[derive(Args)]
struct EmulatorArgs {
    /// Address to serve on; port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:9780")]
    listen: SocketAddr,
    /// An accepted access key as ID:SECRET (repeatable; default LTAIemulator:emulator-secret).
    #[arg(long = "access-key", value_parser = parse_access_key)]
    access_keys: Vec<(String, String)>,
    /// Keep state in this file across restarts.
    #[arg(long = "state")]
    state_file: Option<PathBuf>,
    /// Milliseconds an instance spends in each transitional state.
    #[arg(long, default_value_t = 2000)]
    transition_ms: u64,
    /// Share of requests (0-1) that fault, in one of --fault-modes.
    #[arg(long, default_value_t = 0.0)]
    fault_rate: f64,
    /// Fault modes to draw from (comma-separated): throttle, throttleNoRetryAfter, serverError,
    /// htmlError, reset, lostAnswer, errorAfterApply, hang, slow, malformed, wrongContentType.
    #[arg(long, value_delimiter = ',', value_parser = emulator_faults::Mode::parse,
          default_value = "throttle,serverError,errorAfterApply")]
    fault_modes: Vec<emulator_faults::Mode>,
    /// A fault rate for one Dds action or Atlas operation id, as ACTION=RATE (repeatable).
    #[arg(long = "fault-action", value_parser = parse_fault_action)]
    fault_actions: Vec<(String, f64)>,
    /// Requests of one account a throttling strike refuses in a row.
    #[arg(long, default_value_t = 1)]
    fault_burst: u32,
    /// Seconds of Retry-After sent with throttling (mode `throttle`).
    #[arg(long, default_value_t = 1)]
    fault_retry_after_secs: u64,
    /// Milliseconds the `hang` mode holds an answer (the clients give up after 30 s).
    #[arg(long, default_value_t = 35_000)]
    fault_hang_ms: u64,
    /// Milliseconds the `slow` mode delays an answer.
    #[arg(long, default_value_t = 3_000)]
    fault_slow_ms: u64,
    /// Seed of the fault generator, so a run can be repeated.
    #[arg(long, default_value_t = 0)]
    fault_seed: u64,
    /// Milliseconds added to every answer.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// An accepted Atlas API key as PUBLIC:PRIVATE (repeatable; default
    /// emulator-public:emulator-private).
    #[arg(long = "atlas-key", value_parser = parse_access_key)]
    atlas_keys: Vec<(String, String)>,
    /// Atlas requests per minute and project before answering 429 RATE_LIMITED.
    #[arg(long, default_value_t = 1000)]
    atlas_rate_per_minute: u32,
    /// An accepted Atlas service account as CLIENT_ID:SECRET (repeatable; default
    /// mdb_sa_id_emulator:mdb_sa_sk_emulator).
    #[arg(long = "atlas-service-account", value_parser = parse_access_key)]
    atlas_service_accounts: Vec<(String, String)>,
}

fn parse_fault_action(text: &str) -> Result<(String, f64), String> {
    let (action, rate) = text
        .split_once('=')
        .ok_or("expected ACTION=RATE, e.g. CreateBackup=0.5")?;
    match rate.parse::<f64>() {
        Ok(rate) if (0.0..=1.0).contains(&rate) && !action.is_empty() => {
            Ok((action.to_owned(), rate))
        }
        _ => Err(format!("{text:?}: the rate must be between 0 and 1")),
    }
}

fn parse_access_key(text: &str) -> Result<(String, String), String> {
    match text.split_once(':') {
        Some((id, secret)) if !id.is_empty() && !secret.is_empty() => {
            Ok((id.to_owned(), secret.to_owned()))
        }
        _ => Err("expected ID:SECRET".to_owned()),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => tokio_main(args),
        Command::Emulator(args) => emulator(args),
        Command::Crds { out, check } => crds(out, check),
        Command::Docs { readme, check } => docs(&readme, check),
        Command::Import(args) => import(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn tokio_main(args: RunArgs) -> anyhow::Result<()> {
    tokio::runtime::Runtime::new()
        .context("failed to start the async runtime")?
        .block_on(run(args))
}

async fn run(args: RunArgs) -> anyhow::Result<()> {
    telemetry::init(args.log_format, &args.log_level);
    let shard = Shard::from_args(args.shard.as_deref(), args.unsharded_only)?;
    controllers::set_field_manager(shard.field_manager());
    let selector = shard.label_selector();
    tracing::info!(
        selector = selector.as_deref().unwrap_or("(every object)"),
        "objects owned"
    );
    let client = kube::Client::try_default()
        .await
        .context("no Kubernetes client: set KUBECONFIG or run in a cluster")?;
    // Asked where the operator will watch: a namespaced install has no cluster-wide list rights.
    let probe = match args.namespaces.first() {
        Some(ns) => kube::Api::<api::DBInstance>::namespaced(client.clone(), ns),
        None => kube::Api::<api::DBInstance>::all(client.clone()),
    };
    // Metadata only: one stored object the operator cannot decode must not stop it starting.
    probe
        .list_metadata(&kube::api::ListParams::default().limit(1))
        .await
        .context("cannot list DBInstances: are the CRDs installed? (`mongocloud-operator crds | kubectl apply -f -`)")?;

    let metrics = Arc::new(Metrics::default());
    let ready = Arc::new(AtomicBool::new(false));
    let health = Health {
        ready: ready.clone(),
        metrics: metrics.clone(),
    };
    for addr in endpoints(args.metrics_addr, args.health_addr) {
        let health = health.clone();
        tokio::spawn(async move {
            if let Err(error) = server::serve(addr, health).await {
                tracing::error!(%error, %addr, "HTTP endpoint failed");
            }
        });
    }

    let default_rate = args.cloud_rate_limit;
    let timeout = args.cloud_timeout;
    let hook = metrics.clone();
    let factory: controllers::ProviderFactory =
        Arc::new(move |mut settings: cloud::AccountSettings| {
            settings.request_timeout.get_or_insert(timeout);
            // Atlas budgets per minute and has its own default (0 selects it).
            if settings.requests_per_second == 0 && settings.cloud == cloud::Cloud::Aliyun {
                settings.requests_per_second = default_rate;
            }
            cloud::connect(settings, hook.clone())
        });
    let timing = Timing {
        transitional: args.transitional_interval,
        drift: args.drift_interval,
        ..Timing::default()
    };
    let mut ctx = Ctx::new(client.clone(), factory, timing, metrics)
        .in_namespaces(&args.namespaces)
        .in_shard(shard.clone())
        .creates_at_most(u32::from(args.concurrency / 2));
    if !args.no_batching {
        ctx = ctx.batched(mongocloud_operator::observer::Ticks {
            list: args.drift_interval,
            hot: args.observe_interval,
        });
    }
    let ctx = Arc::new(ctx);

    if !args.leader_elect {
        ready.store(true, Ordering::Relaxed);
        controllers::run(ctx, args.concurrency, &args.namespaces).await;
        return Ok(());
    }
    let identity = std::env::var("POD_NAME")
        .unwrap_or_else(|_| format!("{}-{}", hostname(), std::process::id()));
    let lock = leader::LeaseLock::new(
        client,
        &args.leader_election_namespace,
        &shard.lease_name(),
        &identity,
        args.lease_duration,
    );
    // A standby replica is ready: it serves probes and takes over when the leader goes.
    ready.store(true, Ordering::Relaxed);
    let lease = shard.lease_name();
    tracing::info!(%identity, %lease, "waiting for the leader lease");
    leader::acquire(&lock).await;
    tracing::info!(%identity, %lease, "became leader");
    tokio::select! {
        () = controllers::run(ctx, args.concurrency, &args.namespaces) => Ok(()),
        () = leader::hold(&lock) => anyhow::bail!("lost leadership; exiting so that only one replica writes"),
    }
}

fn emulator(args: EmulatorArgs) -> anyhow::Result<()> {
    use mongocloud_operator::emulator::{self, Config};
    if !(0.0..=1.0).contains(&args.fault_rate) {
        anyhow::bail!(
            "--fault-rate must be between 0 and 1 (is {})",
            args.fault_rate
        );
    }
    telemetry::init(LogFormat::Text, "warn");
    let mut config = Config {
        listen: args.listen,
        state_file: args.state_file,
        transition: Duration::from_millis(args.transition_ms),
        faults: emulator_faults::Plan {
            rate: args.fault_rate,
            modes: args.fault_modes,
            actions: args
                .fault_actions
                .into_iter()
                .map(|(action, rate)| {
                    let rule = emulator_faults::ActionRule {
                        rate,
                        ..Default::default()
                    };
                    (action, rule)
                })
                .collect(),
            burst: args.fault_burst.max(1),
            retry_after_secs: args.fault_retry_after_secs,
            hang_ms: args.fault_hang_ms,
            slow_ms: args.fault_slow_ms,
        },
        fault_seed: args.fault_seed,
        latency: Duration::from_millis(args.latency_ms),
        atlas_rate_per_minute: args.atlas_rate_per_minute,
        ..Config::default()
    };
    if !args.access_keys.is_empty() {
        config.access_keys = args.access_keys.into_iter().collect();
    }
    if !args.atlas_keys.is_empty() {
        config.atlas_keys = args.atlas_keys.into_iter().collect();
    }
    if !args.atlas_service_accounts.is_empty() {
        config.atlas_service_accounts = args.atlas_service_accounts.into_iter().collect();
    }
    let runtime = tokio::runtime::Runtime::new().context("failed to start the async runtime")?;
    runtime.block_on(async {
        let running = emulator::start(config).await?;
        println!("listening on {}", running.url());
        use std::io::Write as _;
        std::io::stdout()
            .flush()
            .context("cannot write to stdout")?;
        shutdown_signal().await;
        running.stop().await;
        Ok(())
    })
}

/// Resolves on SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = ctrl_c => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = ctrl_c.await;
        }
    }
}

/// The distinct addresses to serve the endpoints on.
fn endpoints(metrics: SocketAddr, health: SocketAddr) -> Vec<SocketAddr> {
    if metrics == health {
        vec![metrics]
    } else {
        vec![metrics, health]
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "mongocloud-operator".to_owned())
}

fn crds(out: Option<PathBuf>, check: bool) -> anyhow::Result<()> {
    use mongocloud_operator::api::crds;
    match (out, check) {
        (out, true) => Ok(crds::check(&out.unwrap_or_else(|| PathBuf::from("crds")))?),
        (Some(dir), false) => Ok(crds::write(&dir)?),
        (None, false) => {
            for (_, crd) in crds::all() {
                print!("---\n{}", crds::render(&crd)?);
            }
            Ok(())
        }
    }
}

fn docs(readme: &std::path::Path, check: bool) -> anyhow::Result<()> {
    use mongocloud_operator::reconcile::dbinstance_inplace::splice_readme;
    let text = std::fs::read_to_string(readme)
        .with_context(|| format!("cannot read {}", readme.display()))?;
    let current = splice_readme(&text)
        .with_context(|| format!("{} has no in-place-table markers", readme.display()))?;
    match (check, current == text) {
        (_, true) => Ok(()),
        (true, false) => anyhow::bail!(
            "{} is stale: run `mongocloud-operator docs --readme {}`",
            readme.display(),
            readme.display()
        ),
        (false, false) => std::fs::write(readme, current)
            .with_context(|| format!("cannot write {}", readme.display())),
    }
}

fn import(args: ImportArgs) -> anyhow::Result<()> {
    use mongocloud_operator::import;
    let options = import::Options {
        provider_config: args.provider_config,
        region: args.region,
        namespace: args.namespace,
        management_policies: import::parse_policies(&args.management_policies)?,
        rate_limit: args.cloud_rate_limit,
    };
    let runtime = tokio::runtime::Runtime::new().context("failed to start the async runtime")?;
    let rendered = runtime.block_on(async {
        let client = kube::Client::try_default()
            .await
            .context("no Kubernetes client: set KUBECONFIG")?;
        anyhow::Ok(import::run(&client, &options, &mut std::io::stderr()).await?)
    })?;
    match args.out {
        Some(dir) => {
            let written = import::write_files(&dir, &rendered.objects)?;
            eprintln!("{} files in {}", written.len(), dir.display());
        }
        None => {
            use std::io::Write as _;
            let mut stdout = std::io::stdout();
            stdout
                .write_all(import::to_yaml(&rendered.objects)?.as_bytes())
                .and_then(|()| stdout.flush())
                .context("cannot write to stdout")?;
        }
    }
    Ok(())
}
