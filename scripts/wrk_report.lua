-- wrk script for scripts/load_run.sh: cycles through the paths given after "--", counts non-2xx
-- responses in every thread, and prints throughput, p50/p95/p99 and errors when the run is done.
--   wrk -t2 -c50 -d60s --latency -s scripts/wrk_report.lua http://127.0.0.1:PORT -- / /goals/G1/

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  paths = {}
  for _, path in ipairs(args) do
    table.insert(paths, path)
  end
  if #paths == 0 then
    paths = { "/" }
  end
  prepared = {}
  for i, path in ipairs(paths) do
    prepared[i] = wrk.format("GET", path)
  end
  counter = 0
  non2xx = 0
  statuses = {}
end

function request()
  counter = counter % #prepared + 1
  return prepared[counter]
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local non2xx_total = 0
  local by_status = {}
  for _, thread in ipairs(threads) do
    non2xx_total = non2xx_total + (thread:get("non2xx") or 0)
    local counts = thread:get("statuses") or {}
    for status, count in pairs(counts) do
      by_status[status] = (by_status[status] or 0) + count
    end
  end
  local e = summary.errors
  local socket = e.connect + e.read + e.write + e.timeout
  local seconds = summary.duration / 1e6
  local path_count = #(threads[1]:get("paths") or {})
  io.write("\n--- load run ---\n")
  io.write(string.format("requests    %d in %.1f s (%d paths in turn)\n", summary.requests, seconds, path_count))
  io.write(string.format("throughput  %.1f req/s\n", summary.requests / seconds))
  io.write(string.format("transfer    %.1f MB/s\n", summary.bytes / seconds / 1048576))
  for _, p in ipairs({ 50, 95, 99 }) do
    io.write(string.format("p%d         %.1f ms\n", p, latency:percentile(p) / 1000))
  end
  io.write(string.format("max         %.1f ms\n", latency.max / 1000))
  local detail = {}
  for status, count in pairs(by_status) do
    table.insert(detail, string.format("HTTP %s: %d", tostring(status), count))
  end
  io.write(
    string.format(
      "errors      %d (non-2xx %d%s; socket: connect %d, read %d, write %d, timeout %d)\n",
      non2xx_total + socket,
      non2xx_total,
      #detail > 0 and (" [" .. table.concat(detail, ", ") .. "]") or "",
      e.connect,
      e.read,
      e.write,
      e.timeout
    )
  )
end
