#!/usr/bin/env bash
# The front door: brings up the local stack, migrates, seeds a demo catalog if the catalog is empty,
# publishes it to s3rver (only what changed since the last run), starts the Api and the publisher service
# (which republishes admin changes from the outbox), and stays in the foreground until Ctrl-C, then stops
# what it started. An admin token is generated once into .local/admin.token unless
# STATIC_ADMIN_WRITE_TOKENS is set.
#   ./run.sh            run until Ctrl-C
#   ./run.sh --once     run end to end (including one admin change reaching the edge), check it, stop
# Settings: STATIC_SEED_PRODUCTS (default: seed.products in publish-config.json, 10,000),
#           STATIC_API_PORT (56080), STATIC_API_MANAGEMENT_PORT (56090: health, metrics, OpenAPI) and the stack's ports (see scripts/stack.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
ROOT="$PWD"
ONCE=0
[ "${1:-}" = "--once" ] && ONCE=1

say() { printf '\033[1m[run]\033[0m %s\n' "$*"; }

# Stop only what this run started: the stack if it was down before, the Api always.
STACK_WAS_UP=0
scripts/stack.sh status >/dev/null 2>&1 && STACK_WAS_UP=1
API_PID=""
PUBLISHER_PID=""
cleanup() {
  trap - INT TERM EXIT
  if [ -n "$PUBLISHER_PID" ] && kill -0 "$PUBLISHER_PID" 2>/dev/null; then
    say "stopping the publisher service (it finishes a running publish first)"
    kill "$PUBLISHER_PID" 2>/dev/null || true
    wait "$PUBLISHER_PID" 2>/dev/null || true
  fi
  rm -f .local/publisher.pid
  if [ -n "$API_PID" ] && kill -0 "$API_PID" 2>/dev/null; then
    say "stopping the Api"
    kill "$API_PID" 2>/dev/null || true
    wait -n "$API_PID" "$PUBLISHER_PID" 2>/dev/null || true
  fi
  rm -f .local/api.pid
  if [ "$STACK_WAS_UP" = 0 ]; then
    say "stopping the stack (it was down when ./run.sh began)"
    scripts/stack.sh down || true
  fi
}
trap cleanup INT TERM EXIT

scripts/stack.sh up
set -a; . .local/stack.env; set +a
API_PORT="${STATIC_API_PORT:-56080}"
STATIC_API_URL="http://127.0.0.1:$API_PORT"
# /healthz, /readyz, /metrics and /openapi/v1.json answer only here (loopback), never on the public port.
STATIC_API_MANAGEMENT_URL="http://127.0.0.1:${STATIC_API_MANAGEMENT_PORT:-56090}"

say "building (Release) ..."
build() { # project outdir
  dotnet build "$1" -c Release -nologo -v quiet -o "$2" >.local/build.log 2>&1 || { cat .local/build.log; say "build of $1 failed"; exit 1; }
}
build src/Publisher/Static.Publisher.csproj .local/build/publisher
build src/Api/Static.Api.csproj .local/build/api
PUBLISHER=(dotnet "$ROOT/.local/build/publisher/publisher.dll")

"${PUBLISHER[@]}" config check
# The edge's VCL, generated from publish-config.json, replaces the stack's start-up VCL without a restart.
"${PUBLISHER[@]}" edge-config --out .local/varnish/generated.vcl >/dev/null
# Loaded through the stack script, which keeps it: a Varnish restarted by `scripts/stack.sh up` comes back with it.
scripts/stack.sh edge-vcl "$ROOT/.local/varnish/generated.vcl" 2>/dev/null || { say "could not load the generated VCL into Varnish"; exit 1; }
"${PUBLISHER[@]}" migrate
if [ -n "${STATIC_SEED_PRODUCTS:-}" ]; then
  "${PUBLISHER[@]}" seed --if-empty --products "$STATIC_SEED_PRODUCTS"
else
  "${PUBLISHER[@]}" seed --if-empty
fi

say "publishing to s3://$STATIC_S3_BUCKET on s3rver (only what changed since the last run) ..."
"${PUBLISHER[@]}" publish

# The admin credential: from the environment, or one generated for this checkout (never printed).
if [ -z "${STATIC_ADMIN_WRITE_TOKENS:-}" ]; then
  [ -s .local/admin.token ] || (umask 077; od -An -N24 -tx1 /dev/urandom | tr -d ' \n' >.local/admin.token)
  STATIC_ADMIN_WRITE_TOKENS="$(cat .local/admin.token)"
fi
# Given to the Api only, and to curl through a header file, never on a command line (ps would show it).
(umask 077; printf 'Authorization: Bearer %s\n' "${STATIC_ADMIN_WRITE_TOKENS%%,*}" >.local/admin.header)

say "starting the publisher service (outbox → incremental publish; full publish on schedule.fullPublishCron) ..."
"${PUBLISHER[@]}" run >.local/publisher.log 2>&1 &
PUBLISHER_PID=$!
echo "$PUBLISHER_PID" >.local/publisher.pid

say "starting the Api on $STATIC_API_URL ..."
(export STATIC_ADMIN_WRITE_TOKENS   # through the environment, not argv
 exec env ASPNETCORE_URLS="$STATIC_API_URL" Static__Management__Url="$STATIC_API_MANAGEMENT_URL" Logging__LogLevel__Default=Warning "Logging__LogLevel__Microsoft.Hosting.Lifetime=Information" \
  dotnet "$ROOT/.local/build/api/Static.Api.dll") >.local/api.log 2>&1 &
API_PID=$!
echo "$API_PID" >.local/api.pid
for _ in $(seq 1 100); do
  curl -fsS "$STATIC_API_MANAGEMENT_URL/readyz" >/dev/null 2>&1 && break
  kill -0 "$API_PID" 2>/dev/null || { tail -30 .local/api.log; say "the Api exited; log: .local/api.log"; exit 1; }
  sleep 0.2
done
curl -fsS "$STATIC_API_MANAGEMENT_URL/readyz" >/dev/null || { tail -30 .local/api.log; say "the Api is not ready; log: .local/api.log"; exit 1; }

cat <<MSG

  Static is up.
    Open the site (Varnish edge):       $STATIC_EDGE_URL/
      the manifest:                     $STATIC_EDGE_URL/manifest.json
      a product:                        $STATIC_EDGE_URL/products/1.html  (and /products/1.json)
    Object store (s3rver):              $STATIC_S3_SERVICE_URL/$STATIC_S3_BUCKET/index.html
    Api:                                $STATIC_API_URL/stock?ids=1
      health, metrics (loopback only):  $STATIC_API_MANAGEMENT_URL/readyz, $STATIC_API_MANAGEMENT_URL/metrics
    PostgreSQL:                         $STATIC_DATABASE
    Admin API (token in .local/admin.token):
      curl -H "Authorization: Bearer \$(cat .local/admin.token)" $STATIC_API_URL/admin/publishes
  Admin changes are published by the publisher service within about a second (log: .local/publisher.log).
  Logs: .local/api.log, .local/publisher.log, .local/*/*.log. Stop with Ctrl-C.

MSG

if [ "$ONCE" = 1 ]; then
  curl -fsS "$STATIC_EDGE_URL/manifest.json" >/dev/null || { say "the edge does not serve the manifest"; exit 1; }
  curl -fsS "$STATIC_EDGE_URL/" | grep -q "<title>" || { say "the edge does not serve the homepage"; exit 1; }
  # One admin change, end to end: Api → outbox → publisher service → s3rver → Varnish.
  ID="$(psql "postgresql://postgres@127.0.0.1:$STATIC_PG_PORT/${STATIC_DB_NAME:-static}" -Atc 'select min(id) from products')"
  ORIGINAL="$(curl -fsS -H @.local/admin.header "$STATIC_API_URL/admin/products/$ID")"
  renamed="$(python3 -c 'import json,sys; p=json.load(sys.stdin); p["name"]="Run Check "+sys.argv[1]; print(json.dumps({k:p[k] for k in ("name","slug","description","priceAmount","currency","categoryId","imageUrls","featuredRank")}))' "$$" <<<"$ORIGINAL")"
  curl -fsS -X PUT -H @.local/admin.header -H 'Content-Type: application/json' -d "$renamed" "$STATIC_API_URL/admin/products/$ID" >/dev/null \
    || { say "the admin API refused the change"; exit 1; }
  t0=$(date +%s%N)
  until curl -fsS "$STATIC_EDGE_URL/products/$ID.json" | grep -q "Run Check $$"; do
    [ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 20000 ] || { tail -20 .local/publisher.log; say "the admin change did not reach the edge in 20 s"; exit 1; }
    sleep 0.05
  done
  say "an admin change reached the edge $(( ($(date +%s%N) - t0) / 1000000 )) ms after the Api acknowledged it"
  original="$(python3 -c 'import json,sys; p=json.load(sys.stdin); print(json.dumps({k:p[k] for k in ("name","slug","description","priceAmount","currency","categoryId","imageUrls","featuredRank")}))' <<<"$ORIGINAL")"
  curl -fsS -X PUT -H @.local/admin.header -H 'Content-Type: application/json' -d "$original" "$STATIC_API_URL/admin/products/$ID" >/dev/null
  say "--once: stack, migrations, seed, publish, edge, Api and an admin change all answered; stopping."
  exit 0
fi
wait "$API_PID"
