-- wrk script for the admin API bench: GET /api/v1/pupils/{upn}, rotating through the UPNs in
-- $UPNS_FILE (one per line) from a different starting point in each thread, with the bearer token
-- from $SENDSYNC_TOKEN. Prints p50/p99 latency and requests/s as key=value lines at the end.
local upns = {}
for line in io.lines(os.getenv("UPNS_FILE")) do
  upns[#upns + 1] = line
end
local headers = { ["Authorization"] = "Bearer " .. os.getenv("SENDSYNC_TOKEN") }
local i = 0

function setup(thread)
  thread:set("start", math.random(1, #upns))
end

function init(args)
  i = start or 0
end

function request()
  i = i % #upns + 1
  return wrk.format("GET", "/api/v1/pupils/" .. upns[i], headers)
end

function done(summary, latency, requests)
  io.write(string.format("p50_ms=%.2f\n", latency:percentile(50) / 1000))
  io.write(string.format("p99_ms=%.2f\n", latency:percentile(99) / 1000))
  io.write(string.format("max_ms=%.2f\n", latency.max / 1000))
  io.write(string.format("requests=%d\n", summary.requests))
  io.write(string.format("rps=%.0f\n", summary.requests / (summary.duration / 1e6)))
  local bad = summary.errors.status + summary.errors.connect + summary.errors.read +
              summary.errors.write + summary.errors.timeout
  io.write(string.format("errors=%d\n", bad))
end
