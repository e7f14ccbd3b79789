-- Shared by every scenario script: per-thread ids and random seeds, and a
-- done() that prints one machine-readable line (parsed by bench/bench.py):
--   BENCH_JSON {"requests":..., "p50_us":..., ...}
-- Scripts read their parameters from BENCH_* environment variables.
local M = {}
local threads = {}

-- BENCH_TARGETS="host:port,host:port,...": several replicas. Thread k sends
-- all its connections to target (k - 1) % #targets + 1, so wrk's threads
-- alternate between the replicas (one thread, e.g. at 1 connection, reaches
-- only the first). Latencies and counts are still those of one wrk run.
local targets = {}
for target in (os.getenv("BENCH_TARGETS") or ""):gmatch("[^,]+") do
  table.insert(targets, target)
end

function M.setup(thread)
  table.insert(threads, thread)
  thread:set("thread_id", #threads)
  if #targets > 0 then
    local host, port = targets[(#threads - 1) % #targets + 1]:match("^(.*):(%d+)$")
    thread.addr = wrk.lookup(host, port)[1]
  end
end

-- Call from init(): seeds this thread's generator and zeroes its counters.
function M.init_thread()
  unexpected = 0
  flows = 0
  math.randomseed((thread_id or 0) * 7919 + os.time())
end

function M.env(name, default)
  local value = os.getenv(name)
  if value == nil or value == "" then
    if default == nil then error("missing environment variable " .. name) end
    return default
  end
  return value
end

function M.done(summary, latency, requests)
  -- Per-thread counters: `unexpected` replies and completed multi-step `flows`.
  local unexpected_total, flows_total = 0, 0
  for _, thread in ipairs(threads) do
    unexpected_total = unexpected_total + (thread:get("unexpected") or 0)
    flows_total = flows_total + (thread:get("flows") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"p50_us":%.1f,"p90_us":%.1f,' ..
    '"p99_us":%.1f,"max_us":%.1f,"mean_us":%.1f,"errors_connect":%d,"errors_read":%d,' ..
    '"errors_write":%d,"errors_status":%d,"errors_timeout":%d,"unexpected":%d,"flows":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean, e.connect, e.read, e.write, e.status,
    e.timeout, unexpected_total, flows_total))
end

return M
