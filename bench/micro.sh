#!/usr/bin/env bash
# micro: BenchmarkDotNet micro-benchmarks (render a product page, hash it, diff a 100,000-entry manifest, the Api's L1 hit): time and bytes allocated per operation.
# Called by bench/run.sh (BENCH_OUT is the results file); needs no server. BENCH_QUICK=1 (or --quick): BenchmarkDotNet's
# short run, about a minute; otherwise 15 measured iterations each, about 3 minutes on 2 cores. Other arguments go to
# BenchmarkDotNet (e.g. --filter '*Diff*'). Its own reports (full JSON, Markdown, CSV) go to .local/bench/micro-artifacts.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT="${BENCH_OUT:-bench/results/micro.json}"
ARGS=()
QUICK="${BENCH_QUICK:-0}"
for a in "$@"; do
  if [ "$a" = --quick ]; then QUICK=1; else ARGS+=("$a"); fi
done
[ "$QUICK" = 1 ] && ARGS+=(--quick)
ARTIFACTS=.local/bench/micro-artifacts
mkdir -p .local/bench "$(dirname "$OUT")"
rm -rf "$ARTIFACTS"

echo "micro: building bench/Micro (Release)"
dotnet build bench/Micro/Static.Micro.csproj -c Release -nologo -v quiet -o .local/bench/micro >.local/bench/build-micro.log 2>&1 \
  || { cat .local/bench/build-micro.log; exit 1; }

echo "micro: running (quick: $QUICK; BenchmarkDotNet's log in .local/bench/micro.log)"
# The benchmarks run in this one process (see bench/Micro/MicroProgram.cs); the working folder is the repository, so
# they find publish-config.json.
if ! dotnet .local/bench/micro/Static.Micro.dll --out "$OUT" --artifacts "$ARTIFACTS" "${ARGS[@]}" >.local/bench/micro.log 2>&1; then
  tail -n 60 .local/bench/micro.log
  exit 1
fi
# The results file must hold every field the report reads, as numbers; printed as a table.
python3 - "$OUT" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["benchmark"] == "micro" and isinstance(doc["quick"], bool) and doc["results"], "no results"
for r in doc["results"]:
    for field in ("mean_ns", "error_ns", "stddev_ns", "allocated_bytes_per_op", "operations_per_second"):
        assert isinstance(r[field], (int, float)), f"{r['name']}: {field} is not a number"
    print(f"  {r['name']:<78} {r['mean_ns']:>16,.1f} ns ± {r['error_ns']:>14,.1f}  {r['allocated_bytes_per_op']:>9,} B/op  {r['operations_per_second']:>12,.1f} op/s")
PY
