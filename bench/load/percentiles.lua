-- Prints one machine-readable line after a wrk run: latency percentiles in microseconds and errors.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("GATEHOUSE_RESULT requests=%d duration_us=%d p50=%d p99=%d p999=%d connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency:percentile(99.9),
    e.connect, e.read, e.write, e.status, e.timeout))
end
