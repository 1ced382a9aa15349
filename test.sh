#!/usr/bin/env bash
# The test command: brings up the local real stack (installing what is missing), builds with warnings as
# errors, runs every test project, and exits with the tests' status.
#   ./test.sh           the unit and integration tests (not the fault suite)
#   ./test.sh --faults  the fault suite: servers stopped or killed under a paced load, one table row each
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

MODE=default
case "${1:-}" in
  "") ;;
  --faults) MODE=faults ;;
  *) echo "usage: ./test.sh [--faults]" >&2; exit 2 ;;
esac

scripts/stack.sh up

echo "== build (warnings are errors)"
dotnet build Static.sln -nologo -v quiet -clp:NoSummary

mkdir -p .local
set +e
if [ "$MODE" = faults ]; then
  echo "== fault suite (each test: its own servers, a paced load, one part broken and restored)"
  export STATIC_FAULT_REPORT="$PWD/.local/faults/report.tsv"
  mkdir -p .local/faults && : >"$STATIC_FAULT_REPORT"
  dotnet test tests/Static.IntegrationTests --no-build -nologo --filter "Category=Faults" 2>&1 | tee .local/test-output.log
  status=${PIPESTATUS[0]}
else
  echo "== test"
  dotnet test Static.sln --no-build -nologo --filter "Category!=Faults" 2>&1 | tee .local/test-output.log
  status=${PIPESTATUS[0]}
fi
set -e

if [ "$MODE" = faults ]; then
  # The table: one row per fault, "nothing" in the last column when every acknowledged write reached the edge.
  echo
  awk -F '\t' 'BEGIN { print "| Fault | Load | What clients saw while it lasted | p99 then | Recovery | Lost |"; print "|---|---|---|---|---|---|" }
    { printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6 }' "$STATIC_FAULT_REPORT"
  echo
fi

# One plain closing line over all test projects: "N passed, N failed, N skipped".
awk '
  /(Passed|Failed)! +- +Failed: / {
    for (i = 1; i <= NF; i++) { gsub(",", "", $(i+1)); if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) }
    runs++
  }
  END { if (runs == 0) { print "0 passed, 1 failed (no test run reported)"; exit 1 } printf "%d passed, %d failed, %d skipped\n", p, f, s }
' .local/test-output.log || status=1
exit "$status"
