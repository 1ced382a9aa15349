-- wrk script for bench/surge.sh: paced requests over product paths, counting statuses and edge hits.
-- wrk -t1 -s bench/lua/paced.lua URL -- MODE N RATE [IDS]
--   MODE zipf: product ids 1..N drawn from a Zipf distribution (s = 1.0), JSON and HTML pages, plus the home page
--   MODE hot:  ids from IDS (comma-separated), uniformly: the flash sale's few products
--   MODE flood: unknown ids N+1..N+IDS (a count) with a random query string each: a cache-busting flood
--   RATE: requests a second for this thread (0: as fast as the connections go). Each request gets the next slot
--   of a fixed schedule (1000 / RATE ms apart, on the monotonic clock) and waits for it, so the rate holds
--   whatever the latency, as long as enough connections are free; a schedule more than 1 s behind restarts
--   from now instead of bursting. Reaching less than RATE means the connections were all busy: add more.
local threads = {}
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } paced_timespec;
int clock_gettime(int clk_id, paced_timespec *tp);
]]
local clock = ffi.new("paced_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, clock)   -- CLOCK_MONOTONIC
  return tonumber(clock.tv_sec) * 1000 + tonumber(clock.tv_nsec) / 1e6
end

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  mode = args[1]; n = tonumber(args[2]); rate = tonumber(args[3])
  interval = rate > 0 and 1000 / rate or 0
  ok, hits, misses, s4xx, s429, s5xx = 0, 0, 0, 0, 0, 0
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
  if mode == "zipf" then
    cdf = {}; local total = 0
    for i = 1, n do total = total + 1 / i; cdf[i] = total end
    for i = 1, n do cdf[i] = cdf[i] / total end
  elseif mode == "hot" then
    hot = {}
    for id in string.gmatch(args[4], "[^,]+") do table.insert(hot, id) end
  else
    unknown = tonumber(args[4])
  end
end

local function zipf()
  local u, lo, hi = math.random(), 1, n
  while lo < hi do local mid = math.floor((lo + hi) / 2); if cdf[mid] < u then lo = mid + 1 else hi = mid end end
  return lo
end

function request()
  local path
  if mode == "zipf" then
    local r = math.random()
    if r < 0.05 then path = "/home.json" elseif r < 0.10 then path = "/index.html" else path = "/products/" .. zipf() .. ".json" end
  elseif mode == "hot" then
    path = "/products/" .. hot[math.random(#hot)] .. ".json"
  else
    path = "/products/" .. (n + math.random(unknown)) .. ".json?cb=" .. math.random(1000000000)
  end
  return wrk.format("GET", path)
end

function delay()
  if interval == 0 then return 0 end
  local t = now_ms()
  if slot == nil or slot < t - 1000 then slot = t end
  slot = slot + interval
  local wait = slot - t
  return wait > 0 and math.floor(wait) or 0
end

function response(status, headers, body)
  if status == 429 then s429 = s429 + 1 end
  if status >= 500 then s5xx = s5xx + 1 elseif status >= 400 then s4xx = s4xx + 1 else ok = ok + 1 end
  if headers["x-cache"] == "HIT" or headers["X-Cache"] == "HIT" then hits = hits + 1 else misses = misses + 1 end
end

function done(summary, latency, requests)
  local t = { ok = 0, hits = 0, misses = 0, s4xx = 0, s429 = 0, s5xx = 0 }
  for _, thread in ipairs(threads) do
    for k, _ in pairs(t) do t[k] = t[k] + thread:get(k) end
  end
  io.write(string.format('{"requests":%d,"seconds":%.3f,"rps":%.1f,"p50_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"ok":%d,"hits":%d,"misses":%d,"s4xx":%d,"s429":%d,"s5xx":%d,"socket_errors":%d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    t.ok, t.hits, t.misses, t.s4xx, t.s429, t.s5xx,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
