#!/usr/bin/env bash
# The demo: set up Docker, a registry and a base image on this machine (idempotent), then run the example
# task locally: build an image, run it, run it detached as a web server, probe it by step id, push it.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
bash "$ROOT/scripts/setup.sh"
REGISTRY=${TE_REGISTRY:-127.0.0.1:${TE_REGISTRY_PORT:-5000}}
cd "$ROOT/examples/demo"
exec "$ROOT/.venv/bin/tasks-engine" run -f acr-task.yaml --values values.yaml --registry "$REGISTRY" .
