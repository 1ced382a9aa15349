#!/usr/bin/env bash
# The local real stack: PostgreSQL, Redis, s3rver (S3) and Varnish (the CDN edge), each its own process
# on loopback with its data under .local/ (PostgreSQL's under /tmp when the postgres user cannot reach
# the checkout). Usage: scripts/stack.sh up|down|status|env|replica|edge-vcl FILE
#   replica   also starts a streaming replica of PostgreSQL (pg_basebackup -R) on STATIC_PG_REPLICA_PORT
#             and records STATIC_DATABASE_READ in .local/stack.env, so the Api reads through it
#   edge-vcl FILE  loads FILE into the running Varnish and makes it active (varnishadm vcl.load/vcl.use),
#             and keeps a copy as .local/varnish/active.vcl: when Varnish is restarted (`up` after a crash)
#             it starts with that VCL, not the start-up one, so the edge comes back as it was configured
#
# Edge cache size (override by environment): STATIC_EDGE_STORAGE=malloc,1g (varnishd -s; a 100,000-product
# publish is ~383 MiB, so 1 GiB holds it with room for the Api's answers; malloc memory is used as filled)
#
# Ports (override by environment): STATIC_PG_PORT=55432 STATIC_REDIS_PORT=56379 STATIC_S3_PORT=56000
# STATIC_EDGE_PORT=56081 STATIC_EDGE_ADMIN_PORT=56082 STATIC_API_PORT=56080
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL="${STATIC_LOCAL_DIR:-$ROOT/.local}"   # state dir; tests point it elsewhere
PG_PORT="${STATIC_PG_PORT:-55432}"
PG_REPLICA_PORT="${STATIC_PG_REPLICA_PORT:-55433}"
REDIS_PORT="${STATIC_REDIS_PORT:-56379}"
S3_PORT="${STATIC_S3_PORT:-56000}"
EDGE_PORT="${STATIC_EDGE_PORT:-56081}"
EDGE_ADMIN_PORT="${STATIC_EDGE_ADMIN_PORT:-56082}"
EDGE_STORAGE="${STATIC_EDGE_STORAGE:-malloc,1g}"
API_PORT="${STATIC_API_PORT:-56080}"
BUCKET="${STATIC_S3_BUCKET:-static-site}"
DB_NAME="${STATIC_DB_NAME:-static}"
S3RVER_VERSION="3.7.1"
AWS4_VERSION="1.13.2"
NPM_DIR="${STATIC_NPM_DIR:-$ROOT/.local/npm}"   # where s3rver is installed (shared by throwaway stacks)

log() { printf '\033[1m[stack]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[31m[stack] error:\033[0m %s\n' "$*" >&2; exit 1; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pid_alive() { # pidfile -> 0 when the process it names runs (and is not a zombie)
  local f="$1" pid
  [ -s "$f" ] || return 1
  pid="$(head -n1 "$f" | tr -dc 0-9)"
  [ -n "$pid" ] || return 1
  [ -d "/proc/$pid" ] || return 1
  ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null
}

wait_for() { # description seconds command...
  local what="$1" secs="$2"; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.2
  done
}

# Ours = the pid file names a live process and it was started on the port asked for now.
ours() { # pidfile portfile port
  pid_alive "$1" && [ "$(cat "$2" 2>/dev/null)" = "$3" ]
}

# A port answered by a process we did not start is an error that names the port and how to move.
check_port_free() { # name port envvar
  if port_open "$2"; then
    die "port $2 (for $1) is already in use by another process. Stop it, or choose another port: export $3=<port>"
  fi
}

apt_install() {
  local missing=("$@")
  [ ${#missing[@]} -gt 0 ] || return 0
  log "installing ${missing[*]} (apt-get) ..."
  export DEBIAN_FRONTEND=noninteractive
  if [ ! -f "$LOCAL/.apt-updated" ]; then
    $SUDO apt-get update -qq >/dev/null || die "apt-get update failed"
    mkdir -p "$LOCAL" && touch "$LOCAL/.apt-updated"
  fi
  # The package scripts print "policy-rc.d denied execution of start" here: harmless, we start our own.
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$LOCAL/apt-install.log" 2>&1 \
    || { tail -20 "$LOCAL/apt-install.log" >&2; die "apt-get install ${missing[*]} failed (log: $LOCAL/apt-install.log)"; }
}

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1; }

install_missing() {
  mkdir -p "$LOCAL"
  local need=()
  [ -n "$(pg_bin)" ] && [ -x "$(pg_bin)/initdb" ] || need+=(postgresql)
  command -v psql >/dev/null || need+=(postgresql-client)
  command -v redis-server >/dev/null || need+=(redis-server)
  command -v varnishd >/dev/null || need+=(varnish)
  # xkey ships in varnish-modules; the vmod file is how we know it is there.
  compgen -G "/usr/lib/*/varnish/vmods/libvmod_xkey.so" >/dev/null || compgen -G "/usr/lib/varnish/vmods/libvmod_xkey.so" >/dev/null \
    || need+=(varnish-modules)
  command -v gcc >/dev/null || need+=(gcc libc6-dev)   # varnishd compiles VCL with the C compiler
  command -v node >/dev/null || need+=(nodejs npm)
  [ -x /usr/bin/aws ] || need+=(awscli)   # Debian's awscli: the tests validate the generated CloudFront config with it, offline
  [ -x /usr/bin/chromium ] || need+=(chromium)   # the browser tests drive Debian's Chromium through Playwright
  apt_install "${need[@]}"
  # aws4: an independent SigV4 signer the tests check the CloudFront client's signatures against.
  if [ ! -f "$NPM_DIR/node_modules/s3rver/bin/s3rver.js" ] || [ ! -f "$NPM_DIR/node_modules/aws4/aws4.js" ]; then
    log "installing s3rver $S3RVER_VERSION and aws4 $AWS4_VERSION (npm) into $NPM_DIR ..."
    mkdir -p "$NPM_DIR"
    (cd "$NPM_DIR" && npm install --silent --no-audit --no-fund --prefix "$NPM_DIR" "s3rver@$S3RVER_VERSION" "aws4@$AWS4_VERSION" >"$LOCAL/npm-install.log" 2>&1) \
      || { tail -20 "$LOCAL/npm-install.log" >&2; die "npm install s3rver@$S3RVER_VERSION aws4@$AWS4_VERSION failed"; }
  fi
}

# PostgreSQL's data dir must be reachable by the postgres user; a checkout under a 700 home is not.
pg_dir() {
  if [ -f "$LOCAL/pg.location" ]; then cat "$LOCAL/pg.location"; return; fi
  local d="$LOCAL/pg"
  mkdir -p "$LOCAL"
  if ! runuser -u postgres -- test -x "$LOCAL" 2>/dev/null; then
    d="/tmp/static-pg-$(printf '%s' "$LOCAL" | md5sum | cut -c1-10)"
  fi
  echo "$d" > "$LOCAL/pg.location"
  echo "$d"
}

pg_ctl_as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_start() { # name dir port extra-options: pg_ctl start of $dir/data on loopback, port recorded in $dir/port
  local name="$1" dir="$2" port="$3" extra="$4"
  pg_ctl_as_postgres "$(pg_bin)/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 30 \
    -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir -c max_connections=300 $extra" \
    start >/dev/null || { tail -20 "$dir/postgres.log" >&2; die "$name did not start (log: $dir/postgres.log)"; }
  echo "$port" >"$dir/port"
}

up_postgres() {
  local dir bin; dir="$(pg_dir)"; bin="$(pg_bin)"
  if ours "$dir/data/postmaster.pid" "$dir/port" "$PG_PORT" && port_open "$PG_PORT"; then log "postgres  already up on $PG_PORT"; return; fi
  pid_alive "$dir/data/postmaster.pid" && die "postgres from this stack runs on port $(cat "$dir/port" 2>/dev/null), not $PG_PORT: run scripts/stack.sh down first"
  check_port_free postgres "$PG_PORT" STATIC_PG_PORT
  mkdir -p "$dir"
  [ "$(id -u)" -ne 0 ] || chown postgres:postgres "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    log "initdb $dir/data"
    pg_ctl_as_postgres "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  fi
  # fsync off: this cluster is for development and tests only; losing it on a crash costs a re-seed.
  pg_start postgres "$dir" "$PG_PORT" "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  wait_for postgres 30 psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -Atc 'select 1' || die "postgres does not answer on $PG_PORT"
  if [ "$(psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -Atc "select 1 from pg_database where datname='$DB_NAME'")" != "1" ]; then
    psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -qc "create database \"$DB_NAME\"" >/dev/null
  fi
  log "postgres  up on 127.0.0.1:$PG_PORT (data $dir/data)"
}

up_redis() {
  local dir="$LOCAL/redis"
  if ours "$dir/redis.pid" "$dir/port" "$REDIS_PORT" && port_open "$REDIS_PORT"; then log "redis     already up on $REDIS_PORT"; return; fi
  pid_alive "$dir/redis.pid" && die "redis from this stack runs on port $(cat "$dir/port" 2>/dev/null), not $REDIS_PORT: run scripts/stack.sh down first"
  check_port_free redis "$REDIS_PORT" STATIC_REDIS_PORT
  mkdir -p "$dir" && echo "$REDIS_PORT" >"$dir/port"
  mkdir -p "$dir"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --dir "$dir" --pidfile "$dir/redis.pid" \
    --logfile "$dir/redis.log" --save '' --appendonly no >/dev/null
  wait_for redis 15 redis-cli -p "$REDIS_PORT" ping || die "redis does not answer on $REDIS_PORT (log: $dir/redis.log)"
  log "redis     up on 127.0.0.1:$REDIS_PORT"
}

up_s3rver() {
  local dir="$LOCAL/s3rver"
  if ours "$dir/s3rver.pid" "$dir/port" "$S3_PORT" && port_open "$S3_PORT"; then log "s3rver    already up on $S3_PORT"; return; fi
  pid_alive "$dir/s3rver.pid" && die "s3rver from this stack runs on port $(cat "$dir/port" 2>/dev/null), not $S3_PORT: run scripts/stack.sh down first"
  check_port_free s3rver "$S3_PORT" STATIC_S3_PORT
  # A pid file whose process is gone: s3rver died without `down` (a crash, a SIGKILL) and may have left a
  # PUT half-written, which makes every listing and HEAD on the bucket 500 until it is removed.
  if [ -s "$dir/s3rver.pid" ] && [ -d "$dir/data" ]; then
    log "s3rver    was not stopped by 'down': removing unfinished PUTs from $dir/data (scripts/s3rver-recover.js) ..."
    node "$ROOT/scripts/s3rver-recover.js" "$dir/data" || die "scripts/s3rver-recover.js $dir/data failed"
  fi
  mkdir -p "$dir" && echo "$S3_PORT" >"$dir/port"
  mkdir -p "$dir/data"
  # --openssl-legacy-provider: s3rver encrypts listing continuation tokens with DES, which Node 20's
  # OpenSSL 3 refuses by default; without it any listing past 1,000 keys answers 500 InternalError.
  NODE_OPTIONS=--openssl-legacy-provider nohup node "$NPM_DIR/node_modules/s3rver/bin/s3rver.js" -d "$dir/data" -a 127.0.0.1 -p "$S3_PORT" --silent \
    --configure-bucket "$BUCKET" \
    >"$dir/s3rver.log" 2>&1 &
  echo $! >"$dir/s3rver.pid"
  wait_for s3rver 20 port_open "$S3_PORT" || { tail -20 "$dir/s3rver.log" >&2; die "s3rver does not answer on $S3_PORT"; }
  log "s3rver    up on 127.0.0.1:$S3_PORT (bucket $BUCKET, data $dir/data)"
}

render_vcl() { # out
  sed -e "s/@S3_PORT@/$S3_PORT/g" -e "s/@API_PORT@/$API_PORT/g" -e "s/@BUCKET@/$BUCKET/g" \
    "$ROOT/scripts/varnish/edge.vcl.in" >"$1"
}

up_varnish() {
  local dir="$LOCAL/varnish"
  if ours "$dir/varnishd.pid" "$dir/port" "$EDGE_PORT" && port_open "$EDGE_PORT"; then log "varnish   already up on $EDGE_PORT"; return; fi
  pid_alive "$dir/varnishd.pid" && die "varnish from this stack runs on port $(cat "$dir/port" 2>/dev/null), not $EDGE_PORT: run scripts/stack.sh down first"
  check_port_free varnish "$EDGE_PORT" STATIC_EDGE_PORT
  mkdir -p "$dir" && echo "$EDGE_PORT" >"$dir/port"
  check_port_free varnish-admin "$EDGE_ADMIN_PORT" STATIC_EDGE_ADMIN_PORT
  mkdir -p "$dir"
  render_vcl "$dir/edge.vcl"
  # The VCL last made active with `edge-vcl` (the generated one) survives a crash of varnishd: start with it.
  local vcl="$dir/edge.vcl" which="start-up"
  if [ -s "$dir/active.vcl" ]; then vcl="$dir/active.vcl"; which="last loaded ($dir/active.vcl)"; fi
  start_varnishd "$vcl" || {
    if [ "$vcl" != "$dir/edge.vcl" ]; then
      log "varnish   did not start with $vcl: $(tail -3 "$dir/varnishd.log" | tr '\n' ' ')- falling back to the start-up VCL"
      rm -f "$dir/active.vcl"; which="start-up"
      start_varnishd "$dir/edge.vcl" || { cat "$dir/varnishd.log" >&2; die "varnishd did not start"; }
    else
      cat "$dir/varnishd.log" >&2; die "varnishd did not start"
    fi
  }
  wait_for varnish 20 port_open "$EDGE_PORT" || die "varnish does not answer on $EDGE_PORT"
  log "varnish   up on 127.0.0.1:$EDGE_PORT (admin 127.0.0.1:$EDGE_ADMIN_PORT, storage $EDGE_STORAGE, $which VCL)"
}

start_varnishd() { # vcl
  local dir="$LOCAL/varnish"
  # -j none: run as the invoking user, so the VCL and work dir under .local need no extra permissions.
  varnishd -j none -a "127.0.0.1:$EDGE_PORT" -T "127.0.0.1:$EDGE_ADMIN_PORT" -n "$dir/work" -f "$1" \
    -s "$EDGE_STORAGE" -P "$dir/varnishd.pid" >"$dir/varnishd.log" 2>&1
}

# Loads a VCL into the running Varnish, makes it active, and keeps it for the next start (see the usage).
cmd_edge_vcl() { # file
  local file="${1:-}" dir="$LOCAL/varnish" name
  [ -n "$file" ] || die "usage: scripts/stack.sh edge-vcl FILE"
  [ -s "$file" ] || die "edge-vcl: $file does not exist or is empty"
  ours "$dir/varnishd.pid" "$dir/port" "$EDGE_PORT" && port_open "$EDGE_PORT" || die "edge-vcl: Varnish is not up on $EDGE_PORT: run scripts/stack.sh up first"
  file="$(cd "$(dirname "$file")" && pwd)/$(basename "$file")"
  name="v$(date +%s%N)"
  varnishadm -n "$dir/work" vcl.load "$name" "$file" >"$dir/vcl-load.log" 2>&1 || { cat "$dir/vcl-load.log" >&2; die "edge-vcl: Varnish refused $file"; }
  varnishadm -n "$dir/work" vcl.use "$name" >/dev/null || die "edge-vcl: could not make $name active"
  # Older configurations are kept loaded (cold) by Varnish: discard them, they only hold memory.
  varnishadm -n "$dir/work" vcl.list 2>/dev/null | awk -v keep="$name" '$1 == "available" && $NF != keep && $NF != "boot" { print $NF }' \
    | while read -r old; do varnishadm -n "$dir/work" vcl.discard "$old" >/dev/null 2>&1 || true; done
  cp "$file" "$dir/active.vcl.tmp" && mv -f "$dir/active.vcl.tmp" "$dir/active.vcl"
  log "varnish   now runs $file (as $name; kept for restarts in $dir/active.vcl)"
}

write_env() {
  # Written aside and renamed: a reader never sees a half-written file.
  cat >"$LOCAL/stack.env.tmp" <<EOF
# Written by scripts/stack.sh up. Connection settings of the local stack; source it or let the
# programs read it (they look for .local/stack.env when these variables are not set).
STATIC_DATABASE='Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=$DB_NAME'
STATIC_DATABASE_ADMIN='Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=postgres'
STATIC_REDIS='127.0.0.1:$REDIS_PORT'
STATIC_S3_SERVICE_URL='http://127.0.0.1:$S3_PORT'
STATIC_S3_ACCESS_KEY='S3RVER'
STATIC_S3_SECRET_KEY='S3RVER'
STATIC_S3_BUCKET='$BUCKET'
STATIC_EDGE_URL='http://127.0.0.1:$EDGE_PORT'
STATIC_EDGE_ADMIN='127.0.0.1:$EDGE_ADMIN_PORT'
STATIC_VARNISH_WORKDIR='$LOCAL/varnish/work'
STATIC_API_URL='http://127.0.0.1:$API_PORT'
STATIC_PG_DIR='$(pg_dir)'
STATIC_PG_PORT='$PG_PORT'
EOF
  if [ -f "$(pg_dir)/replica/data/standby.signal" ] && pid_alive "$(pg_dir)/replica/data/postmaster.pid"; then
    echo "STATIC_DATABASE_READ='Host=127.0.0.1;Port=$PG_REPLICA_PORT;Username=postgres;Database=$DB_NAME'" >>"$LOCAL/stack.env.tmp"
  fi
  mv -f "$LOCAL/stack.env.tmp" "$LOCAL/stack.env"
}

stop_pidfile() { # name pidfile port
  local name="$1" f="$2" port="$3"
  if pid_alive "$f"; then
    kill "$(head -n1 "$f" | tr -dc 0-9)" 2>/dev/null || true
    wait_for "$name stop" 15 bash -c "! (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null" || log "$name still answers on $port"
    log "$name stopped"
  else
    log "$name not running (no live pid file)"
  fi
  rm -f "$f"
}

# Before installing or starting anything: every port we are about to take must be ours or free.
preflight_ports() {
  local dir; dir="$(pg_dir)"
  ours "$dir/data/postmaster.pid" "$dir/port" "$PG_PORT" || check_port_free postgres "$PG_PORT" STATIC_PG_PORT
  ours "$LOCAL/redis/redis.pid" "$LOCAL/redis/port" "$REDIS_PORT" || check_port_free redis "$REDIS_PORT" STATIC_REDIS_PORT
  ours "$LOCAL/s3rver/s3rver.pid" "$LOCAL/s3rver/port" "$S3_PORT" || check_port_free s3rver "$S3_PORT" STATIC_S3_PORT
  if ! ours "$LOCAL/varnish/varnishd.pid" "$LOCAL/varnish/port" "$EDGE_PORT"; then
    check_port_free varnish "$EDGE_PORT" STATIC_EDGE_PORT
    check_port_free varnish-admin "$EDGE_ADMIN_PORT" STATIC_EDGE_ADMIN_PORT
  fi
}

cmd_up() {
  preflight_ports
  install_missing
  up_postgres
  up_redis
  up_s3rver
  up_varnish
  write_env
  log "settings written to .local/stack.env"
}

# A streaming replica of the stack's PostgreSQL: pg_basebackup -R (standby.signal + primary_conninfo).
up_replica() {
  local dir bin rdir; dir="$(pg_dir)"; bin="$(pg_bin)"; rdir="$dir/replica"
  if ours "$rdir/data/postmaster.pid" "$rdir/port" "$PG_REPLICA_PORT" && port_open "$PG_REPLICA_PORT"; then log "replica   already up on $PG_REPLICA_PORT"; return; fi
  check_port_free replica "$PG_REPLICA_PORT" STATIC_PG_REPLICA_PORT
  if [ ! -f "$rdir/data/standby.signal" ]; then
    rm -rf "$rdir"; mkdir -p "$rdir"; [ "$(id -u)" -ne 0 ] || chown postgres:postgres "$rdir"
    log "pg_basebackup -R into $rdir/data"
    pg_ctl_as_postgres "$bin/pg_basebackup" -h 127.0.0.1 -p "$PG_PORT" -U postgres -D "$rdir/data" -R -X stream -c fast >"$rdir/basebackup.log" 2>&1 \
      || { cat "$rdir/basebackup.log" >&2; die "pg_basebackup failed"; }
  fi
  pg_start replica "$rdir" "$PG_REPLICA_PORT" ""
  wait_for replica 30 psql -h 127.0.0.1 -p "$PG_REPLICA_PORT" -U postgres -d postgres -Atc 'select pg_is_in_recovery()' || die "the replica does not answer on $PG_REPLICA_PORT"
  log "replica   up on 127.0.0.1:$PG_REPLICA_PORT, streaming from $PG_PORT (STATIC_DATABASE_READ)"
}

cmd_down() {
  local dir; dir="$(pg_dir)"
  if pid_alive "$dir/replica/data/postmaster.pid"; then
    pg_ctl_as_postgres "$(pg_bin)/pg_ctl" -D "$dir/replica/data" -m fast -w stop >/dev/null && log "replica stopped"
  fi
  if pid_alive "$dir/data/postmaster.pid"; then
    pg_ctl_as_postgres "$(pg_bin)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null && log "postgres stopped"
  else
    log "postgres not running (no live pid file)"
  fi
  stop_pidfile redis "$LOCAL/redis/redis.pid" "$REDIS_PORT"
  stop_pidfile s3rver "$LOCAL/s3rver/s3rver.pid" "$S3_PORT"
  stop_pidfile varnish "$LOCAL/varnish/varnishd.pid" "$EDGE_PORT"
}

status_line() { # name port pidfile
  local state="down"
  if pid_alive "$3" && port_open "$2" && [ "$(cat "$(dirname "$3")/port" 2>/dev/null || cat "$(dirname "$(dirname "$3")")/port" 2>/dev/null)" = "$2" ]; then state="up"
  elif port_open "$2"; then state="port taken by another process"; fi
  printf '%-10s %-6s 127.0.0.1:%s\n' "$1" "$state" "$2"
  [ "$state" = up ]
}

cmd_status() {
  local rc=0 dir; dir="$(pg_dir)"
  status_line postgres "$PG_PORT" "$dir/data/postmaster.pid" || rc=1
  status_line redis "$REDIS_PORT" "$LOCAL/redis/redis.pid" || rc=1
  status_line s3rver "$S3_PORT" "$LOCAL/s3rver/s3rver.pid" || rc=1
  status_line varnish "$EDGE_PORT" "$LOCAL/varnish/varnishd.pid" || rc=1
  status_line api "$API_PORT" "$LOCAL/api.pid" || true   # started by ./run.sh, not by the stack
  return $rc
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) cat "$LOCAL/stack.env" ;;
  replica) cmd_up; up_replica; write_env ;;
  edge-vcl) cmd_edge_vcl "${2:-}" ;;
  *) echo "usage: scripts/stack.sh up|down|status|env|replica|edge-vcl FILE" >&2; exit 2 ;;
esac
