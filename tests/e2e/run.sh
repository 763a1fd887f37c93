#!/usr/bin/env bash
# `make e2e`: the pinned server run on the example stacks' derived configuration.
# Needs the server's source at the pinned commit (../shared/reference/model-engine-server, or
# MODEL_ENGINE_SERVER_SOURCE), root (private namespaces), and the Debian packages
# postgresql, redis-server, libcurl4-openssl-dev and build-essential (.ci/run installs them).
# Without them it says so and skips; with E2E_REQUIRED=true (.ci/run sets it) it fails instead.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="$1"
source="${MODEL_ENGINE_SERVER_SOURCE:-$(pwd)/../shared/reference/model-engine-server}"
missing=""
[[ -f "$source/requirements.txt" ]] || missing="no server source at $source (set MODEL_ENGINE_SERVER_SOURCE)"
[[ -z "$missing" && "$(id -u)" != 0 ]] && missing="not root (the e2e test makes private mount and network namespaces)"
[[ -z "$missing" ]] && ! command -v redis-server >/dev/null && missing="no redis-server (Debian package redis-server)"
[[ -z "$missing" ]] && ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 && missing="no PostgreSQL (Debian package postgresql)"
if [[ -n "$missing" ]]; then
  if [[ "${E2E_REQUIRED:-}" == "true" ]]; then echo "error: the e2e test must run: $missing" >&2; exit 1; fi
  echo "e2e skipped: $missing"; exit 0
fi
start=$(date +%s)
eval "$(tests/e2e/install_venvs.sh "$source")"
echo "e2e: virtualenvs ready in $(( $(date +%s) - start ))s"
export E2E_SERVER_VENV E2E_TOOLS_VENV E2E_SERVER_IMAGE MODEL_ENGINE_SERVER_SOURCE="$source"
"$bin/pytest" -m e2e tests/e2e
