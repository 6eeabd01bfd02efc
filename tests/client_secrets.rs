//! Secrets (access key secret, account password) never appear in Debug or Display output, in
//! errors, or in the client's tracing log — also when calls fail.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mongocloud_operator::cloud::aliyun::AliyunClient;
use mongocloud_operator::cloud::error::Redacted;
use mongocloud_operator::cloud::{AccountSettings, CreateInstance, Provider};
use mongocloud_operator::emulator::{self, Config};

const SECRET: &str = "TOPSECRET-k3y-material";
const PASSWORD: &str = "P4ssw0rd-never-logged";

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn secrets_stay_out_of_debug_errors_and_logs() {
    let log = Captured::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let mut config = Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        transition: Duration::ZERO,
        ..Config::default()
    };
    config
        .access_keys
        .insert("LTAIsecret".into(), SECRET.into());
    let e = emulator::start(config).await.expect("emulator");
    let settings = |secret: &str| AccountSettings {
        endpoint: Some(e.url()),
        region: Some("cn-hangzhou".into()),
        access_key_id: "LTAIsecret".into(),
        access_key_secret: Redacted(secret.into()),
        requests_per_second: 100,
        ..AccountSettings::default()
    };
    let good = AliyunClient::new(settings(SECRET), None).expect("client");
    let request = CreateInstance {
        region: "cn-hangzhou".into(),
        engine_version: "6.0".into(),
        instance_class: "dds.mongo.mid".into(),
        storage_gb: 20,
        replication_factor: 3,
        charge_type: "PostPaid".into(),
        password: Some(Redacted(PASSWORD.into())),
        client_token: "leak-test".into(),
        ..CreateInstance::default()
    };
    let id = good.create_instance(&request).await.expect("create");
    let tags = good
        .list_tag_resources("cn-hangzhou", std::slice::from_ref(&id))
        .await
        .expect("tags");
    assert!(tags.is_empty());
    let bad = AliyunClient::new(settings(&format!("{SECRET}-wrong")), None).expect("client");
    let error = bad.check_credentials().await.expect_err("refused");
    let unreachable = AliyunClient::new(
        AccountSettings {
            endpoint: Some("http://127.0.0.1:9".into()),
            ..settings(SECRET)
        },
        None,
    )
    .expect("client");
    let transport = unreachable
        .check_credentials()
        .await
        .expect_err("connection refused");

    let printed = [
        format!("{:?}", settings(SECRET)),
        format!("{good:?}"),
        format!("{request:?}"),
        format!("{error} {error:?}"),
        format!("{transport} {transport:?}"),
        String::from_utf8(log.0.lock().expect("lock").clone()).expect("utf8"),
    ];
    for text in printed {
        assert!(
            !text.contains(SECRET) && !text.contains(PASSWORD),
            "a secret leaked into: {text}"
        );
    }
    assert!(
        !log.0.lock().expect("lock").is_empty(),
        "the client did log its calls"
    );
}
