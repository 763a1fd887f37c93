#!/usr/bin/env bash
# Keeps a fresh GitHub OIDC token (audience api://AzureADTokenExchange) in $1 for the whole job.
#
# `az` keeps the assertion azure/login gave it and cannot get another (Azure/azure-cli#28708):
# GitHub's token expires minutes later, so anything signing in through `az` after that fails
# with AADSTS700024. Workload identity clients (kubelogin -l workloadidentity, the Azure SDKs'
# DefaultAzureCredential) read AZURE_FEDERATED_TOKEN_FILE instead, so this writes a new token
# there now, then every REFRESH_SECONDS in the background (GitHub's tokens last 5 minutes).
# The token is never printed: it goes from curl through jq into the file only.
set -euo pipefail

file=$1
interval=${REFRESH_SECONDS:-240}
: "${ACTIONS_ID_TOKEN_REQUEST_URL:?the job needs permissions: id-token: write}"
: "${ACTIONS_ID_TOKEN_REQUEST_TOKEN:?the job needs permissions: id-token: write}"

fetch() {
  local token
  token=$(curl -sS --fail --max-time 30 \
    -H "Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN" \
    "$ACTIONS_ID_TOKEN_REQUEST_URL&audience=api://AzureADTokenExchange" | jq -r .value) || return 1
  [[ -n $token && $token != null ]] || return 1
  # Atomic: a reader sees the old token or the new one, never half a file.
  (umask 077 && printf '%s' "$token" > "$file.new")
  mv -f "$file.new" "$file"
}

fetch || { echo "could not get a GitHub OIDC token for Azure" >&2; exit 1; }
# On a failed refresh the previous token stays (still valid for a minute); the next try
# comes sooner. No output: the loop outlives this step, and its streams must not hold it open.
(
  while sleep "$interval"; do
    fetch || { sleep 20 && fetch; } || true
  done
) </dev/null >/dev/null 2>&1 &
disown
