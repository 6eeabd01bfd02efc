//! MongoDB Atlas Administration API v2: Digest authentication, versioned media types, error
//! classification, access-list normalisation and the authenticated HTTP client. The `Provider`
//! implementation and the emulator come next; until then ProviderConfig accepts only `Aliyun`.

pub mod access_list;
pub mod client;
pub mod digest;
pub mod errors;
pub mod versions;
