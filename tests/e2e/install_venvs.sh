#!/usr/bin/env bash
# Builds (or reuses) the two virtualenvs the end-to-end test runs, OUTSIDE the repo:
#   server: the pinned server's requirements.txt (211 pins; pycurl builds from source)
#   tools:  moto's server mode, the AWS emulator (its own venv: its boto pins differ from the server's)
# Each is keyed by the hash of what it installs, so a changed pin builds a new one and an
# unchanged one costs nothing. Prints the two venv paths as shell assignments.
set -euo pipefail
server_src="$1"
cache="${E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/model-engine-infra-e2e}"
py="${PYTHON:-python3}"
here="$(cd "$(dirname "$0")" && pwd)"

key() { cat "$@" | { "$py" -c 'import sys; print(sys.version_info[:2])'; cat; } | sha256sum | cut -c1-16; }

build() { # build DIR PIP-ARGS...: marked complete last, so an interrupted build is never reused
  local dir="$1"; shift
  [[ -f "$dir/.complete" ]] && return 0
  # built in place (a venv's scripts carry its path in their shebang, so it cannot be moved)
  rm -rf "$dir" && "$py" -m venv "$dir"
  "$dir/bin/pip" install --quiet --disable-pip-version-check "$@" >&2
  touch "$dir/.complete"
}

mkdir -p "$cache"
server="$cache/server-$(key "$server_src/requirements.txt")"
tools="$cache/tools-$(key "$here/tools-requirements.txt")"
build "$server" -r "$server_src/requirements.txt"
build "$tools" -r "$here/tools-requirements.txt"
echo "E2E_SERVER_VENV=$server"
echo "E2E_TOOLS_VENV=$tools"
