#!/usr/bin/env bash
# seed: demo-catalog load (binary COPY) vs. row-by-row INSERTs, into a database of its own.
# Called by bench/run.sh with the stack's settings in the environment; never touches the `static` database.
# Settings: BENCH_SEED_SIZES (catalog sizes seeded, "10000 100000"; BENCH_PRODUCTS=N seeds N only), BENCH_SEED_RUNS (3 a size).
# The baseline writes as many rows as the first size.
set -euo pipefail
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$STATIC_PG_PORT" -U postgres)
ADMIN=postgres
DB=static_bench
"${PSQL[@]}" "$ADMIN" -c "drop database if exists $DB with (force)" -c "create database $DB"
trap '"${PSQL[@]}" "$ADMIN" -c "drop database if exists $DB with (force)" >/dev/null' EXIT
CONN="${STATIC_DATABASE/Database=static/Database=$DB}"
export STATIC_DATABASE="$CONN"
dotnet "$BENCH_PUBLISHER" migrate >/dev/null

ms() { echo $(( $(date +%s%N) / 1000000 )); }
SIZES="${BENCH_SEED_SIZES:-${BENCH_PRODUCTS:-10000 100000}}"
RUNS="${BENCH_SEED_RUNS:-3}"
BASE_N="${SIZES%% *}"

# Ours: publisher seed (generate with Bogus + one transaction of binary COPY), RUNS runs each size.
results=()
for n in $SIZES; do
  for run in $(seq 1 "$RUNS"); do
    t0=$(ms); dotnet "$BENCH_PUBLISHER" seed --products "$n" --replace >/dev/null; t1=$(ms)
    results+=("{\"tool\":\"publisher seed\",\"products\":$n,\"run\":$run,\"ms\":$((t1 - t0))}")
  done
done

# Baseline: the same product rows (10,000 by default) written back one parameterised INSERT at a time (what a
# hand-rolled seeder does), from a CSV of the rows just seeded, in one transaction.
dotnet "$BENCH_PUBLISHER" seed --products "$BASE_N" --replace >/dev/null
"${PSQL[@]}" "$DB" -At -c "copy (select id, slug, name, description, price_amount, currency, category_id, featured_rank from products order by id) to stdout with csv" >/tmp/static-bench-products.csv
"${PSQL[@]}" "$DB" -c "truncate stock_levels, product_images, products"
python3 - >/tmp/static-bench-inserts.sql <<'PY'
import csv, sys
print("begin;")
print("prepare ins(bigint,text,text,text,numeric,char(3),bigint,int) as insert into products (id, slug, name, description, price_amount, currency, category_id, featured_rank) values ($1,$2,$3,$4,$5,$6,$7,$8);")
def q(v): return "null" if v == "" else "'" + v.replace("'", "''") + "'"
for r in csv.reader(open("/tmp/static-bench-products.csv")):
    print("execute ins(%s);" % ",".join(q(v) for v in r))
print("commit;")
PY
t0=$(ms); "${PSQL[@]}" "$DB" -f /tmp/static-bench-inserts.sql >/dev/null; t1=$(ms)
results+=("{\"tool\":\"row-by-row INSERT (psql, prepared, one transaction; rows only, no generation)\",\"products\":$BASE_N,\"run\":1,\"ms\":$((t1 - t0))}")
rm -f /tmp/static-bench-products.csv /tmp/static-bench-inserts.sql

{
  echo "{"
  echo "  \"benchmark\": \"seed\","
  echo "  \"machine\": \"$(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB\","
  echo "  \"date\": \"$(date -u +%FT%TZ)\","
  echo "  \"note\": \"publisher seed includes process start, generation and migrations check; the baseline only inserts rows\","
  echo "  \"results\": ["
  printf '    %s' "${results[0]}"; for r in "${results[@]:1}"; do printf ',\n    %s' "$r"; done
  echo
  echo "  ]"
  echo "}"
} >"$BENCH_OUT"
