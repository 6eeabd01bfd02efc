//! Throughput figures (a benchmark, not a test): signing + request building, and signed
//! DescribeDBInstanceAttribute requests per second against the emulator over loopback.
//!
//!     cargo bench --bench throughput

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use mongocloud_operator::cloud::aliyun::{AliyunClient, signature};
use mongocloud_operator::cloud::error::Redacted;
use mongocloud_operator::cloud::{AccountSettings, CreateInstance, Provider};
use mongocloud_operator::emulator::{self, Config};

fn signing() {
    let n = 200_000;
    let started = Instant::now();
    for i in 0..n {
        let params: BTreeMap<String, String> = [
            ("Action", "DescribeDBInstanceAttribute".to_owned()),
            ("Version", "2015-12-01".to_owned()),
            ("Format", "JSON".to_owned()),
            ("AccessKeyId", "LTAIemulator".to_owned()),
            ("SignatureMethod", "HMAC-SHA1".to_owned()),
            ("SignatureVersion", "1.0".to_owned()),
            ("SignatureNonce", format!("nonce-{i}")),
            ("Timestamp", "2026-11-24T12:00:00Z".to_owned()),
            ("DBInstanceId", "dds-bp1234567890abcd".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let sts = signature::rpc_string_to_sign("POST", &params);
        std::hint::black_box(signature::rpc_signature("emulator-secret", &sts));
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "signing + canonical request: {:.0} requests/s ({n} in {secs:.2} s)",
        n as f64 / secs
    );
}

async fn emulator_load(clients: usize, duration: Duration) {
    let config = Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        transition: Duration::ZERO,
        ..Config::default()
    };
    let running = emulator::start(config).await.expect("emulator");
    let settings = AccountSettings {
        endpoint: Some(running.url()),
        region: Some("cn-hangzhou".into()),
        access_key_id: "LTAIemulator".into(),
        access_key_secret: Redacted("emulator-secret".into()),
        requests_per_second: 1_000_000,
        ..AccountSettings::default()
    };
    let client = Arc::new(AliyunClient::new(settings, None).expect("client"));
    let request = CreateInstance {
        region: "cn-hangzhou".into(),
        engine_version: "6.0".into(),
        instance_class: "dds.mongo.mid".into(),
        storage_gb: 20,
        replication_factor: 3,
        charge_type: "PostPaid".into(),
        client_token: "bench".into(),
        ..CreateInstance::default()
    };
    let id = client.create_instance(&request).await.expect("create");
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + duration;
    let workers: Vec<_> = (0..clients)
        .map(|_| {
            let (client, done, id) = (client.clone(), done.clone(), id.clone());
            tokio::spawn(async move {
                while Instant::now() < deadline {
                    client
                        .describe_instances(std::slice::from_ref(&id))
                        .await
                        .expect("describe");
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for w in workers {
        w.await.expect("worker");
    }
    let n = done.load(Ordering::Relaxed);
    println!(
        "emulator, {clients} concurrent clients: {:.0} signed DescribeDBInstanceAttribute requests/s ({n} in {duration:?})",
        n as f64 / duration.as_secs_f64()
    );
    running.stop().await;
}

fn main() {
    signing();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    for clients in [1, 8, 32] {
        runtime.block_on(emulator_load(clients, Duration::from_secs(3)));
    }
}
