//! The Dds account actions behind the user operations. For replica sets the Dds API manages
//! one account, `root`: DescribeAccounts reads it, ModifyAccountDescription and
//! ResetAccountPassword change it; there is no action to create, grant or delete accounts
//! (those are done with MongoDB commands inside the database).

use super::client::{AliyunClient, Params};
use super::wire::{list, text};
use crate::cloud::error::Redacted;
use crate::cloud::{CloudError, DbUser, ErrorClass, UserSettings};

fn params(pairs: &[(&str, &str)]) -> Params {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// A call the Dds API has no action for, refused before anything is sent.
fn unsupported(action: &'static str, what: &str) -> CloudError {
    CloudError {
        action,
        class: ErrorClass::Terminal,
        code: "Unsupported".to_owned(),
        message: format!("ApsaraDB for MongoDB replica sets cannot {what} through the API"),
        request_id: String::new(),
        source: None,
    }
}

impl AliyunClient {
    /// DescribeAccounts for one account name.
    pub async fn describe_account(
        &self,
        id: &str,
        username: &str,
    ) -> Result<Option<DbUser>, CloudError> {
        let p = params(&[("DBInstanceId", id), ("AccountName", username)]);
        let v = self.call("DescribeAccounts", "", p).await?;
        Ok(list(&v, "Accounts", "Account")
            .into_iter()
            .find(|a| text(a, "AccountName").as_deref() == Some(username))
            .map(|a| DbUser {
                username: username.to_owned(),
                database_name: Some("admin".to_owned()),
                description: text(a, "AccountDescription"),
                status: text(a, "AccountStatus"),
                ..DbUser::default()
            }))
    }

    /// ModifyAccountDescription. Roles and scopes cannot be set through the API.
    pub async fn modify_account(
        &self,
        id: &str,
        username: &str,
        settings: &UserSettings,
    ) -> Result<(), CloudError> {
        if !settings.roles.is_empty() || !settings.scopes.is_empty() {
            return Err(unsupported(
                "ModifyAccountDescription",
                "grant roles or scopes",
            ));
        }
        let description = settings.description.clone().unwrap_or_default();
        let p = params(&[
            ("DBInstanceId", id),
            ("AccountName", username),
            ("AccountDescription", description.as_str()),
        ]);
        self.call("ModifyAccountDescription", "", p).await.map(drop)
    }

    /// ResetAccountPassword.
    pub async fn reset_account_password(
        &self,
        id: &str,
        username: &str,
        password: &Redacted<String>,
    ) -> Result<(), CloudError> {
        let p = params(&[
            ("DBInstanceId", id),
            ("AccountName", username),
            ("AccountPassword", password.expose().as_str()),
        ]);
        self.call("ResetAccountPassword", "", p).await.map(drop)
    }

    pub fn create_account(&self) -> Result<(), CloudError> {
        Err(unsupported("CreateAccount", "create accounts"))
    }

    pub fn delete_account(&self) -> Result<(), CloudError> {
        Err(unsupported("DeleteAccount", "delete accounts"))
    }
}
