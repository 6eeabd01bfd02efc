//! The README's first command, as a new user runs it: `scripts/demo.sh --exit` starts its own
//! API server, emulator and operator, applies examples/, and must end with every example Ready
//! and everything it started stopped.

use std::process::Command;

#[test]
fn demo_ends_with_every_example_ready() {
    let required = std::env::var_os("MONGOCLOUD_REQUIRE_CLUSTER").is_some();
    if !required && std::env::var_os("KUBECONFIG").is_none() {
        println!("SKIP demo: run through `make test` (it installs the local API server)");
        return;
    }
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new("timeout")
        .args(["300", &format!("{root}/scripts/demo.sh"), "--exit"])
        .env_remove("KUBECONFIG")
        .output()
        .expect("demo runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("all example resources are Ready"),
        "demo failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    assert!(stdout.contains("tearing down"), "{stdout}");
    let last = stdout
        .split("all example resources are Ready")
        .nth(1)
        .unwrap_or_default();
    assert!(
        last.contains("True") && !last.contains("False"),
        "the final listing shows a resource not Ready or not Synced:\n{last}"
    );
}
