#!/usr/bin/env bash
# The project's test command (`make test`): installs what the suites need on a fresh machine
# (Debian packages, a cached kube-apiserver build, a Python venv with the official cloud SDKs,
# helm in .tools/), then runs every test — unit, integration, end to end against a real local
# API server.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v cargo >/dev/null || { echo "test: cargo is required (https://rustup.rs)" >&2; exit 1; }

started=$(date +%s)
scripts/local-cluster.sh install
scripts/compat-venv.sh
scripts/helm.sh >/dev/null
scripts/compat-npm.sh >/dev/null
cargo build --all-targets
# End-to-end tests need the cluster; without one they fail (never skip silently).
export MONGOCLOUD_REQUIRE_CLUSTER=1
scripts/with-cluster.sh cargo test --lib --bins --tests --no-fail-fast
echo "test: all suites passed in $(( $(date +%s) - started )) s"
