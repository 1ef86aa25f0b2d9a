#!/usr/bin/env bash
# The base images the compose stack needs, built from Debian's packages, for machines that cannot reach
# Docker Hub (this project's CI among them):
#   ${PREFIX}/debian:${SUITE}     mmdebstrap (minbase) -> docker import
#   ${PREFIX}/python:${SUITE}     + python3, python3-venv   stands in for TE_PYTHON_IMAGE (python:3.12-slim)
#   ${PREFIX}/redis:${SUITE}      + redis-server            stands in for TE_REDIS_IMAGE (redis:7)
#   ${PREFIX}/registry:${SUITE}   + docker-registry         stands in for TE_REGISTRY_IMAGE (registry:2)
# The suite is Debian 13 (trixie), as the official slim Python images: its python3 (3.13) has tarfile's
# extraction filters, which bookworm's 3.11.2 lacks and the engine needs.
# Each image carries the label tasks-engine.recipe=<hash of its recipe>: an image whose label matches is kept,
# so a second run takes about a second. A changed recipe (this file, the suite, the mirror) rebuilds.
#
#   scripts/images.sh           build what is missing, then print the variables compose reads, e.g.
#                               TE_PYTHON_IMAGE=tasks-engine-base/python:trixie
#   scripts/images.sh --check   exit 0 when every image is present and current, 1 otherwise (builds nothing)
#
# Settings: TE_BASE_PREFIX (default tasks-engine-base), TE_DEBIAN_SUITE (trixie), TE_DEBIAN_MIRROR
# (http://deb.debian.org/debian), TE_DEBIAN_SECURITY (http://deb.debian.org/debian-security), TE_DOCKER
# (/usr/bin/docker). Needs root (mmdebstrap's root mode) and mmdebstrap (scripts/setup.d/operations.sh).
# Builds run under a lock, so parallel callers wait for one build instead of doing it twice.
set -euo pipefail

DOCKER=${TE_DOCKER:-/usr/bin/docker}
PREFIX=${TE_BASE_PREFIX:-tasks-engine-base}
SUITE=${TE_DEBIAN_SUITE:-trixie}
MIRROR=${TE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY=${TE_DEBIAN_SECURITY:-http://deb.debian.org/debian-security}
WORK=${TE_IMAGES_DIR:-/var/tmp/tasks-engine-images}
LABEL=tasks-engine.recipe

BASE_IMAGE="$PREFIX/debian:$SUITE"
PYTHON_IMAGE="$PREFIX/python:$SUITE"
REDIS_IMAGE="$PREFIX/redis:$SUITE"
REGISTRY_IMAGE="$PREFIX/registry:$SUITE"

log() { printf '[images] %s\n' "$*" >&2; }

# -- recipes ------------------------------------------------------------------------------------------------
# Docker's own Debian images carry this policy-rc.d: packages must not start services inside a build.
BASE_RECIPE="mmdebstrap minbase $SUITE $MIRROR $SECURITY include=ca-certificates,passwd policy-rc.d nodocs v1"

python_dockerfile() {
  cat <<'EOF'
FROM @BASE@
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 python3-venv >/dev/null \
 && rm -rf /var/lib/apt/lists/*
ENV LANG=C.UTF-8
CMD ["python3"]
EOF
}

redis_dockerfile() {
  # As the official image: data in /data owned by the redis user, redis-server on PATH (and redis-cli).
  cat <<'EOF'
FROM @BASE@
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /data && chown redis:redis /data
WORKDIR /data
EXPOSE 6379
CMD ["redis-server"]
EOF
}

registry_dockerfile() {
  # As the official image: /entrypoint.sh runs \`registry serve\` on a *.yml argument, the default config
  # serves :5000 from /var/lib/registry; wget for health checks (the official image has busybox's).
  # shellcheck disable=SC2016
  cat <<'EOF'
FROM @BASE@
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-registry wget >/dev/null \
 && rm -rf /var/lib/apt/lists/* \
 && ln -sf /usr/bin/docker-registry /bin/registry \
 && mkdir -p /var/lib/registry /etc/docker/registry \
 && printf '%s\n' 'version: 0.1' 'log: {fields: {service: registry}}' 'storage:' '  cache: {blobdescriptor: inmemory}' \
      '  filesystem: {rootdirectory: /var/lib/registry}' 'http: {addr: ":5000", headers: {X-Content-Type-Options: [nosniff]}}' \
      >/etc/docker/registry/config.yml \
 && printf '%s\n' '#!/bin/sh' 'set -e' 'case "$1" in' '  *.yaml|*.yml) set -- registry serve "$@" ;;' \
      '  serve|garbage-collect|help|-*) set -- registry "$@" ;;' 'esac' 'exec "$@"' >/entrypoint.sh \
 && chmod +x /entrypoint.sh
VOLUME ["/var/lib/registry"]
EXPOSE 5000
ENTRYPOINT ["/entrypoint.sh"]
CMD ["/etc/docker/registry/config.yml"]
EOF
}

recipe_hash() { sha256sum | cut -c1-16; }

base_hash() { printf '%s\n' "$BASE_RECIPE" | recipe_hash; }
derived_hash() { { base_hash; "$1"; } | recipe_hash; }  # the parent's recipe and this Dockerfile

current() { # current IMAGE HASH: the image exists and carries the recipe's hash
  [ "$("$DOCKER" image inspect --format "{{ index .Config.Labels \"$LABEL\" }}" "$1" 2>/dev/null)" = "$2" ]
}

# -- builds -------------------------------------------------------------------------------------------------
build_base() {
  local want; want=$(base_hash)
  current "$BASE_IMAGE" "$want" && return
  command -v mmdebstrap >/dev/null || { log "mmdebstrap is missing (scripts/setup.sh installs it)"; exit 1; }
  log "building $BASE_IMAGE from Debian $SUITE (mmdebstrap)"
  local tar="$WORK/$SUITE-rootfs.tar"
  rm -f "$tar"
  # Documentation, man pages and translations stay out (as in Docker's slim images), in later installs too.
  mmdebstrap --variant=minbase --mode=root --quiet --include=ca-certificates,passwd \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --customize-hook='printf "#!/bin/sh\nexit 101\n" >"$1/usr/sbin/policy-rc.d"; chmod 755 "$1/usr/sbin/policy-rc.d"' \
    "$SUITE" "$tar" "deb $MIRROR $SUITE main" "deb $MIRROR $SUITE-updates main" \
    "deb $SECURITY $SUITE-security main" >"$WORK/mmdebstrap.log" 2>&1 \
    || { tail -n 30 "$WORK/mmdebstrap.log" >&2; exit 1; }
  "$DOCKER" import --change "LABEL $LABEL=$want" --change 'ENV LANG=C.UTF-8' --change 'CMD ["bash"]' \
    "$tar" "$BASE_IMAGE" >/dev/null
  rm -f "$tar"
}

build_derived() { # build_derived IMAGE RECIPE-FUNCTION
  local image=$1 recipe=$2 want
  want=$(derived_hash "$recipe")
  current "$image" "$want" && return
  log "building $image"
  "$recipe" | sed "s|@BASE@|$BASE_IMAGE|" \
    | "$DOCKER" build -q --label "$LABEL=$want" -t "$image" - >"$WORK/$(basename "${image%%:*}").log" 2>&1 \
    || { log "building $image failed:"; tail -n 30 "$WORK/$(basename "${image%%:*}").log" >&2; return 1; }
}

all_current() {
  current "$BASE_IMAGE" "$(base_hash)" \
    && current "$PYTHON_IMAGE" "$(derived_hash python_dockerfile)" \
    && current "$REDIS_IMAGE" "$(derived_hash redis_dockerfile)" \
    && current "$REGISTRY_IMAGE" "$(derived_hash registry_dockerfile)"
}

print_env() {
  printf 'TE_PYTHON_IMAGE=%s\nTE_REDIS_IMAGE=%s\nTE_REGISTRY_IMAGE=%s\n' "$PYTHON_IMAGE" "$REDIS_IMAGE" \
    "$REGISTRY_IMAGE"
}

main() {
  if [ "${1:-}" = --check ]; then all_current; return; fi
  if ! all_current; then
    mkdir -p "$WORK"
    exec 9>"$WORK/build.lock"
    flock 9
    build_base
    # Independent of each other: in parallel (mostly downloads).
    local pids=() rc=0
    build_derived "$PYTHON_IMAGE" python_dockerfile & pids+=($!)
    build_derived "$REDIS_IMAGE" redis_dockerfile & pids+=($!)
    build_derived "$REGISTRY_IMAGE" registry_dockerfile & pids+=($!)
    for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
    [ "$rc" = 0 ] || exit 1
  fi
  print_env
}

main "$@"
