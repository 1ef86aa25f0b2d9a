#!/usr/bin/env bash
# A private copy of the compose stack on this machine, for the smoke test (tests/integration/compose) or a
# look by hand, with its own project name, ports, volumes and state root, so it never meets
# scripts/service.sh's service or the test stacks:
#
#   scripts/compose-smoke.sh up DIR             base images (scripts/images.sh, cached), DIR/.env (free loopback
#                                               ports unless TE_API_PORT/TE_REGISTRY_PORT/TE_REDIS_PORT are set),
#                                               the project image, `up -d`, every service healthy, the base image
#                                               seeded into the stack's registry, an admin token in DIR/admin.token
#   scripts/compose-smoke.sh compose DIR ARGS   docker-compose ARGS with the stack's project, env file and file
#   scripts/compose-smoke.sh down DIR           `down -v`, the images its runs left on the daemon, DIR itself
#
# Uses Debian's docker-compose (1.29) and /usr/bin/docker; docker compose v2 reads the same file. Kept between
# runs, as caches: the base images and the project image (rebuilt when the sources change; the image it
# replaces is removed). TE_SMOKE_PROJECT names the compose project (default tasks-engine-smoke).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PROJECT=${TE_SMOKE_PROJECT:-tasks-engine-smoke}
DOCKER=/usr/bin/docker
SEED=${TE_BASE_IMAGE:-127.0.0.1:5000/tasks-engine/busybox:latest}

log() { printf '[compose-smoke] %s\n' "$*" >&2; }

compose() { docker-compose --project-name "$PROJECT" --env-file "$DIR/.env" --file "$ROOT/compose.yaml" "$@"; }

value() { sed -n "s/^$1=//p" "$DIR/.env" | tail -n 1; }

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Extra CA certificates this host trusts (a TLS-intercepting proxy's), for pip inside the image build.
extra_ca_certs() {
  local files=()
  shopt -s nullglob
  files=(/usr/local/share/ca-certificates/*.crt /usr/local/share/ca-certificates/*/*.crt)
  shopt -u nullglob
  [ ${#files[@]} -eq 0 ] || cat "${files[@]}"
}

wait_healthy() { # wait_healthy SECONDS SERVICE...: each service's containers running and healthy
  local deadline=$((SECONDS + $1)) service id state bad ids
  shift
  while :; do
    bad=0
    for service in "$@"; do
      ids=$(compose ps -q "$service")
      [ -n "$ids" ] || bad=1
      for id in $ids; do
        state=$("$DOCKER" inspect --format '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}' "$id")
        case $state in "running healthy" | "running ") ;; *) bad=1 ;; esac
      done
    done
    [ "$bad" = 0 ] && return 0
    if [ $SECONDS -ge $deadline ]; then
      log "not healthy in time: $*"; compose ps >&2; compose logs --tail 40 >&2; return 1
    fi
    sleep 1
  done
}

wait_workers() { # wait_workers SECONDS N: the API lists N live workers (a worker's health check is slower)
  local deadline=$((SECONDS + $1)) want=$2 url token
  url="http://127.0.0.1:$(value TE_API_PORT)/v1/workers"
  token=$(cat "$DIR/admin.token")
  until [ "$(curl -fsS -m 3 -H "Authorization: Bearer $token" "$url" 2>/dev/null \
             | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["workers"]))' 2>/dev/null)" = "$want" ]; do
    if [ $SECONDS -ge $deadline ]; then log "$want worker(s) not live in time"; compose logs --tail 40 worker >&2; return 1; fi
    sleep 1
  done
}

cmd_up() {
  mkdir -p "$DIR"
  local images; images=$(bash "$ROOT/scripts/images.sh")
  if [ ! -f "$DIR/.env" ]; then
    # shellcheck disable=SC2046
    env $(printf '%s\n' "$images") TE_IMAGE="$PROJECT/tasks-engine:local" TE_STATE_ROOT="$DIR/state" \
      TE_API_PORT="${TE_API_PORT:-$(free_port)}" TE_REGISTRY_PORT="${TE_REGISTRY_PORT:-$(free_port)}" \
      TE_REDIS_PORT="${TE_REDIS_PORT:-$(free_port)}" TE_RUN_ID_PREFIX=sm TE_WORKER_CONCURRENCY=1 \
      TE_WORKER_QUEUES="${TE_WORKER_QUEUES:-runs}" bash "$ROOT/scripts/compose-env.sh" "$DIR/.env"
  fi
  local image old new
  image=$(value TE_IMAGE)
  old=$("$DOCKER" image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)
  log "building $image"
  TE_EXTRA_CA_CERTS=$(extra_ca_certs) compose build -q api >"$DIR/build.log" 2>&1 \
    || { tail -n 40 "$DIR/build.log" >&2; return 1; }
  new=$("$DOCKER" image inspect --format '{{.Id}}' "$image")
  if [ -n "$old" ] && [ "$old" != "$new" ]; then "$DOCKER" image rm "$old" >/dev/null 2>&1 || true; fi
  log "starting project $PROJECT (API on 127.0.0.1:$(value TE_API_PORT))"
  compose up -d >"$DIR/up.log" 2>&1 || { cat "$DIR/up.log" >&2; return 1; }
  wait_healthy 180 redis registry api
  local seed="127.0.0.1:$(value TE_REGISTRY_PORT)/tasks-engine/busybox:latest"
  "$DOCKER" tag "$SEED" "$seed"
  "$DOCKER" push -q "$seed" >/dev/null
  if [ ! -s "$DIR/admin.token" ]; then
    (umask 077 && compose exec -T api tasks-engine token create --role admin --name smoke-admin >"$DIR/admin.token")
  fi
  wait_workers 120 "$(compose ps -q worker | wc -l)"
  log "ready: $DIR/.env, $DIR/admin.token"
}

cmd_down() {
  [ -f "$DIR/.env" ] || { rm -rf "$DIR"; return 0; }
  compose down -v --remove-orphans >/dev/null 2>&1 || true
  "$DOCKER" rm -f "$PROJECT-git" >/dev/null 2>&1 || true
  # What the stack's runs built and pushed, and the seed's tag: every image named after its registry.
  local registry="127.0.0.1:$(value TE_REGISTRY_PORT)/" refs
  refs=$("$DOCKER" image ls --format '{{.Repository}}:{{.Tag}}' | awk -v p="$registry" 'index($0, p) == 1')
  # shellcheck disable=SC2086
  [ -z "$refs" ] || "$DOCKER" image rm $refs >/dev/null 2>&1 || true
  rm -rf "$DIR"
}

case "${1:-}" in
  up) DIR=${2:?usage: $0 up DIR}; cmd_up ;;
  down) DIR=${2:?usage: $0 down DIR}; cmd_down ;;
  compose) DIR=${2:?usage: $0 compose DIR ARGS...}; shift 2; compose "$@" ;;
  *) echo "usage: $0 up|down|compose DIR [ARGS...]" >&2; exit 2 ;;
esac
