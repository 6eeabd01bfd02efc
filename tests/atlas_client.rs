//! The Atlas client against a small Digest server on loopback that answers as the recorded
//! Atlas does: nothing with a body is sent unauthenticated, nonces are reused and renewed,
//! versioned media types are sent, and errors come back classified.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use mongocloud_operator::cloud::ErrorClass;
use mongocloud_operator::cloud::atlas::client::AtlasClient;
use mongocloud_operator::cloud::atlas::digest::{self, Challenge};
use mongocloud_operator::cloud::atlas::versions::Endpoint;
use mongocloud_operator::cloud::error::Redacted;
use serde_json::json;

const PUBLIC: &str = "pubkey";
const PRIVATE: &str = "privkey";
const GROUP: &str = "0123456789abcdef01234567";

#[derive(Default)]
struct Seen {
    nonce: u32,
    uses: u32,
    challenges: u32,
    unauthenticated_bodies: u32,
    accepted: Vec<String>,
}

type Shared = Arc<Mutex<Seen>>;

fn challenge(seen: &mut Seen, stale: bool) -> Response {
    seen.nonce += 1;
    seen.uses = 0;
    seen.challenges += 1;
    let header = format!(
        "Digest realm=\"MMS Public API\", domain=\"\", nonce=\"nonce{}\", algorithm=MD5, qop=\"auth\", stale={stale}",
        seen.nonce
    );
    let body = json!({"error": 401, "reason": "Unauthorized", "detail": "You are not authorized for this resource.", "errorCode": "UNEXPECTED_ERROR"});
    (
        StatusCode::UNAUTHORIZED,
        [
            ("www-authenticate", header),
            ("content-type", "application/json".into()),
        ],
        body.to_string(),
    )
        .into_response()
}

fn field<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(", ").find_map(|part| {
        let (k, v) = part.trim_start_matches("Digest ").split_once('=')?;
        (k == name).then(|| v.trim_matches('"'))
    })
}

async fn serve(
    State(shared): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut seen = shared.lock().expect("lock");
    let Some(auth) = headers.get("authorization").and_then(|v| v.to_str().ok()) else {
        if !body.is_empty() {
            seen.unauthenticated_bodies += 1;
        }
        return challenge(&mut seen, false);
    };
    let nonce = format!("nonce{}", seen.nonce);
    if field(auth, "nonce") != Some(nonce.as_str()) || seen.uses >= 3 {
        // Atlas nonces are short-lived: this one is used up.
        return challenge(&mut seen, true);
    }
    let nc = field(auth, "nc")
        .and_then(|n| u32::from_str_radix(n, 16).ok())
        .unwrap_or(0);
    let expected = digest::response(
        &Challenge {
            realm: "MMS Public API".into(),
            nonce,
            opaque: None,
            stale: false,
        },
        field(auth, "username").unwrap_or_default(),
        PRIVATE,
        method.as_str(),
        field(auth, "uri").unwrap_or_default(),
        nc,
        field(auth, "cnonce").unwrap_or_default(),
    );
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or_default();
    if field(auth, "response") != Some(expected.as_str()) || field(auth, "uri") != Some(path) {
        let body = json!({"error": 401, "reason": "Unauthorized", "detail": "You are not authorized for this resource.", "errorCode": "UNEXPECTED_ERROR"});
        return (StatusCode::UNAUTHORIZED, body.to_string()).into_response();
    }
    seen.uses += 1;
    let accept = headers
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !accept.starts_with("application/vnd.atlas.20") {
        let body = json!({"detail": "Invalid accept header or version date.", "error": 406, "errorCode": "INVALID_VERSION_DATE", "parameters": [], "reason": "Not Acceptable"});
        return (StatusCode::NOT_ACCEPTABLE, body.to_string()).into_response();
    }
    seen.accepted.push(format!("{method} {path} {accept}"));
    match (method.as_str(), uri.path()) {
        ("POST", p) if p.ends_with("/accessList") => (
            StatusCode::CREATED,
            format!(
                "{{\"results\": {}, \"totalCount\": 1}}",
                String::from_utf8_lossy(&body)
            ),
        )
            .into_response(),
        ("GET", p) if p.ends_with("/clusters/missing") => {
            let body = json!({"detail": "No cluster named missing exists in group G.", "error": 404, "errorCode": "CLUSTER_NOT_FOUND", "parameters": ["missing", GROUP], "reason": "Not Found"});
            (StatusCode::NOT_FOUND, body.to_string()).into_response()
        }
        ("GET", p) if p.ends_with("/clusters/busy") => {
            let body = json!({"detail": "Rate limit exceeded.", "error": 429, "errorCode": "RATE_LIMITED", "parameters": [], "reason": "Too Many Requests"});
            (
                StatusCode::TOO_MANY_REQUESTS,
                [("retry-after", "7")],
                body.to_string(),
            )
                .into_response()
        }
        ("DELETE", _) => StatusCode::NO_CONTENT.into_response(),
        _ => (StatusCode::OK, json!({"stateName": "IDLE"}).to_string()).into_response(),
    }
}

async fn server() -> (String, Shared, tokio::task::JoinHandle<()>) {
    let shared: Shared = Arc::default();
    let app = Router::new().fallback(serve).with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/api/atlas/v2"), shared, task)
}

fn client(base: &str, private: &str) -> AtlasClient {
    AtlasClient::new(Some(base), PUBLIC.into(), Redacted(private.into())).expect("client")
}

#[tokio::test]
async fn bodies_go_out_only_authenticated_and_nonces_are_reused_then_renewed() {
    let (base, seen, task) = server().await;
    let atlas = client(&base, PRIVATE);
    let path = format!("/groups/{GROUP}/accessList");
    for i in 0..7 {
        let entry = json!([{"cidrBlock": format!("10.0.0.{i}/32")}]);
        let answer = atlas
            .send(
                "CreateAccessListEntries",
                reqwest::Method::POST,
                &path,
                Endpoint::Project,
                Some(&entry),
            )
            .await
            .expect("accepted");
        assert_eq!(answer["totalCount"], 1);
    }
    atlas
        .send(
            "DeleteAccessListEntry",
            reqwest::Method::DELETE,
            &format!("{path}/10.0.0.1%2F32"),
            Endpoint::Project,
            None,
        )
        .await
        .expect("deleted");
    let cluster = atlas
        .send(
            "GetCluster",
            reqwest::Method::GET,
            &format!("/groups/{GROUP}/clusters/c1?pretty=false"),
            Endpoint::ClusterRead,
            None,
        )
        .await
        .expect("cluster");
    assert_eq!(cluster["stateName"], "IDLE");
    task.abort();
    let seen = seen.lock().expect("lock");
    assert_eq!(
        seen.unauthenticated_bodies, 0,
        "a body never went out without Digest"
    );
    assert_eq!(seen.accepted.len(), 9);
    // 1 initial challenge, then a renewal after every 3 uses: 9 calls need 3 nonces.
    assert_eq!(
        seen.challenges, 3,
        "nonces are reused, not fetched per call"
    );
    assert!(seen.accepted[0].ends_with("application/vnd.atlas.2023-01-01+json"));
    assert!(seen.accepted[8].contains("?pretty=false application/vnd.atlas.2024-08-05+json"));
}

#[tokio::test]
async fn errors_come_back_classified() {
    let (base, _seen, task) = server().await;
    let atlas = client(&base, PRIVATE);
    let missing = atlas
        .send(
            "GetCluster",
            reqwest::Method::GET,
            &format!("/groups/{GROUP}/clusters/missing"),
            Endpoint::ClusterRead,
            None,
        )
        .await
        .expect_err("404");
    assert_eq!(
        (missing.class, missing.code.as_str()),
        (ErrorClass::NotFound, "CLUSTER_NOT_FOUND")
    );
    let busy = atlas
        .send(
            "GetCluster",
            reqwest::Method::GET,
            &format!("/groups/{GROUP}/clusters/busy"),
            Endpoint::ClusterRead,
            None,
        )
        .await
        .expect_err("429");
    assert_eq!(
        busy.class,
        ErrorClass::Throttled {
            retry_after: Some(Duration::from_secs(7))
        }
    );

    let wrong = client(&base, "not-the-key")
        .send(
            "GetCluster",
            reqwest::Method::GET,
            &format!("/groups/{GROUP}/clusters/c1"),
            Endpoint::ClusterRead,
            None,
        )
        .await
        .expect_err("wrong key");
    assert_eq!(
        (wrong.class, wrong.code.as_str()),
        (ErrorClass::Terminal, "UNEXPECTED_ERROR")
    );
    assert!(
        !format!("{wrong:?} {wrong}").contains("not-the-key"),
        "the key never appears"
    );
    task.abort();
}
