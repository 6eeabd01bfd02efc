use super::*;
use crate::api::databaseuser::DatabaseUserSpec;

fn spec(for_provider: serde_json::Value) -> DatabaseUserSpec {
    let mut base = serde_json::json!({
        "dbInstanceRef": {"name": "orders"}, "username": "app",
        "passwordSecretRef": {"name": "app-pw", "key": "password"},
        "roles": [{"roleName": "readWrite", "databaseName": "shop"}]
    });
    if let (Some(base), Some(extra)) = (base.as_object_mut(), for_provider.as_object()) {
        base.extend(extra.clone());
    }
    serde_json::from_value(serde_json::json!({"forProvider": base})).expect("spec")
}

fn refused(result: Result<(), Invalid>) -> Option<String> {
    result.err().map(|invalid| invalid.field)
}

/// The cloud's password rules, checked before any call; a refusal never shows the value.
#[test]
fn password_rules() {
    let cases = [
        ("three classes pass", "Abcdefg1", true),
        ("four classes pass", "Abc-def1", true),
        ("lower, digit and special pass", "abc#def1", true),
        ("seven characters are too short", "Abcde1!", false),
        (
            "thirty-three characters are too long",
            "Abcdefghij1234567890abcdefghij12#",
            false,
        ),
        (
            "thirty-two characters pass",
            "Abcdefghij1234567890abcdefghij12",
            true,
        ),
        ("two classes are too few", "abcdefgh1", false),
        ("a special outside the set is refused", "Abcdefg1@", false),
        ("a space is refused", "Abc defg1", false),
        ("non-ASCII letters are refused", "Abcdéfg1", false),
    ];
    for (name, password, ok) in cases {
        let problem = aliyun_password_problem(password);
        assert_eq!(problem.is_none(), ok, "case: {name}: {problem:?}");
        if let Some(why) = problem {
            assert!(
                !why.contains(password),
                "case: {name}: message shows the value"
            );
        }
    }
    assert!(atlas_password_problem("short").is_some());
    assert!(atlas_password_problem("long enough").is_none());
}

#[test]
fn a_refused_password_names_the_secret_key_but_not_the_value() {
    let invalid =
        check_password(Cloud::Aliyun, "app-pw", "password", "weakpass").expect_err("weak");
    assert_eq!(invalid.field, "spec.forProvider.passwordSecretRef");
    assert!(
        invalid.message.contains("\"password\""),
        "{}",
        invalid.message
    );
    assert!(invalid.message.contains("app-pw"), "{}", invalid.message);
    assert!(!invalid.message.contains("weakpass"), "{}", invalid.message);
    assert_eq!(
        check_password(Cloud::Atlas, "app-pw", "password", "weakpass"),
        Ok(())
    );
}

/// Atlas built-in roles: which database each may be granted on and whether it takes a collection.
#[test]
fn roles_mapping() {
    let role = |name: &str, db: &str, collection: Option<&str>| UserRole {
        role_name: name.to_owned(),
        database_name: db.to_owned(),
        collection_name: collection.map(str::to_owned),
    };
    let cases = [
        (
            "readWrite on a database",
            role("readWrite", "shop", None),
            true,
        ),
        (
            "read on one collection",
            role("read", "shop", Some("orders")),
            true,
        ),
        ("dbAdmin on a database", role("dbAdmin", "shop", None), true),
        (
            "dbAdmin takes no collection",
            role("dbAdmin", "shop", Some("orders")),
            false,
        ),
        (
            "atlasAdmin on admin",
            role("atlasAdmin", "admin", None),
            true,
        ),
        (
            "readWriteAnyDatabase only on admin",
            role("readWriteAnyDatabase", "shop", None),
            false,
        ),
        (
            "clusterMonitor takes no collection",
            role("clusterMonitor", "admin", Some("x")),
            false,
        ),
        (
            "unknown roles are refused",
            role("root", "admin", None),
            false,
        ),
    ];
    for (name, role, ok) in cases {
        assert_eq!(atlas_role_problem(&role).is_none(), ok, "case: {name}");
    }
}

#[test]
fn settings_are_sorted_and_an_empty_collection_is_none() {
    let s = spec(serde_json::json!({"roles": [
        {"roleName": "readWrite", "databaseName": "b"},
        {"roleName": "read", "databaseName": "a", "collectionName": ""}
    ], "scopes": [{"name": "z"}, {"name": "a", "type": "CLUSTER"}]}));
    let settings = settings(&s.for_provider);
    assert_eq!(settings.roles[0].database_name, "a");
    assert_eq!(settings.roles[0].collection_name, None);
    assert_eq!(settings.scopes[0].name, "a");
    assert_eq!(settings.scopes[1].type_, "CLUSTER");
}

/// Fields each cloud refuses, by name, before any call.
#[test]
fn refused_fields_per_cloud() {
    let root = || serde_json::json!({"username": "root", "roles": []});
    let with = |extra: serde_json::Value| {
        let mut v = root();
        if let (Some(v), Some(extra)) = (v.as_object_mut(), extra.as_object()) {
            v.extend(extra.clone());
        }
        v
    };
    let cases = [
        ("aliyun root passes", Cloud::Aliyun, root(), None),
        (
            "aliyun refuses other users",
            Cloud::Aliyun,
            serde_json::json!({"roles": []}),
            Some("spec.forProvider.username"),
        ),
        (
            "aliyun refuses roles",
            Cloud::Aliyun,
            with(serde_json::json!({"roles": [{"roleName": "read", "databaseName": "a"}]})),
            Some("spec.forProvider.roles"),
        ),
        (
            "aliyun refuses scopes",
            Cloud::Aliyun,
            with(serde_json::json!({"scopes": [{"name": "c"}]})),
            Some("spec.forProvider.scopes"),
        ),
        (
            "atlas user with a role passes",
            Cloud::Atlas,
            serde_json::json!({}),
            None,
        ),
        (
            "atlas needs a role",
            Cloud::Atlas,
            serde_json::json!({"roles": []}),
            Some("spec.forProvider.roles"),
        ),
        (
            "atlas refuses a misplaced role",
            Cloud::Atlas,
            serde_json::json!({"roles": [{"roleName": "atlasAdmin", "databaseName": "shop"}]}),
            Some("spec.forProvider.roles[0]"),
        ),
        (
            "atlas refuses an unknown scope type",
            Cloud::Atlas,
            serde_json::json!({"scopes": [{"name": "c", "type": "LAKE"}]}),
            Some("spec.forProvider.scopes"),
        ),
        (
            "atlas refuses a long description",
            Cloud::Atlas,
            serde_json::json!({"description": "x".repeat(101)}),
            Some("spec.forProvider.description"),
        ),
        (
            "atlas names clusters through dbInstanceRef",
            Cloud::Atlas,
            serde_json::json!({"dbInstanceRef": null, "dbInstanceId": "dds-bp1234567890"}),
            Some("spec.forProvider.dbInstanceId"),
        ),
    ];
    for (name, cloud, fields, field) in cases {
        assert_eq!(
            refused(validate_for(&spec(fields), cloud)).as_deref(),
            field,
            "case: {name}"
        );
    }
}

/// Spec checks every cloud shares: SCRAM on admin only, each other auth kind refused by name.
#[test]
fn refused_auth_kinds() {
    let cases = [
        ("plain SCRAM passes", serde_json::json!({}), None),
        (
            "admin stated passes",
            serde_json::json!({"databaseName": "admin"}),
            None,
        ),
        (
            "NONE auth types pass",
            serde_json::json!({"x509Type": "NONE", "awsIAMType": "NONE"}),
            None,
        ),
        (
            "$external is refused",
            serde_json::json!({"databaseName": "$external"}),
            Some("spec.forProvider.databaseName"),
        ),
        (
            "X.509 is refused",
            serde_json::json!({"x509Type": "MANAGED"}),
            Some("spec.forProvider.x509Type"),
        ),
        (
            "LDAP is refused",
            serde_json::json!({"ldapAuthType": "USER"}),
            Some("spec.forProvider.ldapAuthType"),
        ),
        (
            "OIDC is refused",
            serde_json::json!({"oidcAuthType": "IDP_GROUP"}),
            Some("spec.forProvider.oidcAuthType"),
        ),
        (
            "AWS IAM is refused",
            serde_json::json!({"awsIAMType": "ROLE"}),
            Some("spec.forProvider.awsIAMType"),
        ),
        (
            "a duplicated role is refused",
            serde_json::json!({"roles": [{"roleName": "read", "databaseName": "a"}, {"roleName": "read", "databaseName": "a"}]}),
            Some("spec.forProvider.roles"),
        ),
        (
            "both targets are refused",
            serde_json::json!({"dbInstanceId": "dds-bp1234567890"}),
            Some("spec.forProvider"),
        ),
    ];
    for (name, fields, field) in cases {
        assert_eq!(
            refused(validate(&spec(fields))).as_deref(),
            field,
            "case: {name}"
        );
    }
}

fn user(roles: &[(&str, &str)]) -> DbUser {
    DbUser {
        username: "app".to_owned(),
        database_name: Some("admin".to_owned()),
        roles: roles
            .iter()
            .map(|(r, d)| UserRole {
                role_name: (*r).to_owned(),
                database_name: (*d).to_owned(),
                collection_name: None,
            })
            .collect(),
        ..DbUser::default()
    }
}

/// A user carrying `rev` in our label, beside a label of someone else.
fn labelled(roles: &[(&str, &str)], rev: &str) -> DbUser {
    DbUser {
        labels: vec![
            UserLabel {
                key: "team".to_owned(),
                value: "orders".to_owned(),
            },
            UserLabel {
                key: PASSWORD_REV_LABEL.to_owned(),
                value: rev.to_owned(),
            },
        ],
        ..user(roles)
    }
}

/// A pending record with the revision its call carried.
fn marked<'a>(current: &'a str, applied: Option<&'a str>, rev: &'a str) -> Passwords<'a> {
    Passwords {
        current,
        applied,
        pending: Some(current),
        pending_rev: Some(rev),
    }
}

/// One step per reconcile: create, settings, then the password once per new value. On Atlas a
/// pending call is settled by the label it carried: on the user means applied (no call),
/// missing means never applied (one call). Aliyun cannot tell and sends it once more.
#[test]
fn rotation_planning() {
    let want = settings(&spec(serde_json::json!({})).for_provider);
    let ok = user(&[("readWrite", "shop")]);
    let stale = user(&[("read", "shop")]);
    let ok_r1 = labelled(&[("readWrite", "shop")], "r1");
    let ok_r0 = labelled(&[("readWrite", "shop")], "r0");
    let stale_r1 = labelled(&[("read", "shop")], "r1");
    let pw = |current, applied, pending| Passwords {
        current,
        applied,
        pending,
        pending_rev: None,
    };
    use Mode::{Active, Blocked, Paused};
    let cases = [
        (
            "absent Atlas user is created",
            None,
            pw("b", None, None),
            Cloud::Atlas,
            Active,
            Step::Create,
        ),
        (
            "absent Aliyun root cannot be created",
            None,
            pw("b", None, None),
            Cloud::Aliyun,
            Active,
            Step::Missing,
        ),
        (
            "changed roles are one settings call",
            Some(&stale),
            pw("b", Some("b"), None),
            Cloud::Atlas,
            Active,
            Step::UpdateSettings,
        ),
        (
            "settings go before the password",
            Some(&stale),
            pw("b", Some("a"), None),
            Cloud::Atlas,
            Active,
            Step::UpdateSettings,
        ),
        (
            "applied password makes no call",
            Some(&ok),
            pw("b", Some("b"), None),
            Cloud::Atlas,
            Active,
            Step::Steady,
        ),
        (
            "a new value is set once",
            Some(&ok),
            pw("b", Some("a"), None),
            Cloud::Atlas,
            Active,
            Step::SetPassword { resend: false },
        ),
        (
            "a never-set password is set",
            Some(&ok),
            pw("b", None, None),
            Cloud::Aliyun,
            Active,
            Step::SetPassword { resend: false },
        ),
        (
            "atlas: pending, its label on the user: applied, recorded without a call",
            Some(&ok_r1),
            marked("b", Some("a"), "r1"),
            Cloud::Atlas,
            Active,
            Step::ConfirmPassword,
        ),
        (
            "atlas: pending on a new user, its label there: the create was applied",
            Some(&ok_r1),
            marked("b", None, "r1"),
            Cloud::Atlas,
            Active,
            Step::ConfirmPassword,
        ),
        (
            "atlas: pending, another revision on the user: never applied, sent once",
            Some(&ok_r0),
            marked("b", Some("a"), "r1"),
            Cloud::Atlas,
            Active,
            Step::SetPassword { resend: false },
        ),
        (
            "atlas: pending, no label on the user: never applied, sent once",
            Some(&ok),
            marked("b", Some("a"), "r1"),
            Cloud::Atlas,
            Active,
            Step::SetPassword { resend: false },
        ),
        (
            "atlas: an applied call is recorded before a settings change",
            Some(&stale_r1),
            marked("b", Some("a"), "r1"),
            Cloud::Atlas,
            Active,
            Step::ConfirmPassword,
        ),
        (
            "atlas: the label of an older value's call confirms nothing",
            Some(&ok_r1),
            Passwords {
                current: "c",
                ..marked("b", Some("a"), "r1")
            },
            Cloud::Atlas,
            Active,
            Step::SetPassword { resend: false },
        ),
        (
            "atlas: the label stays after the record; the applied value makes no call",
            Some(&ok_r1),
            pw("b", Some("b"), None),
            Cloud::Atlas,
            Active,
            Step::Steady,
        ),
        (
            "atlas: a pending record without a revision (older operator) is re-sent",
            Some(&ok),
            pw("b", Some("a"), Some("b")),
            Cloud::Atlas,
            Active,
            Step::SetPassword { resend: true },
        ),
        (
            "paused still records an applied call (no cloud write)",
            Some(&ok_r1),
            marked("b", Some("a"), "r1"),
            Cloud::Atlas,
            Paused,
            Step::ConfirmPassword,
        ),
        (
            "aliyun: a crash after the marker re-sends the same value",
            Some(&ok),
            pw("b", Some("a"), Some("b")),
            Cloud::Aliyun,
            Active,
            Step::SetPassword { resend: true },
        ),
        (
            "aliyun: a revision proves nothing (accounts carry no labels)",
            Some(&ok),
            marked("b", Some("a"), "r1"),
            Cloud::Aliyun,
            Active,
            Step::SetPassword { resend: true },
        ),
        (
            "a marker of an older value is not a resend",
            Some(&ok),
            pw("c", Some("a"), Some("b")),
            Cloud::Atlas,
            Active,
            Step::SetPassword { resend: false },
        ),
        (
            "a value rotated back to the applied one makes no call",
            Some(&ok),
            pw("a", Some("a"), Some("b")),
            Cloud::Atlas,
            Active,
            Step::Steady,
        ),
        (
            "paused plans the password (the gate withholds it)",
            Some(&ok),
            pw("b", Some("a"), None),
            Cloud::Atlas,
            Paused,
            Step::SetPassword { resend: false },
        ),
        (
            "blocked writes nothing",
            None,
            pw("b", None, None),
            Cloud::Atlas,
            Blocked,
            Step::Steady,
        ),
    ];
    for (name, seen, passwords, cloud, mode, expected) in cases {
        assert_eq!(
            plan(&want, seen, passwords, cloud, mode),
            expected,
            "case: {name}"
        );
    }
}

/// Applying each planned step to the observation reaches a steady plan within a few rounds.
#[test]
fn rotation_converges() {
    let want = settings(&spec(serde_json::json!({})).for_provider);
    let mut seen: Option<DbUser> = None;
    let (mut applied, mut pending): (Option<&str>, Option<&str>) = (None, None);
    for round in 0..4 {
        let passwords = Passwords {
            current: "d1",
            applied,
            pending,
            pending_rev: None,
        };
        match plan(&want, seen.as_ref(), passwords, Cloud::Atlas, Mode::Active) {
            Step::Steady => return,
            Step::Create => {
                seen = Some(user(&[("readWrite", "shop")]));
                (pending, applied) = (Some("d1"), Some("d1"));
            }
            Step::UpdateSettings => seen = Some(user(&[("readWrite", "shop")])),
            Step::SetPassword { .. } | Step::ConfirmPassword => {
                (pending, applied) = (Some("d1"), Some("d1"));
            }
            Step::Missing => panic!("round {round}: Atlas users can be created"),
        }
    }
    panic!("no steady plan after 4 rounds");
}

/// The revision is kept while the pending record is for this value (a late copy of the first
/// call then carries the same label), fresh otherwise, and never sent where no label is kept.
#[test]
fn revision_to_send() {
    let cases = [
        (
            "no record takes the fresh one",
            Passwords {
                current: "b",
                applied: Some("a"),
                pending: None,
                pending_rev: None,
            },
            Cloud::Atlas,
            Some("new"),
        ),
        (
            "a record of this value keeps its revision",
            marked("b", Some("a"), "r1"),
            Cloud::Atlas,
            Some("r1"),
        ),
        (
            "a record of another value takes the fresh one",
            Passwords {
                current: "c",
                ..marked("b", Some("a"), "r1")
            },
            Cloud::Atlas,
            Some("new"),
        ),
        (
            "a record without revision takes the fresh one",
            Passwords {
                current: "b",
                applied: None,
                pending: Some("b"),
                pending_rev: None,
            },
            Cloud::Atlas,
            Some("new"),
        ),
        (
            "aliyun sends none",
            marked("b", Some("a"), "r1"),
            Cloud::Aliyun,
            None,
        ),
    ];
    for (name, passwords, cloud, expected) in cases {
        assert_eq!(
            rev_to_send(passwords, cloud, "new"),
            expected,
            "case: {name}"
        );
    }
}

/// Atlas replaces the label array: every other label is sent back, ours once, with the new value.
#[test]
fn our_label_replaces_its_old_value_and_keeps_the_others() {
    let labels = labelled(&[], "r0").labels;
    let next = labels_with_rev(&labels, "r1");
    assert_eq!(next.len(), 2);
    assert_eq!(
        (next[0].key.as_str(), next[0].value.as_str()),
        ("team", "orders")
    );
    assert_eq!(
        (next[1].key.as_str(), next[1].value.as_str()),
        (PASSWORD_REV_LABEL, "r1")
    );
    assert_eq!(labels_with_rev(&[], "r2").len(), 1);
    assert_eq!(password_rev(&labelled(&[], "r3")), Some("r3"));
    assert_eq!(password_rev(&user(&[])), None);
}

#[test]
fn digests_differ_per_object_and_never_hold_the_password() {
    let a = password_digest("uid-1", "Secret-Pass1");
    assert_eq!(a, password_digest("uid-1", "Secret-Pass1"));
    assert_ne!(a, password_digest("uid-2", "Secret-Pass1"));
    assert_ne!(a, password_digest("uid-1", "Secret-Pass2"));
    assert!(!a.contains("Secret-Pass1"));
}

#[test]
fn the_connection_string_carries_encoded_credentials() {
    let instance = Instance {
        endpoints: vec![crate::cloud::InstanceEndpoint {
            role: "Primary".to_owned(),
            host: "dds-x.mongodb.rds.aliyuncs.com".to_owned(),
            port: 3717,
        }],
        replica_set_name: Some("mgset-1".to_owned()),
        ..Instance::default()
    };
    let data = connection_details(&instance, "root", "p@ss:w/rd");
    assert_eq!(
        data["connectionString"],
        "mongodb://root:p%40ss%3Aw%2Frd@dds-x.mongodb.rds.aliyuncs.com:3717/admin?replicaSet=mgset-1&authSource=admin"
    );
    assert_eq!(data["username"], "root");
    assert_eq!(data["password"], "p@ss:w/rd");
    assert_eq!(data["port"], "3717");
    let published = Instance {
        connection_string: Some("mongodb://h:27017/?ssl=true&authSource=admin".to_owned()),
        connection_string_srv: Some("mongodb+srv://c.abcde.mongodb.net".to_owned()),
        ..Instance::default()
    };
    let data = connection_details(&published, "app", "pw");
    assert_eq!(
        data["connectionString"],
        "mongodb://app:pw@h:27017/?ssl=true&authSource=admin"
    );
    assert_eq!(
        data["connectionStringSrv"],
        "mongodb+srv://app:pw@c.abcde.mongodb.net/?authSource=admin"
    );
}
