//! Alibaba Cloud ApsaraDB for MongoDB (Dds, 2015-12-01, RPC style).

pub mod signature;
