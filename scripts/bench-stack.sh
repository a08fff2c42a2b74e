#!/usr/bin/env bash
# `make bench-stack` (and the last step of `make bench`): how fast the local stack starts and how
# much memory it holds at rest, now and, with BENCH_STACK_BEFORE=<commit>, at an earlier commit
# (its worktree under target/bench/, built there), in the same run. Prints a Markdown table;
# also written to target/bench/stack.md.
#
# One start = scripts/local-stack.sh executed (debug builds, warm caches: nothing to rebuild) ->
# the first 200 of GET /hello through the HTTP API with a valid ID token, polled every 20 ms (and
# -> the stack's own "ready": stack.env written). The token comes from a first, unmeasured start
# of each variant: pool and client ids are the same at every start and the emulator's signing key
# is moto's own, so it stays valid (60 minutes). Variants alternate; WEB=0 (the APIs only) and
# WEB=1 (with the web app, what `make local` starts for the project's template).
# Memory: the resident set of every process of the stack (VmRSS), 3 s after its first 200.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${START_RUNS:=7}" "${BENCH_STACK_BEFORE:=}"
ROOT=$PWD
OUT=target/bench
PYTHON=$ROOT/.tools/aws/bin/python
export PATH=$ROOT/.tools/lambda/bin:$PATH
mkdir -p "$OUT"
log() { printf '[bench-stack] %s\n' "$*" >&2; }
# free_ports COUNT: COUNT distinct free ports on one line.
free_ports() { "$PYTHON" "$ROOT/scripts/free_ports.py" "$1"; }
now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((t / 1000)); }

variants=(now)
declare -A dir_of=([now]=$ROOT)
if [[ -n "$BENCH_STACK_BEFORE" ]]; then
  before=$ROOT/$OUT/before-$(git rev-parse --short "$BENCH_STACK_BEFORE")
  [[ -d "$before" ]] || git worktree add --detach "$before" "$BENCH_STACK_BEFORE" >&2
  # The same tools and web packages as this checkout (the old scripts find them by relative path).
  [[ -e "$before/.tools" ]] || ln -s "$ROOT/.tools" "$before/.tools"
  [[ -e "$before/web/node_modules" ]] || ln -s "$ROOT/web/node_modules" "$before/web/node_modules"
  variants=(before now)
  dir_of[before]=$before
fi

# One web port for every start: it is in the app client's callback URLs, so in its (hashed) id.
web_port=$(free_ports 1)
results=$(mktemp -d)
stack_pid='' state=''
stop_stack() {
  if [[ -n "$stack_pid" ]] && kill -0 "$stack_pid" 2>/dev/null; then
    kill -TERM -- "-$stack_pid" 2>/dev/null || true
    wait "$stack_pid" 2>/dev/null || true
  fi
  [[ -n "$state" ]] && rm -rf "$state"
  stack_pid='' state=''
}
trap 'stop_stack; rm -rf "$results"' EXIT

# start_stack VARIANT WEB: in the background, on free ports; sets stack_pid, state, api_url.
start_stack() {
  local dir=${dir_of[$1]} ports api_port rest_api_port cognito_port function_port
  state=$(mktemp -d "${TMPDIR:-/tmp}/bench-stack.XXXXXX")
  ports=$(free_ports 4)
  read -r api_port rest_api_port cognito_port function_port <<<"$ports"
  api_url=http://127.0.0.1:$api_port
  (cd "$dir" && exec env BENCH_STACK_RUN="$state" TOOLS="$ROOT/.tools" STATE_DIR="$state" WEB="$2" \
    WEB_PORT="$web_port" WEB_PUBLIC_DIR="$state/web-public" API_PORT="$api_port" REST_API_PORT="$rest_api_port" \
    COGNITO_PORT="$cognito_port" FUNCTION_PORT="$function_port" TEMPLATE=template.yaml \
    setsid scripts/local-stack.sh >"$state/stack.log" 2>&1 </dev/null) &
  stack_pid=$!
}

# measure VARIANT WEB TOKEN: one start; sets first and ready (milliseconds).
measure() {
  local t0
  first='' ready=''
  t0=$(now_ms)
  start_stack "$1" "$2"
  until [[ -n "$first" && -n "$ready" ]]; do
    kill -0 "$stack_pid" 2>/dev/null || { cat "$state/stack.log" >&2; log "the $1 stack exited"; exit 1; }
    (($(now_ms) - t0 < 600000)) || { log "the $1 stack did not answer within 10 minutes"; exit 1; }
    if [[ -z "$first" ]] && [[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $3" "$api_url/hello")" == 200 ]]; then
      first=$(($(now_ms) - t0))
    fi
    [[ -z "$ready" && -f "$state/stack.env" ]] && ready=$(($(now_ms) - t0))
    sleep 0.02
  done
}

# rss: "name|kib" per process of the running stack.
rss() {
  local pid name
  { grep -lsz "^BENCH_STACK_RUN=$state\$" /proc/[0-9]*/environ 2>/dev/null || true; } | cut -d/ -f3 | while read -r pid; do
    name=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || continue
    case "$name" in
      *local-stack.sh*) name="the script (bash)" ;;
      *cognito-emulator*) name="Cognito emulator (moto, Python)" ;;
      *cargo-lambda*) name="cargo lambda watch" ;;
      *lambda-sandbox*) name="lambda-sandbox (per function)" ;;
      */hello*) name="the function hello" ;;
      *local-api-gateway*) name="local-api-gateway" ;;
      *esbuild*) name="Vite's esbuild" ;;
      *vite*) name="Vite (Node.js)" ;;
      *) continue ;; # sleep, curl, ... of the moment
    esac
    echo "$name|$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)"
  done
}

declare -A token_of=()
for variant in "${variants[@]}"; do
  for web in 0 1; do
    log "$variant, WEB=$web: a first start (builds what it needs; not measured)"
    start_stack "$variant" "$web"
    until [[ -f "$state/stack.env" ]]; do
      kill -0 "$stack_pid" 2>/dev/null || { cat "$state/stack.log" >&2; log "the $variant stack exited"; exit 1; }
      sleep 0.2
    done
    token_of[$variant]=$(cd "${dir_of[$variant]}" && STACK=local STACK_ENV="$state/stack.env" AWS="$ROOT/.tools/aws/bin/aws" \
      PYTHON="$PYTHON" scripts/walkthrough.sh token)
    stop_stack
  done
done

for run in $(seq "$START_RUNS"); do
  for variant in "${variants[@]}"; do
    for web in 0 1; do
      measure "$variant" "$web" "${token_of[$variant]}"
      echo "$first $ready" >>"$results/start-$variant-$web"
      log "$variant, WEB=$web, run $run: first 200 after $first ms, ready after $ready ms"
      if ((run == START_RUNS)); then
        sleep 3 # at rest
        rss >"$results/rss-$variant-$web"
      fi
      stop_stack
    done
  done
done

"$PYTHON" - "$results" "$START_RUNS" "$BENCH_STACK_BEFORE" "${variants[@]}" <<'PY' | tee "$OUT/stack.md"
import collections, os, statistics, sys
results, runs, before, variants = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
name = {"before": f"at {before}", "now": "now"}
print(f"{runs} starts per row, interleaved, after one unmeasured start each; debug builds, warm caches.\n")
print("| stack | web app | start -> first 200, median (min-max) | start -> ready, median |")
print("|---|---|---:|---:|")
for v in variants:
    for web in "01":
        rows = [tuple(map(int, l.split())) for l in open(f"{results}/start-{v}-{web}")]
        first = [r[0] / 1000 for r in rows]
        ready = [r[1] / 1000 for r in rows]
        print(f"| {name[v]} | {'WEB=1' if web == '1' else 'WEB=0'} | {statistics.median(first):.2f} s "
              f"({min(first):.2f}-{max(first):.2f}) | {statistics.median(ready):.2f} s |")
print("\nResident memory at rest (VmRSS, MiB; 3 s after the first 200 of the last start):\n")
tables = {}
for v in variants:
    for web in "01":
        per = collections.defaultdict(int)
        for line in open(f"{results}/rss-{v}-{web}"):
            what, kib = line.rstrip("\n").rsplit("|", 1)
            per[what] += int(kib)
        tables[(v, web)] = per
columns = [(v, web) for web in "10" for v in variants]
processes = sorted({p for t in tables.values() for p in t})
print("| process | " + " | ".join(f"{name[v]}, WEB={web}" for v, web in columns) + " |")
print("|---|" + "---:|" * len(columns))
for p in processes:
    cells = [f"{tables[c][p] / 1024:.1f}" if p in tables[c] else "-" for c in columns]
    print(f"| {p} | " + " | ".join(cells) + " |")
print("| **total** | " + " | ".join(f"**{sum(tables[c].values()) / 1024:.1f}**" for c in columns) + " |")
PY
