# Tools of the operations tests (tests/integration/compose, the TLS/Sentinel and remote-worker tests):
# Debian's docker-compose (1.29) for the compose smoke test, mmdebstrap for the base images scripts/images.sh
# builds from Debian's packages (Docker Hub is not reachable here), redis-sentinel and openssl for the Redis
# TLS and Sentinel tests. TE_OPERATIONS=0 skips this part (those tests then skip, or fail under CI=true).
# Sourced by scripts/setup.sh: uses its log and as_root; idempotent (nothing to do once all are installed).
# The base images themselves are built by the smoke test on first use (cached, about 40 s), not here.
if [ "${TE_OPERATIONS:-1}" != 0 ]; then
  _te_ops_missing=()
  command -v docker-compose >/dev/null || _te_ops_missing+=(docker-compose)
  command -v mmdebstrap >/dev/null || _te_ops_missing+=(mmdebstrap)
  command -v redis-sentinel >/dev/null || _te_ops_missing+=(redis-sentinel)
  command -v openssl >/dev/null || _te_ops_missing+=(openssl)
  if [ ${#_te_ops_missing[@]} -gt 0 ]; then
    log "installing ${_te_ops_missing[*]} (operations tests)"
    as_root apt-get update -qq
    # policy-rc.d: redis-sentinel's package would start a sentinel on the default port otherwise.
    printf '#!/bin/sh\nexit 101\n' | as_root tee /usr/sbin/policy-rc.d >/dev/null
    as_root chmod +x /usr/sbin/policy-rc.d
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${_te_ops_missing[@]}" \
      >/dev/null
    as_root rm -f /usr/sbin/policy-rc.d
  fi
  unset _te_ops_missing
fi
