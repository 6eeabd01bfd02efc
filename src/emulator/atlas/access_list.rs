//! The project IP access list (`/groups/{groupId}/accessList`). Entries are keyed by their
//! canonical CIDR (a bare IP is its `/32` or `/128`) or security group id; a POST upserts a
//! batch and answers the whole list; entries past `deleteAfterDate` disappear.

use std::net::IpAddr;

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use ipnet::IpNet;
use serde::Serialize;
use serde_json::{Value, json};

use super::{Answer, AtlasError, Ctx, Project, iso, page};

const MAX_COMMENT: usize = 80;
const MAX_LIFETIME_MS: u64 = 7 * 24 * 3600 * 1000;

/// An entry as stored.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// A CIDR block, or `None` for a security group.
    pub cidr_block: Option<String>,
    pub aws_security_group: Option<String>,
    pub comment: Option<String>,
    /// Removal time (ms).
    pub delete_after_ms: Option<u64>,
    /// Until when `/status` says PENDING (ms).
    pub pending_until_ms: u64,
}

impl Entry {
    fn key(&self) -> &str {
        self.cidr_block
            .as_deref()
            .or(self.aws_security_group.as_deref())
            .unwrap_or_default()
    }

    fn render(&self, ctx: &Ctx<'_>) -> Value {
        let mut body = json!({"groupId": ctx.group});
        if let Some(cidr) = &self.cidr_block {
            body["cidrBlock"] = json!(cidr);
            if let Some(ip) = cidr
                .strip_suffix("/32")
                .or_else(|| cidr.strip_suffix("/128"))
            {
                body["ipAddress"] = json!(ip);
            }
        }
        if let Some(group) = &self.aws_security_group {
            body["awsSecurityGroup"] = json!(group);
        }
        if let Some(comment) = &self.comment {
            body["comment"] = json!(comment);
        }
        if let Some(at) = self.delete_after_ms {
            body["deleteAfterDate"] = json!(iso(at));
        }
        body["links"] = ctx.link(&format!(
            "/groups/{}/accessList/{}",
            ctx.group,
            self.key().replace('/', "%2F")
        ));
        body
    }
}

/// Drops entries whose `deleteAfterDate` has passed.
pub fn settle(project: &mut Project, now: u64) {
    project
        .access_list
        .retain(|_, e| e.delete_after_ms.is_none_or(|at| at > now));
}

fn is_security_group(text: &str) -> bool {
    text.strip_prefix("sg-")
        .is_some_and(|id| (8..=17).contains(&id.len()) && id.chars().all(|c| c.is_ascii_hexdigit()))
}

/// The stored key an `{entryValue}` path segment names, if it is a valid value at all.
fn key_of(value: &str) -> Result<String, AtlasError> {
    if is_security_group(value) {
        return Ok(value.to_owned());
    }
    if let Ok(ip) = value.parse::<IpAddr>() {
        return Ok(IpNet::from(ip).to_string());
    }
    if let Ok(net) = value.parse::<IpNet>() {
        return Ok(net.to_string());
    }
    Err(AtlasError::new(
        400,
        "PATH_PARAM_PARSE_ERROR",
        format!("One or more path parameter is invalid. entryValue {value} is not an IP address, CIDR block or security group."),
    )
    .param(value))
}

fn not_found(ctx: &Ctx<'_>, value: &str) -> AtlasError {
    AtlasError::new(
        404,
        "ATLAS_NETWORK_PERMISSION_ENTRY_NOT_FOUND",
        format!(
            "IP Address {value} not on Atlas access list for group {}.",
            ctx.group
        ),
    )
    .param(value)
    .param(ctx.group)
}

fn listing(project: &Project, ctx: &Ctx<'_>) -> Result<Value, AtlasError> {
    let items = project
        .access_list
        .values()
        .map(|e| e.render(ctx))
        .collect();
    page::paginate(ctx, &format!("/groups/{}/accessList", ctx.group), items)
}

pub fn list(project: &mut Project, ctx: &Ctx<'_>) -> Answer {
    Ok((StatusCode::OK, Some(listing(project, ctx)?)))
}

/// One POSTed entry, validated.
fn entry(value: &Value, ctx: &Ctx<'_>) -> Result<Entry, AtlasError> {
    let fields = value
        .as_object()
        .ok_or_else(|| AtlasError::invalid("entry"))?;
    if let Some(unknown) = fields.keys().find(|k| {
        ![
            "cidrBlock",
            "ipAddress",
            "awsSecurityGroup",
            "comment",
            "deleteAfterDate",
            "groupId",
            "links",
        ]
        .contains(&k.as_str())
    }) {
        return Err(AtlasError::invalid(unknown));
    }
    let text = |name: &str| -> Result<Option<&str>, AtlasError> {
        match fields.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(AtlasError::invalid(name)),
        }
    };
    let (cidr, ip, group) = (
        text("cidrBlock")?,
        text("ipAddress")?,
        text("awsSecurityGroup")?,
    );
    let (cidr_block, aws_security_group) = match (cidr, ip, group) {
        (Some(cidr), None, None) => {
            let net = cidr
                .parse::<IpNet>()
                .map_err(|_| AtlasError::invalid("cidrBlock"))?;
            if net.trunc() != net {
                return Err(AtlasError::invalid_because(
                    "cidrBlock",
                    format!("{cidr} has host bits set; the network is {}", net.trunc()),
                ));
            }
            (Some(net.to_string()), None)
        }
        (None, Some(ip), None) => {
            let ip = ip
                .parse::<IpAddr>()
                .map_err(|_| AtlasError::invalid("ipAddress"))?;
            (Some(IpNet::from(ip).to_string()), None)
        }
        (None, None, Some(group)) if is_security_group(group) => (None, Some(group.to_owned())),
        (None, None, Some(_)) => return Err(AtlasError::invalid("awsSecurityGroup")),
        (None, None, None) => return Err(AtlasError::missing("cidrBlock")),
        _ => {
            return Err(AtlasError::invalid_because(
                "entry",
                "give exactly one of cidrBlock, ipAddress and awsSecurityGroup",
            ));
        }
    };
    let comment = text("comment")?.map(str::to_owned);
    if comment
        .as_ref()
        .is_some_and(|c| c.chars().count() > MAX_COMMENT)
    {
        return Err(AtlasError::invalid_because(
            "comment",
            "at most 80 characters",
        ));
    }
    let delete_after_ms = match text("deleteAfterDate")? {
        None => None,
        Some(date) => {
            let at = DateTime::parse_from_rfc3339(date)
                .map_err(|_| AtlasError::invalid("deleteAfterDate"))?
                .with_timezone(&Utc);
            let at = u64::try_from(at.timestamp_millis()).unwrap_or(0);
            if at <= ctx.now || at > ctx.now.saturating_add(MAX_LIFETIME_MS) {
                return Err(AtlasError::invalid_because(
                    "deleteAfterDate",
                    "must be in the future and at most one week ahead",
                ));
            }
            if aws_security_group.is_some() {
                return Err(AtlasError::invalid_because(
                    "deleteAfterDate",
                    "security group entries cannot be temporary",
                ));
            }
            Some(at)
        }
    };
    Ok(Entry {
        cidr_block,
        aws_security_group,
        comment,
        delete_after_ms,
        pending_until_ms: ctx.now.saturating_add(ctx.transition_ms),
    })
}

pub fn create(project: &mut Project, ctx: &Ctx<'_>, body: &Value) -> Answer {
    let list = body
        .as_array()
        .ok_or_else(|| AtlasError::invalid_because("body", "expected a JSON array of entries"))?;
    // All or nothing: validate the whole batch first.
    let entries = list
        .iter()
        .map(|value| entry(value, ctx))
        .collect::<Result<Vec<_>, _>>()?;
    for entry in entries {
        project.access_list.insert(entry.key().to_owned(), entry);
    }
    Ok((StatusCode::CREATED, Some(listing(project, ctx)?)))
}

pub fn get(project: &mut Project, ctx: &Ctx<'_>, value: &str) -> Answer {
    let key = key_of(value)?;
    let entry = project
        .access_list
        .get(&key)
        .ok_or_else(|| not_found(ctx, value))?;
    Ok((StatusCode::OK, Some(entry.render(ctx))))
}

pub fn delete(project: &mut Project, ctx: &Ctx<'_>, value: &str) -> Answer {
    let key = key_of(value)?;
    project
        .access_list
        .remove(&key)
        .ok_or_else(|| not_found(ctx, value))?;
    Ok((StatusCode::NO_CONTENT, None))
}

pub fn status(project: &mut Project, ctx: &Ctx<'_>, value: &str) -> Answer {
    let key = key_of(value)?;
    let entry = project
        .access_list
        .get(&key)
        .ok_or_else(|| not_found(ctx, value))?;
    let status = if ctx.now < entry.pending_until_ms {
        "PENDING"
    } else {
        "ACTIVE"
    };
    Ok((StatusCode::OK, Some(json!({"STATUS": status}))))
}
