#!/usr/bin/env bash
# edgehit: a cache hit through the generated VCL against Varnish answering a synthetic response of the same size straight from VCL, and the bare Kestrel app; pinned, alternating pairs.
# Called by bench/run.sh. Starts two varnishd of its own (never the stack's edge), pinned to BENCH_SERVER_CPU (1)
# with wrk on BENCH_CLIENT_CPU (0):
#   generated  the VCL `publisher edge-config` writes, in front of the stack's s3rver and bucket (the demo catalog),
#              serving /products/42.json as a hit (warmed first);
#   synthetic  vcl_recv → synth(200) with a body of the same length and the same three headers: Varnish's own
#              ceiling on this machine, with no backend, no lookup and no VCL logic.
# and bench/BareApi with the same bytes. Varnish's start-up parameters are the stack's (scripts/stack.sh) plus
# BENCH_VARNISH_PARAMS (e.g. "-p thread_pools=1"), so a change can be measured before it goes into the stack.
# Settings: BENCH_DURATION (10s), BENCH_PAIRS (3).
set -euo pipefail
DURATION="${BENCH_DURATION:-10s}"
PAIRS="${BENCH_PAIRS:-3}"
SERVER_CPU="${BENCH_SERVER_CPU:-1}"
CLIENT_CPU="${BENCH_CLIENT_CPU:-0}"
WORK=/tmp/static-bench-edgehit
PORT_GEN=56301 PORT_SYN=56302 PORT_BARE=56303
rm -rf "$WORK"; mkdir -p "$WORK/bare" "$WORK/gen" "$WORK/syn"
command -v wrk >/dev/null || { apt-get install -y -qq --no-install-recommends wrk >/dev/null; }
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for d in gen syn; do [ -s "$WORK/$d/pid" ] && kill "$(cat "$WORK/$d/pid")" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

dotnet "$BENCH_PUBLISHER" migrate >/dev/null
dotnet "$BENCH_PUBLISHER" seed --if-empty >/dev/null
dotnet "$BENCH_PUBLISHER" publish >/dev/null
dotnet "$BENCH_PUBLISHER" edge-config --out "$WORK/generated.vcl" >/dev/null

# The object as the store serves it: its bytes and headers, for the synthetic response and the bare app.
curl -fsS -D "$WORK/h.txt" -o "$WORK/bare/42.json" "$STATIC_S3_SERVICE_URL/$STATIC_S3_BUCKET/products/42.json"
python3 - "$WORK" <<'PY'
import sys
work = sys.argv[1]
h = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip() for l in open(f"{work}/h.txt").read().splitlines()[1:] if ":" in l}
size = len(open(f"{work}/bare/42.json", "rb").read())
open(f"{work}/bare/42.json.headers", "w").write(f"{h['content-type']}\n{h['etag']}\n{h['cache-control']}\n")
open(f"{work}/synthetic.vcl", "w").write(f'''vcl 4.1;
backend default none;
sub vcl_recv {{ return (synth(200)); }}
sub vcl_synth {{
  set resp.http.Content-Type = "{h['content-type']}";
  set resp.http.ETag = {{"{h['etag']}"}};
  set resp.http.Cache-Control = "{h['cache-control']}";
  synthetic("{'x' * size}");
  return (deliver);
}}
''')
PY

start_varnish() { # name port vcl
  taskset -c "$SERVER_CPU" varnishd -j none -a "127.0.0.1:$2" -T 127.0.0.1:0 -n "$WORK/$1/work" -f "$3" \
    -s "${STATIC_EDGE_STORAGE:-malloc,1g}" -P "$WORK/$1/pid" ${BENCH_VARNISH_PARAMS:-} >"$WORK/$1/log" 2>&1 \
    || { cat "$WORK/$1/log" >&2; exit 1; }
  for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null && return 0; sleep 0.1; done
  echo "varnishd ($1) does not answer on $2" >&2; exit 1
}
start_varnish gen "$PORT_GEN" "$WORK/generated.vcl"
start_varnish syn "$PORT_SYN" "$WORK/synthetic.vcl"
env ASPNETCORE_URLS="http://127.0.0.1:$PORT_BARE" taskset -c "$SERVER_CPU" dotnet bench/BareApi/bin/Release/net10.0/BareApi.dll "$WORK/bare" >"$WORK/bare.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 150); do curl -fsS "http://127.0.0.1:$PORT_BARE/products/42.json" >/dev/null 2>&1 && break; sleep 0.2; done

GEN="http://127.0.0.1:$PORT_GEN/products/42.json"; SYN="http://127.0.0.1:$PORT_SYN/products/42.json"; BARE="http://127.0.0.1:$PORT_BARE/products/42.json"
curl -fsS -o /dev/null "$GEN"; curl -fsS -D - -o /dev/null "$GEN" | grep -qi "^x-cache: HIT" || { echo "the generated VCL did not answer a hit for $GEN" >&2; exit 1; }
cmp -s <(curl -fsS "$GEN") "$WORK/bare/42.json" || { echo "the edge's bytes differ from the store's" >&2; exit 1; }
[ "$(curl -fsS "$SYN" | wc -c)" = "$(wc -c <"$WORK/bare/42.json")" ] || { echo "the synthetic body is not the object's size" >&2; exit 1; }

python3 - "$BENCH_OUT" "$DURATION" "$PAIRS" "$CLIENT_CPU" "$SERVER_CPU" "$GEN" "$SYN" "$BARE" "$(wc -c <"$WORK/bare/42.json")" "${BENCH_VARNISH_PARAMS:-}" <<'PY'
import json, statistics, sys
sys.path.insert(0, "bench")
import pinned_wrk
out, duration, pairs, ccpu, scpu, gen, syn, bare, size, params = sys.argv[1:]
def run(url, seconds=None): return pinned_wrk.run(url, seconds or duration, ccpu)
for u in (syn, gen, bare): run(u, "5s")   # warm-up
rows = []
for i in range(int(pairs)):
    s, g, k = run(syn), run(gen), run(bare)
    rows.append({"synthetic": s, "generated": g, "bare_kestrel": k, "generated_over_synthetic": round(g["requests_per_second"] / s["requests_per_second"], 3),
                 "synthetic_over_bare": round(s["requests_per_second"] / k["requests_per_second"], 3)})
    print(f"  pair {i + 1}: synthetic {s['requests_per_second']}/s, generated {g['requests_per_second']}/s, bare Kestrel {k['requests_per_second']}/s", file=sys.stderr)
res = {"benchmark": "edgehit", "tool": f"wrk -t1 -c64 -d{duration} --latency, loopback; servers on CPU {scpu}, wrk on CPU {ccpu} (taskset)",
       "object": f"/products/42.json, {size} bytes", "varnish_params": params or "(the stack's)", "pairs": rows,
       "median_generated_over_synthetic": statistics.median(r["generated_over_synthetic"] for r in rows),
       "median_synthetic_over_bare": statistics.median(r["synthetic_over_bare"] for r in rows),
       "target": "generated VCL hit within 10% of the synthetic response (ratio >= 0.9)"}
json.dump(res, open(out, "w"), indent=2)
PY
