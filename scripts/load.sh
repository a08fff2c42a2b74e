#!/usr/bin/env bash
# `make load`: LOAD_CONNECTIONS (64) connections against the local HTTP API, half sending a valid
# ID token, half the same token with its signature changed, through three phases:
#   1. the issuer (the Cognito emulator) up;
#   2. the issuer stopped (SIGSTOP: it accepts connections and never answers, the worst case),
#      while the cached keys are still within TTL + the staleness bound;
#   3. past that bound.
# Passes when valid tokens get 200 in phases 1 and 2 and 401 in phase 3 (fail closed), forged
# ones 401 throughout, no connection fails, p99 stays bounded (no queue behind the unreachable
# issuer) and the API's memory stays flat. Prints a Markdown summary (BENCHMARKS.md); exits
# non-zero when a check fails.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${LOAD_CONNECTIONS:=64}" "${LOAD_WARMUP:=3}" "${LOAD_PHASE:=5}"
# The key cache's clock for this run, short enough to cross the staleness bound in a minute.
: "${KEY_TTL:=10}" "${KEY_STALENESS:=15}"
export GATEWAY_ARGS="--jwks-ttl-ms $((KEY_TTL * 1000)) --jwks-max-staleness-ms $((KEY_STALENESS * 1000)) \
--jwks-refetch-cooldown-ms 1000 --jwks-timeout-ms 500"
# shellcheck source=lib/background-stack.sh
source scripts/lib/background-stack.sh
stack_up

cognito_pid=$(pgrep -f "cognito-emulator.py .*-p ${COGNITO_ENDPOINT##*:}( |$)" | head -n 1)
[[ -n "$cognito_pid" ]] || { echo "the Cognito emulator's process was not found" >&2; exit 1; }
resume_issuer() { kill -CONT "$cognito_pid" 2>/dev/null || true; }
trap 'resume_issuer; stack_down' EXIT

forged=$("$PYTHON" -c '
import sys
head, _, sig = sys.argv[1].rpartition(".")
i = len(sig) // 2
print(head + "." + sig[:i] + ("A" if sig[i] != "A" else "B") + sig[i + 1:])' "$TOKEN")
results=$(mktemp -d)
half=$((LOAD_CONNECTIONS / 2))

# run PHASE SECONDS: both halves at once, each oha's JSON to $results/PHASE-{valid,forged}.json
run() {
  "$OHA" --no-tui --output-format json -w -z "${2}s" -c "$half" \
    -H "authorization: Bearer $TOKEN" "$API_URL/hello" >"$results/$1-valid.json" &
  local valid=$!
  "$OHA" --no-tui --output-format json -w -z "${2}s" -c "$half" \
    -H "authorization: Bearer $forged" "$API_URL/hello" >"$results/$1-forged.json"
  wait "$valid"
}

# The first request fetches the keys: the TTL and the staleness bound count from here. The
# warm-up also grows connection buffers and allocator arenas once; memory is "flat" when it
# stops growing after that.
keys_fetched=$SECONDS
"$OHA" --no-tui --output-format quiet -w -z "${LOAD_WARMUP}s" -c "$LOAD_CONNECTIONS" \
  -H "authorization: Bearer $TOKEN" "$API_URL/hello"
rss_kib "$GATEWAY_PID" >"$results/rss"
(while kill -0 "$GATEWAY_PID" 2>/dev/null; do rss_kib "$GATEWAY_PID" >>"$results/rss"; sleep 1; done) &
sampler=$!

run up "$LOAD_PHASE"
kill -STOP "$cognito_pid"
stopped_at=$((SECONDS - keys_fetched))
bound=$((KEY_TTL + KEY_STALENESS))
# Phase 2 ends 2 s before the bound, phase 3 starts 1 s after it.
run stopped $((bound - 2 - (SECONDS - keys_fetched)))
while ((SECONDS - keys_fetched <= bound)); do sleep 0.2; done
run past-bound "$LOAD_PHASE"
kill "$sampler" 2>/dev/null || true
rss_kib "$GATEWAY_PID" >>"$results/rss"
resume_issuer

status=0
"$PYTHON" - "$results" "$LOAD_CONNECTIONS" "$KEY_TTL" "$KEY_STALENESS" "$stopped_at" <<'PY' || status=$?
import json, sys
results, connections, ttl, staleness, stopped_at = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
rss = [int(line) for line in open(f"{results}/rss") if line.strip()]
# p99 bound: far below a queue behind the issuer (each queued request would wait the 500 ms
# fetch timeout, and a queue would add up to seconds).
P99_BOUND_MS = 250
ok = True
print(f"{connections} connections against GET /hello: half a valid ID token, half the same token with its "
      f"signature changed. Key TTL {ttl} s, staleness bound {staleness} s more; the issuer stopped "
      f"(SIGSTOP) {stopped_at} s after the keys were fetched.\n")
print("| phase | requests | count | requests/s | p50 (ms) | p99 (ms) | status codes | expected | connection errors | wrong answers |")
print("|---|---|---:|---:|---:|---:|---|---|---:|---:|")
phases = [
    ("up", "issuer up", {"valid": "200", "forged": "401"}),
    ("stopped", "issuer stopped, keys within the bound", {"valid": "200", "forged": "401"}),
    ("past-bound", "issuer stopped, past the bound", {"valid": "401", "forged": "401"}),
]
for key, name, expected in phases:
    for kind in ("valid", "forged"):
        run = json.load(open(f"{results}/{key}-{kind}.json"))
        codes = run["statusCodeDistribution"]
        errors = sum(run["errorDistribution"].values())
        count = sum(codes.values())
        wrong = count - codes.get(expected[kind], 0)
        p = run["latencyPercentiles"]
        p99 = (p["p99"] or 0) * 1000
        bounded = p99 <= P99_BOUND_MS
        ok &= errors == 0 and wrong == 0 and count > 0 and bounded
        print(f"| {name} | {kind} | {count} | {run['summary']['requestsPerSec']:.0f} | {(p['p50'] or 0) * 1000:.2f} "
              f"| {p99:.2f}{'' if bounded else ' (over ' + str(P99_BOUND_MS) + ')'} | {codes} | all {expected[kind]} | {errors} | {wrong} |")
growth = rss[-1] - rss[0]
flat = growth <= 1024
ok &= flat
print(f"\nLocal API resident memory, sampled every second after the warm-up: {rss[0]} KiB at the start, "
      f"{max(rss)} KiB peak, {rss[-1]} KiB at the end ({growth:+d} KiB; flat, <= 1 MiB: {'yes' if flat else 'NO'}).")
print("Samples (KiB): " + " ".join(str(r) for r in rss))
print(f"\nResult: {'pass' if ok else 'FAIL'}")
sys.exit(0 if ok else 1)
PY
rm -rf "$results"
exit "$status"
