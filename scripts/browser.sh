# Browser tests of the console, the banner and the sample app (tests/browser), in the system
# Chromium. Sourced by scripts/lib.sh (needs its ROOT, LOCAL and log), not run.

# Debian's Chromium at /usr/bin/chromium: the tests drive it through playwright-core, which never
# downloads a browser of its own.
ensure_chromium() {
  if [[ -x /usr/bin/chromium ]]; then
    return
  fi
  command -v apt-get >/dev/null || {
    echo "Chromium is needed at /usr/bin/chromium for the browser tests (Debian: apt-get install chromium)" >&2; exit 1; }
  local sudo=()
  if [[ "$(id -u)" != 0 ]]; then
    command -v sudo >/dev/null || { echo "installing Chromium needs root or sudo" >&2; exit 1; }
    sudo=(sudo)
  fi
  log "installing Chromium (Debian package chromium, for the browser tests)"
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  [[ -x /usr/bin/chromium ]] || { echo "apt-get installed no /usr/bin/chromium" >&2; exit 1; }
}

# tests/browser: playwright-core and axe-core installed into its own node_modules from the lock
# file (again only when the lock changed), then `node --test` against the deployed local stack.
# Screenshots: .local/test-output/screenshots/. Extra arguments go to node --test (for example
# --test-name-pattern='^1\.').
browser_test() {
  ensure_chromium
  local dir="$ROOT/tests/browser"
  npm_install "$dir"
  log "tests/browser: the console, banner and sample app in Chromium (node --test)"
  local started=$SECONDS
  (cd "$dir" && ACTAS_STACK_FILE="${ACTAS_STACK_FILE:-$LOCAL/stack.json}" \
    node --test --test-concurrency=1 --test-reporter=spec "$@" console.test.mjs governance.test.mjs) || {
    echo "browser tests failed after $((SECONDS - started)) s; screenshots in $LOCAL/test-output/screenshots/" >&2
    exit 1
  }
  log "browser tests passed in $((SECONDS - started)) s"
}
