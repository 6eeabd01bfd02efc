//! Database users through both clients against the emulator over loopback: Aliyun's root
//! account actions and Atlas' databaseUsers (labels included: set by the create and by a
//! password PATCH, which replaces them), with the clouds' refusals (password rules, unknown
//! accounts, bad roles, bad labels, a second create, missing users) and no password in any error.

use std::time::Duration;

use mongocloud_operator::cloud::aliyun::AliyunClient;
use mongocloud_operator::cloud::atlas::AtlasProvider;
use mongocloud_operator::cloud::error::Redacted;
use mongocloud_operator::cloud::*;
use mongocloud_operator::emulator::{self, Config, Running};

async fn emulator() -> Running {
    let config = Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        transition: Duration::from_millis(50),
        ..Config::default()
    };
    emulator::start(config).await.expect("emulator starts")
}

fn aliyun(e: &Running) -> AliyunClient {
    let settings = AccountSettings {
        endpoint: Some(e.url()),
        region: Some("cn-hangzhou".to_owned()),
        access_key_id: "LTAIemulator".to_owned(),
        access_key_secret: Redacted("emulator-secret".to_owned()),
        requests_per_second: 1000,
        ..AccountSettings::default()
    };
    AliyunClient::new(settings, None).expect("client")
}

fn atlas(e: &Running) -> AtlasProvider {
    let settings = AccountSettings {
        cloud: Cloud::Atlas,
        project_id: Some("6746cea8a3b0f86a2fbdc1f1".to_owned()),
        endpoint: Some(format!("{}/api/atlas/v2", e.url())),
        access_key_id: "emulator-public".to_owned(),
        access_key_secret: Redacted("emulator-private".to_owned()),
        requests_per_second: 1000,
        ..AccountSettings::default()
    };
    AtlasProvider::new(settings, None).expect("provider")
}

fn password(text: &str) -> Redacted<String> {
    Redacted(text.to_owned())
}

async fn running_instance(c: &AliyunClient) -> String {
    let request = CreateInstance {
        region: "cn-hangzhou".into(),
        engine_version: "6.0".into(),
        instance_class: "dds.mongo.mid".into(),
        storage_gb: 20,
        replication_factor: 3,
        charge_type: "PostPaid".into(),
        client_token: "users-1".into(),
        ..CreateInstance::default()
    };
    let id = c.create_instance(&request).await.expect("create");
    for _ in 0..100 {
        if c.describe_instance(&id)
            .await
            .expect("describe")
            .is_some_and(|i| i.status == "Running")
        {
            return id;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{id} never ran");
}

#[tokio::test]
async fn aliyun_manages_root_only_and_enforces_its_password_rules() {
    let e = emulator().await;
    let c = aliyun(&e);
    let id = running_instance(&c).await;

    let root = c.describe_user(&id, "root").await.expect("describe");
    assert_eq!(
        root.as_ref().and_then(|u| u.status.as_deref()),
        Some("Available")
    );
    assert_eq!(c.describe_user(&id, "app").await.expect("describe"), None);

    let settings = UserSettings {
        description: Some("ops team".to_owned()),
        ..UserSettings::default()
    };
    c.update_user(&id, "root", &settings)
        .await
        .expect("description");
    let root = c.describe_user(&id, "root").await.expect("describe");
    assert_eq!(
        root.and_then(|u| u.description).as_deref(),
        Some("ops team")
    );

    for weak in ["short1A", "alllowercase1", "Has space 1A", "Bad@char1A"] {
        let e = c
            .set_user_password(&id, "root", &password(weak), None)
            .await
            .expect_err("weak password refused");
        assert_eq!(e.code, "InvalidAccountPassword.Format", "{weak}");
        assert_eq!(e.class, ErrorClass::Terminal);
        assert!(
            !e.to_string().contains(weak),
            "the error shows the password"
        );
    }
    c.set_user_password(&id, "root", &password("Good-pass-1"), None)
        .await
        .expect("strong password");
    let other = c
        .set_user_password(&id, "app", &password("Good-pass-1"), None)
        .await
        .expect_err("only root");
    assert_eq!(other.code, "InvalidAccountName.NotFound");

    let with_roles = UserSettings {
        roles: vec![UserRole {
            role_name: "read".into(),
            database_name: "shop".into(),
            collection_name: None,
        }],
        ..UserSettings::default()
    };
    let refused = c
        .update_user(&id, "root", &with_roles)
        .await
        .expect_err("no roles");
    assert_eq!(refused.class, ErrorClass::Terminal);
    assert!(
        c.delete_user(&id, "root").await.is_err(),
        "root cannot be deleted"
    );
}

fn role(name: &str, db: &str, collection: Option<&str>) -> UserRole {
    UserRole {
        role_name: name.to_owned(),
        database_name: db.to_owned(),
        collection_name: collection.map(str::to_owned),
    }
}

fn label(key: &str, value: &str) -> UserLabel {
    UserLabel {
        key: key.to_owned(),
        value: value.to_owned(),
    }
}

#[tokio::test]
async fn atlas_users_are_created_once_read_back_patched_and_deleted() {
    let e = emulator().await;
    let p = atlas(&e);
    let settings = UserSettings {
        roles: vec![role("readWrite", "shop", None)],
        scopes: vec![UserScope {
            name: "orders".into(),
            type_: "CLUSTER".into(),
        }],
        description: Some("orders service".into()),
    };
    let new = NewDbUser {
        username: "app".into(),
        password: password("atlas-pass-1"),
        settings: settings.clone(),
        labels: vec![
            label("team", "orders"),
            label("mongocloud-password-rev", "r1"),
        ],
    };
    p.create_user("orders", &new).await.expect("create");
    let again = p.create_user("orders", &new).await.expect_err("exists");
    assert_eq!(again.code, "USER_ALREADY_EXISTS");

    let user = p
        .describe_user("orders", "app")
        .await
        .expect("get")
        .expect("user");
    assert_eq!(user.roles, settings.roles);
    assert_eq!(user.scopes, settings.scopes);
    assert_eq!(user.database_name.as_deref(), Some("admin"));
    assert_eq!(user.description.as_deref(), Some("orders service"));
    assert_eq!(
        user.labels, new.labels,
        "the create's labels read back in order"
    );

    let more = UserSettings {
        roles: vec![
            role("read", "reports", Some("daily")),
            role("readWrite", "shop", None),
        ],
        ..settings.clone()
    };
    p.update_user("orders", "app", &more).await.expect("patch");
    let user = p
        .describe_user("orders", "app")
        .await
        .expect("get")
        .expect("user");
    assert_eq!(user.roles, more.roles);
    assert_eq!(user.labels, new.labels, "a PATCH without labels keeps them");

    let misplaced = UserSettings {
        roles: vec![role("atlasAdmin", "shop", None)],
        ..settings.clone()
    };
    let refused = p
        .update_user("orders", "app", &misplaced)
        .await
        .expect_err("bad role");
    assert_eq!(refused.code, "INVALID_ATTRIBUTE");
    let short = p
        .set_user_password("orders", "app", &password("tiny7"), None)
        .await
        .expect_err("short password");
    assert_eq!(short.code, "INVALID_ATTRIBUTE");
    assert!(!short.to_string().contains("tiny7"), "{short}");
    p.set_user_password("orders", "app", &password("atlas-pass-2"), None)
        .await
        .expect("password");
    let rotated = [label("mongocloud-password-rev", "r2")];
    p.set_user_password("orders", "app", &password("atlas-pass-3"), Some(&rotated))
        .await
        .expect("password with labels");
    let user = p
        .describe_user("orders", "app")
        .await
        .expect("get")
        .expect("user");
    assert_eq!(
        user.labels, rotated,
        "a PATCH with labels replaces them all"
    );
    for bad in [label("", "x"), label("k", ""), label("k", &"v".repeat(256))] {
        let refused = p
            .set_user_password("orders", "app", &password("atlas-pass-4"), Some(&[bad]))
            .await
            .expect_err("bad label");
        assert_eq!(refused.code, "INVALID_ATTRIBUTE");
        assert!(!refused.to_string().contains("atlas-pass-4"), "{refused}");
    }
    let user = p.describe_user("orders", "app").await.expect("get");
    assert_eq!(
        user.map(|u| u.labels),
        Some(rotated.to_vec()),
        "a refused PATCH changes nothing"
    );

    p.delete_user("orders", "app").await.expect("delete");
    let gone = p.delete_user("orders", "app").await.expect_err("gone");
    assert_eq!(
        (gone.code.as_str(), gone.class),
        ("USER_NOT_FOUND", ErrorClass::NotFound)
    );
    assert_eq!(p.describe_user("orders", "app").await.expect("get"), None);
}
