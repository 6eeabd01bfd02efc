//! DatabaseUser rules: what each cloud allows, password rules, roles mapping and the plan.
//!
//! Exactly-once rotation. The status holds two digests of passwords (SHA-256 over the object's UID
//! and the password; never the password): `pendingPasswordDigest`, written *before* the set-password
//! call, and `appliedPasswordDigest`, written after the call succeeded and the connection Secret
//! was updated. A Secret value whose digest equals `applied` needs no call; any other value
//! needs one. A crash (or a lost answer) between the call and the second write leaves `pending`
//! equal to the current value's digest, and no cloud can read a password back to tell whether
//! the call was applied.
//!
//! Atlas: the call carries its own proof. The pending record also holds a random revision
//! (`pendingPasswordRev`), and the password PATCH (or the create) sets the user's label
//! [`PASSWORD_REV_LABEL`] to it in the same request. A reconcile that finds the pending record
//! reads the label: equal, the call was applied ([`Step::ConfirmPassword`]: no call, the
//! connection Secret and the applied digest are written); different, it never was, and the
//! password is sent once. So each value is sent exactly once.
//!
//! Aliyun: ResetAccountPassword carries nothing DescribeAccounts shows. The plan sends the same
//! password once more ([`Step::SetPassword`] with `resend`): setting a password to the value it
//! already has changes nothing, and the connection Secret is written only after a call that
//! succeeded, so it never holds a password the cloud was not told. Trusting the pending record
//! instead would leave the Secret ahead of the cloud whenever the crash came before the call.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::policy::Verb;
use super::{Invalid, Mode};
use crate::api::databaseuser::{DatabaseUserObservation, DatabaseUserRole, DatabaseUserScope};
use crate::api::databaseuser::{DatabaseUserParameters, DatabaseUserSpec};
use crate::cloud::{Cloud, DbUser, Instance, UserLabel, UserRole, UserScope, UserSettings};

/// The only account the Dds API manages on a replica set.
pub const ALIYUN_ROOT: &str = "root";
/// The authentication database of SCRAM users.
pub const AUTH_DATABASE: &str = "admin";
/// The Atlas user label that carries the revision of the last password call (a random value
/// from the status' `pendingPasswordRev`, never derived from the password).
pub const PASSWORD_REV_LABEL: &str = "mongocloud-password-rev";
/// Characters besides letters and digits Aliyun accepts in a password.
pub const ALIYUN_SPECIALS: &str = "!#$%^&*()_+-=";

const ATLAS_MAX_DESCRIPTION: usize = 100;
/// Roles granted on `admin` that apply to the whole cluster: no other database, no collection.
const CLUSTER_ROLES: [&str; 7] = [
    "atlasAdmin",
    "readWriteAnyDatabase",
    "readAnyDatabase",
    "dbAdminAnyDatabase",
    "clusterMonitor",
    "backup",
    "enableSharding",
];
/// Roles on one database; `read` and `readWrite` may name one collection.
const DATABASE_ROLES: [&str; 3] = ["read", "readWrite", "dbAdmin"];
const COLLECTION_ROLES: [&str; 2] = ["read", "readWrite"];
const AUTH_TYPE_FIELDS: [&str; 4] = ["x509Type", "ldapAuthType", "oidcAuthType", "awsIAMType"];

/// Why a password breaks Aliyun's rules (8-32 characters, at least three of upper case, lower
/// case, digits and `!#$%^&*()_+-=`, nothing else), or `None`. Never quotes the password.
pub fn aliyun_password_problem(password: &str) -> Option<String> {
    let length = password.chars().count();
    if !(8..=32).contains(&length) {
        return Some(format!("must be 8-32 characters long (is {length})"));
    }
    if password
        .chars()
        .any(|c| !c.is_ascii_alphanumeric() && !ALIYUN_SPECIALS.contains(c))
    {
        return Some(format!(
            "may hold only letters, digits and {ALIYUN_SPECIALS}"
        ));
    }
    let classes = [
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| ALIYUN_SPECIALS.contains(c)),
    ];
    let count = classes.iter().filter(|c| **c).count();
    (count < 3).then(|| {
        format!(
            "needs at least three of: upper case, lower case, digits, {ALIYUN_SPECIALS} (has {count})"
        )
    })
}

/// Why a password breaks Atlas' rule (at least 8 characters), or `None`.
pub fn atlas_password_problem(password: &str) -> Option<String> {
    let length = password.chars().count();
    (length < 8).then(|| format!("must be at least 8 characters long (is {length})"))
}

/// The password check of a cloud, as a refusal naming the Secret key (never the value).
pub fn check_password(
    cloud: Cloud,
    secret: &str,
    key: &str,
    password: &str,
) -> Result<(), Invalid> {
    let problem = match cloud {
        Cloud::Aliyun => aliyun_password_problem(password),
        Cloud::Atlas => atlas_password_problem(password),
    };
    match problem {
        None => Ok(()),
        Some(why) => Err(Invalid::new(
            "spec.forProvider.passwordSecretRef",
            format!("key {key:?} of Secret {secret}: the password {why}"),
        )),
    }
}

/// Why Atlas would refuse a built-in role, or `None`.
pub fn atlas_role_problem(role: &UserRole) -> Option<String> {
    let name = role.role_name.as_str();
    if CLUSTER_ROLES.contains(&name) {
        if role.database_name != AUTH_DATABASE {
            return Some(format!("{name} is granted on databaseName admin only"));
        }
        if role.collection_name.is_some() {
            return Some(format!("{name} applies to the cluster, not a collection"));
        }
        return None;
    }
    if DATABASE_ROLES.contains(&name) {
        if role.collection_name.is_some() && !COLLECTION_ROLES.contains(&name) {
            return Some(format!("{name} applies to a database, not a collection"));
        }
        return None;
    }
    Some(format!(
        "{name} is not a built-in role; allowed: {}, {}",
        CLUSTER_ROLES.join(", "),
        DATABASE_ROLES.join(", ")
    ))
}

/// Spec checks that hold on every cloud.
pub fn validate(spec: &DatabaseUserSpec) -> Result<(), Invalid> {
    let p = &spec.for_provider;
    super::instance_target(&p.instance)?;
    if p.username.chars().any(|c| c.is_whitespace() || c == '/') {
        return Err(Invalid::new(
            "spec.forProvider.username",
            "may not contain spaces or /",
        ));
    }
    if let Some(db) = p.database_name.as_deref().filter(|db| *db != AUTH_DATABASE) {
        return Err(Invalid::new(
            "spec.forProvider.databaseName",
            format!("is {db}: only SCRAM (password) users on admin are supported"),
        ));
    }
    for (field, value) in auth_types(p) {
        if let Some(kind) = value.filter(|v| *v != "NONE") {
            return Err(Invalid::new(
                format!("spec.forProvider.{field}"),
                format!("is {kind}: only password (SCRAM) users are supported; allowed: NONE"),
            ));
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for role in &p.roles {
        if !seen.insert((&role.role_name, &role.database_name, &role.collection_name)) {
            return Err(Invalid::new(
                "spec.forProvider.roles",
                format!("lists {} on {} twice", role.role_name, role.database_name),
            ));
        }
    }
    Ok(())
}

fn auth_types(p: &DatabaseUserParameters) -> [(&'static str, Option<&str>); 4] {
    let values = [
        p.x509_type.as_deref(),
        p.ldap_auth_type.as_deref(),
        p.oidc_auth_type.as_deref(),
        p.aws_iam_type.as_deref(),
    ];
    [0, 1, 2, 3].map(|i| (AUTH_TYPE_FIELDS[i], values[i]))
}

/// What each cloud allows. Aliyun: the Dds API manages the `root` account of a replica set only
/// (DescribeAccounts, ModifyAccountDescription, ResetAccountPassword); it creates no accounts
/// and grants no roles. Atlas: SCRAM users with built-in roles and cluster scopes.
pub fn validate_for(spec: &DatabaseUserSpec, cloud: Cloud) -> Result<(), Invalid> {
    let p = &spec.for_provider;
    super::clouds::check_target(p.instance.db_instance_id.as_deref(), cloud)?;
    match cloud {
        Cloud::Aliyun => {
            if p.username != ALIYUN_ROOT {
                return Err(Invalid::new(
                    "spec.forProvider.username",
                    format!(
                        "is {}: on Aliyun it must be root, the only account the ApsaraDB for MongoDB API manages on a replica set (other users are created with MongoDB's createUser inside the database)",
                        p.username
                    ),
                ));
            }
            if !p.roles.is_empty() {
                return Err(Invalid::new(
                    "spec.forProvider.roles",
                    "cannot be set on Aliyun: root holds every privilege and the API grants no roles",
                ));
            }
            if !p.scopes.is_empty() {
                return Err(Invalid::new(
                    "spec.forProvider.scopes",
                    "cannot be set on Aliyun: an account belongs to one instance",
                ));
            }
            Ok(())
        }
        Cloud::Atlas => {
            if p.roles.is_empty() {
                return Err(Invalid::new(
                    "spec.forProvider.roles",
                    "needs at least one role on Atlas (e.g. readWrite on a database)",
                ));
            }
            for (n, role) in settings(p).roles.iter().enumerate() {
                if let Some(why) = atlas_role_problem(role) {
                    return Err(Invalid::new(format!("spec.forProvider.roles[{n}]"), why));
                }
            }
            if let Some(scope) = p
                .scopes
                .iter()
                .find(|s| !["CLUSTER", "DATA_LAKE", "STREAM"].contains(&s.type_.as_str()))
            {
                return Err(Invalid::new(
                    "spec.forProvider.scopes",
                    format!(
                        "type {} of {} is not one of CLUSTER, DATA_LAKE, STREAM",
                        scope.type_, scope.name
                    ),
                ));
            }
            if p.description
                .as_ref()
                .is_some_and(|d| d.chars().count() > ATLAS_MAX_DESCRIPTION)
            {
                return Err(Invalid::new(
                    "spec.forProvider.description",
                    "is longer than Atlas' 100 characters",
                ));
            }
            Ok(())
        }
    }
}

/// Roles, scopes and description as the cloud layer takes them, sorted so that order in the
/// spec never makes a call.
pub fn settings(p: &DatabaseUserParameters) -> UserSettings {
    let mut roles: Vec<UserRole> = p
        .roles
        .iter()
        .map(|r| UserRole {
            role_name: r.role_name.clone(),
            database_name: r.database_name.clone(),
            collection_name: r.collection_name.clone().filter(|c| !c.is_empty()),
        })
        .collect();
    roles.sort();
    let mut scopes: Vec<UserScope> = p
        .scopes
        .iter()
        .map(|s| UserScope {
            name: s.name.clone(),
            type_: s.type_.clone(),
        })
        .collect();
    scopes.sort();
    UserSettings {
        roles,
        scopes,
        description: p.description.clone(),
    }
}

/// Whether the cloud's user differs from `want`. An unset description is not managed.
pub fn settings_differ(want: &UserSettings, seen: &DbUser) -> bool {
    want.roles != seen.roles
        || want.scopes != seen.scopes
        || want
            .description
            .as_ref()
            .is_some_and(|d| Some(d) != seen.description.as_ref())
}

/// The digest recorded for a password: SHA-256 over the object's UID and the password, so
/// equal passwords of two users give different digests.
pub fn password_digest(uid: &str, password: &str) -> String {
    let mut hash = Sha256::new();
    for part in ["mongocloud.dev/password", uid, password] {
        hash.update(part.as_bytes());
        hash.update([0u8]);
    }
    format!("sha256:{}", hex::encode(hash.finalize()))
}

/// Whether the cloud keeps a label set in the same call as the password, so that a later read
/// tells whether the call was applied: Atlas does; Dds accounts have no such field.
pub fn marks_passwords(cloud: Cloud) -> bool {
    cloud == Cloud::Atlas
}

/// The password digests the plan compares, and the revision recorded with the pending one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Passwords<'a> {
    /// Of the Secret's value now.
    pub current: &'a str,
    pub applied: Option<&'a str>,
    pub pending: Option<&'a str>,
    pub pending_rev: Option<&'a str>,
}

/// The revision the user's label shows, if any.
pub fn password_rev(seen: &DbUser) -> Option<&str> {
    seen.labels
        .iter()
        .find(|l| l.key == PASSWORD_REV_LABEL)
        .map(|l| l.value.as_str())
}

/// The revision to send with a password call: the pending one while it is for this value (so a
/// late copy of an earlier call carries the same mark), else `fresh`. `None` on clouds that
/// keep no labels.
pub fn rev_to_send<'a>(passwords: Passwords<'a>, cloud: Cloud, fresh: &'a str) -> Option<&'a str> {
    if !marks_passwords(cloud) {
        return None;
    }
    match passwords.pending_rev {
        Some(rev) if passwords.pending == Some(passwords.current) => Some(rev),
        _ => Some(fresh),
    }
}

/// The user's labels with ours set to `rev`: Atlas replaces the whole array, so the others are
/// kept, in their order.
pub fn labels_with_rev(labels: &[UserLabel], rev: &str) -> Vec<UserLabel> {
    let mut out: Vec<UserLabel> = labels
        .iter()
        .filter(|l| l.key != PASSWORD_REV_LABEL)
        .cloned()
        .collect();
    out.push(UserLabel {
        key: PASSWORD_REV_LABEL.to_owned(),
        value: rev.to_owned(),
    });
    out
}

/// The one cloud step of a reconcile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Nothing to write.
    Steady,
    /// The user does not exist: create it, password included (Atlas).
    Create,
    /// The account does not exist and cannot be created (Aliyun's root is missing).
    Missing,
    /// Roles, scopes and description, in one call.
    UpdateSettings,
    /// Set the Secret's password; `resend` when a call with it may have been applied already
    /// and the cloud cannot tell (Aliyun).
    SetPassword { resend: bool },
    /// The pending call was applied (its revision is on the user): no call; write the
    /// connection Secret and the applied digest.
    ConfirmPassword,
}

impl Step {
    /// The management policy a write needs; `None` for steps that write nothing to the cloud.
    pub fn verb(&self) -> Option<Verb> {
        match self {
            Step::Create => Some(Verb::Create),
            Step::UpdateSettings | Step::SetPassword { .. } => Some(Verb::Update),
            Step::Steady | Step::Missing | Step::ConfirmPassword => None,
        }
    }
}

/// Observe-only modes write nothing. A call that was applied is recorded first (it needs no
/// call). Settings before password: each is one call, and a user whose roles are wrong should
/// not get a fresh password first.
pub fn plan(
    want: &UserSettings,
    seen: Option<&DbUser>,
    passwords: Passwords<'_>,
    cloud: Cloud,
    mode: Mode,
) -> Step {
    if !mode.plans_writes() {
        return Step::Steady;
    }
    let Some(seen) = seen else {
        return match cloud {
            Cloud::Atlas => Step::Create,
            Cloud::Aliyun => Step::Missing,
        };
    };
    let pending = passwords.applied != Some(passwords.current)
        && passwords.pending == Some(passwords.current);
    if pending && passwords.pending_rev.is_some() && password_rev(seen) == passwords.pending_rev {
        return Step::ConfirmPassword;
    }
    if settings_differ(want, seen) {
        return Step::UpdateSettings;
    }
    if passwords.applied == Some(passwords.current) {
        return Step::Steady;
    }
    // With a revision recorded, the label just read settles it: that call was never applied.
    let verified = marks_passwords(cloud) && passwords.pending_rev.is_some();
    Step::SetPassword {
        resend: pending && !verified,
    }
}

/// Whether the connection Secret may be written with the current password: only once the
/// cloud accepted it.
pub fn is_applied(passwords: Passwords<'_>) -> bool {
    passwords.applied == Some(passwords.current)
}

/// What the status reports of the cloud's user.
pub fn observation(seen: &DbUser) -> DatabaseUserObservation {
    DatabaseUserObservation {
        username: seen.username.clone(),
        database_name: seen.database_name.clone(),
        roles: seen
            .roles
            .iter()
            .map(|r| DatabaseUserRole {
                role_name: r.role_name.clone(),
                database_name: r.database_name.clone(),
                collection_name: r.collection_name.clone(),
            })
            .collect(),
        scopes: seen
            .scopes
            .iter()
            .map(|s| DatabaseUserScope {
                name: s.name.clone(),
                type_: s.type_.clone(),
            })
            .collect(),
        description: seen.description.clone(),
        status: seen.status.clone(),
    }
}

/// Keys of the user's connection Secret: the instance's host, port and replica set, this user's
/// `username`/`password`, and `connectionString` (and `connectionStringSrv` where the cloud
/// publishes one) with the credentials in it, percent-encoded, authenticating on `admin`.
pub fn connection_details(
    instance: &Instance,
    username: &str,
    password: &str,
) -> BTreeMap<String, String> {
    let mut data = super::dbinstance::connection_details(instance, None);
    let credentials = format!("{}:{}@", encode(username), encode(password));
    for key in ["connectionString", "connectionStringSrv"] {
        if let Some(url) = data.get_mut(key) {
            *url = with_credentials(url, &credentials);
        }
    }
    data.insert("username".to_owned(), username.to_owned());
    data.insert("password".to_owned(), password.to_owned());
    data
}

fn encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// `mongodb://hosts/...` → `mongodb://user:pass@hosts/...`, with `authSource=admin` added when
/// the string names no auth source.
fn with_credentials(url: &str, credentials: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let mut out = format!("{scheme}://{credentials}{rest}");
    if !out.contains("authSource=") {
        let separator = match (out.contains('?'), out.ends_with('?')) {
            (_, true) => "",
            (true, false) => "&",
            (false, false) if rest.contains('/') => "?",
            (false, false) => "/?",
        };
        out.push_str(separator);
        out.push_str("authSource=admin");
    }
    out
}

#[cfg(test)]
#[path = "databaseuser_tests.rs"]
mod tests;
