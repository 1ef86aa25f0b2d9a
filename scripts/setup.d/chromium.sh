# Headless Chromium and its WebDriver for the web console's browser tests (tests/browser): Debian's chromium and
# chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver). A test tool's own browser download cannot work here,
# so the tests never try one. TE_BROWSER=0 skips this part (the browser tests then skip, or fail under CI=true).
# Sourced by scripts/setup.sh: uses its log and as_root; idempotent (nothing to do once both are installed).
if [ "${TE_BROWSER:-1}" != 0 ] && { [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; }; then
  log "installing chromium chromium-driver (browser tests of the web console)"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends chromium chromium-driver \
    >/dev/null
fi
