//! Alibaba Cloud ApsaraDB for MongoDB (Dds, 2015-12-01, RPC style): signing, the HTTP client,
//! error classes, and the actions behind each Provider operation.

pub mod accounts;
pub mod client;
pub mod endpoints;
pub mod errors;
pub mod provider;
pub mod retry;
pub mod signature;
pub mod wire;

pub use client::AliyunClient;
