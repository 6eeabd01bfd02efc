//! An instance held by the observer, packed into one byte buffer. An [`Instance`] is some twenty
//! separately allocated strings behind a 500-byte struct; packed it is one allocation of a few
//! hundred bytes, which at 10,000 instances is the difference of over ten megabytes. Reconciles
//! unpack the one they ask about.

use crate::cloud::Instance;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packed(Box<[u8]>);

impl Packed {
    /// Equal instances pack to equal bytes (fields in declaration order, tags sorted), so two
    /// packed reads can be compared without unpacking.
    pub fn new(instance: &Instance) -> Result<Self, postcard::Error> {
        postcard::to_allocvec(instance).map(|bytes| Packed(bytes.into_boxed_slice()))
    }

    pub fn unpack(&self) -> Result<Instance, postcard::Error> {
        postcard::from_bytes(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::{InstanceEndpoint, Tags};

    fn full() -> Instance {
        Instance {
            id: "dds-bp1f0e6c83a5d2b44".into(),
            status: "Running".into(),
            region: "cn-hangzhou".into(),
            zone: Some("cn-hangzhou-h".into()),
            description: Some("orders".into()),
            instance_class: Some("dds.mongo.mid".into()),
            storage_gb: Some(20),
            engine_version: Some("6.0".into()),
            kernel_version: Some("mongodb_20240418_6.0.15".into()),
            storage_engine: Some("WiredTiger".into()),
            storage_type: Some("cloud_essd1".into()),
            replication_factor: Some(3),
            readonly_replicas: Some(0),
            replica_set_name: Some("mgset-1234".into()),
            endpoints: vec![InstanceEndpoint {
                role: "Primary".into(),
                host: "dds-bp1f0e6c83a5d2b44-pub.mongodb.rds.aliyuncs.com".into(),
                port: 3717,
            }],
            lock_mode: Some("Unlock".into()),
            maintain_start: Some("18:00Z".into()),
            maintain_end: Some("22:00Z".into()),
            charge_type: Some("PostPaid".into()),
            expire_time: None,
            vpc_id: Some("vpc-1".into()),
            vswitch_id: Some("vsw-1".into()),
            resource_group_id: None,
            deletion_protection: Some(true),
            tags: Tags::from_iter([
                (
                    "mongocloud-uid".into(),
                    "0c5f7e0e-2b8e-4a43-9d41-6b1c1f0e8a27".into(),
                ),
                ("team".into(), "orders".into()),
            ]),
            connection_string: None,
            connection_string_srv: Some("mongodb+srv://orders.example".into()),
            cloud_provider: Some("GCP".into()),
            backup_enabled: Some(true),
            tde_enabled: Some(false),
            srv_allocated: Some(true),
            auto_scaling: Some(crate::cloud::AutoScaling {
                compute_enabled: true,
                max_instance_size: Some("M40".into()),
                ..Default::default()
            }),
            public_endpoints: vec![InstanceEndpoint {
                role: "Primary".into(),
                host: "dds-bp1f0e6c83a5d2b441-pub.mongodb.rds.aliyuncs.com".into(),
                port: 3717,
            }],
            parameters: Some(crate::cloud::InstanceParameters {
                config: [("operationProfiling.mode".to_owned(), "slowOp".to_owned())].into(),
                pending_restart: vec!["net.serviceExecutor".to_owned()],
            }),
            sharded: true,
            topology: Some(crate::cloud::Topology {
                mongos: vec![crate::cloud::ClusterNode {
                    id: "s-bp1".into(),
                    class: Some("dds.mongos.mid".into()),
                    storage_gb: None,
                }],
                ..Default::default()
            }),
        }
    }

    #[test]
    fn an_instance_unpacks_to_what_was_packed() {
        for instance in [full(), Instance::default()] {
            let packed = Packed::new(&instance).expect("pack");
            assert_eq!(packed.unpack().expect("unpack"), instance);
        }
    }

    #[test]
    fn packed_bytes_are_equal_exactly_when_instances_are() {
        let a = Packed::new(&full()).expect("pack");
        assert_eq!(a, Packed::new(&full()).expect("pack"));
        let mut moved = full();
        moved.status = "DBInstanceClassChanging".into();
        assert_ne!(a, Packed::new(&moved).expect("pack"));
        let mut retagged = full();
        retagged.tags.insert("team".into(), "billing".into());
        assert_ne!(a, Packed::new(&retagged).expect("pack"));
    }

    #[test]
    fn packing_is_a_fraction_of_the_instance_it_holds() {
        let packed = Packed::new(&full()).expect("pack");
        assert!(
            packed.0.len() < std::mem::size_of::<Instance>(),
            "{} bytes packed, {} inline unpacked",
            packed.0.len(),
            std::mem::size_of::<Instance>()
        );
    }
}
