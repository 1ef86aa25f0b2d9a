#!/usr/bin/env bash
# The Tasks Engine service on this machine, bound to loopback:
#   ./scripts/service.sh start    install what is missing, start Redis (AOF), the registry (notifying the API of
#                                 pushes), the API on 127.0.0.1:8080, two workers and beat (timers, cascades);
#                                 idempotent (a running component is left alone, a dead one is started again,
#                                 stale pid files are ignored)
#   ./scripts/service.sh stop     stop the API, the workers and beat (Redis, the registry and Docker are shared
#                                 with the test suite and the demo, and keep running)
#   ./scripts/service.sh status   one line per component: NAME PID running|stopped
#   ./scripts/service.sh env      export lines for the CLI: TASKS_ENGINE_SERVER and TASKS_ENGINE_TOKEN (admin)
# Every component runs in its own process group; logs and pid files live in $TE_SERVICE_DIR
# (default /var/tmp/tasks-engine/service).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
STATE_ROOT=${TE_STATE_ROOT:-/var/tmp/tasks-engine}
SERVICE_DIR=${TE_SERVICE_DIR:-$STATE_ROOT/service}
API_LISTEN=${TE_API_LISTEN:-127.0.0.1:8080}
REDIS_PORT=${TE_REDIS_PORT:-6379}
REGISTRY_PORT=${TE_REGISTRY_PORT:-5000}
DEV_STATE=${TE_STATE_DIR:-/var/tmp/tasks-engine-dev}
PY="$ROOT/.venv/bin/python"
CELERY="$ROOT/.venv/bin/celery"
WORKERS=(worker1 worker2)

log() { printf '[service] %s\n' "$*" >&2; }

pid_of() { cat "$SERVICE_DIR/$1.pid" 2>/dev/null || true; }
alive() { local pid; pid=$(pid_of "$1"); [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }

write_config() {
  mkdir -p "$SERVICE_DIR"
  chmod 700 "$SERVICE_DIR"
  if [ ! -s "$SERVICE_DIR/encryption.key" ]; then
    log "creating the server encryption key"
    (umask 077 && "$PY" -c 'from tasks_engine.store import new_key; print(new_key())' >"$SERVICE_DIR/encryption.key")
  fi
  cat >"$SERVICE_DIR/config.yaml" <<YML
# Written by scripts/service.sh; TASKS_ENGINE_* environment variables override these keys.
stateRoot: $STATE_ROOT
imageAliases: {bash: 127.0.0.1:${REGISTRY_PORT}/tasks-engine/busybox:latest}
service:
  redisUrl: redis://127.0.0.1:${REDIS_PORT}/0
  apiListen: ${API_LISTEN}
  apiUrl: http://${API_LISTEN}
  encryptionKeyFile: $SERVICE_DIR/encryption.key
  adminTokenFile: $SERVICE_DIR/admin.token
  # the token the local registry's notifications send (scripts/setup.d/registry-notifications.sh writes both)
  registryWebhookTokenFile: $SERVICE_DIR/registry-webhook.token
YML
}

export_env() {
  export TASKS_ENGINE_CONFIG="$SERVICE_DIR/config.yaml"
}

ensure_admin_token() {
  if [ -s "$SERVICE_DIR/admin.token" ] && "$PY" - "$SERVICE_DIR/admin.token" <<'PY'
import sys
from tasks_engine.config import load_settings
from tasks_engine.store import open_store
token = open(sys.argv[1]).read().strip()
sys.exit(0 if open_store(load_settings().service, with_secrets=False).lookup_token(token, touch=False) else 1)
PY
  then
    return
  fi
  log "creating the admin token ($SERVICE_DIR/admin.token)"
  local name="admin-$(date -u +%Y%m%d%H%M%S)"
  # Straight into the store (the bootstrap), even if the caller's shell points the CLI at a server.
  (umask 077 && env -u TASKS_ENGINE_SERVER -u TASKS_ENGINE_TOKEN "$ROOT/.venv/bin/tasks-engine" token create \
    --role admin --name "$name" >"$SERVICE_DIR/admin.token")
}

# start_component NAME COMMAND...: a new process group (setsid), output to NAME.log, pid to NAME.pid.
start_component() {
  local name=$1; shift
  if alive "$name"; then return; fi
  rm -f "$SERVICE_DIR/$name.pid"
  log "starting $name"
  setsid "$@" >>"$SERVICE_DIR/$name.log" 2>&1 < /dev/null &
  echo $! >"$SERVICE_DIR/$name.pid"
}

api_up() { curl -fsS -m 2 "http://${API_LISTEN}/readyz" >/dev/null 2>&1; }

wait_api() {
  for _ in $(seq 150); do api_up && return 0; alive api || break; sleep 0.2; done
  log "the API did not come up; last lines of $SERVICE_DIR/api.log:"; tail -n 30 "$SERVICE_DIR/api.log" >&2; return 1
}

wait_worker() {
  local name=$1
  for _ in $(seq 150); do
    grep -q "$name@.* ready\." "$SERVICE_DIR/$name.log" 2>/dev/null && return 0
    alive "$name" || break
    sleep 0.2
  done
  log "$name did not come up; last lines of $SERVICE_DIR/$name.log:"; tail -n 30 "$SERVICE_DIR/$name.log" >&2; return 1
}

cmd_start() {
  bash "$ROOT/scripts/setup.sh"
  write_config
  export_env
  ensure_admin_token
  start_component api "$PY" -m tasks_engine.server
  for w in "${WORKERS[@]}"; do
    if ! alive "$w"; then : >"$SERVICE_DIR/$w.log"; fi
    start_component "$w" "$CELERY" -A workers.app worker -n "$w@%h" -l info
  done
  start_component beat "$CELERY" -A workers.app beat -l info -s "$SERVICE_DIR/beat-schedule" \
    --pidfile "$SERVICE_DIR/beat-celery.pid"
  wait_api
  for w in "${WORKERS[@]}"; do wait_worker "$w"; done
  log "running: API http://${API_LISTEN}, ${#WORKERS[@]} workers, beat (logs in $SERVICE_DIR)"
  log "next: eval \"\$(./scripts/service.sh env)\" && .venv/bin/tasks-engine build -t app:{{.Run.ID}} --registry 127.0.0.1:${REGISTRY_PORT} ."
}

stop_component() {
  local name=$1 pid
  pid=$(pid_of "$name")
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    log "stopping $name"
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    # A worker finishing a long run is killed after 30 s; the reaper hands that run to another attempt.
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$SERVICE_DIR/$name.pid"
}

cmd_stop() {
  stop_component beat
  for w in "${WORKERS[@]}"; do stop_component "$w"; done
  stop_component api
  rm -f "$SERVICE_DIR/beat-celery.pid"
  log "stopped (Redis, the registry and Docker keep running: scripts/setup.sh's shared services)"
}

status_line() { # NAME PID-OR-EMPTY
  if [ -n "$2" ] && kill -0 "$2" 2>/dev/null; then echo "$1 $2 running"; else echo "$1 ${2:--} stopped"; fi
}

live_pid() { # PIDFILE PGREP-PATTERN: the pid file's pid when alive, else the first process matching the pattern
  local pid
  pid=$(cat "$1" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then echo "$pid"; return; fi
  pgrep -f "$2" | head -n 1 || true
}

cmd_status() {
  status_line redis "$(live_pid "$DEV_STATE/redis.pid" "redis-server .*:${REDIS_PORT}")"
  status_line registry "$(live_pid "$DEV_STATE/registry.pid" "docker-registry serve")"
  status_line api "$(pid_of api)"
  for w in "${WORKERS[@]}"; do status_line "$w" "$(pid_of "$w")"; done
  status_line beat "$(pid_of beat)"
}

cmd_env() {
  if [ ! -s "$SERVICE_DIR/admin.token" ]; then
    log "no admin token yet: run ./scripts/service.sh start first"; exit 1
  fi
  echo "export TASKS_ENGINE_SERVER=http://${API_LISTEN}"
  echo "export TASKS_ENGINE_TOKEN=$(cat "$SERVICE_DIR/admin.token")"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) cmd_env ;;
  *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
