#!/usr/bin/env bash
# edge: invalidation entries for a one-product rename, a site-config change and a 1,000-product price import; time from publish to new bytes at the local edge.
# Called by bench/run.sh. The counts use a database and folder of their own; the latency uses the local
# stack's demo catalog and Varnish (one product renamed and renamed back).
# Settings: BENCH_PRODUCTS (the catalog the counts use, 10000; at least 1000), BENCH_EDGE_SAMPLES (renames timed at the edge, 10).
set -euo pipefail
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$STATIC_PG_PORT" -U postgres)
DB=static_bench_edge
WORK=/tmp/static-bench-edge
PUB=(dotnet "$BENCH_PUBLISHER")
PRODUCTS="${BENCH_PRODUCTS:-10000}"
SAMPLES="${BENCH_EDGE_SAMPLES:-10}"
rm -rf "$WORK"; mkdir -p "$WORK"
ID=1 ORIGINAL=""
cleanup() {
  # A run stopped among the renames (a failed publish, the time limit) still gives the demo product its name back.
  [ -z "$ORIGINAL" ] || "${PSQL[@]}" static -c "update products set name = \$\$$ORIGINAL\$\$ where id = $ID" >/dev/null 2>&1 || true
  "${PSQL[@]}" postgres -c "drop database if exists $DB with (force)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
"${PSQL[@]}" postgres -c "drop database if exists $DB with (force)" -c "create database $DB"

(
  export STATIC_DATABASE="${STATIC_DATABASE/Database=static/Database=$DB}"
  export STATIC_CONFIG__store__kind=folder STATIC_CONFIG__store__folder="$WORK/site" STATIC_CONFIG__cdn__kind=none
  "${PUB[@]}" seed --products "$PRODUCTS" >/dev/null
  "${PUB[@]}" publish --json >/dev/null
  plan() { # name sql
    "${PSQL[@]}" "$DB" -c "$2"
    "${PUB[@]}" publish --dry-run >"$WORK/$1.txt"
    "${PUB[@]}" publish --json >"$WORK/$1.json"
  }
  plan rename "update products set name = name || ' (renamed)' where id = (select id from products where featured_rank = 1)"
  plan config "update site_config set document = jsonb_set(document, '{banner,text}', '\"Flash sale: 50% off\"')"
  plan prices "update products set price_amount = price_amount + 1 where id <= 1000"
)

# Latency at the local edge (stack's Varnish, generated VCL, static-site bucket).
ORIGINAL="$("${PSQL[@]}" static -Atc "select name from products where id = $ID")"
samples=()
for i in $(seq 1 "$SAMPLES"); do
  NAME="Edge Probe $i $$"
  "${PSQL[@]}" static -c "update products set name = '$NAME' where id = $ID"
  curl -fsS "$STATIC_EDGE_URL/products/$ID.json" >/dev/null; curl -fsS "$STATIC_EDGE_URL/products/$ID.json" >/dev/null   # cached at the edge
  "${PUB[@]}" publish --json >/dev/null
  t0=$(date +%s%N)
  until curl -fsS "$STATIC_EDGE_URL/products/$ID.json" | grep -q "$NAME"; do
    [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 10000 ] || { echo "new bytes not at the edge after 10 s" >&2; exit 1; }
  done
  samples+=($(( ($(date +%s%N) - t0) / 1000 )))
done
"${PSQL[@]}" static -c "update products set name = \$\$$ORIGINAL\$\$ where id = $ID"
ORIGINAL=""
"${PUB[@]}" publish --json >/dev/null

python3 - "$BENCH_OUT" "$WORK" "$PRODUCTS" "$(nproc) cores" "${samples[@]}" <<'PY'
import datetime, json, re, sys
out, work, products, machine, *us = sys.argv[1:]
def case(name):
    text = open(f"{work}/{name}.txt").read()
    summary = json.loads(open(f"{work}/{name}.json").read().strip().splitlines()[-1])
    paths = re.findall(r"^  invalidate (\S+)", text, re.M)
    cf = re.search(r"CloudFront would get (\d+) entries in (\d+) request\(s\) \((\d+) wildcards, (\d+) tags\): (.*)$", text, re.M)
    return {"paths_invalidated": summary["invalidated"], "uploaded": summary["uploaded"], "first_paths": paths,
            "cloudfront_entries": int(cf.group(1)) if cf else 0, "cloudfront_requests": int(cf.group(2)) if cf else 0,
            "cloudfront_wildcards": int(cf.group(3)) if cf else 0, "cloudfront_tags": int(cf.group(4)) if cf else 0,
            "cloudfront_first_entries": cf.group(5) if cf else ""}
ms = sorted(int(u) / 1000 for u in us)
json.dump({"benchmark": "edge", "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "machine": machine,
           "catalog": f"{int(products):,} products (counts); the run.sh demo catalog (latency)",
           "one_product_rename": case("rename"), "site_config_change": case("config"), "price_import_1000_products": case("prices"),
           "publish_finished_to_new_bytes_at_varnish_ms": {"samples": len(ms), "p50": ms[len(ms)//2], "max": ms[-1], "all": ms}},
          open(out, "w"), indent=2)
PY
