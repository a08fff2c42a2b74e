#!/usr/bin/env bash
# The whole authenticated API on this machine, no AWS account, no Docker:
#   1. Cognito: moto's server, with the user pool and app client created from template.yaml's own
#      UserPool / UserPoolClient properties, and the walkthrough's user (user-a, verified email,
#      permanent password). With COGNITO=aws: the deployed stack's real user pool instead (ids
#      from its outputs; keys fetched over HTTPS), nothing emulated;
#   2. the function: `cargo lambda watch` (same code as in AWS, reloaded on edits), with the
#      template's environment variables;
#   3. the APIs: local-api-gateway, with the template's routes, CORS and authorizers: the HTTP API
#      (JWT authorizer) on API_PORT, the REST API (Cognito authorizer) on REST_API_PORT under its
#      stage path;
#   4. with WEB=1 (make local), the single-page app: Vite on localhost:WEB_PORT, configured from
#      this stack's endpoints (WEB_PUBLIC_DIR/config.json) and allowed by the APIs' CORS.
# Stays in the foreground. Ctrl-C or SIGTERM stops everything it started. If the function's
# endpoint dies it is started again (the APIs answer 502 meanwhile); if Cognito or the gateway
# dies, the stack stops.
set -euo pipefail
cd "$(dirname "$0")/.."

: "${API_PORT:=3000}" "${REST_API_PORT:=3001}" "${COGNITO_PORT:=9229}" "${FUNCTION_PORT:=9000}"
# COGNITO=local (moto) or aws (the deployed stack STACK_NAME's user pool, real tokens).
: "${COGNITO:=local}" "${STACK_NAME:=hello-api}"
: "${STATE_DIR:=.local}" "${TOOLS:=.tools}" "${READY_TIMEOUT:=120}" "${TEMPLATE:=template.yaml}"
# Extra options for `local-api-gateway serve` (see `local-api-gateway serve --help`).
: "${GATEWAY_ARGS:=}"
: "${USER_POOL_RESOURCE:=UserPool}" "${USER_POOL_CLIENT_RESOURCE:=UserPoolClient}"
# Cargo profiles: the benchmarks run both optimized (GATEWAY_PROFILE=bench-tools FUNCTION_PROFILE=release).
: "${GATEWAY_PROFILE:=dev}" "${FUNCTION_PROFILE:=dev}"
# CREATE_USER=0 leaves the pool empty (the end-to-end test creates the user itself).
AWS=$TOOLS/aws/bin/aws
PYTHON=$TOOLS/aws/bin/python
# The web app: off unless WEB=1 (make local and the browser tests turn it on). WEB_SERVE=dev is
# Vite's dev server (edits reload the page); preview builds the production bundle and serves it.
: "${WEB:=0}" "${WEB_PORT:=5173}" "${WEB_PUBLIC_DIR:=web/public}" "${WEB_SERVE:=dev}"
VITE=web/node_modules/.bin/vite
# The API's CORS must allow the page's origin: localhost, as in the template's AllowedOrigin.
web_origin=http://localhost:$WEB_PORT
profile_dir() { if [[ "$1" == dev ]]; then echo debug; else echo "$1"; fi; }
GATEWAY=target/$(profile_dir "$GATEWAY_PROFILE")/local-api-gateway
# Every process started here carries this in its environment, so none can outlive the stack
# unnoticed, whatever process groups they make for themselves.
RUN_ID=$$-$RANDOM$RANDOM
started=$SECONDS

log() { printf '[local] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

pids=()
declare -A pid_of=()
marked_pids() {
  grep -lsz "^LOCAL_STACK_RUN=$RUN_ID\$" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3 || true
}
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if ((${#pids[@]})); then
    log "stopping"
    for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
    local deadline=$((SECONDS + 10)) left
    while left=$(marked_pids) && [[ -n "$left" ]] && ((SECONDS < deadline)); do sleep 0.1; done
    if [[ -n "$left" ]]; then
      log "killing what did not stop: $(echo $left)"
      kill -KILL $left 2>/dev/null || true
    fi
  fi
  rm -f "$STATE_DIR/stack.env" "$STATE_DIR/stack.env.new"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start NAME COMMAND...: in its own process group, appending to $STATE_DIR/logs/NAME.log
start() {
  local name=$1
  shift
  LOCAL_STACK_RUN=$RUN_ID setsid "$@" >>"$STATE_DIR/logs/$name.log" 2>&1 </dev/null &
  pids+=($!)
  pid_of[$name]=$!
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_for WHAT CHECK...: poll CHECK until it succeeds, READY_TIMEOUT at most.
wait_for() {
  local what=$1 deadline=$((SECONDS + READY_TIMEOUT))
  shift
  until "$@"; do
    ((SECONDS < deadline)) || die "$what not ready after ${READY_TIMEOUT}s (see $STATE_DIR/logs/)"
    for pid in "${pids[@]}"; do
      kill -0 "$pid" 2>/dev/null || die "$what exited (see $STATE_DIR/logs/)"
    done
    sleep 0.1
  done
}

[[ -x "$AWS" && -x "$PYTHON" ]] || die "the aws CLI and moto are not installed: run make tools"
command -v cargo-lambda >/dev/null || die "cargo-lambda is not on PATH: run make tools (make local puts it on PATH)"
case "$COGNITO" in
  local | aws) ;;
  *) die "COGNITO must be local (the emulator) or aws (the deployed user pool), not '$COGNITO'" ;;
esac
ports=("$API_PORT" "$REST_API_PORT" "$FUNCTION_PORT")
[[ "$COGNITO" == local ]] && ports+=("$COGNITO_PORT")
for port in "${ports[@]}"; do
  port_open "$port" && die "port $port is in use (ports: API_PORT=$API_PORT REST_API_PORT=$REST_API_PORT COGNITO_PORT=$COGNITO_PORT FUNCTION_PORT=$FUNCTION_PORT)"
done
if [[ "$WEB" == 1 ]]; then
  [[ -x "$VITE" ]] || die "the web app's packages are not installed: run make web-install"
  # Browsers try localhost on ::1 as well as 127.0.0.1: whatever holds either would answer.
  port_open "$WEB_PORT" || (exec 3<>"/dev/tcp/::1/$WEB_PORT") 2>/dev/null &&
    die "port $WEB_PORT is in use on localhost (WEB_PORT=$WEB_PORT)"
fi
mkdir -p "$STATE_DIR/logs"
rm -f "$STATE_DIR/stack.env"

log "building local-api-gateway and the function"
cargo build --quiet --profile "$GATEWAY_PROFILE" -p local-api-gateway
# On its own, as `cargo lambda watch` builds it: a workspace build unifies features differently.
cargo build --quiet --profile "$FUNCTION_PROFILE" -p hello
watch_profile=()
[[ "$FUNCTION_PROFILE" == dev ]] || watch_profile=(--profile "$FUNCTION_PROFILE")

# The APIs' CORS and the function's ALLOWED_ORIGIN allow the page's origin (the template's
# default for WEB_PORT=5173).
template_args=(--template "$TEMPLATE" --parameter "AllowedOrigin=$web_origin")
if [[ "$COGNITO" == aws ]]; then
  # Real tokens from the deployed pool: the ids come from the stack's outputs, the signing keys
  # from Cognito over HTTPS (no --jwks-origin), with the caller's AWS credentials.
  output() {
    "$AWS" cloudformation describe-stacks --stack-name "$STACK_NAME" \
      --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text
  }
  log "reading the user pool of the deployed stack $STACK_NAME"
  : "${REGION:=$(output Region)}"
  : "${USER_POOL_ID:=$(output UserPoolId)}" "${USER_POOL_CLIENT_ID:=$(output UserPoolClientId)}"
  [[ -n "$USER_POOL_ID" && "$USER_POOL_ID" != None ]] \
    || die "no UserPoolId output on stack $STACK_NAME (deployed? AWS credentials and region set?)"
  pool_id=$USER_POOL_ID client_id=$USER_POOL_CLIENT_ID cognito_endpoint=
  # The user pool domain, for the web app's sign-in and sign-out.
  [[ "$WEB" == 1 ]] && : "${COGNITO_DOMAIN_URL:=$(output UserPoolDomainUrl)}"
  template_args+=(--region "$REGION")
else
  : "${REGION:=us-east-1}"
  export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION=$REGION AWS_EC2_METADATA_DISABLED=true
  cognito_endpoint=http://127.0.0.1:$COGNITO_PORT
  # The emulator's own origin stands in for the user pool domain (managed login's pages).
  COGNITO_DOMAIN_URL=$cognito_endpoint
  log "starting the Cognito emulator on $cognito_endpoint"
  # moto's server, with Cognito's SRP sign-in (moto's own signs in any password): see the script.
  start cognito env MOTO_COGNITO_IDP_USER_POOL_ID_STRATEGY=HASH MOTO_COGNITO_IDP_USER_POOL_CLIENT_ID_STRATEGY=HASH \
    "$PYTHON" scripts/cognito-emulator.py -H 127.0.0.1 -p "$COGNITO_PORT"
  wait_for "the Cognito emulator" curl -fs -o /dev/null "$cognito_endpoint/moto-api/"

  log "creating $USER_POOL_RESOURCE and $USER_POOL_CLIENT_RESOURCE from $TEMPLATE"
  template_args+=(--region "$REGION")
  pool_id=$("$AWS" --endpoint-url "$cognito_endpoint" cognito-idp create-user-pool \
    --cli-input-json "$("$GATEWAY" cognito-input "${template_args[@]}" --resource "$USER_POOL_RESOURCE")" \
    --query UserPool.Id --output text)
  client_id=$("$AWS" --endpoint-url "$cognito_endpoint" cognito-idp create-user-pool-client \
    --cli-input-json "$("$GATEWAY" cognito-input "${template_args[@]}" --resource-id "$USER_POOL_RESOURCE=$pool_id" --resource "$USER_POOL_CLIENT_RESOURCE")" \
    --query UserPoolClient.ClientId --output text)
fi
template_args+=(--resource-id "$USER_POOL_RESOURCE=$pool_id" --resource-id "$USER_POOL_CLIENT_RESOURCE=$client_id")
listen_args=(--port "$API_PORT" --rest-port "$REST_API_PORT")

{
  "$GATEWAY" urls "${template_args[@]}" "${listen_args[@]}"
  cat <<ENV
COGNITO=$COGNITO
COGNITO_ENDPOINT=$cognito_endpoint
COGNITO_DOMAIN_URL=${COGNITO_DOMAIN_URL:-}
USER_POOL_ID=$pool_id
USER_POOL_CLIENT_ID=$client_id
REGION=$REGION
FUNCTION_ENDPOINT=http://127.0.0.1:$FUNCTION_PORT
ENV
} >"$STATE_DIR/stack.env.new"
[[ "$WEB" == 1 ]] && echo "WEB_URL=$web_origin" >>"$STATE_DIR/stack.env.new"
if [[ "$COGNITO" == local && "${CREATE_USER:-1}" != 0 ]]; then
  STACK=local STACK_ENV="$STATE_DIR/stack.env.new" scripts/walkthrough.sh user
fi

# The functions' environment from the template (ALLOWED_ORIGIN, ...), as Lambda would set it.
"$GATEWAY" function-env "${template_args[@]}" >"$STATE_DIR/function.env"

log "starting the function (cargo lambda watch) on 127.0.0.1:$FUNCTION_PORT"
start_function() {
  start function cargo lambda watch "${watch_profile[@]}" --invoke-address 127.0.0.1 --invoke-port "$FUNCTION_PORT" \
    --env-file "$STATE_DIR/function.env"
  wait_for "cargo lambda watch" port_open "$FUNCTION_PORT"
  # One invocation per function, so the first real request does not wait for a process to start.
  for function in $("$GATEWAY" functions "${template_args[@]}"); do
    wait_for "function $function" curl -fs -o /dev/null -X POST --data-binary @events/http-api-no-authorizer.json \
      "http://127.0.0.1:$FUNCTION_PORT/2015-03-31/functions/$function/invocations"
  done
}
start_function

log "starting the APIs on 127.0.0.1:$API_PORT (HTTP API) and 127.0.0.1:$REST_API_PORT (REST API)"
jwks_origin=()
[[ "$COGNITO" == local ]] && jwks_origin=(--jwks-origin "$cognito_endpoint")
# shellcheck disable=SC2086 # GATEWAY_ARGS is a list of options
start api "$GATEWAY" serve "${template_args[@]}" "${listen_args[@]}" \
  --invoke-endpoint "http://127.0.0.1:$FUNCTION_PORT" "${jwks_origin[@]}" $GATEWAY_ARGS
wait_for "the HTTP API" port_open "$API_PORT"
wait_for "the REST API" port_open "$REST_API_PORT"

if [[ "$WEB" == 1 ]]; then
  log "starting the web app (Vite) on $web_origin"
  WEB_PUBLIC_DIR=$WEB_PUBLIC_DIR scripts/web-config.sh local "$STATE_DIR/stack.env.new"
  # 127.0.0.1, not localhost: Node may bind localhost to ::1 only, and the browser tests also
  # open the app as http://127.0.0.1:WEB_PORT (another origin, which the API must refuse).
  web_public=$(realpath "$WEB_PUBLIC_DIR")
  if [[ "$WEB_SERVE" == preview ]]; then
    # The production bundle (what is deployed), with this stack's config.json in it.
    WEB_PUBLIC_DIR=$web_public "$VITE" build web --outDir "$(realpath "$STATE_DIR")/web-dist" --emptyOutDir \
      >>"$STATE_DIR/logs/web.log" 2>&1 || die "vite build failed (see $STATE_DIR/logs/web.log)"
    start web "$VITE" preview web --outDir "$(realpath "$STATE_DIR")/web-dist" --host 127.0.0.1 --port "$WEB_PORT" --strictPort
  else
    start web env WEB_PUBLIC_DIR="$web_public" "$VITE" web --host 127.0.0.1 --port "$WEB_PORT" --strictPort
  fi
  wait_for "the web app" curl -fs -o /dev/null "http://127.0.0.1:$WEB_PORT/config.json"
fi
mv "$STATE_DIR/stack.env.new" "$STATE_DIR/stack.env"
# shellcheck disable=SC1091
source "$STATE_DIR/stack.env"

web_line=
[[ "$WEB" == 1 ]] && web_line="  Web app    $web_origin   (Vite $WEB_SERVE; sign in as user-a)
"
cat >&2 <<BANNER

Local stack ready in $((SECONDS - started))s. Ctrl-C stops it.
  HTTP API   $API_URL   GET /hello (JWT authorizer)
  REST API   $REST_API_URL   GET /hello (Cognito user pool authorizer)
  Cognito    ${cognito_endpoint:-the deployed pool (COGNITO=aws)}   pool $pool_id, client $client_id${cognito_endpoint:+, user user-a}
  Managed login  ${COGNITO_DOMAIN_URL:-(the deployed user pool domain)}   (the web app's Sign in opens its login page)
  Function   http://127.0.0.1:$FUNCTION_PORT   (cargo lambda watch: saves reload the code)
${web_line}  Logs       $STATE_DIR/logs/    Endpoints and ids: source $STATE_DIR/stack.env

Try it (another terminal):
  curl -i $API_URL/hello                                  # 401
  TOKEN=\$(make -s token STACK=local)
  curl -H "Authorization: Bearer \$TOKEN" $API_URL/hello        # 200, through the HTTP API
  curl -H "Authorization: Bearer \$TOKEN" $REST_API_URL/hello    # 200, through the REST API

BANNER
log "ready"

# Until Ctrl-C or SIGTERM. The function endpoint holds no state, so it is restarted when it dies;
# Cognito (in-memory users) and the API are not.
while true; do
  wait -n "${pids[@]}" || true
  for name in "${!pid_of[@]}"; do
    [[ "$name" == function ]] && continue
    kill -0 "${pid_of[$name]}" 2>/dev/null || die "$name exited on its own (see $STATE_DIR/logs/$name.log)"
  done
  if ! kill -0 "${pid_of[function]}" 2>/dev/null; then
    log "the function endpoint exited; starting it again"
    kill -KILL -- "-${pid_of[function]}" 2>/dev/null || true
    pids=()
    for name in "${!pid_of[@]}"; do [[ "$name" == function ]] || pids+=("${pid_of[$name]}"); done
    start_function
    log "the function endpoint is back"
  fi
done
