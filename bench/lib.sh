# Sourced by the benchmarks that run a whole shop on the local stack (freshness, surge); not a benchmark.
#
# bench_shop_up WORK API MANAGEMENT
#   Publishes the catalog STATIC_DATABASE names (migrated, and seeded with the demo catalog when empty unless
#   BENCH_SEEDED=1 says the caller seeded it), loads the generated VCL into the local edge (`stack.sh edge-vcl`),
#   then starts the Api as a deployer runs it (the Release build with its shipped appsettings.json, default rate limits on)
#   on API with its management port on MANAGEMENT, and `publisher run`; returns when the Api is ready and the
#   publisher's scheduler has started. Sets API_PID and STATIC_ADMIN_WRITE_TOKENS (a fresh token); logs go to
#   WORK/api.log and WORK/publisher.log. Stop both with bench_shop_down (the callers' EXIT trap).

BENCH_PIDS=()

bench_shop_down() {
  for p in "${BENCH_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}

bench_shop_up() {
  local work="$1" api="$2" management="$3"
  local port="${api##*:}"
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && { echo "port $port is taken (is ./run.sh running? stop it first)" >&2; exit 1; }
  dotnet "$BENCH_PUBLISHER" migrate >/dev/null
  [ "${BENCH_SEEDED:-0}" = 1 ] || dotnet "$BENCH_PUBLISHER" seed --if-empty >/dev/null
  dotnet "$BENCH_PUBLISHER" publish >/dev/null
  dotnet "$BENCH_PUBLISHER" edge-config --out "$work/edge.vcl" >/dev/null
  chmod a+r "$work/edge.vcl"
  scripts/stack.sh edge-vcl "$work/edge.vcl" 2>/dev/null

  export STATIC_ADMIN_WRITE_TOKENS="bench-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
  env ASPNETCORE_URLS="$api" Static__Management__Url="$management" \
    dotnet .local/bench/api/Static.Api.dll >"$work/api.log" 2>&1 &
  API_PID=$!
  BENCH_PIDS+=("$API_PID")
  dotnet "$BENCH_PUBLISHER" run >"$work/publisher.log" 2>&1 &
  BENCH_PIDS+=($!)
  for _ in $(seq 1 150); do curl -fsS "$management/readyz" >/dev/null 2>&1 && break; sleep 0.2; done
  curl -fsS "$management/readyz" >/dev/null || { cat "$work/api.log" >&2; exit 1; }
  for _ in $(seq 1 150); do grep -q "Application started" "$work/publisher.log" && break; sleep 0.2; done
  sleep 2   # the service's first poll of the outbox
}
