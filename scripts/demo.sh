#!/usr/bin/env bash
# The demo, the whole loop in about a minute on this machine (everything on loopback, nothing from Docker Hub):
#   1. start the service (scripts/service.sh start: Redis, the registry notifying the API, API, workers, beat);
#   2. a remote quick build of examples/demo (packed, uploaded, built by a worker, pushed);
#   3. two named tasks built from git repositories served by `git daemon`: demo-base (FROM demo/os) and
#      demo-app (FROM demo/base, the image demo-base pushes); a `git push` to the app's repository and its
#      webhook, signed the way GitHub signs it, build the app at the pushed commit;
#   4. a new demo/os pushed to the local registry: the registry's notification rebuilds demo-base, whose push
#      rebuilds demo-app, in cascade;
#   5. `task list-runs` shows each run's trigger; then the tasks, repositories and git daemon are removed, and
#      the service is stopped again if the demo started it (one that was running before keeps running).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
REGISTRY=${TE_REGISTRY:-127.0.0.1:${TE_REGISTRY_PORT:-5000}}
BASE_IMAGE=${TE_BASE_IMAGE:-$REGISTRY/tasks-engine/busybox:latest}
TE="$ROOT/.venv/bin/tasks-engine"
PY="$ROOT/.venv/bin/python"
WORK=$(mktemp -d /var/tmp/te-demo-XXXXXX)
DAEMON_PID=""

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

cleanup() {
  set +e
  [ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null
  if [ -n "${TASKS_ENGINE_TOKEN:-}" ]; then
    for task in demo-app demo-base; do "$TE" task delete -n "$task" --yes >/dev/null 2>&1; done
  fi
  rm -rf "$WORK"
  [ "$STARTED" = 1 ] && "$ROOT/scripts/service.sh" stop
}
STARTED=0
trap cleanup EXIT

say "1. the service"
"$ROOT/scripts/service.sh" status 2>/dev/null | grep -q '^api .* running$' || STARTED=1
"$ROOT/scripts/service.sh" start
eval "$("$ROOT/scripts/service.sh" env)"
export TASKS_ENGINE_SERVER TASKS_ENGINE_TOKEN
for task in demo-app demo-base; do "$TE" task delete -n "$task" --yes >/dev/null 2>&1 || true; done

say "2. a remote quick build (az acr build)"
"$TE" build -t "$REGISTRY/demo/quick:{{.Run.ID}}" --registry "$REGISTRY" "$ROOT/examples/demo"

say "3. git repositories on git://127.0.0.1, two tasks, a push and its webhook"
PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
docker tag "$BASE_IMAGE" "$REGISTRY/demo/os:latest" && docker push -q "$REGISTRY/demo/os:latest" >/dev/null
g() { git -c user.name=Demo -c user.email=demo@example.com -c init.defaultBranch=main "$@"; }
for name in base app; do
  g init -q --bare "$WORK/$name.git"
  g init -q "$WORK/src-$name"
  g -C "$WORK/src-$name" remote add origin "$WORK/$name.git"
done
printf 'FROM %s/demo/os:latest\nRUN echo "base built at $(date -u +%%T)" > /base.txt\n' "$REGISTRY" \
  >"$WORK/src-base/Dockerfile"
printf 'FROM %s/demo/base:latest\nCOPY app.txt /app.txt\nCMD ["cat", "/base.txt", "/app.txt"]\n' "$REGISTRY" \
  >"$WORK/src-app/Dockerfile"
echo "app v1" >"$WORK/src-app/app.txt"
for name in base app; do
  g -C "$WORK/src-$name" add -A && g -C "$WORK/src-$name" commit -q -m "first" && g -C "$WORK/src-$name" push -q origin main
done
git daemon --export-all --reuseaddr --base-path="$WORK" --listen=127.0.0.1 --port="$PORT" "$WORK" &
DAEMON_PID=$!
sleep 0.5
"$TE" task create -n demo-base -c "git://127.0.0.1:$PORT/base.git#main" -f Dockerfile \
  -t "$REGISTRY/demo/base:latest" --commit-trigger-enabled false
"$TE" task run -n demo-base --no-logs
"$TE" task create -n demo-app -c "git://127.0.0.1:$PORT/app.git#main" -f Dockerfile -t "$REGISTRY/demo/app:latest" \
  --commit-trigger-enabled true -o json >"$WORK/app.json"
SECRET=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["webhookSecret"])' "$WORK/app.json")
echo "demo-app: commit trigger on main, webhook secret generated (shown once at creation)"
echo "app v2" >"$WORK/src-app/app.txt"
g -C "$WORK/src-app" commit -q -am "v2" && g -C "$WORK/src-app" push -q origin main
COMMIT=$(git -C "$WORK/src-app" rev-parse HEAD)
echo "pushed $COMMIT; posting the push webhook as GitHub would (X-Hub-Signature-256 over the raw body)"
"$PY" - "$TASKS_ENGINE_SERVER" "$SECRET" "git://127.0.0.1:$PORT/app.git" "$COMMIT" <<'PY'
import json, sys, urllib.request, uuid
from tasks_engine.triggers import sign_github
server, secret, url, commit = sys.argv[1:]
body = json.dumps({"ref": "refs/heads/main", "before": "0" * 40, "after": commit, "created": False, "deleted": False,
                   "forced": False, "repository": {"full_name": "demo/app", "clone_url": url, "git_url": url},
                   "pusher": {"name": "demo"}, "sender": {"login": "demo"},
                   "head_commit": {"id": commit, "added": [], "removed": [], "modified": ["app.txt"]},
                   "commits": [{"id": commit, "added": [], "removed": [], "modified": ["app.txt"]}]}).encode()
request = urllib.request.Request(f"{server}/v1/webhooks/github", data=body, method="POST", headers={
    "Content-Type": "application/json", "X-GitHub-Event": "push", "X-GitHub-Delivery": str(uuid.uuid4()),
    "X-Hub-Signature-256": sign_github(body, secret), "User-Agent": "GitHub-Hookshot/demo"})
with urllib.request.urlopen(request, timeout=30) as reply:
    answer = json.load(reply)
print(f"HTTP {reply.status}: {answer['status']}, runs {[r['runId'] for r in answer['runs']]}")
PY
"$TE" task logs -n demo-app | grep -E "Run ID: .* (was successful|failed)"

image_update_done() { # TASK: the run ids of the task's finished Image Update runs
  "$TE" task list-runs -n "$1" --top 100 -o json | "$PY" -c 'import json, sys
print(" ".join(sorted(r["runId"] for r in json.load(sys.stdin) if r["trigger"] == "Image Update"
                      and r["status"] in ("Succeeded", "Failed", "Error", "Canceled", "Timeout"))))'
}

wait_new_run() { # TASK BEFORE: until the task has a finished Image Update run not in BEFORE (at most a minute)
  for _ in $(seq 120); do
    [ "$(image_update_done "$1")" != "$2" ] && return 0
    sleep 0.5
  done
  echo "timed out waiting for an image-update run of $1" >&2; return 1
}

say "4. a new base image: the registry notifies, demo-base rebuilds, then demo-app, in cascade"
"$TE" deps impact "$REGISTRY/demo/os:latest"
BEFORE_BASE=$(image_update_done demo-base)
BEFORE_APP=$(image_update_done demo-app)
DOCKER_BUILDKIT=0 docker build -q -t "$REGISTRY/demo/os:latest" - >/dev/null 2>&1 <<EOF
FROM $BASE_IMAGE
RUN echo "os $(date +%s%N)" > /os.txt
EOF
docker push -q "$REGISTRY/demo/os:latest" >/dev/null
echo "pushed a new $REGISTRY/demo/os:latest"
wait_new_run demo-base "$BEFORE_BASE"
wait_new_run demo-app "$BEFORE_APP"
docker run --rm "$REGISTRY/demo/app:latest"

say "5. every run's trigger"
"$TE" task list-runs --top 5
"$TE" task show -n demo-app
echo
if [ "$STARTED" = 1 ]; then
  echo "The demo's tasks, repositories and git daemon are removed now, and the service it started is stopped"
  echo "(./scripts/service.sh start runs it again; docs/triggers.md says how to point a real forge at it)."
else
  echo "The demo's tasks, repositories and git daemon are removed now; the service keeps running."
fi
