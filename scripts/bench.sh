#!/usr/bin/env bash
# `make bench`: every figure of BENCHMARKS.md, measured in one run, against baselines measured in
# the same run. Results: target/bench/{runtime,gateway}.{md,json} and criterion's report.
#
#   1. the function binaries, built as deployed (cargo lambda build --release), ours and the
#      `cargo lambda new --http` baseline, for x86_64 (run here) and arm64 (sizes);
#   2. lambda-bench: cold starts, warm invocations, CPU and memory, interleaved, in rounds;
#   3. criterion: authorizer + event building inside the local gateway, for each API kind;
#   4. oha through the local gateway (token verified) against the function's invoke endpoint,
#      for the HTTP API and the REST API;
#   5. the local stack: start -> first 200 and memory at rest (scripts/bench-stack.sh; with
#      BENCH_STACK_BEFORE=<commit>, also the stack of that commit, in the same run).
# BENCH_BEFORE=<commit> adds, in the same run, the local gateway of an earlier commit (built in a
# git worktree under target/bench/): its criterion figures and its HTTP API over loopback.
#
# Counts are environment variables; `make bench-smoke` runs a tiny version of steps 1-2.
set -euo pipefail
cd "$(dirname "$0")/.."

: "${ROUNDS:=3}" "${COLD_STARTS:=50}" "${WARM_INVOCATIONS:=10000}" "${BENCH_STACK_BEFORE:=}"
: "${LOAD_REQUESTS:=5000}" "${LOAD_ROUNDS:=3}" "${LOAD_SECONDS_MAX:=120}"
OUT=target/bench
PYTHON=.tools/aws/bin/python
mkdir -p "$OUT"
log() { printf '[bench] %s\n' "$*" >&2; }

log "building the function binaries (cargo lambda build --release)"
cargo lambda build --quiet --release --bin hello --lambda-dir target/lambda/x86_64
cargo lambda build --quiet --release --arm64 --bin hello --lambda-dir target/lambda/arm64
# The baseline keeps its default release profile; stripped only, so sizes compare like for like.
for arch in x86_64 arm64; do
  flag=()
  [[ $arch == arm64 ]] && flag=(--arm64)
  CARGO_PROFILE_RELEASE_STRIP=true cargo lambda build --quiet --release "${flag[@]}" \
    --manifest-path bench/baseline/Cargo.toml --lambda-dir "bench/baseline/target/lambda/$arch"
done
cargo build --quiet --profile bench-tools -p lambda-bench
# BENCH_MUSL=1 adds ours statically linked against musl, as a third function (BENCHMARKS.md).
extra=()
if [[ "${BENCH_MUSL:-0}" == 1 ]]; then
  rustup target add x86_64-unknown-linux-musl
  cargo lambda build --quiet --release --bin hello --target x86_64-unknown-linux-musl --lambda-dir target/lambda/x86_64-musl
  extra=(--function ours-musl=target/lambda/x86_64-musl/hello/bootstrap)
fi

log "lambda-bench: $ROUNDS rounds, $COLD_STARTS cold starts and $WARM_INVOCATIONS warm invocations each"
target/bench-tools/lambda-bench \
  --function ours=target/lambda/x86_64/hello/bootstrap \
  --function baseline=bench/baseline/target/lambda/x86_64/baseline/bootstrap "${extra[@]}" \
  --size arm64/ours=target/lambda/arm64/hello/bootstrap \
  --size arm64/baseline=bench/baseline/target/lambda/arm64/baseline/bootstrap \
  --size x86_64/ours=target/lambda/x86_64/hello/bootstrap \
  --size x86_64/baseline=bench/baseline/target/lambda/x86_64/baseline/bootstrap \
  --rounds "$ROUNDS" --cold-starts "$COLD_STARTS" --warm-invocations "$WARM_INVOCATIONS" \
  --check-logs --targets --json "$OUT/runtime.json" | tee "$OUT/runtime.md"

before_gateway=
if [[ -n "${BENCH_BEFORE:-}" ]]; then
  before=$OUT/before-$(git rev-parse --short "$BENCH_BEFORE")
  log "building the local gateway of $BENCH_BEFORE in $before"
  [[ -d "$before" ]] || git worktree add --detach "$before" "$BENCH_BEFORE"
  # The crate's name then (local-http-api until the REST API came).
  crate=local-api-gateway
  [[ -d "$before/crates/local-api-gateway" ]] || crate=local-http-api
  (cd "$before" && cargo build --quiet --profile bench-tools -p "$crate" &&
    cargo bench --quiet --profile bench-tools -p "$crate" --bench verify_and_build -- gateway/ &&
    cargo lambda build --quiet --release --arm64 --bin hello --lambda-dir target/lambda/arm64)
  before_gateway=$before/target/bench-tools/$crate
  size_before=$(stat -c %s "$before/target/lambda/arm64/hello/bootstrap")
  size_now=$(stat -c %s target/lambda/arm64/hello/bootstrap)
  "$PYTHON" -c 'import sys; b, n = int(sys.argv[1]), int(sys.argv[2]); print(f"hello, arm64 stripped: {b:,} bytes at {sys.argv[3]}, {n:,} now ({(n - b) / b:+.1%}; limit +5 %)")' \
    "$size_before" "$size_now" "$BENCH_BEFORE" | tee "$OUT/size.md"
fi

log "criterion: authorize + build the event, in process"
cargo bench --quiet --profile bench-tools -p local-api-gateway --bench verify_and_build -- gateway/
criterion_median_us() {
  "$PYTHON" -c 'import json, sys; print(round(json.load(open(sys.argv[1]))["median"]["point_estimate"] / 1000, 2))' \
    "$1/target/criterion/gateway/${2//\//_}/new/estimates.json"
}
{
  echo "| in-process step | HTTP API, JWT (µs) | REST API, Cognito (µs) | REST API, Lambda TOKEN (µs) | HTTP API, Lambda REQUEST (µs) |"
  echo "|---|---:|---:|---:|---:|"
  echo "| take the token from the header | $(criterion_median_us . bearer_token) | (same) | | |"
  for step in authorize_first_seen authorize build_event authorize_and_build; do
    echo "| $step | $(criterion_median_us . "http/$step") | $(criterion_median_us . "rest/$step") | $(criterion_median_us . "rest-lambda-token/$step") | $(criterion_median_us . "http-lambda-request/$step") |"
  done
  if [[ -n "$before_gateway" ]]; then
    echo
    echo "The same steps at $BENCH_BEFORE:"
    echo
    if [[ -d "$before/target/criterion/gateway/http_authorize" ]]; then
      echo "| in-process step | HTTP API, JWT (µs) | REST API, Cognito (µs) |"
      echo "|---|---:|---:|"
      for step in authorize_first_seen authorize build_event authorize_and_build; do
        echo "| $step | $(criterion_median_us "$before" "http/$step") | $(criterion_median_us "$before" "rest/$step") |"
      done
    else
      echo "| in-process step | median (µs) |"
      echo "|---|---:|"
      for step in bearer_token verify_token_first_seen verify_token build_v2_event verify_and_build; do
        echo "| $step | $(criterion_median_us "$before" "$step") |"
      done
    fi
  fi
} | tee "$OUT/criterion.md"

log "start-up of the gateway on a twenty-route template"
cargo build --quiet --profile bench-tools -p local-api-gateway --bin local-api-gateway
"$PYTHON" scripts/bench_startup.py target/bench-tools/local-api-gateway bench/templates/twenty-routes.yaml 20 | tee "$OUT/startup.md"

log "oha: through the local gateway vs straight to the invoke endpoint"
BEFORE_GATEWAY=$before_gateway scripts/bench-gateway.sh | tee "$OUT/gateway.md"

log "the local stack: start -> first 200, memory at rest (BENCH_STACK_BEFORE=$BENCH_STACK_BEFORE)"
scripts/bench-stack.sh
