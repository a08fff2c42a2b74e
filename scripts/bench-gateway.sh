#!/usr/bin/env bash
# What the local API adds per request: the same function behind it (token verified, event
# built) and called straight at its invoke endpoint, one request at a time, interleaved rounds.
# Prints a Markdown table; part of `make bench`.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${LOAD_REQUESTS:=5000}" "${LOAD_ROUNDS:=3}" "${LOAD_SECONDS_MAX:=120}"
# shellcheck source=lib/background-stack.sh
source scripts/lib/background-stack.sh
stack_up

invoke_url="$FUNCTION_ENDPOINT/2015-03-31/functions/hello/invocations"
direct() {
  timeout "$LOAD_SECONDS_MAX" "$OHA" --no-tui --output-format json -c 1 -n "$1" \
    -m POST -T application/json -D events/http-api-id-token.json "$invoke_url"
}
through_api() {
  timeout "$LOAD_SECONDS_MAX" "$OHA" --no-tui --output-format json -c 1 -n "$1" \
    -H "authorization: Bearer $TOKEN" "$API_URL/hello"
}

results=$(mktemp -d)
direct 200 >/dev/null
through_api 200 >/dev/null
for round in $(seq "$LOAD_ROUNDS"); do
  direct "$LOAD_REQUESTS" >"$results/direct-$round.json"
  through_api "$LOAD_REQUESTS" >"$results/api-$round.json"
done
rss=$(rss_kib "$GATEWAY_PID")

"$PYTHON" - "$results" "$LOAD_ROUNDS" "$LOAD_REQUESTS" "$rss" <<'PY'
import json, statistics, sys
results, rounds, requests, rss = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
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
direct, api = load("direct"), load("api")
added = statistics.median(a - d for a, d in zip(api["p50"], direct["p50"]))
med = statistics.median
print(f"{rounds} interleaved rounds of {requests} sequential requests each (oha -c 1), after 200 warm-up requests.\n")
print("| path | p50 (ms) | p99 (ms) | requests/s | 200s | errors |")
print("|---|---:|---:|---:|---:|---:|")
for name, r in [("straight to the invoke endpoint", direct), ("through the local API (JWT verified)", api)]:
    print(f"| {name} | {med(r['p50']):.3f} | {med(r['p99']):.3f} | {med(r['rps']):.0f} | {r['ok']} | {r['errors']} |")
verdict = "met" if added <= 0.5 and direct["errors"] == 0 and api["errors"] == 0 else "MISSED"
print(f"\nThe local API adds {added:.3f} ms at p50 (median of per-round differences; target <= 0.5 ms with 0 errors: {verdict}).")
print(f"Local API resident memory after the run: {rss} KiB.")
PY
rm -rf "$results"
