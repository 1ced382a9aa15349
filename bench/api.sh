#!/usr/bin/env bash
# api: wrk on loopback, 64 connections, 20 s each: (a) bare Kestrel constant 1 KiB, (b) L1 hit, (c) L2 hit, (d) database; eviction propagation.
# Called by bench/run.sh with the stack's settings in the environment. Uses its own database and cache prefix.
set -euo pipefail
DURATION="${BENCH_DURATION:-20s}"
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
  env ASPNETCORE_URLS="http://127.0.0.1:$port" Static__Management__Url="http://127.0.0.1:$((port + 10))" Logging__LogLevel__Default=Warning Static__Bench__Enabled=true \
    Static__CacheName="$prefix" "$@" dotnet .local/bench/api/Static.Api.dll >"$WORK/api-$port.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 150); do curl -fsS "http://127.0.0.1:$((port + 10))/healthz" >/dev/null 2>&1 && return 0; sleep 0.2; done
  cat "$WORK/api-$port.log"; echo "the Api on $port did not start" >&2; exit 1
}
stop_apis() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; PIDS=(); }

# wrk -> "rps p50_ms p99_ms non2xx"
measure() { # url
  curl -fsS "$1" >/dev/null   # warm: the first request fills the caches
  wrk -t1 -c64 -d"$DURATION" --latency "$1" >"$WORK/wrk.txt"
  python3 - "$WORK/wrk.txt" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
def ms(v):
    n, u = re.match(r"([\d.]+)(\w+)", v).groups(); n = float(n)
    return n / 1000 if u == "us" else n * 1000 if u == "s" else n
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
p50 = ms(re.search(r"^\s+50%\s+(\S+)", t, re.M).group(1)); p99 = ms(re.search(r"^\s+99%\s+(\S+)", t, re.M).group(1))
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
print(f"{rps:.0f} {p50:.3f} {p99:.3f} {bad.group(1) if bad else 0}")
PY
}

PREFIX="bench$$"
echo "(a) bare Kestrel and (b) L1 hit ..." >&2
start_api $PORT_A "${PREFIX}b"
A=$(measure "http://127.0.0.1:$PORT_A/_bench/constant")
B=$(measure "http://127.0.0.1:$PORT_A/products/42.json")
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

python3 - "$BENCH_OUT" "$A" "$B" "$C" "$D" "$EVICT" "$DURATION" <<'PY'
import json, sys
out, a, b, c, d, ev, dur = sys.argv[1:8]
def parse(s):
    rps, p50, p99, bad = s.split(); return {"requests_per_second": int(rps), "p50_ms": float(p50), "p99_ms": float(p99), "non_2xx": int(bad)}
A, B, C, D = map(parse, (a, b, c, d))
e50, e99, emax = map(float, ev.split())
res = {
  "benchmark": "api", "tool": f"wrk -t1 -c64 -d{dur} --latency, loopback", "catalog": "10,000 products",
  "a_bare_kestrel_constant_1KiB": A, "b_l1_hit_product_json": B, "c_l2_redis_hit_l1_off": C, "d_database_both_caches_off": D,
  "ratios_to_a": {"b": round(B["requests_per_second"] / A["requests_per_second"], 3), "c": round(C["requests_per_second"] / A["requests_per_second"], 3), "d": round(D["requests_per_second"] / A["requests_per_second"], 3)},
  "eviction_to_other_instance_ms": {"samples": 100, "p50": e50, "p99": e99, "max": emax, "note": "from the evict call on A until B answers the new bytes, including one HTTP poll loop"},
}
json.dump(res, open(out, "w"), indent=2)
PY
