#!/usr/bin/env bash
# The README's first command (`make demo`): a local API server, the built-in cloud emulator and
# the operator, with examples/ applied; waits until every example is Ready, shows them, and
# tears everything down on Ctrl-C.
#
#   scripts/demo.sh [--use-existing-cluster] [--exit]
#     --use-existing-cluster  use the cluster of $KUBECONFIG instead of starting one
#     --exit                  tear down as soon as everything is Ready (for CI and scripts)
set -euo pipefail
cd "$(dirname "$0")/.."

existing=0; stay=1
for arg in "$@"; do
  case "$arg" in
    --use-existing-cluster) existing=1 ;;
    --exit) stay=0 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "demo: unknown argument $arg" >&2; exit 2 ;;
  esac
done

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
started=$(date +%s)
work=$(mktemp -d -t mongocloud-demo.XXXXXX)
pids=()
cleanup() {
  say "tearing down"
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ "$existing" = 1 ] || scripts/local-cluster.sh down "$work/cluster" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "building the operator"
cargo build --quiet --bin mongocloud-operator
bin=target/debug/mongocloud-operator

if [ "$existing" = 1 ]; then
  [ -n "${KUBECONFIG:-}" ] || { echo "demo: --use-existing-cluster needs KUBECONFIG" >&2; exit 2; }
else
  say "starting a local kube-apiserver + etcd (the first run builds it: ~8 minutes)"
  scripts/local-cluster.sh install
  eval "$(scripts/local-cluster.sh up "$work/cluster")"
fi
export KUBECONFIG

say "starting the cloud emulator"
"$bin" emulator --listen 127.0.0.1:0 --transition-ms 3000 >"$work/emulator.out" 2>"$work/emulator.log" &
pids+=($!)
for _ in $(seq 100); do grep -q '^listening on ' "$work/emulator.out" 2>/dev/null && break; sleep 0.1; done
endpoint=$(sed -n 's/^listening on //p' "$work/emulator.out" | head -n1)
[ -n "$endpoint" ] || { echo "demo: the emulator did not start:" >&2; cat "$work/emulator.log" >&2; exit 1; }
echo "emulator at $endpoint"

say "installing the CRDs"
kubectl apply --server-side -k crds/ >/dev/null
kubectl wait --for=condition=Established crd --all --timeout=60s >/dev/null

say "starting the operator (log: $work/operator.log)"
"$bin" run --health-addr 127.0.0.1:0 --metrics-addr 127.0.0.1:0 --transitional-interval 1s >"$work/operator.log" 2>&1 &
pids+=($!)

say "applying examples/ (ProviderConfig endpoint pointed at the emulator)"
sed "s#endpoint: http://127.0.0.1:9780#endpoint: $endpoint#" examples/providerconfig.yaml | kubectl apply -f - >/dev/null
for f in dbinstance securityiplist auditlogfilter backup databaseuser; do kubectl apply -f "examples/$f.yaml" >/dev/null; done
say "applying examples/atlas/ (the same emulator's Atlas API)"
sed "s#endpoint: http://127.0.0.1:9780#endpoint: $endpoint#" examples/atlas/providerconfig.yaml | kubectl apply -f - >/dev/null
for f in dbinstance backup databaseuser; do kubectl apply -f "examples/atlas/$f.yaml" >/dev/null; done

say "waiting for every resource to be Ready"
deadline=$(( $(date +%s) + 300 ))
while :; do
  kubectl get mongocloud -A 2>/dev/null | sed 's/^/  /'
  not_ready=$(kubectl get mongocloud -A -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | awk '$2!="True"' | wc -l)
  [ "$not_ready" -eq 0 ] && break
  if [ "$(date +%s)" -gt "$deadline" ]; then
    echo "demo: not everything became Ready in 5 minutes; operator log tail:" >&2
    tail -n 40 "$work/operator.log" >&2
    exit 1
  fi
  sleep 3
  echo
done
say "all example resources are Ready after $(( $(date +%s) - started )) s"
kubectl get mongocloud -A
kubectl get secret orders-db-connection -n default -o jsonpath='{.data.connectionString}' | base64 -d; echo
kubectl get secret orders-atlas-connection -n default -o jsonpath='{.data.connectionStringSrv}' | base64 -d; echo

[ "$stay" = 1 ] || exit 0
cat <<EOT

Try:
  export KUBECONFIG=$KUBECONFIG
  kubectl describe dbi orders-db
  kubectl patch dbi orders-db --type merge -p '{"spec":{"forProvider":{"instanceClass":"dds.mongo.large"}}}'
  kubectl get dbi -w
  curl -s $endpoint/_emulator/calls        # cloud calls per action
  curl -s $endpoint/_emulator/atlas/calls  # Atlas calls per operation
Press Ctrl-C to stop and clean up.
EOT
while :; do sleep 3600; done
