#!/usr/bin/env bash
# surge: the flash-sale read shape through the local Varnish edge (Zipf base rate, then 10x on 20 products with a price change a second), a cache-busting flood, and a 60 s soak of the Api at 80% of its maximum.
# Called by bench/run.sh. Uses the local stack's demo catalog, bucket and Varnish (the generated VCL is
# loaded first), and starts its own Api (on STATIC_API_PORT, the edge's fallback origin, with its default
# rate limits on) and `publisher run`. The prices it changes are put back at the end.
# Settings: BENCH_BASE_RATE (default 500 requests/s), BENCH_SOAK_SECONDS (60), BENCH_PRODUCTS (unset: the
# demo catalog; a number: a catalog of that many products in a database, bucket and cache of their own,
# seeded and published first — 100,000 takes some 10 minutes to publish to s3rver; raise STATIC_BENCH_TIMEOUT).
# Phase lengths in seconds (bench/run.sh report --quick shortens them): BENCH_WARM_SECONDS (edge warm-up, 10),
# BENCH_BASE_SECONDS (30), BENCH_SURGE_SECONDS (10), BENCH_QUIET_SECONDS (the background window before the flood, 10),
# BENCH_FLOOD_SECONDS (20), BENCH_PEAK_SECONDS (the Api's maximum, 10, after half as long unmeasured).
set -euo pipefail
WORK=/tmp/static-bench-surge
DB=static
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$STATIC_PG_PORT" -U postgres)
if [ -n "${BENCH_PRODUCTS:-}" ]; then
  DB=static_bench_surge
  export STATIC_S3_BUCKET=bench-surge Static__CacheName=bench-surge
  export STATIC_DATABASE="${STATIC_DATABASE/Database=static/Database=$DB}"
  if [ "$("${PSQL[@]}" postgres -Atc "select count(*) from pg_database where datname = '$DB'")" = 0 ]; then
    "${PSQL[@]}" postgres -c "create database $DB"
  fi
  # s3rver creates a bucket on an anonymous PUT.
  curl -fsS -X PUT "$STATIC_S3_SERVICE_URL/$STATIC_S3_BUCKET" >/dev/null
fi
API_PORT="${STATIC_API_PORT:-56080}"
API="http://127.0.0.1:$API_PORT"
MANAGEMENT="http://127.0.0.1:$((API_PORT + 10))"   # health and readiness (56090 by default)
BASE_RATE="${BENCH_BASE_RATE:-500}"
SOAK_SECONDS="${BENCH_SOAK_SECONDS:-60}"
rm -rf "$WORK"; mkdir -p "$WORK"
command -v wrk >/dev/null || { apt-get install -y -qq --no-install-recommends wrk >/dev/null; }
. bench/lib.sh
trap bench_shop_down EXIT

if [ -n "${BENCH_PRODUCTS:-}" ]; then
  dotnet "$BENCH_PUBLISHER" migrate >/dev/null
  # Kept between runs (the publish of a large catalog is the slow part): reseeded only when the count differs.
  if [ "$("${PSQL[@]}" "$DB" -Atc "select count(*) from products")" != "$BENCH_PRODUCTS" ]; then
    echo "seeding $BENCH_PRODUCTS products into $DB ..." >&2
    dotnet "$BENCH_PUBLISHER" seed --products "$BENCH_PRODUCTS" --replace >/dev/null
  fi
  echo "publishing $BENCH_PRODUCTS products to bucket $STATIC_S3_BUCKET (only what changed) ..." >&2
  export BENCH_SEEDED=1
fi
bench_shop_up "$WORK" "$API" "$MANAGEMENT"

python3 - "$BENCH_OUT" "$API" "$STATIC_EDGE_URL" "$STATIC_ADMIN_WRITE_TOKENS" "$STATIC_PG_PORT" "$BASE_RATE" "$SOAK_SECONDS" "$API_PID" "$WORK" "$DB" \
  "${BENCH_WARM_SECONDS:-10}" "${BENCH_BASE_SECONDS:-30}" "${BENCH_SURGE_SECONDS:-10}" "${BENCH_QUIET_SECONDS:-10}" "${BENCH_FLOOD_SECONDS:-20}" "${BENCH_PEAK_SECONDS:-10}" \
  "$(nproc) cores" <<'PY'
import datetime, http.client, json, math, os, subprocess, sys, threading, time, urllib.parse
out, api, edge, token, pgport, base_rate, soak_s, api_pid, work, db, warm_s, base_s, surge_s, quiet_s, flood_s, peak_s, machine = sys.argv[1:]
base_rate, soak_s = int(base_rate), int(soak_s)
warm_s, base_s, surge_s, quiet_s, flood_s, peak_s = (int(x) for x in (warm_s, base_s, surge_s, quiet_s, flood_s, peak_s))
a = urllib.parse.urlparse(api); e = urllib.parse.urlparse(edge)
FIELDS = ("name", "slug", "description", "priceAmount", "currency", "categoryId", "imageUrls", "featuredRank")
auth = {"Authorization": "Bearer " + token}
LUA = os.path.abspath("bench/lua/paced.lua")

def psql(sql):
    return subprocess.run(["psql", "-X", "-At", "-h", "127.0.0.1", "-p", pgport, "-U", "postgres", db, "-c", sql],
                          check=True, capture_output=True, text=True).stdout.strip()

def xacts():
    # PostgreSQL's own counters for the shop's database: every statement runs in a transaction.
    c, r, t = psql("select xact_commit, xact_rollback, tup_returned from pg_stat_database where datname = '" + db + "'").split("|")
    return int(c) + int(r), int(t), time.perf_counter()

def request(conn, method, path, body=None, headers=None):
    for attempt in (1, 2):
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse(); data = r.read()
            return r.status, data
        except (http.client.RemoteDisconnected, ConnectionError, http.client.CannotSendRequest):
            conn.close()
            if attempt == 2: raise

def wrk(url, seconds, connections, args, threads=1):
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", LUA, url, "--"] + [str(x) for x in args]
    p = subprocess.run(cmd, capture_output=True, text=True, check=True)
    line = [l for l in p.stdout.splitlines() if l.startswith("{")][-1]
    return json.loads(line)

def wrk_async(url, seconds, connections, args, box):
    t = threading.Thread(target=lambda: box.append(wrk(url, seconds, connections, args))); t.start(); return t


n_products = int(psql("select count(*) from products"))
max_id = int(psql("select max(id) from products"))
hot = [int(x) for x in psql("select id from products order by id limit 20").split()]
api_conn = http.client.HTTPConnection(a.hostname, a.port, timeout=10)
originals = {}
for pid in hot:
    s, d = request(api_conn, "GET", f"/admin/products/{pid}", headers=auth); assert s == 200, (s, d); originals[pid] = json.loads(d)

# Price changes, one a second on the hot products, each followed to the edge by a poller (its own connection).
changes = []
stop_changes = threading.Event()
def change_prices(label):
    conn = http.client.HTTPConnection(a.hostname, a.port, timeout=10)
    econn = http.client.HTTPConnection(e.hostname, e.port, timeout=10)
    i = 0
    while not stop_changes.is_set():
        t0 = time.perf_counter()
        pid = hot[i % len(hot)]; i += 1
        price = round(float(originals[pid]["priceAmount"]) + 1 + (i % 50) / 100 + (time.time() % 1000) / 1000, 2)
        body = {k: originals[pid][k] for k in FIELDS}; body["priceAmount"] = price
        s, d = request(conn, "PUT", f"/admin/products/{pid}", json.dumps(body), {**auth, "Content-Type": "application/json"})
        if s != 200:
            changes.append({"phase": label[0], "status": s}); time.sleep(1); continue
        t_ack = time.perf_counter(); seen = None
        while time.perf_counter() - t_ack < 30:
            s2, d2 = request(econn, "GET", f"/products/{pid}.json")
            if s2 == 200 and abs(json.loads(d2)["price"] - price) < 0.001: seen = time.perf_counter(); break
            time.sleep(0.005)
        changes.append({"phase": label[0], "status": s, "to_edge_ms": None if seen is None else round((seen - t_ack) * 1000, 1)})
        time.sleep(max(0.0, 1 - (time.perf_counter() - t0)))

def phase_changes(name):
    ms = sorted(c["to_edge_ms"] for c in changes if c["phase"] == name and c.get("to_edge_ms") is not None)
    bad = [c for c in changes if c["phase"] == name and (c["status"] != 200 or c.get("to_edge_ms") is None)]
    if not ms: return {"count": 0, "failed": len(bad)}
    return {"count": len(ms), "failed": len(bad), "p50_ms": ms[len(ms) // 2], "max_ms": ms[-1]}

# Warm the edge over the catalog the base load touches.
print(f"warming the edge ({n_products} products) ...", file=sys.stderr)
wrk(edge, warm_s, 32, ["zipf", n_products, 0])

label = ["base"]
changer = threading.Thread(target=change_prices, args=(label,)); changer.start()
time.sleep(3)

# 1. Base: the Zipf mix at the base rate, base_s (30 s; price changes continue throughout, so the database's
#    share of publishing is in both windows).
conns = 16
print(f"base: {base_rate}/s Zipf over {n_products} products, {base_s} s ...", file=sys.stderr)
x0 = xacts(); base = wrk(edge, base_s, conns, ["zipf", n_products, base_rate]); x1 = xacts()
label[0] = "surge"
# 2. Surge: the base continues, plus 10x the base rate on the 20 hot products for surge_s (10 s).
print(f"surge: +{10 * base_rate}/s on 20 products, {surge_s} s ...", file=sys.stderr)
box_base, box_hot = [], []
x2 = xacts()
t1 = wrk_async(edge, surge_s, conns, ["zipf", n_products, base_rate], box_base)
t2 = wrk_async(edge, surge_s, 64, ["hot", n_products, 10 * base_rate, ",".join(map(str, hot))], box_hot)
t1.join(); t2.join()
x3 = xacts()
label[0] = "after"
time.sleep(2)
stop_changes.set(); changer.join()

def qps(a, b): return round((b[0] - a[0]) / (b[2] - a[2]), 1)
def rows(a, b): return round((b[1] - a[1]) / (b[2] - a[2]), 1)
surge = {"base_mix": box_base[0], "hot": box_hot[0]}
surge_requests = surge["base_mix"]["requests"] + surge["hot"]["requests"]
surge_hits = surge["base_mix"]["hits"] + surge["hot"]["hits"]

# 3. Cache-busting flood through the edge: unknown ids with random query strings, flood_s (20 s).
print(f"flood: unknown ids with random query strings, {flood_s} s ...", file=sys.stderr)
time.sleep(3)
q0 = xacts(); time.sleep(quiet_s); q1 = xacts()   # a quiet window: the background's own transactions
distinct = 200
f0 = xacts(); flood = wrk(edge, flood_s, 16, ["flood", max_id, 1000, distinct]); f1 = xacts()
neg_ttl = 5   # cdn.notFoundTtl (the edge keeps a 404 5 s)
background = (q1[0] - q0[0]) / (q1[2] - q0[2]) * (f1[2] - f0[2])
flood_xacts = (f1[0] - f0[0]) - background
allowed = distinct * math.ceil((f1[2] - f0[2]) / neg_ttl)

# 4. Soak: the Api directly at 80% of its maximum, soak_s (60 s); resident memory after warm-up (10 s in, or a
#    third of a shorter soak) and at the end.
def rss_kib():
    for line in open(f"/proc/{api_pid}/status"):
        if line.startswith("VmRSS:"): return int(line.split()[1])
print(f"soak: the Api's maximum ({peak_s} s), then 80% of it for {soak_s} s ...", file=sys.stderr)
wrk(api, max(1, peak_s // 2), 64, ["zipf", 1000, 0])
peak = wrk(api, peak_s, 64, ["zipf", 1000, 0])
soak_rate = int(peak["rps"] * 0.8)
box = []
t = wrk_async(api, soak_s, 64, ["zipf", 1000, soak_rate], box)
time.sleep(min(10, soak_s / 3)); rss_warm = rss_kib()
t.join(); rss_end = rss_kib()
soak = box[0]

# Prices back.
for pid, p in originals.items():
    body = {k: p[k] for k in FIELDS}
    request(api_conn, "PUT", f"/admin/products/{pid}", json.dumps(body), {**auth, "Content-Type": "application/json"})

result = {
  "benchmark": "surge", "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "machine": machine,
  "phase_seconds": {"warm": warm_s, "base": base_s, "surge": surge_s, "quiet": quiet_s, "flood": flood_s, "peak": peak_s, "soak": soak_s},
  "catalog": f"{n_products} products" + (" (the run.sh demo catalog)" if db == "static" else f" (database {db}, bucket bench-surge)"), "tool": "wrk -t1 with bench/lua/paced.lua (a fixed schedule of request slots), loopback",
  "base": {"target_rps": base_rate, **base, "hit_ratio": round(base["hits"] / max(1, base["requests"]), 4),
           "db_xacts_per_s": qps(x0, x1), "db_rows_read_per_s": rows(x0, x1), "price_changes": phase_changes("base")},
  "surge": {"target_rps": 11 * base_rate, "requests": surge_requests, "rps": round(surge["base_mix"]["rps"] + surge["hot"]["rps"], 1),
            "hit_ratio": round(surge_hits / max(1, surge_requests), 4), "base_mix": surge["base_mix"], "hot": surge["hot"],
            "errors": sum(surge[k]["s5xx"] + surge[k]["socket_errors"] for k in surge), "s429": sum(surge[k]["s429"] for k in surge),
            "db_xacts_per_s": qps(x2, x3), "db_rows_read_per_s": rows(x2, x3), "price_changes": phase_changes("surge"),
            "db_ratio_during_over_before": round(qps(x2, x3) / max(0.1, qps(x0, x1)), 3), "target": "db during <= 1.1 x before, errors 0"},
  "flood": {**flood, "distinct_unknown_ids": distinct, "negative_ttl_s": neg_ttl, "db_xacts": round(flood_xacts, 1),
            "allowed": allowed, "background_xacts_per_s": round((q1[0] - q0[0]) / (q1[2] - q0[2]), 2),
            "target": "db queries <= distinct ids x ceil(duration / negative TTL)"},
  "soak": {"peak_rps": peak["rps"], "rate": soak_rate, **soak, "rss_after_warmup_mib": round(rss_warm / 1024, 1), "rss_end_mib": round(rss_end / 1024, 1),
           "rss_growth": round(rss_end / rss_warm - 1, 4), "target": "0 errors, rss end within 10% of after warm-up"},
}
json.dump(result, open(out, "w"), indent=2)
PY
