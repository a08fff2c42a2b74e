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

paths=(direct-http http direct-rest rest)
before_url=
if [[ -n "$BEFORE_GATEWAY" ]]; then
  before_port=$(free_port)
  before_url=http://127.0.0.1:$before_port
  # The earlier gateway, with the arguments it understands, in front of the same function.
  setsid "$BEFORE_GATEWAY" serve --template template.yaml --region "$REGION" \
    --resource-id "UserPool=$USER_POOL_ID" --resource-id "UserPoolClient=$USER_POOL_CLIENT_ID" \
    --port "$before_port" --invoke-endpoint "$FUNCTION_ENDPOINT" --jwks-origin "$COGNITO_ENDPOINT" \
    >"$STACK_STATE/before.log" 2>&1 </dev/null &
  before_pid=$!
  trap 'kill -TERM "$before_pid" 2>/dev/null || true; wait "$before_pid" 2>/dev/null || true; stack_down' EXIT
  deadline=$((SECONDS + 60))
  until (exec 3<>"/dev/tcp/127.0.0.1/$before_port") 2>/dev/null; do
    ((SECONDS < deadline)) || { cat "$STACK_STATE/before.log" >&2; exit 1; }
    kill -0 "$before_pid" || { cat "$STACK_STATE/before.log" >&2; exit 1; }
    sleep 0.1
  done
  paths+=(http-before)
fi

measure() {
  case "$1" in
    direct-http) direct_http "$2" ;;
    direct-rest) direct_rest "$2" ;;
    http) through "$API_URL" "$2" ;;
    rest) through "$REST_API_URL" "$2" ;;
    http-before) through "$before_url" "$2" ;;
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
    "http-before": "through the HTTP API, the gateway before the REST API was added",
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
for api, direct in [("http", "direct-http"), ("http-before", "direct-http"), ("rest", "direct-rest")]:
    if api not in data:
        continue
    added = med(a - d for a, d in zip(data[api]["p50"], data[direct]["p50"]))
    clean = data[api]["errors"] == 0 and data[direct]["errors"] == 0
    verdict = "met" if added <= 0.5 and clean else "MISSED"
    print(f"- {names[api]}: adds {added:.3f} ms at p50 (median of per-round differences; target <= 0.5 ms with 0 errors: {verdict})")
print(f"\nLocal gateway resident memory after the run: {rss} KiB.")
PY
rm -rf "$results"
