//! DescribeParameters / ModifyParameters: a few real mongod parameters of a replica set. A
//! parameter the cloud marks `ForceRestart` keeps running with its old value until the next
//! RestartDBInstance; the others take effect at once. Neither action restarts anything.

use serde_json::{Value, json};

use super::instances::{instance, running};
use super::model::State;
use super::render::ApiError;
use super::{Params, required};

/// Name, default, whether a change needs a restart, allowed values (`|`-separated, or a
/// `[min-max]` range as the cloud's CheckingCode says).
const KNOWN: [(&str, &str, bool, &str); 4] = [
    ("operationProfiling.mode", "off", false, "off|slowOp|all"),
    (
        "operationProfiling.slowOpThresholdMs",
        "100",
        false,
        "[0-65536]",
    ),
    (
        "setParameter.cursorTimeoutMillis",
        "600000",
        false,
        "[1-2147483647]",
    ),
    (
        "net.serviceExecutor",
        "synchronous",
        true,
        "synchronous|adaptive",
    ),
];

fn allowed(check: &str, value: &str) -> bool {
    match check
        .strip_prefix('[')
        .and_then(|c| c.strip_suffix(']'))
        .and_then(|c| c.split_once('-'))
    {
        Some((min, max)) => value.parse::<i64>().is_ok_and(|n| {
            min.parse().is_ok_and(|m: i64| n >= m) && max.parse().is_ok_and(|m: i64| n <= m)
        }),
        None => check.split('|').any(|v| v == value),
    }
}

fn listed(values: &std::collections::BTreeMap<String, String>) -> Value {
    let parameters: Vec<Value> = KNOWN
        .iter()
        .map(|(name, default, restart, check)| {
            json!({
                "ParameterName": name,
                "ParameterValue": values.get(*name).map_or(*default, String::as_str),
                "ForceRestart": restart.to_string(),
                "ModifiableStatus": "true",
                "CheckingCode": check,
            })
        })
        .collect();
    json!({"Parameter": parameters})
}

pub fn describe(state: &mut State, p: &Params) -> Result<Value, ApiError> {
    let i = instance(state, p)?;
    Ok(json!({
        "Engine": "mongodb",
        "EngineVersion": i.engine_version,
        "ConfigParameters": listed(&i.parameters),
        "RunningParameters": listed(&i.running_parameters),
    }))
}

pub fn modify(state: &mut State, p: &Params) -> Result<Value, ApiError> {
    let raw = required(p, "Parameters")?;
    let wanted: std::collections::BTreeMap<String, String> = serde_json::from_str(&raw)
        .map_err(|_| ApiError::invalid("Parameters", "must be a JSON object of strings"))?;
    let i = instance(state, p)?;
    running(i)?;
    for (name, value) in &wanted {
        let Some((_, _, _, check)) = KNOWN.iter().find(|(n, ..)| n == name) else {
            return Err(ApiError::invalid(
                "Parameters",
                format!("{name} is not a modifiable parameter"),
            ));
        };
        if !allowed(check, value) {
            return Err(ApiError::invalid(
                "Parameters",
                format!("{name} must be {check} (is {value})"),
            ));
        }
    }
    for (name, value) in wanted {
        let restart = KNOWN.iter().any(|(n, _, r, _)| *n == name && *r);
        if !restart {
            i.running_parameters.insert(name.clone(), value.clone());
        }
        i.parameters.insert(name, value);
    }
    Ok(json!({}))
}
