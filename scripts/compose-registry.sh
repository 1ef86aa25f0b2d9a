#!/bin/sh
# The compose stack's registry (compose.yaml mounts this file read-only and runs it with /bin/sh): writes
# the distribution configuration, with notifications to the API when TE_REGISTRY_WEBHOOK_TOKEN is set, then
# serves it. Works in the official registry:2 image and in the one scripts/images.sh builds (both have sh
# and `registry` on PATH).
#
# Why a generated file: the token the registry sends (`Authorization: Bearer <token>`, the only
# authentication distribution's notifications offer) must come from the environment, not from a committed
# file, and distribution cannot set list-valued keys such as notifications.endpoints from variables.
set -eu
conf=${TMPDIR:-/tmp}/registry-config.yml
umask 077
{
  cat <<YML
version: 0.1
log:
  level: ${TE_REGISTRY_LOG_LEVEL:-warn}  # info would log the endpoint's headers, the token among them
  fields: {service: registry}
storage:
  filesystem: {rootdirectory: /var/lib/registry}
  delete: {enabled: true}
http:
  addr: ":5000"
  headers: {X-Content-Type-Options: [nosniff]}
YML
  if [ -n "${TE_REGISTRY_WEBHOOK_TOKEN:-}" ]; then
    # The API's registry endpoint (docs/triggers.md); pulls never trigger anything, so they are not sent.
    cat <<YML
notifications:
  events: {includereferences: true}
  endpoints:
    - name: tasks-engine
      url: ${TE_REGISTRY_NOTIFY_URL:-http://api:8080/v1/webhooks/registry}
      headers: {Authorization: ["Bearer ${TE_REGISTRY_WEBHOOK_TOKEN}"]}
      timeout: 2s
      threshold: 5
      backoff: 2s
      ignore: {actions: [pull]}
YML
  fi
} >"$conf"
exec registry serve "$conf"
