#!/usr/bin/env bash
# The full test suite: set up everything it needs (idempotent), then lint, type-check, check the import
# contracts, and run every test — unit, property-based, golden and integration (real Docker, registry,
# Redis and git). Extra arguments go to pytest.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
bash "$ROOT/scripts/setup.sh"
cd "$ROOT"
echo "== ruff";         .venv/bin/ruff check .
echo "== mypy";         .venv/bin/mypy
echo "== import contracts"; .venv/bin/lint-imports
echo "== pytest";       .venv/bin/pytest -q -p no:cacheprovider -n 2 "$@"
