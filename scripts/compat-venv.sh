#!/usr/bin/env bash
# Creates .venv/compat with the official Alibaba Cloud Python SDKs that the emulator's
# compatibility test drives. Idempotent: a venv with the pinned versions is reused.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv/compat
pins=(aliyun-python-sdk-core==2.16.1 aliyun-python-sdk-dds==3.7.26 alibabacloud-dds20151201==9.5.0)
stamp="$venv/.pins"
if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "${pins[*]}" ]; then
  exit 0
fi
command -v python3 >/dev/null || { echo "compat-venv: python3 is required" >&2; exit 1; }
python3 -m venv "$venv" || { echo "compat-venv: python3 -m venv failed (Debian: apt-get install python3-venv)" >&2; exit 1; }
"$venv/bin/pip" install --quiet --disable-pip-version-check "${pins[@]}"
echo "${pins[*]}" > "$stamp"
echo "compat-venv: installed ${pins[*]}" >&2
