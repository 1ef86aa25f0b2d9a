# Registry notifications: the local registry (127.0.0.1:${REGISTRY_PORT}, scripts/setup.sh start_registry) tells
# the service on this machine (POST http://${TE_API_LISTEN:-127.0.0.1:8080}/v1/webhooks/registry) about every
# manifest push, authenticated by a header token the service reads from the same file
# (service.registryWebhookTokenFile, default <stateRoot>/service/registry-webhook.token, created here 0600).
#
# Idempotent: the registry's config is the one start_registry wrote with this notifications block appended
# (any earlier block replaced); only when that changes is the registry restarted, and only the registry.
# While the service is down the registry keeps undelivered events in memory and retries (distribution's
# RetryingSink); pulls, mounts and deletes and layer pushes are not sent at all.

te_registry_notifications() {
  local service_dir=${TE_SERVICE_DIR:-${TE_STATE_ROOT:-/var/tmp/tasks-engine}/service}
  local token_file="$service_dir/registry-webhook.token" config="$STATE/registry.yml"
  local api=${TE_API_LISTEN:-127.0.0.1:8080}
  [ -f "$config" ] || return 0  # a registry this script did not configure: leave it alone
  mkdir -p "$service_dir" && chmod 700 "$service_dir"
  if [ ! -s "$token_file" ]; then
    (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$token_file")
  fi
  local token want
  token=$(cat "$token_file")
  want=$(mktemp)
  sed '/^notifications:/,$d' "$config" >"$want"
  cat >>"$want" <<YML
notifications:
  endpoints:
    - name: tasks-engine
      url: http://${api}/v1/webhooks/registry
      headers:
        Authorization: [Bearer ${token}]
      timeout: 5s
      threshold: 3
      backoff: 2s
      ignoredmediatypes: [application/octet-stream]
      ignore:
        actions: [pull, mount, delete]
YML
  if cmp -s "$want" "$config"; then rm -f "$want"; return 0; fi
  log "configuring the registry to notify http://${api}/v1/webhooks/registry (restarting the registry)"
  (umask 077 && cat "$want" >"$config") && rm -f "$want"
  local pid
  pid=$(cat "$STATE/registry.pid" 2>/dev/null || true)
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || pid=$(pgrep -f "docker-registry serve $config" | head -n 1 || true)
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  nohup /usr/bin/docker-registry serve "$config" >>"$STATE/registry.log" 2>&1 &
  echo $! >"$STATE/registry.pid"
  wait_for 20 registry registry_up || { tail -n 20 "$STATE/registry.log" >&2; exit 1; }
}

te_registry_notifications
