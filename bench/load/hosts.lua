-- Requests spread over N named hosts (host-0.bench.test ... host-(N-1).bench.test), N from the
-- script arguments (wrk ... -s hosts.lua URL -- N); each request picks one at random.
local hosts = 1000

init = function(args)
  if args[1] then hosts = tonumber(args[1]) end
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end

request = function()
  return wrk.format(nil, nil, { Host = "host-" .. math.random(0, hosts - 1) .. ".bench.test" })
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("GATEHOUSE_RESULT requests=%d duration_us=%d p50=%d p99=%d p999=%d connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency:percentile(99.9),
    e.connect, e.read, e.write, e.status, e.timeout))
end
