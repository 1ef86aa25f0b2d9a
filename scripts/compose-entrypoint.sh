#!/bin/sh
# The project image's entrypoint (installed as /usr/local/bin/tasks-engine-entrypoint): writes the
# configuration file the processes read, then runs the command (the API, a worker or beat).
#
# Why: the engine's stateRoot is a key of the configuration file, not an environment variable, and it must
# be the very path the host's Docker daemon sees (workers bind-mount run folders from it into step
# containers). compose.yaml passes that path once, as TE_STATE_ROOT, and mounts it at the same path; this
# merges it into the operator's own file (TE_CONFIG_FILE, default /etc/tasks-engine/config.yaml, optional,
# read-only) and refuses a file whose stateRoot says otherwise. Every service setting can also come from
# TASKS_ENGINE_* variables (docs/configuration.md), which win over the file.
set -eu
if [ -n "${TE_STATE_ROOT:-}" ] && [ -z "${TASKS_ENGINE_CONFIG:-}" ]; then
  out=${TMPDIR:-/tmp}/tasks-engine-config.yaml
  python3 - "$out" <<'PY'
import os
import sys

import yaml

source = os.environ.get("TE_CONFIG_FILE", "/etc/tasks-engine/config.yaml")
root = os.environ["TE_STATE_ROOT"]
data = {}
if os.path.exists(source):
    with open(source, encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    if not isinstance(data, dict):
        sys.exit(f"{source}: the configuration must be a mapping")
if data.get("stateRoot", root) != root:
    sys.exit(f"{source}: stateRoot {data['stateRoot']!r} differs from TE_STATE_ROOT {root!r} (the path the host "
             "and the workers share); set one of them")
data["stateRoot"] = root
# 0600: the operator's file may hold registry passwords.
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
with os.fdopen(fd, "w", encoding="utf-8") as handle:
    yaml.safe_dump(data, handle, sort_keys=False)
PY
  TASKS_ENGINE_CONFIG=$out
  export TASKS_ENGINE_CONFIG
fi
exec "$@"
