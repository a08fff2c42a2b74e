#!/usr/bin/env bash
# The whole authenticated API on this machine, no AWS account, no Docker (docs/local-stack.md):
#   1. Cognito: moto's server with this project's layer (scripts/cognito-emulator.py), creating in
#      its own process every AWS::Cognito::UserPool and UserPoolClient of TEMPLATE, from their
#      properties, and the walkthrough's user in each pool (user-a, verified email, permanent
#      password). Not started when the template has no user pool. With COGNITO=aws: the deployed
#      stack's real user pool instead (ids from its outputs; keys fetched over HTTPS);
#   2. the functions: `cargo lambda watch` (same code as in AWS, reloaded on edits), with the
#      template's environment variables, each function process run by lambda-sandbox (a process
#      that dies mid-invocation gets that invocation answered as Lambda answers it, and is
#      replaced for the next one);
#   3. the APIs: local-api-gateway, every API of the template with its routes, CORS and
#      authorizers, each on its own port (API_PORT upward; REST_API_PORT for a lone REST API);
#   4. with WEB=1 (make local, for the project's own template), the single-page app: Vite on
#      localhost:WEB_PORT, configured from this stack's endpoints (WEB_PUBLIC_DIR/config.json).
# What does not depend on another starts at once; readiness is polled, never slept.
# Stays in the foreground. Ctrl-C, SIGTERM or SIGHUP stops everything it started, whatever arrives
# during the stop (another signal, output to a pipe that is gone). A second stack in the same
# STATE_DIR, or on a port in use, refuses to start and leaves the running one alone. If the function
# endpoint dies it is started again; if Cognito or the gateway dies, the stack stops.
set -euo pipefail
cd "$(dirname "$0")/.."
# Microseconds since the epoch (EPOCHREALTIME without its decimal point, a comma in some locales).
now_us() { echo "${EPOCHREALTIME/[.,]/}"; }
started_us=$(now_us)
# Seconds since the script started: 1.23
elapsed() { local ms=$((($(now_us) - started_us) / 1000)); printf '%d.%02d' $((ms / 1000)) $((ms % 1000 / 10)); }

: "${API_PORT:=3000}" "${REST_API_PORT:=3001}" "${COGNITO_PORT:=9229}" "${FUNCTION_PORT:=9000}"
# COGNITO=local (the emulator) or aws (the deployed stack STACK_NAME's user pool, real tokens).
: "${COGNITO:=local}" "${STACK_NAME:=hello-api}"
: "${STATE_DIR:=.local}" "${TOOLS:=.tools}" "${READY_TIMEOUT:=120}" "${TEMPLATE:=template.yaml}"
# Template parameters (Name=Value, space-separated), and extra options for `local-api-gateway serve`.
: "${PARAMETERS:=}" "${GATEWAY_ARGS:=}"
# The project's own pool and client: USER_POOL_ID / USER_POOL_CLIENT_ID in stack.env (else the
# template's first pool and its first client).
: "${USER_POOL_RESOURCE:=UserPool}" "${USER_POOL_CLIENT_RESOURCE:=UserPoolClient}"
# Cargo profiles: the benchmarks run both optimized (GATEWAY_PROFILE=bench-tools FUNCTION_PROFILE=release).
: "${GATEWAY_PROFILE:=dev}" "${FUNCTION_PROFILE:=dev}"
# CREATE_USER=0 leaves the pools empty (the end-to-end test creates the user itself).
: "${CREATE_USER:=1}"
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
SANDBOX=$PWD/target/$(profile_dir "$GATEWAY_PROFILE")/lambda-sandbox
# Every process started here carries this in its environment, so none can outlive the stack
# unnoticed, whatever process groups they make for themselves.
RUN_ID=$$-$RANDOM$RANDOM
LOCK=$STATE_DIR/stack.pid

# Never fails: a terminal that is gone (SIGHUP) or a reader that has quit (`| tee` after Ctrl-C)
# must not end the script, least of all while it stops what it started.
say() { printf '%s\n' "$*" >&2 2>/dev/null || true; }
log() { say "[local $(elapsed)s] $*"; }
die() { log "error: $*"; exit 1; }
# Writing to a closed pipe then fails (EPIPE) instead of killing the script. A handler, not '':
# the processes started here get the default SIGPIPE back.
trap ':' PIPE

services=()       # must keep running: if one exits, the stack stops (the function endpoint restarts)
declare -A pid_of=()
owns_lock=0
warm_pid=
marked_pids() {
  grep -lsz "^LOCAL_STACK_RUN=$RUN_ID\$" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3 || true
}
cleanup() {
  local status=$? left deadline
  # Nothing may interrupt the stop: a second Ctrl-C, make forwarding SIGTERM, a closed terminal,
  # nor a command failing on the way (errexit would end it there).
  stopping=1
  set +e
  trap '' INT TERM HUP
  trap - EXIT
  [[ -n "$warm_pid" ]] && kill "$warm_pid" 2>/dev/null
  left=$(marked_pids)
  if [[ -n "$left" ]]; then
    log "stopping"
    # Each service's process group, then anything of this run that made a group of its own
    # (the function processes of cargo lambda watch live in sessions of their own).
    for pid in "${services[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
    # shellcheck disable=SC2086 # a list of pids
    kill -TERM $left 2>/dev/null || true
    deadline=$((SECONDS + 10))
    while left=$(marked_pids) && [[ -n "$left" ]] && ((SECONDS < deadline)); do sleep 0.05; done
    if [[ -n "$left" ]]; then
      log "killing what did not stop: ${left//$'\n'/ }"
      # shellcheck disable=SC2086 # one pid per word
      kill -KILL $left 2>/dev/null || true
    fi
    log "stopped"
  fi
  # Only the files of this run: a stack that refused to start leaves the running one's alone.
  if ((owns_lock)); then
    rm -f "$STATE_DIR/stack.env" "$STATE_DIR/stack.env.new" "$LOCK"
  fi
  exit "$status"
}
# A signal starts the stop once. One that comes again before the stop ignores signals (make
# forwards the SIGTERM its process group got, microseconds later) must not exit a second time:
# that would end the stop where it is.
stopping=0
on_signal() { if ((!stopping)); then stopping=1 && exit "$1"; fi; }
trap cleanup EXIT
trap 'on_signal 130' INT
trap 'on_signal 143' TERM
trap 'on_signal 129' HUP

# start NAME COMMAND...: a service in its own process group, appending to $STATE_DIR/logs/NAME.log
start() {
  local name=$1
  shift
  LOCAL_STACK_RUN=$RUN_ID setsid "$@" >>"$STATE_DIR/logs/$name.log" 2>&1 </dev/null &
  pid_of[$name]=$!
  services+=($!)
}

# run COMMAND...: in the foreground, but a signal stops the stack at once (a foreground command
# would hold the trap until it ends) and the command with it (it is marked).
run() {
  LOCAL_STACK_RUN=$RUN_ID "$@" &
  wait "$!"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_for WHAT CHECK...: poll CHECK until it succeeds, READY_TIMEOUT at most; stop if a service
# exited (naming its log).
wait_for() {
  local what=$1 deadline=$((SECONDS + READY_TIMEOUT)) name
  shift
  until "$@"; do
    ((SECONDS < deadline)) || die "$what not ready after ${READY_TIMEOUT}s (see $STATE_DIR/logs/)"
    for name in "${!pid_of[@]}"; do
      if ! kill -0 "${pid_of[$name]}" 2>/dev/null; then
        tail -n 5 "$STATE_DIR/logs/$name.log" 2>/dev/null | sed 's/^/  /' >&2 2>/dev/null || true
        die "$name exited while waiting for $what (see $STATE_DIR/logs/$name.log)"
      fi
    done
    sleep 0.02
  done
}

# ---- before anything starts: tools, a stack already running here, ports -----------------------

[[ -x "$AWS" && -x "$PYTHON" ]] || die "the aws CLI and moto are not installed: run make tools"
command -v cargo-lambda >/dev/null || die "cargo-lambda is not on PATH: run make tools (make local puts it on PATH)"
[[ -f "$TEMPLATE" ]] || die "no template $TEMPLATE (TEMPLATE=path/to/template.yaml)"
case "$COGNITO" in
  local | aws) ;;
  *) die "COGNITO must be local (the emulator) or aws (the deployed user pool), not '$COGNITO'" ;;
esac
[[ "$SANDBOX" != *"'"* ]] || die "the checkout's path holds a quote ('), which cargo's --config cannot carry: $PWD"
if [[ "$WEB" == 1 ]]; then
  [[ -x "$VITE" ]] || die "the web app's packages are not installed: run make web-install"
fi

mkdir -p "$STATE_DIR/logs"
# One stack per STATE_DIR: the pid file is created only if absent (noclobber), so of two starts
# exactly one gets it. One left by a stack that was killed outright is taken over.
take_lock() { (set -o noclobber && echo "$$" >"$LOCK") 2>/dev/null; }
if ! take_lock; then
  other=$(cat "$LOCK" 2>/dev/null || true)
  if [[ "$other" =~ ^[0-9]+$ ]] && grep -qs 'local-stack\.sh' "/proc/$other/cmdline"; then
    die "a local stack is already running from $STATE_DIR (pid $other): stop it first (Ctrl-C where it runs), or start this one with another STATE_DIR and other ports"
  fi
  rm -f "$LOCK"
  take_lock || die "another local stack is starting from $STATE_DIR right now"
fi
owns_lock=1
rm -f "$STATE_DIR/stack.env" "$STATE_DIR/stack.env.new"

# The emulator only where there is a pool to emulate (checked for real once the template is read).
emulate=0
[[ "$COGNITO" == local ]] && grep -q 'AWS::Cognito::UserPool' "$TEMPLATE" && emulate=1
ports=("$API_PORT" "$REST_API_PORT" "$FUNCTION_PORT")
((emulate)) && ports+=("$COGNITO_PORT")
for port in "${ports[@]}"; do
  port_open "$port" && die "port $port is in use (ports: API_PORT=$API_PORT REST_API_PORT=$REST_API_PORT COGNITO_PORT=$COGNITO_PORT FUNCTION_PORT=$FUNCTION_PORT)"
done
if [[ "$WEB" == 1 ]]; then
  # Browsers try localhost on ::1 as well as 127.0.0.1: whatever holds either would answer.
  port_open "$WEB_PORT" || (exec 3<>"/dev/tcp/::1/$WEB_PORT") 2>/dev/null &&
    die "port $WEB_PORT is in use on localhost (WEB_PORT=$WEB_PORT)"
fi

# ---- what needs nothing else starts now: Cognito (moto takes about a second to load) and Vite ----

template_args=(--template "$TEMPLATE")
# The APIs' CORS and the function's ALLOWED_ORIGIN allow the page's origin (the project's template).
grep -q '^  AllowedOrigin:' "$TEMPLATE" && template_args+=(--parameter "AllowedOrigin=$web_origin")
# shellcheck disable=SC2086 # PARAMETERS is a space-separated list
for parameter in $PARAMETERS; do template_args+=(--parameter "$parameter"); done
seed=$STATE_DIR/cognito-seed.json ids=$STATE_DIR/cognito-ids.env
rm -f "$seed" "$ids"
cognito_endpoint=
if ((emulate)); then
  : "${REGION:=us-east-1}"
  export AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION=$REGION AWS_EC2_METADATA_DISABLED=true
  cognito_endpoint=http://127.0.0.1:$COGNITO_PORT
  # The emulator's own origin stands in for the user pool domain (managed login's pages).
  COGNITO_DOMAIN_URL=$cognito_endpoint
  seed_users=()
  [[ "$CREATE_USER" == 0 ]] && seed_users=(--no-seed-users)
  log "starting the Cognito emulator on $cognito_endpoint"
  # It creates the pools from $seed (written after the build below, while it loads) before it
  # listens. The wait for the seed is as long as the build (minutes on a cold cache): a failed
  # build stops the emulator with everything else, so no timeout of its own is needed there.
  start cognito env MOTO_COGNITO_IDP_USER_POOL_ID_STRATEGY=HASH MOTO_COGNITO_IDP_USER_POOL_CLIENT_ID_STRATEGY=HASH \
    "$PYTHON" scripts/cognito-emulator.py -H 127.0.0.1 -p "$COGNITO_PORT" \
    --seed "$seed" --seed-ids "$ids" --seed-region "$REGION" --seed-timeout 86400 "${seed_users[@]}"
fi
if [[ "$WEB" == 1 && "$WEB_SERVE" == dev ]]; then
  log "starting the web app (Vite) on $web_origin"
  # 127.0.0.1, not localhost: Node may bind localhost to ::1 only, and the browser tests also
  # open the app as http://127.0.0.1:WEB_PORT (another origin, which the API must refuse).
  # Vite reads config.json on each request: it is written once the ids are known.
  mkdir -p "$WEB_PUBLIC_DIR"
  # Niced: its start (a second or two of CPU) must not slow the APIs' on a 2-core machine.
  start web env WEB_PUBLIC_DIR="$(realpath "$WEB_PUBLIC_DIR")" nice -n 10 "$VITE" web --host 127.0.0.1 --port "$WEB_PORT" --strictPort
fi

# ---- build, then read the template -------------------------------------------------------------

log "building (cargo build --bins)"
# Every binary of the workspace in one cargo run: the gateway, the sandbox and the functions.
# `--bins` resolves features for the whole workspace, as `cargo run --bin <function>` (what
# cargo lambda watch runs) does, so the functions are not built again when first invoked.
build_json=$STATE_DIR/build.json
run cargo build --quiet --profile "$GATEWAY_PROFILE" --bins --message-format=json-render-diagnostics >"$build_json" ||
  die "the workspace does not build (above)"
# The workspace's binaries: which invoke names cargo lambda watch can run.
workspace_bins=$(grep -o '"executable":"[^"]*"' "$build_json" | sed 's|.*/||; s|"$||')

if ((emulate)); then
  "$GATEWAY" cognito-seed "${template_args[@]}" --region "$REGION" >"$seed.partial" ||
    die "cannot read the user pools of $TEMPLATE (above)"
  mv "$seed.partial" "$seed"
fi
"$GATEWAY" function-env "${template_args[@]}" >"$STATE_DIR/function.env" || die "cannot read $TEMPLATE (above)"
function_names=$("$GATEWAY" functions "${template_args[@]}") || die "cannot read the routes of $TEMPLATE (above)"
mapfile -t functions <<<"$function_names"
warm=()
for function in "${functions[@]}"; do
  [[ -n "$function" ]] || continue
  if grep -qx "$function" <<<"$workspace_bins"; then
    warm+=("$function")
  else
    log "warning: $function is not a binary of this workspace: cargo lambda watch cannot run it, its routes will answer as for an unreachable function"
  fi
done
if [[ "$FUNCTION_PROFILE" != "$GATEWAY_PROFILE" ]] && ((${#warm[@]})); then
  # Only the functions in their own profile (`--bin` resolves features as `--bins` does).
  run cargo build --quiet --profile "$FUNCTION_PROFILE" "${warm[@]/#/--bin=}" ||
    die "the functions do not build with profile $FUNCTION_PROFILE (above)"
fi

# ---- the functions -----------------------------------------------------------------------------

watch_profile=()
[[ "$FUNCTION_PROFILE" == dev ]] || watch_profile=(--profile "$FUNCTION_PROFILE")
start_function() {
  log "starting the functions (cargo lambda watch) on 127.0.0.1:$FUNCTION_PORT"
  # cargo runs each function through the sandbox: `lambda-sandbox target/.../<function>`.
  start function cargo lambda watch "${watch_profile[@]}" --invoke-address 127.0.0.1 --invoke-port "$FUNCTION_PORT" \
    --env-file "$STATE_DIR/function.env" --config "target.'cfg(all())'.runner=['$SANDBOX']"
  wait_for "cargo lambda watch" port_open "$FUNCTION_PORT"
  # One invocation per function, so the first real request does not wait for a process to start;
  # in the background (wait_warm_up waits for it), while the APIs start. Any answer will do (the
  # event need not suit the function): the process is up.
  warm_up &
  warm_pid=$!
}
warm_up() {
  local function
  for function in "${warm[@]}"; do
    LOCAL_STACK_RUN=$RUN_ID curl -s -o /dev/null --max-time "$READY_TIMEOUT" -X POST \
      --data-binary @events/http-api-no-authorizer.json \
      "http://127.0.0.1:$FUNCTION_PORT/2015-03-31/functions/$function/invocations" || return 1
  done
}
wait_warm_up() {
  wait "$warm_pid" || die "a function did not answer its first invocation (see $STATE_DIR/logs/function.log)"
}
start_function

# ---- Cognito's ids, then the APIs --------------------------------------------------------------

declare -A cognito_id=()
pools=() # the emulated pools' logical ids, in the template's order
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
  cognito_id[$USER_POOL_RESOURCE]=$USER_POOL_ID cognito_id[$USER_POOL_CLIENT_RESOURCE]=$USER_POOL_CLIENT_ID
  # The user pool domain, for the web app's sign-in and sign-out.
  [[ "$WEB" == 1 ]] && : "${COGNITO_DOMAIN_URL:=$(output UserPoolDomainUrl)}"
elif ((emulate)); then
  wait_for "the Cognito emulator" curl -fs -o /dev/null "$cognito_endpoint/moto-api/"
  [[ -f "$ids" ]] || die "the Cognito emulator wrote no ids (see $STATE_DIR/logs/cognito.log)"
  while IFS='=' read -r name value; do
    case "$name" in
      ID_*) cognito_id[${name#ID_}]=$value ;;
      CLIENTS_*) pools+=("${name#CLIENTS_}") ;;
    esac
  done <"$ids"
else
  : "${REGION:=us-east-1}"
fi
template_args+=(--region "$REGION")
for logical_id in "${!cognito_id[@]}"; do
  template_args+=(--resource-id "$logical_id=${cognito_id[$logical_id]}")
done
listen_args=(--port "$API_PORT" --rest-port "$REST_API_PORT")

"$GATEWAY" urls "${template_args[@]}" "${listen_args[@]}" >"$STATE_DIR/urls.env" || die "cannot place the APIs (above)"
"$GATEWAY" routes "${template_args[@]}" "${listen_args[@]}" >"$STATE_DIR/routes.txt" 2>/dev/null || true
api_ports=()
while IFS='=' read -r name url; do
  [[ "$name" == URL_* ]] || continue
  port=${url#http://127.0.0.1:} port=${port%%/*}
  [[ " ${ports[*]} " == *" $port "* ]] || ! port_open "$port" || die "port $port (API ${name#URL_}) is in use"
  api_ports+=("$port")
done <"$STATE_DIR/urls.env"

log "starting the APIs (local-api-gateway) on 127.0.0.1:$(IFS=,; echo "${api_ports[*]}")"
jwks_origin=()
((emulate)) && jwks_origin=(--jwks-origin "$cognito_endpoint")
# AWS_IAM routes take signatures by the credentials in the environment (the caller's own, with
# COGNITO=aws), else by the dummy ones the stack's aws CLI calls use (local / local).
# shellcheck disable=SC2086 # GATEWAY_ARGS is a list of options
AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-local} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-local} \
  start api "$GATEWAY" serve "${template_args[@]}" "${listen_args[@]}" \
  --invoke-endpoint "http://127.0.0.1:$FUNCTION_PORT" "${jwks_origin[@]}" $GATEWAY_ARGS

# ---- stack.env: every API's URL, every pool's and client's id ---------------------------------

id_of() { echo "${cognito_id[$1]:-}"; }
ids_value() { grep -m1 "^$1=" "$ids" 2>/dev/null | cut -d= -f2- || true; }
default_pool=$USER_POOL_RESOURCE default_client=$USER_POOL_CLIENT_RESOURCE
if [[ -z "$(id_of "$default_pool")" ]] && ((${#pools[@]})); then
  # Not the project's template: its first pool, and that pool's first client.
  default_pool=${pools[0]} default_client=$(ids_value "CLIENTS_${pools[0]}")
  default_client=${default_client%%,*}
fi
{
  cat "$STATE_DIR/urls.env"
  cat <<ENV
TEMPLATE=$TEMPLATE
COGNITO=$COGNITO
COGNITO_ENDPOINT=$cognito_endpoint
COGNITO_DOMAIN_URL=${COGNITO_DOMAIN_URL:-}
USER_POOL_ID=$(id_of "$default_pool")
USER_POOL_CLIENT_ID=$(id_of "$default_client")
REGION=$REGION
FUNCTION_ENDPOINT=http://127.0.0.1:$FUNCTION_PORT
ENV
  if [[ -f "$ids" ]]; then cat "$ids"; fi
  if [[ "$WEB" == 1 ]]; then echo "WEB_URL=$web_origin"; fi
} >"$STATE_DIR/stack.env.new"

for port in "${api_ports[@]}"; do wait_for "the API on port $port" port_open "$port"; done
wait_warm_up

if [[ "$WEB" == 1 ]]; then
  grep -q '^API_URL=' "$STATE_DIR/stack.env.new" || die "WEB=1: the web app needs an HTTP API (the project's template)"
  WEB_PUBLIC_DIR=$WEB_PUBLIC_DIR run scripts/web-config.sh local "$STATE_DIR/stack.env.new" ||
    die "cannot write the web app's config.json"
  if [[ "$WEB_SERVE" == preview ]]; then
    log "building the web app and serving it (vite preview) on $web_origin"
    # The production bundle (what is deployed), with this stack's config.json in it.
    WEB_PUBLIC_DIR=$(realpath "$WEB_PUBLIC_DIR") run "$VITE" build web --outDir "$(realpath "$STATE_DIR")/web-dist" --emptyOutDir \
      >>"$STATE_DIR/logs/web.log" 2>&1 || die "vite build failed (see $STATE_DIR/logs/web.log)"
    start web "$VITE" preview web --outDir "$(realpath "$STATE_DIR")/web-dist" --host 127.0.0.1 --port "$WEB_PORT" --strictPort
  fi
  wait_for "the web app" curl -fs -o /dev/null "http://127.0.0.1:$WEB_PORT/config.json"
fi

# ---- ready: the banner, then stack.env (whoever waits for it also finds the banner printed) ----

{
  echo
  echo "Local stack ready in $(elapsed)s. Ctrl-C stops it."
  # From `routes`: "HttpApi (HTTP API) http://127.0.0.1:3000   stages: $default".
  while read -r id rest; do
    kind=${rest%%)*} url=${rest#*) }
    printf '  %-10s %s   %s\n' "${kind#(}" "${url%%   stages:*}" "$id"
  done < <(grep -v '^ ' "$STATE_DIR/routes.txt" || true)
  if [[ -n "$cognito_endpoint" ]]; then
    for pool in "${pools[@]}"; do
      line="  Cognito    $cognito_endpoint   $pool ${cognito_id[$pool]}"
      username=$(ids_value "USERNAME_$pool")
      if [[ -n "$username" ]]; then line+=", user $username"; fi
      echo "$line"
    done
    echo "  Managed login  $COGNITO_DOMAIN_URL   (the web app's Sign in opens its login page)"
  elif [[ "$COGNITO" == aws ]]; then
    echo "  Cognito    the deployed pool of $STACK_NAME: $USER_POOL_ID, client $USER_POOL_CLIENT_ID"
  fi
  echo "  Functions  http://127.0.0.1:$FUNCTION_PORT   (cargo lambda watch: saves reload the code; a crashed process is replaced)"
  [[ "$WEB" == 1 ]] && echo "  Web app    $web_origin   (Vite $WEB_SERVE; sign in as user-a)"
  echo "  Logs       $STATE_DIR/logs/    Routes: $STATE_DIR/routes.txt    Endpoints and ids: source $STATE_DIR/stack.env"
  if grep -q '^API_URL=' "$STATE_DIR/stack.env.new" && [[ -n "$(id_of "$USER_POOL_RESOURCE")" && "$TEMPLATE" == template.yaml ]]; then
    # shellcheck disable=SC1091
    source "$STATE_DIR/stack.env.new"
    cat <<TRY

Try it (another terminal):
  curl -i $API_URL/hello                                  # 401
  TOKEN=\$(make -s token)                                # the local stack while it runs
  curl -H "Authorization: Bearer \$TOKEN" $API_URL/hello        # 200, through the HTTP API
  curl -H "Authorization: Bearer \$TOKEN" $REST_API_URL/hello    # 200, through the REST API
TRY
  fi
  echo
} >&2 2>/dev/null || true
mv "$STATE_DIR/stack.env.new" "$STATE_DIR/stack.env"
log "ready"

# ---- until Ctrl-C, SIGTERM or SIGHUP -----------------------------------------------------------

# The function endpoint holds no state, so it is restarted when it dies; Cognito (in-memory users),
# the APIs and the web app are not.
while true; do
  wait -n "${services[@]}" || true
  for name in "${!pid_of[@]}"; do
    [[ "$name" == function ]] && continue
    kill -0 "${pid_of[$name]}" 2>/dev/null || die "$name exited on its own (see $STATE_DIR/logs/$name.log)"
  done
  if ! kill -0 "${pid_of[function]}" 2>/dev/null; then
    log "the function endpoint exited; starting it again"
    kill -KILL -- "-${pid_of[function]}" 2>/dev/null || true
    services=()
    for name in "${!pid_of[@]}"; do [[ "$name" == function ]] || services+=("${pid_of[$name]}"); done
    start_function
    wait_warm_up
    log "the function endpoint is back"
  fi
done
