//! MongoDB Atlas Administration API v2: the pure parts of its client — Digest authentication,
//! versioned media types, error classification and access-list normalisation. The HTTP client,
//! the `Provider` implementation and the emulator come next; until then ProviderConfig accepts
//! only `Aliyun`.

pub mod access_list;
pub mod digest;
pub mod errors;
pub mod versions;
