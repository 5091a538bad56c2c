-- Shared by the request scripts: an optional bearer token (BENCH_AUTH) and, at the end of a run,
-- one machine-readable line that bench/run.py parses (latencies in microseconds).
local auth = os.getenv("BENCH_AUTH")
if auth and auth ~= "" then
   wrk.headers["Authorization"] = "Bearer " .. auth
end

done = function(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'WRK_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%.1f,"p90_us":%.1f,"p99_us":%.1f,'
         .. '"mean_us":%.1f,"max_us":%.1f,"connect_errors":%d,"read_errors":%d,"write_errors":%d,'
         .. '"non2xx":%d,"timeouts":%d}\n',
      summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency.mean, latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
