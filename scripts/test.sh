#!/usr/bin/env bash
# The project's test command (`make test`): installs what the suites need on a fresh machine
# (Debian packages and a cached kube-apiserver build), then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v cargo >/dev/null || { echo "test: cargo is required (https://rustup.rs)" >&2; exit 1; }

scripts/local-cluster.sh install
cargo build --all-targets
cargo test --all-targets --no-fail-fast
