#!/usr/bin/env bash
# The front door: brings up the local stack, migrates, seeds a demo catalog if the catalog is empty,
# publishes it to s3rver (only what changed since the last run), starts the Api, and stays in the
# foreground until Ctrl-C, then stops what it started.
#   ./run.sh            run until Ctrl-C
#   ./run.sh --once     run end to end, check it answers, stop (what CI and a quick try use)
# Settings: STATIC_SEED_PRODUCTS (default: seed.products in publish-config.json, 10,000),
#           STATIC_API_PORT (56080) and the stack's ports (see scripts/stack.sh).
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
cleanup() {
  trap - INT TERM EXIT
  if [ -n "$API_PID" ] && kill -0 "$API_PID" 2>/dev/null; then
    say "stopping the Api"
    kill "$API_PID" 2>/dev/null || true
    wait "$API_PID" 2>/dev/null || true
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
VCL_NAME="gen$(date +%s)"
varnishadm -n "$STATIC_VARNISH_WORKDIR" vcl.load "$VCL_NAME" "$ROOT/.local/varnish/generated.vcl" >/dev/null \
  && varnishadm -n "$STATIC_VARNISH_WORKDIR" vcl.use "$VCL_NAME" >/dev/null \
  || { say "could not load the generated VCL into Varnish"; exit 1; }
"${PUBLISHER[@]}" migrate
if [ -n "${STATIC_SEED_PRODUCTS:-}" ]; then
  "${PUBLISHER[@]}" seed --if-empty --products "$STATIC_SEED_PRODUCTS"
else
  "${PUBLISHER[@]}" seed --if-empty
fi

say "publishing to s3://$STATIC_S3_BUCKET on s3rver (only what changed since the last run) ..."
"${PUBLISHER[@]}" publish

say "starting the Api on $STATIC_API_URL ..."
env ASPNETCORE_URLS="$STATIC_API_URL" Logging__LogLevel__Default=Warning "Logging__LogLevel__Microsoft.Hosting.Lifetime=Information" \
  dotnet "$ROOT/.local/build/api/Static.Api.dll" >.local/api.log 2>&1 &
API_PID=$!
echo "$API_PID" >.local/api.pid
for _ in $(seq 1 100); do
  curl -fsS "$STATIC_API_URL/readyz" >/dev/null 2>&1 && break
  kill -0 "$API_PID" 2>/dev/null || { tail -30 .local/api.log; say "the Api exited; log: .local/api.log"; exit 1; }
  sleep 0.2
done
curl -fsS "$STATIC_API_URL/readyz" >/dev/null || { tail -30 .local/api.log; say "the Api is not ready; log: .local/api.log"; exit 1; }

cat <<MSG

  Static is up.
    Open the site (Varnish edge):       $STATIC_EDGE_URL/
      the manifest:                     $STATIC_EDGE_URL/manifest.json
      a product:                        $STATIC_EDGE_URL/products/1.html  (and /products/1.json)
    Object store (s3rver):              $STATIC_S3_SERVICE_URL/$STATIC_S3_BUCKET/index.html
    Api:                                $STATIC_API_URL/readyz
    PostgreSQL:                         $STATIC_DATABASE
  Republish after a change: dotnet .local/build/publisher/publisher.dll publish
  Logs: .local/api.log, .local/*/*.log. Stop with Ctrl-C.

MSG

if [ "$ONCE" = 1 ]; then
  curl -fsS "$STATIC_EDGE_URL/manifest.json" >/dev/null || { say "the edge does not serve the manifest"; exit 1; }
  curl -fsS "$STATIC_EDGE_URL/" | grep -q "<title>" || { say "the edge does not serve the homepage"; exit 1; }
  say "--once: stack, migrations, seed, publish, edge and Api all answered; stopping."
  exit 0
fi
wait "$API_PID"
