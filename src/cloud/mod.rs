//! Cloud access: the Provider trait, error classes, retries and rate limits; one module per cloud.

pub mod aliyun;
