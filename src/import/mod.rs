//! `mongocloud-operator import`: brings an existing account (Atlas: project) under management.
//!
//! Three steps, each in its own file: [`collect`] reads the account through the same
//! [`Provider`](crate::cloud::Provider) the operator builds from the ProviderConfig (reads
//! only, batched as the observer batches); [`render`] turns what was read into manifests
//! (pure); this file writes them and the progress report. Applying the output makes no cloud
//! write: every field the planners compare holds the cloud's value, `deletionPolicy` is
//! `Orphan` and `managementPolicies` is `["Observe"]` unless asked otherwise.

pub mod collect;
pub mod names;
pub mod render;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::api::common::ManagementPolicy;
use crate::cloud::{self, CallObserver, Cloud, CloudError};
use crate::controllers::{self, ProviderFactory};
use crate::reconcile::policy::Policies;
pub use render::{Object, Rendered, Settings};

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("--management-policies {0}")]
    Policies(String),
    #[error(
        "ProviderConfig {0} is an Aliyun account without regionId: give --region (e.g. cn-hangzhou)"
    )]
    NoRegion(String),
    #[error("cannot use the ProviderConfig")]
    ProviderConfig(#[source] controllers::Error),
    #[error("cannot read the account")]
    Cloud(#[from] CloudError),
    #[error("cannot write {}", .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot render {kind} {name} as YAML")]
    Yaml {
        kind: &'static str,
        name: String,
        #[source]
        source: serde_yaml::Error,
    },
}

/// What to import and how the manifests are managed.
#[derive(Clone, Debug)]
pub struct Options {
    pub provider_config: String,
    /// Aliyun: the region to list (default: the ProviderConfig's); Atlas: only clusters in it.
    pub region: Option<String>,
    pub namespace: String,
    pub management_policies: Vec<ManagementPolicy>,
    /// Requests per second when the ProviderConfig sets none (Aliyun).
    pub rate_limit: u32,
}

/// Reads `--management-policies` values as the API's verbs and checks the list with the
/// controllers' own rule, so import never writes a list the operator would refuse.
pub fn parse_policies(policies: &[String]) -> Result<Vec<ManagementPolicy>, ImportError> {
    let list = policies
        .iter()
        .map(|p| {
            serde_json::from_value(serde_json::Value::String(p.clone())).map_err(|_| {
                ImportError::Policies(format!(
                    "{p:?} is not one of *, Observe, Create, Update, Delete, LateInitialize"
                ))
            })
        })
        .collect::<Result<Vec<ManagementPolicy>, _>>()?;
    Policies::parse(&list).map_err(|invalid| ImportError::Policies(invalid.message))?;
    Ok(list)
}

/// Reads the account and renders it; the progress report is written to `progress`.
pub async fn run(
    client: &kube::Client,
    options: &Options,
    progress: &mut impl std::io::Write,
) -> Result<Rendered, ImportError> {
    let rate = options.rate_limit;
    let factory: ProviderFactory = Arc::new(move |mut settings: cloud::AccountSettings| {
        if settings.requests_per_second == 0 && settings.cloud == Cloud::Aliyun {
            settings.requests_per_second = rate;
        }
        cloud::connect(settings, Arc::new(Quiet))
    });
    let (provider, settings) =
        controllers::providerconfig::connect(client, &options.provider_config, &factory)
            .await
            .map_err(ImportError::ProviderConfig)?;
    let region = match (settings.cloud, &options.region, &settings.region) {
        (_, Some(region), _) => region.clone(),
        (Cloud::Aliyun, None, Some(region)) => region.clone(),
        (Cloud::Aliyun, None, None) => {
            return Err(ImportError::NoRegion(options.provider_config.clone()));
        }
        (Cloud::Atlas, None, _) => String::new(),
    };
    let (account, tally) = collect::collect(provider.as_ref(), &region).await?;
    let rendered = render::render(
        &account,
        &Settings {
            namespace: options.namespace.clone(),
            provider_config: options.provider_config.clone(),
            management_policies: options.management_policies.clone(),
        },
    );
    let report = report(&account, &tally, &rendered);
    progress
        .write_all(report.as_bytes())
        .map_err(|source| ImportError::Write {
            path: PathBuf::from("stderr"),
            source,
        })?;
    Ok(rendered)
}

/// Cloud calls are not counted for metrics outside the operator.
struct Quiet;

impl CallObserver for Quiet {
    fn cloud_call(&self, _action: &'static str, _outcome: &'static str) {}
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The progress report: what was listed with which calls, what was skipped and why.
pub fn report(account: &collect::Account, tally: &collect::Tally, r: &Rendered) -> String {
    let mut out = String::new();
    let managed: Vec<&str> = r.managed.iter().map(|s| s.what.as_str()).collect();
    let _ = write!(
        out,
        "listed {} in {}, {} of attributes",
        plural(account.instances.len(), "instance", "instances"),
        plural(tally.pages as usize, "page", "pages"),
        plural(tally.batches as usize, "batch", "batches"),
    );
    if !managed.is_empty() {
        let _ = write!(
            out,
            "; skipped {} managed: {}",
            managed.len(),
            managed.join(", ")
        );
    }
    let _ = writeln!(
        out,
        " ({} of one instance or project)",
        plural(tally.single_reads as usize, "read", "reads")
    );
    for what in &account.unread {
        let _ = writeln!(out, "not read: {what}");
    }
    for s in &r.skipped {
        let _ = writeln!(out, "not imported: {}: {}", s.what, s.why);
    }
    for note in &r.notes {
        let _ = writeln!(out, "note: {note}");
    }
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for o in &r.objects {
        *kinds.entry(o.kind).or_default() += 1;
    }
    let counts: Vec<String> = kinds.iter().map(|(k, n)| format!("{n} {k}")).collect();
    let _ = writeln!(
        out,
        "wrote {}{}",
        plural(r.objects.len(), "object", "objects"),
        if counts.is_empty() {
            String::new()
        } else {
            format!(": {}", counts.join(", "))
        }
    );
    out
}

/// One YAML stream, documents separated by `---`.
pub fn to_yaml(objects: &[Object]) -> Result<String, ImportError> {
    let mut out = String::new();
    for o in objects {
        out.push_str("---\n");
        out.push_str(&yaml(o)?);
    }
    Ok(out)
}

fn yaml(o: &Object) -> Result<String, ImportError> {
    serde_yaml::to_string(&o.body).map_err(|source| ImportError::Yaml {
        kind: o.kind,
        name: o.name.clone(),
        source,
    })
}

/// One file per object, `<kind>-<name>.yaml` (kind in lower case); returns the paths written.
pub fn write_files(dir: &Path, objects: &[Object]) -> Result<Vec<PathBuf>, ImportError> {
    std::fs::create_dir_all(dir).map_err(|source| ImportError::Write {
        path: dir.to_owned(),
        source,
    })?;
    let mut written = Vec::with_capacity(objects.len());
    for o in objects {
        let path = dir.join(format!("{}-{}.yaml", o.kind.to_ascii_lowercase(), o.name));
        std::fs::write(&path, yaml(o)?).map_err(|source| ImportError::Write {
            path: path.clone(),
            source,
        })?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policies(p: &[&str]) -> Vec<String> {
        p.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn management_policies_are_the_apis_verbs_under_the_controllers_rule() {
        let cases: [(&[&str], bool); 8] = [
            (&["Observe"], true),
            (&["*"], true),
            (&["Observe", "Update", "LateInitialize"], true),
            (&[], false),
            (&["observe"], false),
            (&["Observe", "Observe"], false),
            (&["*", "Observe"], false),
            (&["Create", "Update"], false),
        ];
        for (given, ok) in cases {
            assert_eq!(parse_policies(&policies(given)).is_ok(), ok, "{given:?}");
        }
    }
}
