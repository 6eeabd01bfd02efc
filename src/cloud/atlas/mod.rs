//! MongoDB Atlas Administration API v2: Digest authentication, versioned media types, error
//! classification, access-list normalisation, the authenticated HTTP client, and the
//! [`crate::cloud::Provider`] for one project.

pub mod access_list;
pub mod audit;
pub mod backup_schedule;
pub mod client;
pub mod clusters;
pub mod digest;
pub mod errors;
pub mod oauth;
pub mod provider;
pub mod users;
pub mod versions;

pub use provider::AtlasProvider;
