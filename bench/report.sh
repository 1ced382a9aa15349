#!/usr/bin/env bash
# report: every benchmark with its baseline in turn, then bench/results/latest.json, docs/benchmarks.md and its charts (--quick: 10,000 products, short runs, under 5 minutes).
# Called by bench/run.sh (`bench/run.sh report [--quick] [--no-run]`) with the stack's settings, the Release builds,
# BENCH_PUBLISHER and BENCH_OUT (this run's log, bench/results/report.json) in the environment.
# Each benchmark runs as `bench/run.sh NAME` runs it: BENCH_OUT=bench/results/NAME.json (NAME-N.json with BENCH_PRODUCTS=N)
# under STATIC_BENCH_TIMEOUT (900 s). With --quick it runs with the short settings below, under STATIC_BENCH_TIMEOUT
# (240 s here), and writes bench/results/NAME-quick.json, never a full run's file. A benchmark that fails is recorded
# (status, exit code, time; its output stays in .local/bench/report/NAME.log) and the next one runs; the report is
# written anyway, and then the exit code is 1. Last, bench/Report reads every bench/results/*.json and writes the report.
#   --quick      storefront, lighthouse and micro are not run (about 6, 12 and 2 minutes); their last figures stay, dated
#   --no-run     run no benchmark: write the report from the results on disk
#   BENCH_REPORT_ONLY="api edge"   run only these (the report still shows the others' last figures, dated)
#   BENCH_REPORT_SKIP="clients"    leave these out of the run
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
QUICK=0 NORUN=0
for a in "$@"; do
  case "$a" in
    --quick) QUICK=1 ;;
    --no-run) NORUN=1 ;;
    *) echo "usage: bench/run.sh report [--quick] [--no-run]" >&2; exit 2 ;;
  esac
done
[ -n "${BENCH_PUBLISHER:-}" ] || { echo "run it as bench/run.sh report [--quick]: that builds, brings the stack up and sets BENCH_PUBLISHER" >&2; exit 2; }
RUN_LOG="${BENCH_OUT:-bench/results/report.json}"
LOGS=.local/bench/report
mkdir -p "$LOGS" bench/results
START=$SECONDS
STARTED="$(date -u +%FT%TZ)"
MODE=full; [ "$QUICK" = 1 ] && MODE=quick

elapsed() { local s=$((SECONDS - START)); printf '%d:%02d' $((s / 60)) $((s % 60)); }
say() { printf '[report %s, %s elapsed] %s\n' "$(date -u +%H:%M:%S)" "$(elapsed)" "$*" >&2; }

# The generator first: a report that cannot be written is known before the benchmarks run.
say "building bench/Report ..."
dotnet build bench/Report/Static.BenchReport.csproj -c Release -nologo -v quiet -o .local/bench/report-tool >"$LOGS/build.log" 2>&1 \
  || { cat "$LOGS/build.log" >&2; exit 1; }

# The order: cheap and self-contained first; edgehit publishes the demo catalog that edge, freshness and surge use.
ORDER=(seed publish api edgehit edge freshness clients surge storefront lighthouse micro)
for f in bench/*.sh; do   # any other benchmark (line 2 "# NAME: ...") after these
  n="$(basename "$f" .sh)"
  case " ${ORDER[*]} run report lib " in *" $n "*) continue ;; esac
  sed -n 2p "$f" | grep -q "^# $n:" && ORDER+=("$n")
done

# The short settings of --quick (VAR=value ...), or "skip: why".
quick_settings() {
  case "$1" in
    seed) echo "BENCH_PRODUCTS=10000 BENCH_SEED_RUNS=1" ;;
    publish) echo "BENCH_PRODUCTS=10000 BENCH_RUNS=1 BENCH_PUBLISH_ROOTS=shm BENCH_GROWTH=1000 BENCH_S3_PRODUCTS=1000 BENCH_S3_PARALLELISM=16 BENCH_WARM_CHANGES=3" ;;
    api) echo "BENCH_PAIRS=1 BENCH_DURATION=3s BENCH_WARMUP=5s" ;;
    edgehit) echo "BENCH_PAIRS=1 BENCH_DURATION=3s" ;;
    edge) echo "BENCH_PRODUCTS=10000 BENCH_EDGE_SAMPLES=3" ;;
    freshness) echo "BENCH_CHANGES=20 BENCH_BURST=200" ;;
    clients) echo "BENCH_PRODUCTS=10000 BENCH_ROUNDS=1" ;;
    surge) echo "BENCH_WARM_SECONDS=3 BENCH_BASE_SECONDS=8 BENCH_SURGE_SECONDS=4 BENCH_QUIET_SECONDS=3 BENCH_FLOOD_SECONDS=6 BENCH_PEAK_SECONDS=3 BENCH_SOAK_SECONDS=6" ;;
    storefront) echo "skip: about 6 minutes (three publishes of 10,000 products to s3rver and a second publisher build)" ;;
    lighthouse) echo "skip: about 12 minutes at 3 runs a page (and it measures the running shop)" ;;
    micro) echo "skip: BenchmarkDotNet's short run alone takes about a minute and a half with its build (bench/run.sh micro --quick runs it)" ;;
    *) echo "skip: no short settings for it" ;;
  esac
}

selected() {
  local n="$1"
  [ -z "${BENCH_REPORT_ONLY:-}" ] || [[ " $BENCH_REPORT_ONLY " == *" $n "* ]] || return 1
  [[ " ${BENCH_REPORT_SKIP:-} " != *" $n "* ]]
}

ENTRIES="$LOGS/entries.tsv"
: >"$ENTRIES"
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$ENTRIES"; }   # name status file seconds exit settings log why
FAILED=()

if [ "$NORUN" = 0 ]; then
  RUN=()
  for n in "${ORDER[@]}"; do [ -f "bench/$n.sh" ] && selected "$n" && RUN+=("$n"); done
  say "$MODE report: ${RUN[*]}"
  i=0
  for name in "${RUN[@]}"; do
    i=$((i + 1))
    settings=""
    if [ "$QUICK" = 1 ]; then
      settings="$(quick_settings "$name")"
      if [[ "$settings" == skip:* ]]; then
        say "($i/${#RUN[@]}) $name: not run by --quick (${settings#skip: })"
        record "$name" skipped "" "" "" "" "" "not run by --quick: ${settings#skip: }"
        continue
      fi
      out="bench/results/$name-quick.json"
      limit="${STATIC_BENCH_TIMEOUT:-240}"
    else
      out="bench/results/$name${BENCH_PRODUCTS:+-$BENCH_PRODUCTS}.json"
      limit="${STATIC_BENCH_TIMEOUT:-900}"
    fi
    log="$LOGS/$name.log"
    say "($i/${#RUN[@]}) $name${settings:+ ($settings)} → $out"
    t0=$SECONDS
    marker="$LOGS/.started"; touch "$marker"
    # As bench/run.sh runs it; the settings are exported for this benchmark only. Its output goes to the log and,
    # indented, to the terminal.
    (
      export BENCH_OUT="$out"
      for kv in $settings; do export "$kv"; done
      exec timeout "$limit" bash "bench/$name.sh"
    ) 2>&1 | tee "$log" | sed -u 's/^/    /' >&2
    rc=${PIPESTATUS[0]}
    took=$((SECONDS - t0))
    if [ "$rc" = 0 ] && [ "$out" -nt "$marker" ]; then
      say "$name ok in ${took} s"
      record "$name" ok "$out" "$took" 0 "$settings" "$log" ""
    else
      status=failed
      [ "$rc" = 124 ] && status="timed out (${limit} s)"
      [ "$rc" = 0 ] && status="wrote no result"
      [ "$rc" != 0 ] && [ "$out" -nt "$marker" ] && status="$status after writing its result"
      say "⚠ $name $status after ${took} s (exit $rc); its output: $log"
      record "$name" "$status" "$out" "$took" "$rc" "$settings" "$log" ""
      FAILED+=("$name")
    fi
  done
fi

python3 - "$RUN_LOG" "$ENTRIES" "$MODE" "$STARTED" "$((SECONDS - START))" "$NORUN" <<'PY'
import datetime, json, sys
out, entries, mode, started, seconds, norun = sys.argv[1:]
rows = []
for line in open(entries):
    name, status, file, secs, code, settings, log, why = line.rstrip("\n").split("\t")
    rows.append({"name": name, "status": status, "file": file, "seconds": int(secs) if secs else None,
                 "exit": int(code) if code else None, "settings": settings, "log": log, "why": why})
json.dump({"benchmark": "report", "mode": mode, "started": started,
           "finished": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
           "seconds": int(seconds), "ran_benchmarks": norun != "1", "benchmarks": rows}, open(out, "w"), indent=2)
PY

say "writing the report ..."
ARGS=(--prefer "$MODE")
# With --no-run nothing was measured now: the generator judges staleness by age, not by this run's start.
[ "$NORUN" = 1 ] || ARGS+=(--run-log "$RUN_LOG")
dotnet .local/bench/report-tool/Static.BenchReport.dll "${ARGS[@]}" || FAILED+=("the report generator")
say "done in $(elapsed): docs/benchmarks.md, bench/results/latest.json, docs/benchmarks/*.png"
if [ "${#FAILED[@]}" -gt 0 ]; then
  say "⚠ failed: ${FAILED[*]} (the report shows their last figures, dated)"
  exit 1
fi
