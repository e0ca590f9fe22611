#!/usr/bin/env bash
# Installs the peer clients of the SSE benchmark into target/bench-peers (npm and PyPI).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/../../target/bench-peers}"
mkdir -p "$out"
cp "$here/package.json" "$here/node_eventsource.mjs" "$here/python_httpx_sse.py" "$here/better_sse_server.mjs" "$out/"
(cd "$out" && npm install --no-audit --no-fund --silent)
python3 -m venv "$out/venv"
"$out/venv/bin/pip" install --quiet -r "$here/requirements.txt"
