#!/usr/bin/env bash
# api: the Api's L1 hit against an independent bare Kestrel app (bench/BareApi) serving the same bytes, 3 alternating pinned pairs; then L2 hit, database, eviction propagation.
# Called by bench/run.sh with the stack's settings in the environment. Uses its own database and cache prefix.
# Each server runs on CPU 1 and wrk on CPU 0 (taskset; BENCH_SERVER_CPU / BENCH_CLIENT_CPU move them), and wrk's
# own CPU use is reported, so a saturated client shows. Settings: BENCH_DURATION (20s per run), BENCH_PAIRS (3),
# BENCH_WARMUP (40s of load per server before the pairs).
set -euo pipefail
DURATION="${BENCH_DURATION:-20s}"
PAIRS="${BENCH_PAIRS:-3}"
WARMUP="${BENCH_WARMUP:-40s}"
SERVER_CPU="${BENCH_SERVER_CPU:-1}"
CLIENT_CPU="${BENCH_CLIENT_CPU:-0}"
PORT_BARE=56094
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$STATIC_PG_PORT" -U postgres)
DB=static_bench_api
WORK=/tmp/static-bench-api
PORT_A=56090
PORT_B=56091
command -v wrk >/dev/null || { apt-get install -y -qq --no-install-recommends wrk >/dev/null; }
mkdir -p "$WORK"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  "${PSQL[@]}" postgres -c "drop database if exists $DB with (force)" >/dev/null 2>&1 || true
}
trap cleanup EXIT
"${PSQL[@]}" postgres -c "drop database if exists $DB with (force)" -c "create database $DB"
export STATIC_DATABASE="${STATIC_DATABASE/Database=static/Database=$DB}"
dotnet "$BENCH_PUBLISHER" seed --products 10000 >/dev/null

start_api() { # port prefix extra-env...
  local port="$1" prefix="$2"; shift 2
  # Health is on the management port (the Api port + 10 here; each instance needs its own).
  # As a deployer runs it: the Release build with its shipped appsettings.json (no logging overrides).
  env ASPNETCORE_URLS="http://127.0.0.1:$port" Static__Management__Url="http://127.0.0.1:$((port + 10))" Static__Bench__Enabled=true \
    Static__CacheName="$prefix" "$@" taskset -c "$SERVER_CPU" dotnet .local/bench/api/Static.Api.dll >"$WORK/api-$port.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 150); do curl -fsS "http://127.0.0.1:$((port + 10))/healthz" >/dev/null 2>&1 && return 0; sleep 0.2; done
  cat "$WORK/api-$port.log"; echo "the Api on $port did not start" >&2; exit 1
}
stop_apis() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; PIDS=(); }

# wrk -> "rps p50_ms p99_ms non2xx"
measure() { # url
  curl -fsS "$1" >/dev/null   # warm: the first request fills the caches
  python3 bench/pinned_wrk.py "$1" "$DURATION" "$CLIENT_CPU"
}

start_bare() { # dir
  env ASPNETCORE_URLS="http://127.0.0.1:$PORT_BARE" taskset -c "$SERVER_CPU" dotnet bench/BareApi/bin/Release/net10.0/BareApi.dll "$1" >"$WORK/bare.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 150); do curl -fsS "http://127.0.0.1:$PORT_BARE/products/42.json" >/dev/null 2>&1 && return 0; sleep 0.2; done
  cat "$WORK/bare.log"; echo "bench/BareApi did not start" >&2; exit 1
}

PREFIX="bench$$"
echo "(a) bare Kestrel (bench/BareApi) and (b) the Api's L1 hit, $PAIRS alternating pairs ..." >&2
start_api $PORT_A "${PREFIX}b"
# The baseline serves exactly what the Api answers: the bytes and the three headers, taken from the Api.
rm -rf "$WORK/bare"; mkdir -p "$WORK/bare"
curl -fsS -D "$WORK/h.txt" -o "$WORK/bare/42.json" "http://127.0.0.1:$PORT_A/products/42.json"
python3 - "$WORK/h.txt" >"$WORK/bare/42.json.headers" <<'PY'
import sys
h = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip() for l in open(sys.argv[1]).read().splitlines()[1:] if ":" in l}
print(h["content-type"]); print(h["etag"]); print(h["cache-control"])
PY
start_bare "$WORK/bare"
# Warm-up, not measured: tiered compilation and dynamic PGO recompile the hot methods in the background, on the
# same pinned core as the requests. Measured in 5 s windows from a cold start, the Api answered 16-19k/s for the
# first 30 s and 28-30k/s after (the bare app 28k, then 39-40k after 25 s); a perf profile at 22-34 s showed the
# ".NET Tiered Compilation" thread at a fifth of the core. Both are measured at their steady rate.
for u in "http://127.0.0.1:$PORT_BARE/products/42.json" "http://127.0.0.1:$PORT_A/products/42.json"; do
  taskset -c "$CLIENT_CPU" wrk -t1 -c64 -d"$WARMUP" "$u" >/dev/null
done
A=(); B=()
for i in $(seq 1 "$PAIRS"); do
  A+=("$(measure "http://127.0.0.1:$PORT_BARE/products/42.json")")
  B+=("$(measure "http://127.0.0.1:$PORT_A/products/42.json")")
  echo "  pair $i: bare ${A[-1]%% *}/s, Api ${B[-1]%% *}/s" >&2
done
A="$(IFS=,; echo "${A[*]}")"; B="$(IFS=,; echo "${B[*]}")"
stop_apis
echo "(c) L2 (Redis) hit, L1 off ..." >&2
start_api $PORT_A "${PREFIX}c" Static__Api__L1Enabled=false
C=$(measure "http://127.0.0.1:$PORT_A/products/42.json")
stop_apis
echo "(d) database, both caches off ..." >&2
start_api $PORT_A "${PREFIX}d" Static__Api__L1Enabled=false Static__Api__L2Enabled=false
D=$(measure "http://127.0.0.1:$PORT_A/products/42.json")
stop_apis

echo "eviction propagation, 100 evictions ..." >&2
start_api $PORT_A "${PREFIX}e" Static__Api__L1Duration=00:10:00
start_api $PORT_B "${PREFIX}e" Static__Api__L1Duration=00:10:00
EVICT=$(python3 - "$PORT_A" "$PORT_B" "$STATIC_PG_PORT" "$DB" <<'PY'
import json, subprocess, sys, time, urllib.request
a, b, pgport, db = sys.argv[1:5]
def get(port): return urllib.request.urlopen(f"http://127.0.0.1:{port}/products/7.json").read()
samples = []
for i in range(100):
    name = f"Evicted {i}"
    get(a); get(b)  # both cached (L1 lives ten minutes)
    subprocess.run(["psql", "-X", "-q", "-h", "127.0.0.1", "-p", pgport, "-U", "postgres", db, "-c",
                    f"update products set name = '{name}' where id = 7"], check=True)
    req = urllib.request.Request(f"http://127.0.0.1:{a}/_bench/evict?key=product:7", method="POST")
    t0 = time.perf_counter(); urllib.request.urlopen(req).read()
    while name.encode() not in get(b):
        if time.perf_counter() - t0 > 10: raise SystemExit("eviction did not reach instance B in 10 s")
    samples.append((time.perf_counter() - t0) * 1000)
samples.sort()
print(f"{samples[49]:.2f} {samples[98]:.2f} {samples[-1]:.2f}")
PY
)
stop_apis

python3 - "$BENCH_OUT" "$A" "$B" "$C" "$D" "$EVICT" "$DURATION" "$SERVER_CPU" "$CLIENT_CPU" <<'PY'
import json, statistics, sys
out, a, b, c, d, ev, dur, scpu, ccpu = sys.argv[1:10]
def parse(s):
    rps, p50, p99, bad, cpu = s.split()
    return {"requests_per_second": int(rps), "p50_ms": float(p50), "p99_ms": float(p99), "non_2xx": int(bad), "client_cpu": float(cpu)}
A = [parse(x) for x in a.split(",")]; B = [parse(x) for x in b.split(",")]
C, D = parse(c), parse(d)
pairs = [{"bare": x, "api_l1_hit": y, "ratio": round(y["requests_per_second"] / x["requests_per_second"], 3),
          "p99_ratio": round(y["p99_ms"] / x["p99_ms"], 3)} for x, y in zip(A, B)]
median_bare = statistics.median(x["requests_per_second"] for x in A)
e50, e99, emax = map(float, ev.split())
res = {
  "benchmark": "api", "tool": f"wrk -t1 -c64 -d{dur} --latency, loopback; servers on CPU {scpu}, wrk on CPU {ccpu} (taskset)", "catalog": "10,000 products",
  "path": "/products/42.json (the Api's L1 hit; bench/BareApi answers the same bytes and headers from a dictionary)",
  "pairs": pairs,
  "median_ratio": statistics.median(p["ratio"] for p in pairs), "median_p99_ratio": statistics.median(p["p99_ratio"] for p in pairs),
  "target": "Api L1 hit >= 0.8 x bare requests/s, p99 <= 1.5 x",
  "c_l2_redis_hit_l1_off": C, "d_database_both_caches_off": D,
  "ratios_to_median_bare": {"c": round(C["requests_per_second"] / median_bare, 3), "d": round(D["requests_per_second"] / median_bare, 3)},
  "eviction_to_other_instance_ms": {"samples": 100, "p50": e50, "p99": e99, "max": emax, "note": "from the evict call on A until B answers the new bytes, including one HTTP poll loop"},
}
json.dump(res, open(out, "w"), indent=2)
PY
