//! Cloud-neutral shapes of database users, as [`super::Provider`] reads and writes them.

use super::error::Redacted;

/// One role on one database (and optionally one collection).
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct UserRole {
    pub role_name: String,
    pub database_name: String,
    pub collection_name: Option<String>,
}

/// One resource a user may reach (Atlas `scopes`).
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct UserScope {
    pub name: String,
    /// `CLUSTER`, `DATA_LAKE` or `STREAM`.
    pub type_: String,
}

/// One label of a user (Atlas `labels[{key, value}]`). Dds accounts have none.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserLabel {
    pub key: String,
    pub value: String,
}

/// A user as the cloud reports it. Clouds never return passwords.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DbUser {
    pub username: String,
    pub database_name: Option<String>,
    pub roles: Vec<UserRole>,
    pub scopes: Vec<UserScope>,
    pub description: Option<String>,
    /// In the cloud's order; always empty on Aliyun.
    pub labels: Vec<UserLabel>,
    /// Aliyun `AccountStatus`.
    pub status: Option<String>,
}

/// What creating a user takes. `password` is a secret: this type's `Debug` leaves it out.
#[derive(Clone, PartialEq, Eq)]
pub struct NewDbUser {
    pub username: String,
    pub password: Redacted<String>,
    pub settings: UserSettings,
    /// Sent with the create where the cloud keeps labels (Atlas); none are sent when empty.
    pub labels: Vec<UserLabel>,
}

impl std::fmt::Debug for NewDbUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewDbUser")
            .field("username", &self.username)
            .field("settings", &self.settings)
            .field("labels", &self.labels)
            .finish_non_exhaustive()
    }
}

/// The parts of a user besides its password, written together (Atlas: one PATCH).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserSettings {
    pub roles: Vec<UserRole>,
    pub scopes: Vec<UserScope>,
    pub description: Option<String>,
}
