#!/usr/bin/env bash
# publish: 100,000 products to the folder store vs a raw write of the same files (disk and tmpfs, 3 alternating pairs); growth; s3rver concurrency sweep.
# Called by bench/run.sh with the stack's settings in the environment. Uses its own databases and buckets.
#   BENCH_PRODUCTS (100000)          catalog size of the main runs
#   BENCH_RUNS (3)                   publishes per folder; each sits between two raw writes
#   BENCH_PUBLISH_ROOTS ("disk shm") where the folder store and the raw write go: /tmp (disk) and /dev/shm (tmpfs)
#   BENCH_GROWTH ("1000 10000")      smaller catalogs for the growth curve (full and one-change publish, tmpfs)
#   BENCH_S3_PRODUCTS (10000)        catalog size for the s3rver sweep; 0 skips it
#   BENCH_S3_PARALLELISM ("4 8 16 32") upload concurrencies tried against s3rver
#   BENCH_WARM_CHANGES (6)           one-change publishes through `publisher run` per catalog size (the first is cold)
set -euo pipefail
PRODUCTS="${BENCH_PRODUCTS:-100000}"
RUNS="${BENCH_RUNS:-3}"
ROOTS="${BENCH_PUBLISH_ROOTS:-disk shm}"
GROWTH="${BENCH_GROWTH:-1000 10000}"
S3_PRODUCTS="${BENCH_S3_PRODUCTS:-10000}"
S3_PARALLELISM="${BENCH_S3_PARALLELISM:-4 8 16 32}"
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$STATIC_PG_PORT" -U postgres)
DB=static_bench_publish
BASE_DATABASE="$STATIC_DATABASE"
META=/tmp/static-bench-publish-meta
BUCKET_PREFIX="bench-publish-$$"
command -v /usr/bin/time >/dev/null || { apt-get install -y -qq --no-install-recommends time >/dev/null; }
PUB=(dotnet "$BENCH_PUBLISHER")

work_of() { case "$1" in disk) echo /tmp/static-bench-publish ;; shm) echo /dev/shm/static-bench-publish ;; *) echo "unknown root $1" >&2; exit 2 ;; esac; }
cleanup() {
  "${PSQL[@]}" postgres -c "drop database if exists $DB with (force)" >/dev/null 2>&1 || true
  for r in disk shm; do rm -rf "$(work_of $r)"; done
  rm -rf "$META"
  rm -rf "$(dirname "$STATIC_PG_DIR")/s3rver/data/$BUCKET_PREFIX"-* 2>/dev/null || true
}
trap cleanup EXIT
cleanup
mkdir -p "$META"

use_db() { # size -> a fresh database of that many products, selected for the publisher
  "${PSQL[@]}" postgres -c "drop database if exists $DB with (force)" -c "create database $DB" >/dev/null
  export STATIC_DATABASE="${BASE_DATABASE/Database=static/Database=$DB}"
  echo "seeding $1 products ..." >&2
  "${PUB[@]}" seed --products "$1" >/dev/null
}
# Forget everything published (rows, image variants, owed invalidations): the next publish is a first one, from nothing.
reset_state() { "${PSQL[@]}" "$DB" -c "truncate artifacts, published_entities, image_variants, pending_invalidations; delete from publishes" >/dev/null; }

# Runs the publisher under /usr/bin/time -v; sets WALL (s), RSS (KiB) and SUMMARY (the --json line).
timed() {
  /usr/bin/time -v -o "$META/time.txt" "${PUB[@]}" "$@" --json >"$META/out.json"
  SUMMARY="$(tail -n1 "$META/out.json")"
  WALL="$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' "$META/time.txt")"
  RSS="$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$META/time.txt")"
}

# bench/RawWrite writes the file set (same names, sizes, folders) with File.WriteAllBytesAsync, 16 in parallel,
# onto an empty folder after a sync; RAW_WALL is from process start.
raw_write() { # root
  local raw; raw="$(work_of "$1")/raw"
  rm -rf "$raw"; sync; sleep 1
  local t0; t0=$(date +%s%N)
  dotnet bench/RawWrite/bin/Release/net10.0/RawWrite.dll "$META/files.tsv" "$raw" 16 >/dev/null
  RAW_WALL=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
  rm -rf "$raw"; sync
}

publish_fresh() { # root -> a first publish of everything into an empty folder
  local site; site="$(work_of "$1")/site"
  reset_state; rm -rf "$site"; sync; sleep 1
  STATIC_CONFIG__store__kind=folder STATIC_CONFIG__store__folder="$site" timed publish
}

use_db "$PRODUCTS"
echo "a first publish to learn the file set the publisher writes ..." >&2
mkdir -p "$(work_of disk)"
publish_fresh disk
(cd "$(work_of disk)/site" && find . -type f -printf '%s\t%P\n') >"$META/files.tsv"
FILES=$(wc -l <"$META/files.tsv")
BYTES=$(awk -F'\t' '{ s += $1 } END { print s }' "$META/files.tsv")

: >"$META/pairs.tsv"
for root in $ROOTS; do
  mkdir -p "$(work_of "$root")"
  echo "[$root] raw write 1 of $((RUNS + 1)) ..." >&2
  raw_write "$root"; before=$RAW_WALL
  for run in $(seq 1 "$RUNS"); do
    echo "[$root] full publish $run of $RUNS ..." >&2
    publish_fresh "$root"
    pub_wall=$WALL pub_rss=$RSS pub_summary=$SUMMARY
    echo "[$root] raw write $((run + 1)) of $((RUNS + 1)) ..." >&2
    raw_write "$root"; after=$RAW_WALL
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$root" "$run" "$before" "$pub_wall" "$after" "$pub_rss" "$pub_summary" >>"$META/pairs.tsv"
    before=$after
  done
done

# Incremental runs on the last disk site (or the last root's): nothing changed, one price changed, --full with nothing changed.
LAST_ROOT="${ROOTS%% *}"
SITE="$(work_of "$LAST_ROOT")/site"
publish_fresh "$LAST_ROOT"
export STATIC_CONFIG__store__kind=folder STATIC_CONFIG__store__folder="$SITE"
echo "no-change and one-change incremental publishes ..." >&2
timed publish; NOOP_WALL=$WALL NOOP_SUMMARY=$SUMMARY
"${PSQL[@]}" "$DB" -c "update products set price_amount = price_amount + 1 where id = 77" >/dev/null
timed publish; ONE_WALL=$WALL ONE_SUMMARY=$SUMMARY
timed publish --full; NOOPFULL_WALL=$WALL NOOPFULL_RSS=$RSS NOOPFULL_SUMMARY=$SUMMARY
unset STATIC_CONFIG__store__kind STATIC_CONFIG__store__folder

# Warm one-change publishes in `publisher run` (the service keeps the live state between runs): after a fresh
# full publish to tmpfs, the service is started and WARM_CHANGES price changes are committed one at a time as
# the admin API commits them (the row and an outbox row, NOTIFY); each is drained into an incremental publish,
# whose time the service logs ("... in N ms"). The first is the service's first publish (it reads the live rows);
# the rest start from the state the previous one left. Prints "first_ms warm_ms,warm_ms,...".
WARM_CHANGES="${BENCH_WARM_CHANGES:-6}"
warm_run() {
  local log="$META/run.log" n i
  STATIC_CONFIG__store__kind=folder STATIC_CONFIG__store__folder="$(work_of shm)/site" \
    STATIC_CONFIG__schedule__fullPublishCron="0 0 3 1 1 ? 2099" Logging__LogLevel__Default=Information \
    "${PUB[@]}" run >"$log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 300); do grep -q "Outbox\|Scheduler .* started\|Now listening\|Started" "$log" 2>/dev/null && break; sleep 0.2; done
  sleep 2
  for i in $(seq 1 "$WARM_CHANGES"); do
    n=$(grep -c "change(s) published as version" "$log" || true)
    "${PSQL[@]}" "$DB" -c "begin; update products set price_amount = price_amount + 1, updated_at = now(), row_version = row_version + 1 where id = 7;
      with row as (insert into outbox (entity_type, entity_id, change, payload) values ('product', 7, 'updated', null) returning id)
      select pg_notify('static_outbox', id::text) from row; commit;" >/dev/null
    for _ in $(seq 1 600); do [ "$(grep -c "change(s) published as version" "$log" || true)" -gt "$n" ] && break; sleep 0.1; done
    [ "$(grep -c "change(s) published as version" "$log" || true)" -gt "$n" ] || { kill "$pid"; cat "$log" >&2; echo "publisher run did not publish change $i within 60 s" >&2; exit 1; }
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true
  grep -o "change(s) published as version [0-9]*: .* in [0-9]* ms" "$log" | sed 's/.* in \([0-9]*\) ms/\1/' \
    | awk 'NR == 1 { first = $1; next } { w = w (w == "" ? "" : ",") $1 } END { print first, w }'
}

echo "[warm $PRODUCTS] full publish to tmpfs, then $WARM_CHANGES changes through publisher run ..." >&2
mkdir -p "$(work_of shm)"
publish_fresh shm
WARM_MAIN="$(warm_run)"

# Growth: smaller catalogs on tmpfs (the disk's noise would hide the curve): a full publish and a one-change one,
# then the warm one-change publishes of publisher run.
: >"$META/growth.tsv"
for size in $GROWTH; do
  use_db "$size"
  mkdir -p "$(work_of shm)"
  echo "[growth $size] full publish, then one change, then $WARM_CHANGES through publisher run ..." >&2
  publish_fresh shm; g_wall=$WALL g_rss=$RSS g_summary=$SUMMARY
  "${PSQL[@]}" "$DB" -c "update products set price_amount = price_amount + 1 where id = 7" >/dev/null
  STATIC_CONFIG__store__kind=folder STATIC_CONFIG__store__folder="$(work_of shm)/site" timed publish
  g_warm="$(warm_run)"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$size" "$g_wall" "$g_rss" "$g_summary" "$WALL" "$SUMMARY" "$g_warm" >>"$META/growth.tsv"
done

# s3rver: one fresh bucket per upload concurrency (s3rver is single-threaded: a report, no target).
: >"$META/s3.tsv"
if [ "$S3_PRODUCTS" -gt 0 ]; then
  use_db "$S3_PRODUCTS"
  for p in $S3_PARALLELISM; do
    bucket="$BUCKET_PREFIX-$p"
    curl -fsS -X PUT "$STATIC_S3_SERVICE_URL/$bucket" >/dev/null
    reset_state
    echo "[s3rver] $S3_PRODUCTS products at $p uploads in flight ..." >&2
    STATIC_S3_BUCKET="$bucket" STATIC_CONFIG__publish__uploadParallelism="$p" timed publish
    printf '%s\t%s\t%s\n' "$p" "$WALL" "$SUMMARY" >>"$META/s3.tsv"
    rm -rf "$(dirname "$STATIC_PG_DIR")/s3rver/data/$bucket"
  done
fi

python3 - "$BENCH_OUT" "$META" <<PY
import json, statistics, sys
out, meta = sys.argv[1], sys.argv[2]
def rows(name):
    return [l.rstrip("\n").split("\t") for l in open(f"{meta}/{name}") if l.strip()]
roots = {}
for root, run, before, wall, after, rss, summary in rows("pairs.tsv"):
    before, wall, after = float(before), float(wall), float(after)
    s = json.loads(summary)
    roots.setdefault(root, []).append({
        "run": int(run), "raw_before_s": before, "publish_s": wall, "raw_after_s": after,
        "ratio_vs_mean_raw": round((before + after) / 2 / wall, 3), "peak_rss_mib": round(int(rss) / 1024),
        "objects": s["objects"], "invalidated": s["invalidated"], "stages": s["stages"],
    })
summary = {r: {"pairs": p, "median_ratio": statistics.median(x["ratio_vs_mean_raw"] for x in p),
               "peak_rss_mib_max": max(x["peak_rss_mib"] for x in p)} for r, p in roots.items()}
first = next(iter(roots.values()))
growth = []
def warm(text):
    # "first_ms warm_ms,warm_ms,...": publisher run's first drained publish (reads the live rows) and the warm ones.
    first_ms, rest = (text.split() + [""])[:2]
    ms = [int(x) for x in rest.split(",") if x]
    return {"first_publish_ms": int(first_ms), "warm_publish_ms": ms, "warm_median_ms": statistics.median(ms) if ms else None}
for size, wall, rss, s, one_wall, one, w in rows("growth.tsv"):
    growth.append({"products": int(size), "full_s": float(wall), "peak_rss_mib": round(int(rss) / 1024),
                   "artifacts": json.loads(s)["artifacts"], "one_change_s": float(one_wall), "one_change_stages": json.loads(one)["stages"],
                   "publisher_run": warm(w)})
main_full = statistics.median(x["publish_s"] for x in roots.get("shm", first))
growth.append({"products": $PRODUCTS, "full_s": main_full, "peak_rss_mib": max(x["peak_rss_mib"] for x in roots.get("shm", first)),
               "artifacts": json.loads('''$ONE_SUMMARY''')["artifacts"], "one_change_s": float("$ONE_WALL"), "one_change_stages": json.loads('''$ONE_SUMMARY''')["stages"],
               "publisher_run": warm("$WARM_MAIN")})
w_small = next((g for g in growth if g["products"] == 10000), None)
w_large = growth[-1]
warm_ratio = (round(w_large["publisher_run"]["warm_median_ms"] / w_small["publisher_run"]["warm_median_ms"], 2)
              if w_small and w_large is not w_small and w_small["publisher_run"]["warm_median_ms"] and w_large["publisher_run"]["warm_median_ms"] else None)
s3 = []
for p, wall, s in rows("s3.tsv"):
    j = json.loads(s)
    s3.append({"upload_parallelism": int(p), "wall_s": float(wall), "objects": j["objects"], "bytes": j["bytes"],
               "objects_per_s": round(j["objects"] / j["seconds"]), "mib_per_s": round(j["bytes"] / 1048576 / j["seconds"], 1)})
result = {
    "benchmark": "publish", "date": "$(date -u +%FT%TZ)", "machine": "$(nproc) cores", "products": $PRODUCTS,
    "files_written": $FILES, "bytes_written": $BYTES, "runs_per_root": $RUNS,
    "roots": summary,
    # The shape earlier reports read: the disk's median pair.
    "full_to_folder": {"wall_seconds_from_process_start": statistics.median(x["publish_s"] for x in first),
                       "peak_rss_mib": max(x["peak_rss_mib"] for x in first)},
    "publisher_speed_vs_raw_write": {"vs_mean": summary[next(iter(summary))]["median_ratio"]},
    "no_change_incremental": {"wall_seconds": float("$NOOP_WALL"), "summary": json.loads('''$NOOP_SUMMARY''')},
    "one_change_incremental": {"wall_seconds": float("$ONE_WALL"), "summary": json.loads('''$ONE_SUMMARY''')},
    "no_change_full": {"wall_seconds": float("$NOOPFULL_WALL"), "peak_rss_mib": round($NOOPFULL_RSS / 1024), "summary": json.loads('''$NOOPFULL_SUMMARY''')},
    "growth": growth,
    "warm_one_change_largest_over_10000": warm_ratio,
    "warm_target": "a warm one-change publish in publisher run at 100,000 products <= 2 x its time at 10,000",
    "s3rver_sweep": {"products": $S3_PRODUCTS, "runs": s3},
}
json.dump(result, open(out, "w"), indent=2)
PY
