#!/usr/bin/env bash
# Write the .env file compose.yaml reads, idempotently:
#   scripts/compose-env.sh [ENV_FILE]      (default: .env beside compose.yaml)
# The keys are .env.example's. For each: the value ENV_FILE already has is kept; otherwise a value set in this
# script's environment is taken (TE_API_PORT=18080 scripts/compose-env.sh); otherwise the secrets
# (TE_ENCRYPTION_KEY, TE_REDIS_PASSWORD, TE_REGISTRY_WEBHOOK_TOKEN) are generated and TE_DOCKER_GID is the
# group of /var/run/docker.sock; otherwise .env.example's default. The file is written 0600. TE_STATE_ROOT is
# created (if missing) owned by the image's uid/gid 10001, mode 0750, so non-root workers can write run
# folders the Docker daemon then bind-mounts.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$ROOT/.env}
EXAMPLE=$ROOT/.env.example
IMAGE_UID=10001

log() { printf '[compose-env] %s\n' "$*" >&2; }

declare -A have=()
if [ -f "$OUT" ]; then
  while IFS= read -r line; do
    [[ $line =~ ^([A-Z0-9_]+)=(.*)$ ]] && have[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]}
  done <"$OUT"
fi

generate() { # generate KEY: a fresh secret, or a fact of this host
  case $1 in
    TE_ENCRYPTION_KEY) python3 -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())' ;;
    TE_REDIS_PASSWORD | TE_REGISTRY_WEBHOOK_TOKEN) python3 -c 'import secrets; print(secrets.token_hex(24))' ;;
    TE_DOCKER_GID) stat -c %g /var/run/docker.sock 2>/dev/null || { log "no /var/run/docker.sock"; echo ""; } ;;
    *) echo "" ;;
  esac
}

tmp=$(mktemp "$OUT.XXXXXX")
trap 'rm -f "$tmp"' EXIT
chmod 600 "$tmp"
{
  echo "# Written by scripts/compose-env.sh from .env.example; holds secrets: never commit it."
  while IFS= read -r line; do
    [[ $line =~ ^([A-Z0-9_]+)=(.*)$ ]] || continue
    key=${BASH_REMATCH[1]} default=${BASH_REMATCH[2]}
    if [ -n "${have[$key]:-}" ]; then value=${have[$key]}
    elif [ -n "${!key:-}" ]; then value=${!key}
    else
      value=$(generate "$key")
      [ -n "$value" ] || value=$default
    fi
    printf '%s=%s\n' "$key" "$value"
  done <"$EXAMPLE"
  # COMPOSE_PROJECT_NAME and other keys the file had beyond .env.example's are kept.
  for key in "${!have[@]}"; do
    grep -q "^$key=" "$EXAMPLE" || printf '%s=%s\n' "$key" "${have[$key]}"
  done
} >"$tmp"
mv "$tmp" "$OUT"
trap - EXIT

state_root=$(sed -n 's/^TE_STATE_ROOT=//p' "$OUT")
if [ ! -d "$state_root" ]; then
  log "creating $state_root (owner $IMAGE_UID, mode 0750)"
  install -d -o "$IMAGE_UID" -g "$IMAGE_UID" -m 0750 "$state_root"
elif [ "$(stat -c %u "$state_root")" != "$IMAGE_UID" ]; then
  log "warning: $state_root is not owned by uid $IMAGE_UID: non-root workers cannot create run folders there"
fi
log "wrote $OUT"
