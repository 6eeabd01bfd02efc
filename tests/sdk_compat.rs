//! Runs the official Alibaba Cloud Python SDKs against the emulator (tests/compat), from the
//! venv `scripts/compat-venv.sh` makes. A missing venv fails under `make test`/CI, never skips
//! silently.

use std::path::Path;
use std::process::Command;

#[test]
fn official_python_sdks_drive_a_full_life_cycle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = root.join(".venv/compat/bin/python");
    if !python.exists() {
        let required = std::env::var("CI").is_ok_and(|v| v == "true")
            || std::env::var_os("MONGOCLOUD_REQUIRE_CLUSTER").is_some();
        assert!(
            !required,
            "no SDK venv at {}: run scripts/compat-venv.sh (make test does)",
            python.display()
        );
        println!(
            "SKIP official_python_sdks_drive_a_full_life_cycle: run scripts/compat-venv.sh first"
        );
        return;
    }
    let out = Command::new(python)
        .arg(root.join("tests/compat/test_dds_sdks.py"))
        .arg(env!("CARGO_BIN_EXE_mongocloud-operator"))
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "SDK compatibility failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("18 passed, 0 failed"), "{stdout}");
}
