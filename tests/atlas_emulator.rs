//! The emulator's Atlas API answers as the recorded Atlas does: driven by the operator's own
//! Atlas client, and by raw HTTP for the exact challenge, headers, versions and error bodies.
//! Every test starts its own emulator on loopback.

use std::time::Duration;

use mongocloud_operator::cloud::ErrorClass;
use mongocloud_operator::cloud::atlas::client::AtlasClient;
use mongocloud_operator::cloud::atlas::digest;
use mongocloud_operator::cloud::atlas::versions::Endpoint;
use mongocloud_operator::cloud::error::Redacted;
use mongocloud_operator::emulator::{self, Config, Running};
use reqwest::Method;
use serde_json::{Value, json};

const PUBLIC: &str = "emulator-public";
const PRIVATE: &str = "emulator-private";
const GROUP: &str = "5f0a1b2c3d4e5f60718293a4";
const TRANSITION: Duration = Duration::from_millis(200);
const UNAUTHORIZED: &str = r#"{"error":401,"reason":"Unauthorized","detail":"You are not authorized for this resource.","errorCode":"UNEXPECTED_ERROR"}"#;

async fn start(rate: u32) -> Running {
    emulator::start(Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        transition: TRANSITION,
        atlas_rate_per_minute: rate,
        ..Config::default()
    })
    .await
    .expect("start")
}

fn client(e: &Running, private: &str) -> AtlasClient {
    AtlasClient::new(
        Some(&format!("{}/api/atlas/v2", e.url())),
        PUBLIC.to_owned(),
        Redacted(private.to_owned()),
    )
    .expect("client")
}

fn media(date: &str) -> String {
    format!("application/vnd.atlas.{date}+json")
}

/// One Digest-authenticated request the way a plain client makes it: a challenge from an
/// unauthenticated attempt, then the answer. `path` is below `/api/atlas/v2`.
async fn raw(
    e: &Running,
    method: Method,
    path: &str,
    accept: Option<&str>,
    body: Option<&Value>,
    private: &str,
) -> reqwest::Response {
    let http = reqwest::Client::new();
    let uri = format!("/api/atlas/v2{path}");
    let url = format!("{}{uri}", e.url());
    let build = |authorization: Option<String>| {
        let mut request = http.request(method.clone(), &url);
        if let Some(accept) = accept {
            request = request.header("accept", accept);
        }
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        if let Some(authorization) = authorization {
            request = request.header("authorization", authorization);
        }
        request
    };
    let first = build(None).send().await.expect("challenge request");
    assert_eq!(first.status(), 401);
    let header = first.headers()["www-authenticate"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let challenge = digest::parse_challenge(&header).expect("challenge");
    let authorization = digest::authorization(
        &challenge,
        PUBLIC,
        private,
        method.as_str(),
        &uri,
        1,
        "0123456789abcdef",
    );
    build(Some(authorization)).send().await.expect("request")
}

async fn json_of(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn admin(e: &Running, path: &str) -> Value {
    reqwest::get(format!("{}/_emulator/atlas/{path}", e.url()))
        .await
        .expect("admin")
        .json()
        .await
        .expect("admin json")
}

async fn admin_post(e: &Running, path: &str, body: Value) {
    let status = reqwest::Client::new()
        .post(format!("{}/_emulator/atlas/{path}", e.url()))
        .json(&body)
        .send()
        .await
        .expect("admin post")
        .status();
    assert!(status.is_success(), "{path}: {status}");
}

fn cluster_body(name: &str, backup: bool) -> Value {
    json!({
        "name": name,
        "clusterType": "REPLICASET",
        "backupEnabled": backup,
        "replicationSpecs": [{"regionConfigs": [{
            "providerName": "AWS", "regionName": "US_EAST_1", "priority": 7,
            "electableSpecs": {"instanceSize": "M10", "nodeCount": 3, "diskSizeGB": 10}
        }]}],
        "tags": [{"key": "team", "value": "db"}]
    })
}

async fn get_cluster(
    c: &AtlasClient,
    name: &str,
) -> Result<Value, mongocloud_operator::cloud::CloudError> {
    c.send(
        "getCluster",
        Method::GET,
        &format!("/groups/{GROUP}/clusters/{name}"),
        Endpoint::ClusterRead,
        None,
    )
    .await
}

/// Polls until the cluster reads `state`, within ten transition periods.
async fn wait_state(c: &AtlasClient, name: &str, state: &str) -> Value {
    for _ in 0..40 {
        let cluster = get_cluster(c, name).await.expect("get cluster");
        if cluster["stateName"] == state {
            return cluster;
        }
        tokio::time::sleep(TRANSITION / 4).await;
    }
    panic!("cluster {name} never reached {state}");
}

#[tokio::test]
async fn unauthenticated_requests_get_the_recorded_challenge_and_change_nothing() {
    let e = start(1000).await;
    let response = reqwest::Client::new()
        .post(format!("{}/api/atlas/v2/groups/{GROUP}/clusters", e.url()))
        .header("accept", media("2024-10-23"))
        .header("content-type", "application/json")
        .body(cluster_body("ghost", false).to_string())
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["content-type"], "application/json");
    let header = response.headers()["www-authenticate"]
        .to_str()
        .expect("ascii")
        .to_owned();
    let nonce = header
        .strip_prefix("Digest realm=\"MMS Public API\", domain=\"\", nonce=\"")
        .and_then(|rest| rest.strip_suffix("\", algorithm=MD5, qop=\"auth\", stale=false"))
        .unwrap_or_else(|| panic!("challenge as recorded: {header}"));
    assert_eq!(nonce.len(), 32);
    assert!(
        nonce
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '/')
    );
    assert_eq!(response.text().await.expect("body"), UNAUTHORIZED);
    // The base itself challenges too (the operator's client fetches its nonce there).
    let base = reqwest::get(format!("{}/api/atlas/v2", e.url()))
        .await
        .expect("base");
    assert_eq!(base.status(), 401);
    assert!(base.headers().contains_key("www-authenticate"));

    assert_eq!(admin(&e, "state").await, json!({"projects": {}}));
    assert_eq!(admin(&e, "calls").await["total"], 0);
    e.stop().await;
}

#[tokio::test]
async fn wrong_keys_are_refused() {
    let e = start(1000).await;
    let response = raw(
        &e,
        Method::GET,
        &format!("/groups/{GROUP}/clusters"),
        Some(&media("2024-08-05")),
        None,
        "wrong",
    )
    .await;
    assert_eq!(response.status(), 401);
    assert!(response.headers().contains_key("www-authenticate"));
    assert_eq!(response.text().await.expect("body"), UNAUTHORIZED);

    let error = client(&e, "wrong")
        .send(
            "listClusters",
            Method::GET,
            &format!("/groups/{GROUP}/clusters"),
            Endpoint::ClusterRead,
            None,
        )
        .await
        .expect_err("refused");
    assert_eq!(error.code, "UNEXPECTED_ERROR");
    assert_eq!(error.class, ErrorClass::Terminal);
    assert_eq!(admin(&e, "calls").await["total"], 0);
    e.stop().await;
}

#[tokio::test]
async fn versions_resolve_to_the_newest_not_after_the_request() {
    let e = start(1000).await;
    let list = format!("/groups/{GROUP}/accessList");
    let not_acceptable = json!({"detail":"Invalid accept header or version date.","error":406,"errorCode":"INVALID_VERSION_DATE","parameters":[],"reason":"Not Acceptable"});
    for accept in [
        None,
        Some("application/json"),
        Some("application/vnd.atlas.2022-12-31+json"),
    ] {
        let response = raw(&e, Method::GET, &list, accept, None, PRIVATE).await;
        assert_eq!(response.headers()["content-type"], "application/json");
        assert_eq!(
            json_of(response).await,
            (406, not_acceptable.clone()),
            "{accept:?}"
        );
    }
    let response = raw(
        &e,
        Method::GET,
        &list,
        Some(&media("2025-03-12")),
        None,
        PRIVATE,
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/vnd.atlas.2023-01-01+json;charset=utf-8"
    );
    assert!(response.headers().contains_key("ratelimit-limit"));
    assert!(response.headers().contains_key("ratelimit-remaining"));

    // Clusters: an old version is served with its deprecation dates, the current one without.
    let clusters = format!("/groups/{GROUP}/clusters");
    let old = raw(
        &e,
        Method::GET,
        &clusters,
        Some(&media("2023-06-01")),
        None,
        PRIVATE,
    )
    .await;
    assert_eq!(
        old.headers()["content-type"],
        "application/vnd.atlas.2023-02-01+json;charset=utf-8"
    );
    assert_eq!(old.headers()["deprecation"], "Mon, 5 Aug 2024 00:00:00 GMT");
    assert_eq!(old.headers()["sunset"], "Thu, 1 Jul 2027 00:00:00 GMT");
    let current = raw(
        &e,
        Method::GET,
        &clusters,
        Some(&media("2024-08-05")),
        None,
        PRIVATE,
    )
    .await;
    assert_eq!(
        current.headers()["content-type"],
        "application/vnd.atlas.2024-08-05+json;charset=utf-8"
    );
    assert!(!current.headers().contains_key("deprecation"));

    // Authentication comes first: a bad Accept without credentials is a 401.
    let unauthenticated = reqwest::Client::new()
        .get(format!("{}/api/atlas/v2{list}", e.url()))
        .header("accept", "application/json")
        .send()
        .await
        .expect("get");
    assert_eq!(unauthenticated.status(), 401);
    e.stop().await;
}

#[tokio::test]
async fn project_ids_are_checked() {
    let e = start(1000).await;
    let c = client(&e, PRIVATE);
    let code = |group: &'static str| {
        let c = &c;
        async move {
            c.send(
                "listClusters",
                Method::GET,
                &format!("/groups/{group}/clusters"),
                Endpoint::ClusterRead,
                None,
            )
            .await
            .expect_err("refused")
            .code
        }
    };
    assert_eq!(code("not-a-project").await, "PATH_PARAM_PARSE_ERROR");
    assert_eq!(code("000000000000000000000000").await, "GROUP_NOT_FOUND");
    assert_eq!(code("5F0A1B2C3D4E5F60718293A4").await, "GROUP_NOT_FOUND");
    e.stop().await;
}

#[tokio::test]
async fn cluster_life_cycle_with_the_operator_client() {
    let e = start(1000).await;
    let c = client(&e, PRIVATE);
    let clusters = format!("/groups/{GROUP}/clusters");
    let one = format!("{clusters}/alpha-1");
    let created = c
        .send(
            "createCluster",
            Method::POST,
            &clusters,
            Endpoint::ClusterWrite,
            Some(&cluster_body("alpha-1", false)),
        )
        .await
        .expect("create");
    assert_eq!(created["stateName"], "CREATING");
    assert_eq!(created["connectionStrings"], json!({}));
    assert_eq!(created["groupId"], GROUP);
    let id = created["id"].as_str().expect("id");
    assert!(
        id.len() == 24
            && id
                .chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    );

    let duplicate = c
        .send(
            "createCluster",
            Method::POST,
            &clusters,
            Endpoint::ClusterWrite,
            Some(&cluster_body("alpha-1", false)),
        )
        .await
        .expect_err("duplicate");
    assert_eq!(duplicate.code, "DUPLICATE_CLUSTER_NAME");
    let mut bad = cluster_body("-bad", false);
    let invalid = c
        .send(
            "createCluster",
            Method::POST,
            &clusters,
            Endpoint::ClusterWrite,
            Some(&bad),
        )
        .await
        .expect_err("bad name");
    assert_eq!(invalid.code, "INVALID_ATTRIBUTE");
    bad["name"] = json!("fine");
    bad.as_object_mut().expect("object").remove("clusterType");
    let missing = c
        .send(
            "createCluster",
            Method::POST,
            &clusters,
            Endpoint::ClusterWrite,
            Some(&bad),
        )
        .await
        .expect_err("missing");
    assert_eq!(missing.code, "MISSING_ATTRIBUTE");

    let patch_early = c
        .send(
            "updateCluster",
            Method::PATCH,
            &one,
            Endpoint::ClusterWrite,
            Some(&json!({"tags": []})),
        )
        .await
        .expect_err("not while creating");
    assert_eq!(patch_early.code, "CLUSTER_NOT_IDLE");

    let idle = wait_state(&c, "alpha-1", "IDLE").await;
    let standard = idle["connectionStrings"]["standard"]
        .as_str()
        .expect("standard");
    assert!(
        standard.starts_with("mongodb://alpha-1-shard-00-00."),
        "{standard}"
    );
    assert!(
        standard.contains(".mongodb.net:27017,alpha-1-shard-00-01."),
        "{standard}"
    );
    assert!(
        standard.contains("/?ssl=true&authSource=admin&replicaSet=atlas-"),
        "{standard}"
    );
    let srv = idle["connectionStrings"]["standardSrv"]
        .as_str()
        .expect("srv");
    assert!(
        srv.starts_with("mongodb+srv://alpha-1.") && srv.ends_with(".mongodb.net"),
        "{srv}"
    );

    // Tags only: no transition.
    let tagged = c
        .send(
            "updateCluster",
            Method::PATCH,
            &one,
            Endpoint::ClusterWrite,
            Some(&json!({"tags": [{"key": "env", "value": "test"}]})),
        )
        .await
        .expect("tags");
    assert_eq!(tagged["stateName"], "IDLE");
    assert_eq!(tagged["tags"], json!([{"key": "env", "value": "test"}]));

    // A resize walks UPDATING → IDLE and shows the new size.
    let mut specs = idle["replicationSpecs"].clone();
    specs[0]["regionConfigs"][0]["electableSpecs"]["instanceSize"] = json!("M20");
    specs[0]["regionConfigs"][0]["electableSpecs"]["diskSizeGB"] = json!(40);
    let resized = c
        .send(
            "updateCluster",
            Method::PATCH,
            &one,
            Endpoint::ClusterWrite,
            Some(&json!({"replicationSpecs": specs})),
        )
        .await
        .expect("resize");
    assert_eq!(resized["stateName"], "UPDATING");
    let after = wait_state(&c, "alpha-1", "IDLE").await;
    assert_eq!(
        after["replicationSpecs"][0]["regionConfigs"][0]["electableSpecs"]["instanceSize"],
        "M20"
    );
    assert_eq!(
        after["replicationSpecs"][0]["id"],
        idle["replicationSpecs"][0]["id"]
    );

    // Paused: every other change is refused until unpaused alone.
    let pause_and_change = c
        .send(
            "updateCluster",
            Method::PATCH,
            &one,
            Endpoint::ClusterWrite,
            Some(&json!({"paused": true, "tags": []})),
        )
        .await
        .expect_err("pause with a change");
    assert_eq!(pause_and_change.code, "CANNOT_UPDATE_PAUSED_CLUSTER");
    c.send(
        "updateCluster",
        Method::PATCH,
        &one,
        Endpoint::ClusterWrite,
        Some(&json!({"paused": true})),
    )
    .await
    .expect("pause");
    wait_state(&c, "alpha-1", "IDLE").await;
    let while_paused = c
        .send(
            "updateCluster",
            Method::PATCH,
            &one,
            Endpoint::ClusterWrite,
            Some(&json!({"tags": []})),
        )
        .await
        .expect_err("paused");
    assert_eq!(while_paused.code, "CANNOT_UPDATE_PAUSED_CLUSTER");
    assert_eq!(while_paused.class, ErrorClass::InvalidState);
    c.send(
        "updateCluster",
        Method::PATCH,
        &one,
        Endpoint::ClusterWrite,
        Some(&json!({"paused": false})),
    )
    .await
    .expect("unpause");
    wait_state(&c, "alpha-1", "IDLE").await;

    // Termination protection blocks the delete until it is turned off.
    c.send(
        "updateCluster",
        Method::PATCH,
        &one,
        Endpoint::ClusterWrite,
        Some(&json!({"terminationProtectionEnabled": true})),
    )
    .await
    .expect("protect");
    let protected = c
        .send(
            "deleteCluster",
            Method::DELETE,
            &one,
            Endpoint::ClusterDelete,
            None,
        )
        .await
        .expect_err("protected");
    assert_eq!(
        protected.code,
        "CANNOT_TERMINATE_CLUSTER_WHEN_TERMINATION_PROTECTION_ENABLED"
    );
    c.send(
        "updateCluster",
        Method::PATCH,
        &one,
        Endpoint::ClusterWrite,
        Some(&json!({"terminationProtectionEnabled": false})),
    )
    .await
    .expect("unprotect");

    let deleted = c
        .send(
            "deleteCluster",
            Method::DELETE,
            &one,
            Endpoint::ClusterDelete,
            None,
        )
        .await
        .expect("delete");
    assert_eq!(deleted, json!({}));
    assert_eq!(
        get_cluster(&c, "alpha-1").await.expect("deleting")["stateName"],
        "DELETING"
    );
    tokio::time::sleep(TRANSITION + Duration::from_millis(50)).await;
    let gone = get_cluster(&c, "alpha-1").await.expect_err("gone");
    assert_eq!(gone.code, "CLUSTER_NOT_FOUND");
    assert_eq!(gone.class, ErrorClass::NotFound);
    let (status, body) = json_of(
        raw(
            &e,
            Method::GET,
            &one,
            Some(&media("2024-08-05")),
            None,
            PRIVATE,
        )
        .await,
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        body,
        json!({"detail": format!("No cluster named alpha-1 exists in group {GROUP}."), "error": 404,
               "errorCode": "CLUSTER_NOT_FOUND", "parameters": ["alpha-1", GROUP], "reason": "Not Found"})
    );

    let calls = admin(&e, "calls").await;
    assert_eq!(calls["operations"]["createCluster"], 4);
    assert_eq!(calls["operations"]["deleteCluster"], 2);
    assert!(calls["operations"]["getCluster"].as_u64() >= Some(5));
    e.stop().await;
}

#[tokio::test]
async fn lists_are_paginated() {
    let e = start(1000).await;
    let c = client(&e, PRIVATE);
    let list = format!("/groups/{GROUP}/accessList");
    let entries: Vec<Value> = (1..=5)
        .map(|n| json!({"ipAddress": format!("198.51.100.{n}")}))
        .collect();
    let all = c
        .send(
            "createAccessListEntries",
            Method::POST,
            &list,
            Endpoint::Project,
            Some(&Value::Array(entries)),
        )
        .await
        .expect("create");
    assert_eq!(all["totalCount"], 5);
    assert_eq!(all["results"].as_array().map(Vec::len), Some(5));

    let page = c
        .send(
            "list",
            Method::GET,
            &format!("{list}?pageNum=3&itemsPerPage=2"),
            Endpoint::Project,
            None,
        )
        .await
        .expect("page 3");
    assert_eq!(page["totalCount"], 5);
    assert_eq!(page["results"].as_array().map(Vec::len), Some(1));
    let rels: Vec<&str> = page["links"]
        .as_array()
        .expect("links")
        .iter()
        .filter_map(|l| l["rel"].as_str())
        .collect();
    assert_eq!(rels, ["previous", "self"]);
    let page = c
        .send(
            "list",
            Method::GET,
            &format!("{list}?pageNum=1&itemsPerPage=2&includeCount=false"),
            Endpoint::Project,
            None,
        )
        .await
        .expect("page 1");
    assert!(page.get("totalCount").is_none());
    assert_eq!(page["results"].as_array().map(Vec::len), Some(2));
    let past = c
        .send(
            "list",
            Method::GET,
            &format!("{list}?pageNum=9"),
            Endpoint::Project,
            None,
        )
        .await
        .expect("past the end");
    assert_eq!(past["results"], json!([]));
    for bad in ["pageNum=0", "itemsPerPage=501", "itemsPerPage=x"] {
        let error = c
            .send(
                "list",
                Method::GET,
                &format!("{list}?{bad}"),
                Endpoint::Project,
                None,
            )
            .await
            .expect_err(bad);
        assert_eq!(error.code, "VALIDATION_ERROR", "{bad}");
    }
    e.stop().await;
}

#[tokio::test]
async fn access_list_entries_are_normalised_and_expire() {
    let e = start(1000).await;
    let c = client(&e, PRIVATE);
    let list = format!("/groups/{GROUP}/accessList");
    let post = |body: Value| {
        let (c, list) = (&c, &list);
        async move {
            c.send(
                "createAccessListEntries",
                Method::POST,
                list,
                Endpoint::Project,
                Some(&body),
            )
            .await
        }
    };
    post(json!([{"ipAddress": "192.168.0.243", "comment": "one host"}, {"cidrBlock": "203.0.113.7/32"}, {"cidrBlock": "10.1.0.0/16"}]))
        .await
        .expect("create");
    // Upsert: the IP again, as its /32, changes the comment of the one entry.
    let all = post(json!([{"cidrBlock": "192.168.0.243/32", "comment": "renamed"}]))
        .await
        .expect("upsert");
    assert_eq!(all["totalCount"], 3);

    let entry = c
        .send(
            "get",
            Method::GET,
            &format!("{list}/192.168.0.243"),
            Endpoint::Project,
            None,
        )
        .await
        .expect("bare ip");
    assert_eq!(entry["cidrBlock"], "192.168.0.243/32");
    assert_eq!(entry["ipAddress"], "192.168.0.243");
    assert_eq!(entry["comment"], "renamed");
    assert!(
        entry["links"][0]["href"]
            .as_str()
            .is_some_and(|h| h.ends_with("/accessList/192.168.0.243%2F32"))
    );
    let slash32 = c
        .send(
            "get",
            Method::GET,
            &format!("{list}/203.0.113.7%2F32"),
            Endpoint::Project,
            None,
        )
        .await
        .expect("cidr");
    assert_eq!(slash32["ipAddress"], "203.0.113.7");
    let wide = c
        .send(
            "get",
            Method::GET,
            &format!("{list}/10.1.0.0%2F16"),
            Endpoint::Project,
            None,
        )
        .await
        .expect("wide");
    assert!(wide.get("ipAddress").is_none());

    let status = c
        .send(
            "status",
            Method::GET,
            &format!("{list}/10.1.0.0%2F16/status"),
            Endpoint::Project,
            None,
        )
        .await
        .expect("status");
    assert_eq!(status, json!({"STATUS": "PENDING"}));
    tokio::time::sleep(TRANSITION + Duration::from_millis(50)).await;
    let status = c
        .send(
            "status",
            Method::GET,
            &format!("{list}/10.1.0.0%2F16/status"),
            Endpoint::Project,
            None,
        )
        .await
        .expect("status");
    assert_eq!(status, json!({"STATUS": "ACTIVE"}));

    let in_days = |days: i64| {
        (chrono::Utc::now() + chrono::Duration::days(days))
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    };
    for (bad, code) in [
        (json!([{"cidrBlock": "10.1.2.3/16"}]), "INVALID_ATTRIBUTE"),
        (
            json!([{"ipAddress": "10.0.0.1", "cidrBlock": "10.0.0.1/32"}]),
            "INVALID_ATTRIBUTE",
        ),
        (json!([{"comment": "nothing"}]), "MISSING_ATTRIBUTE"),
        (
            json!([{"ipAddress": "10.0.0.1", "comment": "x".repeat(81)}]),
            "INVALID_ATTRIBUTE",
        ),
        (
            json!([{"ipAddress": "10.0.0.1", "deleteAfterDate": in_days(-1)}]),
            "INVALID_ATTRIBUTE",
        ),
        (
            json!([{"ipAddress": "10.0.0.1", "deleteAfterDate": in_days(8)}]),
            "INVALID_ATTRIBUTE",
        ),
        (
            json!([{"ipAddress": "10.0.0.2"}, {"ipAddress": "not-an-ip"}]),
            "INVALID_ATTRIBUTE",
        ),
        (json!({"ipAddress": "10.0.0.1"}), "INVALID_ATTRIBUTE"),
    ] {
        assert_eq!(
            post(bad.clone()).await.expect_err("refused").code,
            code,
            "{bad}"
        );
    }
    // A refused batch adds nothing.
    let all = c
        .send("list", Method::GET, &list, Endpoint::Project, None)
        .await
        .expect("list");
    assert_eq!(all["totalCount"], 3);

    let soon = (chrono::Utc::now() + chrono::Duration::seconds(2))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let with_expiry = post(json!([{"ipAddress": "10.9.9.9", "deleteAfterDate": soon}]))
        .await
        .expect("temporary");
    assert_eq!(with_expiry["totalCount"], 4);

    let (status, body) = json_of(
        raw(
            &e,
            Method::DELETE,
            &format!("{list}/192.168.0.243%2F32"),
            Some(&media("2023-01-01")),
            None,
            PRIVATE,
        )
        .await,
    )
    .await;
    assert_eq!((status, body), (204, Value::Null));
    let missing = c
        .send(
            "get",
            Method::GET,
            &format!("{list}/192.168.0.243"),
            Endpoint::Project,
            None,
        )
        .await
        .expect_err("deleted");
    assert_eq!(missing.code, "ATLAS_NETWORK_PERMISSION_ENTRY_NOT_FOUND");
    assert_eq!(missing.class, ErrorClass::NotFound);

    tokio::time::sleep(Duration::from_millis(2600)).await;
    let all = c
        .send("list", Method::GET, &list, Endpoint::Project, None)
        .await
        .expect("list");
    assert_eq!(all["totalCount"], 2, "the temporary entry expired: {all}");
    e.stop().await;
}

#[tokio::test]
async fn auditing_is_patched_and_read_back() {
    let e = start(1000).await;
    let c = client(&e, PRIVATE);
    let path = format!("/groups/{GROUP}/auditLog");
    let fresh = c
        .send("get", Method::GET, &path, Endpoint::Project, None)
        .await
        .expect("get");
    assert_eq!(
        fresh,
        json!({"auditAuthorizationSuccess": false, "configurationType": "NONE", "enabled": false})
    );
    let filter = "{\n  \"atype\": \"authenticate\"\n}";
    let body = json!({"enabled": true, "auditFilter": filter});
    let (status, patched) = json_of(
        raw(
            &e,
            Method::PATCH,
            &path,
            Some(&media("2023-01-01")),
            Some(&body),
            PRIVATE,
        )
        .await,
    )
    .await;
    assert_eq!(status, 202);
    assert_eq!(
        patched,
        json!({"auditAuthorizationSuccess": false, "auditFilter": filter, "configurationType": "FILTER_JSON", "enabled": true})
    );
    let bad = c
        .send(
            "patch",
            Method::PATCH,
            &path,
            Endpoint::Project,
            Some(&json!({"auditFilter": "not json"})),
        )
        .await
        .expect_err("not json");
    assert_eq!(bad.code, "INVALID_ATTRIBUTE");
    let read = c
        .send("get", Method::GET, &path, Endpoint::Project, None)
        .await
        .expect("get");
    assert_eq!(read, patched);
    e.stop().await;
}

#[tokio::test]
async fn snapshots_walk_to_completed() {
    let e = start(1000).await;
    let c = client(&e, PRIVATE);
    let clusters = format!("/groups/{GROUP}/clusters");
    for (name, backup) in [("snap", true), ("nobackup", false)] {
        c.send(
            "createCluster",
            Method::POST,
            &clusters,
            Endpoint::ClusterWrite,
            Some(&cluster_body(name, backup)),
        )
        .await
        .expect("create");
    }
    let snapshots = format!("{clusters}/snap/backup/snapshots");
    let take = |path: String| {
        let c = &c;
        async move {
            c.send(
                "takeSnapshot",
                Method::POST,
                &path,
                Endpoint::Project,
                Some(&json!({"description": "before upgrade", "retentionInDays": 3})),
            )
            .await
        }
    };
    assert_eq!(
        take(snapshots.clone()).await.expect_err("creating").code,
        "CLUSTER_NOT_IDLE"
    );
    wait_state(&c, "snap", "IDLE").await;
    wait_state(&c, "nobackup", "IDLE").await;
    assert_eq!(
        take(format!("{clusters}/nobackup/backup/snapshots"))
            .await
            .expect_err("no backup")
            .code,
        "CLOUD_BACKUP_NOT_ENABLED"
    );
    assert_eq!(
        take(format!("{clusters}/nothere/backup/snapshots"))
            .await
            .expect_err("no cluster")
            .code,
        "CLUSTER_NOT_FOUND"
    );

    let queued = take(snapshots.clone()).await.expect("take");
    assert_eq!(queued["status"], "queued");
    assert_eq!(queued["snapshotType"], "onDemand");
    assert_eq!(queued["frequencyType"], "ondemand");
    assert_eq!(queued["description"], "before upgrade");
    assert_eq!(queued["copyRegions"], json!([]));
    assert!(
        queued["replicaSetName"]
            .as_str()
            .is_some_and(|r| r.starts_with("atlas-") && r.ends_with("-shard-0"))
    );
    let id = queued["id"].as_str().expect("id").to_owned();
    assert_eq!(
        take(snapshots.clone())
            .await
            .expect_err("one at a time")
            .code,
        "SNAPSHOT_ALREADY_IN_PROGRESS"
    );

    let mut seen = Vec::new();
    for _ in 0..40 {
        let snapshot = c
            .send(
                "get",
                Method::GET,
                &format!("{snapshots}/{id}"),
                Endpoint::Project,
                None,
            )
            .await
            .expect("get");
        let status = snapshot["status"].as_str().expect("status").to_owned();
        if seen.last() != Some(&status) {
            seen.push(status.clone());
        }
        if status == "completed" {
            assert!(snapshot["createdAt"].is_string() && snapshot["mongodVersion"].is_string());
            break;
        }
        tokio::time::sleep(TRANSITION / 8).await;
    }
    assert_eq!(seen, ["queued", "inProgress", "completed"]);
    let list = c
        .send("list", Method::GET, &snapshots, Endpoint::Project, None)
        .await
        .expect("list");
    assert_eq!(list["totalCount"], 1);

    let deleted = c
        .send(
            "delete",
            Method::DELETE,
            &format!("{snapshots}/{id}"),
            Endpoint::Project,
            None,
        )
        .await
        .expect("delete");
    assert_eq!(deleted, Value::Null);
    let gone = c
        .send(
            "get",
            Method::GET,
            &format!("{snapshots}/{id}"),
            Endpoint::Project,
            None,
        )
        .await
        .expect_err("gone");
    assert_eq!(gone.code, "RESOURCE_NOT_FOUND");
    assert_eq!(gone.class, ErrorClass::NotFound);
    e.stop().await;
}

#[tokio::test]
async fn rate_limits_answer_429_with_retry_after() {
    let e = start(3).await;
    let path = format!("/groups/{GROUP}/auditLog");
    let accept = media("2023-01-01");
    let mut remaining = Vec::new();
    let mut limited = None;
    // A minute boundary may reset the window once; a 429 still comes within twice the limit.
    for _ in 0..8 {
        let response = raw(&e, Method::GET, &path, Some(&accept), None, PRIVATE).await;
        assert_eq!(response.headers()["ratelimit-limit"], "3");
        if response.status() == 429 {
            limited = Some(response);
            break;
        }
        remaining.push(
            response.headers()["ratelimit-remaining"]
                .to_str()
                .expect("ascii")
                .to_owned(),
        );
    }
    let limited = limited.expect("a 429 within twice the limit");
    assert!(
        remaining.ends_with(&["2".to_owned(), "1".to_owned(), "0".to_owned()]),
        "{remaining:?}"
    );
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry_after));
    let (_, body) = json_of(limited).await;
    assert_eq!(body["errorCode"], "RATE_LIMITED");
    assert_eq!(body["error"], 429);
    e.stop().await;

    // A forced storm: the next two requests of the project are refused, then it recovers.
    let e = start(1000).await;
    let c = client(&e, PRIVATE);
    admin_post(
        &e,
        &format!("groups/{GROUP}/throttle"),
        json!({"count": 2, "retryAfter": 7}),
    )
    .await;
    for _ in 0..2 {
        let error = c
            .send("get", Method::GET, &path, Endpoint::Project, None)
            .await
            .expect_err("throttled");
        assert_eq!(error.code, "RATE_LIMITED");
        assert_eq!(
            error.class,
            ErrorClass::Throttled {
                retry_after: Some(Duration::from_secs(7))
            }
        );
    }
    c.send("get", Method::GET, &path, Endpoint::Project, None)
        .await
        .expect("recovered");
    // Another project is not affected.
    c.send(
        "get",
        Method::GET,
        "/groups/aaaaaaaaaaaaaaaaaaaaaaaa/auditLog",
        Endpoint::Project,
        None,
    )
    .await
    .expect("other project");
    e.stop().await;
}

#[tokio::test]
async fn admin_edits_clusters_out_of_band_and_reset_forgets_atlas() {
    let e = start(1000).await;
    let c = client(&e, PRIVATE);
    c.send(
        "createCluster",
        Method::POST,
        &format!("/groups/{GROUP}/clusters"),
        Endpoint::ClusterWrite,
        Some(&cluster_body("drift", false)),
    )
    .await
    .expect("create");
    admin_post(
        &e,
        &format!("groups/{GROUP}/clusters/drift"),
        json!({"stateName": "IDLE", "instanceSize": "M30", "diskSizeGB": 80, "tags": []}),
    )
    .await;
    let cluster = get_cluster(&c, "drift").await.expect("get");
    assert_eq!(cluster["stateName"], "IDLE");
    assert!(cluster["connectionStrings"]["standardSrv"].is_string());
    assert_eq!(
        cluster["replicationSpecs"][0]["regionConfigs"][0]["electableSpecs"]["instanceSize"],
        "M30"
    );
    assert_eq!(
        cluster["replicationSpecs"][0]["regionConfigs"][0]["electableSpecs"]["diskSizeGB"],
        80
    );
    assert_eq!(cluster["tags"], json!([]));
    let state = admin(&e, "state").await;
    assert!(
        state["projects"][GROUP]["clusters"]["drift"].is_object(),
        "{state}"
    );

    let reset = reqwest::Client::new()
        .post(format!("{}/_emulator/reset", e.url()))
        .send()
        .await
        .expect("reset");
    assert!(reset.status().is_success());
    assert_eq!(admin(&e, "state").await, json!({"projects": {}}));
    assert_eq!(
        get_cluster(&c, "drift").await.expect_err("forgotten").code,
        "CLUSTER_NOT_FOUND"
    );
    e.stop().await;
}

fn service_account(e: &Running, secret: &str) -> AtlasClient {
    AtlasClient::with_service_account(
        Some(&format!("{}/api/atlas/v2", e.url())),
        "mdb_sa_id_emulator".to_owned(),
        Redacted(secret.to_owned()),
        mongocloud_operator::cloud::atlas::client::TIMEOUT,
    )
    .expect("client")
}

async fn atlas_calls(e: &Running, operation: &str) -> u64 {
    let calls: Value = reqwest::get(format!("{}/_emulator/atlas/calls", e.url()))
        .await
        .expect("calls")
        .json()
        .await
        .expect("json");
    calls["operations"][operation].as_u64().unwrap_or(0)
}

#[tokio::test]
async fn a_service_account_mints_one_token_for_many_calls() {
    let e = start(1000).await;
    let c = service_account(&e, "mdb_sa_sk_emulator");
    for _ in 0..12 {
        c.send(
            "listClusters",
            Method::GET,
            &format!("/groups/{GROUP}/clusters"),
            Endpoint::ClusterRead,
            None,
        )
        .await
        .expect("bearer call");
    }
    assert_eq!(atlas_calls(&e, "createAccessToken").await, 1);
    assert_eq!(atlas_calls(&e, "listClusters").await, 12);

    let refused = service_account(&e, "wrong")
        .send(
            "listClusters",
            Method::GET,
            &format!("/groups/{GROUP}/clusters"),
            Endpoint::ClusterRead,
            None,
        )
        .await
        .expect_err("refused");
    assert_eq!(refused.class, ErrorClass::Terminal);
    assert_eq!(refused.code, "InvalidClientCredentials");
    assert!(!refused.to_string().contains("wrong"), "{refused}");
    e.stop().await;
}

#[tokio::test]
async fn the_token_endpoint_allows_ten_mints_a_minute() {
    let e = start(1000).await;
    let mut answers = Vec::new();
    for _ in 0..11 {
        let c = service_account(&e, "mdb_sa_sk_emulator");
        answers.push(
            c.send(
                "listClusters",
                Method::GET,
                &format!("/groups/{GROUP}/clusters"),
                Endpoint::ClusterRead,
                None,
            )
            .await,
        );
    }
    assert!(answers[..10].iter().all(Result::is_ok));
    let throttled = answers[10].as_ref().expect_err("eleventh mint refused");
    assert!(
        matches!(
            throttled.class,
            ErrorClass::Throttled {
                retry_after: Some(_)
            }
        ),
        "{throttled:?}"
    );
    e.stop().await;
}
