#!/usr/bin/env bash
# The test command: brings up the local real stack (installing what is missing), builds with warnings as
# errors, runs every test project, and exits with the tests' status.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

scripts/stack.sh up

echo "== build (warnings are errors)"
dotnet build Static.sln -nologo -v quiet -clp:NoSummary

echo "== test"
mkdir -p .local
set +e
dotnet test Static.sln --no-build -nologo 2>&1 | tee .local/test-output.log
status=${PIPESTATUS[0]}
set -e

# One plain closing line over all test projects: "N passed, N failed, N skipped".
awk '
  /(Passed|Failed)! +- +Failed: / {
    for (i = 1; i <= NF; i++) { gsub(",", "", $(i+1)); if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) }
    runs++
  }
  END { if (runs == 0) { print "0 passed, 1 failed (no test run reported)"; exit 1 } printf "%d passed, %d failed, %d skipped\n", p, f, s }
' .local/test-output.log || status=1
exit "$status"
