#!/usr/bin/env bash
# Runs a command against a fresh local kube-apiserver + etcd (KUBECONFIG exported), and stops
# exactly what it started afterwards, also on failure or Ctrl-C.
#
#   scripts/with-cluster.sh COMMAND [ARGS...]
#
# With MONGOCLOUD_USE_EXISTING_CLUSTER=1 and KUBECONFIG set, the command runs against that
# cluster instead and nothing is started or stopped.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || { echo "usage: $0 COMMAND [ARGS...]" >&2; exit 2; }

if [ "${MONGOCLOUD_USE_EXISTING_CLUSTER:-}" = 1 ]; then
  [ -n "${KUBECONFIG:-}" ] || { echo "with-cluster: MONGOCLOUD_USE_EXISTING_CLUSTER=1 needs KUBECONFIG" >&2; exit 2; }
  exec "$@"
fi

scripts/local-cluster.sh install
dir=$(mktemp -d -t mongocloud-cluster.XXXXXX)
trap 'scripts/local-cluster.sh down "$dir" >/dev/null 2>&1 || true' EXIT
trap 'exit 130' INT TERM
started=$(date +%s%N)
# A start that fails (e.g. a port taken between choosing it and binding it) is tried once more
# in a fresh directory; a second failure stops here instead of running the tests without a cluster.
if ! env=$(scripts/local-cluster.sh up "$dir"); then
  scripts/local-cluster.sh down "$dir" >/dev/null 2>&1 || true
  dir=$(mktemp -d -t mongocloud-cluster.XXXXXX)
  env=$(scripts/local-cluster.sh up "$dir") || { echo "with-cluster: the local API server did not start" >&2; exit 1; }
fi
eval "$env"
echo "with-cluster: API server ready in $(( ($(date +%s%N) - started) / 1000000 )) ms" >&2
export KUBECONFIG
"$@"
