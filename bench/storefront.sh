#!/usr/bin/env bash
# storefront: at 10,000 products, what a CSS-only deployment and one product's new image cost to publish (s3rver).
# Called by bench/run.sh with the stack's settings in the environment. Uses its own database, bucket and Api.
set -euo pipefail
PRODUCTS="${BENCH_PRODUCTS:-10000}"
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$STATIC_PG_PORT" -U postgres)
DB=static_bench_storefront
WORK=/tmp/static-bench-storefront
BUCKET="bench-storefront-$$"
API_PORT="${BENCH_API_PORT:-56190}"
TOKEN="bench-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
API_PID=""

cleanup() {
  [ -n "$API_PID" ] && kill "$API_PID" 2>/dev/null || true
  git worktree remove --force "$WORK/css-tree" >/dev/null 2>&1 || true
  "${PSQL[@]}" postgres -c "drop database if exists $DB with (force)" >/dev/null 2>&1 || true
  rm -rf "$WORK" "$(dirname "$STATIC_PG_DIR")/s3rver/data/$BUCKET" 2>/dev/null || true
}
trap cleanup EXIT
cleanup
mkdir -p "$WORK"
"${PSQL[@]}" postgres -c "create database $DB"
export STATIC_DATABASE="${STATIC_DATABASE/Database=static/Database=$DB}"
export STATIC_S3_BUCKET="$BUCKET"
curl -fsS -X PUT "$STATIC_S3_SERVICE_URL/$BUCKET" >/dev/null
PUB=(dotnet "$BENCH_PUBLISHER")

# publish with a given publisher build; prints the --json summary line
publish() { "$@" publish --json | tail -n1; }
field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }

echo "seeding $PRODUCTS products (with the demo's placeholder images) ..." >&2
"${PUB[@]}" seed --products "$PRODUCTS" >/dev/null
echo "first publish ..." >&2
FIRST="$(publish "${PUB[@]}")"

echo "a CSS-only deployment: the same code with one rule added to site.css, built apart ..." >&2
git worktree add --detach "$WORK/css-tree" HEAD >/dev/null 2>&1
printf '\n/* bench: a design change */\n.site .brand { letter-spacing: 0.01em; }\n' >>"$WORK/css-tree/src/Templates/assets/site.css"
dotnet build "$WORK/css-tree/src/Publisher/Static.Publisher.csproj" -c Release -nologo -v quiet -o "$WORK/css-publisher" >"$WORK/css-build.log" 2>&1 \
  || { cat "$WORK/css-build.log"; exit 1; }
CSS="$(publish dotnet "$WORK/css-publisher/publisher.dll")"
# Which artifacts changed: from the live artifact index, by kind (every HTML page links the stylesheet by its new URL).
CSS_CHANGED="$("${PSQL[@]}" -At "$DB" -c "select string_agg(k || '=' || n, ',') from (select case when path like '%.html' then 'html' when path like '/_assets/%' or path = '/sw.js' then 'asset' else 'other' end as k, count(*) as n from artifacts where version = (select max(version) from artifacts) group by 1) t")"

echo "back to the current design (so the image change below is measured on its own) ..." >&2
BACK="$(publish "${PUB[@]}")"

echo "one product's new image through PUT /admin/products/{id}/images ..." >&2
(export STATIC_ADMIN_WRITE_TOKENS="$TOKEN"
 exec env ASPNETCORE_URLS="http://127.0.0.1:$API_PORT" Static__Management__Url="http://127.0.0.1:$((API_PORT + 10))" Static__CacheName="bench-storefront-$$" Logging__LogLevel__Default=Warning \
   dotnet .local/bench/api/Static.Api.dll) >"$WORK/api.log" 2>&1 &
API_PID=$!
for _ in $(seq 1 120); do curl -fsS "http://127.0.0.1:$((API_PORT + 10))/healthz" >/dev/null 2>&1 && break; sleep 0.5; done
ID=$("${PSQL[@]}" -At "$DB" -c "select id from products where featured_rank is null order by id limit 1 offset 100")
# A new photo: a 1200x900 PNG drawn here (a gradient and a disc; no image tool needed), different every run.
python3 - "$WORK/new.png" <<'PNG'
import random, struct, sys, zlib
w, h, seed = 1200, 900, random.randrange(256)
rows = bytearray()
for y in range(h):
    rows.append(0)
    for x in range(w):
        inside = (x - 600) ** 2 + (y - 450) ** 2 < 250 ** 2
        rows += bytes((255, 255, 255) if inside else ((x * 255 // w) ^ seed, y * 255 // h, 160))
chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(bytes(rows), 6)) + chunk(b"IEND", b""))
PNG
curl -fsS -X PUT -H "Authorization: Bearer $TOKEN" -F "files=@$WORK/new.png;type=image/png" \
  "http://127.0.0.1:$API_PORT/admin/products/$ID/images" >"$WORK/upload.json"
IMAGE="$(publish "${PUB[@]}")"
VARIANTS=$("${PSQL[@]}" -At "$DB" -c "select count(*) from image_variants v join product_images p on p.sha256 = v.source_sha256 where p.product_id = $ID")

python3 - "$BENCH_OUT" <<PY
import json, sys
def s(x): return json.loads(x)
first, css, back, image = s('''$FIRST'''), s('''$CSS'''), s('''$BACK'''), s('''$IMAGE''')
def row(x): return {k: x[k] for k in ("full", "artifacts", "rendered", "uploaded", "unchanged", "objects", "bytes", "seconds", "invalidated")}
json.dump({
  "benchmark": "storefront",
  "date": "$(date -u +%FT%TZ)",
  "machine": "$(nproc) cores",
  "products": $PRODUCTS,
  "first_publish": row(first),
  "css_only_deployment": {**row(css), "changed_by_kind_in_the_new_version": "$CSS_CHANGED",
    "note": "templates fingerprint changes, so every page is re-rendered; each HTML page's <link> changes, so it is uploaded with its immutable copy; one new CSS object (+ its stable copy); no invalidation is needed for the CSS itself"},
  "back_to_current_design": row(back),
  "one_product_new_image": {**row(image), "product": $ID, "variants_of_the_new_image": $VARIANTS,
    "note": "objects = the new image's variants + the pages that show the product (+ immutable copies) + touched shards + root"},
}, open(sys.argv[1], "w"), indent=2)
PY
