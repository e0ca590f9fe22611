#!/usr/bin/env bash
# Installs the peers tests and benchmarks compare against into target/bench-peers (npm and
# PyPI), and stamps what it installed so a changed list installs again.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/../../target/bench-peers}"
mkdir -p "$out"
cp "$here/package.json" "$here"/*.mjs "$here"/*.py "$out/"
(cd "$out" && npm install --no-audit --no-fund --silent)
python3 -m venv "$out/venv"
"$out/venv/bin/pip" install --quiet -r "$here/requirements.txt"
cat "$here/requirements.txt" "$here/package.json" > "$out/installed.stamp"
