//! Object names for imported cloud objects: DNS-1123 labels derived from the cloud's own names,
//! unique within a kind, and the same for the same account every time (so a second import
//! writes the same files and `kubectl apply` changes nothing).

use std::collections::{BTreeMap, BTreeSet};

/// Longest DNS-1123 label.
const MAX: usize = 63;

/// A DNS-1123 label from free text: lower-case letters, digits and `-`, starting and ending
/// with a letter or digit, at most 63 characters. Runs of other characters become one `-`.
/// `None` when nothing usable is left (the caller falls back to the cloud id).
pub fn label(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len().min(MAX));
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.truncate(MAX);
    let trimmed = out.trim_end_matches('-');
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// `base` with `-suffix`, the base shortened so the whole stays a label.
fn with_suffix(base: &str, suffix: &str) -> String {
    let room = MAX.saturating_sub(suffix.len() + 1);
    let mut head: String = base.chars().take(room).collect();
    while head.ends_with('-') {
        head.pop();
    }
    if head.is_empty() {
        suffix.to_owned()
    } else {
        format!("{head}-{suffix}")
    }
}

/// Unique names for `(base, key)` pairs, in the order given. `key` is what tells two objects
/// apart in the cloud (an instance id, a group name) and must be unique itself. A base used
/// once is kept as it is; every object whose base is shared — by another object or by a name
/// taken earlier — gets a suffix from its own key, so its name does not depend on the order of
/// the listing. A suffix that still collides is numbered.
pub fn unique(pairs: &[(String, String)], taken: &BTreeSet<String>) -> Vec<String> {
    let mut uses: BTreeMap<&str, usize> = BTreeMap::new();
    for (base, _) in pairs {
        *uses.entry(base.as_str()).or_default() += 1;
    }
    let mut used: BTreeSet<String> = taken.clone();
    let mut names = Vec::with_capacity(pairs.len());
    for (base, key) in pairs {
        let shared = uses.get(base.as_str()).copied().unwrap_or(0) > 1 || taken.contains(base);
        let mut name = if shared {
            with_suffix(base, &key_suffix(key))
        } else {
            base.clone()
        };
        let mut n = 2;
        while used.contains(&name) {
            name = with_suffix(base, &format!("{}-{n}", key_suffix(key)));
            n += 1;
        }
        used.insert(name.clone());
        names.push(name);
    }
    names
}

/// The tail of a key, as a label: ids share their prefix (`dds-bp1...`), their ends differ.
fn key_suffix(key: &str) -> String {
    let clean = label(key).unwrap_or_else(|| "x".to_owned());
    let start = clean.len().saturating_sub(8);
    clean[start..].trim_start_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_label(name: &str) -> bool {
        !name.is_empty()
            && name.len() <= MAX
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !name.starts_with('-')
            && !name.ends_with('-')
    }

    #[test]
    fn labels_follow_dns_1123() {
        let cases = [
            ("orders", Some("orders")),
            ("Orders DB (prod)", Some("orders-db-prod")),
            ("  --billing__v2--  ", Some("billing-v2")),
            ("dds-bp1234567890abcd", Some("dds-bp1234567890abcd")),
            ("数据库", None),
            ("---", None),
            ("", None),
        ];
        for (text, expected) in cases {
            assert_eq!(label(text).as_deref(), expected, "label of {text:?}");
        }
        let long = label(&"a".repeat(40).replace('a', "ab-")).expect("long");
        assert!(is_label(&long), "{long}");
        assert!(long.len() <= MAX);
    }

    #[test]
    fn names_are_unique_and_do_not_depend_on_listing_order() {
        let pairs = |items: &[(&str, &str)]| -> Vec<(String, String)> {
            items
                .iter()
                .map(|(b, k)| (b.to_string(), k.to_string()))
                .collect()
        };
        let first = pairs(&[
            ("orders", "dds-bp1aaaa1111"),
            ("billing", "dds-bp1bbbb2222"),
            ("orders", "dds-bp1cccc3333"),
        ]);
        let names = unique(&first, &BTreeSet::new());
        assert_eq!(names, ["orders-aaaa1111", "billing", "orders-cccc3333"]);
        let mut reversed = first.clone();
        reversed.reverse();
        let mut again = unique(&reversed, &BTreeSet::new());
        again.reverse();
        assert_eq!(again, names, "same names whatever the order");
        assert_eq!(unique(&first, &BTreeSet::new()), names, "deterministic");
    }

    #[test]
    fn a_name_taken_already_or_by_a_suffix_gets_another() {
        let taken = BTreeSet::from(["orders".to_owned(), "x-11111111".to_owned()]);
        let pairs = vec![
            ("orders".to_owned(), "dds-bp111111111".to_owned()),
            ("x".to_owned(), "dds-a11111111".to_owned()),
            ("x".to_owned(), "dds-b11111111".to_owned()),
        ];
        let names = unique(&pairs, &taken);
        assert_eq!(names[0], "orders-11111111");
        let set: BTreeSet<&String> = names.iter().collect();
        assert_eq!(set.len(), 3, "{names:?}");
        assert!(names.iter().all(|n| !taken.contains(n)), "{names:?}");
        assert!(names.iter().all(|n| is_label(n)), "{names:?}");
    }

    #[test]
    fn suffixed_long_names_stay_labels() {
        let base = label(&"orders-".repeat(12)).expect("base");
        let pairs = vec![
            (base.clone(), "dds-bp1aaaa1111".to_owned()),
            (base, "dds-bp1bbbb2222".to_owned()),
        ];
        for name in unique(&pairs, &BTreeSet::new()) {
            assert!(is_label(&name), "{name}");
        }
    }
}
