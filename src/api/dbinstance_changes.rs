//! DBInstance settings that change in place with their own cloud action (beyond class and
//! storage): data only. Which field changes how, per cloud, is `reconcile::dbinstance_inplace`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Transparent data encryption of a Dds instance. The cloud turns it on (ModifyDBInstanceTDE)
/// but never off, so `Disabled` on an instance that has it is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum TdeMode {
    Enabled,
    Disabled,
}
