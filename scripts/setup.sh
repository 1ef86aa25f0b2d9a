#!/usr/bin/env bash
# Prepare this machine for the Tasks Engine demo and test suite, idempotently:
#   system packages (docker.io, docker-registry, redis-server, busybox-static, git; qemu-user-static and
#   binfmt-support for emulated arm64 builds unless TE_QEMU=0),
#   the project's virtualenv (.venv), and the services the integration tests need, all on loopback:
#   Docker engine (unix socket), a registry on 127.0.0.1:${TE_REGISTRY_PORT:-5000}, Redis on
#   127.0.0.1:${TE_REDIS_PORT:-6379}, plus a seeded base image (busybox) in that registry.
# Safe to run again: running services are detected, stale pid files removed, nothing is started twice.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
STATE=${TE_STATE_DIR:-/var/tmp/tasks-engine-dev}
REGISTRY_PORT=${TE_REGISTRY_PORT:-5000}
REDIS_PORT=${TE_REDIS_PORT:-6379}
BASE_IMAGE=${TE_BASE_IMAGE:-127.0.0.1:${REGISTRY_PORT}/tasks-engine/busybox:latest}
mkdir -p "$STATE"

log() { printf '[setup] %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root for: $*"; exit 1; fi
}

install_packages() {
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  [ -x /usr/bin/docker-registry ] || missing+=(docker-registry)
  command -v redis-server >/dev/null || missing+=(redis-server)
  [ -x /bin/busybox ] || missing+=(busybox-static)
  command -v git >/dev/null || missing+=(git)
  command -v curl >/dev/null || missing+=(curl)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -qq
    # policy-rc.d keeps the packages from starting services on their default (non-loopback) ports.
    printf '#!/bin/sh\nexit 101\n' | as_root tee /usr/sbin/policy-rc.d >/dev/null
    as_root chmod +x /usr/sbin/policy-rc.d
    as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    as_root rm -f /usr/sbin/policy-rc.d
  fi
}

setup_venv() {
  local stamp="$ROOT/.venv/.installed" want
  want=$(sha256sum "$ROOT/pyproject.toml" | cut -c1-16)
  # 3.11.4 brought tarfile's extraction filters, which unpacking untrusted contexts relies on.
  if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11, 4))'; then
    log "Python >= 3.11.4 is needed (found $(python3 --version 2>&1); Debian 12's own python3 is 3.11.2)"; exit 1
  fi
  if [ ! -x "$ROOT/.venv/bin/python" ]; then
    log "creating virtualenv"
    if ! python3 -m venv "$ROOT/.venv" >/dev/null 2>&1; then
      # Debian's python3 ships without ensurepip; the venv module lives in python3-venv.
      rm -rf "$ROOT/.venv"
      as_root apt-get update -qq
      DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq python3-venv >/dev/null
      python3 -m venv "$ROOT/.venv"
    fi
  fi
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "installing the project into .venv"
    if ! { "$ROOT/.venv/bin/pip" install -q -U pip && "$ROOT/.venv/bin/pip" install -q -e "$ROOT[dev]"; } \
        >"$STATE/pip.log" 2>&1; then
      tail -n 40 "$STATE/pip.log" >&2; exit 1
    fi
    echo "$want" >"$stamp"
  fi
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

wait_for() { # wait_for SECONDS DESCRIPTION CMD...
  local secs=$1 what=$2; shift 2
  for _ in $(seq $((secs * 5))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  log "$what did not come up in ${secs}s"; return 1
}

docker_up() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

start_docker() {
  if docker_up; then return; fi
  log "starting dockerd"
  # A dockerd killed earlier leaves its pid file (and containerd's) behind and refuses to start.
  if ! pid_alive /var/run/docker.pid; then as_root rm -f /var/run/docker.pid; fi
  if ! pgrep -x containerd >/dev/null; then as_root rm -f /run/containerd/containerd.pid 2>/dev/null || true; fi
  as_root bash -c "nohup dockerd --host unix:///var/run/docker.sock >'$STATE/dockerd.log' 2>&1 &"
  wait_for 60 dockerd docker_up || { tail -n 30 "$STATE/dockerd.log" >&2; exit 1; }
}

registry_up() { curl -fsS -m 2 "http://127.0.0.1:${REGISTRY_PORT}/v2/" >/dev/null 2>&1; }

start_registry() {
  if registry_up; then return; fi
  log "starting the registry on 127.0.0.1:${REGISTRY_PORT}"
  mkdir -p "$STATE/registry"
  cat >"$STATE/registry.yml" <<YML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $STATE/registry
  delete:
    enabled: true
http:
  addr: 127.0.0.1:${REGISTRY_PORT}
YML
  pid_alive "$STATE/registry.pid" && kill "$(cat "$STATE/registry.pid")" 2>/dev/null || true
  nohup /usr/bin/docker-registry serve "$STATE/registry.yml" >"$STATE/registry.log" 2>&1 &
  echo $! >"$STATE/registry.pid"
  wait_for 20 registry registry_up || { tail -n 20 "$STATE/registry.log" >&2; exit 1; }
}

redis_up() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }

start_redis() {
  # AOF with fsync every second: a Redis restart (or crash) loses no queued or finished run older than ~1 s.
  if redis_up; then
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" CONFIG SET appendonly yes >/dev/null
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" CONFIG SET appendfsync everysec >/dev/null
    return
  fi
  log "starting redis on 127.0.0.1:${REDIS_PORT}"
  pid_alive "$STATE/redis.pid" || rm -f "$STATE/redis.pid"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes --pidfile "$STATE/redis.pid" \
    --logfile "$STATE/redis.log" --dir "$STATE" --save '' --appendonly yes --appendfsync everysec \
    --protected-mode yes
  wait_for 20 redis redis_up
}

seed_base_image() {
  # Base images cannot be pulled from the internet here: build one from the busybox-static binary.
  local repo_path=${BASE_IMAGE#*/} name tag
  name=${repo_path%:*}; tag=${repo_path##*:}
  if curl -fsS -m 5 -o /dev/null "http://127.0.0.1:${REGISTRY_PORT}/v2/${name}/manifests/${tag}" \
       -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' 2>/dev/null \
     && docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
    return
  fi
  log "seeding base image $BASE_IMAGE"
  local root; root=$(mktemp -d)
  mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/root" "$root/workspace"
  cp /bin/busybox "$root/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  tar -C "$root" -cf "$STATE/busybox-rootfs.tar" .
  rm -rf "$root"
  docker import --change 'ENV PATH=/bin' --change 'CMD ["sh"]' "$STATE/busybox-rootfs.tar" "$BASE_IMAGE" >/dev/null
  docker push "$BASE_IMAGE" >/dev/null
}

install_emulation() {
  # QEMU user emulation for --platform linux/arm64 builds (TE_QEMU=0 skips it). binfmt_misc must be mounted for
  # the kernel to hand foreign binaries to qemu; Debian's qemu-user-static registers with the fix-binary flag.
  [ "${TE_QEMU:-1}" = 0 ] && return
  if ! dpkg -s qemu-user-static binfmt-support >/dev/null 2>&1; then
    log "installing qemu-user-static binfmt-support"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
      qemu-user-static binfmt-support >/dev/null
  fi
  if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
    as_root mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null || true
  fi
  if [ -e /proc/sys/fs/binfmt_misc/register ] && [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
    as_root update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
  fi
}

seed_arm64_image() {
  # An arm64 base image for the emulated-build tests, from Debian's busybox-static:arm64 (no Docker Hub).
  [ "${TE_QEMU:-1}" = 0 ] && return
  [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || { log "no arm64 emulation: arm64 image not seeded"; return; }
  local ref="127.0.0.1:${REGISTRY_PORT}/tasks-engine/busybox-arm64:latest" dir="$STATE/arm64"
  if curl -fsS -m 5 -o /dev/null "http://127.0.0.1:${REGISTRY_PORT}/v2/tasks-engine/busybox-arm64/manifests/latest" \
       -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' 2>/dev/null; then
    return
  fi
  log "seeding $ref"
  mkdir -p "$dir"
  if ! ls "$dir"/busybox-static_*_arm64.deb >/dev/null 2>&1; then
    dpkg --print-foreign-architectures | grep -qx arm64 || as_root dpkg --add-architecture arm64
    as_root apt-get update -qq
    (cd "$dir" && apt-get download -qq busybox-static:arm64 2>/dev/null)
  fi
  rm -rf "$dir/x" "$dir/root" && mkdir -p "$dir/root/bin" "$dir/root/tmp" "$dir/root/etc" "$dir/root/root"
  dpkg-deb -x "$dir"/busybox-static_*_arm64.deb "$dir/x"
  cp "$dir/x/bin/busybox" "$dir/root/bin/busybox"
  for applet in $(/bin/busybox --list); do [ "$applet" = busybox ] || ln -sf busybox "$dir/root/bin/$applet"; done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$dir/root/etc/passwd"
  tar -C "$dir/root" -cf "$dir/rootfs.tar" .
  # `docker import --platform` is ignored by 20.10; a BuildKit FROM scratch build records the platform.
  printf 'FROM scratch\nADD rootfs.tar /\nENV PATH=/bin\nCMD ["sh"]\n' >"$dir/Dockerfile"
  DOCKER_BUILDKIT=1 /usr/bin/docker build -q --platform linux/arm64 -t "$ref" "$dir" >/dev/null
  /usr/bin/docker push "$ref" >/dev/null
  rm -rf "$dir/x" "$dir/root" "$dir/rootfs.tar"
}

install_packages
install_emulation
setup_venv
start_docker
start_registry
start_redis
seed_base_image
seed_arm64_image
# Optional pieces, one file each (browser for the console tests, registry notifications, ...): sourced in
# name order, with this script's variables and helpers (log, as_root, wait_for, pid_alive) in scope.
for part in "$ROOT"/scripts/setup.d/*.sh; do
  [ -e "$part" ] || continue
  # shellcheck source=/dev/null
  . "$part"
done
cat >"$STATE/env" <<ENV
TE_REGISTRY=127.0.0.1:${REGISTRY_PORT}
TE_BASE_IMAGE=${BASE_IMAGE}
TE_ARM64_IMAGE=127.0.0.1:${REGISTRY_PORT}/tasks-engine/busybox-arm64:latest
TE_REDIS_URL=redis://127.0.0.1:${REDIS_PORT}/0
ENV
log "ready: docker $(docker version --format '{{.Server.Version}}'), registry 127.0.0.1:${REGISTRY_PORT}, redis 127.0.0.1:${REDIS_PORT}, base image ${BASE_IMAGE}"
