#!/usr/bin/env bash
# `make load`: LOAD_CONNECTIONS (64) connections against the local API for LOAD_DURATION seconds,
# half sending a valid ID token, half the same token with its signature changed. Passes when every
# valid request got 200, every forged one 401, no connection failed, and the API's memory stayed
# flat. Prints a Markdown summary (BENCHMARKS.md); exits non-zero when a check fails.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${LOAD_DURATION:=30}" "${LOAD_CONNECTIONS:=64}" "${LOAD_WARMUP:=5}"
# shellcheck source=lib/background-stack.sh
source scripts/lib/background-stack.sh
stack_up

forged=$("$PYTHON" -c '
import sys
head, _, sig = sys.argv[1].rpartition(".")
i = len(sig) // 2
print(head + "." + sig[:i] + ("A" if sig[i] != "A" else "B") + sig[i + 1:])' "$TOKEN")
results=$(mktemp -d)
half=$((LOAD_CONNECTIONS / 2))

# Warm-up at full concurrency first: connection buffers and allocator arenas grow once; memory
# is "flat" when it stops growing after that.
"$OHA" --no-tui --output-format quiet -w -z "${LOAD_WARMUP}s" -c "$LOAD_CONNECTIONS" \
  -H "authorization: Bearer $TOKEN" "$API_URL/hello"
rss_kib "$GATEWAY_PID" >"$results/rss"
(while kill -0 "$GATEWAY_PID" 2>/dev/null; do rss_kib "$GATEWAY_PID" >>"$results/rss"; sleep 1; done) &
sampler=$!
"$OHA" --no-tui --output-format json -w -z "${LOAD_DURATION}s" -c "$half" \
  -H "authorization: Bearer $TOKEN" "$API_URL/hello" >"$results/valid.json" &
valid=$!
"$OHA" --no-tui --output-format json -w -z "${LOAD_DURATION}s" -c "$half" \
  -H "authorization: Bearer $forged" "$API_URL/hello" >"$results/forged.json" &
invalid=$!
wait "$valid" "$invalid"
kill "$sampler" 2>/dev/null || true
rss_kib "$GATEWAY_PID" >>"$results/rss"

status=0
"$PYTHON" - "$results" "$LOAD_CONNECTIONS" "$LOAD_DURATION" "$LOAD_WARMUP" <<'PY' || status=$?
import json, sys
results, connections, duration = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rss = [int(line) for line in open(f"{results}/rss") if line.strip()]
ok = True
print(f"{connections} connections for {duration} s against GET /hello: half with a valid ID token, "
      "half with the same token, signature changed.\n")
print("| requests | count | requests/s | p50 (ms) | p99 (ms) | status codes | connection errors | wrong answers |")
print("|---|---:|---:|---:|---:|---|---:|---:|")
for name, expected in [("valid", "200"), ("forged", "401")]:
    run = json.load(open(f"{results}/{name}.json"))
    codes = run["statusCodeDistribution"]
    errors = sum(run["errorDistribution"].values())
    count = sum(codes.values())
    wrong = count - codes.get(expected, 0)
    ok &= errors == 0 and wrong == 0 and count > 0
    p = run["latencyPercentiles"]
    print(f"| {name} | {count} | {run['summary']['requestsPerSec']:.0f} | {p['p50'] * 1000:.2f} "
          f"| {p['p99'] * 1000:.2f} | {codes} | {errors} | {wrong} |")
growth = rss[-1] - rss[0]
flat = growth <= 1024
ok &= flat
print(f"\nLocal API resident memory, sampled every second after a {sys.argv[4]} s warm-up: {rss[0]} KiB "
      f"at the start, {max(rss)} KiB peak, {rss[-1]} KiB at the end ({growth:+d} KiB; flat, <= 1 MiB: "
      f"{'yes' if flat else 'NO'}).")
print("Samples (KiB): " + " ".join(str(r) for r in rss))
print(f"\nResult: {'pass' if ok else 'FAIL'}")
sys.exit(0 if ok else 1)
PY
rm -rf "$results"
exit "$status"
