# shellcheck shell=bash
# Sourced by bench-gateway.sh and load.sh: runs scripts/local-stack.sh in the background on free
# ports, with the API and the function built optimized, and stops it (and everything it started)
# when the sourcing script exits.

PYTHON=${PYTHON:-.tools/aws/bin/python}
OHA=${OHA:-.tools/cargo/bin/oha}

# free_ports COUNT: COUNT distinct free ports on one line.
free_ports() { "$PYTHON" scripts/free_ports.py "$1"; }

stack_down() {
  if [[ -n "${STACK_PID:-}" ]] && kill -0 "$STACK_PID" 2>/dev/null; then
    # TERM, not INT: a background job of a non-interactive shell starts with SIGINT ignored.
    kill -TERM -- "-$STACK_PID" 2>/dev/null || true
    wait "$STACK_PID" 2>/dev/null || true
  fi
  [[ -n "${STACK_STATE:-}" ]] && rm -rf "$STACK_STATE"
}

# stack_up: sets API_URL, FUNCTION_ENDPOINT, ... (from stack.env), GATEWAY_PID and TOKEN.
stack_up() {
  [[ -x "$OHA" ]] || { echo "oha is not installed: run make tools-bench" >&2; exit 1; }
  STACK_STATE=$(mktemp -d "${TMPDIR:-/tmp}/local-stack.XXXXXX")
  trap stack_down EXIT
  local ports api_port rest_api_port cognito_port function_port
  ports=$(free_ports 4)
  read -r api_port rest_api_port cognito_port function_port <<<"$ports"
  API_PORT=$api_port REST_API_PORT=$rest_api_port COGNITO_PORT=$cognito_port FUNCTION_PORT=$function_port STATE_DIR=$STACK_STATE \
    GATEWAY_PROFILE=bench-tools FUNCTION_PROFILE=release \
    setsid scripts/local-stack.sh >"$STACK_STATE/stack.log" 2>&1 </dev/null &
  STACK_PID=$!
  local deadline=$((SECONDS + 1200))
  until [[ -f "$STACK_STATE/stack.env" ]]; do
    if ! kill -0 "$STACK_PID" 2>/dev/null || ((SECONDS > deadline)); then
      cat "$STACK_STATE/stack.log" >&2
      echo "the local stack did not start" >&2
      exit 1
    fi
    sleep 0.2
  done
  set -a
  # shellcheck disable=SC1091
  source "$STACK_STATE/stack.env"
  set +a
  # shellcheck disable=SC2034 # for the sourcing script
  GATEWAY_PID=$(pgrep -f "local-api-gateway serve .*--port ${API_URL##*:}( |$)" | head -n 1)
  # shellcheck disable=SC2034 # for the sourcing script
  TOKEN=$(STACK=local STACK_ENV="$STACK_STATE/stack.env" scripts/walkthrough.sh token)
}

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
