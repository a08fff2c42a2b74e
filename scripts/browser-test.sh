#!/usr/bin/env bash
# make browser-test: the single-page app in headless Chromium against the real local stack.
# For each way of serving the app (WEB_SERVES: the production bundle under `vite preview`, then
# Vite's dev server, as `make local` serves it), starts scripts/local-stack.sh with the web app
# (WEB=1) in the background on free ports, waits for it to be ready (its stack.env appears),
# runs web/tests with its endpoints, and stops what it started, checking that no process is left.
#   SCREENSHOT_TO=docs/web-app.png   also keep a screenshot of the signed-in page after a call
#   LOGIN_SCREENSHOT_TO=docs/login-page.png   and one of the local managed login page
# On failure: screenshots and console logs in target/browser/, the stack's logs in
# target/browser/stack-logs/.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PWD/.tools/lambda/bin:$PATH
PYTHON=.tools/aws/bin/python
: "${READY_TIMEOUT:=1200}" "${CHROMIUM:=/usr/bin/chromium}" "${WEB_SERVES:=preview dev}"
export CHROMIUM

# Never fails: cleanup must go on when whatever read our output is gone (Ctrl-C on `... | tee`).
log() { printf '[browser-test] %s\n' "$*" >&2 2>/dev/null || true; }
[[ -x "$CHROMIUM" ]] || { log "no Chromium at $CHROMIUM: run make browser-test (installs it), or as root: apt-get update && apt-get install -y chromium"; exit 1; }
[[ -x web/node_modules/.bin/vite ]] || { log "the web app's packages are not installed: run make web-install"; exit 1; }

state=
stack_pid=
# Inherited by everything a stack starts: finds leftovers whatever process groups they made.
leftovers() { grep -lsz "^BROWSER_TEST_RUN=$state\$" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3 || true; }

# stack_down [STATUS]: stops the stack, fails if anything it started outlives it.
stack_down() {
  local status=${1:-0} left deadline=$((SECONDS + 10))
  [[ -n "$state" ]] || return "$status"
  if [[ -n "$stack_pid" ]] && kill -0 "$stack_pid" 2>/dev/null; then
    # TERM, not INT: a background job of a non-interactive shell starts with SIGINT ignored.
    kill -TERM -- "-$stack_pid" 2>/dev/null || true
    wait "$stack_pid" 2>/dev/null || true
  fi
  while left=$(leftovers) && [[ -n "$left" ]] && ((SECONDS < deadline)); do sleep 0.1; done
  if [[ -n "$left" ]]; then
    log "error: processes left running after the stack stopped: ${left//$'\n'/ }; killing them"
    # shellcheck disable=SC2086 # one pid per word
    kill -KILL $left 2>/dev/null || true
    status=1
  fi
  if ((status != 0)) && [[ -d "$state/logs" ]]; then
    mkdir -p target/browser && rm -rf target/browser/stack-logs && cp -r "$state/logs" target/browser/stack-logs
    cp "$state/stack.log" target/browser/stack-logs/ 2>/dev/null || true
    log "the stack's logs: target/browser/stack-logs/"
  fi
  rm -rf "$state"
  state='' stack_pid=''
  return "$status"
}
trap 'status=$?; trap - EXIT INT TERM; trap "" PIPE; stack_down "$status"; exit $?' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# stack_up MODE: a local stack serving the app with `WEB_SERVE=MODE`; exports its endpoints.
stack_up() {
  state=$(mktemp -d "${TMPDIR:-/tmp}/browser-test.XXXXXX")
  local started=$SECONDS ports web_port api_port rest_api_port cognito_port function_port
  ports=$("$PYTHON" scripts/free_ports.py 5)
  read -r web_port api_port rest_api_port cognito_port function_port <<<"$ports"
  log "starting the local stack, the app served by vite $1 on localhost:$web_port"
  env BROWSER_TEST_RUN="$state" WEB=1 WEB_SERVE="$1" WEB_PORT="$web_port" WEB_PUBLIC_DIR="$state/web-public" \
    STATE_DIR="$state" API_PORT="$api_port" REST_API_PORT="$rest_api_port" COGNITO_PORT="$cognito_port" \
    FUNCTION_PORT="$function_port" \
    setsid scripts/local-stack.sh >"$state/stack.log" 2>&1 </dev/null &
  stack_pid=$!
  local deadline=$((SECONDS + READY_TIMEOUT))
  until [[ -f "$state/stack.env" ]]; do
    if ! kill -0 "$stack_pid" 2>/dev/null || ((SECONDS > deadline)); then
      cat "$state/stack.log" >&2
      log "the local stack did not start"
      return 1
    fi
    sleep 0.2
  done
  log "stack ready in $((SECONDS - started))s"
  set -a
  # shellcheck disable=SC1091
  source "$state/stack.env"
  set +a
}

started=$SECONDS
screenshot=${SCREENSHOT_TO:-} login_screenshot=${LOGIN_SCREENSHOT_TO:-}
for mode in $WEB_SERVES; do
  stack_up "$mode"
  tests_started=$SECONDS
  (cd web && SCREENSHOT_TO=$screenshot LOGIN_SCREENSHOT_TO=$login_screenshot node --test --test-reporter=spec tests/)
  log "vite $mode: browser tests passed in $((SECONDS - tests_started))s"
  screenshot='' login_screenshot=''
  stack_down
done
log "all passed in $((SECONDS - started))s"
