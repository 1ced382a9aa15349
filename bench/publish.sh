#!/usr/bin/env bash
# publish: 100,000 products to the folder store vs a raw write of the same files; no-change runs; 10,000 to s3rver.
# Called by bench/run.sh with the stack's settings in the environment. Uses its own database and bucket.
set -euo pipefail
PRODUCTS="${BENCH_PRODUCTS:-100000}"
S3_PRODUCTS="${BENCH_S3_PRODUCTS:-10000}"
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$STATIC_PG_PORT" -U postgres)
DB=static_bench_publish
WORK=/tmp/static-bench-publish
SITE="$WORK/site"
RAW="$WORK/raw"
BUCKET="bench-publish-$$"
command -v /usr/bin/time >/dev/null || { apt-get install -y -qq --no-install-recommends time >/dev/null; }

cleanup() {
  "${PSQL[@]}" postgres -c "drop database if exists $DB with (force)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
cleanup
mkdir -p "$WORK"
"${PSQL[@]}" postgres -c "create database $DB"
export STATIC_DATABASE="${STATIC_DATABASE/Database=static/Database=$DB}"
PUB=(dotnet "$BENCH_PUBLISHER")

echo "seeding $PRODUCTS products ..." >&2
"${PUB[@]}" seed --products "$PRODUCTS" >/dev/null

# Runs the publisher under /usr/bin/time -v; sets WALL (s), RSS (KiB) and SUMMARY (the --json line).
timed() {
  /usr/bin/time -v -o "$WORK/time.txt" "${PUB[@]}" "$@" --json >"$WORK/out.json"
  SUMMARY="$(tail -n1 "$WORK/out.json")"
  WALL="$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' "$WORK/time.txt")"
  RSS="$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$WORK/time.txt")"
}

# The disk here is noisy (shared machine): the raw write runs before and after the publisher, each on an
# empty folder after a sync, and the publisher is compared with both.
raw_write() { # list -> sets RAW_WALL (from process start) and RAW_INNER (writes only)
  rm -rf "$RAW"; sync; sleep 2
  local t0; t0=$(date +%s%N)
  local out; out="$(dotnet bench/RawWrite/bin/Release/net10.0/RawWrite.dll "$1" "$RAW" 16)"
  RAW_WALL=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
  RAW_INNER="$(cut -f2 <<<"$out")"
}

export STATIC_CONFIG__store__kind=folder STATIC_CONFIG__store__folder="$SITE"
echo "dry run to learn the file set, then the raw write of it (before) ..." >&2
# The file set the publisher writes: every stable path and its immutable copy plus the manifest. A first
# publish to a scratch folder gives the exact list (sizes and names); it is then deleted.
"${PUB[@]}" publish --json >/dev/null
(cd "$SITE" && find . -type f -printf '%s\t%P\n') >"$WORK/files.tsv"
FILES=$(wc -l <"$WORK/files.tsv")
"${PSQL[@]}" "$DB" -c "truncate artifacts, published_entities; delete from publishes"
rm -rf "$SITE"
raw_write "$WORK/files.tsv"; RAW1_WALL=$RAW_WALL RAW1_INNER=$RAW_INNER
rm -rf "$RAW"; sync; sleep 2

echo "full publish to the folder store ..." >&2
timed publish
FULL_WALL=$WALL FULL_RSS=$RSS FULL_SUMMARY=$SUMMARY

echo "raw write of the same file set (after) ..." >&2
sync; sleep 2
raw_write "$WORK/files.tsv"; RAW2_WALL=$RAW_WALL RAW2_INNER=$RAW_INNER
rm -rf "$RAW"

echo "no-change incremental publish ..." >&2
timed publish
NOOP_WALL=$WALL NOOP_SUMMARY=$SUMMARY
echo "no-change full publish ..." >&2
timed publish --full
NOOPFULL_WALL=$WALL NOOPFULL_RSS=$RSS NOOPFULL_SUMMARY=$SUMMARY

echo "$S3_PRODUCTS products to s3rver ..." >&2
"${PSQL[@]}" postgres -c "drop database if exists $DB with (force)" -c "create database $DB"
"${PUB[@]}" seed --products "$S3_PRODUCTS" >/dev/null
curl -fsS -X PUT "$STATIC_S3_SERVICE_URL/$BUCKET" >/dev/null
unset STATIC_CONFIG__store__kind STATIC_CONFIG__store__folder
export STATIC_S3_BUCKET="$BUCKET"
timed publish
S3_WALL=$WALL S3_SUMMARY=$SUMMARY
S3_OBJECTS=$(sed -E 's/.*"objects":([0-9]+).*/\1/' <<<"$S3_SUMMARY")
S3_PUBLISH_SECONDS=$(sed -E 's/.*"seconds":([0-9.]+).*/\1/' <<<"$S3_SUMMARY")
ARTIFACTS=$(sed -E 's/.*"artifacts":([0-9]+).*/\1/' <<<"$FULL_SUMMARY")

python3 - "$BENCH_OUT" <<PY
import json, sys
full_wall = float("$FULL_WALL")
result = {
  "benchmark": "publish",
  "date": "$(date -u +%FT%TZ)",
  "machine": "$(nproc) cores",
  "products": $PRODUCTS,
  "full_to_folder": {
    "artifacts": $ARTIFACTS, "files_written": $FILES, "wall_seconds_from_process_start": full_wall,
    "artifacts_per_second": round($ARTIFACTS / full_wall), "peak_rss_mib": round($FULL_RSS / 1024),
    "summary": json.loads('''$FULL_SUMMARY'''),
  },
  "raw_write_same_files": {
    "files": $FILES, "parallelism": 16,
    "before": {"wall_seconds_from_process_start": float("$RAW1_WALL"), "write_seconds": float("$RAW1_INNER")},
    "after": {"wall_seconds_from_process_start": float("$RAW2_WALL"), "write_seconds": float("$RAW2_INNER")},
  },
  "publisher_speed_vs_raw_write": {
    "vs_before": round(float("$RAW1_WALL") / full_wall, 3),
    "vs_after": round(float("$RAW2_WALL") / full_wall, 3),
    "vs_mean": round((float("$RAW1_WALL") + float("$RAW2_WALL")) / 2 / full_wall, 3),
  },
  "no_change_incremental": {"wall_seconds": float("$NOOP_WALL"), "fraction_of_full": round(float("$NOOP_WALL") / full_wall, 3), "summary": json.loads('''$NOOP_SUMMARY''')},
  "no_change_full": {"wall_seconds": float("$NOOPFULL_WALL"), "peak_rss_mib": round($NOOPFULL_RSS / 1024), "summary": json.loads('''$NOOPFULL_SUMMARY''')},
  "s3rver": {
    "products": $S3_PRODUCTS, "objects": $S3_OBJECTS, "upload_parallelism": 16,
    "wall_seconds": float("$S3_WALL"), "objects_per_second": round($S3_OBJECTS / float("$S3_PUBLISH_SECONDS")),
    "summary": json.loads('''$S3_SUMMARY'''),
  },
}
json.dump(result, open(sys.argv[1], "w"), indent=2)
PY
# The bench bucket is left empty-ish on s3rver: remove its objects' folder through the API is slow; drop it on disk.
rm -rf "$(dirname "$STATIC_PG_DIR")/s3rver/data/$BUCKET" 2>/dev/null || true
