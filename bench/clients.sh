#!/usr/bin/env bash
# clients: one product change in a 100,000-product shop as the browser module sees it: bytes and requests vs a naive refetch, the unchanged revisit, publish-to-open-page time on focus and with the periodic check.
# Called by bench/run.sh with the stack's settings in the environment. Uses its own database, bucket, Api and
# Varnish (the generated VCL); drives Debian's Chromium through bench/ClientBench (Playwright).
# BENCH_PRODUCTS (100000), BENCH_ROUNDS (5 of each kind), BENCH_REFRESH (the pages' refresh seconds, 5).
set -euo pipefail
PRODUCTS="${BENCH_PRODUCTS:-100000}"
REFRESH="${BENCH_REFRESH:-5}"
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$STATIC_PG_PORT" -U postgres)
DB=static_bench_clients_$$
WORK=/tmp/static-bench-clients-$$
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
API_PORT="$(free_port)"; MANAGEMENT_PORT="$(free_port)"; EDGE_PORT="$(free_port)"; EDGE_ADMIN="$(free_port)"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$WORK/varnishd.pid" ] && kill "$(cat "$WORK/varnishd.pid")" 2>/dev/null || true
  wait 2>/dev/null || true
  "${PSQL[@]}" postgres -c "drop database if exists $DB with (force)" >/dev/null 2>&1 || true
  # s3rver keeps a bucket as a folder: removing it is much faster than deleting 400,000 objects one by one.
  [ -n "${STATIC_S3_BUCKET:-}" ] && [[ "$STATIC_S3_BUCKET" == bench-clients-* ]] && rm -rf "$(dirname "$STATIC_PG_DIR")/s3rver/data/$STATIC_S3_BUCKET"
  rm -rf "$WORK"
}
trap cleanup EXIT
cleanup
mkdir -p "$WORK"
dotnet build bench/ClientBench/ClientBench.csproj -c Release -nologo -v quiet -o .local/bench/clientbench >.local/bench/build-clientbench.log 2>&1 \
  || { cat .local/bench/build-clientbench.log; exit 1; }

"${PSQL[@]}" postgres -c "create database $DB" >/dev/null
export STATIC_DATABASE="${STATIC_DATABASE/Database=static/Database=$DB}"
export STATIC_S3_BUCKET="bench-clients-$$"
curl -fsS -X PUT "$STATIC_S3_SERVICE_URL/$STATIC_S3_BUCKET" >/dev/null
export STATIC_EDGE_URL="http://127.0.0.1:$EDGE_PORT"
export STATIC_CONFIG__cdn__apiOrigins__0="127.0.0.1:$API_PORT"
export STATIC_CONFIG__client__apiBaseUrl="http://127.0.0.1:$API_PORT"
export STATIC_CONFIG__client__refreshSeconds="$REFRESH"
export STATIC_CONFIG__client__serviceWorker=false
export STATIC_CONFIG__publish__uploadParallelism=32
PUB=(dotnet "$BENCH_PUBLISHER")
"${PUB[@]}" migrate >/dev/null
echo "seeding $PRODUCTS products ..." >&2
"${PUB[@]}" seed --products "$PRODUCTS" >/dev/null
echo "publishing them to s3rver (several minutes at 100,000) ..." >&2
t0=$(date +%s)
"${PUB[@]}" publish >/dev/null
echo "published in $(( $(date +%s) - t0 )) s" >&2

"${PUB[@]}" edge-config --out "$WORK/edge.vcl" >/dev/null
chmod a+r "$WORK/edge.vcl"
varnishd -j none -a "127.0.0.1:$EDGE_PORT" -T "127.0.0.1:$EDGE_ADMIN" -n "$WORK/varnish" -f "$WORK/edge.vcl" -s malloc,256m -P "$WORK/varnishd.pid"
env ASPNETCORE_URLS="http://127.0.0.1:$API_PORT" Static__Management__Url="http://127.0.0.1:$MANAGEMENT_PORT" Logging__LogLevel__Default=Warning dotnet .local/bench/api/Static.Api.dll >"$WORK/api.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 150); do curl -fsS "http://127.0.0.1:$MANAGEMENT_PORT/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
curl -fsS "http://127.0.0.1:$MANAGEMENT_PORT/readyz" >/dev/null || { cat "$WORK/api.log"; exit 1; }

BENCH_EDGE="$STATIC_EDGE_URL" BENCH_PRODUCT="${BENCH_PRODUCT:-4242}" BENCH_ROUNDS="${BENCH_ROUNDS:-5}" BENCH_REFRESH="$REFRESH" \
BENCH_PUBLISH="dotnet $BENCH_PUBLISHER publish >/dev/null" \
  dotnet .local/bench/clientbench/ClientBench.dll >"$WORK/result.json"

python3 - "$WORK/result.json" "$BENCH_OUT" "$PRODUCTS" <<'PY'
import json, statistics, sys, datetime
r = json.load(open(sys.argv[1])); out = sys.argv[2]
def med(rounds, key): return statistics.median(x[key] for x in rounds)
focus, periodic = r["change_on_focus"], r["change_periodic"]
change = focus + periodic
shard_share = sum(x["bytes_shards"] for x in change) / max(1, sum(x["bytes_total"] for x in change))
r.update({
  "benchmark": "clients", "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
  "machine": "2 cores", "products": int(sys.argv[3]),
  "summary": {
    "change_bytes_median": med(change, "bytes_total"),
    "change_requests_200_median": med(change, "requests_200"),
    "shard_share_of_change_bytes": round(shard_share, 3),
    "naive_refetch_bytes": r["naive_refetch_of_held"]["bytes_total"],
    "revisit_requests": r["revisit_unchanged"]["requests"],
    "revisit_bytes": r["revisit_unchanged"]["bytes_total"],
    "publish_to_page_ms_on_focus_median": med(focus, "ms_publish_to_page"),
    "publish_to_page_ms_on_focus_max": max(x["ms_publish_to_page"] for x in focus),
    "publish_to_page_ms_periodic_median": med(periodic, "ms_publish_to_page"),
    "publish_to_page_ms_periodic_max": max(x["ms_publish_to_page"] for x in periodic),
  }})
json.dump(r, open(out, "w"), indent=2)
PY
