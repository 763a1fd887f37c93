#!/usr/bin/env bash
# Builds (or reuses) what the end-to-end test runs, OUTSIDE the repo:
#   server: a virtualenv with the pinned server's requirements.txt (pycurl builds from source)
#   image:  the server's source as the image holds it, byte-compiled once (four gunicorn
#           workers compiling it at once on two busy cores took minutes)
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
image="$cache/image-$(tar -C "$server_src" --sort=name --mtime=@0 --owner=0 --group=0 -cf - model_engine_server | key /dev/stdin)"
if [[ ! -f "$image/.complete" ]]; then
  rm -rf "$image" && mkdir -p "$image"
  cp -r "$server_src/." "$image/"
  "$server/bin/python" -m compileall -q "$image/model_engine_server" >&2
  touch "$image/.complete"
fi
build "$tools" -r "$here/tools-requirements.txt"
echo "E2E_SERVER_VENV=$server"
echo "E2E_TOOLS_VENV=$tools"
echo "E2E_SERVER_IMAGE=$image"
