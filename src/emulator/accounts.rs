//! Account actions of a replica set: DescribeAccounts, ModifyAccountDescription,
//! ResetAccountPassword. A replica set has one account, `root`; other names answer
//! `InvalidAccountName.NotFound` (invented: the real code for this case was not recorded).
//! Passwords follow the cloud's rules (8-32 characters, three of upper, lower, digit and
//! `!#$%^&*()_+-=`) and are stored as SHA-256 only.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::instances::{instance, running};
use super::model::{AccountRecord, State};
use super::render::ApiError;
use super::{Params, param, required};

pub const ROOT: &str = "root";

/// The accounts of a new instance: `root`, with the create call's password if one was given.
pub fn initial(password: Option<&str>) -> BTreeMap<String, AccountRecord> {
    let record = AccountRecord {
        password_sha256: password.map(sha256).unwrap_or_default(),
        ..AccountRecord::default()
    };
    BTreeMap::from([(ROOT.to_owned(), record)])
}

pub fn sha256(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// The cloud's password rules; the message never repeats the password.
pub fn check_password(password: &str) -> Result<(), ApiError> {
    match crate::reconcile::databaseuser::aliyun_password_problem(password) {
        None => Ok(()),
        Some(why) => Err(ApiError::new(
            400,
            "InvalidAccountPassword.Format",
            format!("The specified parameter \"AccountPassword\" is not valid: {why}"),
        )),
    }
}

fn account<'a>(
    accounts: &'a mut BTreeMap<String, AccountRecord>,
    name: &str,
) -> Result<&'a mut AccountRecord, ApiError> {
    accounts.get_mut(name).ok_or_else(|| {
        ApiError::new(
            404,
            "InvalidAccountName.NotFound",
            format!("The specified account {name} does not exist; a replica set has only root."),
        )
    })
}

pub fn describe(state: &mut State, p: &Params) -> Result<Value, ApiError> {
    let i = instance(state, p)?;
    let wanted = param(p, "AccountName");
    let accounts: Vec<Value> = i
        .accounts
        .iter()
        .filter(|(name, _)| wanted.as_deref().is_none_or(|w| w == name.as_str()))
        .map(|(name, a)| {
            json!({
                "AccountName": name,
                "AccountStatus": "Available",
                "AccountDescription": a.description,
                "CharacterType": "normal",
                "DBInstanceId": i.id,
            })
        })
        .collect();
    Ok(json!({"Accounts": {"Account": accounts}}))
}

pub fn modify_description(state: &mut State, p: &Params) -> Result<Value, ApiError> {
    let name = required(p, "AccountName")?;
    // An empty description clears it, so presence is what is required.
    let description = p
        .get("AccountDescription")
        .cloned()
        .ok_or_else(|| ApiError::missing("AccountDescription"))?;
    if description.chars().count() > 256 {
        return Err(ApiError::invalid(
            "AccountDescription",
            "at most 256 characters",
        ));
    }
    let i = instance(state, p)?;
    running(i)?;
    account(&mut i.accounts, &name)?.description = description;
    Ok(json!({}))
}

pub fn reset_password(state: &mut State, p: &Params) -> Result<Value, ApiError> {
    let name = required(p, "AccountName")?;
    let password = required(p, "AccountPassword")?;
    check_password(&password)?;
    let i = instance(state, p)?;
    running(i)?;
    let record = account(&mut i.accounts, &name)?;
    record.password_sha256 = sha256(&password);
    record.password_sets += 1;
    Ok(json!({}))
}
