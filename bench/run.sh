#!/usr/bin/env bash
# Runs one benchmark: bench/run.sh NAME runs bench/NAME.sh against the local stack (loopback only,
# bounded by STATIC_BENCH_TIMEOUT seconds, default 900) and writes bench/results/NAME.json.
# Arguments after NAME go to bench/NAME.sh.
#   bench/run.sh                   lists the benchmarks
#   bench/run.sh report [--quick]  runs them all, then writes bench/results/latest.json and docs/benchmarks.md (bench/report.sh)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
NAME="${1:-}"
if [ -z "$NAME" ] || [ ! -f "bench/$NAME.sh" ]; then
  echo "usage: bench/run.sh NAME [ARGS...] (ARGS go to bench/NAME.sh, e.g. bench/run.sh report --quick), where NAME is one of:" >&2
  for f in bench/*.sh; do n="$(basename "$f" .sh)"; [ "$n" = run ] || printf '  %-12s %s\n' "$n" "$(sed -n '2s/^# //p' "$f")" >&2; done
  exit 2
fi
scripts/stack.sh up >/dev/null
set -a; . .local/stack.env; set +a
mkdir -p bench/results .local/bench
dotnet build src/Publisher/Static.Publisher.csproj -c Release -nologo -v quiet -o .local/bench/publisher >.local/bench/build.log 2>&1 \
  || { cat .local/bench/build.log; exit 1; }
dotnet build src/Api/Static.Api.csproj -c Release -nologo -v quiet -o .local/bench/api >.local/bench/build-api.log 2>&1 \
  || { cat .local/bench/build-api.log; exit 1; }
dotnet build bench/RawWrite/RawWrite.csproj -c Release -nologo -v quiet >.local/bench/build-raw.log 2>&1 \
  || { cat .local/bench/build-raw.log; exit 1; }
dotnet build bench/BareApi/BareApi.csproj -c Release -nologo -v quiet >.local/bench/build-bare.log 2>&1 \
  || { cat .local/bench/build-bare.log; exit 1; }
export BENCH_PUBLISHER=".local/bench/publisher/publisher.dll"
# A benchmark run on a catalog of its own size (BENCH_PRODUCTS) keeps its figures apart.
export BENCH_OUT="bench/results/$NAME${BENCH_PRODUCTS:+-$BENCH_PRODUCTS}.json"
# report runs each benchmark under its own STATIC_BENCH_TIMEOUT, so the whole run is not limited here (0: no limit).
LIMIT="${STATIC_BENCH_TIMEOUT:-900}"; [ "$NAME" != report ] || LIMIT=0
timeout "$LIMIT" bash "bench/$NAME.sh" "${@:2}"
echo "wrote $BENCH_OUT"
cat "$BENCH_OUT"
