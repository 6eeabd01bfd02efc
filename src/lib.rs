//! mongocloud-operator: managed MongoDB in the cloud as Kubernetes resources.
//!
//! Rooms: `api` (CRD types), `cloud` (the Provider trait and cloud clients), `reconcile` (pure
//! planning), `controllers` (Kubernetes glue), `emulator` (the local cloud), `import` (manifests from an
//! existing account), `shard` (which objects one operator Deployment owns).

pub mod api;
pub mod cloud;
pub mod controllers;
pub mod emulator;
pub mod import;
pub mod leader;
pub mod metrics;
pub mod observer;
pub mod reconcile;
pub mod server;
pub mod shard;
pub mod telemetry;
