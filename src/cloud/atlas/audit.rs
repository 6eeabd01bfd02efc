//! The Dds audit categories as an Atlas audit filter, and back. Atlas filters audit events by
//! `atype` (and, for CRUD, by the command of an `authCheck` event, which Atlas records only with
//! `auditAuthorizationSuccess`). `slow` has no audit counterpart on Atlas (slow operations are
//! in its profiler) and is refused before this point.
//!
//! | category | Atlas events |
//! |---|---|
//! | admin | `atype` in the DDL and user/role management events below |
//! | query | `authCheck` of find, aggregate, count, distinct, getMore |
//! | insert | `authCheck` of insert |
//! | update | `authCheck` of update, findAndModify |
//! | delete | `authCheck` of delete |
//! | command | `authCheck` of every other command |

use serde_json::{Value, json};

const ADMIN_EVENTS: [&str; 22] = [
    "createCollection",
    "createDatabase",
    "createIndex",
    "renameCollection",
    "dropCollection",
    "dropDatabase",
    "dropIndex",
    "createUser",
    "dropUser",
    "dropAllUsersFromDatabase",
    "updateUser",
    "grantRolesToUser",
    "revokeRolesFromUser",
    "createRole",
    "updateRole",
    "dropRole",
    "dropAllRolesFromDatabase",
    "grantRolesToRole",
    "revokeRolesFromRole",
    "grantPrivilegesToRole",
    "revokePrivilegesFromRole",
    "shutdown",
];

/// The commands of each CRUD category, in the order categories sort.
const CRUD: [(&str, &[&str]); 4] = [
    ("delete", &["delete"]),
    ("insert", &["insert"]),
    (
        "query",
        &["find", "aggregate", "count", "distinct", "getMore"],
    ),
    ("update", &["update", "findAndModify"]),
];

fn crud_commands() -> Vec<&'static str> {
    CRUD.iter()
        .flat_map(|(_, commands)| commands.iter().copied())
        .collect()
}

/// The filter for a sorted set of categories, and whether it needs
/// `auditAuthorizationSuccess` (every category but `admin` does).
pub fn filter_for(categories: &[String]) -> (Value, bool) {
    let has = |c: &str| categories.iter().any(|x| x == c);
    let mut any = Vec::new();
    if has("admin") {
        any.push(json!({"atype": {"$in": ADMIN_EVENTS}}));
    }
    let commands: Vec<&str> = CRUD
        .iter()
        .filter(|(category, _)| has(category))
        .flat_map(|(_, commands)| commands.iter().copied())
        .collect();
    if !commands.is_empty() {
        any.push(json!({"atype": "authCheck", "param.command": {"$in": commands}}));
    }
    if has("command") {
        any.push(json!({"atype": "authCheck", "param.command": {"$nin": crud_commands()}}));
    }
    let needs_authorization_success = categories.iter().any(|c| c != "admin");
    (json!({"$or": any}), needs_authorization_success)
}

/// The categories of a filter this module wrote, sorted; `None` for any other filter (written
/// by hand or by another tool), which the operator then replaces.
pub fn categories_of(filter: &str) -> Option<Vec<String>> {
    let parsed: Value = serde_json::from_str(filter).ok()?;
    let mut found = Vec::new();
    for clause in parsed.get("$or")?.as_array()? {
        if clause == &json!({"atype": {"$in": ADMIN_EVENTS}}) {
            found.push("admin".to_owned());
        } else if clause
            == &json!({"atype": "authCheck", "param.command": {"$nin": crud_commands()}})
        {
            found.push("command".to_owned());
        } else {
            let commands = clause
                .get("param.command")?
                .get("$in")?
                .as_array()?
                .iter()
                .map(|c| c.as_str().map(str::to_owned))
                .collect::<Option<Vec<String>>>()?;
            let mut rest = commands.as_slice();
            for (category, expected) in CRUD {
                if rest.len() >= expected.len()
                    && rest[..expected.len()]
                        .iter()
                        .zip(expected)
                        .all(|(a, b)| a == b)
                {
                    found.push(category.to_owned());
                    rest = &rest[expected.len()..];
                }
            }
            if !rest.is_empty() || clause.get("atype")? != "authCheck" {
                return None;
            }
        }
    }
    found.sort();
    (filter_for(&found).0 == parsed).then_some(found)
}

/// Two filters are the same when their JSON is, whatever the spacing (Atlas stores the text
/// verbatim).
pub fn same_filter(a: &str, b: &str) -> bool {
    match (
        serde_json::from_str::<Value>(a),
        serde_json::from_str::<Value>(b),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(categories: &[&str]) -> Vec<String> {
        categories.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn every_combination_round_trips() {
        let all = ["admin", "command", "delete", "insert", "query", "update"];
        for mask in 1u32..(1 << all.len()) {
            let categories: Vec<String> = all
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, c)| c.to_string())
                .collect();
            let (filter, _) = filter_for(&categories);
            assert_eq!(
                categories_of(&filter.to_string()),
                Some(categories.clone()),
                "{filter}"
            );
        }
    }

    #[test]
    fn only_admin_needs_no_authorization_success() {
        assert!(!filter_for(&set(&["admin"])).1);
        assert!(filter_for(&set(&["admin", "insert"])).1);
        assert!(filter_for(&set(&["command"])).1);
    }

    #[test]
    fn crud_categories_share_one_auth_check_clause() {
        let (filter, _) = filter_for(&set(&["insert", "query"]));
        assert_eq!(
            filter,
            json!({"$or": [{"atype": "authCheck", "param.command": {"$in":
                ["insert", "find", "aggregate", "count", "distinct", "getMore"]}}]})
        );
    }

    #[test]
    fn foreign_filters_are_not_taken_for_categories() {
        for foreign in [
            r#"{"atype": "authenticate"}"#,
            r#"{"$or": [{"atype": "authCheck", "param.command": {"$in": ["insert", "drop"]}}]}"#,
            r#"{"$or": [{"atype": {"$in": ["createUser"]}}]}"#,
            "not json",
        ] {
            assert_eq!(categories_of(foreign), None, "{foreign}");
        }
    }

    #[test]
    fn filters_compare_as_json() {
        assert!(same_filter(
            r#"{"atype": "authenticate"}"#,
            "{\n  \"atype\":\"authenticate\"\n}"
        ));
        assert!(!same_filter(r#"{"atype": "a"}"#, r#"{"atype": "b"}"#));
    }
}
