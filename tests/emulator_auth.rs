//! The emulator refuses what the cloud refuses, with the cloud's codes: unknown keys, bad
//! signatures, skewed timestamps, reused nonces, unknown actions; and answers XML by default.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use mongocloud_operator::cloud::aliyun::signature;
use mongocloud_operator::emulator::{self, Config, Running};

async fn emulator() -> Running {
    emulator::start(Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        transition: Duration::ZERO,
        ..Config::default()
    })
    .await
    .expect("start")
}

/// A v1-signed GET with everything in the query, as a hand-rolled client would send it.
async fn get(
    e: &Running,
    key: &str,
    secret: &str,
    action: &str,
    stamp: &str,
    nonce: &str,
    format: Option<&str>,
) -> (u16, String) {
    let mut p: BTreeMap<String, String> = [
        ("Action", action),
        ("Version", "2015-12-01"),
        ("AccessKeyId", key),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("SignatureNonce", nonce),
        ("Timestamp", stamp),
        ("RegionId", "cn-hangzhou"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    if let Some(format) = format {
        p.insert("Format".into(), format.into());
    }
    let sig = signature::rpc_signature(secret, &signature::rpc_string_to_sign("GET", &p));
    p.insert("Signature".into(), sig);
    let response = reqwest::get(format!("{}/?{}", e.url(), signature::canonical_query(&p)))
        .await
        .expect("request");
    (
        response.status().as_u16(),
        response.text().await.expect("body"),
    )
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[tokio::test]
async fn refusals_carry_the_clouds_codes_and_statuses() {
    let e = emulator().await;
    let json = Some("JSON");
    let cases = [
        (
            "unknown key",
            get(&e, "LTAInobody", "x", "DescribeRegions", &now(), "n1", json).await,
            404,
            "InvalidAccessKeyId.NotFound",
        ),
        (
            "wrong secret",
            get(
                &e,
                "LTAIemulator",
                "wrong",
                "DescribeRegions",
                &now(),
                "n2",
                json,
            )
            .await,
            400,
            "SignatureDoesNotMatch",
        ),
        (
            "timestamp 20 min off",
            get(
                &e,
                "LTAIemulator",
                "emulator-secret",
                "DescribeRegions",
                &(Utc::now() - chrono::Duration::minutes(20))
                    .to_rfc3339_opts(SecondsFormat::Secs, true),
                "n3",
                json,
            )
            .await,
            400,
            "InvalidTimeStamp.Expired",
        ),
        (
            "unknown action",
            get(
                &e,
                "LTAIemulator",
                "emulator-secret",
                "LaunchRocket",
                &now(),
                "n4",
                json,
            )
            .await,
            404,
            "InvalidAction.NotFound",
        ),
        (
            "missing parameter",
            get(
                &e,
                "LTAIemulator",
                "emulator-secret",
                "DescribeDBInstanceAttribute",
                &now(),
                "n5",
                json,
            )
            .await,
            400,
            "MissingParameter",
        ),
    ];
    for (name, (status, body), want_status, code) in cases {
        assert_eq!(status, want_status, "{name}: {body}");
        let v: serde_json::Value =
            serde_json::from_str(&body).unwrap_or_else(|_| panic!("{name}: not JSON: {body}"));
        assert_eq!(v["Code"], code, "{name}");
        assert!(
            v["RequestId"].as_str().is_some_and(|r| !r.is_empty())
                && v["HostId"].is_string()
                && v["Message"].is_string(),
            "{name}: {body}"
        );
    }
    let (_, sig_body) = get(
        &e,
        "LTAIemulator",
        "wrong",
        "DescribeRegions",
        &now(),
        "n6",
        json,
    )
    .await;
    assert!(
        sig_body.contains("server string to sign is:GET&%2F&"),
        "{sig_body}"
    );
}

#[tokio::test]
async fn a_reused_nonce_is_refused() {
    let e = emulator().await;
    let stamp = now();
    let (first, _) = get(
        &e,
        "LTAIemulator",
        "emulator-secret",
        "DescribeRegions",
        &stamp,
        "same",
        Some("JSON"),
    )
    .await;
    let (second, body) = get(
        &e,
        "LTAIemulator",
        "emulator-secret",
        "DescribeRegions",
        &stamp,
        "same",
        Some("JSON"),
    )
    .await;
    assert_eq!(first, 200);
    assert_eq!(second, 400);
    assert!(body.contains("SignatureNonceUsed"), "{body}");
}

#[tokio::test]
async fn xml_is_the_default_format() {
    let e = emulator().await;
    let (status, body) = get(
        &e,
        "LTAIemulator",
        "emulator-secret",
        "DescribeRegions",
        &now(),
        "x1",
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        body.starts_with("<?xml")
            && body.contains("<DescribeRegionsResponse>")
            && body.contains("<DdsRegion>"),
        "{body}"
    );
    let (status, body) = get(
        &e,
        "LTAIemulator",
        "wrong",
        "DescribeRegions",
        &now(),
        "x2",
        None,
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body.contains("<Error>") && body.contains("<Code>SignatureDoesNotMatch</Code>"),
        "{body}"
    );
}

#[tokio::test]
async fn admin_api_edits_forces_and_resets() {
    let e = emulator().await;
    let http = reqwest::Client::new();
    let created: serde_json::Value = http
        .post(format!("{}/_emulator/instances", e.url()))
        .json(&serde_json::json!({"DBInstanceDescription": "adopt me"}))
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("json");
    let id = created["DBInstanceId"].as_str().expect("id").to_owned();
    let edit = http
        .post(format!("{}/_emulator/instances/{id}", e.url()))
        .json(&serde_json::json!({"status": "Rebooting", "description": "edited"}))
        .send()
        .await
        .expect("edit");
    assert_eq!(edit.status().as_u16(), 204);
    let state: serde_json::Value = http
        .get(format!("{}/_emulator/state", e.url()))
        .send()
        .await
        .expect("state")
        .json()
        .await
        .expect("json");
    assert_eq!(state["instances"][&id]["status"], "Rebooting");
    assert_eq!(state["instances"][&id]["description"], "edited");
    assert_eq!(
        http.post(format!("{}/_emulator/reset", e.url()))
            .send()
            .await
            .expect("reset")
            .status()
            .as_u16(),
        204
    );
    let state: serde_json::Value = http
        .get(format!("{}/_emulator/state", e.url()))
        .send()
        .await
        .expect("state")
        .json()
        .await
        .expect("json");
    assert_eq!(state["instances"], serde_json::json!({}));
}
