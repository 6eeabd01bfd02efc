//! Custom resource types: data only, no I/O. One file per kind.

pub mod auditlogfilter;
pub mod backup;
pub mod common;
pub mod conditions;
pub mod crds;
pub mod databaseuser;
pub mod dbinstance;
pub mod dbinstance_backup;
pub mod dbinstance_changes;
pub mod dbinstance_sharding;
pub mod patterns;
pub mod providerconfig;
pub mod securityiplist;

pub use auditlogfilter::AuditLogFilter;
pub use backup::Backup;
pub use databaseuser::DatabaseUser;
pub use dbinstance::DBInstance;
pub use providerconfig::ProviderConfig;
pub use securityiplist::SecurityIpList;
