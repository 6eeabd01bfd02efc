use chrono::TimeZone;

use super::*;

fn spec(entries: serde_json::Value) -> SecurityIpListSpec {
    serde_json::from_value(serde_json::json!({
        "forProvider": {"dbInstanceId": "dds-abcd1234", "groupName": "app", "entries": entries}
    }))
    .expect("spec")
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0)
        .single()
        .expect("time")
}

fn group(name: &str, ips: &[&str]) -> SecurityIpGroup {
    SecurityIpGroup {
        name: name.into(),
        attribute: None,
        ips: ips.iter().map(|s| s.to_string()).collect(),
        expires: Default::default(),
    }
}

fn want(entries: serde_json::Value) -> DesiredList {
    validate(&spec(entries), "x").expect("valid")
}

#[test]
fn normalisation_rules() {
    let cases = [
        ("10.0.0.1", Some("10.0.0.1")),
        ("10.0.0.1/32", Some("10.0.0.1")),
        ("10.0.0.7/24", Some("10.0.0.0/24")),
        ("2001:DB8::1/128", Some("2001:db8::1")),
        ("2001:db8:0:0::/32", Some("2001:db8::/32")),
        ("0.0.0.0/0", Some("0.0.0.0/0")),
        ("10.0.0.1/33", None),
        ("not-an-ip", None),
    ];
    for (input, expected) in cases {
        assert_eq!(normalize(input).as_deref(), expected, "input {input}");
    }
}

#[test]
fn validation_rules() {
    let cases: Vec<(&str, serde_json::Value, bool, Option<&str>)> = vec![
        (
            "plain list is valid",
            serde_json::json!([{"ip": "10.0.0.1"}, {"ip": "2001:db8::/32"}]),
            false,
            None,
        ),
        (
            "host and /32 are duplicates",
            serde_json::json!([{"ip": "10.0.0.1"}, {"ip": "10.0.0.1/32"}]),
            false,
            Some("spec.forProvider.entries[1].ip"),
        ),
        (
            "public v4 refused",
            serde_json::json!([{"ip": "0.0.0.0/0"}]),
            false,
            Some("spec.forProvider.entries[0].ip"),
        ),
        (
            "public v6 refused",
            serde_json::json!([{"ip": "10.0.0.1"}, {"ip": "::/0"}]),
            false,
            Some("spec.forProvider.entries[1].ip"),
        ),
        (
            "public allowed when asked",
            serde_json::json!([{"ip": "0.0.0.0/0"}]),
            true,
            None,
        ),
        (
            "bad prefix refused",
            serde_json::json!([{"ip": "10.0.0.0/33"}]),
            false,
            Some("spec.forProvider.entries[0].ip"),
        ),
        (
            "bad expiry refused",
            serde_json::json!([{"ip": "10.0.0.1", "expiresAt": "tomorrow"}]),
            false,
            Some("spec.forProvider.entries[0].expiresAt"),
        ),
    ];
    for (name, entries, allow, field) in cases {
        let mut s = spec(entries);
        s.for_provider.allow_public_access = allow;
        assert_eq!(
            validate(&s, "x").err().map(|i| i.field).as_deref(),
            field,
            "case {name}"
        );
    }
    let over: Vec<serde_json::Value> = (0..1001)
        .map(|i| serde_json::json!({"ip": format!("10.{}.{}.1", i / 250, i % 250)}))
        .collect();
    assert_eq!(
        validate(&spec(serde_json::json!(over)), "x")
            .err()
            .map(|i| i.field)
            .as_deref(),
        Some("spec.forProvider.entries")
    );
    let mut default_group = spec(serde_json::json!([{"ip": "10.0.0.1"}]));
    default_group.for_provider.group_name = Some("default".into());
    assert_eq!(
        validate(&default_group, "x")
            .err()
            .map(|i| i.field)
            .as_deref(),
        Some("spec.forProvider.groupName")
    );
}

#[test]
fn default_group_names_follow_the_cloud_rules() {
    assert_eq!(default_group_name("orders-app"), "orders_app");
    assert_eq!(default_group_name("9lives"), "k8s_9lives");
    assert_eq!(default_group_name("a-"), "a_list");
    assert!(default_group_name(&"x".repeat(300)).len() <= 120);
}

#[test]
fn plan_rules() {
    let list = want(serde_json::json!([{"ip": "10.0.0.1"}, {"ip": "10.0.1.0/24"}]));
    let cover = |ips: &[&str]| Step::Cover(group("app", ips));
    let cases: Vec<(&str, DesiredList, Vec<SecurityIpGroup>, Mode, Step)> = vec![
        (
            "missing group is written",
            list.clone(),
            vec![group("default", &["1.1.1.1"])],
            Mode::Active,
            cover(&["10.0.0.1", "10.0.1.0/24"]),
        ),
        (
            "same set in another order writes nothing",
            list.clone(),
            vec![group("app", &["10.0.1.0/24", "10.0.0.1/32"])],
            Mode::Active,
            Step::Steady,
        ),
        (
            "changed set is covered",
            list.clone(),
            vec![group("app", &["10.0.0.1"])],
            Mode::Active,
            cover(&["10.0.0.1", "10.0.1.0/24"]),
        ),
        (
            "blocked writes nothing",
            list.clone(),
            vec![],
            Mode::Blocked,
            Step::Steady,
        ),
        (
            "all expired removes the group",
            want(serde_json::json!([{"ip": "10.0.0.1", "expiresAt": "2026-06-01T11:00:00Z"}])),
            vec![group("app", &["10.0.0.1"])],
            Mode::Active,
            Step::DeleteGroup("app".into()),
        ),
        (
            "expired entry is dropped",
            want(
                serde_json::json!([{"ip": "10.0.0.1"}, {"ip": "10.0.0.2", "expiresAt": "2026-06-01T11:59:59Z"}]),
            ),
            vec![group("app", &["10.0.0.1", "10.0.0.2"])],
            Mode::Active,
            cover(&["10.0.0.1"]),
        ),
    ];
    for (name, want, groups, mode, expected) in cases {
        assert_eq!(plan(&want, &groups, now(), mode), expected, "case {name}");
    }
    let crowded = group("default", &vec!["10.9.9.9"; 999]);
    assert!(
        matches!(plan(&list, &[crowded], now(), Mode::Active), Step::Reject(i) if i.field == "spec.forProvider.entries")
    );
}

#[test]
fn next_expiry_is_the_earliest_future_one() {
    let list = want(serde_json::json!([
        {"ip": "10.0.0.1", "expiresAt": "2026-06-01T13:00:00Z"},
        {"ip": "10.0.0.2", "expiresAt": "2026-06-01T12:30:00Z"},
        {"ip": "10.0.0.3", "expiresAt": "2026-06-01T11:00:00Z"}
    ]));
    assert_eq!(
        list.next_expiry(now()),
        Some(
            Utc.with_ymd_and_hms(2026, 6, 1, 12, 30, 0)
                .single()
                .expect("t")
        )
    );
}
