#!/usr/bin/env bash
# What the local gateway adds per request, for each API: the same function behind the HTTP API
# (JWT verified, payload 2.0 built) and behind the REST API (Cognito authorizer, payload 1.0),
# against the function called straight at its invoke endpoint with the same event, one request
# at a time, interleaved rounds. With BEFORE_GATEWAY (a local-http-api binary of an earlier
# commit, see bench.sh), that gateway serves the same HTTP API on another port and is measured in
# the same rounds. Prints a Markdown table; part of `make bench`.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${LOAD_REQUESTS:=5000}" "${LOAD_ROUNDS:=3}" "${LOAD_SECONDS_MAX:=120}" "${BEFORE_GATEWAY:=}"
# shellcheck source=lib/background-stack.sh
source scripts/lib/background-stack.sh
stack_up

invoke_url="$FUNCTION_ENDPOINT/2015-03-31/functions/hello/invocations"
oha_json() { timeout "$LOAD_SECONDS_MAX" "$OHA" --no-tui --output-format json -c 1 "$@"; }
direct_http() { oha_json -n "$1" -m POST -T application/json -D events/http-api-id-token.json "$invoke_url"; }
direct_rest() { oha_json -n "$1" -m POST -T application/json -D events/rest-api-id-token.json "$invoke_url"; }
through() { oha_json -n "$2" -H "authorization: Bearer $TOKEN" "$1/hello"; }
# The example's Rust authorizers take `allow-<name>`; `hello` greets the name.
allowed() { oha_json -n "$2" -H "authorization: Bearer allow-bench" "$1/hello"; }

# serve_beside NAME GATEWAY ARGS... [-- SERVE-ONLY ARGS...]: another gateway in front of the same
# function endpoint, on free ports; waits until every URL its `urls` prints is listening (written
# to $STACK_STATE/NAME.urls).
extra_pids=()
stop_extra() {
  local pid
  for pid in "${extra_pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}
trap 'stop_extra; stack_down' EXIT
serve_beside() {
  local name=$1 gateway=$2
  shift 2
  local log=$STACK_STATE/$name.log port deadline common=() arg
  for arg in "$@"; do
    [[ "$arg" == -- ]] && break
    common+=("$arg")
  done
  "$gateway" urls "${common[@]}" >"$STACK_STATE/$name.urls"
  setsid "$gateway" serve "${common[@]}" "${@:${#common[@]}+2}" --invoke-endpoint "$FUNCTION_ENDPOINT" >"$log" 2>&1 </dev/null &
  extra_pids+=($!)
  deadline=$((SECONDS + 60))
  while IFS='=' read -r key url; do
    [[ "$key" == URL_* || "$key" == API_URL || "$key" == REST_API_URL ]] || continue
    port=${url#http://127.0.0.1:} port=${port%%/*}
    until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
      if ((SECONDS >= deadline)) || ! kill -0 "${extra_pids[-1]}"; then cat "$log" >&2; exit 1; fi
      sleep 0.05
    done
  done <"$STACK_STATE/$name.urls"
}
url_of() { grep -m1 "^URL_$2=" "$STACK_STATE/$1.urls" | cut -d= -f2-; }

paths=(direct-http http direct-rest rest)
# Lambda authorizers (examples/lambda-authorizer/every-authorizer.yaml): a REST TOKEN and an HTTP
# REQUEST authorizer cached by token (every measured request a cache hit), and an HTTP one with
# simple answers that is not cached (one more invocation per request).
lambda_apis=(PolicyApi SignedHttpApi SimpleApi RequestApi SignedApi TokenApi)
# A port for each of those APIs and one for --port, two for an earlier gateway.
free=$(free_ports $((${#lambda_apis[@]} + 3)))
read -r -a ports <<<"$free"
lambda_args=(--template examples/lambda-authorizer/every-authorizer.yaml --region "$REGION" --port "${ports[0]}")
for i in "${!lambda_apis[@]}"; do lambda_args+=(--api-port "${lambda_apis[$i]}=${ports[$((i + 1))]}"); done
serve_beside lambda target/bench-tools/local-api-gateway "${lambda_args[@]}"
paths+=(rest-token-cached http-lambda-cached http-lambda-uncached)
if [[ -n "$BEFORE_GATEWAY" ]]; then
  # The earlier gateway, with the arguments it understands, in front of the same function.
  before_args=(--template template.yaml --region "$REGION"
    --resource-id "UserPool=$USER_POOL_ID" --resource-id "UserPoolClient=$USER_POOL_CLIENT_ID" --port "${ports[-2]}")
  "$BEFORE_GATEWAY" serve --help | grep -q -- --rest-port && before_args+=(--rest-port "${ports[-1]}")
  serve_beside before "$BEFORE_GATEWAY" "${before_args[@]}" -- --jwks-origin "$COGNITO_ENDPOINT"
  paths+=(http-before)
  grep -q "^REST_API_URL=" "$STACK_STATE/before.urls" && paths+=(rest-before)
fi

measure() {
  case "$1" in
    direct-http) direct_http "$2" ;;
    direct-rest) direct_rest "$2" ;;
    http) through "$API_URL" "$2" ;;
    rest) through "$REST_API_URL" "$2" ;;
    rest-token-cached) allowed "$(url_of lambda TokenApi)" "$2" ;;
    http-lambda-cached) allowed "$(url_of lambda PolicyApi)" "$2" ;;
    http-lambda-uncached) allowed "$(url_of lambda SimpleApi)" "$2" ;;
    http-before) through "$(grep -m1 '^API_URL=' "$STACK_STATE/before.urls" | cut -d= -f2-)" "$2" ;;
    rest-before) through "$(grep -m1 '^REST_API_URL=' "$STACK_STATE/before.urls" | cut -d= -f2-)" "$2" ;;
  esac
}

results=$(mktemp -d)
for path in "${paths[@]}"; do measure "$path" 200 >/dev/null; done
for round in $(seq "$LOAD_ROUNDS"); do
  for path in "${paths[@]}"; do measure "$path" "$LOAD_REQUESTS" >"$results/$path-$round.json"; done
done
rss=$(rss_kib "$GATEWAY_PID")

"$PYTHON" - "$results" "$LOAD_ROUNDS" "$LOAD_REQUESTS" "$rss" "${paths[@]}" <<'PY'
import json, statistics, sys
results, rounds, requests, rss, paths = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5:]
def load(kind):
    runs = [json.load(open(f"{results}/{kind}-{r}.json")) for r in range(1, rounds + 1)]
    return {
        "p50": [r["latencyPercentiles"]["p50"] * 1000 for r in runs],
        "p99": [r["latencyPercentiles"]["p99"] * 1000 for r in runs],
        "rps": [r["summary"]["requestsPerSec"] for r in runs],
        "ok": sum(r["statusCodeDistribution"].get("200", 0) for r in runs),
        "errors": sum(sum(r["errorDistribution"].values())
                      + sum(n for code, n in r["statusCodeDistribution"].items() if code != "200")
                      for r in runs),
    }
data = {path: load(path) for path in paths}
med = statistics.median
names = {
    "direct-http": "straight to the invoke endpoint, payload 2.0 event",
    "http": "through the HTTP API (JWT verified, payload 2.0)",
    "http-before": "through the HTTP API, the gateway of BENCH_BEFORE",
    "rest-before": "through the REST API, the gateway of BENCH_BEFORE",
    "rest-token-cached": "through a REST API, Lambda TOKEN authorizer, cached (payload 1.0)",
    "http-lambda-cached": "through an HTTP API, Lambda REQUEST authorizer, cached (payload 2.0)",
    "http-lambda-uncached": "through an HTTP API, Lambda REQUEST authorizer, not cached: one more invocation",
    "direct-rest": "straight to the invoke endpoint, payload 1.0 event",
    "rest": "through the REST API (Cognito authorizer, payload 1.0)",
}
print(f"{rounds} interleaved rounds of {requests} sequential requests each (oha -c 1), after 200 warm-up requests per path.\n")
print("| path | p50 (ms) | p99 (ms) | requests/s | 200s | errors |")
print("|---|---:|---:|---:|---:|---:|")
for path in paths:
    r = data[path]
    print(f"| {names[path]} | {med(r['p50']):.3f} | {med(r['p99']):.3f} | {med(r['rps']):.0f} | {r['ok']} | {r['errors']} |")
print()
for api, direct in [("http", "direct-http"), ("http-before", "direct-http"), ("rest", "direct-rest"),
                    ("rest-before", "direct-rest"), ("rest-token-cached", "direct-rest"),
                    ("http-lambda-cached", "direct-http")]:
    if api not in data:
        continue
    added = med(a - d for a, d in zip(data[api]["p50"], data[direct]["p50"]))
    clean = data[api]["errors"] == 0 and data[direct]["errors"] == 0
    verdict = "met" if added <= 0.5 and clean else "MISSED"
    print(f"- {names[api]}: adds {added:.3f} ms at p50 (median of per-round differences; target <= 0.5 ms with 0 errors: {verdict})")
def gap(a, b):
    return med(x - y for x, y in zip(data[a]["p50"], data[b]["p50"]))
print()
for lam, jwt, what in [("rest-token-cached", "rest", "REST: a cached Lambda TOKEN answer vs the Cognito authorizer"),
                       ("http-lambda-cached", "http", "HTTP: a cached Lambda REQUEST answer vs the JWT authorizer")]:
    d = gap(lam, jwt)
    print(f"- {what}: {d:+.3f} ms at p50 (target: at most 0.05 ms slower: {'met' if d <= 0.05 else 'MISSED'})")
print(f"- HTTP: a Lambda authorizer not cached vs cached: {gap('http-lambda-uncached', 'http-lambda-cached'):+.3f} ms at p50 (the authorizer's invocation)")
for now, before in [("http", "http-before"), ("rest", "rest-before")]:
    if before in data:
        print(f"- {now.upper()} API now vs BENCH_BEFORE: {gap(now, before):+.3f} ms at p50")
print(f"\nLocal gateway resident memory after the run: {rss} KiB.")
PY
rm -rf "$results"
