#!/usr/bin/env bash
# freshness: admin write (200) to new bytes at the local Varnish edge over 100 sequential changes; a burst of 1,000 changes in 10 s; artifacts rendered per change.
# Called by bench/run.sh. Uses the local stack's demo catalog, bucket and Varnish (the generated VCL is
# loaded first), and starts its own Api (on STATIC_API_PORT, the edge's fallback origin) and `publisher run`.
# The products it renames get their names back at the end (through the same path).
# Settings: BENCH_CHANGES (sequential changes, 100), BENCH_BURST (changes in the burst, 1000), BENCH_BURST_RATE (100 a second).
set -euo pipefail
WORK=/tmp/static-bench-freshness
API_PORT="${STATIC_API_PORT:-56080}"
API="http://127.0.0.1:$API_PORT"
MANAGEMENT="http://127.0.0.1:$((API_PORT + 10))"   # health and readiness (56090 by default)
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$STATIC_PG_PORT" -U postgres static)
rm -rf "$WORK"; mkdir -p "$WORK"
. bench/lib.sh
trap bench_shop_down EXIT
bench_shop_up "$WORK" "$API" "$MANAGEMENT"

python3 - "$BENCH_OUT" "$API" "$STATIC_EDGE_URL" "$STATIC_ADMIN_WRITE_TOKENS" "$STATIC_DATABASE" \
  "${BENCH_CHANGES:-100}" "${BENCH_BURST:-1000}" "${BENCH_BURST_RATE:-100}" "$(nproc) cores" <<'PY'
import datetime, http.client, json, math, subprocess, sys, time, urllib.parse
out, api, edge, token, database, n_changes, n_burst, burst_rate, machine = sys.argv[1:]
n_changes, n_burst, burst_rate = int(n_changes), int(n_burst), float(burst_rate)
a = urllib.parse.urlparse(api); e = urllib.parse.urlparse(edge)
api_conn = http.client.HTTPConnection(a.hostname, a.port, timeout=10)
edge_conn = http.client.HTTPConnection(e.hostname, e.port, timeout=10)
FIELDS = ("name", "slug", "description", "priceAmount", "currency", "categoryId", "imageUrls", "featuredRank")
auth = {"Authorization": "Bearer " + token}

def psql(sql):
    return subprocess.run(["psql", "-X", "-At", "-h", "127.0.0.1", "-p", database.split("Port=")[1].split(";")[0], "-U", "postgres", "static", "-c", sql],
                          check=True, capture_output=True, text=True).stdout.strip()

def request(conn, method, path, body=None, headers=None):
    for attempt in (1, 2):   # an idle keep-alive connection may have been closed by the server: reconnect once
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse(); data = r.read()
            return r.status, data
        except (http.client.RemoteDisconnected, ConnectionError, http.client.CannotSendRequest):
            conn.close()
            if attempt == 2: raise

def get_product(pid):
    status, data = request(api_conn, "GET", f"/admin/products/{pid}", headers=auth)
    assert status == 200, (status, data)
    return json.loads(data)

def put_name(product, name):
    body = {k: product[k] for k in FIELDS}; body["name"] = name
    status, data = request(api_conn, "PUT", f"/admin/products/{product['id']}", json.dumps(body), {**auth, "Content-Type": "application/json"})
    assert status == 200, (status, data)

def at_edge(pid, name):
    status, data = request(edge_conn, "GET", f"/products/{pid}.json")
    return status == 200 and json.dumps(name).encode() in data

def wait_outbox_empty(limit=120):
    t = time.time()
    while psql("select count(*) from outbox where processed_at is null") != "0":
        assert time.time() - t < limit, "outbox not drained"
        time.sleep(0.05)

ids = [int(x) for x in psql(f"select id from products order by id limit {n_changes + n_burst}").split()]
run = format(int(time.time()) % 100000, "05d")   # every name this run writes is new, so no change is a no-op
originals = {pid: get_product(pid) for pid in ids}

# 1. n_changes (100) sequential changes: 200 from the admin API -> the new bytes at the edge.
latencies = []; rendered = []; dependents = []; uploaded = []
for i, pid in enumerate(ids[:n_changes]):
    request(edge_conn, "GET", f"/products/{pid}.json")   # cached at the edge before the change
    deps = int(psql(f"select count(*) from artifacts where dependency_keys @> array['product:{pid}']"))
    name = f"Fresh {run} {i} {pid}"
    put_name(originals[pid], name)
    t0 = time.perf_counter()
    while not at_edge(pid, name):
        assert time.perf_counter() - t0 < 30, f"change {i} not at the edge after 30 s"
        time.sleep(0.002)
    latencies.append((time.perf_counter() - t0) * 1000)
    wait_outbox_empty()
    row = psql("select artifacts_uploaded + artifacts_unchanged, artifacts_uploaded from publishes where trigger = 'outbox' and state = 'succeeded' order by version desc limit 1").split("|")
    rendered.append(int(row[0])); dependents.append(deps); uploaded.append(int(row[1]))
lat = sorted(latencies)
pct = lambda p: lat[min(len(lat) - 1, math.ceil(p / 100 * len(lat)) - 1)]

# 2. A burst: n_burst (1,000) changes to as many products at burst_rate (100) a second: 10 s.
burst_ids = ids[n_changes:n_changes + n_burst]
before = int(psql("select coalesce(max(version), 0) from publishes"))
t_start = time.perf_counter()
for i, pid in enumerate(burst_ids):
    put_name(originals[pid], f"Burst {run} {i} {pid}")
    due = t_start + (i + 1) / burst_rate
    time.sleep(max(0.0, due - time.perf_counter()))
t_end = time.perf_counter()
remaining = {pid: f"Burst {run} {i} {pid}" for i, pid in enumerate(burst_ids)}
while remaining:
    for pid in list(remaining):
        if at_edge(pid, remaining[pid]): del remaining[pid]
    assert time.perf_counter() - t_end < 120, f"{len(remaining)} burst changes not at the edge after 120 s"
all_visible = time.perf_counter() - t_end
wait_outbox_empty()
burst_publishes = int(psql(f"select count(*) from publishes where version > {before} and trigger = 'outbox'"))

# Names back, through the same path.
for pid, p in originals.items(): put_name(p, p["name"])
wait_outbox_empty(300)

exact = sum(1 for r, d in zip(rendered, dependents) if r == d)
json.dump({"benchmark": "freshness", "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "machine": machine,
           "catalog": "the run.sh demo catalog (10,000 products), debounce 200 ms",
           "sequential_changes": {"count": len(lat), "p50_ms": round(pct(50), 1), "p90_ms": round(pct(90), 1), "p99_ms": round(pct(99), 1), "max_ms": round(lat[-1], 1),
                                  "target": "p50 <= 1000 ms, p99 <= 2000 ms"},
           "burst": {"changes": len(burst_ids), "seconds": round(t_end - t_start, 2), "publishes": burst_publishes,
                     "all_visible_after_burst_end_s": round(all_visible, 2), "target": "all visible within 5 s of the burst's end"},
           "per_change": {"rendered_min": min(rendered), "rendered_max": max(rendered), "dependents_in_index_min": min(dependents), "dependents_in_index_max": max(dependents),
                          "changes_where_rendered_equals_dependents": exact, "of": len(rendered),
                          "uploaded_min": min(uploaded), "uploaded_max": max(uploaded)}},
          open(out, "w"), indent=2)
PY
