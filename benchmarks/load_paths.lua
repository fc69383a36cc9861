-- wrk script for benchmarks/bench_load.py: each request asks for a random path from the file
-- named by WRK_PATHS, with the API key from WRK_KEY; prints one summary line for the script.
local paths = {}

function init(args)
  for line in io.lines(os.getenv("WRK_PATHS")) do
    paths[#paths + 1] = line
  end
  local key = os.getenv("WRK_KEY")
  if key ~= nil and key ~= "" then
    wrk.headers["Authorization"] = "Bearer " .. key
  end
  math.randomseed(99)
end

function request()
  return wrk.format("GET", paths[math.random(#paths)])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'LOADBENCH {"requests": %d, "seconds": %.3f, "non2xx": %d, "errors": %d, "p50": %.3f, "p90": %.3f, "p99": %.3f}\n',
    summary.requests, summary.duration / 1e6, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000))
end
