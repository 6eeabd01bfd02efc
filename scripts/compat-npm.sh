#!/usr/bin/env bash
# compat-npm.sh: installs the community Atlas client `mongodb-atlas-api-client` (pinned, Digest
# auth) into the project's .tools/ once, for tests/compat/atlas_client.mjs, and prints the
# node_modules directory. Needs Node.js and npm.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=.tools/npm-compat
VERSION=4.19.0
PKG=$DIR/node_modules/mongodb-atlas-api-client/package.json
if [ ! -f "$PKG" ] || ! grep -q "\"version\": \"$VERSION\"" "$PKG"; then
  command -v npm >/dev/null || { echo "compat-npm.sh: npm is required" >&2; exit 1; }
  mkdir -p "$DIR"
  npm install --prefix "$DIR" --no-audit --no-fund --silent "mongodb-atlas-api-client@$VERSION" >&2
fi
[ -f "$PKG" ] || { echo "compat-npm.sh: $PKG missing after install" >&2; exit 1; }
echo "$PWD/$DIR/node_modules"
